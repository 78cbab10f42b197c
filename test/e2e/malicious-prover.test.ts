// A malicious sequencer tries to drain the rollup with real proofs and the real verifier: two
// users deposit 10 ETH each, then the sequencer proves batches that open the attacker's leaf with
// another decomposition of its packed state word (test/circuits/malicious.test.ts has every such
// opening at the circuit level). Its witness is circom's own witness code with every `===`
// skipped (test/circuits/lenient.ts), proven with snarkjs and the rollup's proving key. Before
// every leaf read was range-checked these witnesses satisfied the circuit, the proofs verified
// and the contract paid out 20 ETH to the attacker; now the proofs do not verify and L1 rejects them.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { groth16 } from "snarkjs";
import type { Account } from "../../src/model/account.js";
import { batchArgs } from "../../src/chain/calldata.js";
import { signTransfer } from "../../src/model/tx.js";
import { packGroth16Proof } from "../../src/proving/proof.js";
import { aliasOf, CircuitTester, site, uncheckedBatchInput, type L1Outcome, type LeafSite, type UncheckedBatch } from "../circuits/helpers.js";
import { LenientWitnessCalculator } from "../circuits/lenient.js";
import { batchMainSource } from "../../src/proving/setup.js";
import { ethers } from "../contracts/fixture.js";
import { alice, bob, deployer, sequencer } from "../contracts/fixture.js";
import { expectRevert } from "../contracts/helpers.js";
import { closeProver, ETH, FEE, keys, mined, newWorld, params, type World } from "./helpers.js";

