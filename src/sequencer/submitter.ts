// The submitter: sends proven batches to the Rollup contract strictly in order (batch N+1 never
// before N), waits for each transaction, decodes a revert into the failure classes of
// src/sequencer/errors.ts, and records the inclusion. A run of consecutive proven batches goes in
// one submitBatches transaction (one aggregated pairing check for all their proofs: the fixed
// cost of a proof on L1 shared by k batches), k at most maxAggregate and bounded by the block gas
// limit; a lone proven batch goes by submitBatch. A proven batch may wait up to aggregateWaitMs
// for the proofs of the batches after it, to share one transaction with them. Before a run is
// sent, L1 must be where its first batch starts (batch number, root and the public inputs L1
// derives from its own queue; each later batch starts where the one before it ends, which the
// contract checks in the same call), and every proof must verify with this sequencer's key,
// whatever the backend said. A transaction sent earlier that may still be mined (before a
// restart, or one whose wait timed out) is waited for, not sent again.
//
// What follows from a failure is for the loop (src/sequencer/service.ts): transient ones are
// retried here with backoff; a conflict goes back to the loop, which reconciles with L1 and then,
// by refusedByRule, rebuilds the batch or submits it again; a fatal one stops the sequencer.
import type { TransactionReceipt } from "ethers";
import type { Batch } from "../model/batch.js";
import type { RollupContract } from "../chain/deploy.js";
import { sendAndWait } from "../chain/send.js";
import { proofProblem, verifierFor } from "../proving/check.js";
import type { ProofResult } from "../proving/prover.js";
import { classifyL1Error, FatalError, revertName, StateConflictError, TransientError } from "./errors.js";
import { describeFinality, type Finality } from "./finality.js";
import type { Ledger, LiveBatch } from "./ledger.js";
import { batchInputsOnL1, estimateBatches, samePublicSignals, sendBatch, sendBatches } from "./operator.js";
import type { SequencerStore } from "./store.js";

/** Reverts that mean "not the state this batch was built on" (not a rule the batch breaks). */
const STATE_MISMATCH_REVERTS = new Set(["InvalidProof", "TooManyL1Ops"]);

/**
 * Whether L1 refused a batch by a rule of its own (a custom error other than the public inputs or
 * the queue length not matching, e.g. L1OpSkipped: consume the queue faster): the batch must be
 * rebuilt on the current state. Otherwise the state the node simulated differed from the one
 * read (a transaction of ours still pending, a node behind): the same batch is submitted again.
 */
export function refusedByRule(err: StateConflictError): boolean {
  return err.revert !== undefined && !STATE_MISMATCH_REVERTS.has(err.revert);
}

/** Whether the public signals L1 derives for `batch` now are `signals` (false if its data does not even fit L1's queue now: TooManyL1Ops). */
export async function inputsMatch(
  rollup: RollupContract,
  batch: Batch,
  signals: readonly bigint[],
  blockTag: "latest" | "pending" = "latest",
  fallback = false,
): Promise<boolean> {
  try {
    return samePublicSignals((await batchInputsOnL1(rollup, batch, blockTag, fallback)).map(String), signals);
  } catch (e) {
    if (revertName(e, rollup.interface) === undefined) throw e;
    return false;
  }
}

/**
 * Throws FatalError WRONG_DEPLOYMENT unless `proof` has the batch's public signals and verifies
 * with `vkey` (this sequencer's setup). The caller holds snarkjs's curve.
 */
export async function checkProof(vkey: unknown, proof: ProofResult, signals: readonly bigint[], n: number, what = "the stored proof"): Promise<void> {
  const problem = await proofProblem(verifierFor(vkey), signals.length, proof, signals);
  if (problem) {
    throw new FatalError(
      "WRONG_DEPLOYMENT",
      `${what} of batch ${n} does not pass this sequencer's check with its verification key (${problem}): the sequencer runs with another setup than the one that proved it`,
    );
  }
}

/**
 * Sends batch `n`'s submitBatch transaction and waits until it is mined (at most `timeoutMs`);
 * every failure is a PipelineError (classifyL1Error): a revert names the Rollup's custom error.
 * The rollup's verifier refusing a proof that verifies here for the inputs L1 derives (in the
 * latest and the pending state) is FatalError WRONG_DEPLOYMENT: the verifier is not this setup's.
 */
export async function submitProven(
  rollup: RollupContract,
  n: number,
  batch: Batch,
  proof: ProofResult,
  opts: { timeoutMs?: number; onSent?: (txHash: string) => void; fallback?: boolean } = {},
): Promise<TransactionReceipt> {
  const fallback = opts.fallback ?? false;
  try {
    return await sendAndWait(() => sendBatch(rollup, batch, proof, fallback), rollup.interface, {
      what: `submitting ${fallback ? "fallback " : ""}batch ${n}`,
      timeoutMs: opts.timeoutMs,
      onSent: (tx) => opts.onSent?.(tx.hash),
    });
  } catch (e) {
    if (
      revertName(e, rollup.interface) === "InvalidProof" &&
      (await inputsMatch(rollup, batch, batch.publicSignals, "latest", fallback)) &&
      (await inputsMatch(rollup, batch, batch.publicSignals, "pending", fallback))
    ) {
      throw new FatalError(
        "WRONG_DEPLOYMENT",
        `the rollup's verifier rejects the proof of batch ${n}, which verifies with this sequencer's verification key for the inputs L1 derives: the deployment's verifier is not from this setup`,
        { cause: e },
      );
    }
    throw classifyL1Error(e, rollup.interface, `submitting ${fallback ? "fallback " : ""}batch ${n}`);
  }
}

