// The parameters of a circuit instance and what follows from them. The registry of named
// instances (circuits/instances.json) is read by src/proving/instances.ts.

/** Parameters of one circuit instance (see docs/PROTOCOL.md). */
export interface CircuitParams {
  /** Instance name, as registered in circuits/instances.json. */
  name: string;
  description: string;
  /** Capacity 4^depth accounts (the tree's levels: src/model/tree.ts treeLevels). */
  depth: number;
  /** Transaction slots per batch (N). */
  batchSize: number;
  /** L1-operation slots per batch (L). */
  l1Slots: number;
  /** Fee slots per batch (F). */
  feeSlots: number;
  /**
   * The circuit's form: true for BatchShell + N × Transfer linked into one r1cs (the same
   * constraint system as Batch, for N too large for circom to compile whole:
   * src/proving/linked.ts); absent or false for the monolithic Batch.
   */
  linked?: boolean;
  /**
   * The instance of the rollup's fallback verifier (src/proving/instances.ts fallbackOf): the same
   * tree (depth) with few slots, cheap to prove, that anyone may submit batches with once the
   * sequencer is silent (Rollup.sol submitFallbackBatch). Absent: the instance is its own fallback.
   */
  fallback?: string;
}

export interface DerivedParams extends CircuitParams {
  /** Bytes of an account index in calldata: ceil(2·depth / 8). */
  idxBytes: number;
  /** Bytes of one L2 transaction in calldata: 2·idxBytes + 6. */
  txBytes: number;
  /** Number of account slots: 4^depth. */
  capacity: bigint;
}

export function deriveParams(p: CircuitParams): DerivedParams {
  if (!Number.isInteger(p.depth) || p.depth < 1 || p.depth > 16) throw new Error(`depth must be 1..16, got ${p.depth}`);
  if (!Number.isInteger(p.batchSize) || p.batchSize < 1) throw new Error(`batchSize must be >= 1, got ${p.batchSize}`);
  if (!Number.isInteger(p.feeSlots) || p.feeSlots < 1) throw new Error(`feeSlots must be >= 1, got ${p.feeSlots}`);
  if (!Number.isInteger(p.l1Slots) || p.l1Slots < 0 || p.l1Slots > 255) throw new Error(`l1Slots must be 0..255, got ${p.l1Slots}`);
  const idxBytes = Math.ceil((2 * p.depth) / 8);
  // l1Count ‖ feeIdx is one public-input coefficient of at most 31 bytes (src/model/publicInputs.ts).
  if (p.linked !== undefined && typeof p.linked !== "boolean") throw new Error(`linked must be true or false, got ${String(p.linked)}`);
  if (p.fallback !== undefined && (typeof p.fallback !== "string" || p.fallback === ""))
    throw new Error(`fallback must be an instance name, got ${String(p.fallback)}`);
  if (1 + p.feeSlots * idxBytes > 31) throw new Error(`feeSlots · idxBytes must be at most 30, got ${p.feeSlots * idxBytes}`);
  return { ...p, idxBytes, txBytes: 2 * idxBytes + 6, capacity: 1n << BigInt(2 * p.depth) };
}
