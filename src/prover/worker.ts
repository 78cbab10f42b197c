// A prover worker: pulls proving jobs from a BullMQ queue in Redis, proves each in a child
// process (proving-process.ts), verifies the proof and returns it. Run any number of them, on
// any machines that reach the Redis server and hold a copy of the producer's setup directory:
//
//   node --import tsx src/prover/worker.ts --redis redis://HOST:6379 --queue NAME --setup DIR
//
// (or `zkr prover`). Without --setup, each job's setup is looked up in the cache (--cache DIR).
//
// A worker that dies mid-job loses its job lock; another worker's stalled-job check puts the
// job back in the queue within about lockDuration + 2 × stalledInterval. SIGTERM (or SIGINT)
// finishes the current job and exits; a second one abandons it (another worker retries it).
import { type ChildProcess, fork } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { UnrecoverableError, Worker } from "bullmq";
import { cryptoChoice } from "../model/crypto.js";
import { cacheDir, setCacheDir, setupDir, setupsDir } from "../proving/paths.js";
import type { SetupManifest } from "../proving/manifest.js";
import type { ProveJobData, ProveJobProgress, ProveJobResult } from "./bullmq.js";
import { PROVER_CHOICES, type ProverChoice, WITNESS_CHOICES, type WitnessChoice } from "../proving/prover.js";
import type { ProvingReply, ProvingRequest } from "./proving-process.js";
import { type ProvingPhase, type SetupRef, settlesWithin, setupRef } from "./queue.js";
import { BUNDLED } from "../util/paths.js";

/** Job lock lifetime: a dead worker's job is free again this long after its last renewal (every half of it). */
export const DEFAULT_LOCK_MS = 10_000;
/** How often workers look for jobs whose lock expired (the check takes two rounds). */
export const DEFAULT_STALLED_MS = 2_000;

export interface WorkerOptions {
  /** Redis URL, e.g. redis://10.0.0.5:6379 (redis://:password@host:port/db). */
  redis: string;
  /** Queue name, as given to the producer (BullMQProofQueue). */
  queue: string;
  /**
   * Setup directory (a copy of the producer's cacheDir()/setup/<label>-<key>) to prove with; jobs
   * for another setup fail. Without it, each job's setup is looked up in this machine's cacheDir().
   */
  setup?: string;
  /** Name recorded on the jobs it proves (default <hostname>-<pid>). */
  name?: string;
  /** Jobs proved at the same time (default 1: one proof already uses every core). */
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  log?: (msg: string) => void;
  /** Witness calculator of the default backend (default "wasm"). */
  witness?: WitnessChoice;
  /** Groth16 prover of the default backend (default "auto": native where it builds, else snarkjs). */
  prover?: ProverChoice;
  /** What proves the jobs (default: a ProvingProcess, a child process of this one). */
  backend?: ProvingBackend;
}

/** A proof as a backend returns it, with its own check against the setup's verification key. */
export type BackendProof = Extract<ProvingReply, { type: "done" }>;

/**
 * What a worker proves with: by default a child process (ProvingProcess); another one (another
 * prover implementation, a wrapper that records or alters proofs) goes in WorkerOptions.backend.
 * The worker refuses a proof the backend says does not verify; producers check every proof again.
 */
export interface ProvingBackend {
  /** Pid of the process proofs run in, if any (logged, and reported as ProverWorker.provingPid). */
  readonly pid: number | undefined;
  /** Called once when the worker starts, before any job. */
  start(): void;
  prove(manifest: SetupManifest, input: Record<string, unknown>, onPhase: (p: ProvingPhase) => void): Promise<BackendProof>;
  /** Lets a proof in progress finish, then stops. */
  close(): Promise<void>;
  /** Stops at once, failing a proof in progress. */
  kill(): void;
}

export interface ProverWorker {
  readonly name: string;
  /** Pid of the child process it proves in. */
  readonly provingPid: number | undefined;
  /** Stops taking jobs and exits the proving process; waits for the current job unless `force`. */
  close(opts?: { force?: boolean }): Promise<void>;
}

