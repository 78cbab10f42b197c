// L2 state at scale: the sequencer's state on SQLite (src/sequencer/statedb.ts) against the state in
// memory, this tree's (MemoryStateBackend) and an earlier commit's (one Map of every node and one
// of every account, "before"), in one run on the same machine, each in a process of its own (so
// each RSS is its own). Depth 12 (the production tree).
//
//   bin/bench-state [--sizes 10000,100000] [--hasher poseidon|stub] [--cache 1048576] [--updates 2000] [--before <commit>]
//
// Per size and state: the time to create the accounts, 448 per batch (one checkpoint each, kept
// for good after it: one SQLite transaction per batch), and how much of it is hashing; the RSS
// after; the database on disk; a restart (SQLite: open the file and read the root and a proof;
// in memory there is nothing to open: the state was rebuilt by replaying every batch, the create
// time); a leaf update of the tree alone (AccountTree.update, 8 Poseidon(8) at D = 12) and of the
// state (a credit to a random account: its witness for the circuit, the account, its leaf hash and
// the tree update), each in µs and the part of it that is not hashing — with a native Poseidon
// (about 8 µs per Poseidon(8)) that part is what is left of issue 13's 100 µs per leaf update —
// and the write of a batch of 448 such updates per update. --before: the commit this branch
// started from, unless given.
// --hasher poseidon is the model's (loadCrypto: the native addon where it builds, ZKR_CRYPTO
// chooses; circomlibjs costs ~0.3 ms per Poseidon(8)); stub is a cheap stand-in with the same
// inputs and outputs shape (not a hash: for the storage cost alone). --cache is the SQLite state's cache bound; the SQLite
// state runs with it and with 65,536 entries (a tree much larger than its cache).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { checkout } from "./checkout.js";
import { type Account } from "../src/model/account.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../src/model/crypto.js";
import { deriveParams } from "../src/model/params.js";
import type * as StateModule from "../src/model/state.js";
import { SqliteStateBackend } from "../src/sequencer/statedb.js";
import { SequencerStore } from "../src/sequencer/store.js";
import { REPO_ROOT } from "../src/util/paths.js";
import { benchSettings } from "./settings.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10000,100000" },
    hasher: { type: "string", default: "poseidon" },
    cache: { type: "string", default: String(1 << 20) },
    updates: { type: "string", default: "2000" },
    before: { type: "string" },
    child: { type: "string" },
    n: { type: "string" },
    root: { type: "string" },
  },
});
const BATCH = 448;
const params = deriveParams({ name: "bench_d12", description: "", depth: 12, batchSize: BATCH, l1Slots: 16, feeSlots: 1 });
const log = (m: string) => console.error(m);

type Variant = "before" | "memory" | "sqlite" | "sqlite-small";
interface Result {
  variant: Variant;
  n: number;
  createS: number;
  createHashS: number;
  rssMB: number;
  heapMB: number;
  diskMB?: number;
  openMs?: number;
  coldProofMs?: number;
  treeUs: number;
  treeOtherUs: number;
  updateUs: number;
  updateOtherUs: number;
  writeUs: number;
  /** The crypto engine that hashed (--hasher poseidon), or "stub". */
  engine: string;
}

/** A deterministic generator of field elements. */
function gen(seed: bigint) {
  let x = seed;
  return (bits = 253) => {
    x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    let v = x;
    for (let i = 64; i < bits; i += 64) v = (v << 64n) | (x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n));
    return (v & ((1n << BigInt(bits)) - 1n)) % SNARK_FIELD;
  };
}

