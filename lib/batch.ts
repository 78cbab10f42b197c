import { EMPTY_ACCOUNT, type Account } from "./account.js";
import { concatBytes, toBytesBE } from "./bytes.js";
import { computeInputHash, type InputHashFields } from "./inputHash.js";
import type { L2State, LeafWitness } from "./state.js";
import { TxRejectedError } from "./state.js";
import { encodeTransfer, packedAmounts, type Domain, type SignedTransfer } from "./tx.js";

/** Signature inputs of a padding slot: all zero, like every other input of the slot. */
export const PADDING_SIGNATURE = { R8x: 0n, R8y: 0n, S: 0n };

export interface BatchContext {
  domain: Domain;
  /** Number of this batch on L1 (the first batch is 1). */
  batchNumber: bigint;
  /** Fee account indexes, at most feeSlots of them (unused slots are 0). */
  feeIdx: bigint[];
}

export interface Rejected {
  tx: SignedTransfer;
  error: TxRejectedError;
}

export interface Batch {
  batchNumber: bigint;
  oldRoot: bigint;
  newRoot: bigint;
  /** Transfers included, in order. */
  txs: SignedTransfer[];
  /** Transfers left out, with why. */
  rejected: Rejected[];
  /** Fee indexes padded to feeSlots. */
  feeIdx: bigint[];
  /** Fees credited per fee slot. */
  fees: bigint[];
  feeIdxData: Uint8Array;
  txData: Uint8Array;
  inputHash: bigint;
  /** Input object of the circuit Batch(D, N, F), values as decimal strings. */
  circuitInput: Record<string, unknown>;
}

type Sig = { R8x: bigint; R8y: bigint; S: bigint };

interface Slot {
  from: bigint;
  to: bigint;
  amountF: bigint;
  feeF: bigint;
  sig: Sig;
  sender: LeafWitness;
  receiver: LeafWitness;
}

function paddingWitness(depth: number): LeafWitness {
  return { index: 0n, account: EMPTY_ACCOUNT, proof: Array.from({ length: depth }, () => [0n, 0n, 0n]) };
}

const str = (v: bigint) => v.toString();
const proofStr = (w: LeafWitness) => w.proof.map((lvl) => lvl.map(str));

function leafInputs(prefix: string, ws: LeafWitness[]): Record<string, unknown> {
  const field = (k: keyof Account) => ws.map((w) => str(w.account[k]));
  return {
    [`${prefix}Ax`]: field("ax"),
    [`${prefix}Ay`]: field("ay"),
    [`${prefix}Owner`]: field("owner"),
    [`${prefix}Token`]: field("tokenId"),
    [`${prefix}Balance`]: field("balance"),
    [`${prefix}Nonce`]: field("nonce"),
    [`${prefix}Siblings`]: ws.map(proofStr),
  };
}

/**
 * Apply up to batchSize transfers to `state` (mutating it), credit the fees, and return
 * the batch's calldata, circuit input and public-input hash. Invalid transfers are left out
 * and reported in `rejected`; they change nothing.
 */
export function buildBatch(state: L2State, candidates: SignedTransfer[], ctx: BatchContext): Batch {
  const p = state.params;
  if (ctx.feeIdx.length > p.feeSlots) throw new Error(`at most ${p.feeSlots} fee accounts per batch`);
  const feeIdx = [...ctx.feeIdx, ...Array<bigint>(p.feeSlots - ctx.feeIdx.length).fill(0n)];
  const feeTokens: bigint[] = [];
  for (const idx of feeIdx) {
    if (idx === 0n) continue;
    const a = state.account(idx);
    if (!a) throw new Error(`fee account ${idx} does not exist`);
    if (feeTokens.includes(a.tokenId)) throw new Error(`two fee accounts for token ${a.tokenId}`);
    feeTokens.push(a.tokenId);
  }

  const oldRoot = state.root;
  const slots: Slot[] = [];
  const txs: SignedTransfer[] = [];
  const rejected: Rejected[] = [];
  const fees = feeIdx.map(() => 0n);
  for (const tx of candidates) {
    if (slots.length === p.batchSize) break;
    try {
      const { sender, receiver } = state.applyTransfer(tx, ctx.domain, feeTokens);
      const { amountF, feeF } = packedAmounts(tx);
      slots.push({ from: tx.from, to: tx.to, amountF, feeF, sig: tx.signature, sender, receiver });
      txs.push(tx);
      const j = feeIdx.findIndex((idx) => idx !== 0n && state.account(idx)!.tokenId === sender.account.tokenId);
      if (j >= 0) fees[j] += tx.fee;
    } catch (e) {
      if (!(e instanceof TxRejectedError)) throw e;
      rejected.push({ tx, error: e });
    }
  }
  const feeWitnesses = feeIdx.map((idx, j) => (idx === 0n ? paddingWitness(p.depth) : state.credit(idx, fees[j])));
  const newRoot = state.root;

  const pad = paddingWitness(p.depth);
  while (slots.length < p.batchSize) {
    slots.push({ from: 0n, to: 0n, amountF: 0n, feeF: 0n, sig: PADDING_SIGNATURE, sender: pad, receiver: pad });
  }
  const txData = concatBytes(txs.map((t) => encodeTransfer(t, p)));
  const feeIdxData = concatBytes(feeIdx.map((i) => toBytesBE(i, p.idxBytes)));
  const hashFields: InputHashFields = {
    oldRoot,
    newRoot,
    chainId: ctx.domain.chainId,
    rollupAddress: ctx.domain.rollupAddress,
    batchNumber: ctx.batchNumber,
    feeIdxData,
    txData,
  };
  const circuitInput = {
    oldRoot: str(oldRoot),
    newRoot: str(newRoot),
    chainId: str(ctx.domain.chainId),
    rollupAddress: str(ctx.domain.rollupAddress),
    batchNumber: str(ctx.batchNumber),
    feeIdx: feeIdx.map(str),
    from: slots.map((s) => str(s.from)),
    to: slots.map((s) => str(s.to)),
    amountF: slots.map((s) => str(s.amountF)),
    feeF: slots.map((s) => str(s.feeF)),
    sigS: slots.map((s) => str(s.sig.S)),
    sigR8x: slots.map((s) => str(s.sig.R8x)),
    sigR8y: slots.map((s) => str(s.sig.R8y)),
    ...leafInputs("sender", slots.map((s) => s.sender)),
    ...leafInputs("receiver", slots.map((s) => s.receiver)),
    ...leafInputs("fee", feeWitnesses),
  };
  return {
    batchNumber: ctx.batchNumber,
    oldRoot,
    newRoot,
    txs,
    rejected,
    feeIdx,
    fees,
    feeIdxData,
    txData,
    inputHash: computeInputHash(hashFields, p),
    circuitInput,
  };
}
