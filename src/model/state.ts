import { accountLeaf, checkAccount, EMPTY_ACCOUNT, MAX_BALANCE, MAX_NONCE, packedState, type Account } from "./account.js";
import { SNARK_FIELD, type ZkrCrypto } from "./crypto.js";
import type { SignatureMessage } from "./keys.js";
import { checkL1Op, L1OpKind, type L1Op } from "./l1op.js";
import type { DerivedParams } from "./params.js";
import { keyOf, insertAscending, MemoryStateBackend, type StateBackend, type StateWrite } from "./stateBackend.js";
import { AccountTree, nodeKeys, unflattenProof, zeroProof, type MerkleProof } from "./tree.js";
import { newTreePlan, TreeOp, type TreePlan, type TreePlanResult } from "./treePlan.js";
import { packedAmounts, transferMessage, TxFormatError, type Domain, type SignedTransfer, type Transfer } from "./tx.js";

export type RejectCode =
  | "BAD_FORMAT"
  | "UNKNOWN_ACCOUNT"
  | "BAD_NONCE"
  | "BAD_SIGNATURE"
  | "TOKEN_MISMATCH"
  | "INSUFFICIENT_BALANCE"
  | "BALANCE_OVERFLOW"
  | "NO_FEE_ACCOUNT"
  /** The batch's fee account of the token could not be credited this fee (its balance would pass 2^128 − 1). */
  | "FEE_ACCOUNT_FULL";

/** A transaction the rules of docs/PROTOCOL.md do not allow; nothing was changed. */
export class TxRejectedError extends Error {
  constructor(
    readonly code: RejectCode,
    message: string,
  ) {
    super(message);
  }
}

/** An L1 operation that contradicts the queue rules for this state: the state is out of sync with the contract. */
export class OutOfSyncError extends Error {
  readonly code = "OUT_OF_SYNC";
}

/** Account data and Merkle proof of one leaf at one moment. */
export interface LeafWitness {
  index: bigint;
  account: Account;
  proof: MerkleProof;
}

/** The all-zero witness of a padding or unused slot. */
export function emptyWitness(depth: number): LeafWitness {
  return { index: 0n, account: { ...EMPTY_ACCOUNT }, proof: zeroProof(depth) };
}

/**
 * Whether a FORCE_TRANSFER of `op.amount` from `from` to `to` moves it (circuits/l1_op.circom 9.):
 * both hold the operation's token, the sender's balance covers the amount, the receiver's does not
 * overflow, and they are different accounts. Otherwise the operation changes nothing.
 */
export function forcedTransferApplies(from: Account, to: Account, op: Pick<L1Op, "accountIdx" | "ax" | "tokenId" | "amount">): boolean {
  return (
    op.ax !== op.accountIdx && from.tokenId === op.tokenId && to.tokenId === op.tokenId && from.balance >= op.amount && to.balance + op.amount <= MAX_BALANCE
  );
}

/** Journal key of nextIndex (node keys are ≥ 0, account i is −1 − i). */
const NEXT = Number.MIN_SAFE_INTEGER;
/** Journal key of a checkpoint taken while the hashing is deferred: its value is the plan's length then (a revert cuts the plan back to it). */
const PLAN = Number.MIN_SAFE_INTEGER + 1;
const accountKey = (index: number) => -1 - index;

/**
 * The L2 state: accounts by index and the Poseidon Merkle tree over their leaves, with indexes of
 * the accounts by public key and by owner. Every mutating method validates first and changes
 * nothing when it throws.
 *
 * Storage: a backend (src/model/stateBackend.ts: in memory, or the sequencer's SQLite) holds the
 * state as of its last write; the changes since are in memory ("the overlay": the nodes and
 * accounts they changed, and the accounts they created in an index of their own), with a journal
 * of the previous values while a checkpoint is open. A read looks at the overlay, then the
 * backend. With no checkpoint open each change is written to the backend at once. Checkpoints
 * nest: `revert` puts the journal's previous values back (no hashing), `forget(cp)` writes the
 * changes before cp to the backend as one atomic write and drops them from memory — the sequencer
 * keeps one checkpoint per batch not final on L1 and writes each batch's changes when it is final,
 * so memory holds only what may still be reverted.
 */