/** How logs and errors name the run of `k` batches from batch `n`: "batch n" or "batches n-m". */
function batchesName(n: number, k: number): string {
  return k === 1 ? `batch ${n}` : `batches ${n}-${n + k - 1}`;
}

/** The built batches and proofs of proven live batches, as the batch calls take them. */
function provenItems(run: readonly LiveBatch[]): { batch: Batch; proof: ProofResult }[] {
  return run.map((x) => ({ batch: x.batch!, proof: x.proof! }));
}

/**
 * Sends the consecutive proven batches `run` (numbers `first`, first + 1, …) in one submitBatches
 * transaction and waits until it is mined (at most `timeoutMs`); every failure is a PipelineError
 * (classifyL1Error), a revert naming the Rollup's custom error.
 */
export async function submitProvenRun(
  rollup: RollupContract,
  first: number,
  run: readonly { batch: Batch; proof: ProofResult }[],
  opts: { timeoutMs?: number; onSent?: (txHash: string) => void } = {},
): Promise<TransactionReceipt> {
  const what = `submitting ${batchesName(first, run.length)}`;
  try {
    return await sendAndWait(() => sendBatches(rollup, run), rollup.interface, { what, timeoutMs: opts.timeoutMs, onSent: (tx) => opts.onSent?.(tx.hash) });
  } catch (e) {
    throw classifyL1Error(e, rollup.interface, what);
  }
}

/** The share of the block gas limit one submission may use (the rest is for everyone else's transactions). */
const MAX_BLOCK_GAS_SHARE = 2n;
/** The most gas a transaction may have since Fusaka (EIP-7825): nodes refuse a larger one. */
export const MAX_TX_GAS = 1n << 24n;

export interface SubmitterOptions {
  rollup: RollupContract;
  store: SequencerStore;
  ledger: Ledger;
  /** This sequencer's verification key: every proof is checked with it before it is sent. */
  vkey: unknown;
  finality: Finality;
  submitTimeoutMs: number;
  /** Batches per submitBatches transaction, at most (1: every batch by submitBatch). */
  maxAggregate: number;
  /** How long a proven batch waits for the proofs of the batches after it (SequencerOptions.aggregateWaitMs). */
  aggregateWaitMs: number;
  /** The most gas one submitBatches transaction may have (SequencerOptions.maxTxGas). */
  maxTxGas: bigint;
  /** A batch was included (the rebuild backoff starts over). */
  onIncluded: () => void;
  /** A failure to show in the status. */
  onError: (message: string) => void;
  log: (m: string) => void;
}

/** A batch L1 did not take because its state is not the one the batch assumed: the loop reconciles. */
export interface SubmitConflict {
  f: LiveBatch;
  err: StateConflictError;
}

export class Submitter {
  /**
   * Batches up to this number go one per transaction: after an aggregated submission L1 refused
   * with InvalidProof, so that a refusal is pinned on one batch (and a verifier that is not this
   * setup's is told from a state that moved: submitProven).
   */
  private soloThrough = 0;

  constructor(private readonly o: SubmitterOptions) {}

  /**
   * Submits proven batches in order, a run of consecutive ones per transaction, as long as the
   * next one is proven and its backoff passed. Returns the conflict that stopped it, if any;
   * throws a FatalError.
   */
  async submitReady(running: () => boolean): Promise<SubmitConflict | undefined> {
    for (;;) {
      const run = this.readyRun();
      if (run.length === 0 || !running()) return undefined;
      const f = run[0]!;
      const what = `submitting ${batchesName(f.record.number, run.length)}`;
      try {
        if (!(await this.submitRun(run))) return undefined;
      } catch (e) {
        const err = classifyL1Error(e, this.o.rollup.interface, what);
        if (err.kind === "fatal") throw err;
        this.o.onError(err.message);
        if (err.kind === "transient") {
          const delay = f.submitting.fail(err);
          this.o.log(`sequencer: ${err.message}; retrying in ${(delay / 1000).toFixed(1)} s`);
          return undefined;
        }
        if (run.length > 1 && (err as StateConflictError).revert === "InvalidProof") this.soloThrough = run[run.length - 1]!.record.number;
        return { f, err: err as StateConflictError };
      }
    }
  }

