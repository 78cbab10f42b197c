// Benchmark of the phase-2 initial key (`zkey new`): the native one (zkr-prover zkey-new,
// native/prover/zkey_new.cpp) against snarkjs's zKey.newZKey, on each instance's batch circuit
// and its development ptau.
//
//   node --import tsx bench/zkey-new.ts [--no-snarkjs] [instance...]     (default: bench_d12_b1)
//
// Compiles the circuit unless cached, then writes both keys into a temporary directory (removed
// afterwards) and prints a Markdown table: constraints, domain, each one's wall time, the ratio
// and whether the two keys are byte-identical. Nothing here is cached: both run cold.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { zKey } from "snarkjs";
import { withCurve } from "../src/proving/curve.js";
import { getInstance } from "../src/proving/instances.js";
import { buildNativeProver, nativeZkeyNew } from "../src/proving/native.js";
import { batchMainSource, preparePhase1 } from "../src/proving/setup.js";
import { sha256Hex } from "../src/proving/zkey.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { "no-snarkjs": { type: "boolean", default: false } } });
const names = positionals.length ? positionals : ["bench_d12_b1"];
const log = (m: string) => console.error(m);

const native = await buildNativeProver({ log });
const rows: string[] = [];
for (const name of names) {
  const { circuit, info, domainPower, ptau } = await preparePhase1(name, batchMainSource(getInstance(name)), { devPtau: process.env.ZKR_DEV_PTAU, log });
  const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-bench-zkey-new-"));
  try {
    const nativeFile = path.join(dir, "native.zkey");
    const r = await nativeZkeyNew(native, circuit.r1cs, ptau.path, nativeFile);
    log(`${name}: native ${(r.ms / 1000).toFixed(1)} s, steps ${JSON.stringify(r.stats.stepsMs)}, peak RSS ${r.stats.maxRssKiB} KiB`);
    let snarkjsS: number | undefined;
    let same = "—";
    if (!values["no-snarkjs"]) {
      const file = path.join(dir, "snarkjs.zkey");
      const t0 = performance.now();
      await withCurve(() => zKey.newZKey(circuit.r1cs, ptau.path, file));
      snarkjsS = (performance.now() - t0) / 1000;
      log(`${name}: snarkjs ${snarkjsS.toFixed(1)} s`);
      same = sha256Hex(readFileSync(file)) === sha256Hex(readFileSync(nativeFile)) ? "yes" : "NO";
    }
    const nativeS = r.ms / 1000;
    rows.push(
      `| ${name} | ${info.nConstraints} | 2^${domainPower} | ${snarkjsS === undefined ? "—" : snarkjsS.toFixed(1)} | ${nativeS.toFixed(1)} (${r.stats.threads} threads) | ${snarkjsS === undefined ? "—" : `${(snarkjsS / nativeS).toFixed(1)}×`} | ${same} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log("| circuit | constraints | domain | snarkjs zkey new (s) | native (s) | speed-up | same bytes |");
console.log("|---|---:|---:|---:|---:|---:|---|");
for (const r of rows) console.log(r);
process.exit(0);
