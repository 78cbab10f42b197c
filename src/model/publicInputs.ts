// The public inputs of a batch proof (docs/PROTOCOL.md, "Batch"): the batch data as a vector of
// field elements, a Poseidon commitment to it, a keccak256 challenge and the evaluation of the
// data polynomial at that challenge. The contract computes the challenge and the evaluation from
// its own storage and the calldata (cheap on the EVM); the circuit computes the commitment and the
// evaluation from its witness (cheap in R1CS). Hashing the data with sha256 in the circuit instead
// cost ~29k constraints per 64 bytes.
import { keccak_256 } from "@noble/hashes/sha3";
import { fromBytesBE, toBytesBE } from "./bytes.js";
import { type BatchData, checkBatchData } from "./batchData.js";
import { type Hasher, SNARK_FIELD } from "./crypto.js";
import type { DerivedParams } from "./params.js";

/**
 * Everything a batch's public inputs bind (docs/PROTOCOL.md, "Batch"): its posted data but the
 * commitment (which commits to the rest), and what L1 holds for it.
 */
export interface BatchPublicData extends Omit<BatchData, "commitment"> {
  oldRoot: bigint;
  chainId: bigint;
  rollupAddress: bigint;
  /** Queue hash after the last L1 operation the batch consumes. */
  l1HashEnd: bigint;
}

/** Poseidon arity of one commitment step: the running value and up to 15 coefficients. */
export const COMMITMENT_CHUNK = 15;

/** Transactions packed into one coefficient: as many whole ones as fit in 31 bytes. */
export function txsPerCoefficient(p: DerivedParams): number {
  return Math.floor(31 / p.txBytes);
}

/** Number of data coefficients m = 5 + L + ceil(N / txsPerCoefficient). */
export function coefficientCount(p: DerivedParams): number {
  return 5 + p.l1Slots + Math.ceil(p.batchSize / txsPerCoefficient(p));
}

/**
 * The batch data as m field elements c[0..m): oldRoot, newRoot, chainId·2^160 + rollupAddress,
 * l1HashEnd, l1Count ‖ feeIdx (big-endian), one uint128 L1 result per L1 slot (0 when unused),
 * then the N transaction slots (zero bytes for padding) in groups of txsPerCoefficient, each
 * group's bytes as one big-endian integer.
 */
export function batchCoefficients(f: BatchPublicData, p: DerivedParams): bigint[] {
  if (f.oldRoot < 0n || f.oldRoot >= SNARK_FIELD) throw new Error("oldRoot is not a field element");
  if (f.l1HashEnd < 0n || f.l1HashEnd >= SNARK_FIELD) throw new Error("l1HashEnd is not a field element");
  if (f.chainId < 0n || f.chainId >= 1n << 64n) throw new Error("chainId must be a uint64");
  if (f.rollupAddress < 0n || f.rollupAddress >= 1n << 160n) throw new Error("rollupAddress must be 160 bits");
  checkBatchData(f, p);
  const c: bigint[] = [
    f.oldRoot,
    f.newRoot,
    (f.chainId << 160n) | f.rollupAddress,
    f.l1HashEnd,
    (BigInt(f.l1Count) << BigInt(8 * f.feeIdx.length)) | fromBytesBE(f.feeIdx),
  ];
  for (let j = 0; j < p.l1Slots; j++) c.push(j < f.l1Count ? fromBytesBE(f.l1Results.subarray(16 * j, 16 * j + 16)) : 0n);
  const groupBytes = txsPerCoefficient(p) * p.txBytes;
  const groups = coefficientCount(p) - 5 - p.l1Slots;
  for (let t = 0; t < groups; t++) {
    const bytes = new Uint8Array(groupBytes);
    bytes.set(f.txData.subarray(t * groupBytes, Math.min((t + 1) * groupBytes, f.txData.length)));
    c.push(fromBytesBE(bytes));
  }
  return c;
}

/** Poseidon commitment to the coefficients: acc = 0, then acc = Poseidon(acc, next ≤ 15 of them). */
export function dataCommitment(coefficients: bigint[], hash: Hasher): bigint {
  let acc = 0n;
  for (let i = 0; i < coefficients.length; i += COMMITMENT_CHUNK) acc = hash([acc, ...coefficients.slice(i, i + COMMITMENT_CHUNK)]);
  return acc;
}

/** z = keccak256(c[0] ‖ … ‖ c[m−1] ‖ commitment), each a 32-byte big-endian word, mod r. */
export function challengeOf(coefficients: bigint[], commitment: bigint): bigint {
  const words = [...coefficients, commitment];
  const buf = new Uint8Array(32 * words.length);
  words.forEach((w, i) => buf.set(toBytesBE(w, 32), 32 * i));
  return fromBytesBE(keccak_256(buf)) % SNARK_FIELD;
}

/** y = Σ c[i]·z^i + commitment·z^m mod r (Horner, from the commitment down). */
export function evaluateAt(coefficients: bigint[], commitment: bigint, z: bigint): bigint {
  let y = commitment % SNARK_FIELD;
  for (let i = coefficients.length - 1; i >= 0; i--) y = (y * z + coefficients[i]!) % SNARK_FIELD;
  return y;
}

export interface BatchPublicInputs {
  /** Poseidon commitment to the data, posted with the batch. */
  commitment: bigint;
  /** z, the keccak256 challenge. */
  challenge: bigint;
  /** y, the data polynomial at z. */
  evaluation: bigint;
  /** The proof's public signals in circuit order: [evaluation, challenge]. */
  signals: [bigint, bigint];
}

/** [evaluation, challenge] for coefficients `c` and a posted `commitment` (as the contract derives them). */
export function signalsOf(c: bigint[], commitment: bigint): [bigint, bigint] {
  if (commitment < 0n || commitment >= SNARK_FIELD) throw new Error("commitment is not a field element");
  const z = challengeOf(c, commitment);
  return [evaluateAt(c, commitment, z), z];
}

/** The commitment, challenge, evaluation and public signals of a batch. */
export function computePublicInputs(f: BatchPublicData, p: DerivedParams, hash: Hasher): BatchPublicInputs {
  const c = batchCoefficients(f, p);
  const commitment = dataCommitment(c, hash);
  const [evaluation, challenge] = signalsOf(c, commitment);
  return { commitment, challenge, evaluation, signals: [evaluation, challenge] };
}

/**
 * The public signals the contract derives for `f` with a posted `commitment` (which it cannot
 * check itself): equal to computePublicInputs(f).signals exactly when the commitment is honest.
 */
export function publicSignalsFor(f: BatchPublicData, p: DerivedParams, commitment: bigint): [bigint, bigint] {
  return signalsOf(batchCoefficients(f, p), commitment);
}
