import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";
import { accountLeaf, MAX_BALANCE, packedState, type Account } from "../../src/model/account.js";
import { buildBatch } from "../../src/model/batch.js";
import { l1ChainStep, L1OpKind, type L1Op } from "../../src/model/l1op.js";
import { concatBytes, fromHex, toBytesBE, toHex } from "../../src/model/bytes.js";
import { loadCrypto, poseidonHasher, SNARK_FIELD, type ZkrCrypto } from "../../src/model/crypto.js";
import { decodeFloat, encodeFloat, FLOAT40, FLOAT8, FloatEncodingError, floatMax } from "../../src/model/float.js";
import { blake512 } from "@noble/hashes/blake1";
import type { EdDSA } from "circomlibjs";
import { L2Key, signatureChallenge, verifySignature, type SignatureMessage } from "../../src/model/keys.js";
import { deriveParams } from "../../src/model/params.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { batchCoefficients, coefficientCount, computePublicInputs, dataCommitment, publicSignalsFor, txsPerCoefficient } from "../../src/model/publicInputs.js";
import { L2State, OutOfSyncError, TxRejectedError } from "../../src/model/state.js";
import { AccountTree, positionAt, rootFromProof, siblingCount, treeLevels, zeroProof } from "../../src/model/tree.js";
import {
  decodeTransfer,
  encodeTransfer,
  signTransfer,
  transferFromJSON,
  transferId,
  transferMessage,
  transferToJSON,
  TxFormatError,
  type Domain,
  type Transfer,
} from "../../src/model/tx.js";

const params = getInstance(TEST_INSTANCE);
const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };

describe("float amounts", () => {
  it("round-trips exactly representable values with the smallest exponent", () => {
    for (const v of [0n, 1n, 34359738367n, 34359738360n * 10n, 10n ** 18n, 123456789n * 10n ** 20n, floatMax(FLOAT40)]) {
      const packed = encodeFloat(FLOAT40, v);
      expect(decodeFloat(FLOAT40, packed)).to.equal(v);
      expect(packed >> 40n).to.equal(0n);
    }
    expect(encodeFloat(FLOAT40, 34359738367n)).to.equal(34359738367n); // e = 0
    expect(encodeFloat(FLOAT40, 10n ** 18n) >> 35n).to.equal(8n); // 10^18 = 10^10 · 10^8 → e = 8
    expect(encodeFloat(FLOAT8, 15n * 10n ** 15n)).to.equal(0xffn);
    expect(decodeFloat(FLOAT8, 0x23n)).to.equal(300n);
  });

  it("rejects values it cannot represent exactly, never rounding", () => {
    for (const v of [34359738369n * 10n + 1n, floatMax(FLOAT40) + 1n, floatMax(FLOAT40) * 10n, -1n]) {
      expect(() => encodeFloat(FLOAT40, v)).to.throw(FloatEncodingError);
    }
    expect(() => encodeFloat(FLOAT8, 16n * 10n ** 15n)).to.throw(FloatEncodingError);
    expect(() => encodeFloat(FLOAT8, 17n)).to.throw(FloatEncodingError);
    expect(() => decodeFloat(FLOAT40, 1n << 40n)).to.throw(FloatEncodingError);
  });
});

