// The native Groth16 prover (native/prover, src/proving/native.ts) on the test instance's batch
// circuit: its proof of a real batch verifies with snarkjs and with the on-chain verifiers, has
// the witness's public signals (those of snarkjs's proof of the same witness), is written in
// snarkjs's JSON; a corrupted, truncated or mismatched key or witness is refused with a clear
// error and no proof; the Prover's choice of prover, and its fallback to snarkjs when the native
// prover cannot be built. Needs g++ (OpenMP), nasm and libgmp-dev
// (scripts/ensure-witness-toolchain.sh); skipped without them. The build takes seconds, cached.
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { ContractFactory } from "ethers";
import { groth16 } from "snarkjs";
import { fullBatchInput } from "../../bench/witness.js";
import { readArtifact } from "../../src/chain/artifacts.js";
import { BN254_BASE_FIELD, SNARK_FIELD } from "../../src/model/crypto.js";
import { TEST_INSTANCE } from "../../src/proving/instances.js";
import { buildNativeProver, type NativeProver, NativeProverError, NativeProverUnavailable, nativeProve } from "../../src/proving/native.js";
import { packGroth16Proof, verifierCallArgs } from "../../src/proving/proof.js";
import { type ProofResult, Prover } from "../../src/proving/prover.js";
import type { SetupResult } from "../../src/proving/setup.js";
import { verifierContractName } from "../../src/proving/verifier.js";
import { cppToolchainProblems, wasmWitness } from "../../src/proving/witness.js";
import { ProvingProcess } from "../../src/prover/worker.js";
import { hardhat, testSetup } from "../fixtures.js";
import { rejection, skipWithoutNativeToolchain, useTempCache } from "./fixtures.js";

const run = promisify(execFile);

/** The sections of a .zkey / .wtns: id → offset and size of its data. */
function sections(file: Uint8Array): Map<number, { at: number; size: number }> {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const out = new Map<number, { at: number; size: number }>();
  let o = 12;
  for (let s = 0; s < buf.readUInt32LE(8); s++) {
    const size = Number(buf.readBigUInt64LE(o + 4));
    out.set(buf.readUInt32LE(o), { at: o + 12, size });
    o += 12 + size;
  }
  return out;
}

/** A copy of `bytes` changed by `edit`. */
function edited(bytes: Uint8Array, edit: (b: Buffer) => void): Buffer {
  const b = Buffer.from(bytes);
  edit(b);
  return b;
}

/** A witness of n + 1 values (one extra wire): well-formed, but for a circuit of another size. */
function longerWitness(wtns: Uint8Array): Buffer {
  const s = sections(wtns);
  const header = s.get(1)!;
  const values = s.get(2)!;
  const b = Buffer.from(wtns.subarray(0, values.at + values.size));
  const n8 = b.readUInt32LE(header.at);
  b.writeUInt32LE(b.readUInt32LE(header.at + 4 + n8) + 1, header.at + 4 + n8);
  b.writeBigUInt64LE(BigInt(values.size + n8), values.at - 8);
  return Buffer.concat([b, Buffer.alloc(n8)]);
}