/** Starts a worker; it runs until close(). */
export async function runWorker(opts: WorkerOptions): Promise<ProverWorker> {
  const name = opts.name ?? `${os.hostname()}-${process.pid}`;
  const log = opts.log ?? ((m: string) => console.log(`${new Date().toISOString()} zkr prover ${name}: ${m}`));
  const setups = new WorkerSetups(opts.setup);
  const proving = opts.backend ?? new ProvingProcess({ witness: opts.witness, prover: opts.prover });
  proving.start();

  const proofs = new Set<Promise<unknown>>(); // in progress, for close()
  const worker = new Worker<ProveJobData, ProveJobResult>(
    opts.queue,
    async (job) => {
      const { setup, input, expectedPublicSignals: expected } = job.data ?? {};
      if (!setup || !input) throw new UnrecoverableError(`job ${job.id} is not a proving job (no setup or input)`);
      const manifest = setups.forJob(setup);
      log(`${job.id}: attempt ${job.attemptsStarted}, proving with ${manifest.label}-${manifest.key}`);
      const progress = (phase: ProvingPhase) => job.updateProgress({ phase, worker: name } satisfies ProveJobProgress).catch(() => {});
      const proof = proving.prove(manifest, input, progress);
      proofs.add(proof);
      const r = await proof.finally(() => proofs.delete(proof));
      if (!r.verified) throw new Error(`worker ${name}: the proof does not verify against the verification key of ${manifest.label}-${manifest.key}`);
      if (expected && JSON.stringify(expected) !== JSON.stringify(r.publicSignals)) {
        // Deterministic: the input itself proves other public signals; no retry can help.
        throw new UnrecoverableError(`the input proves public signals ${JSON.stringify(r.publicSignals)}, not the expected ${JSON.stringify(expected)}`);
      }
      const ms = (x: number) => `${(x / 1000).toFixed(1)} s`;
      log(
        `${job.id}: proved (witness ${ms(r.witnessMs)}, proof ${ms(r.proveMs)}${r.proverBackend ? ` by ${r.proverBackend}` : ""}, verified in ${ms(r.verifyMs)})`,
      );
      return {
        proof: r.proof,
        publicSignals: r.publicSignals,
        witnessMs: r.witnessMs,
        proveMs: r.proveMs,
        worker: name,
        ...(r.proverBackend && { proverBackend: r.proverBackend }),
        ...(r.witnessBackend && { witnessBackend: r.witnessBackend }),
      };
    },
    {
      connection: { url: opts.redis },
      name,
      concurrency: opts.concurrency ?? 1,
      lockDuration: opts.lockDurationMs ?? DEFAULT_LOCK_MS,
      stalledInterval: opts.stalledIntervalMs ?? DEFAULT_STALLED_MS,
      // A job whose worker died twice fails rather than take down a third.
      maxStalledCount: 2,
    },
  );
  let lastError = { message: "", at: 0 }; // while Redis is unreachable every reconnect fails: say so once a minute
  worker.on("error", (e) => {
    if (e.message === lastError.message && Date.now() - lastError.at < 60_000) return;
    lastError = { message: e.message, at: Date.now() };
    log(`redis: ${e.message}`);
  });
  worker.on("failed", (job, e) => job && log(`${job.id}: attempt ${job.attemptsStarted} failed: ${e.message}`));
  try {
    await worker.waitUntilReady();
  } catch (e) {
    proving.kill();
    await settlesWithin(worker.close(true), 1_000);
    throw e;
  }
  log(`ready: queue ${opts.queue} on ${redactUrl(opts.redis)}, ${setups.describe()}, proving in process ${proving.pid}`);

  return {
    name,
    get provingPid() {
      return proving.pid;
    },
    async close({ force = false } = {}) {
      // Forced, the current proof fails at once (or, if that cannot be recorded, its lock expires):
      // another worker retries it. Otherwise BullMQ waits for it to finish and be recorded.
      if (force) proving.kill();
      const closed = worker.close(force);
      await Promise.allSettled([...proofs]);
      // Closing sends QUIT, which waits forever for a Redis that has gone away: then drop the
      // connections instead (ioredis may still hold a reconnect timer; main() exits regardless).
      if (!(await settlesWithin(closed, 3_000))) {
        log("Redis does not answer: dropping the connections");
        await settlesWithin(worker.disconnect(), 1_000);
      }
      await proving.close();
    },
  };
}

/** Finds and checks the setup a job is for: the one given to the worker, or the one in cacheDir(). */
class WorkerSetups {
  private readonly loaded = new Map<string, { manifest: SetupManifest; ref: SetupRef }>();