describe("account tree (8-ary levels, 4-ary top)", () => {
  let c: ZkrCrypto;
  before(async () => (c = await loadCrypto()));
  const eight = (shift: number) => ({ arity: 8, shift });

  it("has floor(2D/3) 8-ary levels and a 4-ary top for the 1 or 2 bits left", () => {
    expect(treeLevels(2)).to.deep.equal([eight(0), { arity: 4, shift: 3 }]);
    expect(treeLevels(3)).to.deep.equal([eight(0), eight(3)]);
    expect(treeLevels(4)).to.deep.equal([eight(0), eight(3), { arity: 4, shift: 6 }]);
    expect(treeLevels(12)).to.deep.equal([0, 3, 6, 9, 12, 15, 18, 21].map(eight));
    expect(treeLevels(16)).to.deep.equal([...[0, 3, 6, 9, 12, 15, 18, 21, 24, 27].map(eight), { arity: 4, shift: 30 }]);
    expect([2, 3, 4, 12, 16].map(siblingCount)).to.deep.equal([7 + 3, 14, 14 + 3, 56, 70 + 3]);
    expect(zeroProof(4)).to.deep.equal([Array(7).fill(0n), Array(7).fill(0n), Array(3).fill(0n)]);
    for (const bad of [0, 17, 1.5]) expect(() => treeLevels(bad)).to.throw(/depth/);
    // positions: 3 bits per 8-ary level, the rest at the top
    const [l0, l1, top] = treeLevels(4);
    expect([positionAt(0b11_010_101n, l0), positionAt(0b11_010_101n, l1), positionAt(0b11_010_101n, top)]).to.deep.equal([5, 2, 3]);
  });

  it("empty root is the chain of zero hashes and proofs verify after updates (D = 3: two 8-ary levels)", () => {
    const t = new AccountTree(3, c.hash);
    const z1 = c.hash(Array(8).fill(0n));
    expect(t.zeros).to.deep.equal([0n, z1, c.hash(Array(8).fill(z1))]);
    expect(t.root).to.equal(c.hash(Array(8).fill(z1)));
    t.update(5n, 111n);
    t.update(6n, 222n);
    t.update(63n, 333n);
    // leaf 5 = level-0 position 5 under node 0; its siblings are leaves 0–4, 6, 7
    expect(t.proof(5n)).to.deep.equal([
      [0n, 0n, 0n, 0n, 0n, 222n, 0n],
      [z1, z1, z1, z1, z1, z1, c.hash([0n, 0n, 0n, 0n, 0n, 0n, 0n, 333n])],
    ]);
    const n0 = c.hash([0n, 0n, 0n, 0n, 0n, 111n, 222n, 0n]);
    const n7 = c.hash([0n, 0n, 0n, 0n, 0n, 0n, 0n, 333n]);
    expect(t.root).to.equal(c.hash([n0, z1, z1, z1, z1, z1, z1, n7]));
    for (const i of [0n, 5n, 6n, 63n, 20n]) expect(rootFromProof(c.hash, 3, t.leaf(i), i, t.proof(i))).to.equal(t.root);
    expect(rootFromProof(c.hash, 3, 112n, 5n, t.proof(5n))).to.not.equal(t.root);
    expect(rootFromProof(c.hash, 3, 111n, 4n, t.proof(5n))).to.not.equal(t.root);
    expect(() => rootFromProof(c.hash, 4, 111n, 5n, t.proof(5n))).to.throw(/3 levels, got 2/);
    expect(positionAt(63n, t.levels[1])).to.equal(7);
    expect(() => t.update(64n, 1n)).to.throw(/out of range/);
    // clearing the leaves gives the empty tree back
    for (const i of [5n, 6n, 63n]) t.update(i, 0n);
    expect(t.root).to.equal(t.zeros[2]);
  });

  it("D = 2 (one 8-ary level, a 4-ary top with one bit): the root of an independent full-tree computation", () => {
    const t = new AccountTree(2, c.hash);
    const leaves = Array.from({ length: 16 }, (_, i) => (i % 3 === 1 ? BigInt(1000 + i) : 0n));
    leaves.forEach((v, i) => v !== 0n && t.update(BigInt(i), v));
    // the top's children 2 and 3 are beyond index 15: empty subtrees of one 8-ary level
    const z1 = c.hash(Array(8).fill(0n));
    const n0 = c.hash(leaves.slice(0, 8));
    const n1 = c.hash(leaves.slice(8, 16));
    expect(t.root).to.equal(c.hash([n0, n1, z1, z1]));
    expect(new AccountTree(2, c.hash).root).to.equal(c.hash([z1, z1, z1, z1]));
    expect(t.proof(10n)).to.deep.equal([
      [...leaves.slice(8, 10), ...leaves.slice(11, 16)],
      [n0, z1, z1],
    ]);
    expect(t.proof(3n)[1]).to.deep.equal([n1, z1, z1]);
    for (let i = 0n; i < 16n; i++) expect(rootFromProof(c.hash, 2, t.leaf(i), i, t.proof(i))).to.equal(t.root);
    expect(positionAt(15n, t.levels[1])).to.equal(1);
    expect(() => t.update(16n, 1n)).to.throw(/out of range/);
  });

  it("an account's leaf is Poseidon(ax, ay, tokenId·2^160 + balance·2^32 + nonce), without the owner", () => {
    const a: Account = { ax: 12345n, ay: 67890n, owner: 0xa11cen, tokenId: 0xffffffffn, balance: MAX_BALANCE, nonce: 0xfffffffen };
    const packed = (0xffffffffn << 160n) + (MAX_BALANCE << 32n) + 0xfffffffen;
    expect(packedState(a)).to.equal(packed);
    expect(packed >> 192n).to.equal(0n);
    expect(accountLeaf(c.hash, a)).to.equal(c.hash([12345n, 67890n, packed]));
    expect(accountLeaf(c.hash, { ...a, owner: 0xb0bn })).to.equal(accountLeaf(c.hash, a));
    expect(accountLeaf(c.hash, { ...a, nonce: a.nonce + 1n })).to.not.equal(accountLeaf(c.hash, a));
  });
});

