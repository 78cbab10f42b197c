// Child process of bin/bench-prove's prover comparison: `runs` snarkjs Groth16 proofs of one
// witness file with one proving key, alone in a fresh process so that its peak RSS is snarkjs's
// own. Prints one JSON line: the wall time of each proof (ms, the zkey already in memory, as a
// long-running Prover holds it), the process's CPU time per proof (ms, all threads, start-up
// included) and its peak RSS (KiB).
//
//   node --import tsx bench/snarkjs-prove.ts <circuit.zkey> <witness.wtns> <runs>
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { groth16 } from "snarkjs";
import { holdCurve } from "../src/proving/curve.js";

const [zkeyFile, wtnsFile, runsArg] = process.argv.slice(2);
if (!zkeyFile || !wtnsFile || !runsArg) throw new Error("usage: bench/snarkjs-prove.ts <circuit.zkey> <witness.wtns> <runs>");
const release = holdCurve();
try {
  const zkey = readFileSync(zkeyFile);
  const data = readFileSync(wtnsFile);
  const ms: number[] = [];
  const publicSignals: string[][] = [];
  for (let r = 0; r < Number(runsArg); r++) {
    const t0 = performance.now();
    const proof = await groth16.prove(zkey, { type: "mem", data });
    ms.push(performance.now() - t0);
    publicSignals.push(proof.publicSignals);
  }
  const cpu = process.cpuUsage(); // every thread of the process: snarkjs's workers included
  console.log(
    JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 / ms.length, maxRssKiB: process.resourceUsage().maxRSS, publicSignals: publicSignals[0] }),
  );
} finally {
  await release();
}
