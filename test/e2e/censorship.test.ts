// Censorship resistance with real proofs: the sequencer ignores a forced exit; after the
// deadline anyone switches the rollup into escape mode; owners withdraw their balance from the
// last proven root with a Merkle proof checked on chain (built from L1 data alone), once;
// unprocessed operations are refunded with their fees; no batch is accepted any more. And the
// other side: a flood of L1 operations faster than the batches' slots does not open escape mode
// while the sequencer keeps proving full batches, and a proven batch that skipped an operation
// grown l1Grace old is refused with L1OpSkipped.
import { expect } from "chai";
import { rebuildFromL1 } from "../../src/chain/rebuild.js";
import { signTransfer } from "../../src/model/tx.js";
import { expectRevert } from "../contracts/helpers.js";
import { alice, bob, carol, deployer, ethers, increaseTime, sequencer } from "../contracts/fixture.js";
import { closeProver, ETH, FEE, keys, mined, newWorld, params, proving, type World } from "./helpers.js";
import { buildBatch } from "../../src/model/batch.js";
import { decodeRevert } from "../../src/chain/reverts.js";
import { StateConflictError } from "../../src/sequencer/errors.js";
import { refusedByRule, submitProven } from "../../src/sequencer/submitter.js";

describe("censorship: forced exit ignored → escape mode (real proofs)", function () {
  let w: World;
  let k: Awaited<ReturnType<typeof keys>>;

  before(async () => {
    w = await newWorld(deployer, sequencer, { escapeDelay: 3600n });
    k = await keys(2);
    await mined(w.d.rollup.connect(alice).depositETH(k[0].ax, k[0].ay, { value: 3n * ETH + FEE })); // 1
    await mined(w.d.rollup.connect(bob).depositETH(k[1].ax, k[1].ay, { value: ETH + FEE })); // 2
    await w.submit();
    await w.submit([signTransfer(w.crypto.hash, k[0], { from: 1n, to: 2n, amount: ETH, fee: 0n, nonce: 0n }, w.domain, params)]);
  });
  after(closeProver);

  it("escape cannot start before the deadline of the oldest unprocessed operation", async () => {
    await mined(w.d.rollup.connect(alice).forceExit(1, { value: FEE })); // the sequencer will ignore it
    await mined(w.d.rollup.connect(carol).depositETH(k[1].ax, k[1].ay, { value: ETH / 4n + FEE })); // never processed
    await expectRevert(w.d.rollup.activateEscape(), w.d.rollup, "EscapeTooEarly");
  });

  it("after the deadline anyone activates escape mode, and batches and deposits are refused", async () => {
    await increaseTime(3601n);
    await mined(w.d.rollup.connect(carol).activateEscape());
    expect(await w.d.rollup.escapeMode()).to.equal(true);
    const noop = w.d.rollup.connect(sequencer).submitBatch(w.state.root, 0, "0x", "0x00", "0x", 0n, Array(8).fill(0n));
    await expectRevert(noop, w.d.rollup, "EscapeMode");
    await expectRevert(w.d.rollup.connect(bob).depositETH(k[1].ax, k[1].ay, { value: 1n + FEE }), w.d.rollup, "EscapeMode");
  });

  it("owners withdraw their last proven balance with a Merkle proof rebuilt from L1, exactly once", async () => {
    const { state } = await rebuildFromL1(w.crypto, params, w.d.rollup, w.d.blockNumber);
    const proofArgs = (i: bigint, balanceDelta = 0n) => {
      const a = state.account(i)!;
      return [i, a.ax, a.ay, a.balance + balanceDelta, a.nonce, state.tree.proof(i).flat()] as const;
    };
    await expectRevert(w.d.rollup.connect(alice).escapeWithdraw(...proofArgs(1n, 1n)), w.d.rollup, "InvalidMerkleProof");
    await expectRevert(w.d.rollup.connect(bob).escapeWithdraw(...proofArgs(1n)), w.d.rollup, "NotAccountOwner");
    await mined(w.d.rollup.connect(alice).escapeWithdraw(...proofArgs(1n)));
    await expectRevert(w.d.rollup.connect(alice).escapeWithdraw(...proofArgs(1n)), w.d.rollup, "AlreadyWithdrawn");
    await mined(w.d.rollup.connect(bob).escapeWithdraw(...proofArgs(2n)));
    expect(await w.d.rollup.claimable(alice.address, 0)).to.equal(2n * ETH);
    expect(await w.d.rollup.claimable(bob.address, 0)).to.equal(2n * ETH);
  });

  it("the unprocessed deposit and the ignored forced exit's fee are refunded once, and everything held is paid out", async () => {
    await mined(w.d.rollup.refundL1Op(3)); // carol's deposit, queue index 3, with its fee
    await expectRevert(w.d.rollup.refundL1Op(3), w.d.rollup, "NotRefundable"); // already refunded
    await mined(w.d.rollup.refundL1Op(2)); // the forced exit: only its fee
    await expectRevert(w.d.rollup.refundL1Op(1), w.d.rollup, "NotRefundable"); // processed
    expect(await w.d.rollup.claimable(carol.address, 0)).to.equal(ETH / 4n + FEE);
    expect(await w.d.rollup.claimable(alice.address, 0)).to.equal(2n * ETH + FEE);
    expect(await w.d.rollup.claimable(sequencer.address, 0)).to.equal(2n * FEE); // the two processed deposits
    for (const u of [alice, bob, carol, sequencer]) await mined(w.d.rollup.connect(u).withdraw(0));
    expect(await ethers.provider.getBalance(w.d.rollupAddress)).to.equal(0n);
  });
});

