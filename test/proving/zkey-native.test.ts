// The native `zkey new` (native/prover/zkey_new.cpp, `zkr-prover zkey-new`) on small circuits:
// it writes the same bytes as snarkjs's zKey.newZKey for the same r1cs and ptau (circuits with
// and without public inputs, one with a signal of many terms, one that fills its ptau's whole
// domain, where snarkjs hashes bytes from past the end of the τ section); snarkjs's zkey verify accepts its
// key, and a key contributed on top of it (a contribution and a beacon, as zkr's setup and
// ceremony do) proves and verifies; broken inputs are refused with a clear error and leave no
// file; initialZkey's choice between it and snarkjs, with the fallback when it cannot be built.
// Needs g++ (OpenMP), nasm and libgmp-dev (scripts/ensure-witness-toolchain.sh); skipped
// without them.
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { groth16, zKey } from "snarkjs";
import { compileCircuit, type CompiledCircuit } from "../../src/proving/circom.js";
import { withCurve } from "../../src/proving/curve.js";
import { generateFastDevPtau } from "../../src/proving/fastptau.js";
import { buildNativeProver, type NativeProver, NativeProverUnavailable, NativeZkeyNewError, nativeZkeyNew } from "../../src/proving/native.js";
import { type PtauInfo } from "../../src/proving/manifest.js";
import { initialZkey, sha256Hex, snarkjsZkeyNewTooBig } from "../../src/proving/zkey.js";
import { readR1csInfo, requiredPower, snarkjsPastEndHPoint } from "../../src/proving/ptau.js";
import { poseidonChainMain, rejection, skipWithoutNativeToolchain, tinyMain, useTempCache } from "./fixtures.js";

/** No public signal at all: two private inputs and their product (IC holds the one point of signal 0). */
const NO_PUBLIC_MAIN = [
  "pragma circom 2.1.6;",
  "template P() {",
  "  signal input a;",
  "  signal input b;",
  "  signal c;",
  "  c <== a * b;",
  "}",
  "component main = P();",
  "",
].join("\n");

/** The Poseidon chain with a public input (y) besides its output: nPublic 2. */
const PUBLIC_INPUT_MAIN = poseidonChainMain(7).replace("component main = Chain(7);", "component main {public [y]} = Chain(7);");

/** 16,400 squarings: 16,402 rows with the public output and signal 0, a domain of 2^15 (16,385 and up). */
const SQUARES_MAIN = [
  "pragma circom 2.1.6;",
  "template Squares(n) {",
  "  signal input x;",
  "  signal output out;",
  "  signal s[n + 1];",
  "  s[0] <== x;",
  "  for (var i = 0; i < n; i++) s[i + 1] <== s[i] * s[i];",
  "  out <== s[n];",
  "}",
  "component main = Squares(16400);",
  "",
].join("\n");

/**
 * One constraint whose A has 400 terms of one large coefficient: every term's two GLV halves have
 * their digits at the same positions, so a position can hold two digits per term (a key this
 * program once wrote past the end of its buffer for, at prod_d12_b448's shell).
 */
const SHARED_COEFFICIENT_MAIN = [
  "pragma circom 2.1.6;",
  "template Shared(n) {",
  "  signal input x[n];",
  "  signal input y;",
  "  signal output out;",
  "  var k = 2 ** 200 + 987654321987654321;",
  "  var sum = 0;",
  "  for (var i = 0; i < n; i++) sum += k * x[i];",
  "  out <== sum * y;",
  "}",
  "component main = Shared(400);",
  "",
].join("\n");

/** The sections of an iden3 binary file: id → offset and size of its data, in file order. */
function sections(file: Uint8Array): { id: number; at: number; size: number }[] {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const out: { id: number; at: number; size: number }[] = [];
  let o = 12;
  for (let s = 0; s < buf.readUInt32LE(8); s++) {
    const size = Number(buf.readBigUInt64LE(o + 4));
    out.push({ id: buf.readUInt32LE(o), at: o + 12, size });
    o += 12 + size;
  }
  return out;
}

