import { createHash } from "node:crypto";
import { concatBytes, toBytesBE } from "./bytes.js";
import { SNARK_FIELD } from "./crypto.js";
import type { DerivedParams } from "./params.js";

/** Everything the batch's public input commits to (docs/PROTOCOL.md, "Batch"). */
export interface InputHashFields {
  oldRoot: bigint;
  newRoot: bigint;
  chainId: bigint;
  rollupAddress: bigint;
  /** Queue hash after the last L1 operation the batch consumes. */
  l1HashEnd: bigint;
  /** Number of L1 operations consumed (≤ l1Slots). */
  l1Count: number;
  /** feeSlots · idxBytes bytes. */
  feeIdxData: Uint8Array;
  /** 16 bytes (uint128) per consumed L1 operation. */
  l1ResultsData: Uint8Array;
  /** The posted transactions: a multiple of txBytes, at most batchSize · txBytes bytes. */
  txData: Uint8Array;
}

/** The sha256 preimage, with L1 results and txData zero-padded to the slot counts. */
export function inputHashPreimage(f: InputHashFields, p: DerivedParams): Uint8Array {
  if (f.oldRoot >= SNARK_FIELD || f.newRoot >= SNARK_FIELD) throw new Error("root is not a field element");
  if (f.feeIdxData.length !== p.feeSlots * p.idxBytes) {
    throw new Error(`fee index data must be ${p.feeSlots * p.idxBytes} bytes, got ${f.feeIdxData.length}`);
  }
  if (!Number.isInteger(f.l1Count) || f.l1Count < 0 || f.l1Count > p.l1Slots) throw new Error(`l1Count must be 0..${p.l1Slots}, got ${f.l1Count}`);
  if (f.l1ResultsData.length !== 16 * f.l1Count) throw new Error(`L1 results must be ${16 * f.l1Count} bytes, got ${f.l1ResultsData.length}`);
  if (f.txData.length % p.txBytes !== 0 || f.txData.length > p.batchSize * p.txBytes) {
    throw new Error(`tx data must be a multiple of ${p.txBytes} bytes up to ${p.batchSize * p.txBytes}, got ${f.txData.length}`);
  }
  return concatBytes([
    toBytesBE(f.oldRoot, 32),
    toBytesBE(f.newRoot, 32),
    toBytesBE(f.chainId, 8),
    toBytesBE(f.rollupAddress, 20),
    toBytesBE(f.l1HashEnd, 32),
    toBytesBE(BigInt(f.l1Count), 1),
    f.feeIdxData,
    f.l1ResultsData,
    new Uint8Array(16 * (p.l1Slots - f.l1Count)),
    f.txData,
    new Uint8Array(p.batchSize * p.txBytes - f.txData.length),
  ]);
}

/** `uint256(sha256(preimage)) mod r`: the proof's only public signal. */
export function computeInputHash(f: InputHashFields, p: DerivedParams): bigint {
  const digest = createHash("sha256").update(inputHashPreimage(f, p)).digest("hex");
  return BigInt("0x" + digest) % SNARK_FIELD;
}