describe("native prover: zkr's C++ Groth16 prover on ffiasm", function () {
  let setup: SetupResult;
  let native: NativeProver;
  let input: Record<string, unknown>;
  let wtns: Uint8Array;
  let zkey: Uint8Array;
  let vkey: unknown;
  let real: ProofResult;
  let work: string;
  const provers: Prover[] = [];

  before(async function () {
    await skipWithoutNativeToolchain(this);
    setup = await testSetup();
    native = await buildNativeProver({ log: process.env.ZKR_VERBOSE ? (m) => console.log(`      ${m}`) : undefined });
    input = await fullBatchInput(TEST_INSTANCE);
    wtns = await wasmWitness(TEST_INSTANCE, setup.manifest.wasm, input);
    zkey = readFileSync(setup.manifest.zkey);
    vkey = JSON.parse(readFileSync(setup.manifest.vkey, "utf8"));
    const prover = new Prover(setup.manifest, { prover: "native" });
    provers.push(prover);
    real = await prover.prove(input);
    work = mkdtempSync(path.join(os.tmpdir(), "zkr-native-test-"));
  });

  after(async function () {
    for (const p of provers) await p.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs the prover binary on a key and a witness (bytes or a file) in a fresh directory: its exit code, stderr and the files left there. */
  async function runBinary(key: Uint8Array | string, witness: Uint8Array): Promise<{ code: number; stderr: string; files: string[] }> {
    const dir = mkdtempSync(path.join(work, "run-"));
    const keyFile = typeof key === "string" ? key : path.join(dir, "circuit.zkey");
    if (typeof key !== "string") writeFileSync(keyFile, key);
    writeFileSync(path.join(dir, "witness.wtns"), witness);
    const before = new Set(readdirSync(dir));
    try {
      await run(native.bin, [keyFile, path.join(dir, "witness.wtns"), path.join(dir, "proof.json"), path.join(dir, "public.json")]);
      return { code: 0, stderr: "", files: readdirSync(dir).filter((f) => !before.has(f)) };
    } catch (e) {
      const err = e as { code: number; stderr: string };
      return { code: err.code, stderr: err.stderr, files: readdirSync(dir).filter((f) => !before.has(f)) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it("its MSM passes the self-test: points at infinity, P + P and P − P in a bucket, small scalars, several chunks, G1 and G2", async function () {
    const { stdout } = await run(native.bin, ["--self-test"]);
    const lines = stdout.trim().split("\n");
    expect(lines).to.have.length(7);
    for (const l of lines) expect(l).to.match(/^self-test MSM G[12], case \d, \d+ points: ok$/);
  });

  it("proves a real batch: the proof verifies with snarkjs, with the witness's public signals", async function () {
    expect(real.proverBackend).to.equal("native");
    expect(real.nativeStats?.threads).to.be.greaterThan(0);
    expect(await groth16.verify(vkey, real.publicSignals, real.proof)).to.equal(true);
    const pub = sections(wtns).get(2)!;
    const wire = (i: number) => {
      let v = 0n;
      for (let b = 31; b >= 0; b--) v = (v << 8n) | BigInt(wtns[pub.at + 32 * i + b]!);
      return v.toString();
    };
    expect(real.publicSignals).to.deep.equal(Array.from({ length: setup.manifest.nPublic }, (_, i) => wire(i + 1)));
    // A tampered proof or signal does not verify: the check above can fail.
    expect(await groth16.verify(vkey, [(BigInt(real.publicSignals[0]!) + 1n).toString(), ...real.publicSignals.slice(1)], real.proof)).to.equal(false);
    console.log(
      `      ${TEST_INSTANCE}: native proof ${real.proveMs.toFixed(0)} ms on ${real.nativeStats?.threads} threads, peak RSS ${real.nativeStats?.maxRssKiB} KiB`,
    );
  });

  it("the same witness proved by snarkjs has the same public signals; proofs are randomised", async function () {
    const snark = new Prover(setup.manifest, { prover: "snarkjs" });
    provers.push(snark);
    const s = await snark.prove(input);
    expect(s.proverBackend).to.equal("snarkjs");
    expect(real.publicSignals).to.deep.equal(s.publicSignals);
    const again = await nativeProve(native, setup.manifest.zkey, wtns);
    expect(again.publicSignals).to.deep.equal(real.publicSignals);
    expect(again.proof.pi_a).to.not.deep.equal(real.proof.pi_a); // fresh r, s
    expect(await groth16.verify(vkey, again.publicSignals, again.proof)).to.equal(true);
  });

  it("proves the C++ witness generator's witness too (the same public signals)", async function () {
    const problems = await cppToolchainProblems();
    if (problems.length) {
      console.log(`      skipped: no C++ witness generator toolchain: missing ${problems.join(", ")}`);
      this.skip();
    }
    const prover = new Prover(setup.manifest, { witness: "cpp", prover: "native" });
    provers.push(prover);
    const r = await prover.prove(input);
    expect([r.witnessBackend, r.proverBackend]).to.deep.equal(["cpp", "native"]);
    expect(r.publicSignals).to.deep.equal(real.publicSignals);
    expect(await groth16.verify(vkey, r.publicSignals, r.proof)).to.equal(true);
  });

  it("writes proof.json and public.json as snarkjs does (its JSON layout, affine points with z = 1)", async function () {
    const dir = mkdtempSync(path.join(work, "json-"));
    const files = ["witness.wtns", "proof.json", "public.json"].map((f) => path.join(dir, f));
    writeFileSync(files[0]!, wtns);
    await run(native.bin, [setup.manifest.zkey, ...files]);
    const proofText = readFileSync(files[1]!, "utf8");
    const publicText = readFileSync(files[2]!, "utf8");
    const proof = JSON.parse(proofText) as ProofResult["proof"];
    // snarkjs writes both with bfj, { space: 1 }: JSON.stringify(x, null, 1), no final newline.
    expect(proofText).to.equal(JSON.stringify(proof, null, 1));
    expect(publicText).to.equal(JSON.stringify(real.publicSignals, null, 1));
    expect(Object.keys(proof)).to.deep.equal(["pi_a", "pi_b", "pi_c", "protocol", "curve"]);
    expect([proof.protocol, proof.curve]).to.deep.equal(["groth16", "bn128"]);
    expect(proof.pi_a[2]).to.equal("1");
    expect(proof.pi_c[2]).to.equal("1");
    expect(proof.pi_b[2]).to.deep.equal(["1", "0"]);
    for (const x of [...proof.pi_a, ...proof.pi_c, ...proof.pi_b.flat()]) expect(BigInt(x) < BN254_BASE_FIELD && /^(0|[1-9]\d*)$/.test(x)).to.equal(true);
    expect(await groth16.verify(vkey, JSON.parse(publicText) as string[], proof)).to.equal(true);
  });

  it("the on-chain verifiers accept the native proof (the Rollup's and snarkjs's) and reject a tampered one", async function () {
    const { ethers } = await hardhat();
    const [signer] = await ethers.getSigners();
    const deploy = async (name: string) => {
      const art = readArtifact(name);
      const c = await new ContractFactory(art.abi, art.bytecode, signer).deploy();
      await c.waitForDeployment();
      return c;
    };
    const rollupVerifier = await deploy(verifierContractName(setup.manifest.label));
    const signals = real.publicSignals.map((s) => BigInt(s));
    const words = packGroth16Proof(real.proof);
    expect(await rollupVerifier.getFunction("verifyProof")(words, signals)).to.equal(true);
    const negA = words.map((w, i) => (i === 1 ? BN254_BASE_FIELD - w : w));
    expect(await rollupVerifier.getFunction("verifyProof")(negA, signals)).to.equal(false);
    expect(await rollupVerifier.getFunction("verifyProof")(words, [signals[0]! + SNARK_FIELD, signals[1]!])).to.equal(false);

    const snarkjsVerifier = await deploy(setup.manifest.contractName);
    expect(await snarkjsVerifier.getFunction("verifyProof")(...verifierCallArgs(real.proof, real.publicSignals))).to.equal(true);
  });

  describe("refuses bad inputs with a clear error and writes no proof", function () {
    const cases: [string, () => { key?: Uint8Array; witness: Uint8Array }, RegExp][] = [
      ["a truncated witness", () => ({ witness: wtns.subarray(0, wtns.length - 100) }), /^witness .*: truncated: section 2 claims \d+ bytes, \d+ remain$/],
      [
        "a witness of another circuit (one more value)",
        () => ({ witness: longerWitness(wtns) }),
        /the witness has \d+ values, the key's circuit \d+ \(a witness of another circuit\?\)$/,
      ],
      [
        "a witness over another field",
        () => ({ witness: edited(wtns, (b) => (b[sections(wtns).get(1)!.at + 4] ^= 1)) }),
        /the witness's prime is not BN254's r, the key's scalar field$/,
      ],
      [
        "a witness value not below r",
        () => ({ witness: edited(wtns, (b) => b.fill(0xff, sections(wtns).get(2)!.at + 32 * 7, sections(wtns).get(2)!.at + 32 * 8)) }),
        /witness value 7 is not below r \(corrupted witness\)$/,
      ],
      ["a key given as the witness", () => ({ witness: zkey }), /^witness .*: not a \.wtns file \(bad magic\)$/],
      ["a truncated key", () => ({ key: zkey.subarray(0, zkey.length - 1000), witness: wtns }), /^proving key .*: truncated: section \d+ claims \d+ bytes/],
      [
        "a key with a B2 point off its curve",
        () => ({ key: edited(zkey, (b) => (b[sections(zkey).get(7)!.at + 128 * 5 + 3] ^= 0x10)), witness: wtns }),
        /^proving key .*: B2 point 5 is not on the curve \(corrupted key\)$/,
      ],
      [
        "a key with a coefficient of a signal it does not have",
        () => ({ key: edited(zkey, (b) => b.writeUInt32LE(0xffffff, sections(zkey).get(4)!.at + 4 + 44 * 3 + 8)), witness: wtns }),
        /^proving key .*: coefficient 3 is out of range \(corrupted key\)$/,
      ],
      [
        "a key over another curve",
        () => ({ key: edited(zkey, (b) => (b[sections(zkey).get(2)!.at + 4] ^= 2)), witness: wtns }),
        /^proving key .*: the base field prime is not BN254's q$/,
      ],
      ["a PLONK key", () => ({ key: edited(zkey, (b) => b.writeUInt32LE(2, sections(zkey).get(1)!.at)), witness: wtns }), /not a Groth16 key/],
    ];
    for (const [what, make, message] of cases) {
      it(what, async function () {
        const { key, witness } = make();
        const r = await runBinary(key ?? setup.manifest.zkey, witness);
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stderr.trim().replace(/^zkr-prover: /, "")).to.match(message);
        expect(r.stderr.trim().split("\n")).to.have.length(1);
        expect(r.files).to.deep.equal([]); // no proof.json, no public.json, no temporary file
      });
    }

    it("through the Prover: a NativeProverError with the reason, and no fallback for prover native", async function () {
      const err = await rejection(nativeProve(native, path.join(work, "no-such.zkey"), wtns));
      expect(err).to.be.instanceOf(NativeProverError);
      expect(err.message).to.match(/^native prover failed: proving key .*no-such\.zkey: cannot open .*: No such file or directory \(exit code 1\)$/);
      const strict = new Prover({ ...setup.manifest, zkey: path.join(work, "no-such.zkey") }, { prover: "native" });
      provers.push(strict);
      expect((await rejection(strict.prove(input))).message).to.equal(err.message);
    });
  });

  describe("the Prover's choice, and the fallback to snarkjs", function () {
    // A fresh cache: nothing built; the builds below cannot leave anything in the shared one.
    const cache = useTempCache();

    it('"auto" proves natively where the prover builds (here: built into the cache directory)', async function () {
      const auto = new Prover(setup.manifest, { prover: "auto" });
      provers.push(auto);
      expect(await auto.proverBackend()).to.equal("native");
      expect(auto.proverFallbackReason).to.equal(undefined);
      expect(readdirSync(path.join(cache(), "native"))).to.deep.equal([path.basename(native.dir)]);
      expect(readdirSync(path.join(cache(), "native", path.basename(native.dir))).sort()).to.deep.equal(["DONE", "zkr-prover"]);
    });

    it('without a compiler: NativeProverUnavailable says what is missing, "auto" proves with snarkjs and says why once', async function () {
      const nativeBuild = { cxx: path.join(work, "no-such-g++") };
      const err = await rejection(buildNativeProver(nativeBuild));
      expect(err).to.be.instanceOf(NativeProverUnavailable);
      expect(err.message).to.match(
        /^native prover unavailable: missing .*no-such-g\+\+ \(Debian package g\+\+\) \(scripts\/ensure-witness-toolchain\.sh installs them\)$/,
      );

      const logged: string[] = [];
      const auto = new Prover(setup.manifest, { prover: "auto", nativeBuild, log: (m) => logged.push(m) });
      provers.push(auto);
      const r = await auto.prove(input);
      expect(r.proverBackend).to.equal("snarkjs");
      expect(await auto.verify(r.proof, r.publicSignals)).to.equal(true);
      expect(r.publicSignals).to.deep.equal(real.publicSignals);
      expect(await auto.proverBackend()).to.equal("snarkjs"); // decided once: no second build attempt, no second message
      expect(auto.proverFallbackReason).to.equal(err.message);
      expect(logged).to.deep.equal([`${err.message}; proving with snarkjs`]);

      const strict = new Prover(setup.manifest, { prover: "native", nativeBuild });
      provers.push(strict);
      expect((await rejection(strict.prove(input))).message).to.equal(err.message);
    });

    it('a build that fails: an Error with the compiler\'s output, nothing cached, and "auto" proves with snarkjs', async function () {
      // A compiler that passes the toolchain checks (it preprocesses) but fails to compile.
      const cxx = path.join(work, "failing-g++");
      writeFileSync(cxx, `#!/bin/sh\ncase " $* " in *" -E "*|*" --version "*) exec g++ "$@";; esac\necho "injected compiler failure" >&2\nexit 1\n`);
      chmodSync(cxx, 0o755);
      const err = await rejection(buildNativeProver({ cxx }));
      expect(err).to.not.be.instanceOf(NativeProverUnavailable);
      expect(err.message).to.match(/^compiling \S+\.cpp \(.*failing-g\+\+\) failed:\ninjected compiler failure/);
      // No build of this compiler's key, no temporary directory, no lock (the real build of the first test may be there).
      expect(readdirSync(path.join(cache(), "native")).filter((f) => f !== path.basename(native.dir))).to.deep.equal([]);

      const logged: string[] = [];
      const auto = new Prover(setup.manifest, { prover: "auto", nativeBuild: { cxx }, log: (m) => logged.push(m) });
      provers.push(auto);
      const r = await auto.prove(input);
      expect(r.proverBackend).to.equal("snarkjs");
      expect(await auto.verify(r.proof, r.publicSignals)).to.equal(true);
      const fallbacks = logged.filter((m) => m.endsWith("; proving with snarkjs")); // the rest is the build's progress
      expect(fallbacks).to.have.length(1);
      expect(fallbacks[0]).to.match(/^compiling \S+\.cpp \(.*failing-g\+\+\) failed:\ninjected compiler failure/);
    });

    it("rejects an unknown prover name", function () {
      expect(() => new Prover(setup.manifest, { prover: "rapidsnark" as "native" })).to.throw('unknown prover "rapidsnark": use snarkjs, native, auto');
    });
  });

  it("the proving process (what workers prove in) proves with the prover it is given, and says which", async function () {
    const proc = new ProvingProcess({ prover: "native" });
    try {
      const r = await proc.prove(setup.manifest, input, () => {});
      expect(r.verified).to.equal(true);
      expect(r.proverBackend).to.equal("native");
      expect(r.publicSignals).to.deep.equal(real.publicSignals);
    } finally {
      await proc.close();
    }
  });
});
