// The sequencer: accepts signed L2 transactions into a persistent mempool, watches L1 for
// queued operations, builds batches (on size or timeout), hands them to the proving backend,
// submits proven batches to the Rollup contract strictly in order, and follows each one until
// L1 holds it for good.
//
// Pipeline per batch: built (state advanced, persisted as "proving") → proven (proof stored)
// → included (its submission is in an L1 block) → final (that block is final on L1:
// src/sequencer/finality.ts). Consecutive batches are proved concurrently when the backend has
// several workers; submission waits for batch N before N+1. Every batch not final yet keeps a
// state checkpoint (src/model/state.ts), so the state can go back to any of them.
//
// Each tick the L1 watcher (src/sequencer/watcher.ts) checks that the blocks it read are still
// canonical and that the rollup's position on L1 matches the batches recorded as included. When
// they do not — an L1 reorganisation, a submission mined after a restart, a submission L1
// rejects because its state moved on — the sequencer reconciles with what L1 now holds
// (reconcile): L1 operations no longer there are dropped and re-read from the fork; batches L1
// lost that still apply go back to "proven" and are submitted again with their proofs; batches
// built on a lost operation are rewound (state back to their checkpoint, their transactions back
// to the mempool in their original order, where the next batch re-validates them) and rebuilt.
// Failures are classified (src/sequencer/errors.ts): transient ones are retried with exponential
// backoff, conflicts reconcile, fatal ones stop the sequencer with the reason (`halted`).
import { readFileSync } from "node:fs";
import { groth16 } from "snarkjs";
import { MAX_BALANCE, type Account } from "../model/account.js";
import { buildBatch, type Batch } from "../model/batch.js";
import type { ZkrCrypto } from "../model/crypto.js";
import type { RollupContract } from "../chain/deploy.js";
import type { QueuedL1Op } from "../model/l1op.js";
import { DEFAULT_MAX_LOG_RANGE, logWindow } from "../chain/logs.js";
import type { DerivedParams } from "../model/params.js";
import { holdCurve } from "../proving/curve.js";
import { L2State, TxRejectedError, type RejectCode } from "../model/state.js";
import { transferFromJSON, transferId, TxFormatError, type Domain, type SignedTransfer } from "../model/tx.js";
import { fromBytesBE } from "../model/bytes.js";
import { applyPostedBatch } from "../chain/rebuild.js";
import type { ProofResult } from "../proving/prover.js";
import type { ProofQueue } from "../prover/queue.js";
import { classifyL1Error, FatalError, type PipelineError, Retry, revertName, StateConflictError, TransientError } from "./errors.js";
import { describeFinality, type Finality, FINALIZED, finalizedHeight } from "./finality.js";
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_PER_SENDER, Mempool, QueuedFeeDeposits } from "./mempool.js";
import { batchInputsOnL1, samePublicSignals, sendBatch } from "./operator.js";
import type { BatchRecord, NewBatch, SequencerStore, TxRecord } from "./store.js";
import { planReconciliation } from "./reconcile.js";
import { type BlockRef, type L1Batch, L1Watcher, type L1View } from "./watcher.js";

export interface SequencerOptions {
  crypto: ZkrCrypto;
  params: DerivedParams;
  store: SequencerStore;
  /** The Rollup contract, connected to the sequencer's signer. */
  rollup: RollupContract;
  /** Block the rollup was deployed in (where its events start). */
  fromBlock: number;
  /** Proving backend (local workers or BullMQ); its setup must be the one the contract's verifier came from. */
  prover: ProofQueue;
  /** Fee account indexes named in every batch. */
  feeIdx?: bigint[];
  /** Build a partial batch when the oldest waiting transaction or operation is this old. */
  batchTimeoutMs?: number;
  /** Batches built but not yet included on L1, at most. */
  maxInFlight?: number;
  /** How often the loop looks at L1 and the mempool. */
  pollMs?: number;
  /** When an included batch is final (default: the L1 node's finalized block). */
  finality?: Finality;
  /** Largest block range per eth_getLogs request (default 2,000; halved while the node refuses). */
  maxLogRange?: number;
  /** Backoff of retried steps (proofs, submissions, L1 reads): first delay and cap. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long a submitted batch may take to be mined before the submission counts as failed. */
  submitTimeoutMs?: number;
  /**
   * How long the node's head may stay below the highest block the sequencer saw before that is
   * taken as a reorganisation to a shorter chain (and not as a node lagging behind).
   */
  l1LagToleranceMs?: number;
  /** Pending transactions, at most: beyond, a submission gets 503 MEMPOOL_FULL. */
  maxPending?: number;
  /** Pending transactions of one sender, at most: beyond, 429 SENDER_LIMIT. */
  maxPendingPerSender?: number;
  /** Minimum fee per token id, in base units: below, 400 FEE_TOO_LOW (a token not listed: 0). */
  minFee?: ReadonlyMap<bigint, bigint>;
  log?: (msg: string) => void;
}

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

/** A batch that is not final on L1 yet. */
interface Live {
  record: BatchRecord;
  /** The built batch: its circuit input (to prove) and calldata (to submit); none for a batch taken from L1. */
  batch?: Batch;
  /** State checkpoint taken just before the batch was applied. */
  cp: number;
  proof?: ProofResult;
  /** A proving job is running for it. */
  provingNow: boolean;
  proving: Retry;
  submitting: Retry;
}

/** What the status says about the last reconciliation with L1. */
interface ReconcileReport {
  at: string;
  reason: string;
  /** First L1 operation that L1 no longer held as it was, if any. */
  l1OpsFrom?: number;
  l1OpsDropped: number;
  /** Batches that left L1 and were resubmitted with their proofs. */
  resubmitted: number[];
  /** First batch rewound and rebuilt, if any. */
  rewoundFrom?: number;
  /** Batches reported final that L1 no longer holds: a reorganisation deeper than the finality rule. */
  finalLost: number[];
}

/** Reverts that mean "not the state this batch was built on" (not a rule the batch breaks). */
const STATE_MISMATCH_REVERTS = new Set(["InvalidProof", "TooManyL1Ops"]);

