// The Rollup's batch calls from a built batch: its submitBatch arguments, sending it, the public
// inputs L1 derives for it, and submitting one or several proven batches straight (the contract
// tests). The sequencer's submitter (submitter.ts) sends through sendBatch; one batch built,
// proved and submitted at once is oneshot.ts. (The Operator class that was here, a second
// lifecycle of the sequencer's steps, is gone: oneshot.ts is those steps over the components.)
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import type { Batch } from "../model/batch.js";
import { toHex } from "../model/bytes.js";
import { type RollupContract } from "../chain/deploy.js";
import { decodeRevert } from "../chain/reverts.js";
import { toSolidityProof, type ProofResult } from "../proving/prover.js";

/** Sends a batch submission and waits for it; a revert becomes an error naming the custom error. */
async function mineSubmission(rollup: RollupContract, method: string, send: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  let receipt: TransactionReceipt | null;
  try {
    receipt = await (await send()).wait();
  } catch (e) {
    const reason = decodeRevert(e, rollup.interface);
    throw reason ? new Error(`${method} reverted: ${reason}`, { cause: e }) : e;
  }
  if (!receipt || receipt.status !== 1) throw new Error(`${method} failed (transaction ${receipt?.hash})`);
  return receipt;
}

/** A batch's submitBatch arguments but the proof. */
export function batchCalldata(batch: Batch) {
  return {
    newRoot: batch.newRoot,
    l1Count: batch.l1Ops.length,
    l1Results: toHex(batch.l1ResultsData),
    feeIdx: toHex(batch.feeIdxData),
    txData: toHex(batch.txData),
    commitment: batch.commitment,
  };
}

/**
 * Sends a proven batch's submitBatch transaction without waiting for it (ethers estimates its gas
 * first: a batch L1 would reject reverts here, with the custom error in the error's data).
 */
export function sendBatch(rollup: RollupContract, batch: Batch, proof: ProofResult): Promise<ContractTransactionResponse> {
  const c = batchCalldata(batch);
  return rollup.submitBatch(c.newRoot, c.l1Count, c.l1Results, c.feeIdx, c.txData, c.commitment, toSolidityProof(proof.proof));
}

/**
 * The public signals L1 derives for `batch` from its current state (root, queue position and hash,
 * chain): equal to the batch's own exactly when L1 is in the state the batch was built on.
 */
export async function batchInputsOnL1(rollup: RollupContract, batch: Batch, blockTag: "latest" | "pending" = "latest"): Promise<[bigint, bigint]> {
  const c = batchCalldata(batch);
  const [y, z] = await rollup.publicInputs(c.newRoot, c.l1Count, c.l1Results, c.feeIdx, c.txData, c.commitment, { blockTag });
  return [y, z];
}

/** Submit a proven batch to the Rollup contract; reverts become errors naming the custom error. */
export function submitProvenBatch(rollup: RollupContract, batch: Batch, proof: ProofResult): Promise<TransactionReceipt> {
  return mineSubmission(rollup, "submitBatch", () => sendBatch(rollup, batch, proof));
}

/**
 * Submits consecutive proven batches (in the order they apply, the first one following the root on
 * L1) in one submitBatches transaction: the rollup checks all their proofs with one aggregated
 * pairing check. Reverts become errors naming the custom error.
 */
export function submitProvenBatches(rollup: RollupContract, items: readonly { batch: Batch; proof: ProofResult }[]): Promise<TransactionReceipt> {
  if (items.length === 0) return Promise.reject(new Error("submitProvenBatches needs at least one batch"));
  return mineSubmission(rollup, "submitBatches", () =>
    rollup.submitBatches(
      items.map(({ batch }) => batchCalldata(batch)),
      items.map(({ proof }) => toSolidityProof(proof.proof)),
    ),
  );
}

/** Whether a proof's public signals (decimal strings) are exactly `expected`. */
export function samePublicSignals(signals: readonly string[], expected: readonly bigint[]): boolean {
  return signals.length === expected.length && signals.every((s, i) => BigInt(s) === expected[i]);
}
