import type { Hasher } from "./crypto.js";

/** Kinds of L1 operation (docs/PROTOCOL.md, "L1 operations"). */
export enum L1OpKind {
  /** Deposit creating an account at the next free index. */
  CREATE = 1,
  /** Deposit to an existing account. */
  DEPOSIT = 2,
  /** The account's L1 owner withdraws its whole balance. */
  FORCE_EXIT = 3,
}

/** An L1 operation as the Rollup contract queued and hashed it. */
export interface L1Op {
  kind: L1OpKind;
  accountIdx: bigint;
  tokenId: bigint;
  amount: bigint;
  /** The L1 address that queued it (depositor or forced-exit requester). */
  owner: bigint;
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
  if (![L1OpKind.CREATE, L1OpKind.DEPOSIT, L1OpKind.FORCE_EXIT].includes(op.kind)) throw new Error(`unknown L1 operation kind ${op.kind}`);
  if (op.accountIdx < 0n || op.accountIdx > U32) throw new Error("accountIdx must fit 32 bits");
  if (op.tokenId < 0n || op.tokenId > U32) throw new Error("tokenId must fit 32 bits");
  if (op.amount < 0n || op.amount > U128) throw new Error("amount must fit 128 bits");
  if (op.owner < 0n || op.owner >> 160n !== 0n) throw new Error("owner must be a 160-bit address");
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
