// End to end on the in-process Hardhat network with the real verifier and real proofs:
// genesis accounts, signed transfers, a batch built by the TS model, proven with snarkjs,
// accepted by the Rollup contract; and every way of submitting a wrong batch rejected with
// nothing changed on L1.
import { expect } from "chai";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/types";
import { Contract } from "ethers";
import { buildBatch, type Batch } from "../../lib/batch.js";
import { toHex } from "../../lib/bytes.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../../lib/crypto.js";
import { deployRollup, readArtifact, type RollupDeployment } from "../../lib/deploy.js";
import { L2Key } from "../../lib/keys.js";
import { getInstance, TEST_INSTANCE } from "../../lib/params.js";
import type { SetupManifest } from "../../lib/setup.js";
import { L2State } from "../../lib/state.js";
import { decodeTransfer, signTransfer, type Domain } from "../../lib/tx.js";
import { Prover, toSolidityProof, type ProofResult } from "../../prover/prover.js";
import { Operator } from "../../sequencer/operator.js";
import { expectEvent, expectRevert } from "../contracts/helpers.js";
import { hardhat, testSetup } from "../fixtures.js";

const params = getInstance(TEST_INSTANCE);
const ETH = 10n ** 18n;

describe("proven batches on L1 (real verifier, real proofs)", function () {
  let crypto: ZkrCrypto;
  let manifest: SetupManifest;
  let prover: Prover;
  let ethers: Awaited<ReturnType<typeof hardhat>>["ethers"];
  let sequencer: HardhatEthersSigner;
  let stranger: HardhatEthersSigner;
  let keys: L2Key[];

  before(async () => {
    crypto = await loadCrypto();
    manifest = (await testSetup()).manifest;
    prover = new Prover(manifest);
    ({ ethers } = await hardhat());
    [sequencer, stranger] = await ethers.getSigners();
    keys = await Promise.all([0, 1, 2].map(() => L2Key.random()));
  });
  after(async () => prover?.close());

  /** Genesis with alice (#1, 10 ETH), bob (#2, 2 ETH) and a fee account (#3), deployed fresh. */
  async function freshRollup(): Promise<{ state: L2State; d: RollupDeployment; domain: Domain }> {
    const state = new L2State(crypto, params);
    const owner = BigInt(sequencer.address);
    for (const [k, balance] of [[keys[0], 10n * ETH], [keys[1], 2n * ETH], [keys[2], 0n]] as const) {
      state.createAccount({ ax: k.ax, ay: k.ay, owner, tokenId: 0n, balance, nonce: 0n });
    }
    const d = await deployRollup({ signer: sequencer, verifierArtifact: manifest.contractName, params, genesisRoot: state.root, sequencer: sequencer.address });
    return { state, d, domain: { chainId: d.chainId, rollupAddress: BigInt(d.rollupAddress) } };
  }

  const transfers = (domain: Domain, nonce = 0n) => [
    signTransfer(crypto.hash, keys[0], { from: 1n, to: 2n, amount: 3n * ETH, fee: 10n ** 15n, nonce }, domain, params),
    signTransfer(crypto.hash, keys[1], { from: 2n, to: 1n, amount: ETH / 2n, fee: 2n * 10n ** 15n, nonce }, domain, params),
  ];

  it("proves two batches, the roots on L1 follow the TS model, and the calldata rebuilds the transfers", async () => {
    const { state, d, domain } = await freshRollup();
    const op = new Operator(state, d.rollup, prover, domain, [3n]);

    const first = await op.submit(transfers(domain));
    expect(await d.rollup.stateRoot()).to.equal(state.root);
    expect(await d.rollup.batchNumber()).to.equal(1n);
    expectEvent(first.receipt, d.rollup, "BatchSubmitted", [1n, first.batch.oldRoot, first.batch.newRoot, 2n]);
    expect(state.account(1n)).to.include({ balance: 10n * ETH - 3n * ETH - 10n ** 15n + ETH / 2n, nonce: 1n });
    expect(state.account(3n)!.balance).to.equal(3n * 10n ** 15n);
    console.log(`      submitBatch gas (2 transfers, real verifier): ${first.receipt.gasUsed}; proof ${(first.proof.proveMs / 1000).toFixed(1)} s`);

    // Data availability: the transaction's calldata alone gives back what the batch did.
    const tx = await ethers.provider.getTransaction(first.receipt.hash);
    const call = d.rollup.interface.parseTransaction({ data: tx!.data })!;
    const txData = ethers.getBytes(call.args.txData);
    const decoded = [0, 1].map((i) => decodeTransfer(txData.subarray(i * params.txBytes, (i + 1) * params.txBytes), params));
    expect(decoded.map((t) => [t.from, t.to, t.amount, t.fee])).to.deep.equal(first.batch.txs.map((t) => [t.from, t.to, t.amount, t.fee]));

    // A second batch with a single transfer: padding slot, next batch number.
    const second = await op.submit([signTransfer(crypto.hash, keys[0], { from: 1n, to: 2n, amount: ETH, fee: 0n, nonce: 1n }, domain, params)]);
    expect(second.batch.txData.length).to.equal(params.txBytes);
    expect(await d.rollup.stateRoot()).to.equal(state.root);
    expect(await d.rollup.batchNumber()).to.equal(2n);
  });

  describe("rejections leave root and batch number unchanged", () => {
    let d: RollupDeployment;
    let batch: Batch;
    let proof: ProofResult;
    let sol: bigint[];
    let genesisRoot: bigint;

    before(async () => {
      const f = await freshRollup();
      d = f.d;
      genesisRoot = f.state.root;
      batch = buildBatch(f.state, transfers(f.domain), { domain: f.domain, batchNumber: 1n, feeIdx: [3n] });
      proof = await prover.prove(batch.circuitInput);
      sol = toSolidityProof(proof.proof);
    });

    const submit = (o: { root?: bigint; fee?: Uint8Array; txData?: Uint8Array; proof?: bigint[]; from?: HardhatEthersSigner } = {}) =>
      d.rollup
        .connect(o.from ?? sequencer)
        .submitBatch(o.root ?? batch.newRoot, toHex(o.fee ?? batch.feeIdxData), toHex(o.txData ?? batch.txData), o.proof ?? sol);

    afterEach(async function () {
      if (this.currentTest?.title.startsWith("accepts")) return;
      expect(await d.rollup.stateRoot()).to.equal(genesisRoot);
      expect(await d.rollup.batchNumber()).to.equal(0n);
    });

    it("rejects altered transaction calldata", async () => {
      const txData = batch.txData.slice();
      txData[txData.length - 1] ^= 1; // the fee of the last transfer
      await expectRevert(submit({ txData }), d.rollup, "InvalidProof");
      await expectRevert(submit({ txData: batch.txData.slice(0, params.txBytes) }), d.rollup, "InvalidProof"); // one transfer dropped
    });

    it("rejects another fee account or another new root", async () => {
      await expectRevert(submit({ fee: new Uint8Array([2]) }), d.rollup, "InvalidProof");
      await expectRevert(submit({ root: batch.newRoot + 1n }), d.rollup, "InvalidProof");
      await expectRevert(submit({ root: batch.newRoot + SNARK_FIELD }), d.rollup, "RootNotInField");
    });

    it("rejects a tampered proof", async () => {
      await expectRevert(submit({ proof: [sol[0], sol[1] + 1n, ...sol.slice(2)] }), d.rollup, "InvalidProof");
      await expectRevert(submit({ proof: [...sol.slice(0, 6), sol[6], SNARK_FIELD + sol[7]] }), d.rollup, "InvalidProof");
    });

    it("rejects a caller that is not the sequencer", async () => {
      await expectRevert(submit({ from: stranger }), d.rollup, "NotSequencer");
    });

    it("rejects the proof on another rollup deployment with the same genesis (bound to the contract address)", async () => {
      const other = await freshRollup();
      await expectRevert(
        other.d.rollup.submitBatch(batch.newRoot, toHex(batch.feeIdxData), toHex(batch.txData), sol),
        other.d.rollup,
        "InvalidProof",
      );
    });

    it("the verifier rejects the public input aliased as x + r", async () => {
      const verifier = new Contract(d.verifierAddress, readArtifact(manifest.contractName).abi, sequencer);
      const args = (signal: bigint) => [[sol[0], sol[1]], [[sol[2], sol[3]], [sol[4], sol[5]]], [sol[6], sol[7]], [signal]];
      expect(await verifier.verifyProof(...args(batch.inputHash))).to.equal(true);
      expect(await verifier.verifyProof(...args(batch.inputHash + SNARK_FIELD))).to.equal(false);
      expect(await verifier.verifyProof(...args(batch.inputHash + 1n))).to.equal(false);
    });

    it("accepts the right batch once, then rejects the replayed proof (wrong old root)", async () => {
      await (await submit()).wait();
      expect(await d.rollup.stateRoot()).to.equal(batch.newRoot);
      await expectRevert(submit(), d.rollup, "InvalidProof");
      expect(await d.rollup.stateRoot()).to.equal(batch.newRoot);
      expect(await d.rollup.batchNumber()).to.equal(1n);
    });
  });
});
