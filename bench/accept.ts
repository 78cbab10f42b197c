// HTTP acceptance benchmark (issue 13): signed transfers accepted per second over HTTP by the
// sequencer of an earlier commit ("before") and of this tree ("after"), in one run, with 1, 16,
// 64 and 256 concurrent clients. Every 202 is durable (on disk before it is sent), and batches
// are built while the transfers arrive; their proofs go to a BullMQ queue on a private Redis that
// no worker takes from (proving is on other machines), so the two cores here serve HTTP, the
// signature checks, the commits and batch building. The load generator is autocannon in a
// process of its own (bench/accept-load.ts).
//
//   bin/bench-accept [--instance prod_d12_b448] [--before 199d034|none] [--connections 1,16,64,256] [--duration 10] [--rate 5000] [--max-in-flight 64] [--verifier-of <instance>]
//
// For each version and connection count: a fresh rollup on the in-process Hardhat chain with one
// L2 account per connection (deposited on L1 and batched before the load starts, so the accounts
// exist), a fresh SQLite database, the service with the CLI's defaults except that one sender
// may have any number pending (--max-pending-per-sender: each connection is one sender) and the
// pool holds 10^6; connection i sends account i's transfers (nonce order, 1 wei to the next
// account), signed beforehand: `rate` × `duration` transfers in all. --max-in-flight: the
// sequencer's bound on batches built and not yet on L1 (64; no proof comes back here, so with
// small batches it is reached within a row: raise it to keep batches being built).
// --verifier-of: deploy the rollup of --instance (its D, N, L, F: what the sequencer builds) with
// the verifier of another instance's setup, which the sequencer's proof queue is then labelled
// with; no proof is made or checked here, so the verifier is never called, and it spares the
// setup of a large instance (prod_d12_b448's takes 1.5 h on 2 cores). Reported: 2xx per second,
// autocannon's latency percentiles of every answer, the answers that were not 202, and what the
// batches took in meanwhile.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkout } from "./checkout.js";
import { benchSettings } from "./settings.js";
import { log } from "./world.js";
import { startRedis } from "../test/redis.js";
import { DEV_POLICY, deployRollup } from "../src/chain/deploy.js";
import { loadCrypto } from "../src/model/crypto.js";
import { L2Key } from "../src/model/keys.js";
import { signTransfer, transferToJSON, type Domain } from "../src/model/tx.js";
import { connectRollup, deploy, deposit } from "../src/ops/index.js";
import { getInstance } from "../src/proving/instances.js";
import { setupInstance } from "../src/proving/setup.js";
import { SignatureVerifierPool } from "../src/proving/signaturePool.js";
import { BullMQProofQueue } from "../src/prover/bullmq.js";
import type * as ApiModule from "../src/sequencer/api.js";
import type * as ServiceModule from "../src/sequencer/service.js";
import type * as StoreModule from "../src/sequencer/store.js";
import { REPO_ROOT } from "../src/util/paths.js";

const { values } = parseArgs({
  options: {
    instance: { type: "string", default: "prod_d12_b448" },
    before: { type: "string", default: "199d034" },
    connections: { type: "string", default: "1,16,64,256" },
    duration: { type: "string", default: "10" },
    rate: { type: "string", default: "5000" },
    "max-in-flight": { type: "string", default: "64" },
    "verifier-of": { type: "string" },
  },
});
const levels = values.connections.split(",").map(Number);
const duration = Number(values.duration);
const rate = Number(values.rate);
const { devPtau } = benchSettings();
process.chdir(REPO_ROOT);
const p = getInstance(values.instance);
const verifierOf = values["verifier-of"] && getInstance(values["verifier-of"]);
const { manifest } = await setupInstance((verifierOf || p).name, { log, devPtau, writeVerifier: false });
const crypto = await loadCrypto();
const { network } = await import("hardhat");
const { ethers } = await network.connect();
const [signer, user] = await ethers.getSigners();
const chainId = (await ethers.provider.getNetwork()).chainId;
const redis = await startRedis();
const signatures = await SignatureVerifierPool.create({ engine: crypto.engine, log });
const work = mkdtempSync(path.join(os.tmpdir(), "zkr-bench-accept-"));

interface Modules {
  service: typeof ServiceModule;
  store: typeof StoreModule;
  api: typeof ApiModule;
}

async function modules(root: string): Promise<Modules> {
  const url = (f: string) => pathToFileURL(path.join(root, "src", "sequencer", f)).href;
  return {
    service: (await import(url("service.ts"))) as typeof ServiceModule,
    store: (await import(url("store.ts"))) as typeof StoreModule,
    api: (await import(url("api.ts"))) as typeof ApiModule,
  };
}

/** A fresh rollup with `n` L2 accounts (1..n) deposited on L1. */
async function rollupWith(n: number) {
  let d = await deploy({
    signer: signer!,
    chainId,
    rpc: "http://in-process.invalid",
    instance: (verifierOf || p).name,
    policy: DEV_POLICY,
    devPtau,
    log: () => {},
  });
  if (verifierOf) {
    // The rollup of --instance on the other instance's verifier (see the header).
    const r = await deployRollup({
      signer: signer!,
      verifierAddress: d.verifier,
      verifyingKeyHash: d.verifyingKeyHash,
      fallback: { verifierAddress: d.fallback.verifier, verifyingKeyHash: d.fallback.verifyingKeyHash, params: getInstance(d.fallback.instance) },
      poseidon: d.poseidon,
      params: p,
      sequencer: d.sequencer,
      ...DEV_POLICY,
    });
    d = { ...d, rollup: r.rollupAddress, instance: p.name, deployBlock: r.blockNumber };
  }
  const keys = await Promise.all(Array.from({ length: n }, () => L2Key.random()));
  const asUser = await connectRollup({ deployment: d, provider: ethers.provider, signer: user! });
  for (const k of keys) await deposit(asUser, { token: 0n, amount: 10n ** 18n, owner: k });
  const { rollup } = await connectRollup({ deployment: d, provider: ethers.provider, signer: signer! });
  const domain: Domain = { chainId, rollupAddress: BigInt(d.rollup) };
  return { d, keys, rollup, domain };
}

