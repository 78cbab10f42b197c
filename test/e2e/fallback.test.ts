// The permissionless fallback with real verifiers and real proofs (Rollup.sol submitFallbackBatch):
// the rollup of the test instance (test_d4_b2) with the verifier of its fallback instance
// (test_d4_b1: the same tree, 1 transaction and 1 L1 operation a batch). Before the fallback delay a
// fallback batch is refused; once the sequencer has been silent that long anyone proves and
// submits batches of the fallback instance (taking the oldest L1 operation and their own signed
// transfer), is paid the operation's fee, and L1 rebuilds the state from those batches' data; a
// batch of the main instance sent as a fallback batch is refused; the sequencer's next batch
// follows on the new root and closes the fallback again.
import { expect } from "chai";
import { rebuildFromL1, verifyBatchFromL1 } from "../../src/chain/rebuild.js";
import { signTransfer } from "../../src/model/tx.js";
import { assembleBatch } from "../../src/sequencer/planner.js";
import { packGroth16Proof } from "../../src/proving/proof.js";
import { Prover } from "../../src/proving/prover.js";
import { fallbackOf } from "../../src/proving/instances.js";
import { LocalProofQueue } from "../../src/prover/queue.js";
import { batchArgs } from "../../src/chain/calldata.js";
import { type OneShotContext, submitNextBatch } from "../../src/sequencer/oneshot.js";
import { proveBatch } from "../../src/sequencer/proofs.js";
import { classifyL1Error, revertName } from "../../src/sequencer/errors.js";
import { expectRevert } from "../contracts/helpers.js";
import { alice, bob, carol, dave, deployer, ethers, increaseTime, sequencer } from "../contracts/fixture.js";
import { fallbackSetup } from "../fixtures.js";
import { closeProver, E2E_POLICY, ETH, FEE, keys, mined, newWorld, params, type World } from "./helpers.js";