/** Whether a transfer's signature verifies for the public key (ax, ay): validateTransfer's `signature`. */
export interface SignatureResult {
  ax: bigint;
  ay: bigint;
  ok: boolean;
}

/** A root the deferred hashing has not computed yet: `value` is set once it has (L2State.rootRef). */
export interface RootRef {
  value?: bigint;
}

/** The batch being built with its hashing deferred (L2State.deferHashing). */
interface Deferred {
  plan: TreePlan;
  /** Journal position of the marker deferHashing wrote: a revert past it ends the deferral. */
  start: number;
  /** The witnesses' proofs to fill, one per PROOF operation, and the roots, one per ROOT. */
  proofs: MerkleProof[];
  roots: RootRef[];
}

export class L2State {
  readonly tree: AccountTree;
  /** Changed nodes since the backend's state (null: empty now), by node key. */
  private readonly nodes = new Map<number, bigint | null>();
  /** Changed or created accounts since the backend's state. */
  private readonly accts = new Map<number, Account>();
  /** The accounts created since the backend's state (indexes ≥ backend.nextIndex), by key and by owner. */
  private readonly createdByKey = new Map<string, number[]>();
  private readonly createdByOwner = new Map<bigint, number[]>();
  private next: number;
  private readonly keys: number[];
  /** Journal of the previous values of every change since the oldest open checkpoint (undefined: not in the overlay). */
  private jKey: number[] = [];
  private jPrev: unknown[] = [];
  /** Position of the journal's first entry: checkpoint positions count every change ever journaled. */
  private journalBase = 0;
  private checkpoints = 0;
  /** A write to the backend not yet durable: the changes before this journal position are in it. */
  private writing?: number;
  private deferred?: Deferred;

  constructor(
    readonly crypto: ZkrCrypto,
    readonly params: DerivedParams,
    readonly backend: StateBackend = new MemoryStateBackend(params.depth),
  ) {
    if (backend.depth !== params.depth) throw new Error(`the state backend is of depth ${backend.depth}, instance ${params.name} has depth ${params.depth}`);
    this.keys = nodeKeys(params.depth);
    this.next = backend.nextIndex;
    const { nodes, keys } = this;
    this.tree = new AccountTree(params.depth, crypto.hash, {
      get: (level, index) => {
        const k = keys[level]! + index;
        const v = nodes.get(k);
        return v !== undefined ? (v ?? undefined) : backend.node(level, index, k);
      },
      set: (level, index, value) => this.setNode(keys[level]! + index, value ?? null),
    });
  }

  get root(): bigint {
    return this.tree.root;
  }

  /** Number of accounts (they are created at consecutive indexes from 1). */
  get size(): number {
    return this.next - 1;
  }

  /** Next index a created account receives (index 0 is never an account). */
  get nextIndex(): bigint {
    return BigInt(this.next);
  }

  account(index: bigint): Account | undefined {
    const a = index > 0n && index < this.next ? this.get(Number(index)) : undefined;
    return a && { ...a };
  }

  /** Indexes of the accounts of public key (ax, ay), ascending (one key may own several accounts). */
  accountsOf(ax: bigint, ay: bigint): bigint[] {
    return [...this.backend.accountsOf(ax, ay), ...(this.createdByKey.get(keyOf(ax, ay)) ?? [])].map(BigInt);
  }

  /** Indexes of the accounts owned by L1 address `owner` (who receives their exits), ascending. */
  accountsOfOwner(owner: bigint): bigint[] {
    return [...this.backend.accountsOfOwner(owner), ...(this.createdByOwner.get(owner) ?? [])].map(BigInt);
  }

  /**
   * What memory holds of the changes not written to the backend: nodes and accounts, journal
   * entries, and the nodes and accounts those entries are for (walks the journal: diagnostics and
   * tests). While a checkpoint is open the last two are the first two: nothing stays in memory that
   * no revert can reach.
   */
  get unwritten(): { nodes: number; accounts: number; journal: number; journaled: number } {
    const keys = new Set(this.jKey);
    keys.delete(NEXT);
    keys.delete(PLAN);
    return { nodes: this.nodes.size, accounts: this.accts.size, journal: this.jKey.length, journaled: keys.size };
  }

