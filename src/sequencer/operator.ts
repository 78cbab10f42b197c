// The Rollup's batch calls from built batches: sending one (submitBatch) or a run of them
// (submitBatches), the gas a run needs, the public inputs L1 derives for a batch, and submitting
// proven batches straight (the contract tests). The sequencer's submitter (submitter.ts) sends
// through sendBatch and sendBatches; one batch built,
// proved and submitted at once is oneshot.ts. (The Operator class that was here, a second
// lifecycle of the sequencer's steps, is gone: oneshot.ts is those steps over the components.)
import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import { batchArgs, batchStruct } from "../chain/calldata.js";
import { type RollupContract } from "../chain/deploy.js";
import { sendAndWait } from "../chain/send.js";
import { packGroth16Proof } from "../proving/proof.js";
import type { ProofResult } from "../proving/prover.js";
import type { Batch } from "../model/batch.js";

/**
 * Sends a proven batch's submitBatch transaction (submitFallbackBatch if `fallback`: a batch of
 * the rollup's fallback instance, src/proving/instances.ts fallbackOf) without waiting for it
 * (ethers estimates its gas first: a batch L1 would reject reverts here, with the custom error in
 * the error's data).
 */
export function sendBatch(rollup: RollupContract, batch: Batch, proof: ProofResult, fallback = false): Promise<ContractTransactionResponse> {
  const args = [...batchArgs(batch.data), packGroth16Proof(proof.proof)] as const;
  return fallback ? rollup.submitFallbackBatch(...args) : rollup.submitBatch(...args);
}

/**
 * The public signals L1 derives for `batch` from its current state (root, queue position and hash,
 * chain): equal to the batch's own exactly when L1 is in the state the batch was built on.
 */
export async function batchInputsOnL1(
  rollup: RollupContract,
  batch: Batch,
  blockTag: "latest" | "pending" = "latest",
  fallback = false,
): Promise<[bigint, bigint]> {
  const [y, z] = await (fallback ? rollup.fallbackPublicInputs : rollup.publicInputs)(...batchArgs(batch.data), { blockTag });
  return [y, z];
}

/** The submitBatches call of consecutive proven batches (in the order they apply), sent without waiting for it (ethers estimates its gas first). */
export function sendBatches(rollup: RollupContract, items: readonly { batch: Batch; proof: ProofResult }[]): Promise<ContractTransactionResponse> {
  return rollup.submitBatches(...batchesArgs(items));
}

/** The gas the node estimates for the submitBatches call of `items` (it reverts as the call would). */
export function estimateBatches(rollup: RollupContract, items: readonly { batch: Batch; proof: ProofResult }[]): Promise<bigint> {
  return rollup.submitBatches.estimateGas(...batchesArgs(items));
}

function batchesArgs(items: readonly { batch: Batch; proof: ProofResult }[]) {
  return [items.map(({ batch }) => batchStruct(batch.data)), items.map(({ proof }) => packGroth16Proof(proof.proof))] as const;
}

/** Submit a proven batch to the Rollup contract; reverts become errors naming the custom error. */
export function submitProvenBatch(rollup: RollupContract, batch: Batch, proof: ProofResult): Promise<TransactionReceipt> {
  return sendAndWait(() => sendBatch(rollup, batch, proof), rollup.interface, { what: "submitBatch" });
}

/**
 * Submits consecutive proven batches (in the order they apply, the first one following the root on
 * L1) in one submitBatches transaction: the rollup checks all their proofs with one aggregated
 * pairing check. Reverts become errors naming the custom error.
 */
export function submitProvenBatches(rollup: RollupContract, items: readonly { batch: Batch; proof: ProofResult }[]): Promise<TransactionReceipt> {
  if (items.length === 0) return Promise.reject(new Error("submitProvenBatches needs at least one batch"));
  return sendAndWait(() => sendBatches(rollup, items), rollup.interface, { what: "submitBatches" });
}

/** Whether a proof's public signals (decimal strings) are exactly `expected`. */
export function samePublicSignals(signals: readonly string[], expected: readonly bigint[]): boolean {
  return signals.length === expected.length && signals.every((s, i) => BigInt(s) === expected[i]);
}