/** " (FEE_ACCOUNT_FULL 1, BAD_NONCE 2)" for reasons "CODE: message", or "" for none. */
function countByCode(reasons: Iterable<string>): string {
  const n = new Map<string, number>();
  for (const r of reasons) n.set(r.split(":")[0]!, (n.get(r.split(":")[0]!) ?? 0) + 1);
  return n.size ? ` (${[...n].map(([code, k]) => `${code} ${k}`).join(", ")})` : "";
}

const idOf = (m: bigint) => "0x" + m.toString(16).padStart(64, "0");
const short = (h: string) => h.slice(0, 10);

export class Sequencer {
  domain!: Domain;
  /** Resolves with the reason once a fatal error stopped the sequencer. */
  readonly halted: Promise<string>;
  private stateRef: L2State;
  private readonly o: Required<Omit<SequencerOptions, "log">> & { log: (m: string) => void };
  /** Pending transactions (loaded at start, kept by submitTx and buildDue, reloaded after a reconciliation). */
  private readonly pool: Mempool;
  private feeDeposits: QueuedFeeDeposits;
  private readonly live = new Map<number, Live>();
  private watcher!: L1Watcher;
  private timer?: NodeJS.Timeout;
  private running = false;
  private ticking?: Promise<void>;
  /** Queue index of the next L1 operation a new batch consumes. */
  private nextL1 = 0;
  private genesisRoot = 0n;
  private lastError?: string;
  private fatal?: string;
  private resolveHalted!: (reason: string) => void;
  /** Failed ticks (L1 unreachable, …): the loop backs off. */
  private readonly tickRetry: Retry;
  /** Rebuilds after L1 rejected a batch: the next batch waits. */
  private readonly rebuild: Retry;
  /** A conflict seen outside the regular checks: the next tick reconciles. */
  private pendingConflict?: string;
  /** Since when the node's head is below the highest block the sequencer saw. */
  private behindSince?: number;
  private lastView?: L1View;
  private reconciliations = 0;
  private lastReconcile?: ReconcileReport;

  private readonly vkey: unknown;
  private releaseCurve?: () => Promise<void>;