describe("flood: a working sequencer with real proofs keeps the rollup out of escape mode", function () {
  let w: World;

  before(async () => {
    w = await newWorld(deployer, sequencer, { escapeDelay: 40n, inactivityDelay: 30n, l1Grace: 20n });
  });
  after(closeProver);

  it("5 operations queued per 2-slot batch: escape never opens while full batches keep coming; the backlog drains", async () => {
    const k = await keys(1);
    const flooders = [alice, bob, carol];
    let queued = 0;
    // Chain time is pinned (a proof takes wall-clock seconds): a batch every 25 s, less than the
    // 30 s inactivity delay; escape is tried just before and just after each batch.
    const next = async (queue: number) => {
      const t = (await w.d.rollup.lastBatchAt()) || BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
      for (let i = 0; i < queue; i++) await mined(w.d.rollup.connect(flooders[queued++ % 3]!).depositETH(k[0].ax, k[0].ay, { value: 1n + FEE }));
      await ethers.provider.send("evm_setNextBlockTimestamp", [Number(t + 24n)]);
      if ((await w.d.rollup.l1Processed()) < (await w.d.rollup.l1OpCount()))
        await expectRevert(w.d.rollup.connect(carol).activateEscape(), w.d.rollup, "EscapeTooEarly");
      await ethers.provider.send("evm_setNextBlockTimestamp", [Number(t + 25n)]);
      const { batch } = await w.submit(); // proves min(pending, L) operations
      if ((await w.d.rollup.l1Processed()) < (await w.d.rollup.l1OpCount()))
        await expectRevert(w.d.rollup.connect(carol).activateEscape(), w.d.rollup, "EscapeTooEarly");
      return batch;
    };
    for (let round = 0; round < 2; round++) expect((await next(5)).l1Ops).to.have.length(params.l1Slots);
    // Operation 4 was queued in the first round, 50 s ago: past the 40 s escape delay.
    const oldest = (await w.d.rollup.l1Ops(await w.d.rollup.l1Processed())).queuedAt;
    const block = await ethers.provider.getBlock("latest");
    expect(BigInt(block!.timestamp) > oldest + 40n, "the oldest waiting operation is past the escape delay").to.equal(true);
    while ((await w.d.rollup.l1Processed()) < (await w.d.rollup.l1OpCount())) await next(0);
    expect(await w.d.rollup.stateRoot()).to.equal(w.state.root);
    expect(w.state.size).to.equal(queued);
    expect(await w.d.rollup.claimable(sequencer.address, 0)).to.equal(BigInt(queued) * FEE);
    await expectRevert(w.d.rollup.connect(carol).activateEscape(), w.d.rollup, "NoPendingL1Op");
  });

  it("a proven batch that left out an operation now l1Grace old is refused with L1OpSkipped, which the sequencer takes as a rule to rebuild for", async () => {
    const k = await keys(1);
    await mined(w.d.rollup.connect(alice).depositETH(k[0].ax, k[0].ay, { value: 1n + FEE }));
    await mined(w.d.rollup.connect(bob).depositETH(k[0].ax, k[0].ay, { value: 1n + FEE }));
    const ops = await w.pendingL1Ops();
    const cp = w.state.checkpoint();
    const batch = buildBatch(
      w.state,
      { l1Ops: ops.slice(0, 1), txs: [] },
      { domain: w.domain, feeIdx: [], l1HashStart: await w.d.rollup.l1ChainHash(ops[0]!.queueIndex) },
    );
    w.state.revert(cp);
    const proof = await (await proving()).prover.prove(batch.circuitInput);
    await increaseTime(21n);
    const left = ops[1]!;
    const queuedAt = (await w.d.rollup.l1Ops(left.queueIndex)).queuedAt;
    let error: unknown;
    const n = Number(await w.d.rollup.batchNumber()) + 1;
    await submitProven(w.d.rollup.connect(sequencer), n, batch, proof).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(StateConflictError).and.include({ code: "REVERTED", revert: "L1OpSkipped" });
    expect(refusedByRule(error as StateConflictError), "rebuilt, not submitted again as it is").to.equal(true);
    expect(decodeRevert(error, w.d.rollup.interface)).to.equal(`L1OpSkipped(${left.queueIndex}, ${queuedAt})`);
    await w.submit(); // rebuilt with both operations
    expect(await w.d.rollup.l1Processed()).to.equal(await w.d.rollup.l1OpCount());
  });
});
