// How the sequencer treats a failure, decided once where it is caught (by the error's class and
// code, the ethers error code and the Rollup's custom error name: never by matching messages).
// Every failure is a PipelineError of one of three kinds, each with a code:
//   TransientError      the same step is retried with exponential backoff (Retry):
//     RPC                 the node or the network failed or answered inconsistently, a nonce raced,
//                         the key lacks funds for gas;
//     PROVING             the proving backend failed (no worker, a proof that did not verify);
//     SUBMISSION_PENDING  a submission sent earlier is not mined yet: waited for, not sent again;
//     UNKNOWN             anything not recognised (never a reason to stop: shown in the status).
//   StateConflictError  L1 is not in the state the step assumed: re-read L1, rewind what no
//                       longer fits and rebuild on what L1 now holds:
//     REVERTED            the rollup refused the call with a custom error (`revert`: its name),
//                         e.g. InvalidProof (the inputs L1 derives changed), L1OpSkipped (a Rollup
//                         rule refusing a batch that leaves out an L1 operation older than its
//                         grace period), a rule this code does not know;
//     L1_MOVED            the rollup's position (batch number, root, queue) is not the one the
//                         batch was built on;
//     REORG               what was read from L1 does not extend what was stored (a fork);
//     REPLACED            our transaction was replaced.
//   FatalError          the sequencer stops and says why (`halted`, the status's `fatal`):
//     OUT_OF_SYNC         the local state cannot follow L1 (an L1 operation that does not apply,
//                         a root that differs, a batch whose data cannot be read);
//     WRONG_DATABASE      the database is another rollup's, or inconsistent with itself;
//     WRONG_DEPLOYMENT    the rollup's verifier or instance is not this setup's;
//     NOT_SEQUENCER       the key is not the rollup's sequencer;
//     ESCAPE_MODE         the rollup is in escape mode: no batch is accepted any more;
//     BAD_CONFIG          the configuration cannot work (options, a node without what they need).
import type { Interface } from "ethers";
import { revertData } from "../chain/reverts.js";

export type FailureKind = "transient" | "conflict" | "fatal";
export type TransientCode = "RPC" | "PROVING" | "SUBMISSION_PENDING" | "UNKNOWN";
export type ConflictCode = "REVERTED" | "L1_MOVED" | "REORG" | "REPLACED";
export type FatalCode = "OUT_OF_SYNC" | "WRONG_DATABASE" | "WRONG_DEPLOYMENT" | "NOT_SEQUENCER" | "ESCAPE_MODE" | "BAD_CONFIG";
export type FailureCode = TransientCode | ConflictCode | FatalCode;

