// A batch's data (src/model/batchData.ts) as the Rollup's calls take it, and the batches a
// submitBatch / submitBatches transaction posts, decoded from its calldata: the ethers side of
// the one batch-data codec.
import type { Interface } from "ethers";
import { type BatchData } from "../model/batchData.js";
import { fromHex, toHex } from "../model/bytes.js";
import { type SolidityProof } from "../proving/proof.js";
import type { BatchCalldata } from "./deploy.js";

/** One batch of a submitBatch or submitBatches call, as posted: its data and its proof. */
export interface BatchCall {
  data: BatchData;
  /** [a0, a1, b00, b01, b10, b11, c0, c1] as submitted (src/proving/proof.ts). */
  proof: SolidityProof;
  /** Posted by submitFallbackBatch: a batch of the rollup's fallback instance, its proof for the fallback verifier. */
  fallback?: boolean;
}

/** The arguments of submitBatch (with the proof after them) and of publicInputs: newRoot, l1Count, l1Results, feeIdx, txData, commitment. */
export function batchArgs(d: BatchData): [newRoot: bigint, l1Count: number, l1Results: string, feeIdx: string, txData: string, commitment: bigint] {
  return [d.newRoot, d.l1Count, toHex(d.l1Results), toHex(d.feeIdx), toHex(d.txData), d.commitment];
}

/** One entry of submitBatches' batches (the Rollup's BatchData struct). */
export function batchStruct(d: BatchData): BatchCalldata {
  const [newRoot, l1Count, l1Results, feeIdx, txData, commitment] = batchArgs(d);
  return { newRoot, l1Count, l1Results, feeIdx, txData, commitment };
}

type DecodedStruct = { newRoot: bigint; l1Count: bigint; l1Results: string; feeIdx: string; txData: string; commitment: bigint };

function batchDataOf(b: DecodedStruct): BatchData {
  return {
    newRoot: b.newRoot,
    l1Count: Number(b.l1Count),
    l1Results: fromHex(b.l1Results),
    feeIdx: fromHex(b.feeIdx),
    txData: fromHex(b.txData),
    commitment: b.commitment,
  };
}

function proofOf(words: readonly bigint[]): SolidityProof {
  if (words.length !== 8) throw new Error(`a posted proof is 8 words, got ${words.length}`);
  return [...words] as SolidityProof;
}

/** Calldata that is not a submitBatch, submitBatches or submitFallbackBatch call (another call into the rollup, or none). */
export class NotABatchCall extends Error {}

/**
 * The batches a transaction to the Rollup posts, in the order it applies them (the order of its
 * BatchSubmitted events): one for submitBatch, k for submitBatches. Throws NotABatchCall for any
 * other call.
 */
export function decodeBatchCall(rollupInterface: Interface, data: string): BatchCall[] {
  const call = rollupInterface.parseTransaction({ data });
  if (call?.name === "submitBatch") return [{ data: batchDataOf(call.args as unknown as DecodedStruct), proof: proofOf(call.args.proof as bigint[]) }];
  if (call?.name === "submitFallbackBatch")
    return [{ data: batchDataOf(call.args as unknown as DecodedStruct), proof: proofOf(call.args.proof as bigint[]), fallback: true }];
  if (call?.name === "submitBatches") {
    const proofs = call.args.proofs as bigint[][];
    return (call.args.batches as DecodedStruct[]).map((b, i) => ({ data: batchDataOf(b), proof: proofOf(proofs[i] ?? []) }));
  }
  throw new NotABatchCall(`not a submitBatch, submitBatches or submitFallbackBatch call (${call ? call.name : data.slice(0, 10)})`);
}
