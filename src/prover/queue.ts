// The proving job queue: the sequencer submits batch N, N+1, … and takes the proofs back in
// submission order, each verified before it is handed out. Two backends:
//   LocalProofQueue (here): the embedded default, proofs in this process with a Prover.
//   BullMQProofQueue (bullmq.ts): workers on any number of machines pull jobs from Redis
//   (src/prover/worker.ts).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { proofProblem } from "../proving/check.js";
import { sharedCurveReady } from "../proving/curve.js";
import type { SetupManifest } from "../proving/manifest.js";
import { type ProofResult, Prover } from "../proving/prover.js";

export type JobState = "waiting" | "active" | "completed" | "failed";
/** What an active job is doing: "proving" (witness and Groth16 proof), then "verifying". */
export type ProvingPhase = "proving" | "verifying";

export interface ProofJob {
  /** Unique within the queue, e.g. "batch-12". */
  id: string;
  /** Circuit input: signal name → value or (nested) array of values; bigint, number or decimal string. */
  input: Record<string, unknown>;
  /** The public signals the proof must have (for a batch: [evaluation, challenge]); checked before the proof is accepted. */
  expectedPublicSignals?: readonly (bigint | string)[];
}

/** A proof handed out by a queue: verified against the queue's verification key. */
export interface QueuedProof extends ProofResult {
  id: string;
  /** Who made it: "local" or the remote worker's name. */
  worker: string;
  /** Attempts started for this job (more than 1 after a failure or a dead worker). */
  attempts: number;
}

export interface JobStatus {
  id: string;
  state: JobState;
  /** Attempts started so far. */
  attempts: number;
  /** Worker holding it (active) or that last held it. */
  worker?: string;
  phase?: ProvingPhase;
  /** Milliseconds since submission, until it finished (or until now). */
  elapsedMs: number;
  /** Why it failed, for a failed job. */
  error?: string;
}

export interface ProofQueue {
  /** The circuit this queue proves for: every proof is checked against its verification key. */
  readonly setup: SetupManifest;
  /**
   * Queues a job. Submitting an id again with the same input and setup is a no-op (a failed job
   * is retried); with a different one it is an error.
   */
  submit(job: ProofJob): Promise<void>;
  /** The verified proof of job `id`, once proven; rejects with the reason if it fails for good. */
  result(id: string): Promise<QueuedProof>;
  /** The result of the oldest submitted job not yet handed out by next(): proofs in submission order. */
  next(): Promise<QueuedProof>;
  /** State, attempts, worker and elapsed time of the jobs, oldest first. */
  status(): Promise<JobStatus[]>;
  /** Stops proving and releases Redis connections and snarkjs worker threads. */
  close(): Promise<void>;
}

/** The values of a circuit input as JSON: bigints (and numbers) become decimal strings. */
export type JsonInput = Record<string, JsonValue>;
type JsonValue = string | JsonValue[];

/** A decimal string BigInt(v).toString() gives back unchanged: no leading zero, no "+", no "-0". */
const CANONICAL_DECIMAL = /^(0|-?[1-9]\d*)$/;

/** `input` with every value a decimal string; throws on anything a circuit input cannot hold. */
export function toJsonInput(input: Record<string, unknown>): JsonInput {
  const conv = (v: unknown, where: string): JsonValue => {
    if (Array.isArray(v)) return v.map((x, i) => conv(x, `${where}[${i}]`));
    if (typeof v === "bigint") return v.toString();
    if (typeof v === "number" && Number.isSafeInteger(v)) return v.toString();
    // Canonical already (the batch builder's decimal strings): as it is, without a BigInt round trip.
    if (typeof v === "string" && CANONICAL_DECIMAL.test(v)) return v;
    if (typeof v === "string" && /^(-?\d+|0x[0-9a-fA-F]+)$/.test(v)) return BigInt(v).toString();
    throw new Error(`circuit input ${where} is not an integer (bigint, safe number, decimal or 0x string): ${String(v)}`);
  };
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, conv(v, k)]));
}

/** Identifies a setup beyond its cache key: the key plus a hash of its verification key. */
export interface SetupRef {
  label: string;
  key: string;
  vkeySha256: string;
}

export function setupRef(m: SetupManifest): SetupRef {
  return { label: m.label, key: m.key, vkeySha256: createHash("sha256").update(readFileSync(m.vkey)).digest("hex") };
}

/** Expected public signals as canonical decimal strings. */
export function canonicalSignals(expected: readonly (bigint | string)[] | undefined): string[] | undefined {
  return expected?.map((e) => BigInt(e).toString());
}

/** Digest of what a job proves: setup, input and expected signals (to tell a resubmission from a clash). */
export function jobDigest(setup: SetupRef, input: JsonInput, expected: string[] | undefined): string {
  return createHash("sha256")
    .update(JSON.stringify([setup, input, expected ?? null]))
    .digest("hex");
}