  /** All accounts in index order (reads them all: not for a request path). */
  entries(): [bigint, Account][] {
    const out: [bigint, Account][] = [];
    for (let i = 1; i < this.next; i++) out.push([BigInt(i), { ...this.get(i)! }]);
    return out;
  }

  /** Append a new account at the next free index and return that index. */
  createAccount(a: Account): bigint {
    checkAccount(a);
    this.assertWritable();
    const index = this.next;
    if (BigInt(index) >= this.params.capacity) throw new Error(`state tree is full (${this.params.capacity} slots)`);
    this.setAccount(index, { ...a });
    return BigInt(index);
  }

  /** Witness of the leaf at `index` (an existing account) against the current root. */
  witness(index: bigint): LeafWitness {
    const account = this.account(index);
    if (!account) throw new TxRejectedError("UNKNOWN_ACCOUNT", `no account at index ${index}`);
    return { index, account, proof: this.proofOf(Number(index)) };
  }

  /**
   * The proof of leaf `index` (in range) against the current root; while the hashing is deferred,
   * an empty array that finishHashing fills (the plan records the request).
   */
  private proofOf(index: number): MerkleProof {
    const d = this.deferred;
    if (!d) return this.tree.proofAt(index);
    this.planLeaf(index);
    d.plan.ops.push(TreeOp.PROOF);
    d.plan.indexes.push(index);
    const proof: MerkleProof = [];
    d.proofs.push(proof);
    return proof;
  }

  /** The plan has leaf `index`'s proof as the tree was when it started (the tree does not change while it is deferred). */
  private planLeaf(index: number): void {
    const { initial } = this.deferred!.plan;
    if (!initial.has(index)) initial.set(index, this.tree.proofAt(index).flat());
  }

  /**
   * The root now: at once, or while the hashing is deferred once finishHashing has computed it
   * (the plan records the request). `root` itself stays the root before the deferral until then.
   */
  rootRef(): RootRef {
    const d = this.deferred;
    if (!d) return { value: this.root };
    d.plan.ops.push(TreeOp.ROOT);
    d.plan.indexes.push(0);
    const r: RootRef = {};
    d.roots.push(r);
    return r;
  }

  /** Whether the hashing is deferred (deferHashing, until finishHashing or a revert past it). */
  get hashingDeferred(): boolean {
    return this.deferred !== undefined;
  }

  /**
   * From now on the changes' Merkle hashing is recorded in a plan instead of computed
   * (src/model/treePlan.ts): accounts change at once, the tree and `root` stay as they are, a
   * witness's proof and a rootRef are filled once finishHashing is given the plan's result
   * (runTreePlan's, here or on another thread). Needs an open checkpoint (the batch's). A revert
   * to a checkpoint before this call ends the deferral, its plan discarded.
   */
  deferHashing(): void {
    this.assertWritable();
    if (this.deferred) throw new Error("the state's hashing is already deferred");
    if (this.checkpoints === 0) throw new Error("deferring the hashing needs an open checkpoint (the one the batch is reverted to)");
    const start = this.journalBase + this.jKey.length;
    this.journal(PLAN, 0);
    this.deferred = { plan: newTreePlan(this.params.depth, this.root), start, proofs: [], roots: [] };
  }

  /** The plan of the deferred hashing so far (what finishHashing needs the result of). */
  get plan(): TreePlan {
    if (!this.deferred) throw new Error("the state's hashing is not deferred");
    return this.deferred.plan;
  }

