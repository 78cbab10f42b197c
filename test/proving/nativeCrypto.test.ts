// The native crypto addon (native/crypto, src/proving/nativeCrypto.ts) against circomlibjs, the
// reference: Poseidon of every width on random and edge inputs, inputs out of the field refused
// with the same error; the signature check of keys.ts verifySignature on valid signatures and on
// every way to break one (each case's expected answer checked, and the two engines agreeing on
// it); the build at first use, cached, and its unavailable path (no compiler: a clear reason,
// and "auto" computes with circomlibjs; a build that fails). Needs g++ (skipped without it); the
// build takes seconds, once, into the process's cache directory.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { EdDSA } from "circomlibjs";
import { type CryptoOptions, loadCrypto, poseidonHasher, SNARK_FIELD, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key, signatureChallenge, type Signature, type SignatureMessage } from "../../src/model/keys.js";
import { buildNativeCrypto, loadNativeCrypto, nativeCryptoKey, NativeCryptoUnavailable } from "../../src/proving/nativeCrypto.js";
import { cacheDir } from "../../src/proving/paths.js";
import { rejection, skipWithoutCxx, useTempCache } from "./fixtures.js";

const p = SNARK_FIELD;
const native: CryptoOptions = { engine: "native", native: () => loadNativeCrypto() };
const random = (bound: bigint) => BigInt("0x" + randomBytes(40).toString("hex")) % bound;