interface LoadResult {
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  exhausted: number;
  latency: { p50: number; p99: number; p97_5: number; max: number; average: number };
  statusCodeStats: Record<string, { count: number }>;
}

function runLoad(url: string, bodies: string, connections: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", path.join(REPO_ROOT, "bench", "accept-load.ts"), JSON.stringify({ url, bodies, connections, duration })],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1)!) as LoadResult) : reject(new Error(`load generator exited with ${code}`)),
    );
  });
}

type Row = {
  version: string;
  connections: number;
  accepted: number;
  perS: number;
  p50: number;
  p99: number;
  max: number;
  refused: string;
  batched: number;
  batches: number;
  pending: number;
};

async function level(label: string, m: Modules, connections: number, run: number): Promise<Row> {
  log(`${label}, ${connections} connection(s): rollup with ${connections} accounts …`);
  const { d, keys, rollup, domain } = await rollupWith(connections);
  const store = new m.store.SequencerStore(path.join(work, `${label}-${connections}.sqlite`));
  const queue = new BullMQProofQueue(manifest, { redis: redis.url, queue: `accept-${run}` });
  const seq = new m.service.Sequencer({
    crypto,
    params: p,
    store,
    rollup,
    fromBlock: d.deployBlock,
    prover: queue,
    maxInFlight: Number(values["max-in-flight"]),
    maxPending: 1_000_000,
    maxPendingPerSender: 1_000_000,
    pollMs: 100,
    signaturePool: signatures, // the earlier code ignores it
  } as ServiceModule.SequencerOptions);
  await seq.start();
  const t0 = Date.now();
  while (seq.state.size < connections) {
    if (Date.now() - t0 > 300_000) throw new Error(`the deposits were not batched: ${seq.state.size} accounts`);
    await new Promise((r) => setTimeout(r, 100));
  }
  // Each sender's transfers, in nonce order: rate × duration in all.
  const per = Math.ceil((rate * duration) / connections) + 10;
  log(`${label}, ${connections} connection(s): signing ${per * connections} transfers …`);
  const bodies = keys.map((k, i) =>
    Array.from({ length: per }, (_, nonce) =>
      JSON.stringify(
        transferToJSON(
          signTransfer(crypto.hash, k, { from: BigInt(i + 1), to: BigInt(((i + 1) % connections) + 1), amount: 1n, fee: 0n, nonce: BigInt(nonce) }, domain, p),
        ),
      ),
    ),
  );
  const file = path.join(work, "bodies.json");
  writeFileSync(file, JSON.stringify(bodies));
  const app = m.api.buildApi(seq, store);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  const batchesBefore = store.lastBatch()?.number ?? 0;
  const batchedBefore = store.countTxs().batched;
  log(`${label}, ${connections} connection(s): ${duration} s of load …`);
  const r = await runLoad(url, file, connections);
  const batches = (store.lastBatch()?.number ?? 0) - batchesBefore;
  const c = store.countTxs();
  await app.close();
  await seq.stop();
  await queue.close();
  store.close();
  const refused = Object.entries(r.statusCodeStats)
    .filter(([s]) => s !== "202")
    .map(([s, v]) => `${v.count}× ${s}`);
  if (r.errors) refused.push(`${r.errors} errors`);
  if (r.timeouts) refused.push(`${r.timeouts} timeouts`);
  return {
    version: label,
    connections,
    accepted: r["2xx"],
    perS: r["2xx"] / duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    refused: refused.join(", ") || "none",
    batched: c.batched - batchedBefore,
    batches,
    pending: c.pending,
  };
}

const versions: [string, string][] = [];
if (values.before !== "none") versions.push([`before (${values.before})`, checkout(values.before)]);
versions.push(["after", REPO_ROOT]);
const rows: Row[] = [];
let run = 0;
try {
  for (const conns of levels) {
    for (const [label, root] of versions) {
      const m = await modules(root);
      rows.push(await level(label, m, conns, run++));
      const r = rows.at(-1)!;
      log(`  ${r.version}: ${r.perS.toFixed(0)} tx/s, p50 ${r.p50} ms, p99 ${r.p99} ms, refused: ${r.refused}`);
    }
  }
} finally {
  await signatures.close();
  await redis.stop();
  for (const [, root] of versions) if (root !== REPO_ROOT && existsSync(root)) rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}

const cpu = os.cpus();
console.log(
  `\nHTTP acceptance, ${p.name} (D = ${p.depth}, N = ${p.batchSize}${verifierOf ? `; ${verifierOf.name}'s verifier, never called` : ""}): ${duration} s per row, ${os.availableParallelism()} cores (${cpu[0]?.model.trim()}), Node ${process.version}, crypto ${crypto.engine}\n`,
);
console.log("| version | connections | accepted (202) | tx/s | p50 ms | p99 ms | max ms | not 202 | transfers batched meanwhile | batches built |");
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.version} | ${r.connections} | ${r.accepted.toLocaleString("en-US")} | ${r.perS.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.max} | ${r.refused} | ${r.batched.toLocaleString("en-US")} | ${r.batches} |`,
  );
}
process.exit(0);