/** The same file with only the sections `keep` accepts. */
function withSections(file: Uint8Array, keep: (id: number) => boolean): Buffer {
  const kept = sections(file).filter((s) => keep(s.id));
  const head = Buffer.from(file.subarray(0, 12));
  head.writeUInt32LE(kept.length, 8);
  return Buffer.concat([head, ...kept.map((s) => Buffer.from(file.subarray(s.at - 12, s.at + s.size)))]);
}

describe("native zkey new: the phase-2 initial key, byte-identical to snarkjs's", function () {
  useTempCache();
  let native: NativeProver;
  let work: string;
  let ptau: PtauInfo;
  let smallPtau: PtauInfo;
  const circuits: Record<string, CompiledCircuit> = {};
  const snarkjsKeys: Record<string, string> = {};

  before(async function () {
    await skipWithoutNativeToolchain(this);
    native = await buildNativeProver();
    work = mkdtempSync(path.join(os.tmpdir(), "zkr-zkey-native-test-"));
    ptau = await generateFastDevPtau(11, path.join(work, "pot11.ptau"));
    smallPtau = await generateFastDevPtau(7, path.join(work, "pot7.ptau"));
    circuits.tiny = await compileCircuit("zkrtest_zkeynew_tiny", tinyMain(2));
    circuits.publicInput = await compileCircuit("zkrtest_zkeynew_pub", PUBLIC_INPUT_MAIN);
    circuits.noPublic = await compileCircuit("zkrtest_zkeynew_nopub", NO_PUBLIC_MAIN);
    circuits.sharedCoefficient = await compileCircuit("zkrtest_zkeynew_shared", SHARED_COEFFICIENT_MAIN);
    for (const [name, c] of Object.entries(circuits)) {
      const file = path.join(work, `${name}-snarkjs.zkey`);
      await withCurve(() => zKey.newZKey(c.r1cs, ptau.path, file));
      snarkjsKeys[name] = file;
    }
  });

  after(function () {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A fresh directory holding the inputs as files: the native run's output goes there too. */
  function runDir(files: Record<string, Uint8Array>): string {
    const dir = mkdtempSync(path.join(work, "run-"));
    for (const [name, data] of Object.entries(files)) writeFileSync(path.join(dir, name), data);
    return dir;
  }

  for (const name of ["tiny", "publicInput", "noPublic", "sharedCoefficient"]) {
    it(`writes the bytes snarkjs writes: ${name}`, async function () {
      const out = path.join(work, `${name}-native.zkey`);
      const r = await nativeZkeyNew(native, circuits[name]!.r1cs, ptau.path, out);
      const mine = readFileSync(out);
      const theirs = readFileSync(snarkjsKeys[name]!);
      expect(mine.length).to.equal(theirs.length);
      expect(sha256Hex(mine)).to.equal(sha256Hex(theirs));
      expect(r.stats.threads).to.be.greaterThan(0);
    });
  }

  it("the circuits cover public inputs, none, and a signal of many terms", function () {
    const nPublic = (c: CompiledCircuit) => {
      const h = sections(readFileSync(c.r1cs)).find((s) => s.id === 1)!;
      const b = readFileSync(c.r1cs);
      return b.readUInt32LE(h.at + 4 + 32 + 4) + b.readUInt32LE(h.at + 4 + 32 + 8);
    };
    expect(nPublic(circuits.tiny!)).to.equal(1);
    expect(nPublic(circuits.publicInput!)).to.equal(2);
    expect(nPublic(circuits.noPublic!)).to.equal(0);
    // Signal 0 (the constant 1) has more than 512 terms in the Poseidon chain's constraints.
    const b = readFileSync(circuits.publicInput!.r1cs);
    const cons = sections(b).find((x) => x.id === 2)!;
    let terms0 = 0;
    for (let o = cons.at; o < cons.at + cons.size;) {
      const n = b.readUInt32LE(o);
      o += 4;
      for (let j = 0; j < n; j++, o += 36) if (b.readUInt32LE(o) === 0) terms0++;
    }
    expect(terms0).to.be.greaterThan(512);
  });

  it("snarkjs zkey verify accepts its key; a key contributed on top of it proves and verifies", async function () {
    const c = circuits.tiny!;
    const init = path.join(work, "tiny-native.zkey");
    await withCurve(async () => {
      expect(await zKey.verifyFromR1cs(c.r1cs, ptau.path, init)).to.equal(true);
      const contributed = path.join(work, "tiny-0001.zkey");
      const final = path.join(work, "tiny-final.zkey");
      await zKey.contribute(init, contributed, "test", "some entropy");
      await zKey.beacon(contributed, final, "beacon", "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", 10);
      expect(await zKey.verifyFromR1cs(c.r1cs, ptau.path, final)).to.equal(true);
      const vkey = await zKey.exportVerificationKey(final);
      const { proof, publicSignals } = await groth16.fullProve({ x0: 3, x1: 5 }, c.wasm, final);
      expect(await groth16.verify(vkey, publicSignals, proof)).to.equal(true);
      expect(await groth16.verify(vkey, [(BigInt(publicSignals[0]!) + 1n).toString()], proof)).to.equal(false);
    });
  });

  describe("a circuit that fills the ptau's whole domain (2^15)", function () {
    // snarkjs then hashes, as its last H point, bytes from past the end of the ptau's τ section
    // (ptau.ts snarkjsPastEndHPoint); the native program takes that point from the caller.
    let squares: CompiledCircuit;
    let pot15: PtauInfo;
    let theirs: string;
    before(async function () {
      this.timeout(600_000);
      squares = await compileCircuit("zkrtest_zkeynew_fill", SQUARES_MAIN);
      pot15 = await generateFastDevPtau(15, path.join(work, "pot15.ptau"));
      theirs = path.join(work, "fill-snarkjs.zkey");
      await withCurve(() => zKey.newZKey(squares.r1cs, pot15.path, theirs));
    });

    it("the circuit's domain is the ptau's: 2^15", async function () {
      expect(requiredPower(await readR1csInfo(squares.r1cs))).to.equal(15);
      expect(pot15.power).to.equal(15);
      expect(await snarkjsPastEndHPoint(pot15.path, 14)).to.equal(undefined);
      expect(await snarkjsPastEndHPoint(ptau.path, 11)).to.equal(undefined); // domain 2^11 < 2^15: no chunk past the end
    });

    it("writes the bytes snarkjs writes, given snarkjs's last H point; initialZkey passes it", async function () {
      const hPastEnd = await snarkjsPastEndHPoint(pot15.path, 15);
      expect(hPastEnd).to.have.length(64);
      const out = path.join(work, "fill-native.zkey");
      await nativeZkeyNew(native, squares.r1cs, pot15.path, out, hPastEnd);
      expect(sha256Hex(readFileSync(out))).to.equal(sha256Hex(readFileSync(theirs)));
      const init = await initialZkey("zkrtest_zkeynew_fill", squares, pot15, "test", () => {}, { zkeyNew: "native" });
      expect(init.computedBy).to.equal("native");
      expect(init.sha256).to.equal(sha256Hex(readFileSync(theirs)));
    });

    it("without that point, or with another, it is not snarkjs's key: refused (exit code 3), or a different circuit hash", async function () {
      const dir = runDir({});
      const e = await rejection(nativeZkeyNew(native, squares.r1cs, pot15.path, path.join(dir, "out.zkey")));
      expect(e).to.be.instanceOf(NativeZkeyNewError);
      expect((e as NativeZkeyNewError).unsupported).to.equal(true);
      expect(e.message).to.match(/fills the whole domain of the ptau \(2\^15\)/);
      expect(readdirSync(dir)).to.deep.equal([]);
      const other = new Uint8Array(64).fill(7);
      const out = path.join(dir, "other.zkey");
      await nativeZkeyNew(native, squares.r1cs, pot15.path, out, other);
      const mine = sections(readFileSync(out));
      const snark = sections(readFileSync(theirs));
      const bytes = (f: string, s: { at: number; size: number }) => readFileSync(f).subarray(s.at, s.at + s.size);
      for (let i = 0; i < mine.length; i++) {
        const same = Buffer.compare(bytes(out, mine[i]!), bytes(theirs, snark[i]!)) === 0;
        expect(same, `section ${mine[i]!.id}`).to.equal(mine[i]!.id !== 10); // only the circuit hash differs
      }
      const misuse = await rejection(nativeZkeyNew(native, circuits.tiny!.r1cs, ptau.path, path.join(dir, "x.zkey"), other));
      expect(misuse.message).to.match(/--h-past-end is only for a circuit that fills the ptau's whole domain/);
      rmSync(dir, { recursive: true, force: true });
    });
  });

  describe("refuses broken inputs with a reason, leaving no file", function () {
    let r1cs: Buffer;
    let ptauBytes: Buffer;
    before(function () {
      r1cs = readFileSync(circuits.publicInput!.r1cs);
      ptauBytes = readFileSync(ptau.path);
    });

    async function refused(files: { r1cs: Uint8Array; ptau: Uint8Array } | { r1csPath: string; ptauPath: string }, reason: RegExp): Promise<void> {
      const dir = "r1cs" in files ? runDir({ "c.r1cs": files.r1cs, "p.ptau": files.ptau }) : runDir({});
      const [r, p] = "r1cs" in files ? [path.join(dir, "c.r1cs"), path.join(dir, "p.ptau")] : [files.r1csPath, files.ptauPath];
      const before = readdirSync(dir);
      const e = await rejection(nativeZkeyNew(native, r, p, path.join(dir, "out.zkey")));
      expect(e).to.be.instanceOf(NativeZkeyNewError);
      expect(e.message).to.match(reason);
      expect((e as NativeZkeyNewError).unsupported).to.equal(false);
      expect(readdirSync(dir)).to.deep.equal(before);
      rmSync(dir, { recursive: true, force: true });
    }

    it("a ptau too small for the circuit", async function () {
      await refused(
        { r1csPath: circuits.publicInput!.r1cs, ptauPath: smallPtau.path },
        /the ptau is too small for the circuit: .* need a domain of 2\^11, .* has 2\^7/,
      );
    });

    it("a ptau not prepared for phase 2 (no Lagrange sections)", async function () {
      await refused({ r1cs, ptau: withSections(ptauBytes, (id) => id < 12) }, /not prepared for phase 2/);
    });

    it("files swapped, truncated, or of the wrong format", async function () {
      await refused({ r1cs: ptauBytes, ptau: r1cs }, /^native zkey new failed: circuit .*: not a \.r1cs file \(bad magic\)/);
      await refused({ r1cs: r1cs.subarray(0, r1cs.length - 100), ptau: ptauBytes }, /circuit .*: truncated: section \d+ claims/);
      await refused({ r1cs, ptau: ptauBytes.subarray(0, ptauBytes.length - 64) }, /ptau .*: truncated: section 15 claims/);
    });

    it("a constraint naming a signal that does not exist, or a coefficient not below r", async function () {
      const cons = sections(r1cs).find((s) => s.id === 2)!;
      expect(r1cs.readUInt32LE(cons.at)).to.be.greaterThan(0); // constraint 0's A has a first term
      const badSignal = Buffer.from(r1cs);
      badSignal.writeUInt32LE(0xffffff, cons.at + 4); // the first term's signal of constraint 0's A
      await refused({ r1cs: badSignal, ptau: ptauBytes }, /constraint 0 refers to signal 16777215 of \d+ \(corrupted r1cs\)/);
      const badCoef = Buffer.from(r1cs);
      badCoef.fill(0xff, cons.at + 8, cons.at + 8 + 32);
      await refused({ r1cs: badCoef, ptau: ptauBytes }, /constraint 0 has a coefficient not below r \(corrupted r1cs\)/);
    });

    it("a ptau point that is not on the curve", async function () {
      const lagrange = sections(ptauBytes).find((s) => s.id === 12)!;
      const bad = Buffer.from(ptauBytes);
      // The Lagrange basis of the circuit's domain 2^11 starts at point 2^11 − 1.
      bad[lagrange.at + (2 ** 11 - 1 + 5) * 64] ^= 1;
      await refused({ r1cs, ptau: bad }, /Lagrange tauG1 point 5 is not on the curve \(corrupted ptau\)/);
    });

    it("a program that crashes: the signal, on one line (the CLI shows an error's first line)", async function () {
      const crashing = path.join(work, "crashing-prover");
      writeFileSync(crashing, "#!/bin/sh\nkill -SEGV $$\n");
      chmodSync(crashing, 0o755);
      const e = await rejection(nativeZkeyNew({ ...native, bin: crashing }, circuits.tiny!.r1cs, ptau.path, path.join(work, "crashed.zkey")));
      expect(e).to.be.instanceOf(NativeZkeyNewError);
      expect(e.message).to.equal("native zkey new failed: no message (killed by SIGSEGV)");
    });
  });

  describe("initialZkey's choice of zkey new", function () {
    it("auto: the native one, the same key snarkjs writes", async function () {
      const init = await initialZkey("zkrtest_zkeynew_tiny", circuits.tiny!, ptau, "test", () => {});
      expect(init.computedBy).to.equal("native");
      expect(init.sha256).to.equal(sha256Hex(readFileSync(snarkjsKeys.tiny!)));
    });

    it("auto falls back to snarkjs when the native program cannot be built, saying why once; native then throws", async function () {
      const cxx = path.join(work, "broken-g++");
      writeFileSync(cxx, "#!/bin/sh\necho 'no compiler here' >&2\nexit 1\n");
      chmodSync(cxx, 0o755);
      const lines: string[] = [];
      const log = (m: string) => lines.push(m);
      const a = await initialZkey("zkrtest_zkeynew_pub", circuits.publicInput!, ptau, "test", log, { zkeyNew: "auto", nativeBuild: { cxx } });
      expect(a.computedBy).to.equal("snarkjs");
      expect(a.sha256).to.equal(sha256Hex(readFileSync(snarkjsKeys.publicInput!)));
      const b = await initialZkey("zkrtest_zkeynew_nopub", circuits.noPublic!, ptau, "test", log, { zkeyNew: "auto", nativeBuild: { cxx } });
      expect(b.computedBy).to.equal("snarkjs");
      const reasons = lines.filter((l) => l.includes("using snarkjs zkey new"));
      expect(reasons).to.have.length(1);
      expect(reasons[0]).to.match(/^native prover unavailable: missing .*broken-g\+\+ \(Debian package g\+\+\).*; using snarkjs zkey new$/);
      const e = await rejection(initialZkey("zkrtest_zkeynew_other", circuits.tiny!, smallPtau, "test", log, { zkeyNew: "native", nativeBuild: { cxx } }));
      expect(e).to.be.instanceOf(NativeProverUnavailable);
    });

    it("auto does not fall back to snarkjs for an r1cs too big for its memory: a clear error, no key", async function () {
      const cxx = path.join(work, "broken-g++");
      const lines: string[] = [];
      const memoryBytes = 5 * statSync(circuits.tiny!.r1cs).size; // snarkjs would need about ten times the r1cs
      const e = await rejection(
        initialZkey("zkrtest_zkeynew_toobig", circuits.tiny!, ptau, "test", (m) => lines.push(m), { nativeBuild: { cxx }, memoryBytes }),
      );
      expect(e.message).to.match(
        /^native prover unavailable: .*; and snarkjs zkey new cannot take over: its r1cs is .* GB, and snarkjs holds its constraints in memory/,
      );
      expect(lines.filter((l) => l.includes("using snarkjs zkey new"))).to.deep.equal([]);
      expect(snarkjsZkeyNewTooBig(492_860_480, 24 * 2 ** 30)).to.equal(undefined); // prod_d12_b32's linked r1cs on this machine
      expect(snarkjsZkeyNewTooBig(6_568_707_348, 24 * 2 ** 30)).to.be.a("string"); // prod_d12_b448's
    });

    it("snarkjs: never builds or runs the native program", async function () {
      const cxx = path.join(work, "broken-g++");
      const init = await initialZkey("zkrtest_zkeynew_snarkjs", circuits.noPublic!, ptau, "test", () => {}, { zkeyNew: "snarkjs", nativeBuild: { cxx } });
      expect(init.computedBy).to.equal("snarkjs");
      expect(init.sha256).to.equal(sha256Hex(readFileSync(snarkjsKeys.noPublic!)));
    });
  });
});
