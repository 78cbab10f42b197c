// circom's C++ witness generator (src/proving/witness.ts) against snarkjs's wasm calculator on the test
// instance's batch circuit: the same witness for a real batch, a proof from it that verifies,
// a clear error for an input the circuit rejects, and the Prover's choice of calculator.
// Needs g++, make, nasm, libgmp-dev and nlohmann-json3-dev (scripts/ensure-witness-toolchain.sh);
// skipped without them. The first run builds the generator (a minute or two, then cached).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { fullBatchInput } from "../../bench/witness.js";
import { TEST_INSTANCE } from "../../src/proving/instances.js";
import type { SetupResult } from "../../src/proving/setup.js";
import {
  buildCppWitnessForSetup,
  CppWitnessUnavailable,
  type CppWitnessGenerator,
  cppToolchainProblems,
  cppWitness,
  wasmWitness,
} from "../../src/proving/witness.js";
import { cacheDir, setCacheDir } from "../../src/proving/paths.js";
import { Prover } from "../../src/proving/prover.js";
import { testSetup } from "../fixtures.js";
import { rejection } from "./fixtures.js";

/** Wires 1..n of a .wtns (little-endian field elements after the headers), as decimal strings. */
function wtnsWires(wtns: Uint8Array, from: number, to: number): string[] {
  const buf = Buffer.from(wtns.buffer, wtns.byteOffset, wtns.byteLength);
  let o = 12;
  let n8 = 0;
  for (let s = 0; s < buf.readUInt32LE(8); s++) {
    const type = buf.readUInt32LE(o);
    const size = Number(buf.readBigUInt64LE(o + 4));
    if (type === 1) n8 = buf.readUInt32LE(o + 12);
    if (type === 2) {
      return Array.from({ length: to - from }, (_, i) => {
        const at = o + 12 + (from + i) * n8;
        let v = 0n;
        for (let b = n8 - 1; b >= 0; b--) v = (v << 8n) | BigInt(buf[at + b]!);
        return v.toString();
      });
    }
    o += 12 + size;
  }
  throw new Error("no witness section");
}

