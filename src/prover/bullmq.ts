// Proving across machines with BullMQ (Redis): BullMQProofQueue is the producer side (the
// sequencer); src/prover/worker.ts is the consumer, run on any number of machines. Jobs carry the
// circuit input as JSON and the setup they are for; workers prove, verify and return the proof;
// the producer verifies it again before handing it out (a remote worker is never trusted).
import { Queue, QueueEvents } from "bullmq";
import { proofProblem } from "../proving/check.js";
import type { SetupManifest } from "../proving/manifest.js";
import { type Groth16Proof, Prover, type ProverBackend, type PublicSignals, type WitnessBackend } from "../proving/prover.js";
import {
  canonicalSignals,
  jobDigest,
  type JobState,
  type JobStatus,
  type JsonInput,
  type ProofJob,
  type ProofQueue,
  type ProvingPhase,
  type QueuedProof,
  SubmissionOrder,
  type SetupRef,
  settlesWithin,
  setupRef,
  toJsonInput,
} from "./queue.js";

/** BullMQ job name of proving jobs. */
export const PROVE_JOB = "prove";

/** What a proving job carries. */
export interface ProveJobData {
  setup: SetupRef;
  input: JsonInput;
  /** Canonical decimal strings. */
  expectedPublicSignals?: string[];
  /** jobDigest of the above: tells a resubmission from a clash of ids. */
  digest: string;
}

/** What a worker returns. */
export interface ProveJobResult {
  proof: Groth16Proof;
  publicSignals: PublicSignals;
  witnessMs: number;
  proveMs: number;
  worker: string;
  /** Which Groth16 prover and witness calculator made it (absent from workers before the native prover). */
  proverBackend?: ProverBackend;
  witnessBackend?: WitnessBackend;
}

/** Job progress a worker reports. */
export interface ProveJobProgress {
  phase: ProvingPhase;
  worker: string;
}

export interface BullMQQueueOptions {
  /** Redis URL, e.g. redis://10.0.0.5:6379 (redis://:password@host:port/db). */
  redis: string;
  /** Queue name; workers must be started with the same one. One queue per setup. */
  queue: string;
  /** Attempts per job before it fails for good: worker failures, and proofs this producer rejects (default 3). */
  attempts?: number;
  /** Delay before the first retry, doubled for each further one (default 2000 ms). */
  backoffMs?: number;
  log?: (msg: string) => void;
}

/** Finished jobs stay in Redis this long (for status and resubmission), then go. */
const KEEP_FINISHED_S = 7 * 24 * 3600;

/**
 * Producer side of the distributed queue. Proofs come back through result()/next() only after
 * this process has checked them against the setup's verification key and the expected public
 * signals; a proof that fails is sent back for another attempt (up to `attempts` times).
 */
export class BullMQProofQueue implements ProofQueue {
  readonly attempts: number;
  private readonly queue: Queue<ProveJobData, ProveJobResult>;
  private readonly events: QueueEvents;
  private readonly verifier: Prover;
  private readonly ref: SetupRef;
  private readonly backoffMs: number;
  private readonly log: (msg: string) => void;
  /** Results being waited for and checked. */
  private readonly results = new Map<string, Promise<QueuedProof>>();
  /** Jobs whose proofs this producer rejected for good (removed from Redis). */
  private readonly rejected = new Map<string, JobStatus>();
  private readonly order = new SubmissionOrder();
  /** Set by close(): result() calls made after it reject with it. */
  private closed?: Error;
  /** Rejects of the result() calls still waiting: close() rejects them. */
  private readonly waiting = new Set<(e: Error) => void>();

  constructor(
    readonly setup: SetupManifest,
    readonly opts: BullMQQueueOptions,
  ) {
    this.attempts = opts.attempts ?? 3;
    this.backoffMs = opts.backoffMs ?? 2000;
    this.log = opts.log ?? (() => {});
    this.ref = setupRef(setup);
    const connection = { url: opts.redis };
    this.queue = new Queue<ProveJobData, ProveJobResult>(opts.queue, { connection });
    this.events = new QueueEvents(opts.queue, { connection });
    this.queue.on("error", (e) => this.log(`proof queue ${opts.queue}: redis: ${e.message}`));
    this.events.on("error", (e) => this.log(`proof queue ${opts.queue} events: redis: ${e.message}`));
    this.verifier = new Prover(setup);
    // Every job waited for holds a "closing" listener on the queue (BullMQ's waitUntilFinished):
    // many batches in flight are not a leak.
    this.queue.setMaxListeners(0);
  }

  async submit(job: ProofJob): Promise<void> {
    const input = toJsonInput(job.input);
    const expected = canonicalSignals(job.expectedPublicSignals);
    const data: ProveJobData = { setup: this.ref, input, ...(expected && { expectedPublicSignals: expected }), digest: jobDigest(this.ref, input, expected) };
    const existing = await this.queue.getJob(job.id);
    if (existing) {
      if (existing.data.digest !== data.digest) {
        throw new Error(`job "${job.id}" is already in queue "${this.opts.queue}" with a different input or setup: remove it first`);
      }
      if (await existing.isFailed()) await existing.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    } else {
      await this.queue.add(PROVE_JOB, data, {
        jobId: job.id,
        attempts: this.attempts,
        backoff: { type: "exponential", delay: this.backoffMs },
        removeOnComplete: { age: KEEP_FINISHED_S },
        removeOnFail: { age: KEEP_FINISHED_S },
      });
    }
    this.rejected.delete(job.id);
    this.order.add(job.id);
  }