  /**
   * Ends the deferral with `result`, runTreePlan's for the plan as it is now: the changed nodes
   * are written (journaled, like any change), the proofs and roots handed out are filled.
   */
  finishHashing(result: TreePlanResult): void {
    const d = this.deferred;
    if (!d) throw new Error("the state's hashing is not deferred");
    if (result.proofs.length !== d.proofs.length || result.roots.length !== d.roots.length) {
      throw new Error(
        `the tree plan's result has ${result.proofs.length} proofs and ${result.roots.length} roots, the plan asked ${d.proofs.length} and ${d.roots.length}`,
      );
    }
    const proofs = result.proofs.map((flat) => unflattenProof(this.params.depth, flat));
    proofs.forEach((p, j) => d.proofs[j]!.push(...p));
    result.roots.forEach((r, j) => (d.roots[j]!.value = r));
    this.deferred = undefined;
    for (const [k, v] of result.nodes) this.setNode(k, v);
    if (this.checkpoints === 0) this.forget(Number.MAX_SAFE_INTEGER);
  }

  /**
   * Check a signed transfer (an exit when `to` is 0) against the current state without applying it.
   * `feeTokens`: the tokens that have a fee account in the batch (a non-zero fee needs one).
   */
  validateTransfer(
    t: SignedTransfer,
    domain: Domain,
    feeTokens?: bigint[],
    /** For a mempool: the nonce and spendable balance after the sender's pending transactions. */
    pending?: { nonce: bigint; balance: bigint },
    /**
     * A check of this transfer's signature made elsewhere (a worker thread) against the public key
     * (ax, ay): its result stands in for checking again while the sender still has that key.
     */
    signature?: SignatureResult,
  ): { sender: Account; receiver?: Account } {
    const p = this.params;
    let message: SignatureMessage;
    try {
      packedAmounts(t);
      message = transferMessage(this.crypto.hash, t, domain, p);
    } catch (e) {
      if (e instanceof TxFormatError) throw new TxRejectedError("BAD_FORMAT", e.message);
      throw e;
    }
    if (t.from === 0n) throw new TxRejectedError("BAD_FORMAT", "index 0 is not an account");
    const sender = this.account(t.from);
    if (!sender) throw new TxRejectedError("UNKNOWN_ACCOUNT", `no account at index ${t.from}`);
    const exit = t.to === 0n;
    const receiver = exit ? undefined : this.account(t.to);
    if (!exit && !receiver) throw new TxRejectedError("UNKNOWN_ACCOUNT", `no account at index ${t.to}`);
    const nonce = pending?.nonce ?? sender.nonce;
    const balance = pending?.balance ?? sender.balance;
    if (t.nonce < sender.nonce) throw new TxRejectedError("BAD_NONCE", `nonce ${t.nonce} of account ${t.from} was already used`);
    if (t.nonce !== nonce) throw new TxRejectedError("BAD_NONCE", `nonce ${t.nonce} does not match account ${t.from}'s next nonce ${nonce}`);
    if (nonce >= MAX_NONCE) throw new TxRejectedError("BAD_NONCE", `account ${t.from} has used all its nonces`);
    const known = signature && signature.ax === sender.ax && signature.ay === sender.ay;
    if (!(known ? signature.ok : this.crypto.verify(message, t.signature, sender.ax, sender.ay))) {
      throw new TxRejectedError("BAD_SIGNATURE", `signature does not verify for account ${t.from}`);
    }
    if (receiver && sender.tokenId !== receiver.tokenId) {
      throw new TxRejectedError("TOKEN_MISMATCH", `account ${t.from} holds token ${sender.tokenId}, account ${t.to} token ${receiver.tokenId}`);
    }
    if (balance < t.amount + t.fee) {
      throw new TxRejectedError("INSUFFICIENT_BALANCE", `account ${t.from} has ${balance} available, needs ${t.amount + t.fee}`);
    }
    const received = !receiver ? 0n : t.from === t.to ? sender.balance - t.fee : receiver.balance + t.amount;
    if (received > MAX_BALANCE) throw new TxRejectedError("BALANCE_OVERFLOW", `account ${t.to} balance would exceed 2^128 - 1`);
    if (feeTokens && t.fee !== 0n && !feeTokens.includes(sender.tokenId)) {
      throw new TxRejectedError("NO_FEE_ACCOUNT", `no fee account for token ${sender.tokenId} in this batch`);
    }
    return { sender, receiver };
  }

