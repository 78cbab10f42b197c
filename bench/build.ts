// Batch building on the sequencer's service thread (issue 13): what building a batch of the
// production profile costs the thread that also serves HTTP, with the Merkle hashing inline
// (buildBatch, how every batch was built before) and with it on a worker thread
// (prepareBatch, SignatureVerifierPool.hashTree, finish: what the sequencer does now), in one run.
//
//   node --import tsx bench/build.ts [--instance prod_d12_b448] [--accounts 20000] [--batches 5]
//
// A state in memory with --accounts accounts at D = 12 (created first, not timed), then
// --batches batches of N transfers each, from random accounts with their next nonce to random
// accounts, alternating the two ways on the same growing state. The signature checks are the
// mempool's (admission checked them on the workers already: signatureOf answers them, as the
// planner's does), so the figures are the building alone. Per batch: the service thread's time
// (inline: all of it; two steps: prepare + finish), the worker's hashing (wall time of the
// hashTree call, the plan's transfer included), and per transfer.
import os from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { buildBatch, prepareBatch, type BatchContext } from "../src/model/batch.js";
import { loadCrypto, SNARK_FIELD } from "../src/model/crypto.js";
import { L2State } from "../src/model/state.js";
import type { SignedTransfer } from "../src/model/tx.js";
import { getInstance } from "../src/proving/instances.js";
import { SignatureVerifierPool } from "../src/proving/signaturePool.js";
import { jobDigest, toJsonInput } from "../src/prover/queue.js";
import { benchSettings } from "./settings.js";

const { values } = parseArgs({
  options: {
    instance: { type: "string", default: "prod_d12_b448" },
    accounts: { type: "string", default: "20000" },
    batches: { type: "string", default: "5" },
  },
});
const log = (m: string) => console.error(m);
benchSettings(); // the process's crypto engine ($ZKR_CRYPTO, native where it builds)
const p = getInstance(values.instance);
const crypto = await loadCrypto();
const pool = await SignatureVerifierPool.create({ engine: crypto.engine, threads: 1, log });
const state = new L2State(crypto, p);
const n = Number(values.accounts);
let seed = 12345;
const rand = (m: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed % m;
};
log(`creating ${n} accounts at D = ${p.depth} (${crypto.engine} crypto) …`);
for (let i = 0; i < n; i++) {
  state.createAccount({ ax: (BigInt(rand(2 ** 30)) * 7919n) % SNARK_FIELD, ay: BigInt(i + 1), owner: 1n, tokenId: 0n, balance: 10n ** 18n, nonce: 0n });
}
const ctx: BatchContext = {
  domain: { chainId: 31337n, rollupAddress: 0x1234n },
  feeIdx: [],
  // Admission's checks: made on the workers before the transfers were accepted.
  signatureOf: (tx) => {
    const a = state.account(tx.from)!;
    return { ax: a.ax, ay: a.ay, ok: true };
  },
};
const nonces = new Map<bigint, bigint>();
function transfers(): SignedTransfer[] {
  return Array.from({ length: p.batchSize }, () => {
    const from = BigInt(1 + rand(n));
    const nonce = nonces.get(from) ?? 0n;
    nonces.set(from, nonce + 1n);
    return { from, to: BigInt(1 + rand(n)), amount: 1n, fee: 0n, nonce, signature: { R8x: 0n, R8y: 0n, S: 0n } };
  });
}

interface Row {
  way: string;
  thread: number;
  worker: number;
  /** Handing the batch to a proof queue: toJsonInput, jobDigest, and the JSON BullMQ stores. */
  handoff: number;
  txs: number;
}
const ref = { label: p.name, key: "bench", vkeySha256: "0".repeat(64) };
function handoff(input: Record<string, unknown>, expected: bigint[]): number {
  const t0 = performance.now();
  const json = toJsonInput(input);
  const data = { setup: ref, input: json, digest: jobDigest(ref, json, expected.map(String)) };
  JSON.stringify(data);
  return performance.now() - t0;
}
const rows: Row[] = [];
for (let b = 0; b < Number(values.batches); b++) {
  for (const way of ["inline", "worker"] as const) {
    const txs = transfers();
    state.checkpoint(); // kept (committed below): the state grows as a sequencer's does
    if (way === "inline") {
      const t0 = performance.now();
      const batch = buildBatch(state, { txs }, ctx);
      rows.push({ way, thread: performance.now() - t0, worker: 0, handoff: handoff(batch.circuitInput, batch.publicSignals), txs: batch.txs.length });
    } else {
      const t0 = performance.now();
      const prepared = prepareBatch(state, { txs }, ctx);
      const t1 = performance.now();
      const result = await pool.hashTree(prepared.plan);
      const t2 = performance.now();
      const batch = prepared.finish(result);
      const t3 = performance.now();
      rows.push({ way, thread: t1 - t0 + (t3 - t2), worker: t2 - t1, handoff: handoff(batch.circuitInput, batch.publicSignals), txs: batch.txs.length });
    }
    state.commit();
    if (rows.at(-1)!.txs !== p.batchSize) throw new Error(`a batch took ${rows.at(-1)!.txs} transfers, not ${p.batchSize}`);
  }
}
await pool.close();

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\nBuilding a batch of ${p.name} (D = ${p.depth}, N = ${p.batchSize}) on ${n.toLocaleString("en-US")} accounts, ${crypto.engine} crypto, median of ${values.batches} batches; ` +
    `${os.availableParallelism()} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}, load ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}\n`,
);
console.log(
  "| hashing | service thread, ms per batch | µs per transfer | worker thread, ms per batch (wall) | then to the proof queue (JSON, digest), ms per batch |",
);
console.log("|---|---|---|---|---|");
for (const way of ["inline", "worker"]) {
  const r = rows.filter((x) => x.way === way);
  const thread = median(r.map((x) => x.thread));
  console.log(
    `| ${way === "inline" ? "inline (buildBatch)" : "on a worker (prepareBatch + hashTree + finish)"} | ${thread.toFixed(1)} | ${((thread * 1000) / p.batchSize).toFixed(0)} | ${way === "inline" ? "–" : median(r.map((x) => x.worker)).toFixed(1)} | ${median(r.map((x) => x.handoff)).toFixed(1)} |`,
  );
}
