// A registered instance of kind "linked" (test_d4_b2_linked: test_d4_b2's shape as BatchShell +
// 2 × Transfer, src/proving/linked.ts) through the whole stack: `zkr setup`'s setupInstance
// makes its key from the linked r1cs (Batch's constraint count, the parts' wasm and layout in
// the setup directory); a Prover takes Batch's circuit input unchanged and computes the linked
// witness (the roots before the slots derived from the input, padding computed once), with wasm
// and snarkjs and with the C++ generators and the native prover; the proofs verify and prove
// the model's public signals; an inconsistent input gives a clear error and no proof; and on a
// local chain the Rollup with the linked setup's generated verifier accepts its proofs of
// deposits, transfers and an exit, and refuses a proof of the monolithic key for the same batch.
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { type SignedTransfer, signTransfer } from "../../src/model/tx.js";
import { L2Key } from "../../src/model/keys.js";
import { L2State } from "../../src/model/state.js";
import { deployRollup } from "../../src/chain/deploy.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { enabledRootsIn, readLayout } from "../../src/proving/linked.js";
import { openR1cs } from "../../src/proving/link.js";
import { Prover } from "../../src/proving/prover.js";
import { buildContracts, setupInstance, type SetupResult } from "../../src/proving/setup.js";
import { readConstraintSnapshot } from "../../bench/snapshots.js";
import { setupVerifier } from "../../src/proving/verifier.js";
import { cppToolchainProblems } from "../../src/proving/witness.js";
import { nativeToolchainProblems } from "../../src/proving/native.js";
import { packGroth16Proof } from "../../src/proving/proof.js";
import { LocalProofQueue } from "../../src/prover/queue.js";
import { readSetupDir } from "../../src/prover/worker.js";
import { type OneShotContext, submitNextBatch } from "../../src/sequencer/oneshot.js";
import { assembleBatch } from "../../src/sequencer/planner.js";
import { terminateCurve } from "../circuits/helpers.js";
import { World } from "../circuits/world.js";
import { alice, bob, deployer, ethers, sequencer, sharedPoseidon } from "../contracts/fixture.js";
import { testSetup } from "../fixtures.js";
import { E2E_POLICY, mined, realFallback } from "../e2e/helpers.js";

const NAME = "test_d4_b2_linked";
const p = getInstance(NAME);
const quiet = process.env.ZKR_VERBOSE ? (m: string) => console.log(`    ${m}`) : undefined;

after(terminateCurve);

