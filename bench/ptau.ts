// Benchmark of the fast development ptau (src/proving/fastptau.ts): the JS engine (ffjavascript's
// wasm on worker threads) against the native one (zkr-prover ptau-new), and the native one alone
// at larger powers.
//
//   node --import tsx bench/ptau.ts [--compare 14,16] [--native 20] [--dir path]
//
// For each --compare power both engines write the file for the same seed (the JS one first) and
// the table says whether the two are byte-identical; --native powers run the native engine only.
// Files go into a temporary directory under --dir (default: the OS's), removed afterwards, so run
// it where there is room (a 2^20 file is 1.2 GB, 2^23 9.7 GB). Prints a Markdown table: power,
// engine, wall time, CPU time (this process's for JS, the native program's for native), peak RSS
// (this process's so far for JS — run one power per process for a clean figure —, the native
// program's own) and file size. The native program is built first (not timed).
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { type FastPtau, type FastPtauEngine, generateFastDevPtau } from "../src/proving/fastptau.js";
import { buildNativeProver } from "../src/proving/native.js";

const { values } = parseArgs({
  options: {
    compare: { type: "string", default: "14,16" },
    native: { type: "string", default: "20" },
    dir: { type: "string", default: os.tmpdir() },
  },
});
const powers = (s: string) => (s === "" || s === "none" ? [] : s.split(",").map(Number));
const log = (m: string) => console.error(m);

await buildNativeProver({ log });
const dir = mkdtempSync(path.join(values.dir, "zkr-bench-ptau-"));
const rows: string[] = [];
const mib = (bytes: number) => `${Math.round(bytes / (1 << 20)).toLocaleString("en-US")} MiB`;
try {
  const run = async (power: number, engine: Exclude<FastPtauEngine, "auto">): Promise<FastPtau & { s: number }> => {
    const seed = new Uint8Array(32).fill(power);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await generateFastDevPtau(power, path.join(dir, `${engine}${power}.ptau`), { seed, engine, log });
    const s = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = engine === "js" ? (cpu.user + cpu.system) / 1e6 : r.nativeStats!.cpuMs / 1000;
    const rssKiB = engine === "js" ? process.resourceUsage().maxRSS : r.nativeStats!.maxRssKiB;
    const threads = engine === "js" ? os.availableParallelism() : r.nativeStats!.threads;
    rows.push(`| 2^${power} | ${engine} | ${s.toFixed(1)} | ${cpuS.toFixed(1)} | ${threads} | ${mib(rssKiB * 1024)} | ${mib(statSync(r.path).size)} |`);
    log(`2^${power} ${engine}: ${s.toFixed(1)} s`);
    return { ...r, s };
  };
  for (const p of powers(values.compare)) {
    const js = await run(p, "js");
    const native = await run(p, "native");
    rows.push(`| 2^${p} | native / js | ${(js.s / native.s).toFixed(1)}× faster | | | | ${native.sha256 === js.sha256 ? "same bytes" : "DIFFERENT BYTES"} |`);
    rmSync(js.path);
    rmSync(native.path);
  }
  for (const p of powers(values.native)) rmSync((await run(p, "native")).path);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `${os.cpus()[0]?.model ?? "?"}, ${os.availableParallelism()} cores, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at the end`,
);
console.log("| power | engine | wall (s) | CPU (s) | threads | peak RSS | file |");
console.log("|---|---|---:|---:|---:|---:|---:|");
for (const r of rows) console.log(r);
process.exit(0);
