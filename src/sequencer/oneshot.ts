// One batch now, synchronously, over the sequencer's components: take the next queued L1
// operations (as many as the batch has slots) and the given transactions, build the batch on the
// caller's state (the planner's assembleBatch), prove it through the proving backend (the proof
// tracker's proveBatch), check the proof with this setup's key and submit it (the submitter's
// checkProof and submitProven), and keep the state only if L1 took the batch. No database, no
// mempool, no reconciliation: the state must be the one behind the root on L1 (else FatalError
// OUT_OF_SYNC) and nobody else may submit meanwhile. For the demo, the benchmarks and the tests;
// the service is src/sequencer/service.ts.
import type { TransactionReceipt } from "ethers";
import { readFileSync } from "node:fs";
import type { Batch } from "../model/batch.js";
import { l1OpsForBatch, type QueuedL1Op } from "../model/l1op.js";
import type { DerivedParams } from "../model/params.js";
import type { L2State } from "../model/state.js";
import type { Domain, SignedTransfer } from "../model/tx.js";
import type { RollupContract } from "../chain/deploy.js";
import { readL1Ops } from "../chain/events.js";
import { withCurve } from "../proving/curve.js";
import type { ProofQueue, QueuedProof } from "../prover/queue.js";
import { FatalError } from "./errors.js";
import { assembleBatch } from "./planner.js";
import { proofJobId, proveBatch } from "./proofs.js";
import { checkProof, submitProven } from "./submitter.js";

export interface OneShotContext {
  /** The L2 state behind the root on L1; advanced by every batch L1 takes. */
  state: L2State;
  /** The Rollup contract, connected to the sequencer's signer. */
  rollup: RollupContract;
  /** Proving backend; its setup must be the one the contract's verifier came from. */
  proofs: ProofQueue;
  domain: Domain;
  /** Fee account indexes named in every batch (they may be created by the batch's own L1 operations). */
  feeIdx?: bigint[];
  /** Block the rollup was deployed in: where its L1 operation events start. */
  fromBlock?: number;
  /**
   * The rollup's fallback instance (src/proving/instances.ts fallbackOf): batches of it, sent with
   * submitFallbackBatch (`proofs` then proves with its setup). Absent: the rollup's own instance
   * and submitBatch.
   */
  fallback?: DerivedParams;
}

export interface SubmittedBatch {
  batch: Batch;
  proof: QueuedProof;
  receipt: TransactionReceipt;
}

/** Where the local state stands against L1. */
export interface L1Position {
  stateRoot: bigint;
  batchNumber: bigint;
  /** L1 operations already consumed by proven batches. */
  l1Processed: bigint;
  /** L1 operations queued so far. */
  l1OpCount: bigint;
}

/** The contract's position; FatalError OUT_OF_SYNC unless `expectedRoot` (the local state's) is the root on L1. */
export async function checkInSync(rollup: RollupContract, expectedRoot: bigint): Promise<L1Position> {
  const [stateRoot, batchNumber, l1Processed, l1OpCount] = await Promise.all([
    rollup.stateRoot(),
    rollup.batchNumber(),
    rollup.l1Processed(),
    rollup.l1OpCount(),
  ]);
  if (stateRoot !== expectedRoot) {
    throw new FatalError("OUT_OF_SYNC", `local state root ${expectedRoot} differs from the root on L1 ${stateRoot} (after batch ${batchNumber})`);
  }
  return { stateRoot, batchNumber, l1Processed, l1OpCount };
}

/** The queued L1 operations not yet consumed, oldest first. */
export async function pendingL1Ops(ctx: Pick<OneShotContext, "state" | "rollup" | "fromBlock">, pos?: L1Position): Promise<QueuedL1Op[]> {
  const p = pos ?? (await checkInSync(ctx.rollup, ctx.state.root));
  if (p.l1OpCount === p.l1Processed) return [];
  return (await readL1Ops(ctx.rollup, ctx.fromBlock ?? 0)).filter((op) => op.queueIndex >= p.l1Processed);
}

const vkeys = new WeakMap<ProofQueue, unknown>();
const vkeyOf = (q: ProofQueue) => vkeys.get(q) ?? vkeys.set(q, JSON.parse(readFileSync(q.setup.vkey, "utf8"))).get(q);

/** Build, prove and submit one batch: the next L1 operations and up to batchSize of `txs` (those that apply, in their order). */
export async function submitNextBatch(ctx: OneShotContext, txs: SignedTransfer[] = []): Promise<SubmittedBatch> {
  const { state, rollup } = ctx;
  const pos = await checkInSync(rollup, state.root);
  const waiting = await pendingL1Ops(ctx, pos);
  const p = ctx.fallback ?? state.params;
  const l1Ops = waiting.slice(0, l1OpsForBatch(waiting, p.l1Slots));
  const l1HashStart = await rollup.l1ChainHash(pos.l1Processed);
  const n = Number(pos.batchNumber) + 1;
  const { batch, cp } = assembleBatch(state, { l1Ops, txs }, { domain: ctx.domain, feeIdx: ctx.feeIdx ?? [], l1HashStart, params: p });
  try {
    // The queue may be shared by rollups (tests): batch n of another one can have the same data commitment, never the same public signals.
    const proof = await proveBatch(ctx.proofs, `${proofJobId(n, batch.data.commitment)}-${batch.publicSignals[1]!.toString(16).slice(0, 16)}`, batch);
    await withCurve(() => checkProof(vkeyOf(ctx.proofs), proof, batch.publicSignals, n, "the new proof"));
    const receipt = await submitProven(rollup, n, batch, proof, { fallback: ctx.fallback !== undefined });
    state.commit();
    return { batch, proof, receipt };
  } catch (e) {
    state.revert(cp);
    throw e;
  }
}