  /**
   * Apply a signed transfer (sender update, then receiver update, as the circuit does); an exit
   * (`to` = 0) has no receiver update and its receiver witness is all zero.
   * Returns the witnesses the circuit needs. Throws TxRejectedError and changes nothing if invalid.
   */
  applyTransfer(t: SignedTransfer, domain: Domain, feeTokens?: bigint[], signature?: SignatureResult): { sender: LeafWitness; receiver: LeafWitness } {
    this.validateTransfer(t, domain, feeTokens, undefined, signature);
    return this.move(t);
  }

  /**
   * Apply a transfer or exit as posted in a proven batch's calldata (no signature, nonce or
   * balance checks: the proof already established them). Used to rebuild the state from L1.
   * Throws, changing nothing, if the posted data cannot be applied, which means the data and this
   * state disagree. Returns the witnesses before the updates, as applyTransfer does.
   */
  applyPosted(t: Omit<Transfer, "nonce">): { sender: LeafWitness; receiver: LeafWitness } {
    const sender = this.account(t.from);
    if (!sender || sender.balance < t.amount + t.fee) throw new Error(`posted transaction from ${t.from} cannot apply to this state`);
    if (t.to !== 0n && !this.account(t.to)) throw new Error(`posted transaction to ${t.to} cannot apply to this state`);
    return this.move(t);
  }

  /**
   * The state change of a transfer or exit whose sender (and receiver, unless an exit) exist:
   * the sender pays amount + fee and uses its nonce, then the receiver is credited the amount.
   */
  private move(t: Omit<Transfer, "nonce">): { sender: LeafWitness; receiver: LeafWitness } {
    this.assertWritable();
    const senderW = this.witness(t.from);
    const sender = senderW.account;
    this.setAccount(Number(t.from), { ...sender, balance: sender.balance - t.amount - t.fee, nonce: sender.nonce + 1n }, senderW.proof);
    if (t.to === 0n) return { sender: senderW, receiver: emptyWitness(this.params.depth) };
    const receiverW = this.witness(t.to);
    this.setAccount(Number(t.to), { ...receiverW.account, balance: receiverW.account.balance + t.amount }, receiverW.proof);
    return { sender: senderW, receiver: receiverW };
  }

  /**
   * Apply a queued L1 operation (docs/PROTOCOL.md, "L1 operations"). Never rejects a valid queue
   * entry: an operation that cannot apply is a no-op with its result (refund) instead. Throws
   * only if the operation contradicts the queue rules (which means this state is out of sync
   * with the contract). Returns the result and the leaf witness before the operation; for a
   * FORCE_TRANSFER also `to`, the receiver's witness, which it reads first (the circuit credits
   * the receiver, then opens the sender in the tree after that: `leaf` is the sender there).
   */
  applyL1Op(op: L1Op): { result: bigint; leaf: LeafWitness; to?: LeafWitness } {
    checkL1Op(op);
    this.assertWritable();
    const idx = op.accountIdx;
    switch (op.kind) {
      case L1OpKind.CREATE: {
        if (idx !== this.nextIndex) throw new OutOfSyncError(`CREATE at index ${idx}, but the next free index is ${this.nextIndex}: state out of sync with L1`);
        if (op.amount > MAX_BALANCE) throw new Error("deposit amount exceeds 2^128 - 1");
        if (idx >= this.params.capacity) throw new Error(`account index ${idx} out of range [0, ${this.params.capacity})`);
        const leaf = { index: idx, account: { ...EMPTY_ACCOUNT }, proof: this.proofOf(Number(idx)) };
        const a = { ax: op.ax, ay: op.ay, owner: op.owner, tokenId: op.tokenId, balance: op.amount, nonce: 0n };
        checkAccount(a);
        this.setAccount(Number(idx), a, leaf.proof);
        return { result: 0n, leaf };
      }
      case L1OpKind.DEPOSIT: {
        const leaf = this.syncedWitness(idx);
        const a = leaf.account;
        if (a.tokenId !== op.tokenId || a.balance + op.amount > MAX_BALANCE) return { result: op.amount, leaf };
        this.setAccount(Number(idx), { ...a, balance: a.balance + op.amount }, leaf.proof);
        return { result: 0n, leaf };
      }
      case L1OpKind.FORCE_EXIT: {
        const leaf = this.syncedWitness(idx);
        const a = leaf.account;
        // The contract queues a forced exit only from the account's owner.
        if (a.owner !== op.owner) throw new OutOfSyncError(`FORCE_EXIT of account ${idx} by ${op.owner}, not its owner: state out of sync with L1`);
        this.setAccount(Number(idx), { ...a, balance: 0n }, leaf.proof);
        return { result: a.balance, leaf };
      }
      case L1OpKind.FORCE_TRANSFER: {
        // The contract queues a forced transfer only from the sender's owner, to an existing account.
        const sender = this.account(idx);
        if (!sender) throw new OutOfSyncError(`L1 operation on account ${idx}, which does not exist: state out of sync with L1`);
        if (sender.owner !== op.owner) throw new OutOfSyncError(`FORCE_TRANSFER from account ${idx} by ${op.owner}, not its owner: state out of sync with L1`);
        const to = this.syncedWitness(op.ax);
        const moves = forcedTransferApplies(sender, to.account, op);
        if (moves) this.setAccount(Number(op.ax), { ...to.account, balance: to.account.balance + op.amount }, to.proof);
        const leaf = this.witness(idx);
        if (moves) this.setAccount(Number(idx), { ...leaf.account, balance: leaf.account.balance - op.amount }, leaf.proof);
        return { result: 0n, leaf, to };
      }
    }
  }