  constructor(opts: SequencerOptions) {
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as SequencerOptions;
    this.o = {
      feeIdx: [],
      batchTimeoutMs: 2000,
      maxInFlight: 4,
      pollMs: 500,
      finality: FINALIZED,
      maxLogRange: DEFAULT_MAX_LOG_RANGE,
      retryBaseMs: 1000,
      retryMaxMs: 60_000,
      submitTimeoutMs: 120_000,
      l1LagToleranceMs: 10_000,
      maxPending: DEFAULT_MAX_PENDING,
      maxPendingPerSender: DEFAULT_MAX_PENDING_PER_SENDER,
      minFee: new Map(),
      log: () => {},
      ...given,
    };
    this.o.feeIdx = [...new Set(this.o.feeIdx)];
    if (this.o.feeIdx.length > opts.params.feeSlots) {
      throw new FatalError("BAD_CONFIG", `${this.o.feeIdx.length} fee accounts given, instance ${opts.params.name} has ${opts.params.feeSlots} fee slot(s) per batch`);
    }
    for (const [what, v] of [["maxPending", this.o.maxPending], ["maxPendingPerSender", this.o.maxPendingPerSender]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new FatalError("BAD_CONFIG", `${what} must be a positive integer, got ${v}`);
    }
    this.stateRef = new L2State(opts.crypto, opts.params);
    this.pool = new Mempool((token) => this.minFee(token));
    this.feeDeposits = new QueuedFeeDeposits(opts.store, this.o.feeIdx);
    this.vkey = JSON.parse(readFileSync(opts.prover.setup.vkey, "utf8"));
    this.tickRetry = this.retry();
    this.rebuild = this.retry();
    this.halted = new Promise((resolve) => (this.resolveHalted = resolve));
  }

  /** The L2 state after every batch built (a reorganisation may replace it: read it through this getter). */
  get state(): L2State {
    return this.stateRef;
  }

  /** Rebuild the state from the database and resume unfinished batches; the loop then reconciles with L1. */
  async start(): Promise<void> {
    const { rollup, store } = this.o;
    const provider = rollup.runner!.provider!;
    const chainId = (await provider.getNetwork()).chainId;
    this.domain = { chainId, rollupAddress: BigInt(await rollup.getAddress()) };
    const known = store.getMeta("rollup");
    if (known && BigInt(known) !== this.domain.rollupAddress) {
      throw new FatalError("WRONG_DATABASE", `the database belongs to rollup ${known}, not ${await rollup.getAddress()}`);
    }
    store.setMeta("rollup", this.domain.rollupAddress.toString());
    await finalizedHeight(provider, this.o.finality, 0); // a node without the finalized tag: stop here
    this.genesisRoot = await rollup.genesisRoot();
    this.watcher = new L1Watcher(rollup, store, this.o.crypto.hash, this.o.fromBlock, this.o.finality, logWindow(this.o.maxLogRange));

    this.rederive();
    const onChain = await rollup.batchNumber();
    const last = store.lastBatch()?.number ?? 0;
    if (BigInt(last) < onChain) this.o.log(`sequencer: L1 holds ${onChain} batches, the database ${last}: taking the others from L1`);
    this.reloadMempool();
    this.o.log(
      `sequencer: state rebuilt from ${last} batches, ${this.state.size} accounts, ${this.pool.size} pending transactions, root ${this.state.root}; final when ${describeFinality(this.o.finality)}`,
    );
    this.releaseCurve = holdCurve(); // proofs are verified here too: keep snarkjs's curve until stop()
    this.running = true;
    for (const f of this.live.values()) if (!f.proof) this.prove(f);
    this.schedule(0);
  }

  /** Stop the loop (waits for the current step); the database stays consistent at any point. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await this.releaseCurve?.();
    this.releaseCurve = undefined;
  }

  // ---------------------------------------------------------------- mempool

  /**
   * Validate and persist a signed transfer or exit (JSON as the API receives it). Everything it
   * reads is in memory or one key lookup: the mempool's per-sender state, never a scan of the pool.
   * The cheap refusals (full pool, sender limit, fee too low) come before the signature check.
   */
  submitTx(body: unknown): TxRecord {
    let tx: SignedTransfer;
    let id: string;
    try {
      tx = transferFromJSON(body);
      id = idOf(transferId(this.o.crypto.hash, tx, this.domain, this.o.params));
    } catch (e) {
      if (e instanceof TxFormatError) throw new SubmitError(400, "BAD_FORMAT", e.message);
      throw e;
    }
    if (this.o.store.tx(id)) throw new SubmitError(409, "DUPLICATE", `transaction ${id} was already submitted`);
    const { pool } = this;
    const { maxPending, maxPendingPerSender } = this.o;
    if (pool.size >= maxPending) throw new SubmitError(503, "MEMPOOL_FULL", `the mempool holds ${pool.size} pending transactions, its limit: retry later`);
    const sender = this.state.account(tx.from);
    const queued = pool.countOf(tx.from);
    if (sender && queued >= maxPendingPerSender) {
      throw new SubmitError(429, "SENDER_LIMIT", `account ${tx.from} has ${queued} pending transactions, the most one sender may have: retry when some are batched`);
    }
    const minFee = sender ? this.minFee(sender.tokenId) : 0n;
    if (tx.fee < minFee) throw new SubmitError(400, "FEE_TOO_LOW", `fee ${tx.fee} is below the minimum fee of token ${sender!.tokenId}, ${minFee}`);
    try {
      this.state.validateTransfer(tx, this.domain, this.feeTokens(), sender && {
        nonce: sender.nonce + BigInt(queued),
        balance: sender.balance - pool.committedOf(tx.from),
      });
      this.checkRoom(tx, sender!);
    } catch (e) {
      if (e instanceof TxRejectedError) throw new SubmitError(rejectStatus(e.code), e.code, e.message);
      throw e;
    }
    const rec = this.o.store.addTx(id, tx);
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
    if (tx.to !== 0n && tx.to !== tx.from) {
      const r = this.state.account(tx.to)!;
      if (r.balance + this.pool.incomingTo(tx.to) + tx.amount > MAX_BALANCE) {
        throw new TxRejectedError("BALANCE_OVERFLOW", `account ${tx.to} would exceed 2^128 - 1 with this and the transfers pending to it`);
      }
    }
    for (const idx of this.feeAccounts()) {
      const fa = this.state.account(idx)!;
      const adds = (fa.tokenId === sender.tokenId ? tx.fee : 0n) + (tx.to === idx && tx.from !== idx ? tx.amount : 0n);
      if (adds === 0n) continue;
      const before = fa.balance + this.feeDeposits.to(idx, fa.tokenId, this.nextL1) + this.pool.feesOf(fa.tokenId) + this.pool.incomingTo(idx);
      if (before + adds > MAX_BALANCE) {
        throw new TxRejectedError(
          "FEE_ACCOUNT_FULL",
          `fee account ${idx} (token ${fa.tokenId}) has no room for this transaction: it will hold ${before} before it, 2^128 - 1 at most`,
        );
      }
    }
  }

  /** The transaction's record with its status. */
  txStatus(id: string): TxRecord | undefined {
    return this.o.store.tx(id.toLowerCase());
  }

  /** Nonce a new transaction of `index` must use, counting its pending ones. */
  nextNonce(index: bigint): bigint | undefined {
    const a = this.state.account(index);
    if (!a) return undefined;
    return a.nonce + BigInt(this.pool.countOf(index));
  }

  /**
   * Replace the in-memory mempool with the store's pending transactions (at start; after anything
   * that moves transactions back to pending or out of it: a reconciliation with L1, a rewind).
   */
  reloadMempool(): void {
    this.pool.load(this.o.store.pendingTxs(), (i) => this.state.account(i)?.tokenId);
    this.feeDeposits = new QueuedFeeDeposits(this.o.store, this.o.feeIdx); // the L1 queue may have changed under it
  }

  private minFee(token: bigint): bigint {
    return this.o.minFee.get(token) ?? 0n;
  }

  /** Service status; its cost does not depend on the number of transactions or batches (counts kept by the store). */
  status() {
    const counts = this.o.store.countBatches();
    const now = Date.now();
    const v = this.lastView;
    return {
      chainId: this.domain.chainId.toString(),
      rollup: "0x" + this.domain.rollupAddress.toString(16).padStart(40, "0"),
      instance: this.o.params.name,
      stateRoot: this.state.root.toString(),
      accounts: this.state.size,
      l1OpsKnown: this.o.store.l1OpCount(),
      l1OpsConsumed: this.nextL1,
      txs: this.o.store.countTxs(),
      mempool: {
        pending: this.pool.size,
        senders: this.pool.senderCount,
        maxPending: this.o.maxPending,
        maxPendingPerSender: this.o.maxPendingPerSender,
        minFee: Object.fromEntries([...this.o.minFee].map(([t, f]) => [t.toString(), f.toString()])),
      },
      finality: describeFinality(this.o.finality),
      l1: v && { head: v.head.number, finalized: v.finalized, scanned: this.watcher.scanned?.number ?? null, batchNumber: Number(v.batchNumber) },
      batches: {
        total: counts.proving + counts.proven + counts.included + counts.final,
        included: counts.included,
        final: counts.final,
        /** Batches built and not final yet, oldest first. */
        inFlight: [...this.live.values()].map((f) => ({
          number: f.record.number,
          status: f.record.status,
          txs: f.record.txIds.length,
          l1Ops: f.record.l1Count,
          ageMs: now - f.record.createdAt,
          ...(f.record.l1Block !== null && { l1Block: f.record.l1Block, l1Tx: f.record.l1TxHash }),
          proving: f.proving.view(now),
          submission: f.submitting.view(now),
          error: f.submitting.lastError ?? f.proving.lastError,
        })),
      },
      reconciliations: { count: this.reconciliations, ...(this.lastReconcile && { last: this.lastReconcile }) },
      ...(this.rebuild.failures > 0 && { rebuild: this.rebuild.view(now) }),
      lastError: this.lastError,
      ...(this.fatal !== undefined && { fatal: this.fatal }),
    };
  }

  // ---------------------------------------------------------------- loop

  private retry(): Retry {
    return new Retry(this.o.retryBaseMs, this.o.retryMaxMs);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .then(
          () => {
            this.tickRetry.succeeded();
            return this.o.pollMs;
          },
          (e: unknown) => this.failed(e),
        )
        .then((next) => this.schedule(next));
    }, ms);
  }

  /** A tick failed: classify it, and return the delay before the next one. */
  private failed(e: unknown): number {
    const err = classifyL1Error(e, this.o.rollup.interface, "following L1");
    if (err.kind === "fatal") {
      this.halt(err);
      return 0;
    }
    this.lastError = err.message;
    if (err.kind === "conflict") this.pendingConflict = err.message;
    const delay = this.tickRetry.fail(err);
    this.o.log(`sequencer: ${err.message}; ${err.kind === "conflict" ? "reconciling with L1" : "retrying"} in ${(delay / 1000).toFixed(1)} s`);
    return Math.max(this.o.pollMs, delay);
  }

  /** Stops for good (configuration): loudly, with the reason in the status and `halted`. */
  private halt(err: PipelineError): void {
    this.fatal = err.message;
    this.lastError = err.message;
    this.running = false;
    this.o.log(`sequencer: FATAL: ${err.message}; the sequencer stopped`);
    this.resolveHalted(err.message);
  }

  /** One pass: follow L1, build what is due, retry proofs, submit what is proven. Public for tests. */
  async tick(): Promise<void> {
    if (this.fatal !== undefined) return;
    const view = await this.followL1();
    let built = true;
    while (this.running && built) built = this.buildDue();
    this.retryProofs();
    if (view) await this.submitReady();
  }

  /** Wait until every accepted transaction and queued operation is final on L1. */
  async drain(timeoutMs = 600_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      if (this.fatal !== undefined) throw new Error(`the sequencer stopped: ${this.fatal}`);
      const c = this.o.store.countTxs();
      if (c.pending + c.batched + c.proven + c.included === 0 && this.live.size === 0 && this.nextL1 === this.o.store.l1OpCount()) {
        const onChainOps = await this.o.rollup.l1OpCount();
        if (BigInt(this.nextL1) === onChainOps) return;
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`sequencer did not drain in ${timeoutMs} ms: ${JSON.stringify(this.status())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // ---------------------------------------------------------------- following L1

  /**
   * Reads L1, checks what was seen against it (reconciling when it no longer matches), reads new
   * L1 operations and marks final batches. Undefined while the node's head is below what the
   * sequencer saw (within l1LagToleranceMs): nothing is decided on such a view.
   */
  private async followL1(): Promise<L1View | undefined> {
    const view = await this.watcher.observe();
    this.lastView = view;
    if (view.head.number < this.highestSeenBlock()) {
      this.behindSince ??= Date.now();
      if (Date.now() - this.behindSince < this.o.l1LagToleranceMs) return undefined;
    } else {
      this.behindSince = undefined;
    }
    const lost = this.pendingConflict ?? (await this.lostOnL1(view));
    if (lost !== undefined) {
      await this.reconcile(view, lost, true);
    } else {
      try {
        const n = await this.watcher.scan(view);
        if (n) this.o.log(`sequencer: ${n} new L1 operation(s)`);
      } catch (e) {
        if (!(e instanceof StateConflictError)) throw e;
        await this.reconcile(view, e.message, true);
      }
      const included = this.includedCount();
      if (view.batchNumber > BigInt(included)) await this.reconcile(view, `L1 holds ${view.batchNumber} batches, ${included} are recorded as included`, false);
    }
    this.markFinal(view);
    return view;
  }

  /** Why what the sequencer saw is no longer what L1 holds, or undefined if it still is. */
  private async lostOnL1(view: L1View): Promise<string | undefined> {
    const tip = this.watcher.scanned;
    if (tip && (await this.watcher.tipReplaced(view))) return `L1 block ${tip.number} (${short(tip.hash)}…) was replaced: an L1 reorganisation`;
    for (const f of this.live.values()) {
      const r = f.record;
      if (r.status !== "included" || r.l1Block! <= (tip?.number ?? -1)) continue;
      if ((await this.watcher.hashAt(r.l1Block!)) !== r.l1BlockHash) return `the L1 block of batch ${r.number} (${r.l1Block}) was replaced: an L1 reorganisation`;
    }
    const included = this.includedCount();
    if (view.batchNumber < BigInt(included)) return `the rollup on L1 is at batch ${view.batchNumber}, but ${included} batches were included`;
    const seen = this.o.store.l1OpCount();
    if (view.l1OpCount < BigInt(seen)) return `the rollup on L1 has ${view.l1OpCount} queued operations, the sequencer saw ${seen}`;
    const n = Number(view.batchNumber);
    const expected = n === 0 ? this.genesisRoot : n <= included ? this.o.store.batch(n)?.newRoot : undefined;
    if (expected !== undefined && expected !== view.stateRoot) return `the root on L1 after batch ${n} is not the one this sequencer built`;
    return undefined;
  }

  /**
   * Makes the sequencer's records match what L1 holds now (see the header). `withOps`: re-read
   * the L1 operations from the fork (a reorganisation is suspected); without it only the
   * batches are compared (a submission L1 holds but the database did not record). Everything is
   * read first and written in one database transaction: a failure half-way changes nothing, and
   * the next tick starts over.
   */
  private async reconcile(view: L1View, reason: string, withOps: boolean): Promise<void> {
    const { store } = this.o;
    this.pendingConflict = reason;
    this.o.log(`sequencer: reconciling with L1: ${reason}`);
    const { ops, B, held, foreignFrom, adopted, rewindFrom, resubmit, finalLost, lostAccounts } = await planReconciliation(this.watcher, store, view, [...this.live.keys()], withOps);

    const rewound = store.transaction(() => {
      this.watcher.applyPlan(ops);
      for (const h of held) this.writeIncluded(h.rec, h.txHash, h.block);
      for (const r of resubmit) {
        store.setBatchUnincluded(r.number);
        store.setTxStatus(r.txIds, "proven", r.number);
      }
      const gone = rewindFrom !== undefined ? this.rewindStore(rewindFrom) : [];
      this.storeAdopted(adopted);
      this.rejectOnLostAccounts(lostAccounts);
      return gone;
    });

    this.watcher.commitTip(ops);
    for (const r of [...held.map((h) => h.rec), ...resubmit]) {
      const f = this.live.get(r.number);
      if (f) {
        f.record = store.batch(r.number)!;
        f.submitting.succeeded();
      }
    }
    if (finalLost.length) {
      this.o.log(
        `sequencer: WARNING: L1 REORGANISATION DEEPER THAN THE FINALITY RULE (${describeFinality(this.o.finality)}): ` +
          `batch(es) ${finalLost.join(", ")} had been reported final and L1 no longer holds them; recovering (resubmitting or rebuilding them)`,
      );
    }
    if (adopted.length) {
      this.o.log(
        `sequencer: L1 holds batch(es) ${adopted[0]!.number}..${B} that this sequencer did not build (another submitter with the sequencer key?): ` +
          `following them from their posted data${rewound.length ? `, own batch(es) from ${rewound[0]!.number} on rebuilt on top` : ""}`,
      );
    }
    // Final batches have no checkpoint left, batches taken from L1 none yet: replaying gets them in flight.
    const why = foreignFrom !== undefined ? "L1 holds other batches at their place" : `it was built on L1 operation(s) from #${ops.firstChanged} on, which L1 no longer holds`;
    if (rewound.length) this.rewindMemory(rewound, why, finalLost.length > 0 || adopted.length > 0);
    else if (finalLost.length || adopted.length) this.rederive();
    this.reloadMempool();
    this.pendingConflict = undefined;
    this.reconciliations++;
    this.lastReconcile = {
      at: new Date().toISOString(),
      reason,
      ...(Number.isFinite(ops.firstChanged) && { l1OpsFrom: ops.firstChanged }),
      l1OpsDropped: ops.dropped.length,
      resubmitted: resubmit.map((r) => r.number),
      ...(rewindFrom !== undefined && { rewoundFrom: rewindFrom }),
      finalLost,
    };
    this.o.log(
      `sequencer: reconciled with L1 at block ${view.head.number}: L1 holds ${B} batch(es); ${ops.dropped.length} L1 operation(s) dropped, ` +
        `${ops.moved.length} in other blocks, ${resubmit.length} batch(es) to submit again${rewindFrom !== undefined ? `, rebuilding from batch ${rewindFrom}` : ""}`,
    );
  }

  /** Records L1's batches this sequencer takes over (inside the caller's transaction, after the rewind). */
  private storeAdopted(adopted: L1Batch[]): void {
    const { store, params } = this.o;
    if (!adopted.length) return;
    const prev = store.batch(adopted[0]!.number - 1);
    let l1From = prev ? prev.l1From + prev.l1Count : 0;
    for (const b of adopted) {
      const p = b.posted!;
      const feeIdx = Array.from({ length: params.feeSlots }, (_, j) => fromBytesBE(p.feeIdx.subarray(j * params.idxBytes, (j + 1) * params.idxBytes)));
      store.addBatch({
        number: b.number,
        status: "included",
        l1From,
        l1Count: b.l1Count,
        txIds: [],
        feeIdx,
        oldRoot: b.oldRoot,
        newRoot: b.newRoot,
        commitment: p.commitment,
        publicSignals: [0n, 0n], // proven by its submitter, not here
        posted: { l1Results: p.l1Results, feeIdx: p.feeIdx, txData: p.txData },
      });
      store.setBatchIncluded(b.number, b.txHash, b.block.number, b.block.hash);
      l1From += b.l1Count;
    }
  }

  /**
   * Rejects the waiting transactions (pending, or back from rewound batches) of accounts whose
   * creating deposit L1 no longer holds: that index may belong to another account now.
   */
  private rejectOnLostAccounts(lost: Set<bigint>): void {
    if (!lost.size) return;
    const hit = this.o.store.pendingTxs().filter((r) => lost.has(r.tx.from) || lost.has(r.tx.to));
    for (const r of hit) {
      const idx = lost.has(r.tx.from) ? r.tx.from : r.tx.to;
      this.o.store.setTxStatus([r.id], "rejected", null, `ACCOUNT_REORGED: account #${idx} was created by an L1 deposit that an L1 reorganisation removed (the index may be another account's now): sign again`);
    }
    if (hit.length) this.o.log(`sequencer: rejected ${hit.length} transaction(s) of account(s) ${[...lost].join(", ")}, whose deposit L1 no longer holds`);
  }

  /** Batches 1..n are included or final. */
  private includedCount(): number {
    const c = this.o.store.countBatches();
    return c.included + c.final;
  }

  /** The highest block the sequencer recorded something in. */
  private highestSeenBlock(): number {
    let h = this.watcher.scanned?.number ?? -1;
    for (const f of this.live.values()) if (f.record.l1Block !== null && f.record.l1Block > h) h = f.record.l1Block;
    return h;
  }

  /** Marks the included batches whose blocks are final now, oldest first, and lets go of their checkpoints. */
  private markFinal(view: L1View): void {
    const { store } = this.o;
    const tip = this.watcher.scanned?.number ?? -1;
    for (const n of [...this.live.keys()].sort((a, b) => a - b)) {
      const f = this.live.get(n)!;
      const block = f.record.l1Block;
      // Blocks above the tip were not covered by this tick's reorganisation check.
      if (f.record.status !== "included" || block === null || block > view.finalized || block > tip) return;
      store.transaction(() => {
        store.setBatchFinal(n);
        store.setTxStatus(f.record.txIds, "final", n);
      });
      this.state.commit(f.cp);
      this.live.delete(n);
      const next = this.lowestLive();
      this.state.forget(next ? next.cp : Number.MAX_SAFE_INTEGER);
      this.o.log(`sequencer: batch ${n} final on L1 (block ${block}, ${describeFinality(this.o.finality)})`);
    }
  }

  private lowestLive(): Live | undefined {
    const keys = [...this.live.keys()];
    return keys.length ? this.live.get(Math.min(...keys)) : undefined;
  }

  private inFlightCount(): number {
    let n = 0;
    for (const f of this.live.values()) if (f.record.status === "proving" || f.record.status === "proven") n++;
    return n;
  }

  // ---------------------------------------------------------------- batches

  /**
   * The fee accounts named in the next batch: the configured ones that exist, the first of each
   * token (a batch has one fee slot per token; a second account of a token is not used).
   */
  private feeAccounts(): bigint[] {
    const tokens = new Set<bigint>();
    return this.o.feeIdx.filter((i) => {
      const a = this.state.account(i);
      if (!a || tokens.has(a.tokenId)) return false;
      tokens.add(a.tokenId);
      return true;
    });
  }

  private feeTokens(): bigint[] {
    return this.feeAccounts().map((i) => this.state.account(i)!.tokenId);
  }

  /**
   * Build the next batch if one is due; returns whether it changed anything. Transactions are
   * tried in the mempool's order (fair queuing across senders, see mempool.ts); one the builder
   * rejects leaves the pool with its sender's later ones (their nonces can no longer apply). When
   * every candidate is rejected and no L1 operation waits, the rejections are recorded and no
   * (empty) batch is built or proven.
   */
  private buildDue(): boolean {
    const { store, params } = this.o;
    if (this.inFlightCount() >= this.o.maxInFlight || !this.rebuild.due()) return false;
    const oldest = this.pool.oldest();
    const opsWaiting = store.l1OpCount() - this.nextL1;
    if (!oldest && opsWaiting === 0) return false;
    // Queued L1 operations are due at once (deposits and forced exits should not wait);
    // transactions wait for a full batch or the timeout.
    const due = opsWaiting > 0 || this.pool.size >= params.batchSize || Date.now() - oldest!.receivedAt >= this.o.batchTimeoutMs;
    if (!due) return false;

    const number = (store.lastBatch()?.number ?? 0) + 1;
    const l1Count = Math.min(opsWaiting, params.l1Slots);
    const l1Ops = store.l1Ops(this.nextL1, l1Count);
    const l1HashStart = this.nextL1 === 0 ? 0n : store.l1Ops(this.nextL1 - 1, 1)[0].chainHash;
    const feeIdx = this.feeAccounts();
    const candidates = this.pool.candidates(params.batchSize);
    const byTx = new Map(candidates.map((r) => [r.tx, r]));
    const cp = this.state.checkpoint();
    let batch: Batch;
    let included: string[];
    let rejected: Map<string, string>;
    try {
      batch = buildBatch(this.state, { l1Ops, txs: candidates.map((r) => r.tx) }, { domain: this.domain, feeIdx, l1HashStart });
      included = batch.txs.map((t) => byTx.get(t)!.id);
      rejected = this.withFollowers(batch.rejected.map((r) => [byTx.get(r.tx)!, `${r.error.code}: ${r.error.message}`]));
      const record: NewBatch = {
        number,
        status: "proving",
        l1From: this.nextL1,
        l1Count,
        txIds: included,
        feeIdx: batch.feeIdx,
        oldRoot: batch.oldRoot,
        newRoot: batch.newRoot,
        commitment: batch.commitment,
        publicSignals: batch.publicSignals,
      };
      store.transaction(() => {
        if (included.length > 0 || l1Count > 0) {
          store.addBatch(record);
          store.setTxStatus(included, "batched", number);
        }
        for (const [id, reason] of rejected) store.setTxStatus([id], "rejected", null, reason);
      });
    } catch (e) {
      this.state.revert(cp);
      throw e;
    }
    for (const id of included) this.pool.take(id);
    for (const id of rejected.keys()) this.pool.remove(id);
    const rejections = countByCode(rejected.values());
    if (included.length === 0 && l1Count === 0) {
      this.state.revert(cp);
      this.o.log(`sequencer: ${rejected.size} transaction(s) rejected${rejections}, no batch built`);
      return true;
    }
    // The checkpoint stays open until the batch is final on L1 (markFinal), so that a
    // reorganisation can take the state back to it.
    this.nextL1 += l1Count;
    const rec = store.batch(number)!;
    this.o.log(`sequencer: built batch ${number} (${rec.txIds.length} txs, ${l1Count} L1 ops, ${rejected.size} rejected${rejections})`);
    this.track(rec, batch, cp);
    return true;
  }

  /** Rejected transactions and, after each, its sender's later pending ones (their nonces can no longer apply): id → reason. */
  private withFollowers(rejected: [TxRecord, string][]): Map<string, string> {
    const out = new Map(rejected.map(([r, why]) => [r.id, why]));
    for (const [r] of rejected) {
      for (const f of this.pool.followers(r.id)) {
        if (!out.has(f.id)) out.set(f.id, `BAD_NONCE: transaction ${r.id} (nonce ${r.tx.nonce}) of account ${r.tx.from} before it was rejected`);
      }
    }
    return out;
  }

  /** Replay a stored batch on the state (at start-up, after a deep reorganisation) and return the rebuilt batch. */
  private replay(rec: BatchRecord): Batch | undefined {
    const { store } = this.o;
    if (rec.posted) return this.replayPosted(rec);
    if (rec.l1From !== this.nextL1) throw new FatalError("WRONG_DATABASE", `batch ${rec.number} starts at L1 operation ${rec.l1From}, expected ${this.nextL1}`);
    const l1Ops: QueuedL1Op[] = store.l1Ops(rec.l1From, rec.l1Count);
    const l1HashStart = rec.l1From === 0 ? 0n : store.l1Ops(rec.l1From - 1, 1)[0].chainHash;
    const txs = store.txsByIds(rec.txIds).map((r) => r.tx);
    const batch = buildBatch(this.state, { l1Ops, txs }, { domain: this.domain, feeIdx: rec.feeIdx.filter((i) => i !== 0n), l1HashStart });
    if (batch.newRoot !== rec.newRoot || batch.txs.length !== txs.length || batch.commitment !== rec.commitment || batch.publicSignals.some((s, i) => s !== rec.publicSignals[i])) {
      throw new FatalError("WRONG_DATABASE", `replaying batch ${rec.number} does not reproduce its root: the database is inconsistent`);
    }
    this.nextL1 += rec.l1Count;
    return batch;
  }

  /**
   * The state from the stored batches alone: replays every batch, with a checkpoint before each
   * one not final yet (those are in flight again afterwards). At start-up, and after an L1
   * reorganisation deeper than the finality rule (final batches have no checkpoint left).
   */
  private rederive(): void {
    this.stateRef = new L2State(this.o.crypto, this.o.params);
    this.nextL1 = 0;
    const old = new Map(this.live);
    this.live.clear();
    for (const rec of this.o.store.batches()) {
      const cp = rec.status === "final" ? undefined : this.state.checkpoint();
      const batch = this.replay(rec);
      if (cp === undefined) continue;
      const f = this.newLive(rec, batch, cp);
      const before = old.get(rec.number);
      if (before && before.record.commitment === rec.commitment) Object.assign(f, { proving: before.proving, submitting: before.submitting });
      this.live.set(rec.number, f);
    }
    if (this.running) for (const f of this.live.values()) if (!f.proof) this.prove(f);
  }

  /**
   * Takes back batches `from`, from+1, …: the state returns to before `from` (its checkpoint, or
   * a replay if one of them was final or `replay`), their transactions go back to the mempool
   * (pending, in their original order), and the batches are deleted to be rebuilt.
   */
  private rewind(from: number, why: string, replay = false): void {
    const gone = this.o.store.transaction(() => this.rewindStore(from));
    if (gone.length) this.rewindMemory(gone, why, replay);
    this.reloadMempool();
  }

  /** rewind's database part (inside the caller's transaction); returns the batches deleted. */
  private rewindStore(from: number): BatchRecord[] {
    const { store } = this.o;
    const gone = store.batchesFrom(from);
    store.dropBatchesFrom(from);
    store.setTxStatus(
      gone.flatMap((r) => r.txIds),
      "pending",
      null,
    );
    return gone;
  }

  /** rewind's in-memory part, once the database transaction committed. */
  private rewindMemory(gone: BatchRecord[], why: string, replay: boolean): void {
    if (!replay && gone.every((r) => this.live.has(r.number))) {
      for (const r of [...gone].reverse()) {
        this.state.revert(this.live.get(r.number)!.cp);
        this.live.delete(r.number);
      }
      this.nextL1 = gone[0]!.l1From;
    } else {
      this.rederive();
    }
    const txs = gone.reduce((n, r) => n + r.txIds.length, 0);
    this.o.log(`sequencer: rewound batch(es) ${gone[0]!.number}..${gone.at(-1)!.number} (${why}): ${txs} transaction(s) back to the mempool`);
  }

  /**
   * Replays a batch taken from L1 from its posted data, and links to it the transactions of this
   * sequencer's mempool it holds (a posted transfer with the nonce it used has the id of the
   * signed one).
   */
  private replayPosted(rec: BatchRecord): undefined {
    const { store, crypto, params } = this.o;
    if (rec.l1From !== this.nextL1) throw new FatalError("WRONG_DATABASE", `batch ${rec.number} starts at L1 operation ${rec.l1From}, expected ${this.nextL1}`);
    const ids: string[] = [];
    const b = { number: BigInt(rec.number), oldRoot: rec.oldRoot, newRoot: rec.newRoot, l1Count: rec.l1Count, ...rec.posted! };
    applyPostedBatch(this.state, b, store.l1Ops(rec.l1From, rec.l1Count), (t) => {
      const id = idOf(transferId(crypto.hash, t, this.domain, params));
      if (store.tx(id)) ids.push(id);
    });
    this.nextL1 += rec.l1Count;
    if (ids.join() !== rec.txIds.join()) {
      store.transaction(() => {
        store.setBatchTxIds(rec.number, ids);
        store.setTxStatus(ids, rec.status === "final" ? "final" : "included", rec.number);
      });
      rec.txIds = ids;
    }
    return undefined;
  }

  private newLive(record: BatchRecord, batch: Batch | undefined, cp: number): Live {
    return { record, batch, cp, proof: (record.proof as ProofResult | null) ?? undefined, provingNow: false, proving: this.retry(), submitting: this.retry() };
  }

  /** Follow a newly built batch until it is final: prove it, then submission picks it up. */
  private track(record: BatchRecord, batch: Batch, cp: number): void {
    const f = this.newLive(record, batch, cp);
    this.live.set(record.number, f);
    this.prove(f);
  }

  /** Hands the batch to the proving backend; a failure is retried with backoff (retryProofs). */
  private prove(f: Live): void {
    const { record, batch } = f;
    if (!batch || f.proof || record.status !== "proving") return;
    const id = `batch-${record.number}-${record.commitment.toString(16).slice(0, 16)}`;
    f.provingNow = true;
    f.proving.started();
    this.o.prover
      .submit({ id, input: batch.circuitInput, expectedPublicSignals: batch.publicSignals })
      .then(() => this.o.prover.result(id))
      .then(
        (proof) => {
          f.provingNow = false;
          if (this.live.get(record.number) !== f) return; // rewound meanwhile
          const { store } = this.o;
          const stored = store.transaction(() => {
            if (!store.setBatchProven(record.number, record.commitment, { proof: proof.proof, publicSignals: proof.publicSignals, proveMs: proof.proveMs, witnessMs: proof.witnessMs })) return false;
            store.setTxStatus(record.txIds, "proven", record.number);
            return true;
          });
          if (!stored) return;
          record.status = "proven";
          f.proof = proof;
          f.proving.succeeded();
          this.o.log(`sequencer: batch ${record.number} proven in ${(proof.proveMs / 1000).toFixed(1)} s`);
        },
        (e: Error) => {
          f.provingNow = false;
          if (this.live.get(record.number) !== f) return;
          const delay = f.proving.fail(e);
          this.lastError = `proving batch ${record.number}: ${e.message}`;
          this.o.log(`sequencer: ${this.lastError}; attempt ${f.proving.attempts} failed, retrying in ${(delay / 1000).toFixed(1)} s`);
        },
      )
      .catch((e: Error) => this.o.log(`sequencer: recording the proof of batch ${record.number}: ${e.message}`));
  }

  /** Proofs that failed and whose backoff has passed are tried again. */
  private retryProofs(): void {
    for (const f of this.live.values()) {
      if (f.record.status === "proving" && !f.provingNow && f.proving.failures > 0 && f.proving.due()) this.prove(f);
    }
  }

  // ---------------------------------------------------------------- submission

  /** Submit proven batches in order, as long as the next one is proven. */
  private async submitReady(): Promise<void> {
    for (;;) {
      const f = [...this.live.values()].sort((a, b) => a.record.number - b.record.number).find((x) => x.record.status !== "included");
      if (!f?.proof || !f.batch || !f.submitting.due() || !this.running) return;
      try {
        if (!(await this.submitOne(f))) return;
      } catch (e) {
        const err = classifyL1Error(e, this.o.rollup.interface, `submitting batch ${f.record.number}`);
        if (err.kind === "fatal") throw err;
        this.lastError = err.message;
        if (err.kind === "transient") {
          const delay = f.submitting.fail(err);
          this.o.log(`sequencer: ${err.message}; retrying in ${(delay / 1000).toFixed(1)} s`);
          return;
        }
        await this.onConflict(f, err as StateConflictError);
        return;
      }
    }
  }

  /** Submits one proven batch; true once L1 includes it, false if it is not its turn after all. */
  private async submitOne(f: Live): Promise<boolean> {
    const { rollup, store } = this.o;
    const n = f.record.number;
    const [onL1, root] = await Promise.all([rollup.batchNumber(), rollup.stateRoot()]);
    if (onL1 >= BigInt(n)) return false; // L1 already holds it (mined after a restart): the next tick reconciles
    if (await this.earlierSubmissionPending(f)) throw new TransientError("SUBMISSION_PENDING", `the transaction ${f.record.l1TxHash} that submitted batch ${n} is not mined yet`);
    if (onL1 + 1n !== BigInt(n)) throw new StateConflictError("L1_MOVED", `L1 is at batch ${onL1}: batch ${n} cannot follow it`);
    if (root !== f.record.oldRoot) throw new StateConflictError("L1_MOVED", `the root on L1 is not the one batch ${n} was built on`);
    // The public inputs L1 derives from its own state (root, queue hash) must be the batch's.
    if (!(await this.inputsMatch(f))) throw new StateConflictError("L1_MOVED", `the public inputs L1 derives for batch ${n} are not its own: L1's queue of operations changed`);
    // Never submit a proof that was not checked here, whatever the backend says.
    if (!samePublicSignals(f.proof!.publicSignals, f.record.publicSignals) || !(await groth16.verify(this.vkey, f.proof!.publicSignals, f.proof!.proof))) {
      throw new FatalError("WRONG_DEPLOYMENT", `the stored proof of batch ${n} does not verify with this sequencer's verification key: the sequencer runs with another setup than the one that proved it`);
    }
    f.submitting.started();
    let receiptBlock: BlockRef;
    let txHash: string;
    let gas: bigint;
    try {
      const tx = await sendBatch(rollup, f.batch!, f.proof!);
      store.setBatchSent(n, tx.hash);
      this.o.log(`sequencer: submitting batch ${n} (transaction ${tx.hash})`);
      const receipt = await tx.wait(1, this.o.submitTimeoutMs);
      if (!receipt || receipt.status !== 1) throw new StateConflictError("REVERTED", `submitting batch ${n}: transaction ${tx.hash} reverted`);
      receiptBlock = { number: receipt.blockNumber, hash: receipt.blockHash };
      txHash = receipt.hash;
      gas = receipt.gasUsed;
    } catch (e) {
      // L1 checked the proof against inputs it derived itself and refused it: if those inputs are
      // the batch's (in the latest and the pending state), the rollup's verifier is not this setup's.
      if (revertName(e, rollup.interface) === "InvalidProof" && (await this.inputsMatch(f, "latest")) && (await this.inputsMatch(f, "pending"))) {
        throw new FatalError("WRONG_DEPLOYMENT", `the rollup's verifier rejects the proof of batch ${n}, which verifies with this sequencer's verification key for the inputs L1 derives: the deployment's verifier is not from this setup`, { cause: e });
      }
      throw e;
    }
    this.markIncluded(f.record, txHash, receiptBlock);
    this.rebuild.succeeded();
    this.o.log(`sequencer: batch ${n} included in L1 block ${receiptBlock.number} (gas ${gas}); final after ${describeFinality(this.o.finality)}`);
    return true;
  }

  /** Whether the public signals L1 derives for the batch now are the ones it was proven for. */
  private async inputsMatch(f: Live, blockTag: "latest" | "pending" = "latest"): Promise<boolean> {
    try {
      return samePublicSignals((await batchInputsOnL1(this.o.rollup, f.batch!, blockTag)).map(String), f.record.publicSignals);
    } catch (e) {
      if (revertName(e, this.o.rollup.interface) === undefined) throw e;
      return false; // the data does not even fit L1's queue now (TooManyL1Ops)
    }
  }

  /**
   * Whether a transaction that submitted this batch earlier (before a restart, or one whose wait
   * timed out) may still be mined: then it is waited for, not sent again.
   */
  private async earlierSubmissionPending(f: Live): Promise<boolean> {
    const hash = f.record.l1TxHash;
    if (!hash) return false;
    const tx = await this.o.rollup.runner!.provider!.getTransaction(hash);
    return tx !== null && tx.blockNumber === null;
  }

  /**
   * L1 is not in the state the batch assumed: re-read L1 and reconcile (which rewinds the batch if
   * an L1 operation it consumed is gone). If the batch survives that unchanged:
   * - L1 refused it by a rule of its own (a custom error other than the public inputs or the
   *   queue length not matching, e.g. one that requires consuming the queue faster): rewind it
   *   and rebuild it on the current state, after a backoff so that a rule that keeps failing does
   *   not become a loop;
   * - otherwise (the state the node simulated differed from the one read: a transaction of ours
   *   still pending, a node behind): submit it again after a backoff.
   */
  private async onConflict(f: Live, err: StateConflictError): Promise<void> {
    const n = f.record.number;
    this.o.log(`sequencer: ${err.message}; reconciling with L1`);
    await this.reconcile(await this.watcher.observe(), err.message, true);
    if (this.live.get(n) !== f || f.record.status === "included") return;
    if (err.revert !== undefined && !STATE_MISMATCH_REVERTS.has(err.revert)) {
      const delay = this.rebuild.fail(err);
      this.rewind(n, `L1 does not accept it as it is: ${err.message}`);
      this.o.log(`sequencer: rebuilding batch ${n} on the current L1 state in ${(delay / 1000).toFixed(1)} s`);
      return;
    }
    const delay = f.submitting.fail(err);
    this.o.log(`sequencer: batch ${n} still applies to L1; submitting it again in ${(delay / 1000).toFixed(1)} s`);
  }

  /** Records that L1 holds batch `rec` in `block`. */
  private markIncluded(rec: BatchRecord, txHash: string, block: BlockRef): void {
    this.o.store.transaction(() => this.writeIncluded(rec, txHash, block));
    const f = this.live.get(rec.number);
    if (f) {
      f.record = this.o.store.batch(rec.number)!;
      f.submitting.succeeded();
    }
  }

  private writeIncluded(rec: BatchRecord, txHash: string, block: BlockRef): void {
    this.o.store.setBatchIncluded(rec.number, txHash, block.number, block.hash);
    this.o.store.setTxStatus(rec.txIds, "included", rec.number);
  }
}
