// The batches a submitBatch / submitBatches transaction posts, decoded from its calldata.
import type { Interface } from "ethers";
import { fromHex } from "../model/bytes.js";

/** One batch of a Rollup submitBatch or submitBatches call, as posted. */
export interface PostedBatchCall {
  newRoot: bigint;
  l1Count: number;
  l1Results: Uint8Array;
  feeIdx: Uint8Array;
  txData: Uint8Array;
  /** The posted Poseidon commitment to the batch data. */
  commitment: bigint;
  /** [a0, a1, b00, b01, b10, b11, c0, c1] as submitted. */
  proof: bigint[];
}

/**
 * The batches a transaction to the Rollup posts, in the order it applies them (the order of its
 * BatchSubmitted events): one for submitBatch, k for submitBatches. Throws for any other call.
 */
export function decodeBatchCall(rollupInterface: Interface, data: string): PostedBatchCall[] {
  const call = rollupInterface.parseTransaction({ data });
  const one = (b: { newRoot: bigint; l1Count: bigint; l1Results: string; feeIdx: string; txData: string; commitment: bigint }, proof: bigint[]): PostedBatchCall => ({
    newRoot: b.newRoot,
    l1Count: Number(b.l1Count),
    l1Results: fromHex(b.l1Results),
    feeIdx: fromHex(b.feeIdx),
    txData: fromHex(b.txData),
    commitment: b.commitment,
    proof: [...proof],
  });
  if (call?.name === "submitBatch") return [one(call.args as unknown as Parameters<typeof one>[0], call.args.proof as bigint[])];
  if (call?.name === "submitBatches") {
    const proofs = call.args.proofs as bigint[][];
    return (call.args.batches as Parameters<typeof one>[0][]).map((b, i) => one(b, proofs[i]!));
  }
  throw new Error(`not a submitBatch or submitBatches call (${call ? call.name : data.slice(0, 10)})`);
}
