// Admission into the mempool: the rules a signed transfer or exit must meet to be accepted
// (the API's POST /v1/txs), checked against the state after every batch built and the pending
// transactions before it. Everything it reads is in memory or one key lookup: the mempool's
// per-sender state, never a scan of the pool. The cheap refusals (full pool, sender limit, fee too
// low) come before the signature check. A refusal is a SubmitError: an HTTP status and a code.
import { MAX_BALANCE, type Account } from "../model/account.js";
import type { ZkrCrypto } from "../model/crypto.js";
import type { DerivedParams } from "../model/params.js";
import { type SignatureResult, TxRejectedError, type RejectCode } from "../model/state.js";
import { transferFromJSON, transferId, transferMessage, TxFormatError, type SignedTransfer } from "../model/tx.js";
import type { SignatureCheck } from "../proving/signaturePool.js";
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
  /**
   * Checks signatures off this thread (SignatureVerifierPool.verify: worker threads on every
   * core); without it they are checked here, synchronously.
   */
  verifySignatures?: (checks: SignatureCheck[]) => Promise<boolean[]>;
}

/** A submission whose cheap checks passed, waiting for its signature check (Admission.submit). */
interface InFlight {
  id: string;
  tx: SignedTransfer;
  /** The key its signature was checked against, and the result (once known). */
  ax: bigint;
  ay: bigint;
  ok?: boolean;
  failed?: Error;
  resolve(rec: TxRecord): void;
  reject(e: unknown): void;
}

/** What a sender's submissions in flight hold back: how many, and their amounts + fees. */
interface SenderInFlight {
  count: number;
  committed: bigint;
}

export class Admission {
  private feeDeposits: QueuedFeeDeposits;
  /** Submissions in flight, in arrival order: they are admitted in this order once checked. */
  private readonly inFlight: InFlight[] = [];
  private readonly inFlightIds = new Set<string>();
  private readonly inFlightBySender = new Map<bigint, SenderInFlight>();
  /** The signature checks of the transactions admitted (by their object, as the pool holds it: gone with it). */
  private readonly checkedSignatures = new WeakMap<SignedTransfer, SignatureResult>();

  constructor(private readonly o: AdmissionOptions) {
    this.feeDeposits = new QueuedFeeDeposits(o.store, o.feeIdx);
    o.store.onFlushFailed = () => this.reload(); // the pool loses what the store did not take
  }

  /**
   * Validate and persist a signed transfer or exit (JSON as the API receives it). Resolves with its
   * record once it is on disk; rejects with a SubmitError (and stores nothing) if a rule refuses it.
   *
   * In three steps: (1) now, every rule but the signature, against the state, the pool and the
   * sender's submissions still in flight (the cheap refusals before any signature is checked);
   * (2) the signature, off this thread when a pool is given; (3) in arrival order, every rule
   * again against the state and pool as they are then (a batch may have been built, L1 reorganised,
   * an earlier submission admitted), with the signature's result, then into the pool and the
   * store's group commit. So concurrent submissions are decided as if one after the other, in the
   * order they arrived, and one sender's consecutive nonces sent without waiting are accepted.
   */
  submit(body: unknown): Promise<TxRecord> {
    let pending: InFlight | undefined;
    const done = new Promise<TxRecord>((resolve, reject) => {
      const { tx, id, sender } = this.precheck(body);
      pending = { id, tx, ax: sender.ax, ay: sender.ay, resolve, reject };
    });
    if (!pending) return done; // refused by precheck (the promise holds the SubmitError)
    const p: InFlight = pending;
    this.inFlight.push(p);
    this.inFlightIds.add(p.id);
    const s = this.inFlightBySender.get(p.tx.from) ?? { count: 0, committed: 0n };
    s.count++;
    s.committed += p.tx.amount + p.tx.fee;
    this.inFlightBySender.set(p.tx.from, s);
    const check = { m: transferMessage(this.o.crypto.hash, p.tx, this.o.ledger.domain, this.o.params), sig: p.tx.signature, ax: p.ax, ay: p.ay };
    const verified = this.o.verifySignatures
      ? this.o.verifySignatures([check])
      : new Promise<boolean[]>((resolve) => resolve([this.o.crypto.verify(check.m, check.sig, check.ax, check.ay)]));
    verified.then(
      ([ok]) => this.checked(p, ok!),
      (e: unknown) => this.checked(p, undefined, e instanceof Error ? e : new Error(String(e))),
    );
    return done;
  }