  private syncedWitness(index: bigint): LeafWitness {
    if (!this.account(index)) throw new OutOfSyncError(`L1 operation on account ${index}, which does not exist: state out of sync with L1`);
    return this.witness(index);
  }

  /** Credit `amount` to an existing account (fees). Returns the witness before the credit. */
  credit(index: bigint, amount: bigint): LeafWitness {
    this.assertWritable();
    const w = this.witness(index);
    if (w.account.balance + amount > MAX_BALANCE) {
      throw new TxRejectedError("BALANCE_OVERFLOW", `account ${index} balance would exceed 2^128 - 1`);
    }
    this.setAccount(Number(index), { ...w.account, balance: w.account.balance + amount }, w.proof);
    return w;
  }

  /**
   * Start recording changes; `revert(cp)` undoes everything since, `commit()` keeps it.
   * Used to build a batch that may fail to be proven or accepted on L1. Checkpoints nest: the
   * sequencer keeps one open per batch that is not final on L1 yet, so an L1 reorganisation can
   * take the state back to any of them.
   */
  checkpoint(): number {
    this.assertWritable();
    this.checkpoints++;
    const cp = this.journalBase + this.jKey.length;
    if (this.deferred) this.journal(PLAN, this.deferred.plan.ops.length);
    return cp;
  }

  revert(cp: number): void {
    this.assertWritable();
    if (cp < this.journalBase) throw new Error(`checkpoint ${cp} was forgotten: the changes before ${this.journalBase} can no longer be undone`);
    const { jKey, jPrev, nodes, accts } = this;
    while (this.journalBase + jKey.length > cp) {
      const k = jKey.pop()!;
      const prev = jPrev.pop();
      if (k >= 0) {
        if (prev === undefined) nodes.delete(k);
        else nodes.set(k, prev as bigint | null);
      } else if (k === NEXT) {
        this.next = prev as number;
      } else if (k === PLAN) {
        this.cutPlan(this.journalBase + jKey.length, prev as number);
      } else {
        const index = -1 - k;
        if (prev !== undefined) accts.set(index, prev as Account);
        else {
          // Not in the overlay before: created since the backend's state, unless the backend has it.
          if (index >= this.backend.nextIndex) this.unindexCreated(index, accts.get(index)!);
          accts.delete(index);
        }
      }
    }
    this.closeCheckpoint();
  }