describe("a malicious sequencer cannot drain the rollup (real verifier, real proofs)", function () {
  let w: World;
  let k: Awaited<ReturnType<typeof keys>>;
  let lenient: LenientWitnessCalculator;
  let tester: CircuitTester;
  /** What the contract holds after the honest deposits: 20 ETH and the operations' fees. */
  let held: bigint;

  before(async () => {
    w = await newWorld(deployer, sequencer, { feeIdx: [] });
    k = await keys(2);
    lenient = await LenientWitnessCalculator.load(w.manifest.wasm);
    tester = await CircuitTester.compileSource("batch_d4_n2_l2_f1", batchMainSource(params));
    // batch 1, honest: alice (account 1, the victim) and bob (account 2, the attacker's) deposit 10 ETH each
    await mined(w.d.rollup.connect(alice).depositETH(k[0].ax, k[0].ay, { value: 10n * ETH + FEE }));
    await mined(w.d.rollup.connect(bob).depositETH(k[1].ax, k[1].ay, { value: 10n * ETH + FEE }));
    await w.submit();
    held = await ethers.provider.getBalance(w.d.rollupAddress);
    expect(held).to.equal(20n * ETH + 2n * FEE);
  });
  after(closeProver);

  /** The malicious prover's batch and proof: `openAs` opens leaves as it likes, `l1Outcomes` decides what its L1 operations did. */
  async function cheat(
    contents: Parameters<typeof uncheckedBatchInput>[3],
    openAs?: (at: LeafSite, a: Account) => Account | undefined,
    l1Outcomes?: L1Outcome[],
  ): Promise<{ b: UncheckedBatch; proof: bigint[]; verifies: boolean; violations: string[] }> {
    const l1HashStart = await w.d.rollup.l1ChainHash(await w.d.rollup.l1Processed());
    const b = uncheckedBatchInput(w.crypto.hash, params, w.state.entries(), contents, { domain: w.domain, feeIdx: [0n], l1HashStart, openAs, l1Outcomes });
    const lw = await lenient.compute(b.circuitInput);
    const { proof, publicSignals } = await groth16.prove(w.manifest.zkey, lw.wtns);
    expect(publicSignals.map(BigInt), "the proof claims exactly the contract's public signals").to.deep.equal(b.publicSignals);
    const vkey = JSON.parse(readFileSync(w.manifest.vkey, "utf8"));
    return { b, proof: packGroth16Proof(proof), verifies: await groth16.verify(vkey, publicSignals, proof), violations: tester.violations(lw.witness) };
  }

  const submit = (b: UncheckedBatch, proof: bigint[]) =>
    w.d.rollup.connect(sequencer).submitBatch(...batchArgs({ ...b.data, commitment: b.commitment }), proof);

  async function nothingChanged(root: bigint, batches: bigint) {
    expect(await w.d.rollup.stateRoot()).to.equal(root);
    expect(await w.d.rollup.batchNumber()).to.equal(batches);
    expect(await w.d.rollup.claimable(bob.address, 0)).to.equal(0n);
    expect(await ethers.provider.getBalance(w.d.rollupAddress)).to.equal(held);
  }

  const senderRange = (...fields: string[]) =>
    fields.map((f) =>
      site(
        "tx[0]",
        ["AccountUpdate", "transfer.circom", "signal rootMid <== AccountUpdate(D)"],
        ["Num2Bits", "account_update.circom", `Num2Bits(${f.endsWith("Balance") ? 128 : 32})(${f})`],
        "out",
      ),
    );

  it("an exit of 20 ETH from the attacker's 10 ETH account (leaf opened as token −1, balance + 2^128) is rejected on L1", async () => {
    const root = await w.d.rollup.stateRoot();
    const exit = signTransfer(w.crypto.hash, k[1], { from: 2n, to: 0n, amount: 20n * ETH, fee: 0n, nonce: 0n }, w.domain, params);
    const { b, proof, verifies, violations } = await cheat({ txs: [exit] }, (at, a) =>
      at.kind === "sender" ? aliasOf(a, { tokenId: -1n, balance: 1n << 128n }) : undefined,
    );
    expect(violations, "what the circuit now rejects").to.deep.equal(senderRange("oldToken", "oldBalance", "newToken"));
    expect(verifies, "the proof verifies off-chain").to.equal(false);
    await expectRevert(submit(b, proof), w.d.rollup, "InvalidProof");
    await nothingChanged(root, 1n);
  });

  it("a forced exit that pays 20 ETH out of a 10 ETH account is rejected on L1; the honest batch pays 10", async () => {
    const root = await w.d.rollup.stateRoot();
    await mined(w.d.rollup.connect(bob).forceExit(2, { value: FEE }));
    held += FEE;
    const [op] = (await w.pendingL1Ops()).slice(0, 1);
    const { b, proof, verifies } = await cheat({ l1Ops: [op], txs: [] }, (at, a) =>
      at.kind === "l1" ? aliasOf(a, { balance: 10n * ETH, nonce: -(10n * ETH) << 32n }) : undefined,
    );
    expect(b.data.l1Results.length).to.equal(16);
    expect(verifies).to.equal(false);
    await expectRevert(submit(b, proof), w.d.rollup, "InvalidProof");
    await nothingChanged(root, 1n);
    // the honest batch consumes the forced exit and pays what the account holds
    await w.submit();
    expect(await w.d.rollup.claimable(bob.address, 0)).to.equal(10n * ETH);
    await mined(w.d.rollup.connect(bob).withdraw(0));
    expect(await ethers.provider.getBalance(w.d.rollupAddress)).to.equal(held - 10n * ETH);
  });

  it("a forced transfer skipped, or applied beyond the balance, is rejected on L1; the honest batches apply it, and the money comes out", async () => {
    const rollup = w.d.rollup;
    held -= 10n * ETH; // bob's forced exit, withdrawn above
    // alice (account 1, 10 ETH) forces 3 ETH to bob's account 2 (0 ETH since his forced exit)
    await mined(rollup.connect(alice).forceTransfer(1, 2, 3n * ETH, { value: FEE }));
    held += FEE;
    let root = await rollup.stateRoot();
    let [op] = await w.pendingL1Ops();
    const skipped = await cheat({ l1Ops: [op!], txs: [] }, undefined, [{ applied: false, result: 0n }]);
    expect(skipped.verifies, "a proof that skips a valid forced transfer").to.equal(false);
    await expectRevert(submit(skipped.b, skipped.proof), rollup, "InvalidProof");
    await nothingChanged(root, 2n);
    await w.submit();
    expect([w.state.account(1n)!.balance, w.state.account(2n)!.balance]).to.deep.equal([7n * ETH, 3n * ETH]);
    // then 20 ETH, more than the 7 left: the sequencer claims it moved (alice's balance wraps)
    await mined(rollup.connect(alice).forceTransfer(1, 2, 20n * ETH, { value: FEE }));
    held += FEE;
    root = await rollup.stateRoot();
    [op] = await w.pendingL1Ops();
    const minted = await cheat({ l1Ops: [op!], txs: [] }, undefined, [{ applied: true, result: 0n }]);
    expect(minted.verifies, "a proof that applies an uncovered forced transfer").to.equal(false);
    await expectRevert(submit(minted.b, minted.proof), rollup, "InvalidProof");
    await nothingChanged(root, 3n);
    await w.submit(); // a no-op
    expect([w.state.account(1n)!.balance, w.state.account(2n)!.balance]).to.deep.equal([7n * ETH, 3n * ETH]);
    // bob takes the 3 ETH out with a forced exit: paid on L1
    await mined(rollup.connect(bob).forceExit(2, { value: FEE }));
    held += FEE;
    await w.submit();
    expect(await rollup.claimable(bob.address, 0)).to.equal(3n * ETH);
    await mined(rollup.connect(bob).withdraw(0));
    expect(await ethers.provider.getBalance(w.d.rollupAddress)).to.equal(held - 3n * ETH);
  });
});
