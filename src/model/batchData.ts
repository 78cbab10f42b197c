// A batch as posted on L1 (docs/PROTOCOL.md, "Batch"): what Rollup.submitBatch takes but the
// proof. The one type of a batch's data: buildBatch makes it, the sequencer stores and submits
// it, the L1 readers decode it from calldata, and rebuild replays it. Here are its codec — the
// posted bytes ⇄ the values they hold (L1 results, fee account indexes, transfers) — and its JSON.
// The ethers arguments of the contract calls are shaped next to the contract (src/chain/calldata.ts).
import { concatBytes, fromBytesBE, toBytesBE, toHex } from "./bytes.js";
import { SNARK_FIELD } from "./crypto.js";
import { decimal, hexBytes, jsonObject, JsonFormatError } from "./json.js";
import type { DerivedParams } from "./params.js";
import { decodeTransfer, encodeTransfer, type Transfer } from "./tx.js";

/** One batch's data as posted: submitBatch's arguments but the proof. */
export interface BatchData {
  /** State root after the batch. */
  newRoot: bigint;
  /** L1 operations the batch consumes (0..l1Slots), the oldest unprocessed ones. */
  l1Count: number;
  /** One uint128 result (refund or forced-exit amount) per consumed L1 operation: 16·l1Count bytes. */
  l1Results: Uint8Array;
  /** feeSlots fee account indexes of idxBytes each, big-endian (0: an unused slot). */
  feeIdx: Uint8Array;
  /** The transfers and exits (src/model/tx.ts encodeTransfer), txBytes each, at most batchSize, no padding. */
  txData: Uint8Array;
  /** Poseidon commitment to the batch data (src/model/publicInputs.ts). */
  commitment: bigint;
}

/** A transfer or exit as posted: its txBytes hold no nonce and no signature. */
export type PostedTransfer = Omit<Transfer, "nonce">;

/** What a BatchData holds, decoded (l1Count is the number of L1 results). */
export interface DecodedBatchData {
  newRoot: bigint;
  l1Results: bigint[];
  /** Exactly feeSlots indexes, 0 for an unused slot. */
  feeIdx: bigint[];
  txs: PostedTransfer[];
  commitment: bigint;
}

/** Batch data of the wrong shape for the circuit instance, or values out of range. */
export class BatchDataError extends Error {}

const U128 = 1n << 128n;

function field(v: bigint, what: string): void {
  if (typeof v !== "bigint" || v < 0n || v >= SNARK_FIELD) throw new BatchDataError(`${what} is not a field element`);
}

/**
 * Throws BatchDataError unless `d` has the shape instance `p` posts: the new root a field element,
 * feeSlots·idxBytes bytes of fee indexes, l1Count 0..l1Slots with 16 bytes of result each, and
 * whole transactions, at most batchSize of them. (The commitment, which commits to the rest, is
 * checked by whoever holds one: the codec below, and the public inputs.)
 */
export function checkBatchData(d: Omit<BatchData, "commitment">, p: DerivedParams): void {
  field(d.newRoot, "newRoot");
  if (d.feeIdx.length !== p.feeSlots * p.idxBytes) throw new BatchDataError(`fee index data must be ${p.feeSlots * p.idxBytes} bytes, got ${d.feeIdx.length}`);
  if (!Number.isInteger(d.l1Count) || d.l1Count < 0 || d.l1Count > p.l1Slots) throw new BatchDataError(`l1Count must be 0..${p.l1Slots}, got ${d.l1Count}`);
  if (d.l1Results.length !== 16 * d.l1Count) throw new BatchDataError(`L1 results must be ${16 * d.l1Count} bytes, got ${d.l1Results.length}`);
  if (d.txData.length % p.txBytes !== 0 || d.txData.length > p.batchSize * p.txBytes) {
    throw new BatchDataError(`tx data must be a multiple of ${p.txBytes} bytes up to ${p.batchSize * p.txBytes}, got ${d.txData.length}`);
  }
}

/** Number of transactions in a batch's data. */
export function txCount(d: Pick<BatchData, "txData">, p: DerivedParams): number {
  return d.txData.length / p.txBytes;
}

/**
 * The posted form of a batch's values. Throws BatchDataError for values the instance cannot post
 * (not exactly feeSlots fee indexes, an index ≥ 4^depth, a result ≥ 2^128, too many L1 results or
 * transactions, a padding transaction), TxFormatError for a transfer with no calldata encoding.
 */
