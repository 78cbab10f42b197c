// src/model/tx.ts and keys.ts: transfers, their encoding and signed message, Schnorr-128 signatures.
import { expect } from "chai";
import { fromHex, toHex } from "../../src/model/bytes.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../../src/model/crypto.js";
import { blake512 } from "@noble/hashes/blake1";
import type { EdDSA } from "circomlibjs";
import { L2Key, signatureChallenge, verifySignature, type SignatureMessage } from "../../src/model/keys.js";
import { deriveParams } from "../../src/model/params.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
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