describe("permissionless fallback (real verifiers, real proofs)", function () {
  const fallback = fallbackOf(params);
  let w: World;
  let k: Awaited<ReturnType<typeof keys>>;
  let fb: LocalProofQueue;
  /** Carol's fallback context: her signer, the fallback instance and its setup's prover, the same L2 state. */
  let carolCtx: OneShotContext;

  before(async () => {
    const { manifest } = await fallbackSetup();
    fb = new LocalProofQueue(manifest, { prover: new Prover(manifest) });
    w = await newWorld(deployer, sequencer, { feeIdx: [1n] });
    carolCtx = { ...w.oneShot, rollup: w.d.rollup.connect(carol), proofs: fb, feeIdx: [], fallback };
    k = await keys(3);
    await mined(w.d.rollup.connect(sequencer).depositETH(k[0].ax, k[0].ay, { value: ETH / 100n + FEE })); // 1: fees
    await mined(w.d.rollup.connect(alice).depositETH(k[1].ax, k[1].ay, { value: 2n * ETH + FEE })); // 2
    await w.submit();
  });
  after(async () => {
    await fb?.close();
    await closeProver();
  });

  it("is recorded at deployment: the fallback instance's verifier, slots and delay", async () => {
    const r = w.d.rollup;
    expect(await r.fallbackVerifier()).to.equal(w.d.fallbackVerifierAddress);
    expect(await r.fallbackVerifyingKeyHash()).to.equal(w.d.fallbackVerifyingKeyHash);
    expect([await r.fallbackBatchSize(), await r.fallbackL1Slots(), await r.fallbackFeeSlots()]).to.deep.equal([1n, 1n, 1n]);
    expect(await r.fallbackDelay()).to.equal(E2E_POLICY.fallbackDelay);
    expect(await r.fallbackCoefficientCount()).to.equal(BigInt(5 + fallback.l1Slots + 1));
  });

  it("a proven fallback batch before the fallback delay is refused (FallbackNotOpen), and the state is left as it was", async () => {
    await mined(w.d.rollup.connect(bob).depositETH(k[2].ax, k[2].ay, { value: ETH + FEE })); // 3, waits
    const root = w.state.root;
    const openAfter = await w.d.rollup.fallbackOpenAfter();
    let error: unknown;
    await submitNextBatch(carolCtx).catch((e: unknown) => (error = e));
    expect(String(error)).to.include("the rollup reverted with FallbackNotOpen");
    // It is the first check: any data is refused with when the fallback opens.
    const noop = w.d.rollup.connect(carol).submitFallbackBatch(w.state.root, 0, "0x", "0x00", "0x", 0n, Array(8).fill(0n));
    await expectRevert(noop, w.d.rollup, "FallbackNotOpen", [openAfter]);
    expect(w.state.root).to.equal(root);
    expect(await w.d.rollup.batchNumber()).to.equal(1n);
  });

  it("after the delay anyone proves and submits fallback batches: the oldest L1 operation, their own transfer, the fee to them", async () => {
    const openAfter = await w.d.rollup.fallbackOpenAfter();
    const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    await increaseTime(openAfter - now);
    const feesBefore = await w.d.rollup.claimable(carol.address, 0);
    // Alice's transfer to Bob's account, which the same batch creates (its L1 operation comes first).
    const t = signTransfer(w.crypto.hash, k[1], { from: 2n, to: 3n, amount: ETH / 2n, fee: 0n, nonce: 0n }, w.domain, params);
    const { batch, receipt } = await submitNextBatch(carolCtx, [t]);
    expect(batch.txs).to.have.length(1);
    expect(await w.d.rollup.batchNumber()).to.equal(2n);
    expect(await w.d.rollup.stateRoot()).to.equal(w.state.root);
    expect(await w.d.rollup.l1Processed()).to.equal(3n);
    const ev = receipt.logs.map((l) => w.d.rollup.interface.parseLog(l)).find((e) => e?.name === "FallbackBatchSubmitted");
    expect([ev?.args.batchNumber, ev?.args.submitter]).to.deep.equal([2n, carol.address]);
    expect((await w.d.rollup.claimable(carol.address, 0)) - feesBefore).to.equal(FEE);
    expect(w.state.account(3n)!.balance).to.equal(ETH + ETH / 2n);
    // Fallback batches do not close the fallback: the sequencer is still silent.
    expect(await w.d.rollup.fallbackOpenAfter()).to.equal(openAfter);
    // Another one, by someone else, with a transfer only.
    const t2 = signTransfer(w.crypto.hash, k[2], { from: 3n, to: 2n, amount: ETH / 4n, fee: 0n, nonce: 0n }, w.domain, params);
    await submitNextBatch({ ...carolCtx, rollup: w.d.rollup.connect(dave) }, [t2]);
    expect(await w.d.rollup.batchNumber()).to.equal(3n);
  });

  it("L1 rebuilds the state from the fallback batches' calldata, decoded with the fallback instance", async () => {
    const { state, batches } = await rebuildFromL1(w.crypto, params, w.d.rollup, w.d.blockNumber);
    expect(batches.map((b) => b.fallback ?? false)).to.deep.equal([false, true, true]);
    expect(state.root).to.equal(w.state.root);
    expect(state.account(2n)!.balance).to.equal(w.state.account(2n)!.balance);
  });

  it("zkr verify's check from L1: a fallback batch's proof verifies with the fallback key the rollup names, and not without it", async () => {
    const [{ manifest }, main] = [await fallbackSetup(), w.manifest];
    const v = await verifyBatchFromL1(params, w.d.rollup, w.d.blockNumber, 2n, main.vkey, {}, manifest.vkey);
    expect([v.batch.fallback, v.proofValid, v.commitmentValid, v.rootConsistent, v.keyHashMatches]).to.deep.equal([true, true, true, true, true]);
    expect(v.onChainKeyHash).to.equal(w.d.fallbackVerifyingKeyHash);
    // The main batch before it, with the main key.
    const v1 = await verifyBatchFromL1(params, w.d.rollup, w.d.blockNumber, 1n, main.vkey, {}, manifest.vkey);
    expect([v1.batch.fallback ?? false, v1.proofValid, v1.keyHashMatches]).to.deep.equal([false, true, true]);
    let error: unknown;
    await verifyBatchFromL1(params, w.d.rollup, w.d.blockNumber, 2n, main.vkey).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/batch 2 is a fallback batch: its proof is checked with the verification key of the fallback setup \(test_d4_b1\)/);
    // Checked with the main key instead, the proof is invalid and the key not the rollup's fallback key.
    const wrong = await verifyBatchFromL1(params, w.d.rollup, w.d.blockNumber, 2n, main.vkey, {}, main.vkey);
    expect([wrong.proofValid, wrong.keyHashMatches]).to.deep.equal([false, false]);
  });

  it("a batch built and proven for the main instance, sent as a fallback batch, is refused (InvalidProof)", async () => {
    await mined(w.d.rollup.connect(alice).depositETH(k[1].ax, k[1].ay, { value: ETH / 10n + FEE })); // 4
    const pos = await w.d.rollup.l1Processed();
    const [op] = await w.pendingL1Ops();
    const { batch, cp } = assembleBatch(w.state, { l1Ops: [op!], txs: [] }, { domain: w.domain, feeIdx: [1n], l1HashStart: await w.d.rollup.l1ChainHash(pos) });
    try {
      const proof = await proveBatch(w.oneShot.proofs, `fallback-misuse-${batch.publicSignals[1]}`, batch);
      await expectRevert(w.d.rollup.connect(carol).submitFallbackBatch(...batchArgs(batch.data), packGroth16Proof(proof.proof)), w.d.rollup, "InvalidProof");
      // The same batch and proof through submitBatch are what the main verifier accepts (the data was sound).
      await w.d.rollup.connect(sequencer).submitBatch.staticCall(...batchArgs(batch.data), packGroth16Proof(proof.proof));
    } finally {
      w.state.revert(cp);
    }
  });

  it("the sequencer's batch proven before a fallback batch took its place reverts on L1 (TooManyL1Ops: its operation is gone): a conflict it reconciles, not a stop", async () => {
    // the sequencer proves the waiting deposit on the state it has ...
    const pos = await w.d.rollup.l1Processed();
    const [op] = await w.pendingL1Ops();
    const { batch, cp } = assembleBatch(w.state, { l1Ops: [op!], txs: [] }, { domain: w.domain, feeIdx: [1n], l1HashStart: await w.d.rollup.l1ChainHash(pos) });
    let proof: Awaited<ReturnType<typeof proveBatch>>;
    try {
      proof = await proveBatch(w.oneShot.proofs, `fallback-race-${batch.publicSignals[1]}`, batch);
    } finally {
      w.state.revert(cp);
    }
    // ... while a stranger's fallback batch consumes it first
    const theirs = await submitNextBatch(carolCtx);
    expect(theirs.batch.l1Ops).to.have.length(1);
    expect(await w.d.rollup.l1Processed()).to.equal(pos + 1n);
    const error = await w.d.rollup
      .connect(sequencer)
      .submitBatch(...batchArgs(batch.data), packGroth16Proof(proof.proof))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(revertName(error, w.d.rollup.interface)).to.equal("TooManyL1Ops");
    expect(classifyL1Error(error, w.d.rollup.interface, "submitting batch 4").kind).to.equal("conflict");
    expect(await w.d.rollup.batchNumber()).to.equal(4n);
  });

  it("the sequencer's next batch follows the fallback batches on L1, and closes the fallback again", async () => {
    await w.submit();
    expect(await w.d.rollup.batchNumber()).to.equal(5n);
    const last = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
    expect(await w.d.rollup.lastSequencerBatchAt()).to.equal(last);
    expect(await w.d.rollup.fallbackOpenAfter()).to.equal(last + E2E_POLICY.fallbackDelay);
    let error: unknown;
    await submitNextBatch(carolCtx).catch((e: unknown) => (error = e));
    expect(String(error)).to.include("FallbackNotOpen");
  });
});