  result(id: string): Promise<QueuedProof> {
    // One check per job at a time; once settled, a later call asks Redis again.
    let p = this.results.get(id);
    if (!p) {
      p = this.untilClosed(this.verifiedResult(id));
      this.results.set(id, p);
      p.then(
        () => this.results.delete(id),
        () => this.results.delete(id),
      );
    }
    return p;
  }

  async next(): Promise<QueuedProof> {
    return this.result(this.order.take());
  }

  async status(): Promise<JobStatus[]> {
    const groups: [JobState, Parameters<Queue["getJobs"]>[0]][] = [
      ["waiting", ["wait", "delayed", "prioritized"]],
      ["active", ["active"]],
      ["completed", ["completed"]],
      ["failed", ["failed"]],
    ];
    const now = Date.now();
    const jobs = new Map<string, JobStatus & { submittedAt: number }>();
    for (const [state, types] of groups) {
      for (const j of await this.queue.getJobs(types, 0, 999)) {
        if (!j?.id) continue;
        const progress = j.progress as Partial<ProveJobProgress> | undefined;
        jobs.set(j.id, {
          id: j.id,
          state,
          attempts: j.attemptsStarted,
          ...(j.processedBy && { worker: j.processedBy }),
          ...(state === "active" && progress?.phase && { phase: progress.phase }),
          elapsedMs: (state === "completed" || state === "failed" ? (j.finishedOn ?? now) : now) - j.timestamp,
          ...(state === "failed" && { error: j.failedReason }),
          submittedAt: j.timestamp,
        });
      }
    }
    return (
      [...jobs.values(), ...[...this.rejected.values()].map((s) => ({ ...s, submittedAt: now - s.elapsedMs }))]
        // Submitted in the same millisecond: by id, numbers as numbers (the sequencer's batch-<n>-…: in batch order).
        .sort((a, b) => a.submittedAt - b.submittedAt || a.id.localeCompare(b.id, "en", { numeric: true }))
        .map(({ submittedAt: _, ...s }) => s)
    );
  }

  /** Closes the Redis connections and the verifier; result() calls still waiting reject, now. */
  async close(): Promise<void> {
    this.closed ??= new Error(`proof queue ${this.opts.queue} was closed`);
    for (const reject of this.waiting) reject(this.closed);
    this.waiting.clear();
    // Closing sends QUIT, which waits forever for a Redis that has gone away: then drop the
    // connections instead (ioredis may still hold a reconnect timer until it next fires).
    if (!(await settlesWithin(Promise.all([this.queue.close(), this.events.close()]), 3_000))) {
      this.log(`proof queue ${this.opts.queue}: Redis does not answer: dropping the connections`);
      await settlesWithin(Promise.all([this.queue.disconnect(), this.events.disconnect()]), 1_000);
    }
    await this.verifier.close();
  }

  /**
   * `p`, or close()'s error if the queue is closed first. BullMQ leaves a wait for a job
   * unsettled when its connections close, and the Redis calls after it then fail with
   * "Connection is closed": those outcomes, after close(), are dropped here.
   */
  private untilClosed<T>(p: Promise<T>): Promise<T> {
    if (this.closed) {
      p.catch(() => {});
      return Promise.reject(this.closed);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiting.add(reject);
      p.then(resolve, reject).finally(() => this.waiting.delete(reject));
    });
  }

  /** Waits for the job, checks its proof, and sends it back for another attempt if the proof is bad. */
  private async verifiedResult(id: string): Promise<QueuedProof> {
    for (let rejections = 0; ;) {
      const job = await this.queue.getJob(id);
      if (!job) throw new Error(`no proving job "${id}" in queue "${this.opts.queue}"`);
      // BullMQ's wait starts with a Redis call it does not catch (an unhandled rejection once
      // the connection is closed): none is started after close().
      if (this.closed) throw this.closed;
      let r: ProveJobResult;
      try {
        r = await job.waitUntilFinished(this.events);
      } catch (e) {
        if (this.closed) throw this.closed;
        const failed = await this.queue.getJob(id);
        const attempts = failed ? ` after ${failed.attemptsStarted} attempt(s)` : "";
        throw new Error(`proving job "${id}" failed${attempts}: ${(e as Error).message}`, { cause: e });
      }
      if (this.closed) throw this.closed;
      const done = (await this.queue.getJob(id)) ?? job;
      const problem = await proofProblem(this.verifier, this.setup.nPublic, r ?? {}, job.data.expectedPublicSignals);
      if (!problem) {
        return {
          proof: r.proof,
          publicSignals: r.publicSignals,
          witnessMs: r.witnessMs,
          proveMs: r.proveMs,
          ...(r.proverBackend && { proverBackend: r.proverBackend }),
          ...(r.witnessBackend && { witnessBackend: r.witnessBackend }),
          id,
          worker: String(r.worker),
          attempts: done.attemptsStarted,
        };
      }
      const reason = `the proof of "${id}" from worker ${String(r?.worker)} was rejected: ${problem}`;
      if (++rejections >= this.attempts) {
        await done.remove().catch(() => {});
        this.rejected.set(id, {
          id,
          state: "failed",
          attempts: done.attemptsStarted,
          worker: String(r?.worker),
          elapsedMs: Date.now() - done.timestamp,
          error: reason,
        });
        throw new Error(`${reason} (${rejections} bad proofs, giving up)`);
      }
      this.log(`${reason}; proving it again`);
      if (this.closed) throw this.closed;
      await done.retry("completed");
    }
  }
}
