// Benchmark of the crypto engines (src/model/crypto.ts): zkr's native addon (native/crypto)
// against circomlibjs, in one run on the same machine, measured from JavaScript as the state
// model calls them (ZkrCrypto.hash and .verify: BigInts in and out, the range checks included).
//
//   node --import tsx bench/crypto.ts [--ms 400] [--rounds 5] [--pool 4000] [--before <commit>]
//
// Prints a Markdown table: Poseidon of 2, 3, 6 and 8 inputs (µs per hash; natively also without
// AVX-512, what a CPU without IFMA computes with), the signature check (ms), and the
// SignatureVerifierPool's throughput on every core (checks/s, one verify() of --pool signatures,
// and the same as that many concurrent single checks; and per CPU-second of all its threads,
// which shows its overhead on a busy machine) against one thread checking in a loop. Each
// figure is the best of --rounds rounds of --ms each, in wall time and in CPU time (on a machine
// shared with other work the two differ; the load average is printed). Then
// where a native hash's time goes: the call with its conversions (a call whose input is out of
// the field returns before hashing) and what packing the inputs into a Buffer in JavaScript
// would cost instead of reading the BigInts' words. The addon is built first (not timed).
// --before: the addon of an earlier commit too (its sources and its compiler flags, built by its
// own src/proving/nativeCrypto.ts into the same cache), loaded into this process beside this
// tree's, and the two timed in alternation on the same inputs, their answers compared.
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { type CryptoOptions, loadCrypto, SNARK_FIELD } from "../src/model/crypto.js";
import { L2Key } from "../src/model/keys.js";
import { loadNativeCrypto } from "../src/proving/nativeCrypto.js";
import { type SignatureCheck, SignatureVerifierPool } from "../src/proving/signaturePool.js";
import { checkout } from "./checkout.js";
import { benchSettings } from "./settings.js";

const { values } = parseArgs({
  options: {
    ms: { type: "string", default: "400" },
    rounds: { type: "string", default: "5" },
    pool: { type: "string", default: "4000" },
    before: { type: "string" },
  },
});
const roundMs = Number(values.ms);
const rounds = Number(values.rounds);
const poolSize = Number(values.pool);
const log = (m: string) => console.error(m);

benchSettings();
const nativeFns = await loadNativeCrypto({ log });
const native: CryptoOptions = { engine: "native", native: async () => nativeFns };
const [n, js] = await Promise.all([loadCrypto(native), loadCrypto({ engine: "js" })]);

/**
 * Seconds per call of `f`, the best of the rounds (each as many calls as fit in roundMs): in wall
 * time, and in this process's CPU time (what other work on the machine takes shows in the first).
 */
function timeIt(f: () => void): { wall: number; cpu: number } {
  let calls = 1;
  for (let t0 = performance.now(); performance.now() - t0 < roundMs / 10; calls *= 2) for (let i = 0; i < calls; i++) f();
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    let k = 0;
    while (performance.now() - t0 < roundMs) {
      for (let i = 0; i < calls; i++) f();
      k += calls;
    }
    const c = process.cpuUsage(c0);
    wall = Math.min(wall, (performance.now() - t0) / 1000 / k);
    cpu = Math.min(cpu, (c.user + c.system) / 1e6 / k);
  }
  return { wall, cpu };
}

const rows: string[][] = [];
const fmt = (x: number, digits: number) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const inputsOf = (k: number) => Array.from({ length: k }, (_, i) => (BigInt(i + 1) * 0x9e3779b97f4a7c15f39cc0605cedc834n) % SNARK_FIELD);
for (const k of [2, 3, 6, 8]) {
  const inputs = inputsOf(k);
  if (n.hash(inputs) !== js.hash(inputs)) throw new Error(`the engines disagree on Poseidon(${k})`);
  const a = timeIt(() => n.hash(inputs));
  const c = timeIt(() => nativeFns.poseidonScalar(...inputs));
  const b = timeIt(() => js.hash(inputs));
  const us = (x: number) => fmt(x * 1e6, 2);
  rows.push([`Poseidon(${k})`, "µs", us(a.wall), us(a.cpu), us(c.wall), us(b.wall), us(b.cpu), `${fmt(b.wall / a.wall, 0)}×`]);
}
const key = await L2Key.random();
const m = { domain: 12345n, word: 678n };
const sig = key.sign(m);
if (!n.verify(m, sig, key.ax, key.ay) || !js.verify(m, sig, key.ax, key.ay)) throw new Error("a valid signature does not verify");
{
  const a = timeIt(() => n.verify(m, sig, key.ax, key.ay));
  const b = timeIt(() => js.verify(m, sig, key.ax, key.ay));
  const ms = (x: number) => fmt(x * 1e3, 3);
  rows.push(["signature check", "ms", ms(a.wall), ms(a.cpu), "", ms(b.wall), ms(b.cpu), `${fmt(b.wall / a.wall, 0)}×`]);
}

