// Proving benchmark: Groth16 proofs of a full batch (every L1, transaction and fee slot in use)
// of each instance, on this machine.
//
//   bin/bench-prove [--runs 2] [--witness wasm,cpp|none] [--prover snarkjs,native|none]
//                   [--synthetic hashes] [instance...]                 (default: prod_d12_b448)
//
// Sets the instance up first unless cached (natively, the 2^23 setup of the production profile
// takes about 1 h 33 min on 2 cores and ~21 GB of memory; prod_d12_b32's 2^20 about 6 minutes).
// snarkjs's prover does not fit 24 GiB at 2^23: compare the provers on prod_d12_b32. Prints two Markdown tables:
//   1. per witness calculator (--witness), the Prover as the services run it ("auto": the native
//      prover where it builds): witness and proof seconds per batch, seconds per transfer,
//      transfers and constraints proved per second;
//   2. per instance, the same witness proved by each prover (--prover), each in a process of its
//      own: snarkjs in a fresh Node process (bench/snarkjs-prove.ts, the key already in memory),
//      the native prover as the Prover runs it (witness file, process, key read from disk);
//      mean proof time, the ratio, constraints per second per core and each one's peak RSS.
//      --synthetic N adds a circuit of N chained Poseidon(2) hashes (240 constraints each: N = 450
//      fills the shared 2^17 ptau) to this table: larger than the small instances, but its witness
//      is full-size field elements, where a batch's is mostly bits and small numbers.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs, promisify } from "node:util";
import { buildNativeProver, nativeProve } from "../src/proving/native.js";
import { wasmWitness } from "../src/proving/witness.js";
import { getInstance } from "../src/proving/instances.js";
import { setupCircuit, setupInstance } from "../src/proving/setup.js";
import { Prover, type WitnessChoice } from "../src/proving/prover.js";
import type { SetupManifest } from "../src/proving/manifest.js";
import { poseidonChainMain } from "../test/proving/fixtures.js";
import { benchSettings } from "./settings.js";
import { fullBatchInput } from "./witness.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "2" },
    witness: { type: "string", default: "wasm,cpp" },
    prover: { type: "string", default: "snarkjs,native" },
    synthetic: { type: "string" },
  },
});
const { devPtau } = benchSettings();
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
const backends = values.witness.split(",").filter((w) => w && w !== "none") as WitnessChoice[];
const proverNames = values.prover.split(",").filter((p) => p && p !== "none");
for (const p of proverNames) if (p !== "snarkjs" && p !== "native") throw new Error(`--prover takes snarkjs, native or none, got "${p}"`);
const synthetic = values.synthetic === undefined ? undefined : Number(values.synthetic);
if (synthetic !== undefined && !(Number.isInteger(synthetic) && synthetic > 0)) throw new Error("--synthetic takes a positive number of hashes");
const names = positionals.length || synthetic ? positionals : ["prod_d12_b448"];
const log = (m: string) => console.error(m);

interface Row {
  instance: string;
  constraints: number;
  batchSize: number;
  witness: string;
  prover: string;
  witnessS: number;
  proveS: number;
}
const rows: Row[] = [];

interface Comparison {
  instance: string;
  constraints: number;
  /** Mean proof wall time and CPU time (ms) and peak RSS (KiB) of each prover. */
  results: Record<string, { ms: number; cpuMs: number; maxRssKiB: number }>;
}
const comparisons: Comparison[] = [];
const run = promisify(execFile);

for (const name of names) {
  const p = getInstance(name);
  const { manifest } = await setupInstance(name, { log, writeVerifier: false, devPtau });
  log(`${name}: building a full batch input …`);
  const input = await fullBatchInput(name);
  for (const witness of backends) {
    const prover = new Prover(manifest, { witness, prover: "auto", log });
    try {
      const used = await prover.witnessBackend(); // builds the C++ generator first if needed
      const proverUsed = await prover.proverBackend(); // builds the native prover first if needed
      log(`${name}: ${runs} proof(s) with the ${used} witness and the ${proverUsed} prover …`);
      let witnessMs = 0;
      let proveMs = 0;
      for (let r = 0; r < runs; r++) {
        const res = await prover.prove(input);
        if (!(await prover.verify(res.proof, res.publicSignals))) throw new Error(`${name}: the proof does not verify`);
        witnessMs += res.witnessMs;
        proveMs += res.proveMs;
        log(`${name} (${used}): witness ${(res.witnessMs / 1000).toFixed(2)} s, proof ${(res.proveMs / 1000).toFixed(1)} s`);
      }
      rows.push({
        instance: name,
        constraints: manifest.constraints,
        batchSize: p.batchSize,
        witness: used,
        prover: proverUsed,
        witnessS: witnessMs / runs / 1000,
        proveS: proveMs / runs / 1000,
      });
    } finally {
      await prover.close();
    }
  }
  if (proverNames.length) comparisons.push(await compareProvers(name, manifest.constraints, input, manifest));
}

if (synthetic && proverNames.length) {
  const label = `bench_chain_${synthetic}`;
  const { manifest } = await setupCircuit(label, poseidonChainMain(synthetic), { devPtau, writeVerifier: false, log });
  comparisons.push(await compareProvers(label, manifest.constraints, { x: 12345678901234567890n, y: 987654321n }, manifest));
}