describe("native crypto (addon vs circomlibjs)", function () {
  let n: ZkrCrypto;
  let js: ZkrCrypto;
  before(async function () {
    await skipWithoutCxx(this);
    [n, js] = await Promise.all([loadCrypto(native), loadCrypto({ engine: "js" })]);
  });

  describe("Poseidon", () => {
    it("is circomlibjs's for every width 1..16, on random inputs and on 0, 1 and p − 1, with and without AVX-512", async () => {
      expect(n.engine).to.equal("native");
      expect(js.engine).to.equal("js");
      const addon = await loadNativeCrypto();
      for (let width = 1; width <= 16; width++) {
        const cases: bigint[][] = [new Array<bigint>(width).fill(0n), new Array<bigint>(width).fill(1n), new Array<bigint>(width).fill(p - 1n)];
        cases.push(Array.from({ length: width }, (_, i) => [0n, 1n, p - 1n][i % 3]!));
        for (let k = 0; k < 12; k++) cases.push(Array.from({ length: width }, () => random(p)));
        for (const inputs of cases) {
          const expected = js.hash(inputs);
          expect(n.hash(inputs), `Poseidon(${inputs.join(", ")})`).to.equal(expected);
          // The scalar path, what a CPU without IFMA computes (the same as poseidon where AVX-512 is not used).
          expect(addon.poseidonScalar(...inputs), `scalar Poseidon(${inputs.join(", ")})`).to.equal(expected);
        }
      }
      // A known answer, so that the two cannot agree on something else: circomlibjs's test vector.
      expect(n.hash([1n, 2n])).to.equal(7853200120776062878684798364095072458815029376092732009249414926327459813530n);
    });

    it("refuses inputs out of the field and a wrong number of inputs as circomlibjs's hasher does", async () => {
      const nativeHash = await poseidonHasher(native);
      const jsHash = await poseidonHasher({ engine: "js" });
      const refusal = (h: (x: bigint[]) => bigint, inputs: bigint[]) => {
        try {
          h(inputs);
        } catch (e) {
          return (e as Error).message;
        }
        return "accepted";
      };
      for (const inputs of [[p], [1n, p], [-1n], [2n, 3n, p + 5n, -7n], [2n ** 256n], [2n ** 300n, 1n], [], new Array<bigint>(17).fill(1n)]) {
        const expected =
          inputs.length === 0 || inputs.length > 16
            ? `Poseidon takes 1 to 16 inputs, got ${inputs.length}`
            : `Poseidon input out of field: ${inputs.find((x) => x < 0n || x >= p)}`;
        expect(refusal(nativeHash, inputs), inputs.join(", ")).to.equal(expected);
        expect(refusal(jsHash, inputs), inputs.join(", ")).to.equal(expected);
      }
      expect(nativeHash([p - 1n])).to.equal(jsHash([p - 1n]));
    });
  });

  describe("signature check", () => {
    type Pt = [Uint8Array, Uint8Array];
    let e: EdDSA;
    let l: bigint;
    const m: SignatureMessage = { domain: 123456789n, word: (0xabcdefn << 32n) + 5n };
    const xy = (q: Pt): [bigint, bigint] => [e.F.toObject(q[0]), e.F.toObject(q[1])];
    const pt = (x: bigint, y: bigint): Pt => [e.F.e(x), e.F.e(y)];
    const mul = (q: Pt, k: bigint) => e.babyJub.mulPointEscalar(q, k);
    /** A key of secret a: A = a·B8, so 8·A = 8a·B8. */
    const keyOf = (a: bigint) => ({ A: mul(e.babyJub.Base8, a), s8: (8n * a) % l });
    /** The Schnorr-128 signature of `msg` for the public key A whose 8·A is s8·B8, with nonce k. */
    const sign = (A: Pt, s8: bigint, msg: SignatureMessage, k = random(l)): Signature => {
      const [R8x, R8y] = xy(mul(e.babyJub.Base8, k));
      const [ax, ay] = xy(A);
      return { R8x, R8y, S: (k + signatureChallenge(e, R8x, R8y, ax, ay, msg) * s8) % l };
    };
    /** A point of order 8 (l·P for a point P of the curve outside the subgroup, found from a y by circomlibjs's unpackPoint). */
    let torsion8: Pt;
    before(function () {
      e = js.eddsa;
      l = e.babyJub.subOrder;
      for (let y = 2n; !torsion8; y++) {
        const P = e.babyJub.unpackPoint(Buffer.from(y.toString(16).padStart(64, "0"), "hex").reverse());
        const T = P && mul(P, l); // its order divides 8
        if (T && xy(mul(T, 4n))[1] !== 1n) torsion8 = T; // 4·T is not the identity: order 8
      }
    });

    /** Each case: what verifySignature must answer, and the native engine agreeing. */
    const expectBoth = (what: string, msg: SignatureMessage, sig: Signature, ax: bigint, ay: bigint, expected: boolean) => {
      expect(js.verify(msg, sig, ax, ay), `${what} (circomlibjs)`).to.equal(expected);
      expect(n.verify(msg, sig, ax, ay), `${what} (native)`).to.equal(expected);
    };

    it("accepts valid signatures (L2Key.sign and hand-made), including a key with a small-order component", async () => {
      for (let i = 0; i < 4; i++) {
        const key = await L2Key.random();
        const msg = i === 0 ? m : { domain: random(p), word: random(p) };
        expectBoth(`L2Key.sign #${i}`, msg, key.sign(msg), key.ax, key.ay, true);
        expectBoth(`L2Key.sign #${i}, another message`, { ...msg, word: (msg.word + 1n) % p }, key.sign(msg), key.ax, key.ay, false);
      }
      const { A, s8 } = keyOf(random(l));
      const [ax, ay] = xy(A);
      expectBoth("hand-made", m, sign(A, s8, m), ax, ay, true);
      expectBoth("nonce 0 (R8 the identity)", m, sign(A, s8, m, 0n), ax, ay, true);
      // A + T (T of order 8): 8·(A + T) = 8·A, and the rule checks 8·A: a signature by a still verifies.
      const [tx, ty] = xy(e.babyJub.addPoint(A, torsion8));
      expectBoth("A + torsion", m, sign(e.babyJub.addPoint(A, torsion8), s8, m), tx, ty, true);
    });

    it("rejects every broken signature exactly as circomlibjs does", async () => {
      const key = await L2Key.random();
      const sig = key.sign(m);
      const { ax, ay } = key;
      const other = await L2Key.random();
      expectBoth("valid", m, sig, ax, ay, true);
      // The message and the key.
      expectBoth("domain + 1", { ...m, domain: m.domain + 1n }, sig, ax, ay, false);
      expectBoth("word + 1", { ...m, word: m.word + 1n }, sig, ax, ay, false);
      expectBoth("fields swapped", { domain: m.word, word: m.domain }, sig, ax, ay, false);
      expectBoth("another key", m, sig, other.ax, other.ay, false);
      expectBoth("signed by another key", m, other.sign(m), ax, ay, false);
      // S.
      expectBoth("S + 1", m, { ...sig, S: sig.S + 1n }, ax, ay, false);
      expectBoth("S + l (the same point S·B8)", m, { ...sig, S: sig.S + l }, ax, ay, false);
      expectBoth("S = l", m, { ...sig, S: l }, ax, ay, false);
      expectBoth("S = l − 1", m, { ...sig, S: l - 1n }, ax, ay, false);
      expectBoth("S < 0", m, { ...sig, S: -1n }, ax, ay, false);
      expectBoth("S = 2^256", m, { ...sig, S: 2n ** 256n }, ax, ay, false);
      // R8.
      expectBoth("R8x + 1", m, { ...sig, R8x: sig.R8x + 1n }, ax, ay, false);
      expectBoth("R8 off the curve", m, { ...sig, R8y: sig.R8y + 1n }, ax, ay, false);
      expectBoth("−R8 (on the curve)", m, { ...sig, R8x: p - sig.R8x }, ax, ay, false);
      expectBoth("R8 = identity", m, { ...sig, R8x: 0n, R8y: 1n }, ax, ay, false);
      const [t8x, t8y] = xy(e.babyJub.addPoint(pt(sig.R8x, sig.R8y), torsion8));
      expectBoth("R8 + torsion", m, { ...sig, R8x: t8x, R8y: t8y }, ax, ay, false);
      // A.
      expectBoth("A off the curve", m, sig, ax, ay + 1n, false);
      expectBoth("A = (0, 0)", m, sig, 0n, 0n, false);
      // Small-order keys (8·A is the identity): anyone could sign for them, S·B8 = R8.
      const S = 42n;
      const [R8x, R8y] = xy(mul(e.babyJub.Base8, S));
      const small: [string, Pt][] = [
        ["identity", pt(0n, 1n)],
        ["order 2", pt(0n, p - 1n)],
        ["order 4", mul(torsion8, 2n)],
        ["order 8", torsion8],
      ];
      for (const [what, T] of small) {
        const [tx, ty] = xy(T);
        expect(e.babyJub.inCurve(T), what).to.equal(true);
        expectBoth(`A of ${what}`, m, { R8x, R8y, S }, tx, ty, false);
      }
      // Values out of the field, never reduced (x + p would be the same point for circomlibjs), and wider than 256 bits.
      expectBoth("R8x + p", m, { ...sig, R8x: sig.R8x + p }, ax, ay, false);
      expectBoth("R8y + p", m, { ...sig, R8y: sig.R8y + p }, ax, ay, false);
      expectBoth("ax + p", m, sig, ax + p, ay, false);
      expectBoth("ay + p", m, sig, ax, ay + p, false);
      expectBoth("domain + p", { ...m, domain: m.domain + p }, sig, ax, ay, false);
      expectBoth("word + p", { ...m, word: m.word + p }, sig, ax, ay, false);
      expectBoth("word = p", { ...m, word: p }, sig, ax, ay, false);
      expectBoth("ax < 0", m, sig, -ax, ay, false);
      expectBoth("domain < 0", { ...m, domain: -1n }, sig, ax, ay, false);
      expectBoth("R8x = 2^300", m, { ...sig, R8x: 2n ** 300n }, ax, ay, false);
      // Random points of the subgroup and random field elements.
      for (let i = 0; i < 4; i++) {
        const [rx, ry] = xy(mul(e.babyJub.Base8, random(l)));
        expectBoth(`random R8, S #${i}`, m, { R8x: rx, R8y: ry, S: random(l) }, ax, ay, false);
        expectBoth(`random field elements #${i}`, m, { R8x: random(p), R8y: random(p), S: random(l) }, random(p), random(p), false);
      }
    });

    it("signs as circomlibjs does: k·Base8 equal for random and edge scalars, a scalar out of [0, l) refused; L2Key.sign's signatures identical", async () => {
      const addon = await loadNativeCrypto();
      for (const k of [0n, 1n, 2n, 15n, 16n, 2n ** 128n - 1n, 2n ** 128n, l - 1n, random(l), random(l), random(l), random(2n ** 128n)]) {
        expect(addon.mulBase8(k), `k = ${k}`).to.deep.equal(xy(mul(e.babyJub.Base8, k)));
      }
      for (const bad of [l, l + 1n, 2n ** 256n, -1n]) expect(() => addon.mulBase8(bad), `k = ${bad}`).to.throw(RangeError, /below the subgroup order/);
      expect(() => addon.mulBase8(3 as unknown as bigint)).to.throw(TypeError, /expected a BigInt/);
      for (let i = 0; i < 6; i++) {
        const hex = randomBytes(32).toString("hex");
        const [kn, kj] = await Promise.all([L2Key.fromPrivateKey(hex, native), L2Key.fromPrivateKey(hex, { engine: "js" })]);
        const msg = i === 0 ? m : { domain: random(p), word: random(p) };
        expect(kn.sign(msg), `signature #${i}`).to.deep.equal(kj.sign(msg));
        expectBoth(`native L2Key.sign #${i}`, msg, kn.sign(msg), kn.ax, kn.ay, true);
      }
    });

    it("refuses a value that is not a BigInt with a TypeError", () => {
      expect(() => n.verify(m, { R8x: 1n, R8y: 2n, S: "3" as unknown as bigint }, 4n, 5n)).to.throw(TypeError, /expected a BigInt/);
    });
  });

  describe("build and fallback", () => {
    it("is built once into the cache directory and reused; its key covers the sources, the compiler and Node", async () => {
      const a = await buildNativeCrypto(); // built by the before hook, in the process's cache
      expect(a.cached).to.equal(true);
      expect(a.dir).to.equal(path.join(cacheDir(), "native", `crypto-${nativeCryptoKey()}`));
      expect(readdirSync(a.dir).sort()).to.deep.equal(["DONE", "zkr_crypto.node"]);
      expect(nativeCryptoKey("clang++")).to.not.equal(nativeCryptoKey());
    });

    describe("in an empty cache", () => {
      const cache = useTempCache();
      let work: string;
      before(() => (work = mkdtempSync(path.join(os.tmpdir(), "zkr-crypto-"))));
      after(() => rmSync(work, { recursive: true, force: true }));

      it('without a compiler: NativeCryptoUnavailable says what is missing, "auto" computes with circomlibjs and says why', async () => {
        const cxx = "zkr-no-such-g++";
        const err = await rejection(buildNativeCrypto({ cxx }));
        expect(err).to.be.instanceOf(NativeCryptoUnavailable);
        expect(err.message).to.equal("native crypto unavailable: missing zkr-no-such-g++ (Debian package g++)");
        const logged: string[] = [];
        const opts = { native: () => loadNativeCrypto({ cxx }), log: (msg: string) => logged.push(msg) };
        const c = await loadCrypto({ ...opts, engine: "auto" });
        expect(c.engine).to.equal("js");
        expect(c.hash([1n, 2n])).to.equal(js.hash([1n, 2n]));
        expect(logged).to.deep.equal([`${err.message}; Poseidon and signatures are computed with circomlibjs`]);
        expect((await rejection(loadCrypto({ ...opts, engine: "native" }))).message).to.equal(err.message);
        expect((await loadCrypto({ ...opts, engine: "js" })).engine).to.equal("js");
        expect(logged).to.have.length(1);
      });

      it('a build that fails: an Error with the compiler\'s output, nothing cached, and "auto" computes with circomlibjs', async () => {
        // A compiler that passes the toolchain check (--version) but fails to compile.
        const cxx = path.join(work, "failing-g++");
        writeFileSync(cxx, `#!/bin/sh\ncase " $* " in *" --version "*) exec g++ "$@";; esac\necho "injected compiler failure" >&2\nexit 1\n`);
        chmodSync(cxx, 0o755);
        const err = await rejection(buildNativeCrypto({ cxx }));
        expect(err).to.not.be.instanceOf(NativeCryptoUnavailable);
        expect(err.message).to.match(/^compiling the native crypto addon \(.*failing-g\+\+\) failed:\ninjected compiler failure/);
        expect(readdirSync(path.join(cache(), "native"))).to.deep.equal([]); // no build, no temporary directory, no lock
        const logged: string[] = [];
        const c = await loadCrypto({ engine: "auto", native: () => loadNativeCrypto({ cxx }), log: (msg) => logged.push(msg) });
        expect(c.engine).to.equal("js");
        expect(logged).to.have.length(1);
        expect(logged[0]).to.match(
          /^compiling the native crypto addon \(.*failing-g\+\+\) failed:\ninjected compiler failure\n?; Poseidon and signatures are computed with circomlibjs$/,
        );
      });
    });
  });
});
