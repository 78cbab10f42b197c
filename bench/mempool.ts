// Mempool benchmark: what a submission, a nonce lookup and the status cost as the pool and the
// history grow, for the sequencer of an earlier commit ("before") and of this tree ("after"), in
// one run on the same machine.
//
//   bin/bench-mempool [--before b792c83] [--pending 1000,100000] [--batches 30000] [--reps 10]
//
// For each version: a rollup on the in-process Hardhat network with two accounts (one proven
// batch of deposits), then the service on its own SQLite database with maxInFlight 0 (it accepts
// but builds nothing, so the pool holds what the benchmark put there). The pending transactions
// of other senders and the batch rows are written straight into the store (their signatures are
// not checked again by anyone: only their number matters here); the measured submissions are
// real signed transfers (signature check included, ~17 ms of every submission). Times are the
// median of --reps calls of Sequencer.submitTx, nextNonce and status (what the API handlers call).
// The "before" code is taken with `git archive` into a temporary directory and imported from
// there; it shares this tree's node_modules, prover and contracts (neither changed).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkout } from "./checkout.js";
import { benchWorld, fundedRollup, log } from "./world.js";
import { verifySignature } from "../src/model/keys.js";
import { REPO_ROOT } from "../src/util/paths.js";
import { signTransfer, transferMessage, transferToJSON } from "../src/model/tx.js";
import { LocalProofQueue } from "../src/prover/queue.js";
import type * as ServiceModule from "../src/sequencer/service.js";
import type * as StoreModule from "../src/sequencer/store.js";

const { values } = parseArgs({
  options: {
    before: { type: "string", default: "b792c83" },
    pending: { type: "string", default: "1000,100000" },
    batches: { type: "string", default: "30000" },
    reps: { type: "string", default: "10" },
  },
});
const sizes = values.pending.split(",").map(Number);
const nBatches = Number(values.batches);
const reps = Number(values.reps);
const w = await benchWorld();
const { p, setup, crypto } = w;

/** The sequencer modules of `root` (this tree, or a copy of an earlier commit). */
async function modules(root: string): Promise<{ service: typeof ServiceModule; store: typeof StoreModule }> {
  // Before the layered layout (src/) the sequencer sat at the top level.
  const dir = existsSync(path.join(root, "src", "sequencer")) ? path.join(root, "src", "sequencer") : path.join(root, "sequencer");
  const url = (f: string) => pathToFileURL(path.join(dir, f)).href;
  return { service: (await import(url("service.ts"))) as typeof ServiceModule, store: (await import(url("store.ts"))) as typeof StoreModule };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
function time(n: number, fn: (i: number) => void): number {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn(i);
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** Median of `n` calls of an async `fn`, each awaited (a call that returns a value, not a promise, counts as done). */
async function timeAsync(n: number, fn: (i: number) => unknown): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

type Row = Record<string, number>;

/** Every measurement for one version of the sequencer. */
async function measure(label: string, root: string): Promise<Row> {
  log(`${label}: ${root}`);
  const { service, store: storeMod } = await modules(root);
  const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-bench-mempool-"));
  const { d, keys, rollup, domain } = await fundedRollup(w, 2, 10n ** 18n);
  const store = new storeMod.SequencerStore(path.join(dir, "seq.sqlite"));
  const queue = new LocalProofQueue(setup.manifest);
  const base = { crypto, params: p, store, rollup, fromBlock: d.deployBlock, prover: queue, pollMs: 100, batchTimeoutMs: 200 };
  // Limits far above the pool sizes: this measures cost, not refusals (the "before" code has none).
  const wide = { maxPending: 10_000_000, maxPendingPerSender: 10_000 };
  let seq = new service.Sequencer(base);
  await seq.start();
  await seq.drain();
  await seq.stop();
  const signed = Array.from({ length: reps * sizes.length }, (_, n) =>
    transferToJSON(signTransfer(crypto.hash, keys[0]!, { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: BigInt(n) }, domain, p)),
  );
  let fake = 0;
  const fill = (upTo: number) =>
    store.transaction(() => {
      for (let have = store.countTxs().pending; have < upTo; have++, fake++) {
        const t = { from: 1000n + BigInt(fake), to: 1n, amount: 1n, fee: 0n, nonce: 0n, signature: { R8x: 0n, R8y: 1n, S: 0n } };
        store.addTx("0x" + (0xf000000 + fake).toString(16).padStart(64, "0"), t);
      }
    });

  const row: Row = {};
  let next = 0;
  for (const n of sizes) {
    log(`${label}: ${n} pending`);
    fill(n - reps); // the submissions below bring it to n
    seq = new service.Sequencer({ ...base, ...wide, maxInFlight: 0 });
    const t0 = performance.now();
    await seq.start();
    row[`start, ${n} pending`] = performance.now() - t0;
    // The signature check alone, just before (the machine's load moves it; the rest is the mempool's).
    const probe = signTransfer(crypto.hash, keys[1]!, { from: 2n, to: 1n, amount: 1n, fee: 0n, nonce: 0n }, domain, p);
    row[`signature check alone (in submitTx), ${n} pending`] = time(
      reps,
      () => void verifySignature(crypto.eddsa, transferMessage(crypto.hash, probe, domain, p), probe.signature, keys[1]!.ax, keys[1]!.ay),
    );
    // Until it is on disk: a commit of the earlier code returned stored; this one resolves after its group commit.
    row[`submitTx, ${n} pending`] = await timeAsync(reps, () => seq.submitTx(signed[next++]));
    row[`nextNonce, ${n} pending`] = time(reps, () => void seq.nextNonce(1n));
    row[`status, ${n} pending`] = time(reps, () => void seq.status());
    if (n === sizes.at(-1)) {
      log(`${label}: ${nBatches} batches`);
      const last = store.lastBatch()!;
      store.transaction(() => {
        for (let b = 1; b <= nBatches; b++) store.addBatch({ ...last, number: last.number + b, status: "final", txIds: [], feeIdx: [] });
      });
      row[`status, ${n} pending, ${nBatches} batches`] = time(reps, () => void seq.status());
    }
    await seq.stop();
  }
  await queue.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return row;
}

const beforeDir = checkout(values.before);
let before: Row, after: Row;
try {
  before = await measure(`before (${values.before})`, beforeDir);
  after = await measure("after (this tree)", REPO_ROOT);
} finally {
  rmSync(beforeDir, { recursive: true, force: true });
}

const cpu = os.cpus();
const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT }).toString().trim();
console.log(`\nMachine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, Node ${process.version}; median of ${reps} calls, ms\n`);
console.log(`| sequencer call | before (${values.before}) | after (${head}) |\n|---|---|---|`);
const f = (v: number | undefined) => (v === undefined ? "—" : v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(1) : v.toFixed(0));
for (const k of Object.keys(after)) console.log(`| ${k} | ${f(before[k])} | ${f(after[k])} |`);
process.exit(0); // the Hardhat connection and snarkjs workers