  constructor(private readonly fixedDir?: string) {
    if (fixedDir) this.load(fixedDir); // fail at start-up, not at the first job
  }

  describe(): string {
    if (!this.fixedDir) return `setups from ${setupsDir()}`;
    const { manifest } = this.load(this.fixedDir);
    return `setup ${manifest.label}-${manifest.key} (${manifest.constraints} constraints) in ${this.fixedDir}`;
  }

  forJob(want: SetupRef): SetupManifest {
    const dir = this.fixedDir ?? setupDir(want.label, want.key);
    const { manifest, ref } = this.load(dir, want);
    if (ref.key !== want.key || ref.vkeySha256 !== want.vkeySha256) {
      throw new Error(
        `the job is for setup ${want.label}-${want.key} (verification key sha256 ${want.vkeySha256}) but ${dir} holds ` +
          `${ref.label}-${ref.key} (verification key sha256 ${ref.vkeySha256}): give the worker a copy of the producer's setup directory`,
      );
    }
    return manifest;
  }

  private load(dir: string, want?: SetupRef): { manifest: SetupManifest; ref: SetupRef } {
    let s = this.loaded.get(dir);
    if (!s) {
      if (want && !existsSync(path.join(dir, "setup.json"))) {
        throw new Error(
          `the job is for setup ${want.label}-${want.key}, not found at ${dir}: copy the producer's setup directory there, or start the worker with --setup`,
        );
      }
      const manifest = readSetupDir(dir);
      s = { manifest, ref: setupRef(manifest) };
      this.loaded.set(dir, s);
    }
    return s;
  }
}

/**
 * The manifest of a setup directory with its key files taken from that directory, so that a copy
 * at another path (another machine) works: setup.json records absolute paths where it was made.
 */
export function readSetupDir(dir: string): SetupManifest {
  const file = path.join(dir, "setup.json");
  if (!existsSync(file)) throw new Error(`${dir} is not a setup directory (no setup.json)`);
  const m = JSON.parse(readFileSync(file, "utf8")) as SetupManifest;
  const here = (f: string) => path.join(dir, path.basename(f));
  const linked = m.linked && { ...m.linked, layout: here(m.linked.layout), shellWasm: here(m.linked.shellWasm), transferWasm: here(m.linked.transferWasm) };
  const local = { ...m, zkey: here(m.zkey), vkey: here(m.vkey), wasm: here(m.wasm), verifierSol: here(m.verifierSol), ...(linked && { linked }) };
  for (const f of [local.zkey, local.vkey, local.wasm, ...(linked ? [linked.layout, linked.transferWasm] : [])]) {
    if (!existsSync(f)) throw new Error(`setup directory ${dir} is incomplete: missing ${path.basename(f)}`);
  }
  return local;
}

/**
 * The default backend: the child process proofs run in (proving-process.ts), and the requests it
 * is working on. It proves with this process's cacheDir() and the given witness calculator.
 */
export class ProvingProcess implements ProvingBackend {
  private child?: ChildProcess;
  private seq = 0;
  private readonly pending = new Map<number, { resolve(r: BackendProof): void; reject(e: Error): void; onPhase(p: ProvingPhase): void }>();
  private readonly witness: WitnessChoice;
  private readonly prover: ProverChoice;