async function child(variant: Variant, n: number, root: string): Promise<Result> {
  benchSettings(); // the process's crypto engine ($ZKR_CRYPTO, native where it builds), as the sequencer's
  const real = values.hasher === "poseidon" ? await loadCrypto() : undefined;
  const stub = (xs: bigint[]) => {
    let h = 0x9e3779b97f4a7c15n;
    for (const x of xs) h = ((h ^ x) * 0x100000001b3n) % SNARK_FIELD;
    return h;
  };
  const inner = real ? real.hash : stub;
  let hashNs = 0n;
  const hash = (xs: bigint[]) => {
    const t = process.hrtime.bigint();
    const r = inner(xs);
    hashNs += process.hrtime.bigint() - t;
    return r;
  };
  const crypto = { hash, eddsa: real?.eddsa } as ZkrCrypto;
  const { L2State } = (await import(pathToFileURL(path.join(root, "src/model/state.ts")).href)) as typeof StateModule;
  const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-bench-state-"));
  const file = path.join(dir, "seq.sqlite");
  const cache = variant === "sqlite-small" ? 1 << 16 : Number(values.cache);
  let store = variant.startsWith("sqlite") ? new SequencerStore(file) : undefined;
  const make = () => (store ? new L2State(crypto, params, new SqliteStateBackend(store, params.depth, { cacheEntries: cache })) : new L2State(crypto, params));
  let state = make();
  // "before" has no forget with a label: its commit drops the journal (nothing is written anywhere).
  const keep = (label: number) => {
    if (variant !== "before") state.forget(Number.MAX_SAFE_INTEGER, label);
    state.commit();
  };
  const rnd = gen(BigInt(n));
  let batch = 0;
  hashNs = 0n;
  const t0 = performance.now();
  for (let made = 0; made < n;) {
    state.checkpoint();
    for (let k = 0; k < BATCH && made < n; k++, made++) {
      const a: Account = { ax: rnd(), ay: rnd(), owner: rnd(160), tokenId: 0n, balance: rnd(100), nonce: 0n };
      state.createAccount(a);
    }
    keep(++batch);
    if (batch % 50 === 0) log(`  ${variant}: ${made} accounts, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const createS = (performance.now() - t0) / 1000;
  const createHashS = Number(hashNs) / 1e9;

  // Leaf updates: credits of random accounts, a batch of them at a time, the write apart.
  const updates = Number(values.updates);
  hashNs = 0n;
  let updateMs = 0;
  let writeMs = 0;
  for (let done = 0; done < updates;) {
    const tu = performance.now();
    state.checkpoint();
    for (let k = 0; k < BATCH && done < updates; k++, done++) state.credit(1n + (rnd(64) % BigInt(n)), 1n);
    const tw = performance.now();
    keep(++batch);
    updateMs += tw - tu;
    writeMs += performance.now() - tw;
  }
  const updateUs = (updateMs * 1000) / updates;
  const updateOtherUs = updateUs - Number(hashNs) / 1000 / updates;
  const writeUs = (writeMs * 1000) / updates;
  global.gc?.();
  const rssMB = process.memoryUsage().rss / 2 ** 20;
  const heapMB = process.memoryUsage().heapUsed / 2 ** 20;
  const root0 = state.root;

  // The tree alone: leaf updates through the state's node store, no checkpoint open (not written).
  const measureTree = () => {
    hashNs = 0n;
    const t = performance.now();
    for (let k = 0; k < updates; k++) state.tree.update(1n + (rnd(64) % BigInt(n)), rnd());
    const us = ((performance.now() - t) * 1000) / updates;
    return [us, us - Number(hashNs) / 1000 / updates] as const;
  };
  // Warm, before the restart (nothing of it is written: the database keeps root0).
  const [treeUs, treeOtherUs] = measureTree();
  const engine = real ? real.engine : "stub";
  const out: Result = { variant, n, createS, createHashS, rssMB, heapMB, updateUs, updateOtherUs, writeUs, treeUs, treeOtherUs, engine };
  if (store) {
    store.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const size = (f: string) => (existsSync(f) ? statSync(f).size : 0);
    out.diskMB = (size(file) + size(file + "-wal")) / 2 ** 20;
    store.close();
    const t2 = performance.now();
    store = new SequencerStore(file);
    state = make();
    if (state.root !== root0) throw new Error("the state opened again has another root");
    state.witness(1n);
    out.openMs = performance.now() - t2;
    const t3 = performance.now();
    for (let k = 0; k < 100; k++) state.witness(1n + (rnd(64) % BigInt(n)));
    out.coldProofMs = (performance.now() - t3) / 100;
  }
  store?.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

if (values.child) {
  console.log(JSON.stringify(await child(values.child as Variant, Number(values.n), values.root!)));
} else {
  const ref = values.before ?? execFileSync("git", ["merge-base", "HEAD", "main"], { cwd: REPO_ROOT }).toString().trim();
  const before = checkout(ref);
  const commit = execFileSync("git", ["rev-parse", "--short", ref], { cwd: REPO_ROOT }).toString().trim();
  const rows: Result[] = [];
  try {
    for (const n of values.sizes.split(",").map(Number)) {
      for (const variant of ["before", "memory", "sqlite", "sqlite-small"] as Variant[]) {
        log(`${variant}, ${n.toLocaleString("en-US")} accounts (${values.hasher} hasher) …`);
        const r = spawnSync(
          process.execPath,
          [
            "--expose-gc",
            "--import",
            "tsx",
            "--disable-warning=ExperimentalWarning",
            "bench/state-scale.ts",
            ...["--child", variant, "--n", String(n), "--root", variant === "before" ? before : REPO_ROOT],
            ...["--hasher", values.hasher, "--cache", values.cache, "--updates", values.updates],
          ],
          { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 },
        );
        if (r.status !== 0) {
          log(`  ${variant} failed (status ${r.status ?? r.signal})`);
          continue;
        }
        rows.push(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Result);
      }
    }
  } finally {
    rmSync(before, { recursive: true, force: true });
  }
  const name: Record<Variant, string> = {
    before: `in memory, ${commit} (one Map)`,
    memory: "in memory (MemoryStateBackend)",
    sqlite: `SQLite, cache ${Number(values.cache).toLocaleString("en-US")}`,
    "sqlite-small": "SQLite, cache 65,536",
  };
  const f = (x: number | undefined, d = 1) => (x === undefined ? "—" : x.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d }));
  console.log(
    `\n| accounts | state | create (s) | of which hashing (s) | RSS (MB) | JS heap (MB) | on disk (MB) | restart | tree update (µs) | not hashing (µs) | state leaf update (µs) | not hashing (µs) | write per update (µs) |`,
  );
  console.log(`| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |`);
  for (const r of rows) {
    const restart = r.openMs === undefined ? `replay (≈ ${f(r.createS)} s)` : `${f(r.openMs, 0)} ms open, ${f(r.coldProofMs, 2)} ms a cold proof`;
    console.log(
      `| ${r.n.toLocaleString("en-US")} | ${name[r.variant]} | ${f(r.createS)} | ${f(r.createHashS)} | ${f(r.rssMB, 0)} | ${f(r.heapMB, 0)} | ${f(r.diskMB)} | ${restart} | ` +
        `${f(r.treeUs, 0)} | ${f(r.treeOtherUs)} | ${f(r.updateUs, 0)} | ${f(r.updateOtherUs)} | ${f(r.writeUs)} |`,
    );
  }
  const cpu = os.cpus();
  console.log(
    `\nDepth 12, ${BATCH} accounts or updates per batch, ${values.hasher} hasher (${[...new Set(rows.map((r) => r.engine))].join(", ") || "none"}); machine: ${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}, ${new Date().toISOString().slice(0, 10)}`,
  );
}