describe("transactions and signatures", () => {
  let c: ZkrCrypto;
  let key: L2Key;
  before(async () => {
    c = await loadCrypto();
    key = await L2Key.random();
  });

  it("encodes a transfer in txBytes bytes and decodes it back", () => {
    const t: Transfer = { from: 3n, to: 200n, amount: 5n * 10n ** 17n, fee: 20n, nonce: 7n };
    const bytes = encodeTransfer(t, params);
    expect(bytes.length).to.equal(params.txBytes).and.to.equal(8);
    expect(decodeTransfer(bytes, params)).to.deep.equal({ from: 3n, to: 200n, amount: t.amount, fee: 20n });
    const d12 = deriveParams({ name: "x", description: "", depth: 12, batchSize: 1, l1Slots: 1, feeSlots: 1 });
    expect(encodeTransfer({ ...t, from: 16777215n }, d12).length).to.equal(12);
    expect(() => encodeTransfer({ ...t, to: 256n }, params)).to.throw(/out of range/);
  });

  it("a signature verifies only for the same transfer, nonce, chain and rollup", () => {
    const t: Transfer = { from: 1n, to: 2n, amount: 1000n, fee: 1n, nonce: 0n };
    const s = signTransfer(c.hash, key, t, domain, params);
    const ok = (tt: Transfer, d: Domain) => verifySignature(c.eddsa, transferMessage(c.hash, tt, d, params), s.signature, key.ax, key.ay);
    expect(ok(t, domain)).to.equal(true);
    expect(ok({ ...t, amount: 1001n }, domain)).to.equal(false);
    expect(ok({ ...t, nonce: 1n }, domain)).to.equal(false);
    expect(ok(t, { ...domain, chainId: 1n })).to.equal(false);
    expect(ok(t, { ...domain, rollupAddress: domain.rollupAddress + 1n })).to.equal(false);
    expect(transferFromJSON(JSON.parse(JSON.stringify(transferToJSON(s))))).to.deep.equal(s);
    expect(() => transferFromJSON({ ...transferToJSON(s), amount: "-5" })).to.throw(/amount/);
    expect(() => transferFromJSON({ from: "1" })).to.throw(/signature/);
  });

  it("transferMessage is (domain, txPacked·2^32 + nonce); the id keeps the old Poseidon(domain, txPacked, nonce)", () => {
    const t: Transfer = { from: 3n, to: 200n, amount: 5n * 10n ** 17n, fee: 20n, nonce: 7n };
    const txPacked = BigInt(toHex(encodeTransfer(t, params)));
    const dom = c.hash([domain.chainId, domain.rollupAddress]);
    expect(transferMessage(c.hash, t, domain, params)).to.deep.equal({ domain: dom, word: txPacked * 2n ** 32n + 7n });
    expect(transferId(c.hash, t, domain, params)).to.equal(c.hash([dom, txPacked, 7n]));
    const last = { ...t, nonce: 2n ** 32n - 1n };
    expect(transferMessage(c.hash, last, domain, params).word).to.equal(txPacked * 2n ** 32n + 2n ** 32n - 1n);
    for (const nonce of [2n ** 32n, -1n]) {
      expect(() => transferMessage(c.hash, { ...t, nonce }, domain, params)).to.throw(TxFormatError, /nonce/);
      expect(() => transferId(c.hash, { ...t, nonce }, domain, params)).to.throw(TxFormatError, /nonce/);
    }
  });

  describe("Schnorr-128 signatures", () => {
    const l = (e: EdDSA) => e.babyJub.subOrder;
    const m: SignatureMessage = { domain: 123456789n, word: (0xabcdefn << 32n) + 5n };
    const pt = (e: EdDSA, x: bigint, y: bigint): [Uint8Array, Uint8Array] => [e.F.e(x), e.F.e(y)];
    const xy = (e: EdDSA, p: [Uint8Array, Uint8Array]) => [e.F.toObject(p[0]), e.F.toObject(p[1])];
    /** circomlibjs's pruned secret scalar, derived independently of src/model/keys.ts. */
    const secretOf = (k: L2Key) => {
      const h = blake512(fromHex(k.privateKey)).slice(0, 32);
      h[0] &= 0xf8;
      h[31] = (h[31] & 0x7f) | 0x40;
      return BigInt(toHex(h.reverse()));
    };
    /** A signature made by hand with the challenge `challenge(h)` of the full hash h. */
    const forge = (k: L2Key, msg: SignatureMessage, challenge: (h: bigint) => bigint, nonce = 987654321n) => {
      const e = c.eddsa;
      const [R8x, R8y] = xy(e, e.babyJub.mulPointEscalar(e.babyJub.Base8, nonce));
      const h = e.F.toObject(e.poseidon([R8x, R8y, k.ax, k.ay, msg.domain, msg.word]));
      return { R8x, R8y, S: (nonce + challenge(h) * secretOf(k)) % l(e) };
    };

    it("keys are circomlibjs's: A = prv2pub(priv) = (s/8)·B8, so 8·A = s·B8", async () => {
      const e = c.eddsa;
      const s = secretOf(key);
      expect(s % 8n).to.equal(0n);
      expect(xy(e, e.prv2pub(fromHex(key.privateKey)))).to.deep.equal([key.ax, key.ay]);
      expect(xy(e, e.babyJub.mulPointEscalar(e.babyJub.Base8, s >> 3n))).to.deep.equal([key.ax, key.ay]);
      const a8 = e.babyJub.mulPointEscalar(pt(e, key.ax, key.ay), 8n);
      expect(xy(e, a8)).to.deep.equal(xy(e, e.babyJub.mulPointEscalar(e.babyJub.Base8, s)));
    });

    it("signs deterministically with c = the low 128 bits of Poseidon(R8, A, domain, word)", async () => {
      const k = await L2Key.fromPrivateKey("0x" + "07".repeat(32));
      const sig = k.sign(m);
      expect(k.sign(m)).to.deep.equal(sig);
      expect(k.sign({ ...m, word: m.word + 1n })).to.not.deep.equal(sig);
      const h = c.eddsa.F.toObject(c.eddsa.poseidon([sig.R8x, sig.R8y, k.ax, k.ay, m.domain, m.word]));
      expect(signatureChallenge(c.eddsa, sig.R8x, sig.R8y, k.ax, k.ay, m)).to.equal(h % 2n ** 128n);
      expect(sig.S < l(c.eddsa)).to.equal(true);
      expect(verifySignature(c.eddsa, m, sig, k.ax, k.ay)).to.equal(true);
      // A hand-made signature with the same rule verifies too (the forgeries below are made the same way).
      expect(
        verifySignature(
          c.eddsa,
          m,
          forge(k, m, (h) => h % 2n ** 128n),
          k.ax,
          k.ay,
        ),
      ).to.equal(true);
      expect(() => k.sign({ ...m, word: SNARK_FIELD })).to.throw(/field elements/);
    });

    it("rejects another key, message or domain, a tampered field, S ≥ l, off-curve points and a wrong challenge", async () => {
      const e = c.eddsa;
      const sig = key.sign(m);
      const other = await L2Key.random();
      const ok = (mm: SignatureMessage, ss: typeof sig, ax = key.ax, ay = key.ay) => verifySignature(e, mm, ss, ax, ay);
      expect(ok(m, sig)).to.equal(true);
      expect(ok(m, sig, other.ax, other.ay), "other key").to.equal(false);
      expect(ok(m, other.sign(m)), "signed by another key").to.equal(false);
      expect(ok({ ...m, domain: m.domain + 1n }, sig), "other domain").to.equal(false);
      expect(ok({ ...m, word: m.word + 1n }, sig), "other word").to.equal(false);
      expect(ok({ domain: m.word, word: m.domain }, sig), "fields swapped").to.equal(false);
      for (const f of ["R8x", "R8y", "S"] as const) expect(ok(m, { ...sig, [f]: sig[f] + 1n }), `${f} + 1`).to.equal(false);
      // S + l is the same point S·B8 (the equation holds): only the range check rejects it.
      expect(ok(m, { ...sig, S: sig.S + l(e) }), "S + l").to.equal(false);
      expect(ok(m, { ...sig, S: -1n }), "S < 0").to.equal(false);
      // Coordinates are field elements, never reduced: x + p would be the same point for circomlibjs.
      expect(ok(m, { ...sig, R8x: sig.R8x + SNARK_FIELD }), "R8x + p").to.equal(false);
      expect(ok(m, sig, key.ax + SNARK_FIELD), "ax + p").to.equal(false);
      expect(ok({ ...m, word: m.word + SNARK_FIELD }, sig), "word + p").to.equal(false);
      // -R8 (on the curve, the wrong point) and an off-curve R8, A.
      expect(ok(m, { ...sig, R8x: SNARK_FIELD - sig.R8x }), "-R8").to.equal(false);
      expect(ok(m, { ...sig, R8y: sig.R8y + 1n }), "R8 off the curve").to.equal(false);
      expect(ok(m, sig, key.ax, key.ay + 1n), "A off the curve").to.equal(false);
      // The challenge must be the low half of the hash: not the high half, not the full hash.
      expect(
        ok(
          m,
          forge(key, m, (h) => h >> 128n),
        ),
        "c = high half",
      ).to.equal(false);
      expect(
        ok(
          m,
          forge(key, m, (h) => h),
        ),
        "c = full hash",
      ).to.equal(false);
      expect(
        ok(
          m,
          forge(key, m, (h) => h % 2n ** 128n),
        ),
      ).to.equal(true);
    });

    it("rejects a small-order public key (8·A = identity), for which anyone could sign", () => {
      const e = c.eddsa;
      const S = 42n;
      const [R8x, R8y] = xy(e, e.babyJub.mulPointEscalar(e.babyJub.Base8, S)); // S·B8 = R8 + c·O
      for (const [ax, ay] of [
        [0n, 1n],
        [0n, SNARK_FIELD - 1n],
      ]) {
        expect(e.babyJub.inCurve(pt(e, ax, ay))).to.equal(true);
        expect(verifySignature(e, m, { R8x, R8y, S }, ax, ay), `A = (${ax}, ${ay})`).to.equal(false);
      }
    });
  });

  it("keys round-trip through their private key", async () => {
    const k2 = await L2Key.fromPrivateKey(key.privateKey);
    expect([k2.ax, k2.ay]).to.deep.equal([key.ax, key.ay]);
    await L2Key.fromPrivateKey("0x1234").then(
      () => expect.fail("short key accepted"),
      (e) => expect(String(e)).to.match(/32 bytes/),
    );
  });
});