export function encodeBatchData(v: DecodedBatchData, p: DerivedParams): BatchData {
  if (v.feeIdx.length !== p.feeSlots) throw new BatchDataError(`a batch names ${p.feeSlots} fee indexes (0 for an unused slot), got ${v.feeIdx.length}`);
  v.feeIdx.forEach((i, j) => {
    if (i < 0n || i >= p.capacity) throw new BatchDataError(`fee index ${j} is ${i}, not an index below ${p.capacity}`);
  });
  v.l1Results.forEach((r, j) => {
    if (r < 0n || r >= U128) throw new BatchDataError(`L1 result ${j} is ${r}, not a uint128`);
  });
  v.txs.forEach((t, i) => {
    if (t.from === 0n) throw new BatchDataError(`transaction ${i} is padding (from = 0), which a batch never posts`);
  });
  if (v.l1Results.length > p.l1Slots) throw new BatchDataError(`l1Count must be 0..${p.l1Slots}, got ${v.l1Results.length}`);
  if (v.txs.length > p.batchSize) throw new BatchDataError(`at most ${p.batchSize} transactions per batch, got ${v.txs.length}`);
  const d: BatchData = {
    newRoot: v.newRoot,
    l1Count: v.l1Results.length,
    l1Results: concatBytes(v.l1Results.map((r) => toBytesBE(r, 16))),
    feeIdx: concatBytes(v.feeIdx.map((i) => toBytesBE(i, p.idxBytes))),
    txData: concatBytes(v.txs.map((t) => encodeTransfer({ ...t, nonce: 0n }, p))),
    commitment: v.commitment,
  };
  checkBatchData(d, p);
  field(d.commitment, "commitment");
  return d;
}

/**
 * The values `d` posts. Throws BatchDataError for data of another shape (checkBatchData), an
 * index ≥ 4^depth, or a padding transaction (from = 0: the contract refuses trailing padding and
 * the circuit puts padding only after the last real transaction, so posted padding means an
 * unsound verifier, not data to skip).
 */
export function decodeBatchData(d: BatchData, p: DerivedParams): DecodedBatchData {
  checkBatchData(d, p);
  field(d.commitment, "commitment");
  const index = (v: bigint, what: string) => {
    if (v >= p.capacity) throw new BatchDataError(`${what} is ${v}, not an index below ${p.capacity}`);
    return v;
  };
  const feeIdx = Array.from({ length: p.feeSlots }, (_, j) => index(fromBytesBE(d.feeIdx.subarray(j * p.idxBytes, (j + 1) * p.idxBytes)), `fee index ${j}`));
  const l1Results = Array.from({ length: d.l1Count }, (_, j) => fromBytesBE(d.l1Results.subarray(16 * j, 16 * j + 16)));
  const txs = Array.from({ length: txCount(d, p) }, (_, i) => {
    const t = decodeTransfer(d.txData.subarray(i * p.txBytes, (i + 1) * p.txBytes), p);
    if (t.from === 0n) throw new BatchDataError(`posted transaction ${i} is padding (from = 0), which no valid batch posts`);
    index(t.from, `transaction ${i}'s sender`);
    index(t.to, `transaction ${i}'s receiver`);
    return t;
  });
  return { newRoot: d.newRoot, l1Results, feeIdx, txs, commitment: d.commitment };
}

/** JSON form of batch data: roots and commitment as decimal strings, the byte fields as 0x hex. */
export interface BatchDataJSON {
  newRoot: string;
  l1Count: number;
  l1Results: string;
  feeIdx: string;
  txData: string;
  commitment: string;
}

export function batchDataToJSON(d: BatchData): BatchDataJSON {
  return {
    newRoot: d.newRoot.toString(),
    l1Count: d.l1Count,
    l1Results: toHex(d.l1Results),
    feeIdx: toHex(d.feeIdx),
    txData: toHex(d.txData),
    commitment: d.commitment.toString(),
  };
}

/** Parses batch data from JSON (batchDataToJSON's form); throws JsonFormatError naming the field. Its shape against an instance: checkBatchData. */
export function batchDataFromJSON(j: unknown): BatchData {
  const o = jsonObject(j, "batch data");
  if (typeof o.l1Count !== "number" || !Number.isSafeInteger(o.l1Count) || o.l1Count < 0)
    throw new JsonFormatError(`l1Count must be a non-negative integer, got ${JSON.stringify(o.l1Count)}`);
  return {
    newRoot: decimal(o.newRoot, "newRoot"),
    l1Count: o.l1Count,
    l1Results: hexBytes(o.l1Results, "l1Results"),
    feeIdx: hexBytes(o.feeIdx, "feeIdx"),
    txData: hexBytes(o.txData, "txData"),
    commitment: decimal(o.commitment, "commitment"),
  };
}
