import { accountLeaf, checkAccount, MAX_BALANCE, MAX_NONCE, type Account } from "./account.js";
import type { ZkrCrypto } from "./crypto.js";
import { verifySignature } from "./keys.js";
import type { DerivedParams } from "./params.js";
import { QuadTree, type QuadProof } from "./tree.js";
import { packedAmounts, transferMessage, TxFormatError, type Domain, type SignedTransfer } from "./tx.js";

export type RejectCode =
  | "BAD_FORMAT"
  | "UNKNOWN_ACCOUNT"
  | "BAD_NONCE"
  | "BAD_SIGNATURE"
  | "TOKEN_MISMATCH"
  | "INSUFFICIENT_BALANCE"
  | "BALANCE_OVERFLOW"
  | "NO_FEE_ACCOUNT";

/** A transaction the rules of docs/PROTOCOL.md do not allow; nothing was changed. */
export class TxRejectedError extends Error {
  constructor(
    readonly code: RejectCode,
    message: string,
  ) {
    super(message);
  }
}

/** Account data and Merkle proof of one leaf at one moment. */
export interface LeafWitness {
  index: bigint;
  account: Account;
  proof: QuadProof;
}

/**
 * The L2 state: accounts by index and the Poseidon 4-ary tree over their leaves.
 * Every mutating method validates first and changes nothing when it throws.
 */
export class L2State {
  readonly tree: QuadTree;
  private readonly accounts = new Map<bigint, Account>();
  /** Next index a created account receives (index 0 is never an account). */
  nextIndex = 1n;
  /** Previous values of changed leaves since the oldest open checkpoint. */
  private journal: { index: bigint; previous: Account | undefined; nextIndex: bigint }[] = [];
  private checkpoints = 0;

  constructor(
    readonly crypto: ZkrCrypto,
    readonly params: DerivedParams,
  ) {
    this.tree = new QuadTree(params.depth, crypto.hash);
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

  /** All accounts in index order. */
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
   * Check a signed transfer against the current state without applying it.
   * `feeTokens`: the tokens that have a fee account in the batch (a non-zero fee needs one).
   */
  validateTransfer(t: SignedTransfer, domain: Domain, feeTokens?: bigint[]): { sender: Account; receiver: Account } {
    const p = this.params;
    let message: bigint;
    try {
      packedAmounts(t);
      message = transferMessage(this.crypto.hash, t, domain, p);
    } catch (e) {
      if (e instanceof TxFormatError) throw new TxRejectedError("BAD_FORMAT", e.message);
      throw e;
    }
    if (t.from === 0n || t.to === 0n) throw new TxRejectedError("BAD_FORMAT", "index 0 is not an account");
    const sender = this.accounts.get(t.from);
    if (!sender) throw new TxRejectedError("UNKNOWN_ACCOUNT", `no account at index ${t.from}`);
    const receiver = this.accounts.get(t.to);
    if (!receiver) throw new TxRejectedError("UNKNOWN_ACCOUNT", `no account at index ${t.to}`);
    if (t.nonce !== sender.nonce) {
      throw new TxRejectedError("BAD_NONCE", `nonce ${t.nonce} does not match account ${t.from}'s nonce ${sender.nonce}`);
    }
    if (sender.nonce >= MAX_NONCE) throw new TxRejectedError("BAD_NONCE", `account ${t.from} has used all its nonces`);
    if (!verifySignature(this.crypto.eddsa, message, t.signature, sender.ax, sender.ay)) {
      throw new TxRejectedError("BAD_SIGNATURE", `signature does not verify for account ${t.from}`);
    }
    if (sender.tokenId !== receiver.tokenId) {
      throw new TxRejectedError("TOKEN_MISMATCH", `account ${t.from} holds token ${sender.tokenId}, account ${t.to} token ${receiver.tokenId}`);
    }
    if (sender.balance < t.amount + t.fee) {
      throw new TxRejectedError("INSUFFICIENT_BALANCE", `account ${t.from} has ${sender.balance}, needs ${t.amount + t.fee}`);
    }
    const received = t.from === t.to ? sender.balance - t.fee : receiver.balance + t.amount;
    if (received > MAX_BALANCE) throw new TxRejectedError("BALANCE_OVERFLOW", `account ${t.to} balance would exceed 2^128 - 1`);
    if (feeTokens && t.fee !== 0n && !feeTokens.includes(sender.tokenId)) {
      throw new TxRejectedError("NO_FEE_ACCOUNT", `no fee account for token ${sender.tokenId} in this batch`);
    }
    return { sender, receiver };
  }

  /**
   * Apply a signed transfer (sender update, then receiver update, as the circuit does).
   * Returns the witnesses the circuit needs. Throws TxRejectedError and changes nothing if invalid.
   */
  applyTransfer(t: SignedTransfer, domain: Domain, feeTokens?: bigint[]): { sender: LeafWitness; receiver: LeafWitness } {
    const { sender } = this.validateTransfer(t, domain, feeTokens);
    const senderW = this.witness(t.from);
    this.setAccount(t.from, { ...sender, balance: sender.balance - t.amount - t.fee, nonce: sender.nonce + 1n });
    const receiverW = this.witness(t.to);
    this.setAccount(t.to, { ...receiverW.account, balance: receiverW.account.balance + t.amount });
    return { sender: senderW, receiver: receiverW };
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
   * Start recording changes; `revert(cp)` undoes everything since, `commit(cp)` keeps it.
   * Used to build a batch that may fail to be proven or accepted on L1.
   */
  checkpoint(): number {
    this.checkpoints++;
    return this.journal.length;
  }

  revert(cp: number): void {
    while (this.journal.length > cp) {
      const { index, previous, nextIndex } = this.journal.pop()!;
      if (previous) this.setLeaf(index, previous);
      else {
        this.accounts.delete(index);
        this.tree.update(index, 0n);
      }
      this.nextIndex = nextIndex;
    }
    this.closeCheckpoint();
  }

  commit(_cp: number): void {
    this.closeCheckpoint();
  }

  private closeCheckpoint(): void {
    if (this.checkpoints === 0) throw new Error("no open checkpoint");
    if (--this.checkpoints === 0) this.journal = [];
  }

  private setAccount(index: bigint, a: Account): void {
    if (this.checkpoints > 0) this.journal.push({ index, previous: this.accounts.get(index), nextIndex: this.nextIndex });
    this.setLeaf(index, a);
  }

  private setLeaf(index: bigint, a: Account): void {
    this.accounts.set(index, { ...a });
    this.tree.update(index, accountLeaf(this.crypto.hash, a));
  }
}
