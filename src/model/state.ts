import { accountLeaf, checkAccount, EMPTY_ACCOUNT, MAX_BALANCE, MAX_NONCE, type Account } from "./account.js";
import type { ZkrCrypto } from "./crypto.js";
import type { SignatureMessage } from "./keys.js";
import { checkL1Op, L1OpKind, type L1Op } from "./l1op.js";
import type { DerivedParams } from "./params.js";
import { AccountTree, zeroProof, type MerkleProof } from "./tree.js";
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

const keyOf = (ax: bigint, ay: bigint) => `${ax},${ay}`;

/**
 * The L2 state: accounts by index and the Poseidon Merkle tree over their leaves, and an index of
 * the accounts by public key (kept with every leaf write, checkpoints and reverts included, so a
 * lookup by key never walks the accounts). Every mutating method validates first and changes
 * nothing when it throws.
 */
export class L2State {
  readonly tree: AccountTree;
  private readonly accounts = new Map<bigint, Account>();
  /** "ax,ay" → indexes of the accounts with that key, ascending. */
  private readonly byKey = new Map<string, bigint[]>();
  /** Next index a created account receives (index 0 is never an account). */
  nextIndex = 1n;
  /** Previous values of changed leaves since the oldest open checkpoint (or the last forget). */
  private journal: { index: bigint; previous: Account | undefined; nextIndex: bigint }[] = [];
  /** Position of journal[0]: checkpoint positions count every change ever journaled. */
  private journalBase = 0;
  private checkpoints = 0;

  constructor(
    readonly crypto: ZkrCrypto,
    readonly params: DerivedParams,
  ) {
    this.tree = new AccountTree(params.depth, crypto.hash);
  }

  get root(): bigint {
    return this.tree.root;
  }

  get size(): number {
    return this.accounts.size;
  }

  account(index: bigint): Account | undefined {
    const a = this.accounts.get(index);
    return a && { ...a };
  }

  /** Indexes of the accounts of public key (ax, ay), ascending (one key may own several accounts). */
  accountsOf(ax: bigint, ay: bigint): bigint[] {
    return [...(this.byKey.get(keyOf(ax, ay)) ?? [])];
  }

  /** All accounts in index order (copies and sorts them all: not for a request path). */
  entries(): [bigint, Account][] {
    return [...this.accounts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([i, a]) => [i, { ...a }]);
  }

  /** Append a new account at the next free index and return that index. */
  createAccount(a: Account): bigint {
    checkAccount(a);
    const index = this.nextIndex;
    if (index >= this.params.capacity) throw new Error(`state tree is full (${this.params.capacity} slots)`);
    this.setAccount(index, a);
    this.nextIndex = index + 1n;
    return index;
  }

