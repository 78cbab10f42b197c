// Signature checks on every core: a pool of worker threads (signatureWorker.ts), each with the
// native addon (loadNativeCrypto builds it once, here, and every worker loads that file with the
// same constants) or circomlibjs where the addon is unavailable. Checks queued by any number of
// verify() calls are sent to idle workers in batches, one message per batch, so a busy pool
// pays postMessage once per batch rather than once per signature; an idle pool sends one check
// at once. close() terminates the workers: a pool left open keeps the process alive.
//
// The same workers compute the Merkle hashing of the batches the sequencer builds (hashTree:
// src/model/treePlan.ts runTreePlan with the worker's Poseidon), so that the service thread
// accepts transactions meanwhile. A plan goes to the first idle worker before any signature
// batch (one plan is a batch's hashing; the other workers keep checking signatures).
//
// A worker that dies (an exception, or its thread ending) rejects the checks and the plan it had
// with an error saying so and is replaced; one that dies before it is ready (the addon does not
// load) fails the pool, whose later calls reject with that error. A plan the worker cannot
// compute (malformed) is rejected with the worker's error, the worker kept.
import os from "node:os";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { CryptoChoice, CryptoEngineName } from "../model/crypto.js";
import type { Signature, SignatureMessage } from "../model/keys.js";
import type { TreePlan, TreePlanResult } from "../model/treePlan.js";
import type { Log } from "../util/log.js";
import { BUNDLED } from "../util/paths.js";
import { loadNativeCrypto, type NativeCryptoBuildOptions } from "./nativeCrypto.js";

/** One signature to check: `sig` over `m` by the public key (ax, ay). */
export interface SignatureCheck {
  m: SignatureMessage;
  sig: Signature;
  ax: bigint;
  ay: bigint;
}

/**
 * What a worker starts with. `mod`, for circomlibjs: circomlibjs loads ffjavascript, which loads
 * the web-worker package, and web-worker imported in a worker thread takes the thread for one of
 * its own and loads the script workerData.mod names (printing an error when there is none); an
 * empty data: URL gives it nothing to run.
 */
export type SignatureWorkerData = { engine: "native"; addon: string; constants: Uint8Array } | { engine: "js"; mod: string };

/** A batch for a worker: each item domain, word, R8x, R8y, S, ax, ay (the addon's verify arguments). */
export interface SignatureWorkerRequest {
  id: number;
  items: [bigint, bigint, bigint, bigint, bigint, bigint, bigint][];
}

/** A request to a worker: a batch of signatures, or a tree plan to compute. */
export type SignatureWorkerMessage = SignatureWorkerRequest | { id: number; tree: TreePlan };

export type SignatureWorkerReply =
  | { type: "ready" }
  | { type: "results"; id: number; results: Uint8Array }
  | { type: "tree"; id: number; result: TreePlanResult }
  | { type: "tree-error"; id: number; message: string };

export interface SignatureVerifierPoolOptions {
  /** Worker threads (default: the cores, os.availableParallelism()). */
  threads?: number;
  /** "auto" (default): native where it builds and loads, else circomlibjs, the reason logged; "native" fails instead. */
  engine?: CryptoChoice;
  /** How the native addon is built (the compiler). */
  nativeBuild?: Omit<NativeCryptoBuildOptions, "log">;
  /** Checks per message to a worker, at most (default 256). */
  maxBatch?: number;
  log?: Log;
}

interface Job {
  item: SignatureWorkerRequest["items"][number];
  resolve(ok: boolean): void;
  reject(e: Error): void;
}

interface TreeJob {
  plan: TreePlan;
  resolve(r: TreePlanResult): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** The batch it is checking, or the plan it computes, by request id. */
  inFlight?: { id: number; jobs: Job[]; tree?: undefined } | { id: number; tree: TreeJob; jobs?: undefined };
}