describe("public inputs", () => {
  const f = {
    oldRoot: 123n,
    newRoot: SNARK_FIELD - 1n,
    chainId: 31337n,
    rollupAddress: domain.rollupAddress,
    l1HashEnd: 987654321n,
    l1Count: 1,
    feeIdx: fromHex("0x07"),
    l1Results: toBytesBE(5n * 10n ** 18n, 16),
    txData: fromHex("0x0102030405060708"),
  };

  it("are the data coefficients, their Poseidon commitment, a keccak256 challenge and the evaluation there", async () => {
    const hash = await poseidonHasher();
    // test_d4_b2: L = 2, F = 1, idxBytes 1, txBytes 8, 3 transactions per coefficient → m = 5 + 2 + 1.
    expect(txsPerCoefficient(params)).to.equal(3);
    expect(coefficientCount(params)).to.equal(8);
    const c = [123n, SNARK_FIELD - 1n, (31337n << 160n) + domain.rollupAddress, 987654321n, (1n << 8n) + 7n, 5n * 10n ** 18n, 0n, 0x0102030405060708n << 128n];
    expect(batchCoefficients(f, params)).to.deep.equal(c);
    const commitment = hash([0n, ...c]);
    const z = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(Array(9).fill("uint256"), [...c, commitment]))) % SNARK_FIELD;
    let y = 0n;
    for (const [i, x] of [...c, commitment].entries()) y = (y + x * (z ** BigInt(i) % SNARK_FIELD)) % SNARK_FIELD;
    const pub = computePublicInputs(f, params, hash);
    expect(pub).to.deep.equal({ commitment, challenge: z, evaluation: y, signals: [y, z] });
    expect(publicSignalsFor(f, params, commitment)).to.deep.equal([y, z]);
    // Another commitment gives other signals, and every datum moves them.
    expect(publicSignalsFor(f, params, commitment + 1n)[1]).to.not.equal(z);
    for (const g of [
      { ...f, oldRoot: 124n },
      { ...f, chainId: 1n },
      { ...f, l1HashEnd: 1n },
      { ...f, feeIdx: fromHex("0x08") },
      { ...f, txData: fromHex("0x0102030405060709") },
    ]) {
      expect(computePublicInputs(g, params, hash).signals).to.not.deep.equal([y, z]);
    }
  });

  it("commit in chunks of 15 coefficients and reject malformed data", async () => {
    const hash = await poseidonHasher();
    const c = Array.from({ length: 31 }, (_, i) => BigInt(i + 1));
    expect(dataCommitment(c, hash)).to.equal(hash([hash([hash([0n, ...c.slice(0, 15)]), ...c.slice(15, 30)]), 31n]));
    expect(() => batchCoefficients({ ...f, txData: new Uint8Array(9) }, params)).to.throw(/multiple/);
    expect(() => batchCoefficients({ ...f, txData: new Uint8Array(24) }, params)).to.throw(/multiple/);
    expect(() => batchCoefficients({ ...f, feeIdx: new Uint8Array(2) }, params)).to.throw(/fee index/);
    expect(() => batchCoefficients({ ...f, l1Count: 3, l1Results: new Uint8Array(48) }, params)).to.throw(/l1Count/);
    expect(() => batchCoefficients({ ...f, l1Results: new Uint8Array(15) }, params)).to.throw(/L1 results/);
    expect(() => batchCoefficients({ ...f, chainId: 1n << 64n }, params)).to.throw(/uint64/);
    expect(() => batchCoefficients({ ...f, rollupAddress: 1n << 160n }, params)).to.throw(/160 bits/);
    expect(() => batchCoefficients({ ...f, l1HashEnd: SNARK_FIELD }, params)).to.throw(/l1HashEnd/);
    expect(() => publicSignalsFor(f, params, SNARK_FIELD)).to.throw(/field/);
  });
});

