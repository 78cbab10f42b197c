// Rebuild through another contract (issue 10, section 8c): when the sequencer role is held by a
// contract (a multisig, a relayer; here contracts/test/Forwarder.sol), batches reach the Rollup
// from inside another transaction. readBatches then reads the rollup's calls from the node's call
// trace (debug_traceTransaction, callTracer): forwarded submitBatch and submitBatches, several in
// one transaction, nested forwarders, a reverted inner call whose events are discarded, other calls
// into the rollup. Without a trace the error names the batch, the transaction and the reason. The
// fees of the batches go to the contract that submitted them.
import { expect } from "chai";
import type { Contract, Interface } from "ethers";
import { L2Key } from "../../src/model/keys.js";
import { readBatches, rebuildFromL1 } from "../../src/chain/rebuild.js";
import { signTransfer } from "../../src/model/tx.js";
import { alice, bob, deployer, deployWithMock, ethers, type Fixture, ModelSequencer, sequencer } from "./fixture.js";
import { expectRevert, mined } from "./helpers.js";

const ONE_ETH = 10n ** 18n;

describe("rebuild from L1 when batches are submitted through another contract", () => {
  let f: Fixture;
  let seq: ModelSequencer;
  let relay: Contract;
  let outer: Contract;
  let key: L2Key;
  let nonce = 0n;
  /** Transaction hashes: the direct batch, the forwarded ones. */
  const txs: string[] = [];

  const transfer = () => signTransfer(seq.crypto.hash, key, { from: 1n, to: 2n, amount: 1000n, fee: 0n, nonce: nonce++ }, f.domain, f.params);
  const call = (fn: string, args: unknown[]) => (f.rollup.interface as Interface).encodeFunctionData(fn, args);

  before(async () => {
    f = await deployWithMock();
    seq = await ModelSequencer.create(f);
    key = await L2Key.random();
    await mined(f.as(alice).depositETH(key.ax, key.ay, { value: 5n * ONE_ETH + f.fee }));
    await mined(f.as(bob).depositETH(1n, 2n, { value: ONE_ETH + f.fee }));
    txs.push((await seq.submit()).receipt.hash); // batch 1: a direct call
    relay = (await ethers.deployContract("Forwarder", [], deployer)) as unknown as Contract;
    outer = (await ethers.deployContract("Forwarder", [], deployer)) as unknown as Contract;
    await mined(f.rollup.setSequencer(await relay.getAddress()));

    // Batch 2: submitBatch through the relay.
    const b2 = await seq.build({ txs: [transfer()] });
    await mined(f.mock.expectCall(b2.proof, b2.batch.publicSignals));
    txs.push((await mined(relay.getFunction("forward")(f.d.rollupAddress, call("submitBatch", [...b2.args])))).hash);
    seq.commit(b2);

    // Batches 3, 4: one transaction through two forwarders: a submitBatch that reverts inside (its
    // events are discarded: a wrong l1Count), a view call into the rollup, then submitBatches of two.
    await mined(f.as(alice).depositETHTo(1, { value: 7n + f.fee }));
    const b3 = await seq.build({ txs: [transfer()] });
    const b4 = await seq.build({ txs: [transfer(), transfer()] });
    await seq.expectBatches([b3, b4]);
    const bad = call("submitBatch", [b3.batch.data.newRoot, 2, "0x" + "00".repeat(32), b3.data.feeIdx, b3.data.txData, b3.batch.data.commitment, b3.proof]);
    const inner = relay.interface.encodeFunctionData("forwardAll", [
      [f.d.rollupAddress, f.d.rollupAddress, f.d.rollupAddress],
      [
        bad,
        call("batchNumber", []),
        call("submitBatches", [
          [b3.data, b4.data],
          [b3.proof, b4.proof],
        ]),
      ],
      [true, false, false],
    ]);
    txs.push((await mined(outer.getFunction("forward")(await relay.getAddress(), inner))).hash);
    seq.commit(b3, b4);
    expect(await f.rollup.batchNumber()).to.equal(4n);
  });

  it("readBatches decodes every batch, whichever contract made the call, from the call trace", async () => {
    const batches = await readBatches(f.rollup, f.d.blockNumber);
    expect(batches.map((b) => b.number)).to.deep.equal([1n, 2n, 3n, 4n]);
    expect(batches.map((b) => b.txHash)).to.deep.equal([txs[0], txs[1], txs[2], txs[2]]);
    expect(batches.map((b) => b.data.txData.length / f.params.txBytes)).to.deep.equal([0, 1, 1, 2]);
    expect(batches.map((b) => b.data.l1Count)).to.deep.equal([2, 0, 1, 0]);
  });

  it("rebuildFromL1 reproduces the state and the root on L1", async () => {
    const rebuilt = await rebuildFromL1(seq.crypto, f.params, f.rollup, f.d.blockNumber);
    expect(rebuilt.state.root).to.equal(seq.state.root);
    expect(rebuilt.onChainRoot).to.equal(seq.state.root);
    expect(rebuilt.state.account(2n)!.balance).to.equal(ONE_ETH + 4000n);
  });

  it("without a call trace, the error names the batch, the transaction, the contract and the reason", async () => {
    const noTrace = () => Promise.reject(new Error("the method debug_traceTransaction does not exist/is not available"));
    let error: unknown;
    await readBatches(f.rollup, f.d.blockNumber, { traceCall: noTrace }).catch((e: unknown) => (error = e));
    expect(String(error)).to.include(
      `batch 2 (transaction ${txs[1]}) was submitted through contract ${await relay.getAddress()}, not by a direct call to the rollup, and the node cannot trace it (debug_traceTransaction with the callTracer: the method debug_traceTransaction does not exist/is not available)`,
    );
    // A trace that does not account for the transaction's events is refused too.
    error = undefined;
    await readBatches(f.rollup, f.d.blockNumber, { traceCall: async () => ({ type: "CALL", to: await relay.getAddress(), input: "0x", calls: [] }) }).catch(
      (e: unknown) => (error = e),
    );
    expect(String(error)).to.include(
      `batch 2 (transaction ${txs[1]}) was submitted through contract ${await relay.getAddress()}, not by a direct call to the rollup, and its call trace holds no successful call into the rollup`,
    );
  });

  it("credits the batches' L1-operation fees to the contract that submitted them", async () => {
    expect(await f.rollup.claimable(sequencer.address, 0)).to.equal(2n * f.fee); // batch 1, direct
    expect(await f.rollup.claimable(await relay.getAddress(), 0)).to.equal(f.fee); // batch 3's deposit
    await expectRevert(f.as(alice).submitBatch(1n, 0, "0x", "0x00", "0x", 0n, Array(8).fill(0n)), f.rollup, "NotSequencer");
  });
});