  /** Witness of the leaf at `index` (an existing account) against the current root. */
  witness(index: bigint): LeafWitness {
    const account = this.accounts.get(index);
    if (!account) throw new TxRejectedError("UNKNOWN_ACCOUNT", `no account at index ${index}`);
    return { index, account: { ...account }, proof: this.tree.proof(index) };
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
    const sender = this.accounts.get(t.from);
    if (!sender) throw new TxRejectedError("UNKNOWN_ACCOUNT", `no account at index ${t.from}`);
    const exit = t.to === 0n;
    const receiver = exit ? undefined : this.accounts.get(t.to);
    if (!exit && !receiver) throw new TxRejectedError("UNKNOWN_ACCOUNT", `no account at index ${t.to}`);
    const nonce = pending?.nonce ?? sender.nonce;
    const balance = pending?.balance ?? sender.balance;
    if (t.nonce < sender.nonce) throw new TxRejectedError("BAD_NONCE", `nonce ${t.nonce} of account ${t.from} was already used`);
    if (t.nonce !== nonce) throw new TxRejectedError("BAD_NONCE", `nonce ${t.nonce} does not match account ${t.from}'s next nonce ${nonce}`);
    if (nonce >= MAX_NONCE) throw new TxRejectedError("BAD_NONCE", `account ${t.from} has used all its nonces`);
    if (!this.crypto.verify(message, t.signature, sender.ax, sender.ay)) {
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
  applyTransfer(t: SignedTransfer, domain: Domain, feeTokens?: bigint[]): { sender: LeafWitness; receiver: LeafWitness } {
    this.validateTransfer(t, domain, feeTokens);
    return this.move(t);
  }

  /**
   * Apply a transfer or exit as posted in a proven batch's calldata (no signature, nonce or
   * balance checks: the proof already established them). Used to rebuild the state from L1.
   * Throws, changing nothing, if the posted data cannot be applied, which means the data and this
   * state disagree. Returns the witnesses before the updates, as applyTransfer does.
   */
  applyPosted(t: Omit<Transfer, "nonce">): { sender: LeafWitness; receiver: LeafWitness } {
    const sender = this.accounts.get(t.from);
    if (!sender || sender.balance < t.amount + t.fee) throw new Error(`posted transaction from ${t.from} cannot apply to this state`);
    if (t.to !== 0n && !this.accounts.has(t.to)) throw new Error(`posted transaction to ${t.to} cannot apply to this state`);
    return this.move(t);
  }

  /**
   * The state change of a transfer or exit whose sender (and receiver, unless an exit) exist:
   * the sender pays amount + fee and uses its nonce, then the receiver is credited the amount.
   */
  private move(t: Omit<Transfer, "nonce">): { sender: LeafWitness; receiver: LeafWitness } {
    const senderW = this.witness(t.from);
    const sender = senderW.account;
    this.setAccount(t.from, { ...sender, balance: sender.balance - t.amount - t.fee, nonce: sender.nonce + 1n });
    if (t.to === 0n) return { sender: senderW, receiver: emptyWitness(this.params.depth) };
    const receiverW = this.witness(t.to);
    this.setAccount(t.to, { ...receiverW.account, balance: receiverW.account.balance + t.amount });
    return { sender: senderW, receiver: receiverW };
  }

  /**
   * Apply a queued L1 operation (docs/PROTOCOL.md, "L1 operations"). Never rejects a valid queue
   * entry: an operation that cannot apply is a no-op with its result (refund) instead. Throws
   * only if the operation contradicts the queue rules (which means this state is out of sync
   * with the contract). Returns the result and the leaf witness before the operation.
   */
  applyL1Op(op: L1Op): { result: bigint; leaf: LeafWitness } {
    checkL1Op(op);
    const idx = op.accountIdx;
    switch (op.kind) {
      case L1OpKind.CREATE: {
        if (idx !== this.nextIndex) throw new OutOfSyncError(`CREATE at index ${idx}, but the next free index is ${this.nextIndex}: state out of sync with L1`);
        if (op.amount > MAX_BALANCE) throw new Error("deposit amount exceeds 2^128 - 1");
        const leaf = { index: idx, account: { ...EMPTY_ACCOUNT }, proof: this.tree.proof(idx) };
        this.createAccount({ ax: op.ax, ay: op.ay, owner: op.owner, tokenId: op.tokenId, balance: op.amount, nonce: 0n });
        return { result: 0n, leaf };
      }
      case L1OpKind.DEPOSIT: {
        const leaf = this.syncedWitness(idx);
        const a = leaf.account;
        if (a.tokenId !== op.tokenId || a.balance + op.amount > MAX_BALANCE) return { result: op.amount, leaf };
        this.setAccount(idx, { ...a, balance: a.balance + op.amount });
        return { result: 0n, leaf };
      }
      case L1OpKind.FORCE_EXIT: {
        const leaf = this.syncedWitness(idx);
        const a = leaf.account;
        // The contract queues a forced exit only from the account's owner.
        if (a.owner !== op.owner) throw new OutOfSyncError(`FORCE_EXIT of account ${idx} by ${op.owner}, not its owner: state out of sync with L1`);
        this.setAccount(idx, { ...a, balance: 0n });
        return { result: a.balance, leaf };
      }
    }
  }

  private syncedWitness(index: bigint): LeafWitness {
    if (!this.accounts.has(index)) throw new OutOfSyncError(`L1 operation on account ${index}, which does not exist: state out of sync with L1`);
    return this.witness(index);
  }

  /** Credit `amount` to an existing account (fees). Returns the witness before the credit. */
  credit(index: bigint, amount: bigint): LeafWitness {
    const w = this.witness(index);
    if (w.account.balance + amount > MAX_BALANCE) {
      throw new TxRejectedError("BALANCE_OVERFLOW", `account ${index} balance would exceed 2^128 - 1`);
    }
    this.setAccount(index, { ...w.account, balance: w.account.balance + amount });
    return w;
  }

  /**
   * Start recording changes; `revert(cp)` undoes everything since, `commit()` keeps it.
   * Used to build a batch that may fail to be proven or accepted on L1. Checkpoints nest: the
   * sequencer keeps one open per batch that is not final on L1 yet, so an L1 reorganisation can
   * take the state back to any of them.
   */
  checkpoint(): number {
    this.checkpoints++;
    return this.journalBase + this.journal.length;
  }

  revert(cp: number): void {
    if (cp < this.journalBase) throw new Error(`checkpoint ${cp} was forgotten: the changes before ${this.journalBase} can no longer be undone`);
    while (this.journalBase + this.journal.length > cp) {
      const { index, previous, nextIndex } = this.journal.pop()!;
      if (previous) this.setLeaf(index, previous);
      else {
        this.unindexKey(index, this.accounts.get(index)!);
        this.accounts.delete(index);
        this.tree.update(index, 0n);
      }
      this.nextIndex = nextIndex;
    }
    this.closeCheckpoint();
  }

  /** Closes an open checkpoint, keeping its changes (a revert to an earlier checkpoint still open undoes them). */
  commit(): void {
    this.closeCheckpoint();
  }

  /**
   * Keep the changes before position `cp` for good while later checkpoints stay open: their
   * journal entries are dropped (commit the oldest of nested checkpoints, then forget up to the
   * next one, so the journal holds only what may still be reverted).
   */
  forget(cp: number): void {
    const n = Math.min(cp, this.journalBase + this.journal.length) - this.journalBase;
    if (n <= 0) return;
    this.journal.splice(0, n);
    this.journalBase += n;
  }

  private closeCheckpoint(): void {
    if (this.checkpoints === 0) throw new Error("no open checkpoint");
    if (--this.checkpoints === 0) this.forget(Number.MAX_SAFE_INTEGER);
  }

  private setAccount(index: bigint, a: Account): void {
    if (this.checkpoints > 0) this.journal.push({ index, previous: this.accounts.get(index), nextIndex: this.nextIndex });
    this.setLeaf(index, a);
  }

  private setLeaf(index: bigint, a: Account): void {
    const before = this.accounts.get(index);
    if (!before || before.ax !== a.ax || before.ay !== a.ay) {
      if (before) this.unindexKey(index, before);
      this.indexKey(index, a);
    }
    this.accounts.set(index, { ...a });
    this.tree.update(index, accountLeaf(this.crypto.hash, a));
  }

  private indexKey(index: bigint, a: Account): void {
    const k = keyOf(a.ax, a.ay);
    const list = this.byKey.get(k);
    if (!list) return void this.byKey.set(k, [index]);
    // Accounts are created at increasing indexes: the new one almost always goes last.
    let at = list.length;
    while (at > 0 && list[at - 1]! > index) at--;
    list.splice(at, 0, index);
  }

  private unindexKey(index: bigint, a: Account): void {
    const k = keyOf(a.ax, a.ay);
    const list = this.byKey.get(k);
    const at = list?.lastIndexOf(index) ?? -1;
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) this.byKey.delete(k);
  }
}