describe("state transitions and batch building", () => {
  let c: ZkrCrypto;
  let keys: L2Key[];
  let state: L2State;
  const owner = 0x1111111111111111111111111111111111111111n;

  const acct = (k: L2Key, tokenId: bigint, balance: bigint): Account => ({ ax: k.ax, ay: k.ay, owner, tokenId, balance, nonce: 0n });
  const sign = (i: number, t: Transfer) => signTransfer(c.hash, keys[i], t, domain, params);

  before(async () => {
    c = await loadCrypto();
    keys = await Promise.all([0, 1, 2, 3].map(() => L2Key.random()));
  });
  beforeEach(() => {
    state = new L2State(c, params);
    state.createAccount(acct(keys[0], 0n, 1000n)); // 1
    state.createAccount(acct(keys[1], 0n, 50n)); // 2
    state.createAccount(acct(keys[2], 1n, 10n)); // 3, another token
    state.createAccount(acct(keys[3], 0n, 0n)); // 4: fee account for token 0
  });

  it("rejects every invalid transfer with its reason and changes nothing", () => {
    const root = state.root;
    const cases: [ReturnType<typeof sign>, string][] = [
      [sign(0, { from: 1n, to: 9n, amount: 1n, fee: 0n, nonce: 0n }), "UNKNOWN_ACCOUNT"],
      [sign(0, { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 1n }), "BAD_NONCE"],
      [sign(1, { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 0n }), "BAD_SIGNATURE"],
      [sign(0, { from: 1n, to: 3n, amount: 1n, fee: 0n, nonce: 0n }), "TOKEN_MISMATCH"],
      [sign(0, { from: 1n, to: 2n, amount: 1000n, fee: 1n, nonce: 0n }), "INSUFFICIENT_BALANCE"],
      [sign(2, { from: 3n, to: 3n, amount: 1n, fee: 1n, nonce: 0n }), "NO_FEE_ACCOUNT"],
      [{ ...sign(0, { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 0n }), amount: 2n }, "BAD_SIGNATURE"],
      [{ from: 1n, to: 2n, amount: 10n ** 40n + 1n, fee: 0n, nonce: 0n, signature: { R8x: 0n, R8y: 1n, S: 0n } }, "BAD_FORMAT"],
      [sign(0, { from: 0n, to: 2n, amount: 1n, fee: 0n, nonce: 0n }), "BAD_FORMAT"],
    ];
    for (const [tx, code] of cases) {
      try {
        state.applyTransfer(tx, domain, [0n]);
        expect.fail(`accepted a transfer that should fail with ${code}`);
      } catch (e) {
        expect(e).to.be.instanceOf(TxRejectedError);
        expect((e as TxRejectedError).code).to.equal(code);
      }
    }
    expect(state.root).to.equal(root);
    expect(state.account(1n)!.balance).to.equal(1000n);
    // A balance at the 128-bit limit cannot receive more.
    const s2 = new L2State(c, params);
    s2.createAccount(acct(keys[0], 0n, 10n));
    s2.createAccount(acct(keys[1], 0n, MAX_BALANCE));
    expect(() => s2.applyTransfer(signTransfer(c.hash, keys[0], { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 0n }, domain, params), domain)).to.throw(
      TxRejectedError,
      /exceed/,
    );
  });

  it("builds a batch: applies transfers, credits fees, pads, and hashes what it posts", () => {
    const oldRoot = state.root;
    const t1 = sign(0, { from: 1n, to: 2n, amount: 300n, fee: 5n, nonce: 0n });
    const bad = sign(1, { from: 2n, to: 1n, amount: 1n, fee: 0n, nonce: 5n });
    const t2 = sign(1, { from: 2n, to: 2n, amount: 7n, fee: 2n, nonce: 0n });
    const batch = buildBatch(state, { txs: [t1, bad, t2] }, { domain, feeIdx: [4n] });
    expect(batch.txs).to.deep.equal([t1, t2]);
    expect(batch.rejected.map((r) => r.error.code)).to.deep.equal(["BAD_NONCE"]);
    expect(batch.oldRoot).to.equal(oldRoot);
    expect(batch.data.newRoot).to.equal(state.root);
    expect(state.account(1n)).to.include({ balance: 695n, nonce: 1n });
    expect(state.account(2n)).to.include({ balance: 348n, nonce: 1n });
    expect(state.account(4n)!.balance).to.equal(7n);
    expect(batch.fees).to.deep.equal([7n]);
    expect(batch.data.txData.length).to.equal(2 * params.txBytes);
    const input = batch.circuitInput as Record<string, string[]>;
    expect(input.from).to.deep.equal(["1", "2"]);
    expect(input.senderBalance).to.deep.equal(["1000", "350"]);
    // the receiver of a self-transfer is read after the sender update
    expect(input.receiverBalance).to.deep.equal(["50", "341"]);
    expect(input.feeBalance).to.deep.equal(["0"]);
    // conservation: balances of token 0 are unchanged in total
    const total = state
      .entries()
      .filter(([, a]) => a.tokenId === 0n)
      .reduce((s, [, a]) => s + a.balance, 0n);
    expect(total).to.equal(1050n);
    expect(accountLeaf(c.hash, state.account(4n)!)).to.equal(state.tree.leaf(4n));
  });

  it("reverts a built batch to a checkpoint, including created accounts", () => {
    const root = state.root;
    const before = state.entries();
    const cp = state.checkpoint();
    state.createAccount(acct(keys[0], 0n, 5n));
    buildBatch(state, { txs: [sign(0, { from: 1n, to: 5n, amount: 10n, fee: 1n, nonce: 0n })] }, { domain, feeIdx: [4n] });
    expect(state.root).to.not.equal(root);
    state.revert(cp);
    expect(state.root).to.equal(root);
    expect(state.entries()).to.deep.equal(before);
    expect(state.nextIndex).to.equal(5n);
    expect(() => state.commit()).to.throw(/no open checkpoint/);
  });

  it("nested checkpoints (one per batch not final): commit + forget the oldest, revert to a newer one; a forgotten one cannot be reverted", () => {
    const r0 = state.root;
    const cp1 = state.checkpoint(); // batch 1
    state.createAccount(acct(keys[0], 0n, 5n));
    const r1 = state.root;
    const cp2 = state.checkpoint(); // batch 2
    buildBatch(state, { txs: [sign(0, { from: 1n, to: 5n, amount: 10n, fee: 1n, nonce: 0n })] }, { domain, feeIdx: [4n] });
    const r2 = state.root;
    const cp3 = state.checkpoint(); // batch 3
    state.credit(5n, 7n);
    expect(cp1 < cp2 && cp2 < cp3).to.equal(true);
    // Batch 1 final: its changes are kept for good, the journal before batch 2 is dropped.
    state.commit();
    state.forget(cp2);
    expect(() => state.revert(cp1)).to.throw(/checkpoint \d+ was forgotten/);
    expect(state.root).to.not.equal(r2);
    // A reorganisation takes batches 3 and 2 back, newest first.
    state.revert(cp3);
    expect(state.root).to.equal(r2);
    state.revert(cp2);
    expect(state.root).to.equal(r1);
    expect(state.account(5n)!.balance).to.equal(5n);
    expect(r1).to.not.equal(r0);
    expect(() => state.commit()).to.throw(/no open checkpoint/);
  });

  it("pads an empty batch and leaves the root unchanged", () => {
    const root = state.root;
    const batch = buildBatch(state, { txs: [] }, { domain, feeIdx: [] });
    expect(batch.data.newRoot).to.equal(root);
    expect(batch.data.txData.length).to.equal(0);
    const input = batch.circuitInput as Record<string, string[]>;
    expect(input.from).to.deep.equal(["0", "0"]);
    expect(input.sigR8y).to.deep.equal(["0", "0"]);
    expect(input.feeIdx).to.deep.equal(["0"]);
    expect(input.l1Kind).to.deep.equal(["0", "0"]);
    expect(batch.l1HashEnd).to.equal(0n);
  });

  it("exits (to = 0) debit the sender with no receiver", () => {
    const batch = buildBatch(state, { txs: [sign(0, { from: 1n, to: 0n, amount: 400n, fee: 3n, nonce: 0n })] }, { domain, feeIdx: [4n] });
    expect(batch.txs).to.have.length(1);
    expect(state.account(1n)).to.include({ balance: 597n, nonce: 1n });
    expect(state.account(4n)!.balance).to.equal(3n);
    const input = batch.circuitInput as Record<string, string[]>;
    expect(input.to).to.deep.equal(["0", "0"]);
    expect(input.receiverBalance).to.deep.equal(["0", "0"]);
    expect(() => state.applyTransfer(sign(0, { from: 1n, to: 0n, amount: 598n, fee: 0n, nonce: 1n }), domain)).to.throw(TxRejectedError, /needs 598/);
  });

  it("applies L1 operations in order: create, deposit (or refund), forced exit (refused from another owner)", () => {
    const other = 0x2222222222222222222222222222222222222222n;
    const k = keys[0];
    const ops: L1Op[] = [
      { kind: L1OpKind.CREATE, accountIdx: 5n, tokenId: 1n, amount: 70n, owner: other, ax: k.ax, ay: k.ay },
      { kind: L1OpKind.DEPOSIT, accountIdx: 5n, tokenId: 1n, amount: 30n, owner, ax: 0n, ay: 0n },
      { kind: L1OpKind.DEPOSIT, accountIdx: 5n, tokenId: 0n, amount: 9n, owner, ax: 0n, ay: 0n }, // wrong token: refunded
      { kind: L1OpKind.FORCE_EXIT, accountIdx: 5n, tokenId: 1n, amount: 0n, owner: other, ax: 0n, ay: 0n },
    ];
    const results = ops.map((op) => state.applyL1Op(op).result);
    expect(results).to.deep.equal([0n, 0n, 9n, 100n]);
    expect(state.account(5n)).to.deep.equal({ ax: k.ax, ay: k.ay, owner: other, tokenId: 1n, balance: 0n, nonce: 0n });
    // the contract queues a forced exit only from the owner: another one means the state is out of sync
    const root = state.root;
    const notOwner: L1Op = { kind: L1OpKind.FORCE_EXIT, accountIdx: 2n, tokenId: 0n, amount: 0n, owner: other, ax: 0n, ay: 0n };
    expect(() => state.applyL1Op(notOwner)).to.throw(OutOfSyncError, /not its owner/);
    expect(state.root).to.equal(root);
    expect(state.account(2n)!.balance).to.equal(50n);
    expect(state.applyL1Op({ ...notOwner, owner }).result).to.equal(50n);
    expect(() => state.applyL1Op({ ...ops[0], accountIdx: 9n })).to.throw(OutOfSyncError, /CREATE at index 9/);
    expect(() => state.applyL1Op({ ...ops[1], accountIdx: 200n })).to.throw(OutOfSyncError, /account 200, which does not exist/);
    // a deposit that would overflow 2^128 is refunded
    state.applyL1Op({ ...ops[0], accountIdx: 6n, amount: MAX_BALANCE });
    expect(state.applyL1Op({ ...ops[1], accountIdx: 6n, amount: 1n }).result).to.equal(1n);
  });

  it("a batch consumes L1 operations first, chains their hashes and posts their results", () => {
    const k = keys[1];
    const ops: L1Op[] = [
      { kind: L1OpKind.CREATE, accountIdx: 5n, tokenId: 0n, amount: 500n, owner, ax: k.ax, ay: k.ay },
      { kind: L1OpKind.FORCE_EXIT, accountIdx: 2n, tokenId: 0n, amount: 0n, owner, ax: 0n, ay: 0n },
    ];
    const start = 12345n;
    // the new account 5 can already send in the same batch
    const tx = signTransfer(c.hash, k, { from: 5n, to: 1n, amount: 100n, fee: 0n, nonce: 0n }, domain, params);
    const batch = buildBatch(state, { l1Ops: ops, txs: [tx] }, { domain, feeIdx: [], l1HashStart: start });
    expect(batch.l1Results).to.deep.equal([0n, 50n]);
    expect(batch.l1HashEnd).to.equal(l1ChainStep(c.hash, l1ChainStep(c.hash, start, ops[0]), ops[1]));
    expect(l1ChainStep(c.hash, 0n, ops[0])).to.equal(c.hash([0n, (1n << 192n) | (5n << 160n) | 500n, owner, k.ax, k.ay]));
    expect(batch.data.l1Results).to.deep.equal(concatBytes([toBytesBE(0n, 16), toBytesBE(50n, 16)]));
    expect(batch.txs).to.have.length(1);
    expect(state.account(5n)!.balance).to.equal(400n);
    const input = batch.circuitInput as Record<string, unknown>;
    expect(input.l1Count).to.equal("2");
    expect(input.l1LeafBalance).to.deep.equal(["0", "50"]);
    expect(input.l1Kind).to.deep.equal(["1", "3"]);
    expect(() => buildBatch(state, { l1Ops: [...ops, ...ops], txs: [] }, { domain, feeIdx: [] })).to.throw(/at most 2 L1/);
  });
});