describe("witness: circom's C++ generator and snarkjs's wasm calculator", function () {
  let setup: SetupResult;
  let gen: CppWitnessGenerator;
  let input: Record<string, unknown>;
  let fromWasm: Uint8Array;
  const provers: Prover[] = [];

  before(async function () {
    const problems = await cppToolchainProblems();
    if (problems.length) {
      console.log(`      skipped: no C++ toolchain for circom's witness generator: missing ${problems.join(", ")} (run scripts/ensure-witness-toolchain.sh)`);
      this.skip();
    }
    setup = await testSetup();
    gen = await buildCppWitnessForSetup(setup.manifest, { log: process.env.ZKR_VERBOSE ? (m) => console.log(`      ${m}`) : undefined });
    input = await fullBatchInput(TEST_INSTANCE);
    fromWasm = await wasmWitness(TEST_INSTANCE, setup.manifest.wasm, input);
  });

  after(async function () {
    for (const p of provers) await p.close();
  });

  it("computes the same witness as wasm, byte for byte, for a real batch", async function () {
    const fromCpp = await cppWitness(gen, input);
    expect(fromCpp.length).to.equal(fromWasm.length);
    expect(Buffer.compare(Buffer.from(fromCpp), Buffer.from(fromWasm))).to.equal(0);
  });

  it("takes the same input forms as wasm: bigints, numbers, and values outside the field reduced", async function () {
    const P = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    const raw = Object.fromEntries(
      Object.entries(input).map(([k, v]) => [k, JSON.parse(JSON.stringify(v), (_, x) => (typeof x === "string" ? BigInt(x) : x))]),
    );
    raw.l1Count = Number(raw.l1Count); // a JS number
    raw.oldRoot = (raw.oldRoot as bigint) + P; // the same field element
    expect(Buffer.compare(Buffer.from(await cppWitness(gen, raw)), Buffer.from(fromWasm))).to.equal(0);
  });

  it("a proof from the C++ witness verifies and has the witness's public signals", async function () {
    const prover = new Prover(setup.manifest, { witness: "cpp" });
    provers.push(prover);
    expect(await prover.witnessBackend()).to.equal("cpp");
    const r = await prover.prove(input);
    expect(r.witnessBackend).to.equal("cpp");
    expect(r.publicSignals).to.deep.equal(wtnsWires(fromWasm, 1, 1 + setup.manifest.nPublic));
    expect(await prover.verify(r.proof, r.publicSignals)).to.equal(true);
    console.log(`      ${TEST_INSTANCE}: C++ witness ${r.witnessMs.toFixed(0)} ms, proof ${r.proveMs.toFixed(0)} ms`);
  });

  it("rejects an input that violates a constraint, naming the circuit and the failed assertion", async function () {
    const bad = { ...input, newRoot: (BigInt(input.newRoot as string) + 1n).toString() };
    const err = await rejection(cppWitness(gen, bad));
    expect(err.message).to.match(
      new RegExp(`^witness computation for circuit "${TEST_INSTANCE}" failed \\(C\\+\\+ witness generator\\): Failed assert in template`),
    );
    // The prover reports it the same way, and so does the wasm calculator.
    const prover = new Prover(setup.manifest, { witness: "cpp" });
    provers.push(prover);
    expect((await rejection(prover.prove(bad))).message).to.equal(err.message);
    expect((await rejection(wasmWitness(TEST_INSTANCE, setup.manifest.wasm, bad))).message).to.match(
      new RegExp(`^witness computation for circuit "${TEST_INSTANCE}" failed: .*Assert Failed`),
    );
  });

  it("rejects an input with a missing or non-integer signal", async function () {
    const { newRoot: _, ...missing } = input;
    expect((await rejection(cppWitness(gen, missing))).message).to.match(/failed \(C\+\+ witness generator\): Not all inputs have been set/);
    expect((await rejection(cppWitness(gen, { ...input, newRoot: "1.5" }))).message).to.match(/input newRoot is not an integer: 1\.5/);
  });

  it('"auto" uses the C++ generator when it builds, and falls back to wasm saying why when it cannot', async function () {
    const auto = new Prover(setup.manifest, { witness: "auto" });
    provers.push(auto);
    expect(await auto.witnessBackend()).to.equal("cpp");

    // A setup whose circuit is not the one the sources describe now: no generator can match it.
    const stale = { ...setup.manifest, circuitKey: "0000000000000000" };
    const logged: string[] = [];
    const fallback = new Prover(stale, { witness: "auto", log: (m) => logged.push(m) });
    provers.push(fallback);
    expect(await fallback.witnessBackend()).to.equal("wasm");
    expect(fallback.witnessFallbackReason).to.match(/unavailable: the circuit sources changed since its setup/);
    expect(logged.join("\n")).to.match(/computing witnesses with wasm/);
    const strict = new Prover(stale, { witness: "cpp" });
    provers.push(strict);
    expect((await rejection(strict.witnessBackend())).message).to.match(
      /C\+\+ witness generator for circuit "test_d4_b2" unavailable: the circuit sources changed/,
    );
  });

  it('without the toolchain, says what is missing and "auto" proves with wasm', async function () {
    // An empty cache (nothing built) and a PATH without g++, make and nasm.
    const saved = { PATH: process.env.PATH, cache: cacheDir() };
    const cache = mkdtempSync(path.join(os.tmpdir(), "zkr-cache-"));
    process.env.PATH = path.dirname(process.execPath);
    setCacheDir(cache);
    try {
      expect((await cppToolchainProblems()).join(", ")).to.equal("make (Debian package make), nasm (Debian package nasm), g++ (Debian package g++)");
      const err = await rejection(buildCppWitnessForSetup(setup.manifest));
      expect(err).to.be.instanceOf(CppWitnessUnavailable);
      expect(err.message).to.match(/^C\+\+ witness generator for circuit "test_d4_b2" unavailable: missing make .*scripts\/ensure-witness-toolchain\.sh/);
      const logged: string[] = [];
      const auto = new Prover(setup.manifest, { witness: "auto", log: (m) => logged.push(m) });
      provers.push(auto);
      const r = await auto.prove(input);
      expect(r.witnessBackend).to.equal("wasm");
      expect(await auto.verify(r.proof, r.publicSignals)).to.equal(true);
      expect(logged).to.have.length(1);
      expect(logged[0]).to.match(/unavailable: missing make .*; computing witnesses with wasm$/);
    } finally {
      process.env.PATH = saved.PATH;
      setCacheDir(saved.cache);
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