  /** The signature check admission made of this transaction (the pool's object), if it made one: batch building need not make it again. */
  signatureOf(tx: SignedTransfer): SignatureResult | undefined {
    return this.checkedSignatures.get(tx);
  }

  /** Submissions waiting for their signature check. */
  get inFlightCount(): number {
    return this.inFlight.length;
  }

  private checked(p: InFlight, ok: boolean | undefined, failed?: Error): void {
    p.ok = ok;
    p.failed = failed;
    while (this.inFlight.length && (this.inFlight[0]!.ok !== undefined || this.inFlight[0]!.failed)) {
      const q = this.inFlight.shift()!;
      this.inFlightIds.delete(q.id);
      const s = this.inFlightBySender.get(q.tx.from)!;
      if (--s.count === 0) this.inFlightBySender.delete(q.tx.from);
      else s.committed -= q.tx.amount + q.tx.fee;
      if (q.failed) {
        q.reject(new Error(`the signature check failed: ${q.failed.message}`));
        continue;
      }
      try {
        const stored = this.admit(q.id, q.tx, { ax: q.ax, ay: q.ay, ok: q.ok! });
        stored.then(q.resolve, q.reject);
      } catch (e) {
        q.reject(e);
      }
    }
  }

  /** Step 1: parse, the duplicate check, the limits and every rule but the signature. */
  private precheck(body: unknown): { tx: SignedTransfer; id: string; sender: Account } {
    const { crypto, params, ledger, pool } = this.o;
    let tx: SignedTransfer;
    let id: string;
    try {
      tx = transferFromJSON(body);
      id = idOf(transferId(crypto.hash, tx, ledger.domain, params));
    } catch (e) {
      if (e instanceof TxFormatError) throw new SubmitError(400, "BAD_FORMAT", e.message);
      throw e;
    }
    this.refuseDuplicateOrFull(id, this.inFlightIds.has(id), pool.size + this.inFlight.length);
    const flying = this.inFlightBySender.get(tx.from) ?? { count: 0, committed: 0n };
    const sender = this.rules(tx, flying, "later");
    return { tx, id, sender };
  }

  /** Step 3: every rule again, with the signature's result; then into the pool and the group commit. */
  private admit(id: string, tx: SignedTransfer, signature: SignatureResult): Promise<TxRecord> {
    const { store, pool } = this.o;
    this.refuseDuplicateOrFull(id, false, pool.size);
    const sender = this.rules(tx, { count: 0, committed: 0n }, signature);
    const { rec, stored } = store.queueTx(id, tx);
    pool.add(rec, sender.tokenId);
    if (signature.ok && signature.ax === sender.ax && signature.ay === sender.ay) this.checkedSignatures.set(rec.tx, signature);
    return stored;
  }

  /** 409 DUPLICATE if `id` is stored (or `inFlight`), 503 MEMPOOL_FULL if `waiting` transactions reach the limit. */
  private refuseDuplicateOrFull(id: string, inFlight: boolean, waiting: number): void {
    if (inFlight || this.o.store.hasTx(id)) throw new SubmitError(409, "DUPLICATE", `transaction ${id} was already submitted`);
    if (waiting >= this.o.maxPending) throw new SubmitError(503, "MEMPOOL_FULL", `the mempool holds ${waiting} pending transactions, its limit: retry later`);
  }

  /**
   * The rules after the pending transactions and `ahead` (the sender's submissions in flight
   * before this one): the sender limit, the minimum fee, the state's rules and the receiver's and
   * fee accounts' room. The signature by `signature`'s result when it was checked against the
   * sender's key (checked here otherwise), or not at all when it is checked "later". Returns the sender.
   */
  private rules(tx: SignedTransfer, ahead: SenderInFlight, signature: SignatureResult | "later"): Account {
    const { ledger, pool, maxPendingPerSender } = this.o;
    const state = ledger.state;
    const sender = state.account(tx.from);
    const queued = pool.countOf(tx.from) + ahead.count;
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
          balance: sender.balance - pool.committedOf(tx.from) - ahead.committed,
        },
        signature === "later" ? sender && { ax: sender.ax, ay: sender.ay, ok: true } : signature,
      );
      this.checkRoom(tx, sender!);
    } catch (e) {
      if (e instanceof TxRejectedError) throw new SubmitError(rejectStatus(e.code), e.code, e.message);
      throw e;
    }
    return sender!;
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