// The pool: distinct valid signatures (each checked once per round), on every core.
const keys = await Promise.all([0, 1, 2, 3].map(() => L2Key.random()));
const checks: SignatureCheck[] = Array.from({ length: poolSize }, (_, i) => {
  const k = keys[i % keys.length]!;
  const msg = { domain: BigInt(i), word: BigInt(i * 7 + 1) };
  return { m: msg, sig: k.sign(msg), ax: k.ax, ay: k.ay };
});
const threads = os.availableParallelism();
const pool = await SignatureVerifierPool.create({ engine: "native", threads, log });
/** Checks per second of `run` (the best round), in wall time and per second of CPU (all of this process's threads). */
const poolRate = async (run: () => Promise<boolean[]>) => {
  let wall = 0;
  let cpu = 0;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const ok = await run();
    const c = process.cpuUsage(c0);
    wall = Math.max(wall, poolSize / ((performance.now() - t0) / 1000));
    cpu = Math.max(cpu, poolSize / ((c.user + c.system) / 1e6));
    if (ok.some((x) => !x)) throw new Error("the pool refused a valid signature");
  }
  return { wall, cpu };
};
const batched = await poolRate(() => pool.verify(checks));
const single = await poolRate(async () => (await Promise.all(checks.map((c) => pool.verify([c])))).flat());
await pool.close();
const one = timeIt(() => n.verify(m, sig, key.ax, key.ay));

// Where a native Poseidon(8) goes: the call and the conversions alone, and a Buffer instead.
const eight = inputsOf(8);
const outOfField = [...eight.slice(0, 7), SNARK_FIELD];
const call = timeIt(() => nativeFns.poseidon(...outOfField)).wall;
const full = timeIt(() => nativeFns.poseidon(...eight)).wall;
const buf = Buffer.alloc(32 * 8);
const pack = timeIt(() => {
  for (let i = 0; i < 8; i++) {
    const x = eight[i]!;
    for (let w = 0; w < 4; w++) buf.writeBigUInt64LE((x >> BigInt(64 * w)) & 0xffffffffffffffffn, 32 * i + 8 * w);
  }
}).wall;

// The earlier commit's addon against this one's, alternating (each the best of its rounds, twice).
const beforeRows: string[][] = [];
if (values.before) {
  const dir = checkout(values.before);
  const mod = (await import(pathToFileURL(path.join(dir, "src/proving/nativeCrypto.ts")).href)) as typeof import("../src/proving/nativeCrypto.js");
  const old = await mod.loadNativeCrypto({ log });
  const pair = (label: string, unit: string, scale: number, digits: number, f: (c: typeof old) => unknown) => {
    if (f(old) !== f(nativeFns)) throw new Error(`the addons of ${values.before} and of this tree disagree on ${label}`);
    let b = Infinity;
    let a = Infinity;
    for (let i = 0; i < 2; i++) {
      b = Math.min(b, timeIt(() => f(old)).cpu);
      a = Math.min(a, timeIt(() => f(nativeFns)).cpu);
    }
    beforeRows.push([label, unit, fmt(b * scale, digits), fmt(a * scale, digits), `${fmt((1 - a / b) * 100, 0)} %`]);
  };
  for (const k of [2, 3, 6, 8]) {
    const inputs = inputsOf(k);
    pair(`Poseidon(${k})`, "µs", 1e6, 2, (c) => c.poseidon(...inputs));
  }
  pair("signature check", "ms", 1e3, 3, (c) => c.verify(m.domain, m.word, sig.R8x, sig.R8y, sig.S, key.ax, key.ay));
}

const cpu = os.cpus();
console.log(`| operation | unit | native | native CPU | native without AVX-512 | circomlibjs | circomlibjs CPU | native speed-up |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- |`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
console.log(`\n| signature checks (native) | checks/s | checks per CPU-second |`);
console.log(`| --- | --- | --- |`);
console.log(`| one thread, in a loop | ${fmt(1 / one.wall, 0)} | ${fmt(1 / one.cpu, 0)} |`);
console.log(`| SignatureVerifierPool, ${threads} workers, one verify() of ${poolSize} | ${fmt(batched.wall, 0)} | ${fmt(batched.cpu, 0)} |`);
console.log(`| SignatureVerifierPool, ${threads} workers, ${poolSize} concurrent verify() of one | ${fmt(single.wall, 0)} | ${fmt(single.cpu, 0)} |`);
if (beforeRows.length) {
  console.log(`\n| native, CPU time | unit | before (${values.before}) | this tree | less |`);
  console.log(`| --- | --- | --- | --- | --- |`);
  for (const r of beforeRows) console.log(`| ${r.join(" | ")} |`);
}
console.log(
  `\nNative Poseidon(8) from JavaScript: ${fmt(full * 1e6, 2)} µs a call, of which the call and the conversion of its inputs ${fmt(call * 1e6, 2)} µs ` +
    `(packing the 8 inputs into a Buffer in JavaScript instead: ${fmt(pack * 1e6, 2)} µs); the addon's ${nativeFns.avx512 ? "AVX-512 IFMA" : "scalar (mulx/adx)"} path.`,
);
console.log(
  `\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}, ${new Date().toISOString().slice(0, 10)}`,
);