  constructor(opts: { witness?: WitnessChoice; prover?: ProverChoice } = {}) {
    this.witness = opts.witness ?? "wasm";
    this.prover = opts.prover ?? "auto";
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): ChildProcess {
    if (this.child) return this.child;
    // Run from the bundle (scripts/bundle.ts), the bundle's proving-process.mjs next to this
    // code; run from the sources, proving-process.ts through tsx.
    const [entry, execArgv]: [string, string[]] = BUNDLED
      ? ["./proving-process.mjs", []]
      : // createRequire, not import.meta.resolve: this module may run compiled to CommonJS (mocha's tsx hook).
        ["./proving-process.ts", ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href]];
    const child = fork(fileURLToPath(new URL(entry, import.meta.url)), [], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.on("message", (m: ProvingReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.type === "phase") return p.onPhase(m.phase);
      this.pending.delete(m.id);
      if (m.type === "done") p.resolve(m);
      else p.reject(new Error(m.message));
    });
    const gone = (why: string) => {
      if (this.child === child) this.child = undefined;
      for (const p of this.pending.values()) p.reject(new Error(`the proving process ${why} during the proof`));
      this.pending.clear();
    };
    child.on("exit", (code, signal) => gone(`exited (${signal ?? `code ${code}`})`));
    child.on("error", (e) => gone(`failed (${e.message})`));
    this.child = child;
    return child;
  }

  prove(manifest: SetupManifest, input: Record<string, unknown>, onPhase: (p: ProvingPhase) => void): Promise<BackendProof> {
    const child = this.start();
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onPhase });
      child.send(
        {
          type: "prove",
          id,
          manifest,
          input,
          cacheDir: cacheDir(),
          witness: this.witness,
          prover: this.prover,
          crypto: cryptoChoice(),
        } satisfies ProvingRequest,
        (e) => {
          if (e && this.pending.delete(id)) reject(new Error(`cannot reach the proving process: ${e.message}`));
        },
      );
    });
  }

  /** Asks the process to release snarkjs and exit; kills it if it has not within 10 s. */
  async close(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    if (child.connected) child.send({ type: "close" } satisfies ProvingRequest);
    else child.kill();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  kill(): void {
    this.child?.kill("SIGKILL");
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

const USAGE = `usage: node --import tsx src/prover/worker.ts --redis URL --queue NAME [--setup DIR] [--name NAME]
       [--concurrency N] [--lock-ms MS] [--stalled-ms MS] [--cache DIR] [--witness wasm|cpp|auto] [--prover snarkjs|native|auto]`;

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      redis: { type: "string" },
      queue: { type: "string" },
      setup: { type: "string" },
      name: { type: "string" },
      concurrency: { type: "string" },
      "lock-ms": { type: "string" },
      "stalled-ms": { type: "string" },
      cache: { type: "string" },
      witness: { type: "string" },
      prover: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (v.help) return void console.log(USAGE);
  if (!v.redis || !v.queue) throw new Error(`--redis and --queue are required\n${USAGE}`);
  const int = (s: string | undefined, flag: string) => {
    if (s === undefined) return undefined;
    if (!/^[1-9]\d*$/.test(s)) throw new Error(`${flag} must be a positive integer, got "${s}"`);
    return Number(s);
  };
  if (v.witness !== undefined && !WITNESS_CHOICES.includes(v.witness as WitnessChoice))
    throw new Error(`--witness must be ${WITNESS_CHOICES.join(", ")}, got "${v.witness}"`);
  if (v.prover !== undefined && !PROVER_CHOICES.includes(v.prover as ProverChoice))
    throw new Error(`--prover must be ${PROVER_CHOICES.join(", ")}, got "${v.prover}"`);
  setCacheDir(v.cache); // where jobs' setups are found without --setup, and C++ witness generators are built
  const worker = await runWorker({
    redis: v.redis,
    queue: v.queue,
    setup: v.setup && path.resolve(v.setup),
    name: v.name,
    concurrency: int(v.concurrency, "--concurrency"),
    lockDurationMs: int(v["lock-ms"], "--lock-ms"),
    stalledIntervalMs: int(v["stalled-ms"], "--stalled-ms"),
    witness: v.witness as WitnessChoice | undefined,
    prover: v.prover as ProverChoice | undefined,
  });
  let signals = 0;
  const stop = (signal: string) => {
    const force = ++signals > 1;
    console.log(
      `zkr prover ${worker.name}: ${signal}: ${force ? "abandoning the current job" : "finishing the current job, then exiting (again to abandon it)"}`,
    );
    worker.close({ force }).then(
      () => {
        // Everything is closed, so the process ends by itself, unless Redis went away: ioredis
        // may then still be waiting to reconnect.
        setTimeout(() => {
          console.error(`zkr prover ${worker.name}: connections still open 2 s after closing (Redis unreachable?); exiting`);
          process.exit(0);
        }, 2_000).unref();
      },
      (e: Error) => {
        console.error(`zkr prover ${worker.name}: ${e.message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

// Run as a program from its source (the bundle has no worker program: there it is `zkr prover`).
if (!BUNDLED && process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((e: Error) => {
    console.error(`zkr prover worker: ${e.message}`);
    process.exit(1);
  });
}