export class SignatureVerifierPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly trees: TreeJob[] = [];
  private seq = 0;
  private closed = false;
  /** Why the pool stopped working (a worker that never started). */
  private failure?: Error;

  private constructor(
    /** The engine every worker checks with. */
    readonly engine: CryptoEngineName,
    private readonly data: SignatureWorkerData,
    private readonly maxBatch: number,
  ) {}

  /** A pool with its workers started and ready (the native addon built first if it is used). */
  static async create(opts: SignatureVerifierPoolOptions = {}): Promise<SignatureVerifierPool> {
    const choice = opts.engine ?? "auto";
    let data: SignatureWorkerData = { engine: "js", mod: "data:text/javascript," };
    if (choice !== "js") {
      try {
        const n = await loadNativeCrypto({ ...opts.nativeBuild, log: opts.log });
        data = { engine: "native", addon: n.file, constants: n.constants };
      } catch (e) {
        if (choice === "native") throw e;
        opts.log?.(`${(e as Error).message}; the signature pool checks with circomlibjs`);
      }
    }
    const pool = new SignatureVerifierPool(data.engine, data, Math.max(1, opts.maxBatch ?? 256));
    const threads = Math.max(1, opts.threads ?? os.availableParallelism());
    try {
      await Promise.all(Array.from({ length: threads }, () => pool.start()));
    } catch (e) {
      await pool.close(); // the workers that did start
      throw e;
    }
    return pool;
  }

  /** Whether each signature verifies, in order (the rule of keys.ts verifySignature). */
  verify(items: SignatureCheck[]): Promise<boolean[]> {
    if (this.closed) return Promise.reject(new Error("the signature pool is closed"));
    if (this.failure) return Promise.reject(this.failure);
    const all = Promise.all(
      items.map(
        (c) =>
          new Promise<boolean>((resolve, reject) =>
            this.queue.push({ item: [c.m.domain, c.m.word, c.sig.R8x, c.sig.R8y, c.sig.S, c.ax, c.ay], resolve, reject }),
          ),
      ),
    );
    this.dispatch();
    return all;
  }

  /** runTreePlan(plan) on a worker thread, with the pool's engine (the same answer as inline). */
  hashTree(plan: TreePlan): Promise<TreePlanResult> {
    if (this.closed) return Promise.reject(new Error("the signature pool is closed"));
    if (this.failure) return Promise.reject(this.failure);
    const p = new Promise<TreePlanResult>((resolve, reject) => this.trees.push({ plan, resolve, reject }));
    this.dispatch();
    return p;
  }

  /** Terminates the workers; checks and plans not answered yet are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const gone = new Error("the signature pool was closed before the check was answered");
    this.failAll(gone);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private start(): Promise<void> {
    // Run from the bundle (scripts/bundle.ts), the bundle's signature-worker.mjs next to this
    // code; run from the sources, signatureWorker.ts through tsx.
    const [entry, execArgv]: [string, string[]] = BUNDLED
      ? ["./signature-worker.mjs", []]
      : // createRequire, not import.meta.resolve: this module may run compiled to CommonJS (mocha's tsx hook).
        ["./signatureWorker.ts", ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href]];
    const worker = new Worker(new URL(entry, import.meta.url), { workerData: this.data, execArgv });
    const slot: Slot = { worker, ready: false };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      let died: Error | undefined;
      worker.on("message", (m: SignatureWorkerReply) => {
        if (m.type === "ready") {
          slot.ready = true;
          resolve();
          this.dispatch();
          return;
        }
        const batch = slot.inFlight;
        if (!batch || batch.id !== m.id) return;
        slot.inFlight = undefined;
        if (m.type === "results" && batch.jobs) batch.jobs.forEach((j, i) => j.resolve(m.results[i] === 1));
        else if (m.type === "tree" && batch.tree) batch.tree.resolve(m.result);
        else if (m.type === "tree-error" && batch.tree) batch.tree.reject(new Error(`a worker could not compute a batch's tree plan: ${m.message}`));
        this.dispatch();
      });
      worker.on("error", (e) => (died = e));
      worker.on("exit", (code) => {
        this.slots.splice(this.slots.indexOf(slot), 1);
        if (this.closed) return;
        const why = `a signature worker ${died ? `failed: ${died.message}` : `exited with code ${code}`}`;
        if (!slot.ready) {
          // It never started: another would not either.
          this.failure = new Error(`the signature pool cannot start its workers: ${why}`);
          this.failAll(this.failure);
          reject(this.failure);
          return;
        }
        const lost = slot.inFlight?.jobs ?? [];
        for (const j of lost) j.reject(new Error(`${why} while checking ${lost.length} signature${lost.length === 1 ? "" : "s"}`));
        slot.inFlight?.tree?.reject(new Error(`${why} while computing a batch's tree plan`));
        void this.start().catch(() => {}); // its failure has failed the pool
      });
    });
  }

  /** Gives the first idle worker a waiting plan, then each idle worker its share of the queue (at most maxBatch checks). */
  private dispatch(): void {
    const idle = this.slots.filter((s) => s.ready && !s.inFlight);
    while (idle.length && this.trees.length) {
      const job = this.trees.shift()!;
      const id = ++this.seq;
      try {
        idle[0]!.worker.postMessage({ id, tree: job.plan } satisfies SignatureWorkerMessage);
        idle.shift()!.inFlight = { id, tree: job };
      } catch (e) {
        job.reject(e as Error);
      }
    }
    for (let i = 0; i < idle.length && this.queue.length; i++) {
      const n = Math.min(this.maxBatch, Math.ceil(this.queue.length / (idle.length - i)));
      const jobs = this.queue.splice(0, n);
      const id = ++this.seq;
      try {
        idle[i]!.worker.postMessage({ id, items: jobs.map((j) => j.item) } satisfies SignatureWorkerMessage);
        idle[i]!.inFlight = { id, jobs };
      } catch (e) {
        for (const j of jobs) j.reject(e as Error); // a value structured clone refuses
      }
    }
  }

  private failAll(e: Error): void {
    for (const j of this.queue.splice(0)) j.reject(e);
    for (const t of this.trees.splice(0)) t.reject(e);
    for (const s of this.slots) {
      s.inFlight?.jobs?.forEach((j) => j.reject(e));
      s.inFlight?.tree?.reject(e);
      s.inFlight = undefined;
    }
  }
}