describe("linked instance test_d4_b2_linked: setup, prover, real verifier", function () {
  let c: ZkrCrypto;
  let setup: SetupResult;
  const provers: Prover[] = [];
  const prover = (opts: ConstructorParameters<typeof Prover>[1]) => {
    const pr = new Prover(setup.manifest, { log: () => {}, ...opts });
    provers.push(pr);
    return pr;
  };

  before(async () => {
    c = await loadCrypto();
    setup = await setupInstance(NAME, { log: quiet });
    await buildContracts();
  });
  after(async () => {
    for (const pr of provers) await pr.close();
  });

  /** A model batch of `n` transfers (alice → bob, bob → alice) after a deposit, on a fresh world. */
  async function batchOf(n: number) {
    const w = await World.make(c, p);
    const txs = [w.sign("alice", "bob", 10n ** 17n, 2n), w.sign("bob", "alice", 5n, 3n)].slice(0, n);
    const batch = w.batch({ l1Ops: [w.deposit("alice", 10n ** 6n)], txs }, [w.idx.fees]);
    expect(batch.rejected).to.deep.equal([]);
    return batch;
  }

  it("its setup is made from the linked r1cs: Batch's constraints and public signals, the parts' wasm and layout in the setup directory", () => {
    const m = setup.manifest;
    expect(m.params?.linked).to.equal(true);
    expect(m.linked).to.not.equal(undefined);
    for (const f of [m.linked!.layout, m.linked!.shellWasm, m.linked!.transferWasm, m.zkey, m.vkey]) expect(existsSync(f), f).to.equal(true);
    expect(path.dirname(m.linked!.layout)).to.equal(path.dirname(m.zkey));
    const layout = readLayout(m.linked!.layout);
    expect(layout.shape).to.deep.equal({ depth: p.depth, batchSize: p.batchSize, l1Slots: p.l1Slots, feeSlots: p.feeSlots });
    expect(openR1cs(m.r1cs).header).to.deep.equal(layout.linked);
    const snap = readConstraintSnapshot().instances;
    // the same constraint system as the monolithic test instance of this shape
    expect(m.constraints).to.equal(snap[NAME]).and.to.equal(snap[TEST_INSTANCE]);
    expect([m.nPublic, m.domainPower]).to.deep.equal([2, 16]);
  });

  it("a copy of its setup directory elsewhere (a prover machine) is read with its own files; one without transfer.wasm is incomplete", () => {
    const copy = mkdtempSync(path.join(os.tmpdir(), "zkr-linked-setup-"));
    try {
      cpSync(path.dirname(setup.manifest.zkey), copy, { recursive: true });
      const m = readSetupDir(copy);
      for (const f of [m.zkey, m.wasm, m.linked!.layout, m.linked!.shellWasm, m.linked!.transferWasm]) expect(path.dirname(f)).to.equal(copy);
      rmSync(path.join(copy, "transfer.wasm"));
      expect(() => readSetupDir(copy)).to.throw(/incomplete: missing transfer\.wasm/);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("derives the root before every enabled slot from the slot's sender proof: the model's roots", async () => {
    for (const n of [2, 1, 0]) {
      const b = await batchOf(n);
      const { roots, enabled } = enabledRootsIn(c.hash, p, b.circuitInput);
      expect(enabled).to.equal(n);
      expect(roots).to.deep.equal(b.txRootsIn.slice(0, n));
    }
    const b = await batchOf(1);
    const swapped = { ...b.circuitInput, from: [...(b.circuitInput.from as string[])].reverse() };
    expect(() => enabledRootsIn(c.hash, p, swapped)).to.throw(/slot 1 is enabled after padding slot 0/);
  });

  it("proves Batch's circuit input with wasm witnesses and snarkjs; padding slots are computed once", async () => {
    const pr = prover({ witness: "wasm", prover: "snarkjs" });
    for (const n of [2, 1, 0]) {
      const b = await batchOf(n);
      const r = await pr.prove(b.circuitInput);
      expect(r.publicSignals).to.deep.equal(b.publicSignals.map(String));
      expect(await pr.verify(r.proof, r.publicSignals)).to.equal(true);
      expect(r.linkedStats).to.deep.equal({ enabled: n, transferRuns: n + (n < 2 ? 1 : 0) });
      expect([r.witnessBackend, r.proverBackend]).to.deep.equal(["wasm", "snarkjs"]);
    }
  });

  it("proves with the C++ witness generators of both parts and the native prover", async function () {
    const problems = [...(await cppToolchainProblems()), ...(await nativeToolchainProblems())];
    if (problems.length) this.skip();
    this.timeout(20 * 60_000);
    const pr = prover({ witness: "cpp", prover: "native" });
    const b = await batchOf(2);
    const r = await pr.prove(b.circuitInput);
    expect([r.witnessBackend, r.proverBackend]).to.deep.equal(["cpp", "native"]);
    expect(r.publicSignals).to.deep.equal(b.publicSignals.map(String));
    expect(await pr.verify(r.proof, r.publicSignals)).to.equal(true);
  });

  it("an inconsistent input gives a clear error and no proof", async () => {
    const pr = prover({ witness: "wasm", prover: "snarkjs" });
    /** Batch `pick`'s input with sender slot `i`'s balance off by one (its sender proof then implies another root). */
    const tampered = async (pick: (w: World) => SignedTransfer[], i: number) => {
      const w = await World.make(c, p);
      const b = w.batch({ l1Ops: [], txs: pick(w) }, [w.idx.fees]);
      expect(b.rejected).to.deep.equal([]);
      const bal = [...(b.circuitInput.senderBalance as string[])];
      bal[i] = (BigInt(bal[i]) + 1n).toString();
      return { ...b.circuitInput, senderBalance: bal };
    };
    // an exit (no receiver proof to contradict it) followed by a slot: the chain of roots breaks
    const chain = await tampered((w) => [w.sign("bob", null, 5n, 0n), w.sign("alice", "bob", 7n, 0n)], 0);
    await expectError(pr.prove(chain), /transaction 0: its new root is not the root transaction 1's sender proof is for \(inconsistent input\)/);
    // a transfer: its receiver's proof is not for the root after the tampered sender
    await expectError(
      pr.prove(await tampered((w) => [w.sign("alice", "bob", 7n, 0n)], 0)),
      /witness computation for circuit "test_d4_b2_linked transfer" failed/,
    );
    // an exit and padding: the shell's head gives another root than the exit's
    await expectError(pr.prove(await tampered((w) => [w.sign("bob", null, 5n, 0n)], 0)), /witness computation for circuit "test_d4_b2_linked shell" failed/);
  });

  it("on a local chain, the Rollup with the linked setup's verifier accepts its proofs of deposits, transfers and an exit, not the monolithic key's", async function () {
    this.timeout(20 * 60_000);
    const pr = prover({ witness: "auto", prover: "auto" });
    const proofs = new LocalProofQueue(setup.manifest, { prover: pr });
    const d = await deployRollup({
      signer: deployer,
      ...setupVerifier(setup.manifest),
      fallback: await realFallback(p),
      poseidon: await sharedPoseidon(),
      params: p,
      sequencer: sequencer.address,
      ...E2E_POLICY,
    });
    const dom = { chainId: d.chainId, rollupAddress: BigInt(d.rollupAddress) };
    const state = new L2State(c, p);
    const op: OneShotContext = { state, rollup: d.rollup.connect(sequencer), proofs, domain: dom, feeIdx: [1n], fromBlock: d.blockNumber };
    const k = await Promise.all([0, 1, 2].map(() => L2Key.random()));
    const ETH = 10n ** 18n;
    await mined(d.rollup.connect(sequencer).depositETH(k[0].ax, k[0].ay, { value: ETH / 100n + E2E_POLICY.l1OpFee })); // 1: fees
    await mined(d.rollup.connect(alice).depositETH(k[1].ax, k[1].ay, { value: 2n * ETH + E2E_POLICY.l1OpFee })); // 2
    await mined(d.rollup.connect(bob).depositETH(k[2].ax, k[2].ay, { value: ETH + E2E_POLICY.l1OpFee })); // 3
    while ((await d.rollup.l1Processed()) < 3n) await submitNextBatch(op);
    const sign = (i: number, t: { from: bigint; to: bigint; amount: bigint; fee: bigint; nonce: bigint }) => signTransfer(c.hash, k[i], t, dom, p);
    const t = await submitNextBatch(op, [
      sign(1, { from: 2n, to: 3n, amount: ETH / 2n, fee: 10n ** 15n, nonce: 0n }),
      sign(2, { from: 3n, to: 0n, amount: ETH / 4n, fee: 0n, nonce: 0n }),
    ]);
    expect(t.batch.rejected).to.deep.equal([]);
    expect(await d.rollup.stateRoot()).to.equal(state.root);
    expect(state.account(3n)?.balance).to.equal(ETH + ETH / 2n - ETH / 4n);

    // The monolithic test instance proves the same batch input (the same public signals), but
    // with another key: the linked verifier refuses it.
    const l1HashStart = await d.rollup.l1ChainHash(await d.rollup.l1Processed());
    const { batch: next, cp } = assembleBatch(
      state,
      { l1Ops: [], txs: [sign(1, { from: 2n, to: 3n, amount: 1n, fee: 0n, nonce: 1n })] },
      { domain: dom, feeIdx: [1n], l1HashStart },
    );
    state.revert(cp);
    const mono = new Prover((await testSetup()).manifest, { log: () => {} });
    provers.push(mono);
    const r = await mono.prove(next.circuitInput);
    expect(r.publicSignals).to.deep.equal(next.publicSignals.map(String));
    const verifier = await ethers.getContractAt("IVerifier", await d.rollup.verifier());
    expect(await verifier.getFunction("verifyProof")(packGroth16Proof(r.proof), next.publicSignals)).to.equal(false);
    const own = await pr.prove(next.circuitInput);
    expect(await verifier.getFunction("verifyProof")(packGroth16Proof(own.proof), next.publicSignals)).to.equal(true);
    await proofs.close();
  });
});

async function expectError(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    expect((e as Error).message).to.match(re);
    return;
  }
  expect.fail(`expected an error matching ${re}`);
}
