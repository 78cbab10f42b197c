// The accounts, keys and helpers the batch circuit tests share (test/circuits/batch.test.ts,
// malicious.test.ts): an L2 state built by the model, signed transactions, and the unchecked
// circuit inputs of transitions the model would refuse.
import { createHash } from "node:crypto";
import { MAX_BALANCE } from "../../src/model/account.js";
import type { Account } from "../../src/model/account.js";
import { buildBatch, type Batch, type BatchContents } from "../../src/model/batch.js";
import type { ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { l1ChainStep, L1OpKind, type L1Op } from "../../src/model/l1op.js";
import type { DerivedParams } from "../../src/model/params.js";
import { L2State } from "../../src/model/state.js";
import { signTransfer, type Domain, type SignedTransfer } from "../../src/model/tx.js";
import { uncheckedBatchInput, type CircuitInput, type L1Outcome, type LeafSite, type UncheckedBatch, type UncheckedContents } from "./helpers.js";

export const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };

/** A deterministic key per name. */
export const keyOf = (name: string) => L2Key.fromPrivateKey("0x" + createHash("sha256").update(`zkr circuit test ${name}`).digest("hex"));

/** Accounts every test starts with, created in this order (index 1, 2, …) by earlier batches. */
export const PEOPLE: [name: string, tokenId: bigint, balance: bigint][] = [
  ["alice", 1n, 10n ** 18n],
  ["bob", 1n, 5n * 10n ** 17n],
  ["fees", 1n, 0n],
  ["carol", 2n, 10n ** 6n],
  ["dave", 1n, MAX_BALANCE - 10n],
  ["erin", 2n, 0n],
  ["fees2", 2n, 7n],
  ["fees1b", 1n, 0n],
];
/** Accounts the tests create themselves. */
export const NEWCOMERS = ["frank", "gina", "mallory", "victor", "walter", "ethfees"];

/** An L2 state with the accounts of PEOPLE, the L1 queue hash it has consumed, and test helpers. */
export class World {
  readonly state: L2State;
  /** Account index by name (set when its CREATE is made). */
  readonly idx: Record<string, bigint> = {};
  readonly keys: Record<string, L2Key> = {};
  /** L1 owner address by name. */
  readonly owner: Record<string, bigint> = {};
  /** Queue hash after the last L1 operation applied to `state`: the next batch's l1HashStart. */
  l1Hash = 0n;

  private constructor(
    readonly c: ZkrCrypto,
    readonly p: DerivedParams,
  ) {
    this.state = new L2State(c, p);
  }

  static async make(c: ZkrCrypto, p: DerivedParams): Promise<World> {
    const w = new World(c, p);
    for (const [i, name] of [...PEOPLE.map(([n]) => n), ...NEWCOMERS].entries()) {
      w.keys[name] = await keyOf(name);
      w.owner[name] = 0x1000n + BigInt(i);
    }
    for (const [name, tokenId, balance] of PEOPLE) {
      const op = w.create(name, tokenId, balance);
      w.state.applyL1Op(op);
      w.l1Hash = l1ChainStep(c.hash, w.l1Hash, op);
    }
    return w;
  }

  /** Account `name` created with `balance` of `tokenId` by an L1 operation already applied (as PEOPLE are). */
  add(name: string, tokenId: bigint, balance: bigint): bigint {
    const op = this.create(name, tokenId, balance);
    this.state.applyL1Op(op);
    this.l1Hash = l1ChainStep(this.c.hash, this.l1Hash, op);
    return this.idx[name];
  }

  /** CREATE of account `name` at the next free index after `queuedBefore` other CREATEs. */
  create(name: string, tokenId: bigint, amount: bigint, queuedBefore = 0n): L1Op {
    this.idx[name] = this.state.nextIndex + queuedBefore;
    const { ax, ay } = this.keys[name];
    return { kind: L1OpKind.CREATE, accountIdx: this.idx[name], tokenId, amount, owner: this.owner[name], ax, ay };
  }

  /** DEPOSIT by `name`'s owner to `name`'s account, in its token unless `tokenId` says otherwise. */
  deposit(name: string, amount: bigint, tokenId?: bigint): L1Op {
    const accountIdx = this.idx[name];
    return { kind: L1OpKind.DEPOSIT, accountIdx, tokenId: tokenId ?? this.state.account(accountIdx)!.tokenId, amount, owner: this.owner[name], ax: 0n, ay: 0n };
  }

  /** FORCE_EXIT of `name`'s account requested by `by`'s owner address. */
  forceExit(name: string, by = name): L1Op {
    const accountIdx = this.idx[name];
    return { kind: L1OpKind.FORCE_EXIT, accountIdx, tokenId: this.state.account(accountIdx)!.tokenId, amount: 0n, owner: this.owner[by], ax: 0n, ay: 0n };
  }

  /** FORCE_TRANSFER of `amount` from `from`'s account to `to`'s, queued by `from`'s owner. */
  forceTransfer(from: string, to: string, amount: bigint): L1Op {
    const accountIdx = this.idx[from];
    return {
      kind: L1OpKind.FORCE_TRANSFER,
      accountIdx,
      tokenId: this.state.account(accountIdx)!.tokenId,
      amount,
      owner: this.owner[from],
      ax: this.idx[to],
      ay: 0n,
    };
  }

  /** A signed transfer between named accounts (`to` null: an exit); nonce defaults to the sender's current one. */
  sign(from: string, to: string | null, amount: bigint, fee: bigint, opts: { nonce?: bigint; key?: string; domain?: Domain } = {}): SignedTransfer {
    const t = { from: this.idx[from], to: to === null ? 0n : this.idx[to], amount, fee, nonce: opts.nonce ?? this.state.account(this.idx[from])!.nonce };
    return signTransfer(this.c.hash, this.keys[opts.key ?? from], t, opts.domain ?? domain, this.p);
  }

  /** The model's batch (applied to the state), consuming the queue from l1Hash on. */
  batch(contents: BatchContents, feeIdx: bigint[]): Batch {
    const b = buildBatch(this.state, contents, { domain, feeIdx, l1HashStart: this.l1Hash });
    this.l1Hash = b.l1HashEnd;
    return b;
  }

  /** Circuit input of `contents` applied without any validation (see uncheckedBatchInput). */
  unchecked(
    contents: UncheckedContents,
    feeIdx: bigint[],
    l1Outcomes?: (L1Outcome | undefined)[],
    openAs?: (at: LeafSite, account: Account) => Account | undefined,
  ): UncheckedBatch {
    return uncheckedBatchInput(this.c.hash, this.p, this.state.entries(), contents, { domain, feeIdx, l1HashStart: this.l1Hash, l1Outcomes, openAs });
  }
}

/** Replace entry `i` of an array-valued input field. */
export function setAt(input: CircuitInput, field: string, i: number, value: unknown): CircuitInput {
  const arr = [...(input[field] as unknown[])];
  arr[i] = value;
  return { ...input, [field]: arr };
}

export const L1_FIELDS = ["l1Kind", "l1AccountIdx", "l1Token", "l1Amount", "l1Owner", "l1Ax", "l1Ay"];
export const L1_LEAF_FIELDS = ["Ax", "Ay", "Token", "Balance", "Nonce", "Siblings"].map((f) => `l1Leaf${f}`);
