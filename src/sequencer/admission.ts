// Admission into the mempool: the rules a signed transfer or exit must meet to be accepted
// (the API's POST /v1/txs), checked against the state after every batch built and the pending
// transactions before it. Everything it reads is in memory or one key lookup: the mempool's
// per-sender state, never a scan of the pool. The cheap refusals (full pool, sender limit, fee too
// low) come before the signature check. A refusal is a SubmitError: an HTTP status and a code.
import { MAX_BALANCE, type Account } from "../model/account.js";
import type { ZkrCrypto } from "../model/crypto.js";
import type { DerivedParams } from "../model/params.js";
import { TxRejectedError, type RejectCode } from "../model/state.js";
import { transferFromJSON, transferId, TxFormatError, type SignedTransfer } from "../model/tx.js";
import { idOf, type Ledger } from "./ledger.js";
import { type Mempool, QueuedFeeDeposits } from "./mempool.js";
import { feeAccounts } from "./planner.js";
import type { SequencerStore, TxRecord } from "./store.js";

/** Why the mempool refuses a submission that may be valid: it is full, the sender has too many waiting, the fee is too low. */
export type MempoolCode = "MEMPOOL_FULL" | "SENDER_LIMIT" | "FEE_TOO_LOW";

/** A rejected submission: an HTTP status and a machine-readable code. */
export class SubmitError extends Error {
  constructor(
    readonly status: number,
    readonly code: RejectCode | MempoolCode | "DUPLICATE" | "BAD_REQUEST",
    message: string,
  ) {
    super(message);
  }
}

/** HTTP status of a transaction the rules refuse: the fee account's room is the service's, not the sender's fault. */
const rejectStatus = (code: RejectCode) => (code === "UNKNOWN_ACCOUNT" ? 404 : code === "FEE_ACCOUNT_FULL" ? 503 : 400);

export interface AdmissionOptions {
  crypto: ZkrCrypto;
  params: DerivedParams;
  store: SequencerStore;
  ledger: Ledger;
  pool: Mempool;
  /** Fee account indexes named in every batch. */
  feeIdx: readonly bigint[];
  maxPending: number;
  maxPendingPerSender: number;
  /** Minimum fee of a token, in base units. */
  minFee: (token: bigint) => bigint;
}

export class Admission {
  private feeDeposits: QueuedFeeDeposits;

  constructor(private readonly o: AdmissionOptions) {
    this.feeDeposits = new QueuedFeeDeposits(o.store, o.feeIdx);
  }

  /** Validate and persist a signed transfer or exit (JSON as the API receives it). */
  submit(body: unknown): TxRecord {
    const { crypto, params, store, ledger, pool, maxPending, maxPendingPerSender } = this.o;
    const state = ledger.state;
    let tx: SignedTransfer;
    let id: string;
    try {
      tx = transferFromJSON(body);
      id = idOf(transferId(crypto.hash, tx, ledger.domain, params));
    } catch (e) {
      if (e instanceof TxFormatError) throw new SubmitError(400, "BAD_FORMAT", e.message);
      throw e;
    }
    if (store.tx(id)) throw new SubmitError(409, "DUPLICATE", `transaction ${id} was already submitted`);
    if (pool.size >= maxPending) throw new SubmitError(503, "MEMPOOL_FULL", `the mempool holds ${pool.size} pending transactions, its limit: retry later`);
    const sender = state.account(tx.from);
    const queued = pool.countOf(tx.from);
    if (sender && queued >= maxPendingPerSender) {
      throw new SubmitError(
        429,
        "SENDER_LIMIT",
        `account ${tx.from} has ${queued} pending transactions, the most one sender may have: retry when some are batched`,
      );
    }
    const minFee = sender ? this.o.minFee(sender.tokenId) : 0n;
    if (tx.fee < minFee) throw new SubmitError(400, "FEE_TOO_LOW", `fee ${tx.fee} is below the minimum fee of token ${sender!.tokenId}, ${minFee}`);
    try {
      const feeTokens = feeAccounts(state, this.o.feeIdx).map((i) => state.account(i)!.tokenId);
      state.validateTransfer(
        tx,
        ledger.domain,
        feeTokens,
        sender && {
          nonce: sender.nonce + BigInt(queued),
          balance: sender.balance - pool.committedOf(tx.from),
        },
      );
      this.checkRoom(tx, sender!);
    } catch (e) {
      if (e instanceof TxRejectedError) throw new SubmitError(rejectStatus(e.code), e.code, e.message);
      throw e;
    }
    const rec = store.addTx(id, tx);
    pool.add(rec, sender!.tokenId);
    return rec;
  }

  /**
   * Refuses a transaction the receiver or a fee account could not take once the pending
   * transactions before it (and, for a fee account, the L1 deposits queued to it, which a batch
   * applies first) are in: BALANCE_OVERFLOW, FEE_ACCOUNT_FULL. The batch builder checks again
   * (L1 operations queued after acceptance can still fill an account), so this only keeps what
   * cannot be batched out of the pool.
   */
  private checkRoom(tx: SignedTransfer, sender: Account): void {
    const { ledger, pool } = this.o;
    const state = ledger.state;
    if (tx.to !== 0n && tx.to !== tx.from) {
      const r = state.account(tx.to)!;
      if (r.balance + pool.incomingTo(tx.to) + tx.amount > MAX_BALANCE) {
        throw new TxRejectedError("BALANCE_OVERFLOW", `account ${tx.to} would exceed 2^128 - 1 with this and the transfers pending to it`);
      }
    }
    for (const idx of feeAccounts(state, this.o.feeIdx)) {
      const fa = state.account(idx)!;
      const adds = (fa.tokenId === sender.tokenId ? tx.fee : 0n) + (tx.to === idx && tx.from !== idx ? tx.amount : 0n);
      if (adds === 0n) continue;
      const before = fa.balance + this.feeDeposits.to(idx, fa.tokenId, ledger.nextL1) + pool.feesOf(fa.tokenId) + pool.incomingTo(idx);
      if (before + adds > MAX_BALANCE) {
        throw new TxRejectedError(
          "FEE_ACCOUNT_FULL",
          `fee account ${idx} (token ${fa.tokenId}) has no room for this transaction: it will hold ${before} before it, 2^128 - 1 at most`,
        );
      }
    }
  }

  /** Nonce a new transaction of `index` must use, counting its pending ones. */
  nextNonce(index: bigint): bigint | undefined {
    const a = this.o.ledger.state.account(index);
    if (!a) return undefined;
    return a.nonce + BigInt(this.o.pool.countOf(index));
  }

  /**
   * Replace the in-memory mempool with the store's pending transactions (at start; after anything
   * that moves transactions back to pending or out of it: a reconciliation with L1, a rewind).
   */
  reload(): void {
    const state = this.o.ledger.state;
    this.o.pool.load(this.o.store.pendingTxs(), (i) => state.account(i)?.tokenId);
    this.feeDeposits = new QueuedFeeDeposits(this.o.store, this.o.feeIdx); // the L1 queue may have changed under it
  }
}