async function linkedWitnessOf(manifest: SetupManifest, input: Record<string, unknown>): Promise<Uint8Array> {
  const prover = new Prover(manifest, { witness: "auto", log });
  try {
    return (await prover.witness(input)).data;
  } finally {
    await prover.close();
  }
}

/** The same witness (wasm, or a linked setup's) proved `runs` times by each prover of --prover; the public signals must agree. */
async function compareProvers(name: string, constraints: number, input: Record<string, unknown>, manifest: SetupManifest): Promise<Comparison> {
  // A linked setup's witness is assembled from its parts' (the Prover does it); else the wasm's.
  const wtns = manifest.linked ? await linkedWitnessOf(manifest, input) : await wasmWitness(name, manifest.wasm, input);
  const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-bench-"));
  const results: Comparison["results"] = {};
  const signals: Record<string, string> = {};
  try {
    const wtnsFile = path.join(dir, "witness.wtns");
    writeFileSync(wtnsFile, wtns);
    for (const p of proverNames) {
      log(`${name}: ${runs} proof(s) of the same witness with ${p} …`);
      if (p === "snarkjs") {
        const { stdout } = await run(
          process.execPath,
          ["--import", "tsx", path.join(import.meta.dirname, "snarkjs-prove.ts"), manifest.zkey, wtnsFile, String(runs)],
          {
            maxBuffer: 16 << 20,
          },
        );
        const r = JSON.parse(stdout) as { ms: number[]; cpuMs: number; maxRssKiB: number; publicSignals: string[] };
        results[p] = { ms: r.ms.reduce((a, b) => a + b, 0) / r.ms.length, cpuMs: r.cpuMs, maxRssKiB: r.maxRssKiB };
        signals[p] = JSON.stringify(r.publicSignals);
      } else {
        const native = await buildNativeProver({ log });
        let ms = 0;
        let cpuMs = 0;
        let rss = 0;
        for (let r = 0; r < runs; r++) {
          const res = await nativeProve(native, manifest.zkey, readFileSync(wtnsFile));
          ms += res.proveMs;
          cpuMs += res.stats.cpuMs;
          rss = Math.max(rss, res.stats.maxRssKiB);
          signals[p] = JSON.stringify(res.publicSignals);
          log(`${name} (native): ${res.proveMs.toFixed(0)} ms: ${JSON.stringify(res.stats.stepsMs)}`);
        }
        results[p] = { ms: ms / runs, cpuMs: cpuMs / runs, maxRssKiB: rss };
      }
      log(
        `${name} (${p}): ${results[p]!.ms.toFixed(0)} ms (CPU ${results[p]!.cpuMs.toFixed(0)} ms), peak RSS ${(results[p]!.maxRssKiB / 1024).toFixed(0)} MiB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (new Set(Object.values(signals)).size > 1) throw new Error(`${name}: the provers disagree on the public signals: ${JSON.stringify(signals)}`);
  return { instance: name, constraints, results };
}

const f = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpu = os.cpus();
console.log(
  `\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, snarkjs 0.7.6, ${new Date().toISOString().slice(0, 10)}, mean of ${runs}\n`,
);
if (rows.length) {
  console.log(
    "| instance | constraints | N | witness | prover | witness s / batch | proof s / batch | total s / batch | s / transfer | transfers / s | constraints / s (proof) |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    const total = r.witnessS + r.proveS;
    console.log(
      `| ${r.instance} | ${f(r.constraints)} | ${r.batchSize} | ${r.witness} | ${r.prover} | ${f(r.witnessS, 2)} | ${f(r.proveS, 2)} | ${f(total, 2)} | ${f(total / r.batchSize, 2)} | ${f(r.batchSize / total, 2)} | ${f(r.constraints / r.proveS)} |`,
    );
  }
  console.log("");
}
if (comparisons.length) {
  const cores = os.availableParallelism();
  const names = proverNames;
  const both = names.includes("snarkjs") && names.includes("native");
  // Per prover: wall ms, CPU ms (all threads; snarkjs's includes its process start-up), constraints / s / core (wall), peak RSS.
  const cols = (label: (p: string) => string) => names.map(label).join(" | ");
  console.log(
    `| instance | constraints | ${cols((p) => `${p} ms`)} |${both ? " ratio |" : ""} ${cols((p) => `${p} CPU ms`)} |${both ? " CPU ratio |" : ""} ${cols((p) => `${p} constraints / s / core`)} | ${cols((p) => `${p} peak RSS MiB`)} |`,
  );
  console.log(`|---|---|${"---|".repeat(names.length * 4 + (both ? 2 : 0))}`);
  for (const c of comparisons) {
    const r = (p: string) => c.results[p]!;
    const ratio = (k: "ms" | "cpuMs") => (both ? ` ${f(r("snarkjs")[k] / r("native")[k], 1)}× |` : "");
    console.log(
      `| ${c.instance} | ${f(c.constraints)} | ${cols((p) => f(r(p).ms))} |${ratio("ms")} ${cols((p) => f(r(p).cpuMs))} |${ratio("cpuMs")} ${cols((p) => f(c.constraints / (r(p).ms / 1000) / cores))} | ${cols((p) => f(r(p).maxRssKiB / 1024))} |`,
    );
  }
}