  /** A revert took back the PLAN marker at journal position `at`: the plan goes back to its first `length` operations, or ends if the marker was deferHashing's. */
  private cutPlan(at: number, length: number): void {
    const d = this.deferred;
    if (!d) return; // a checkpoint of a deferral finished since: its changes are nodes and accounts, reverted as such
    if (at === d.start) {
      this.deferred = undefined;
      return;
    }
    const { plan } = d;
    while (plan.ops.length > length) {
      const op = plan.ops.pop()!;
      plan.indexes.pop();
      if (op === TreeOp.PROOF) d.proofs.pop();
      else if (op === TreeOp.ROOT) d.roots.pop();
      else plan.leafInputs.length -= 3;
    }
  }

  /** Closes an open checkpoint, keeping its changes (a revert to an earlier checkpoint still open undoes them). */
  commit(): void {
    this.closeCheckpoint();
  }

  /**
   * Keep the changes before position `cp` for good while later checkpoints stay open: they are
   * written to the backend (one atomic write, labelled `asOf` if given: the sequencer's final
   * batch) and leave memory once it is durable. Commit the oldest of nested checkpoints, then
   * forget up to the next one, so memory holds only what may still be reverted. Inside a
   * caller's database transaction nothing may change until it ends (the write is its part).
   */
  forget(cp: number, asOf?: number): void {
    if (this.deferred) throw new Error("the state's hashing is deferred: nothing is written before finishHashing");
    const journalEnd = this.journalBase + this.jKey.length;
    const end = Math.min(cp, journalEnd);
    if (this.writing !== undefined) {
      if (end <= this.writing && asOf === undefined) return; // already being written
      throw new Error("the state's last write to its backend is not durable yet: its transaction must end first");
    }
    const all = end === journalEnd;
    const dirty = this.nodes.size > 0 || this.accts.size > 0 || this.next !== this.backend.nextIndex;
    let w: StateWrite;
    if (all && dirty) w = { nodes: new Map(this.nodes), accounts: new Map(this.accts), nextIndex: this.next };
    else if (!all && end > this.journalBase) w = this.valuesAt(end);
    else if (asOf !== undefined)
      w = { nodes: new Map(), accounts: new Map(), nextIndex: this.backend.nextIndex }; // only the label changes
    else {
      if (all) this.written(end, true, this.backend.nextIndex);
      return;
    }
    if (asOf !== undefined) w.asOf = asOf;
    const baseNext = this.backend.nextIndex;
    this.writing = end;
    try {
      this.backend.write(w, (kept) => {
        this.writing = undefined;
        if (kept) this.written(end, all, baseNext);
      });
    } catch (e) {
      this.writing = undefined; // nothing was kept
      throw e;
    }
  }

  /** The values as of journal position `end` of everything changed before it (the later changes' previous values, or the current ones). */
  private valuesAt(end: number): StateWrite {
    const n = end - this.journalBase;
    const { jKey, jPrev } = this;
    const before = new Set(jKey.slice(0, n));
    const later = new Map<number, unknown>();
    for (let j = n; j < jKey.length; j++) if (before.has(jKey[j]!) && !later.has(jKey[j]!)) later.set(jKey[j]!, jPrev[j]);
    // nextIndex changes only with a creation: none before `end`, the backend's stays.
    const w: StateWrite = { nodes: new Map(), accounts: new Map(), nextIndex: this.backend.nextIndex };
    before.delete(PLAN);
    for (const k of before) {
      const v = later.has(k) ? later.get(k) : k >= 0 ? this.nodes.get(k) : k === NEXT ? this.next : this.accts.get(-1 - k);
      if (k >= 0) w.nodes.set(k, v as bigint | null);
      else if (k === NEXT) w.nextIndex = v as number;
      else w.accounts.set(-1 - k, v as Account);
    }
    return w;
  }

