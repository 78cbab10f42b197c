// Every way of submitting a wrong batch is rejected on L1 with the real verifier and a real
// proof, and nothing changes: wrong calldata, L1 results, fee index or root, tampered proof,
// a caller that is not the sequencer, another deployment, a replayed proof, and the public
// input aliased as x + r.
import { expect } from "chai";
import { Contract } from "ethers";
import { buildBatch, type Batch } from "../../src/model/batch.js";
import { toHex } from "../../src/model/bytes.js";
import { SNARK_FIELD } from "../../src/model/crypto.js";
import { readArtifact } from "../../src/chain/artifacts.js";
import { readL1Ops } from "../../src/chain/events.js";
import { batchCoefficients, dataCommitment } from "../../src/model/publicInputs.js";
import { signTransfer } from "../../src/model/tx.js";
import { packGroth16Proof } from "../../src/proving/proof.js";
import { expectRevert } from "../contracts/helpers.js";
import { verifierContractName } from "../../src/proving/verifier.js";
import { alice, bob, carol, deployer, sequencer } from "../contracts/fixture.js";
import { closeProver, ETH, FEE, keys, mined, newWorld, params, proving, type World } from "./helpers.js";

describe("wrong batches are rejected with nothing changed (real verifier, real proofs)", function () {
  let w: World;
  let batch: Batch;
  let sol: bigint[];
  let root0: bigint;
  let k: Awaited<ReturnType<typeof keys>>;

  /** Batch 1 (two deposits, proven and accepted), then two queued operations for batch 2. */
  async function prepare(world: World) {
    await mined(world.d.rollup.connect(alice).depositETH(k[0].ax, k[0].ay, { value: 2n * ETH + FEE }));
    await mined(world.d.rollup.connect(bob).depositETH(k[1].ax, k[1].ay, { value: ETH + FEE }));
    await world.submit();
    await mined(world.d.rollup.connect(carol).depositETHTo(2, { value: 5n + FEE }));
    await mined(world.d.rollup.connect(bob).forceExit(2, { value: FEE }));
  }

  before(async () => {
    w = await newWorld(deployer, sequencer, { feeIdx: [1n] });
    k = await keys(2);
    await prepare(w);
    // Batch 2 (not submitted yet): a deposit, a forced exit, and two transfers.
    root0 = w.state.root;
    const ops = (await readL1Ops(w.d.rollup, w.d.blockNumber)).slice(2);
    const cp = w.state.checkpoint();
    batch = buildBatch(
      w.state,
      {
        l1Ops: ops,
        txs: [
          signTransfer(w.crypto.hash, k[0], { from: 1n, to: 2n, amount: ETH / 2n, fee: 10n ** 15n, nonce: 0n }, w.domain, params),
          signTransfer(w.crypto.hash, k[0], { from: 1n, to: 1n, amount: 7n, fee: 0n, nonce: 1n }, w.domain, params),
        ],
      },
      { domain: w.domain, feeIdx: [1n], l1HashStart: await w.d.rollup.l1ChainHash(2) },
    );
    w.state.revert(cp);
    expect(batch.txs).to.have.length(2);
    expect(batch.l1Results).to.deep.equal([0n, ETH + 5n]);
    sol = packGroth16Proof((await (await proving()).prover.prove(batch.circuitInput)).proof);
  });
  after(closeProver);

  type Args = { root?: bigint; l1Count?: number; results?: Uint8Array; fee?: Uint8Array; txData?: Uint8Array; commitment?: bigint; proof?: bigint[] };
  const submit = (o: Args = {}, rollup = w.d.rollup.connect(sequencer)) =>
    rollup.submitBatch(
      o.root ?? batch.data.newRoot,
      o.l1Count ?? 2,
      toHex(o.results ?? batch.data.l1Results),
      toHex(o.fee ?? batch.data.feeIdx),
      toHex(o.txData ?? batch.data.txData),
      o.commitment ?? batch.data.commitment,
      o.proof ?? sol,
    );

  afterEach(async function () {
    if (this.currentTest?.title.startsWith("accepts")) return;
    expect(await w.d.rollup.stateRoot()).to.equal(root0);
    expect(await w.d.rollup.batchNumber()).to.equal(1n);
    expect(await w.d.rollup.l1Processed()).to.equal(2n);
    expect(await w.d.rollup.claimable(bob.address, 0)).to.equal(0n);
  });

  it("rejects altered transaction calldata", async () => {
    const txData = batch.data.txData.slice();
    txData[txData.length - 1] ^= 1;
    await expectRevert(submit({ txData }), w.d.rollup, "InvalidProof");
    await expectRevert(submit({ txData: batch.data.txData.slice(0, params.txBytes) }), w.d.rollup, "InvalidProof");
  });

  it("rejects altered L1 results (a larger forced exit) or a different number of consumed operations", async () => {
    const results = batch.data.l1Results.slice();
    results[31] ^= 1;
    await expectRevert(submit({ results }), w.d.rollup, "InvalidProof");
    await expectRevert(submit({ l1Count: 1, results: batch.data.l1Results.slice(0, 16) }), w.d.rollup, "InvalidProof");
  });

  it("rejects another data commitment, also the true commitment of altered data", async () => {
    await expectRevert(submit({ commitment: batch.data.commitment + 1n }), w.d.rollup, "InvalidProof");
    const txData = batch.data.txData.slice();
    txData[0] ^= 1;
    const data = { ...batch.data, oldRoot: batch.oldRoot, chainId: w.domain.chainId, rollupAddress: w.domain.rollupAddress, l1HashEnd: batch.l1HashEnd };
    expect(dataCommitment(batchCoefficients(data, params), w.crypto.hash)).to.equal(batch.data.commitment);
    const altered = dataCommitment(batchCoefficients({ ...data, txData }, params), w.crypto.hash);
    await expectRevert(submit({ txData, commitment: altered }), w.d.rollup, "InvalidProof");
  });

  it("rejects another fee account or another new root", async () => {
    await expectRevert(submit({ fee: new Uint8Array([2]) }), w.d.rollup, "InvalidProof");
    await expectRevert(submit({ root: batch.data.newRoot + 1n }), w.d.rollup, "InvalidProof");
  });

  it("rejects a tampered proof", async () => {
    await expectRevert(submit({ proof: [sol[0], sol[1] + 1n, ...sol.slice(2)] }), w.d.rollup, "InvalidProof");
    await expectRevert(submit({ proof: [...sol.slice(0, 7), sol[7] + SNARK_FIELD] }), w.d.rollup, "InvalidProof");
  });

  it("rejects a caller that is not the sequencer", async () => {
    await expectRevert(submit({}, w.d.rollup.connect(alice)), w.d.rollup, "NotSequencer");
  });

  it("the verifier rejects either public signal aliased as x + r", async () => {
    const verifier = new Contract(w.d.verifierAddress, readArtifact(verifierContractName(w.manifest.label)).abi, deployer);
    const args = (s: bigint[]) => [sol, s];
    const [y, z] = batch.publicSignals;
    expect(await verifier.getFunction("verifyProof")(...args([y, z]))).to.equal(true);
    expect(await verifier.getFunction("verifyProof")(...args([y + SNARK_FIELD, z]))).to.equal(false);
    expect(await verifier.getFunction("verifyProof")(...args([y, z + SNARK_FIELD]))).to.equal(false);
    expect(await verifier.getFunction("verifyProof")(...args([z, y]))).to.equal(false);
  });

  it("rejects the proof on another deployment in exactly the same state (bound to the contract address)", async () => {
    const other = await newWorld(deployer, sequencer, { feeIdx: [1n] });
    await prepare(other);
    expect(await other.d.rollup.stateRoot()).to.equal(root0);
    expect(await other.d.rollup.l1ChainHash(4)).to.equal(await w.d.rollup.l1ChainHash(4));
    await expectRevert(submit({}, other.d.rollup.connect(sequencer)), other.d.rollup, "InvalidProof");
  });

  it("accepts the right batch once, then rejects the replayed proof", async () => {
    await mined(submit());
    expect(await w.d.rollup.stateRoot()).to.equal(batch.data.newRoot);
    expect(await w.d.rollup.claimable(bob.address, 0)).to.equal(ETH + 5n);
    expect(await w.d.rollup.claimable(carol.address, 0)).to.equal(0n); // her deposit into account 2 was applied
    await expectRevert(submit({ l1Count: 0, results: new Uint8Array() }), w.d.rollup, "InvalidProof");
    expect(await w.d.rollup.batchNumber()).to.equal(2n);
  });
});