export abstract class PipelineError<C extends FailureCode = FailureCode> extends Error {
  abstract readonly kind: FailureKind;
  constructor(
    readonly code: C,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class TransientError extends PipelineError<TransientCode> {
  readonly kind = "transient" as const;
}

export class StateConflictError extends PipelineError<ConflictCode> {
  readonly kind = "conflict" as const;
  /** The Rollup's custom error, when the conflict is a revert (code REVERTED). */
  readonly revert?: string;
  constructor(code: ConflictCode, message: string, options?: { cause?: unknown; revert?: string }) {
    super(code, message, options);
    this.revert = options?.revert;
  }
}

export class FatalError extends PipelineError<FatalCode> {
  readonly kind = "fatal" as const;
}

/**
 * Rollup custom errors after which this sequencer cannot submit at all: its key is not the
 * sequencer, escape mode ended batches, or the contract refuses the shape of the data this
 * sequencer builds (the deployment's instance is not the one the sequencer was configured for).
 */
const FATAL_REVERTS = new Map<string, FatalCode>([
  ["NotSequencer", "NOT_SEQUENCER"],
  ["EscapeMode", "ESCAPE_MODE"],
  ["BadBatchCount", "WRONG_DEPLOYMENT"],
  ["BadFeeDataLength", "WRONG_DEPLOYMENT"],
  ["BadTxDataLength", "WRONG_DEPLOYMENT"],
  ["BadL1ResultsLength", "WRONG_DEPLOYMENT"],
  ["TrailingPadding", "WRONG_DEPLOYMENT"],
  ["NotInField", "WRONG_DEPLOYMENT"],
]);

/**
 * ethers v6 codes of failures on the way to or in the node, not answers about the rollup's state:
 * retried. (NONCE_EXPIRED and REPLACEMENT_UNDERPRICED: a transaction of the same key raced ours;
 * INSUFFICIENT_FUNDS: the operator tops up the key, the sequencer carries on.)
 */
const TRANSIENT_ETHERS = new Set([
  "NETWORK_ERROR",
  "TIMEOUT",
  "SERVER_ERROR",
  "UNKNOWN_ERROR",
  "BAD_DATA",
  "NONCE_EXPIRED",
  "REPLACEMENT_UNDERPRICED",
  "INSUFFICIENT_FUNDS",
  "CANCELLED",
]);

/** Node.js socket errors (fetch's cause). */
const TRANSIENT_SYSTEM = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** The name of the Rollup custom error (or Error/Panic) an ethers error carries, if any. */
export function revertName(e: unknown, iface: Interface): string | undefined {
  const data = revertData(e);
  if (!data) return undefined;
  try {
    return iface.parseError(data)?.name;
  } catch {
    return undefined;
  }
}

function shortMessage(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string };
  return err?.shortMessage ?? err?.message ?? String(e);
}

function systemCode(e: unknown): string | undefined {
  for (let x = e as { code?: unknown; cause?: unknown } | undefined, i = 0; x && i < 4; x = x.cause as typeof x, i++) {
    if (typeof x.code === "string" && TRANSIENT_SYSTEM.has(x.code)) return x.code;
  }
  return undefined;
}

/**
 * The kind of a failure of an L1 step (`what`: "submitting batch 7"), as a PipelineError whose
 * cause is the original. Reverts are decided by their custom error: the fatal ones above, every
 * other one (InvalidProof: the public inputs L1 derives changed; TooManyL1Ops: the queue shrank;
 * a rule this code does not know) is a conflict with L1's state. Anything not recognised is
 * transient: retried with backoff and shown in the status, never a reason to stop.
 */
export function classifyL1Error(e: unknown, iface: Interface, what: string): PipelineError {
  if (e instanceof PipelineError) return e;
  const code = (e as { code?: unknown })?.code;
  const name = revertName(e, iface);
  if (name !== undefined) {
    const msg = `${what}: the rollup reverted with ${name}`;
    const fatal = FATAL_REVERTS.get(name);
    return fatal ? new FatalError(fatal, msg, { cause: e }) : new StateConflictError("REVERTED", msg, { cause: e, revert: name });
  }
  if (code === "CALL_EXCEPTION") return new StateConflictError("REVERTED", `${what}: the rollup reverted (${shortMessage(e)})`, { cause: e });
  if (code === "TRANSACTION_REPLACED") return new StateConflictError("REPLACED", `${what}: the transaction was replaced (${shortMessage(e)})`, { cause: e });
  if (typeof code === "string" && TRANSIENT_ETHERS.has(code)) return new TransientError("RPC", `${what}: ${shortMessage(e)} (${code})`, { cause: e });
  const sys = systemCode(e);
  if (sys) return new TransientError("RPC", `${what}: the L1 node is unreachable (${sys})`, { cause: e });
  return new TransientError("UNKNOWN", `${what}: ${shortMessage(e)}`, { cause: e });
}

/** What a retried step shows in the status. */
export interface RetryView {
  /** Attempts started. */
  attempts: number;
  /** Consecutive failures (0 once an attempt succeeded). */
  failures: number;
  lastError?: string;
  /** ISO time of the next attempt, while one is scheduled. */
  nextRetryAt?: string;
}

/**
 * Exponential backoff of one retried step: after the n-th consecutive failure the next attempt
 * waits min(maxMs, baseMs·2^(n−1)). Attempts are not capped (the prover or the node may come
 * back at any time); the delay is.
 */
export class Retry {
  attempts = 0;
  failures = 0;
  lastError?: string;
  /** Epoch ms before which the step is not tried again (0: now). */
  nextAt = 0;

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
  ) {}

  due(now = Date.now()): boolean {
    return now >= this.nextAt;
  }

  started(): void {
    this.attempts++;
  }

  /** Records a failure; returns the delay until the next attempt. */
  fail(e: unknown, now = Date.now()): number {
    this.failures++;
    this.lastError = (e as Error)?.message ?? String(e);
    const delay = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures - 1, 30));
    this.nextAt = now + delay;
    return delay;
  }

  /** The step succeeded: the next failure starts from baseMs again. */
  succeeded(): void {
    this.failures = 0;
    this.lastError = undefined;
    this.nextAt = 0;
  }

  view(now = Date.now()): RetryView {
    return {
      attempts: this.attempts,
      failures: this.failures,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
      ...(this.failures > 0 && this.nextAt > now && { nextRetryAt: new Date(this.nextAt).toISOString() }),
    };
  }
}
