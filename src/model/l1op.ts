import type { Hasher } from "./crypto.js";
import { decimal, jsonObject, JsonFormatError } from "./json.js";

/** Kinds of L1 operation (docs/PROTOCOL.md, "L1 operations"). */
export enum L1OpKind {
  /** Deposit creating an account at the next free index. */
  CREATE = 1,
  /** Deposit to an existing account. */
  DEPOSIT = 2,
  /** The account's L1 owner withdraws its whole balance. */
  FORCE_EXIT = 3,
  /**
   * The account's L1 owner moves `amount` to account `ax` (of the same token), if its balance
   * covers it when the operation is processed; otherwise nothing changes. Always the first L1
   * operation of its batch (the circuit's slot 0 alone has the receiver's leaf).
   */
  FORCE_TRANSFER = 4,
}

const KIND_NAMES: Record<L1OpKind, string> = {
  [L1OpKind.CREATE]: "deposit (new account)",
  [L1OpKind.DEPOSIT]: "deposit",
  [L1OpKind.FORCE_EXIT]: "forced exit",
  [L1OpKind.FORCE_TRANSFER]: "forced transfer",
};

/** What an operation of `kind` is, for people ("kind N" for one the queue cannot hold). */
export function l1OpKindName(kind: number): string {
  return KIND_NAMES[kind as L1OpKind] ?? `kind ${kind}`;
}

const KINDS: readonly L1OpKind[] = [L1OpKind.CREATE, L1OpKind.DEPOSIT, L1OpKind.FORCE_EXIT, L1OpKind.FORCE_TRANSFER];

/** An L1 operation as the Rollup contract queued and hashed it. */
export interface L1Op {
  kind: L1OpKind;
  accountIdx: bigint;
  tokenId: bigint;
  amount: bigint;
  /** The L1 address that queued it (depositor, or the owner forcing an exit or a transfer). */
  owner: bigint;
  /** A CREATE's key; a FORCE_TRANSFER's receiver account (ay 0); else 0. */
  ax: bigint;
  ay: bigint;
}

/** An operation with its place in the contract's queue and the chain hash after it. */
export interface QueuedL1Op extends L1Op {
  /** 0-based position in the queue. */
  queueIndex: bigint;
  /** h_{queueIndex+1}: the queue hash after this operation. */
  chainHash: bigint;
}

const U32 = (1n << 32n) - 1n;
const U128 = (1n << 128n) - 1n;

export function checkL1Op(op: L1Op): void {
  if (!KINDS.includes(op.kind)) throw new Error(`unknown L1 operation kind ${op.kind}`);
  if (op.accountIdx < 0n || op.accountIdx > U32) throw new Error("accountIdx must fit 32 bits");
  if (op.tokenId < 0n || op.tokenId > U32) throw new Error("tokenId must fit 32 bits");
  if (op.amount < 0n || op.amount > U128) throw new Error("amount must fit 128 bits");
  if (op.owner < 0n || op.owner >> 160n !== 0n) throw new Error("owner must be a 160-bit address");
  if (op.kind === L1OpKind.FORCE_TRANSFER && (op.ax < 0n || op.ax > U32 || op.ay !== 0n))
    throw new Error("a forced transfer's receiver (ax) must fit 32 bits, and ay be 0");
}

/** The receiver of a FORCE_TRANSFER, else undefined. */
export function forcedReceiver(op: L1Op): bigint | undefined {
  return op.kind === L1OpKind.FORCE_TRANSFER ? op.ax : undefined;
}

/**
 * How many of the oldest waiting operations one batch of `slots` L1 slots takes: as many as it
 * has slots, but a forced transfer only as the first (the circuit's slot 0 alone can hold one;
 * the contract lets a batch stop before it).
 */
export function l1OpsForBatch(waiting: readonly Pick<L1Op, "kind">[], slots: number): number {
  const n = Math.min(waiting.length, slots);
  for (let j = 1; j < n; j++) if (waiting[j]!.kind === L1OpKind.FORCE_TRANSFER) return j;
  return n;
}

/** e1 = kind·2^192 + accountIdx·2^160 + tokenId·2^128 + amount. */
export function l1OpE1(op: L1Op): bigint {
  checkL1Op(op);
  return (BigInt(op.kind) << 192n) | (op.accountIdx << 160n) | (op.tokenId << 128n) | op.amount;
}

/** h_i = Poseidon(h_{i−1}, e1, owner, ax, ay). */
export function l1ChainStep(hash: Hasher, prev: bigint, op: L1Op): bigint {
  return hash([prev, l1OpE1(op), op.owner, op.ax, op.ay]);
}

/** JSON form of a queued L1 operation (the sequencer's database): kind a number, the rest decimal strings. */
export interface QueuedL1OpJSON {
  queueIndex: string;
  kind: number;
  accountIdx: string;
  tokenId: string;
  amount: string;
  owner: string;
  ax: string;
  ay: string;
  chainHash: string;
}

export function queuedL1OpToJSON(op: QueuedL1Op): QueuedL1OpJSON {
  return {
    queueIndex: op.queueIndex.toString(),
    kind: op.kind,
    accountIdx: op.accountIdx.toString(),
    tokenId: op.tokenId.toString(),
    amount: op.amount.toString(),
    owner: op.owner.toString(),
    ax: op.ax.toString(),
    ay: op.ay.toString(),
    chainHash: op.chainHash.toString(),
  };
}

/** Parses a queued L1 operation from JSON (queuedL1OpToJSON's form); throws JsonFormatError naming the field or the rule broken. */
export function queuedL1OpFromJSON(j: unknown): QueuedL1Op {
  const o = jsonObject(j, "L1 operation");
  const op: QueuedL1Op = {
    queueIndex: decimal(o.queueIndex, "queueIndex"),
    kind: Number(decimal(o.kind, "kind")) as L1OpKind,
    accountIdx: decimal(o.accountIdx, "accountIdx"),
    tokenId: decimal(o.tokenId, "tokenId"),
    amount: decimal(o.amount, "amount"),
    owner: decimal(o.owner, "owner"),
    ax: decimal(o.ax, "ax"),
    ay: decimal(o.ay, "ay"),
    chainHash: decimal(o.chainHash, "chainHash"),
  };
  try {
    checkL1Op(op);
  } catch (e) {
    throw new JsonFormatError(`L1 operation ${op.queueIndex}: ${(e as Error).message}`);
  }
  return op;
}
