// Proving benchmark: Groth16 proofs with snarkjs of a full batch (every L1, transaction and fee
// slot in use) of each instance, with each witness calculator, on this machine.
//
//   bin/bench-prove [--runs 2] [--witness wasm,cpp] [instance...]     (default: prod_d12_b32)
//
// Sets the instance up first unless cached (a 2^20 setup of the production profile takes about
// half an hour on 2 cores). Prints a Markdown table: witness and proof seconds per batch,
// seconds per transfer, transfers and constraints proved per second.
import os from "node:os";
import { parseArgs } from "node:util";
import { getInstance } from "../src/proving/instances.js";
import { setupInstance } from "../src/proving/setup.js";
import { Prover, type WitnessChoice } from "../src/proving/prover.js";
import { benchSettings } from "./settings.js";
import { fullBatchInput } from "./witness.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: "string", default: "2" },
    witness: { type: "string", default: "wasm,cpp" },
  },
});
const { devPtau } = benchSettings();
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs must be a positive integer");
const backends = values.witness.split(",").filter(Boolean) as WitnessChoice[];
const names = positionals.length ? positionals : ["prod_d12_b32"];
const log = (m: string) => console.error(m);

interface Row {
  instance: string;
  constraints: number;
  batchSize: number;
  witness: string;
  witnessS: number;
  proveS: number;
}
const rows: Row[] = [];

for (const name of names) {
  const p = getInstance(name);
  const { manifest } = await setupInstance(name, { log, writeVerifier: false, devPtau });
  log(`${name}: building a full batch input …`);
  const input = await fullBatchInput(name);
  for (const witness of backends) {
    const prover = new Prover(manifest, { witness, log });
    try {
      const used = await prover.witnessBackend(); // builds the C++ generator first if needed
      log(`${name}: ${runs} proof(s) with the ${used} witness …`);
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
        witnessS: witnessMs / runs / 1000,
        proveS: proveMs / runs / 1000,
      });
    } finally {
      await prover.close();
    }
  }
}

const f = (x: number, digits = 0) => x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpu = os.cpus();
console.log(
  `\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, snarkjs 0.7.6, ${new Date().toISOString().slice(0, 10)}, mean of ${runs}\n`,
);
console.log(
  "| instance | constraints | N | witness | witness s / batch | proof s / batch | total s / batch | s / transfer | transfers / s | constraints / s (proof) |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  const total = r.witnessS + r.proveS;
  console.log(
    `| ${r.instance} | ${f(r.constraints)} | ${r.batchSize} | ${r.witness} | ${f(r.witnessS, 2)} | ${f(r.proveS, 1)} | ${f(total, 1)} | ${f(total / r.batchSize, 2)} | ${f(r.batchSize / total, 2)} | ${f(r.constraints / r.proveS)} |`,
  );
}
