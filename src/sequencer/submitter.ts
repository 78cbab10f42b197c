// The submitter: sends proven batches to the Rollup contract strictly in order (batch N+1 waits
// for N), waits for each, decodes a revert into the failure classes of src/sequencer/errors.ts,
// and records the inclusion. Before a batch is sent, L1 must be where the batch starts (its
// batch number, root and the public inputs L1 derives from its own queue), and the proof must
// verify with this sequencer's key, whatever the backend said. A transaction sent earlier that
// may still be mined (before a restart, or one whose wait timed out) is waited for, not sent again.
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
import { batchInputsOnL1, samePublicSignals, sendBatch } from "./operator.js";
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
): Promise<boolean> {
  try {
    return samePublicSignals((await batchInputsOnL1(rollup, batch, blockTag)).map(String), signals);
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
  opts: { timeoutMs?: number; onSent?: (txHash: string) => void } = {},
): Promise<TransactionReceipt> {
  try {
    return await sendAndWait(() => sendBatch(rollup, batch, proof), rollup.interface, {
      what: `submitting batch ${n}`,
      timeoutMs: opts.timeoutMs,
      onSent: (tx) => opts.onSent?.(tx.hash),
    });
  } catch (e) {
    if (
      revertName(e, rollup.interface) === "InvalidProof" &&
      (await inputsMatch(rollup, batch, batch.publicSignals, "latest")) &&
      (await inputsMatch(rollup, batch, batch.publicSignals, "pending"))
    ) {
      throw new FatalError(
        "WRONG_DEPLOYMENT",
        `the rollup's verifier rejects the proof of batch ${n}, which verifies with this sequencer's verification key for the inputs L1 derives: the deployment's verifier is not from this setup`,
        { cause: e },
      );
    }
    throw classifyL1Error(e, rollup.interface, `submitting batch ${n}`);
  }
}

export interface SubmitterOptions {
  rollup: RollupContract;
  store: SequencerStore;
  ledger: Ledger;
  /** This sequencer's verification key: every proof is checked with it before it is sent. */
  vkey: unknown;
  finality: Finality;
  submitTimeoutMs: number;
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
  constructor(private readonly o: SubmitterOptions) {}

  /**
   * Submits proven batches in order, as long as the next one is proven and its backoff passed.
   * Returns the conflict that stopped it, if any; throws a FatalError.
   */
  async submitReady(running: () => boolean): Promise<SubmitConflict | undefined> {
    for (;;) {
      const f = this.o.ledger.nextToSubmit();
      if (!f?.proof || !f.batch || !f.submitting.due() || !running()) return undefined;
      try {
        if (!(await this.submitOne(f))) return undefined;
      } catch (e) {
        const err = classifyL1Error(e, this.o.rollup.interface, `submitting batch ${f.record.number}`);
        if (err.kind === "fatal") throw err;
        this.o.onError(err.message);
        if (err.kind === "transient") {
          const delay = f.submitting.fail(err);
          this.o.log(`sequencer: ${err.message}; retrying in ${(delay / 1000).toFixed(1)} s`);
          return undefined;
        }
        return { f, err: err as StateConflictError };
      }
    }
  }

  /** Submits one proven batch; true once L1 includes it, false if it is not its turn after all. */
  private async submitOne(f: LiveBatch): Promise<boolean> {
    const { rollup, store } = this.o;
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
    await checkProof(this.o.vkey, f.proof!, f.record.publicSignals, n);
    f.submitting.started();
    const receipt = await submitProven(rollup, n, f.batch!, f.proof!, {
      timeoutMs: this.o.submitTimeoutMs,
      onSent: (hash) => {
        store.setBatchSent(n, hash);
        this.o.log(`sequencer: submitting batch ${n} (transaction ${hash})`);
      },
    });
    const block = { number: receipt.blockNumber, hash: receipt.blockHash };
    this.o.ledger.markIncluded(f.record, receipt.hash, block);
    this.o.onIncluded();
    this.o.log(`sequencer: batch ${n} included in L1 block ${block.number} (gas ${receipt.gasUsed}); final after ${describeFinality(this.o.finality)}`);
    return true;
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