/** Whether `p` settles (resolves or rejects) within `ms`. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  clearTimeout(timer);
  return result;
}

/** The submitted ids not yet handed out by next(), oldest first. */
export class SubmissionOrder {
  private readonly ids: string[] = [];
  add(id: string): void {
    if (!this.ids.includes(id)) this.ids.push(id);
  }
  take(): string {
    const id = this.ids.shift();
    if (id === undefined) throw new Error("next(): every submitted job has already been handed out");
    return id;
  }
}

/** A handle on a Prover: prove, verify, close (the LocalProofQueue's options may supply one). */
export type ProverLike = Pick<Prover, "prove" | "verify" | "close">;

export interface LocalQueueOptions {
  /**
   * Proofs run at the same time (default 1). snarkjs already spreads one proof over every core
   * (its bn128 thread pool has a thread per core), so on a 2-core machine 2 concurrent proofs take
   * as long as 2 in a row and each arrives later; more than 1 only pays where a proof leaves cores
   * idle (small circuits, the single-threaded witness computation).
   */
  concurrency?: number;
  /** Prover to use (default: a new Prover for the setup). The queue closes it in close(). */
  prover?: ProverLike;
}

interface LocalJob {
  id: string;
  /** Dropped once proven (it can be large); the digest still tells a resubmission from a clash. */
  input?: JsonInput;
  expected?: string[];
  digest: string;
  state: JobState;
  phase?: ProvingPhase;
  submittedAt: number;
  finishedAt?: number;
  error?: string;
  done: Promise<QueuedProof>;
}

/**
 * The embedded queue: proves in this process (proofs from the snarkjs thread pool, the witness
 * on this thread), `concurrency` at a time, in submission order. A failed proof is not retried:
 * in-process failures (an input the circuit rejects) are deterministic.
 */
export class LocalProofQueue implements ProofQueue {
  readonly concurrency: number;
  private readonly prover: ProverLike;
  private readonly ref: SetupRef;
  private readonly jobs = new Map<string, LocalJob>();
  private readonly order = new SubmissionOrder();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private closed = false;

  constructor(
    readonly setup: SetupManifest,
    opts: LocalQueueOptions = {},
  ) {
    this.concurrency = opts.concurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error(`concurrency must be a positive integer, got ${opts.concurrency}`);
    this.ref = setupRef(setup);
    this.prover = opts.prover ?? new Prover(setup);
  }

  async submit(job: ProofJob): Promise<void> {
    if (this.closed) throw new Error("the proof queue is closed");
    const input = toJsonInput(job.input);
    const expected = canonicalSignals(job.expectedPublicSignals);
    const digest = jobDigest(this.ref, input, expected);
    const existing = this.jobs.get(job.id);
    if (existing) {
      if (existing.digest !== digest) throw new Error(`job "${job.id}" was already submitted with a different input`);
      if (existing.state !== "failed") return;
    }
    const state: JobState = "waiting";
    const fields = { id: job.id, input, expected, digest, state, submittedAt: Date.now() };
    const j: LocalJob = Object.assign(fields, { done: this.run(fields) });
    j.done.catch(() => {}); // reported through result()/next()
    this.jobs.set(job.id, j);
    this.order.add(job.id);
  }

  result(id: string): Promise<QueuedProof> {
    const j = this.jobs.get(id);
    return j ? j.done : Promise.reject(new Error(`no proving job "${id}" was submitted`));
  }

  async next(): Promise<QueuedProof> {
    return this.result(this.order.take());
  }

  async status(): Promise<JobStatus[]> {
    const now = Date.now();
    return [...this.jobs.values()].map((j) => ({
      id: j.id,
      state: j.state,
      attempts: j.state === "waiting" ? 0 : 1,
      ...(j.state === "waiting" ? {} : { worker: "local" }),
      ...(j.phase && { phase: j.phase }),
      elapsedMs: (j.finishedAt ?? now) - j.submittedAt,
      ...(j.error !== undefined && { error: j.error }),
    }));
  }

  /** Fails the jobs not started, waits for the running ones, and closes the prover. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.jobs.values()].map((j) => j.done));
    await this.prover.close();
  }

  private async run(j: Omit<LocalJob, "done">): Promise<QueuedProof> {
    await this.acquire();
    try {
      if (this.closed) throw new Error(`job "${j.id}": the proof queue was closed before it started`);
      j.state = "active";
      j.phase = "proving";
      await sharedCurveReady();
      const r = await this.prover.prove(j.input!);
      j.phase = "verifying";
      const problem = await proofProblem(this.prover, this.setup.nPublic, r, j.expected);
      if (problem) throw new Error(`job "${j.id}": ${problem}`);
      j.state = "completed";
      return { ...r, id: j.id, worker: "local", attempts: 1 };
    } catch (e) {
      j.state = "failed";
      j.error = (e as Error).message;
      throw e;
    } finally {
      j.phase = undefined;
      j.input = undefined;
      j.finishedAt = Date.now();
      this.release();
    }
  }

  /** Takes a proving slot, waiting (in submission order) while all are busy. */
  private async acquire(): Promise<void> {
    if (this.running < this.concurrency) this.running++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot to the next waiting job, or frees it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
