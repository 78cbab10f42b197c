// The circuit templates against the known-answer vectors of test/vectors/kat.json: for each
// vector, the witness of the template that computes it (checked against every constraint) holds
// the vector's output. The model (test/model/kat.test.ts) and Rollup.sol
// (test/contracts/Kat.test.ts) check the same file.
import { expect } from "chai";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { deriveParams } from "../../src/model/params.js";
import { L2State } from "../../src/model/state.js";
import { CircuitTester, failsAt, l1OpInput, terminateCurve } from "./helpers.js";
import { big, kat, katL1Op } from "../vectors/kat.js";

after(terminateCurve);

describe("known-answer vectors: the circuit templates (test/vectors/kat.json)", function () {
  let c: ZkrCrypto;
  before(async () => {
    c = await loadCrypto();
  });

  it("AccountLeaf: the leaf of every vector", async () => {
    const leaf = await CircuitTester.compile("account_leaf", ["account_leaf.circom"], "AccountLeaf()");
    for (const v of kat.accountLeaf) {
      const w = await leaf.expectPass({ ax: v.ax, ay: v.ay, tokenId: v.tokenId, balance: v.balance, nonce: v.nonce });
      expect(leaf.get(w, "out"), v.name).to.equal(big(v.leaf));
    }
  });

  for (const [label, main, vectors] of [
    ["float40", "FloatDecode(5, 35)", kat.float40],
    ["float8", "FloatDecode(4, 4)", kat.float8],
  ] as const) {
    it(`${main}: the value of every encoding and decoding vector, and no witness for a wider word`, async () => {
      const t = await CircuitTester.compile(label, ["float_decode.circom"], main);
      for (const v of [...vectors.encode, ...vectors.decode]) {
        const w = await t.expectPass({ in: big(v.packed) });
        expect(t.get(w, "out"), `${label} ${v.name}`).to.equal(big(v.value));
      }
      for (const p of vectors.outOfRange) await t.expectAssertFail({ in: big(p) }, failsAt("Num2Bits"));
    });
  }

  it("SchnorrVerifier128: the challenge hash and challenge of every vector; the transfer vectors' signatures verify", async () => {
    const t = await CircuitTester.compile("schnorr128", ["schnorr.circom"], "SchnorrVerifier128()");
    // disabled: no signature is checked, the challenge is still computed from the inputs
    for (const v of kat.signatureChallenge) {
      const w = await t.expectPass({ enabled: 0, Ax: v.ax, Ay: v.ay, S: 0, R8x: v.R8x, R8y: v.R8y, domain: v.domain, word: v.word });
      expect([t.get(w, "h"), t.get(w, "c")], v.name).to.deep.equal([big(v.hash), big(v.challenge)]);
    }
    const tv = kat.transfer;
    for (const v of tv.transfers) {
      const s = v.signature;
      const input = { enabled: 1, Ax: tv.ax, Ay: tv.ay, S: s.S, R8x: s.R8x, R8y: s.R8y, domain: tv.domain, word: big(v.word) };
      const w = await t.expectPass(input);
      expect([t.get(w, "h"), t.get(w, "c")], v.name).to.deep.equal([big(v.challengeHash), big(v.challenge)]);
      await t.expectAssertFail({ ...input, word: big(v.word) + 1n }, failsAt("ForceEqualIfEnabled"));
    }
  });

  it("Transfer(2, 1): the posted word, the signed word and its challenge of the transfer vectors (one index byte, as at D = 4)", async () => {
    const t = await CircuitTester.compile("transfer_d2_f1", ["transfer.circom"], "Transfer(2, 1)");
    const tv = kat.transfer;
    expect(tv.idxBytes).to.equal(1); // Transfer(2, ·) packs indexes into one byte too
    const p = deriveParams({ name: "transfer_d2", description: "", depth: 2, batchSize: 1, l1Slots: 1, feeSlots: 1 });
    const key = await L2Key.fromPrivateKey(tv.privateKey);
    const s = new L2State(c, p);
    // the vectors' senders with the vectors' nonces, and a fee account of the same token
    for (const nonce of [7n, 3n, 0n]) s.createAccount({ ax: key.ax, ay: key.ay, owner: 0n, tokenId: 0n, balance: 2n * 10n ** 18n, nonce });
    const domain = { chainId: big(tv.chainId), rollupAddress: big(tv.rollupAddress) };
    const leaf = (prefix: string, l: ReturnType<L2State["witness"]>) => ({
      [`${prefix}Ax`]: l.account.ax,
      [`${prefix}Ay`]: l.account.ay,
      [`${prefix}Token`]: l.account.tokenId,
      [`${prefix}Balance`]: l.account.balance,
      [`${prefix}Nonce`]: l.account.nonce,
      [`${prefix}Siblings`]: l.proof.flat(),
    });
    for (const v of tv.transfers) {
      const tx = { from: big(v.from), to: big(v.to), amount: big(v.amount), fee: big(v.fee), nonce: big(v.nonce) };
      const sig = { R8x: big(v.signature.R8x), R8y: big(v.signature.R8y), S: big(v.signature.S) };
      const rootIn = s.root;
      const { sender, receiver } = s.applyTransfer({ ...tx, signature: sig }, domain, [0n]);
      const w = await t.expectPass({
        rootIn,
        domain: tv.domain,
        feeEnabled: [1],
        feeToken: [0],
        from: tx.from,
        to: tx.to,
        amountF: big(v.amountF),
        feeF: big(v.feeF),
        sigS: sig.S,
        sigR8x: sig.R8x,
        sigR8y: sig.R8y,
        ...leaf("sender", sender),
        ...leaf("receiver", receiver),
      });
      expect(t.get(w, "enabled"), v.name).to.equal(1n);
      expect(t.get(w, "txWord"), `${v.name}: the posted word is the calldata`).to.equal(big(v.calldata));
      expect(t.get(w, "feeAdd[0]"), v.name).to.equal(big(v.fee));
      expect(t.get(w, "rootOut"), v.name).to.equal(s.root);
      // the signed word txPacked·2^32 + nonce enters the challenge hash (it is no wire of its own)
      expect([t.get(w, "sig.h"), t.get(w, "sig.c")], v.name).to.deep.equal([big(v.challengeHash), big(v.challenge)]);
    }
  });

  it("L1Op(2, 1): the chain hash of every L1-operation vector, each from the one before", async () => {
    const t = await CircuitTester.compile("l1_op_d2_t1", ["l1_op.circom"], "L1Op(2, 1)");
    const s = new L2State(c, deriveParams({ name: "l1op_d2", description: "", depth: 2, batchSize: 1, l1Slots: 1, feeSlots: 1 }));
    let prev = 0n;
    for (const v of kat.l1Op.chain) {
      expect(big(v.prev), v.name).to.equal(prev);
      const w = await t.expectPass(l1OpInput(s, big(v.prev), katL1Op(v)).input);
      expect(t.get(w, "hashOut"), v.name).to.equal(big(v.hash));
      expect(t.get(w, "rootOut"), v.name).to.equal(s.root);
      prev = big(v.hash);
    }
  });

  it("PublicInputs(m): the commitment and evaluation of every coefficient vector and of the batch vector", async () => {
    const cases = [...kat.publicInputs.polynomial, kat.publicInputs.batch];
    for (const v of cases) {
      const m = v.coefficients.length;
      const t = await CircuitTester.compile(`public_inputs_m${m}`, ["public_inputs.circom"], `PublicInputs(${m})`);
      const w = await t.expectPass({ coef: v.coefficients.map(big), challenge: big(v.challenge) });
      expect(t.get(w, "evaluation"), v.name).to.equal(big(v.evaluation));
      expect(t.get(w, `acc[${Math.ceil(m / 15)}]`), `${v.name}: the commitment`).to.equal(big(v.commitment));
    }
  });
});