  /**
   * The batches to submit next: the next one L1 lacks and the consecutive ones after it, while
   * each is proven (with its built batch), at most maxAggregate (1 while soloThrough holds).
   * Empty while the first is not proven or its backoff has not passed, and while the run is
   * short of maxAggregate, the batch after it is being proven and the first was proven less than
   * aggregateWaitMs ago (by this process: a proof found in the store at start does not wait).
   */
  private readyRun(now = Date.now()): LiveBatch[] {
    const first = this.o.ledger.nextToSubmit();
    if (!first?.proof || !first.batch || !first.submitting.due()) return [];
    const max = first.record.number <= this.soloThrough ? 1 : this.o.maxAggregate;
    const run = [first];
    for (let n = first.record.number + 1; run.length < max; n++) {
      const f = this.o.ledger.live.get(n);
      // A batch sent on its own before (and maybe still pending) goes first in a run of its own.
      if (!f?.proof || !f.batch || f.record.status !== "proven" || (f.record.l1TxHash && f.record.l1TxHash !== first.record.l1TxHash)) break;
      run.push(f);
    }
    if (run.length < max && first.provenAt !== undefined && now - first.provenAt < this.o.aggregateWaitMs) {
      const next = this.o.ledger.live.get(run[run.length - 1]!.record.number + 1);
      if (next?.record.status === "proving" && next.batch) return [];
    }
    return run;
  }

  /** Submits a run of proven batches; true once L1 includes them, false if it is not their turn after all. */
  private async submitRun(run: LiveBatch[]): Promise<boolean> {
    const { rollup, store } = this.o;
    const f = run[0]!;
    const n = f.record.number;
    const [onL1, root] = await Promise.all([rollup.batchNumber(), rollup.stateRoot()]);
    if (onL1 >= BigInt(n)) return false; // L1 already holds it (mined after a restart): the next tick reconciles
    if (await this.earlierSubmissionPending(f))
      throw new TransientError("SUBMISSION_PENDING", `the transaction ${f.record.l1TxHash} that submitted batch ${n} is not mined yet`);
    if (onL1 + 1n !== BigInt(n)) throw new StateConflictError("L1_MOVED", `L1 is at batch ${onL1}: batch ${n} cannot follow it`);
    if (root !== f.record.oldRoot) throw new StateConflictError("L1_MOVED", `the root on L1 is not the one batch ${n} was built on`);
    // The public inputs L1 derives from its own state (root, queue hash) must be the batch's.
    if (!(await inputsMatch(rollup, f.batch!, f.record.publicSignals))) {
      throw new StateConflictError("L1_MOVED", `the public inputs L1 derives for batch ${n} are not its own: L1's queue of operations changed`);
    }
    // Never submit a proof that was not checked here, whatever the backend says.
    for (const x of run) await checkProof(this.o.vkey, x.proof!, x.record.publicSignals, x.record.number);
    if (run.length > 1) run = await this.withinGasLimit(run);
    for (const x of run) x.submitting.started();
    const batches = batchesName(n, run.length);
    const onSent = (hash: string) => {
      store.transaction(() => run.forEach((x) => store.setBatchSent(x.record.number, hash)));
      this.o.log(`sequencer: submitting ${batches}${run.length > 1 ? " in one transaction" : ""} (transaction ${hash})`);
    };
    const receipt =
      run.length === 1
        ? await submitProven(rollup, n, f.batch!, f.proof!, { timeoutMs: this.o.submitTimeoutMs, onSent })
        : await submitProvenRun(rollup, n, provenItems(run), { timeoutMs: this.o.submitTimeoutMs, onSent });
    const block = { number: receipt.blockNumber, hash: receipt.blockHash };
    for (const x of run) this.o.ledger.markIncluded(x.record, receipt.hash, block);
    this.o.onIncluded();
    this.o.log(`sequencer: ${batches} included in L1 block ${block.number} (gas ${receipt.gasUsed}); final after ${describeFinality(this.o.finality)}`);
    return true;
  }

  /**
   * A prefix of `run` (halved until it fits; at least its first batch) whose submitBatches
   * transaction needs at most 1/MAX_BLOCK_GAS_SHARE of the latest block's gas limit and at most
   * maxTxGas, by the node's estimate (which runs every check of the call: a revert surfaces
   * here, as it would when sending).
   */
  private async withinGasLimit(run: LiveBatch[]): Promise<LiveBatch[]> {
    const { rollup } = this.o;
    const block = await rollup.runner!.provider!.getBlock("latest");
    const { maxTxGas } = this.o;
    const share = block ? block.gasLimit / MAX_BLOCK_GAS_SHARE : maxTxGas;
    const budget = share < maxTxGas ? share : maxTxGas;
    while (run.length > 1) {
      if ((await estimateBatches(rollup, provenItems(run))) <= budget) break;
      run = run.slice(0, Math.max(1, Math.floor(run.length / 2)));
    }
    return run;
  }

  /**
   * Whether a transaction that submitted this batch earlier (before a restart, or one whose wait
   * timed out) may still be mined: then it is waited for, not sent again.
   */
  private async earlierSubmissionPending(f: LiveBatch): Promise<boolean> {
    const hash = f.record.l1TxHash;
    if (!hash) return false;
    const tx = await this.o.rollup.runner!.provider!.getTransaction(hash);
    return tx !== null && tx.blockNumber === null;
  }
}
