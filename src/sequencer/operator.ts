import type { ContractTransactionResponse, TransactionReceipt } from "ethers";
import { buildBatch, type Batch } from "../model/batch.js";
import { batchArgs, batchStruct } from "../chain/calldata.js";
import { type RollupContract } from "../chain/deploy.js";
import { sendAndWait } from "../chain/send.js";
import { readL1Ops } from "../chain/events.js";
import type { QueuedL1Op } from "../model/l1op.js";
import type { L2State } from "../model/state.js";
import type { Domain, SignedTransfer } from "../model/tx.js";
import { proofProblem } from "../proving/check.js";
import { packGroth16Proof } from "../proving/proof.js";
import type { Prover, ProofResult } from "../proving/prover.js";

export interface SubmittedBatch {
  batch: Batch;
  proof: ProofResult;
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

/**
 * Sends a proven batch's submitBatch transaction without waiting for it (ethers estimates its gas
 * first: a batch L1 would reject reverts here, with the custom error in the error's data).
 */
export function sendBatch(rollup: RollupContract, batch: Batch, proof: ProofResult): Promise<ContractTransactionResponse> {
  return rollup.submitBatch(...batchArgs(batch.data), packGroth16Proof(proof.proof));
}

/**
 * The public signals L1 derives for `batch` from its current state (root, queue position and hash,
 * chain): equal to the batch's own exactly when L1 is in the state the batch was built on.
 */
export async function batchInputsOnL1(rollup: RollupContract, batch: Batch, blockTag: "latest" | "pending" = "latest"): Promise<[bigint, bigint]> {
  const [y, z] = await rollup.publicInputs(...batchArgs(batch.data), { blockTag });
  return [y, z];
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
  return sendAndWait(
    () =>
      rollup.submitBatches(
        items.map(({ batch }) => batchStruct(batch.data)),
        items.map(({ proof }) => packGroth16Proof(proof.proof)),
      ),
    rollup.interface,
    { what: "submitBatches" },
  );
}

/** Whether a proof's public signals (decimal strings) are exactly `expected`. */
export function samePublicSignals(signals: readonly string[], expected: readonly bigint[]): boolean {
  return signals.length === expected.length && signals.every((s, i) => BigInt(s) === expected[i]);
}

/** The contract's position; throws unless `expectedRoot` (the local state's) is the root on L1. */
export async function checkInSync(rollup: RollupContract, expectedRoot: bigint): Promise<L1Position> {
  const [stateRoot, batchNumber, l1Processed, l1OpCount] = await Promise.all([
    rollup.stateRoot(),
    rollup.batchNumber(),
    rollup.l1Processed(),
    rollup.l1OpCount(),
  ]);
  if (stateRoot !== expectedRoot) {
    throw new Error(`local state root ${expectedRoot} differs from the root on L1 ${stateRoot} (after batch ${batchNumber})`);
  }
  return { stateRoot, batchNumber, l1Processed, l1OpCount };
}

/**
 * Drives one batch at a time through its whole life, synchronously: take the next queued L1
 * operations, build the batch on the local state, prove it, check the proof, and submit it.
 * If any step fails the local state is rolled back, so it always equals the state behind the
 * root on L1. (The sequencer service pipelines these steps; this is the simple form the demo,
 * the benchmarks and the tests use.)
 */
export class Operator {
  constructor(
    readonly state: L2State,
    readonly rollup: RollupContract,
    readonly prover: Prover,
    readonly domain: Domain,
    /** Fee account indexes named in every batch. */
    readonly feeIdx: bigint[] = [],
    /** Block the rollup was deployed in: where its L1 operation events start. */
    readonly fromBlock = 0,
  ) {}

  /** The queued L1 operations not yet consumed, oldest first. */
  async pendingL1Ops(pos?: L1Position): Promise<QueuedL1Op[]> {
    const p = pos ?? (await checkInSync(this.rollup, this.state.root));
    if (p.l1OpCount === p.l1Processed) return [];
    return (await readL1Ops(this.rollup, this.fromBlock)).filter((op) => op.queueIndex >= p.l1Processed);
  }

  /** Build, prove and submit one batch: the next (up to l1Slots) L1 operations and up to batchSize of `txs`. */
  async submit(txs: SignedTransfer[] = []): Promise<SubmittedBatch> {
    const pos = await checkInSync(this.rollup, this.state.root);
    const l1Ops = (await this.pendingL1Ops(pos)).slice(0, this.state.params.l1Slots);
    const l1HashStart = await this.rollup.l1ChainHash(pos.l1Processed);
    const cp = this.state.checkpoint();
    try {
      const batch = buildBatch(this.state, { l1Ops, txs }, { domain: this.domain, feeIdx: this.feeIdx, l1HashStart });
      const proof = await this.prover.prove(batch.circuitInput);
      const problem = await proofProblem(this.prover, this.prover.manifest.nPublic, proof, batch.publicSignals);
      if (problem) throw new Error(`the new proof of the batch is refused: ${problem}`);
      const receipt = await submitProvenBatch(this.rollup, batch, proof);
      this.state.commit();
      return { batch, proof, receipt };
    } catch (e) {
      this.state.revert(cp);
      throw e;
    }
  }
}