  /** The changes before journal position `end` are durable in the backend: memory lets go of them. */
  private written(end: number, all: boolean, baseNext: number): void {
    if (all) {
      this.nodes.clear();
      this.accts.clear();
      this.createdByKey.clear();
      this.createdByOwner.clear();
      this.jKey = [];
      this.jPrev = [];
      this.journalBase = end;
      return;
    }
    const n = end - this.journalBase;
    const { jKey, jPrev } = this;
    for (let i = baseNext; i < this.backend.nextIndex; i++) this.unindexCreated(i, this.get(i)!);
    if (n <= 0) return;
    const before = new Set(jKey.slice(0, n));
    const later = new Set<number>();
    for (let j = n; j < jKey.length; j++) {
      const k = jKey[j]!;
      if (k === PLAN || !before.has(k) || later.has(k)) continue;
      later.add(k);
      // Changed again later: reverting that change now reads the value from the backend.
      if (k !== NEXT) jPrev[j] = undefined;
    }
    for (const k of before) {
      if (later.has(k) || k === NEXT || k === PLAN) continue;
      if (k >= 0) this.nodes.delete(k);
      else this.accts.delete(-1 - k);
    }
    jKey.splice(0, n);
    jPrev.splice(0, n);
    this.journalBase = end;
  }

  private closeCheckpoint(): void {
    if (this.checkpoints === 0) throw new Error("no open checkpoint");
    if (--this.checkpoints === 0) this.forget(Number.MAX_SAFE_INTEGER);
  }

  private assertWritable(): void {
    if (this.writing !== undefined) throw new Error("the state's last write to its backend is not durable yet: its transaction must end before another change");
  }

  /** Node `k` changes to `v` (null: empty), journaled while a checkpoint is open. */
  private setNode(k: number, v: bigint | null): void {
    if (this.checkpoints > 0) this.journal(k, this.nodes.get(k));
    this.nodes.set(k, v);
  }

  private journal(k: number, prev: unknown): void {
    this.jKey.push(k);
    this.jPrev.push(prev);
  }

  /** The account at `index` (0 < index < next), not copied. */
  private get(index: number): Account | undefined {
    return this.accts.get(index) ?? this.backend.account(index);
  }

  /**
   * Writes account `index` (an existing one, or the next to create) and its leaf; `proof`: the
   * leaf's proof just taken (its witness), which spares reading the siblings again.
   */
  private setAccount(index: number, a: Account, proof?: MerkleProof): void {
    const before = index < this.next ? this.get(index) : undefined;
    if (before && (before.ax !== a.ax || before.ay !== a.ay || before.owner !== a.owner)) {
      throw new Error(`account ${index}'s key and owner cannot change`);
    }
    // Before any change: a key out of the field throws here (deferred, the plan's hash would).
    const d = this.deferred;
    if (d && !(a.ax >= 0n && a.ax < SNARK_FIELD && a.ay >= 0n && a.ay < SNARK_FIELD)) throw new Error(`Poseidon input out of field: account ${index}'s key`);
    const leaf = d ? 0n : accountLeaf(this.crypto.hash, a);
    if (!before) {
      if (index !== this.next) throw new Error(`account ${index} does not exist and is not the next to create (${this.next})`);
      if (this.checkpoints > 0) this.journal(NEXT, index);
      this.next = index + 1;
    }
    if (this.checkpoints > 0) this.journal(accountKey(index), this.accts.get(index));
    if (!before) {
      insertAscending(this.createdByKey.get(keyOf(a.ax, a.ay)) ?? this.createdByKey.set(keyOf(a.ax, a.ay), []).get(keyOf(a.ax, a.ay))!, index);
      insertAscending(this.createdByOwner.get(a.owner) ?? this.createdByOwner.set(a.owner, []).get(a.owner)!, index);
    }
    this.accts.set(index, a);
    if (d) {
      this.planLeaf(index);
      d.plan.ops.push(TreeOp.UPDATE);
      d.plan.indexes.push(index);
      d.plan.leafInputs.push(a.ax, a.ay, packedState(a));
    } else if (proof) this.tree.updateAlong(index, leaf, proof);
    else this.tree.updateAt(index, leaf);
    if (this.checkpoints === 0) this.forget(Number.MAX_SAFE_INTEGER);
  }

  private unindexCreated(index: number, a: Account): void {
    for (const [m, k] of [
      [this.createdByKey, keyOf(a.ax, a.ay)],
      [this.createdByOwner, a.owner],
    ] as [Map<unknown, number[]>, unknown][]) {
      const list = m.get(k);
      const at = list?.indexOf(index) ?? -1;
      if (at < 0) continue;
      list!.splice(at, 1);
      if (list!.length === 0) m.delete(k);
    }
  }
}
