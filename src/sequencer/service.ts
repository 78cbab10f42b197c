// The sequencer: accepts signed L2 transactions into a persistent mempool, watches L1 for
// queued operations, builds batches (on size or timeout), hands them to the proving backend,
// submits proven batches to the Rollup contract strictly in order, and follows each one until
// L1 holds it for good.
//
// Components, one concern each, all driven by the one loop here (tick):
//   L1Watcher      (watcher.ts)    L1's head, final height, the rollup's position, the queued L1
//                                  operations and the batches L1 holds;
//   Reconciler     (reconcile.ts)  whether what was seen is still what L1 holds, and making the
//                                  records match L1 when it is not;
//   Admission, Mempool (admission.ts, mempool.ts)  the rules a transaction must meet to wait,
//                                  and the pending transactions in batch order;
//   BatchPlanner   (planner.ts)    when the next batch is sealed and what goes in it;
//   ProofTracker   (proofs.ts)     jobs out to the proving backend, proofs back, retries;
//   Submitter      (submitter.ts)  proven batches to L1 in order: send, wait, decode the revert;
//   Ledger         (ledger.ts)     the L2 state, the batches not final yet with their state
//                                  checkpoints, replay and rewind, finality.
//
// One pass of the loop: follow L1 (read it; reconcile if it no longer matches what was recorded
// — an L1 reorganisation, a submission mined after a restart, batches of another submitter;
// read new L1 operations; mark batches final), build every batch that is due, retry the proofs
// whose backoff passed, submit what is proven. Batch N+1 is built and proved while N is in
// flight; submission waits for N before N+1. Every batch not final yet keeps a state checkpoint
// (src/model/state.ts), so the state can go back to any of them.
//
// When they differ from L1 the sequencer reconciles (reconcile.ts): L1 operations no longer
// there are dropped and re-read from the fork; batches L1 lost that still apply go back to
// "proven" and are submitted again with their proofs; batches built on a lost operation are
// rewound (state back to their checkpoint, their transactions back to the mempool in their
// original order, where the next batch re-validates them) and rebuilt. Failures are classified
// (src/sequencer/errors.ts): transient ones are retried with exponential backoff, conflicts
// reconcile, fatal ones stop the sequencer with the reason (`halted`).
import { readFileSync } from "node:fs";
import type { ZkrCrypto } from "../model/crypto.js";
import type { RollupContract } from "../chain/deploy.js";
import { DEFAULT_MAX_LOG_RANGE, logWindow } from "../chain/logs.js";
import type { DerivedParams } from "../model/params.js";
import type { Domain } from "../model/tx.js";
import { holdCurve } from "../proving/curve.js";
import type { ProofQueue } from "../prover/queue.js";
import type { SignatureVerifierPool } from "../proving/signaturePool.js";
import { Admission } from "./admission.js";
import { classifyL1Error, FatalError, Retry, StateConflictError } from "./errors.js";
import { describeFinality, type Finality, FINALIZED, finalizedHeight } from "./finality.js";
import { Ledger, type LiveBatch } from "./ledger.js";
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_PER_SENDER, Mempool } from "./mempool.js";
import { BatchPlanner } from "./planner.js";
import { ProofTracker } from "./proofs.js";
import { Reconciler } from "./reconcile.js";
import type { SequencerStore, TxRecord } from "./store.js";
import { MAX_TX_GAS, refusedByRule, Submitter } from "./submitter.js";
import { L1Watcher, type L1View } from "./watcher.js";

export { type MempoolCode, SubmitError } from "./admission.js";

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
  /** Proven batches per submitBatches transaction, at most (default 8; 1: one submitBatch per batch). */
  maxAggregate?: number;
  /**
   * How long a proven batch may wait for the proofs of the batches after it, so that they go to
   * L1 together (default 0: a run is sent as soon as its first batch is proven). It waits only
   * while the run is shorter than maxAggregate and the next batch is being proven.
   */
  aggregateWaitMs?: number;
  /**
   * The most gas one submission may have (default 2^24, Fusaka's per-transaction cap, EIP-7825;
   * a chain with another cap sets its own). A run is also kept under half the block gas limit;
   * a single batch goes whatever its gas.
   */
  maxTxGas?: bigint;
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
  /** Bound of the L2 state's caches in entries (default src/sequencer/statedb.ts DEFAULT_STATE_CACHE). */
  stateCache?: number;
  /**
   * Worker threads that check the signatures of submissions and compute the Merkle hashing of the
   * batches built (without: both on the service's thread). The caller closes it.
   */
  signaturePool?: SignatureVerifierPool;
  log?: (msg: string) => void;
}

export class Sequencer {
  /** Resolves with the error (its code and reason) once a fatal error stopped the sequencer. */
  readonly halted: Promise<FatalError>;
  private readonly o: Required<Omit<SequencerOptions, "log" | "stateCache" | "signaturePool">> &
    Pick<SequencerOptions, "stateCache"> & { log: (m: string) => void };
  private readonly ledger: Ledger;
  /** Pending transactions (loaded at start, kept by admission and the planner, reloaded after a reconciliation). */
  private readonly pool: Mempool;
  private readonly admission: Admission;
  private readonly planner: BatchPlanner;
  private readonly proofs: ProofTracker;
  private readonly submitter: Submitter;
  private watcher!: L1Watcher;
  private reconciler!: Reconciler;
  private timer?: NodeJS.Timeout;
  private running = false;
  private ticking?: Promise<void>;
  private lastError?: string;
  private fatalErr?: FatalError;
  private resolveHalted!: (err: FatalError) => void;
  /** Failed ticks (L1 unreachable, …): the loop backs off. */
  private readonly tickRetry: Retry;
  /** Rebuilds after L1 rejected a batch: the next batch waits. */
  private readonly rebuild: Retry;
  /** Since when the node's head is below the highest block the sequencer saw. */
  private behindSince?: number;
  private lastView?: L1View;
  private releaseCurve?: () => Promise<void>;
  private readonly signaturePool?: SignatureVerifierPool;
  /** Batches built and not yet handed to the proving backend (proveBuilt). */
  private readonly toProve: LiveBatch[] = [];

  constructor(opts: SequencerOptions) {
    this.signaturePool = opts.signaturePool;
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as SequencerOptions;
    this.o = {
      feeIdx: [],
      batchTimeoutMs: 2000,
      maxInFlight: 4,
      maxAggregate: 8,
      aggregateWaitMs: 0,
      maxTxGas: MAX_TX_GAS,
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
    const o = this.o;
    o.feeIdx = [...new Set(o.feeIdx)];
    if (o.feeIdx.length > opts.params.feeSlots) {
      throw new FatalError(
        "BAD_CONFIG",
        `${o.feeIdx.length} fee accounts given, instance ${opts.params.name} has ${opts.params.feeSlots} fee slot(s) per batch`,
      );
    }
    for (const [what, v] of [
      ["maxPending", o.maxPending],
      ["maxPendingPerSender", o.maxPendingPerSender],
      ["maxAggregate", o.maxAggregate],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new FatalError("BAD_CONFIG", `${what} must be a positive integer, got ${v}`);
    }
    if (!Number.isSafeInteger(o.aggregateWaitMs) || o.aggregateWaitMs < 0)
      throw new FatalError("BAD_CONFIG", `aggregateWaitMs must be a non-negative integer, got ${o.aggregateWaitMs}`);
    if (typeof o.maxTxGas !== "bigint" || o.maxTxGas <= 0n)
      throw new FatalError("BAD_CONFIG", `maxTxGas must be a positive gas amount, got ${String(o.maxTxGas)}`);
    const onError = (m: string) => (this.lastError = m);
    const minFee = (token: bigint) => o.minFee.get(token) ?? 0n;
    this.tickRetry = this.retry();
    this.rebuild = this.retry();
    this.ledger = new Ledger({
      crypto: o.crypto,
      params: o.params,
      store: o.store,
      finality: o.finality,
      retry: () => this.retry(),
      onRederived: () => {
        if (this.running) this.proofs.proveAll();
      },
      stateCache: o.stateCache,
      log: o.log,
    });
    this.pool = new Mempool(minFee);
    this.admission = new Admission({
      crypto: o.crypto,
      params: o.params,
      store: o.store,
      ledger: this.ledger,
      pool: this.pool,
      feeIdx: o.feeIdx,
      maxPending: o.maxPending,
      maxPendingPerSender: o.maxPendingPerSender,
      minFee,
      verifySignatures: this.signaturePool && ((checks) => this.signaturePool!.verify(checks)),
    });
    this.planner = new BatchPlanner({
      params: o.params,
      store: o.store,
      ledger: this.ledger,
      pool: this.pool,
      feeIdx: o.feeIdx,
      batchTimeoutMs: o.batchTimeoutMs,
      maxInFlight: o.maxInFlight,
      rebuild: this.rebuild,
      signatureOf: (tx) => this.admission.signatureOf(tx),
      hashTree: this.signaturePool && ((plan) => this.signaturePool!.hashTree(plan)),
      reloadPool: () => this.reloadMempool(),
      whileHashing: () => this.proveBuilt(),
      log: o.log,
    });
    this.proofs = new ProofTracker({ queue: o.prover, store: o.store, ledger: this.ledger, onError, log: o.log });
    this.submitter = new Submitter({
      rollup: o.rollup,
      store: o.store,
      ledger: this.ledger,
      vkey: JSON.parse(readFileSync(o.prover.setup.vkey, "utf8")),
      finality: o.finality,
      submitTimeoutMs: o.submitTimeoutMs,
      maxAggregate: o.maxAggregate,
      aggregateWaitMs: o.aggregateWaitMs,
      maxTxGas: o.maxTxGas,
      onIncluded: () => this.rebuild.succeeded(),
      onError,
      log: o.log,
    });
    this.halted = new Promise((resolve) => (this.resolveHalted = resolve));
  }

  /** The chain id and rollup address transactions are signed for (known once started). */
  get domain(): Domain {
    return this.ledger.domain;
  }

  /** The L2 state after every batch built (a reorganisation may replace it: read it through this getter). */
  get state() {
    return this.ledger.state;
  }

  /** The error that stopped the sequencer, if one did. */
  get fatalError(): FatalError | undefined {
    return this.fatalErr;
  }

  /** Read the state from the database, replay the batches not final yet and resume them; the loop then reconciles with L1. */
  async start(): Promise<void> {
    const { rollup, store } = this.o;
    const provider = rollup.runner!.provider!;
    const chainId = (await provider.getNetwork()).chainId;
    this.ledger.domain = { chainId, rollupAddress: BigInt(await rollup.getAddress()) };
    const known = store.getMeta("rollup");
    if (known && BigInt(known) !== this.domain.rollupAddress) {
      throw new FatalError("WRONG_DATABASE", `the database belongs to rollup ${known}, not ${await rollup.getAddress()}`);
    }
    store.setMeta("rollup", this.domain.rollupAddress.toString());
    await finalizedHeight(provider, this.o.finality, 0); // a node without the finalized tag: stop here
    const genesisRoot = await rollup.genesisRoot();
    this.watcher = new L1Watcher(rollup, store, this.o.crypto.hash, this.o.fromBlock, this.o.finality, logWindow(this.o.maxLogRange));
    this.reconciler = new Reconciler({
      params: this.o.params,
      store,
      watcher: this.watcher,
      ledger: this.ledger,
      finality: this.o.finality,
      genesisRoot,
      reloadMempool: () => this.reloadMempool(),
      log: this.o.log,
    });

    this.ledger.rederive();
    const onChain = await rollup.batchNumber();
    const last = store.lastBatch()?.number ?? 0;
    if (BigInt(last) < onChain) this.o.log(`sequencer: L1 holds ${onChain} batches, the database ${last}: taking the others from L1`);
    this.reloadMempool();
    this.o.log(
      `sequencer: state of batch ${this.ledger.storedAsOf} read from the database, ${this.ledger.replayed} later batch(es) replayed (${last} stored): ` +
        `${this.state.size} accounts, ${this.pool.size} pending transactions, root ${this.state.root}; final when ${describeFinality(this.o.finality)}`,
    );
    this.releaseCurve = holdCurve(); // proofs are verified here too: keep snarkjs's curve until stop()
    this.running = true;
    this.proofs.proveAll();
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

  // ---------------------------------------------------------------- mempool (the API's)

  /**
   * Validate and persist a signed transfer or exit (JSON as the API receives it): admission.ts.
   * Resolves once it is on disk (the store's group commit); rejects with a SubmitError if refused.
   */
  submitTx(body: unknown): Promise<TxRecord> {
    return this.admission.submit(body);
  }

  /** The transaction's record with its status. */
  txStatus(id: string): TxRecord | undefined {
    return this.o.store.tx(id.toLowerCase());
  }

  /** Nonce a new transaction of `index` must use, counting its pending ones. */
  nextNonce(index: bigint): bigint | undefined {
    return this.admission.nextNonce(index);
  }

  /**
   * Replace the in-memory mempool with the store's pending transactions (at start; after anything
   * that moves transactions back to pending or out of it: a reconciliation with L1, a rewind).
   */
  reloadMempool(): void {
    this.admission.reload();
  }

  /** Service status; its cost does not depend on the number of transactions or batches (counts kept by the store). */
  status() {
    const counts = this.o.store.countBatches();
    const now = Date.now();
    const v = this.lastView;
    const r = this.reconciler;
    return {
      chainId: this.domain.chainId.toString(),
      rollup: "0x" + this.domain.rollupAddress.toString(16).padStart(40, "0"),
      instance: this.o.params.name,
      crypto: this.o.crypto.engine,
      stateRoot: this.state.root.toString(),
      accounts: this.state.size,
      l1OpsKnown: this.o.store.l1OpCount(),
      l1OpsConsumed: this.ledger.nextL1,
      txs: this.o.store.countTxs(),
      mempool: {
        pending: this.pool.size,
        senders: this.pool.senderCount,
        maxPending: this.o.maxPending,
        maxPendingPerSender: this.o.maxPendingPerSender,
        minFee: Object.fromEntries([...this.o.minFee].map(([t, f]) => [t.toString(), f.toString()])),
        checking: this.admission.inFlightCount,
        signatures: this.signaturePool ? ("worker threads" as const) : ("service thread" as const),
        groupCommits: { ...this.o.store.commits },
      },
      finality: describeFinality(this.o.finality),
      l1: v && { head: v.head.number, finalized: v.finalized, scanned: this.watcher.scanned?.number ?? null, batchNumber: Number(v.batchNumber) },
      batches: {
        total: counts.proving + counts.proven + counts.included + counts.final,
        included: counts.included,
        final: counts.final,
        /** Batches built and not final yet, oldest first. */
        inFlight: [...this.ledger.live.values()].map((f) => ({
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
      reconciliations: { count: r?.count ?? 0, ...(r?.last && { last: r.last }) },
      ...(this.proofs.last && { lastProof: this.proofs.last }),
      ...(this.rebuild.failures > 0 && { rebuild: this.rebuild.view(now) }),
      lastError: this.lastError,
      ...(this.fatalErr !== undefined && { fatal: this.fatalErr.message, fatalCode: this.fatalErr.code }),
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
      this.halt(err as FatalError);
      return 0;
    }
    this.lastError = err.message;
    if (err.kind === "conflict") this.reconciler.pending = err.message;
    const delay = this.tickRetry.fail(err);
    this.o.log(`sequencer: ${err.message}; ${err.kind === "conflict" ? "reconciling with L1" : "retrying"} in ${(delay / 1000).toFixed(1)} s`);
    return Math.max(this.o.pollMs, delay);
  }

  /** Stops for good (configuration): loudly, with the reason in the status and `halted`. */
  private halt(err: FatalError): void {
    this.fatalErr = err;
    this.lastError = err.message;
    this.running = false;
    this.o.log(`sequencer: FATAL: ${err.message}; the sequencer stopped`);
    this.resolveHalted(err);
  }

  /**
   * One pass: follow L1, build what is due, retry proofs, submit what is proven (and reconcile
   * if L1 did not take it). Public for tests.
   */
  async tick(): Promise<void> {
    if (this.fatalErr !== undefined) return;
    const view = await this.followL1();
    try {
      while (this.running && (await this.buildDue()));
    } finally {
      this.proveBuilt();
    }
    this.proofs.retryDue();
    if (!view) return;
    const conflict = await this.submitter.submitReady(() => this.running);
    if (conflict) await this.onConflict(conflict.f, conflict.err);
  }

  /** Wait until every accepted transaction and queued operation is final on L1. */
  async drain(timeoutMs = 600_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      if (this.fatalErr !== undefined) throw new Error(`the sequencer stopped: ${this.fatalErr.message}`);
      const c = this.o.store.countTxs();
      if (c.pending + c.batched + c.proven + c.included === 0 && this.ledger.live.size === 0 && this.ledger.nextL1 === this.o.store.l1OpCount()) {
        const onChainOps = await this.o.rollup.l1OpCount();
        if (BigInt(this.ledger.nextL1) === onChainOps) return;
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`sequencer did not drain in ${timeoutMs} ms: ${JSON.stringify(this.status())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Reads L1, checks what was seen against it (reconciling when it no longer matches), reads new
   * L1 operations and marks final batches. Undefined while the node's head is below what the
   * sequencer saw (within l1LagToleranceMs): nothing is decided on such a view.
   */
  private async followL1(): Promise<L1View | undefined> {
    const { watcher, reconciler, ledger } = this;
    const view = await watcher.observe();
    this.lastView = view;
    if (view.head.number < ledger.highestSeenBlock(watcher.scanned?.number ?? -1)) {
      this.behindSince ??= Date.now();
      if (Date.now() - this.behindSince < this.o.l1LagToleranceMs) return undefined;
    } else {
      this.behindSince = undefined;
    }
    const lost = reconciler.pending ?? (await reconciler.divergence(view));
    if (lost !== undefined) {
      await reconciler.reconcile(view, lost, true);
    } else {
      try {
        const n = await watcher.scan(view);
        if (n) this.o.log(`sequencer: ${n} new L1 operation(s)`);
      } catch (e) {
        if (!(e instanceof StateConflictError)) throw e;
        await reconciler.reconcile(view, e.message, true);
      }
      const included = ledger.includedCount();
      if (view.batchNumber > BigInt(included))
        await reconciler.reconcile(view, `L1 holds ${view.batchNumber} batches, ${included} are recorded as included`, false);
    }
    ledger.markFinal(view, watcher.scanned?.number ?? -1);
    return view;
  }

  /** Builds the next batch if the planner says one is due and has it proved; whether anything changed. */
  private async buildDue(): Promise<boolean> {
    const built = await this.planner.buildDue();
    if (built === undefined) return false;
    if (built !== "rejected") this.toProve.push(this.ledger.track(built.record, built.batch, built.cp));
    return true;
  }

  /**
   * Hands the batches built to the proving backend. The planner calls it while the next batch's
   * hashing runs on a worker, so that this thread's part of the handing over (the circuit input
   * as JSON, its digest) overlaps that hashing; the loop calls it once no batch is due.
   */
  private proveBuilt(): void {
    for (const f of this.toProve.splice(0)) if (this.ledger.isCurrent(f)) this.proofs.prove(f);
  }

  /**
   * L1 did not take batch `f`: re-read L1 and reconcile (which rewinds the batch if an L1
   * operation it consumed is gone). If the batch survives that unchanged, it is rebuilt on the
   * current state after a backoff when L1 refused it by a rule of its own (refusedByRule), and
   * submitted again after a backoff otherwise.
   */
  private async onConflict(f: LiveBatch, err: StateConflictError): Promise<void> {
    const n = f.record.number;
    this.o.log(`sequencer: ${err.message}; reconciling with L1`);
    await this.reconciler.reconcile(await this.watcher.observe(), err.message, true);
    if (!this.ledger.isCurrent(f) || f.record.status === "included") return;
    if (refusedByRule(err)) {
      const delay = this.rebuild.fail(err);
      this.rewind(n, `L1 does not accept it as it is: ${err.message}`);
      this.o.log(`sequencer: rebuilding batch ${n} on the current L1 state in ${(delay / 1000).toFixed(1)} s`);
      return;
    }
    const delay = f.submitting.fail(err);
    this.o.log(`sequencer: batch ${n} still applies to L1; submitting it again in ${(delay / 1000).toFixed(1)} s`);
  }

  /** Takes back batches `from`, from+1, …: the state returns to before `from`, their transactions go back to the mempool, the batches are deleted to be rebuilt. */
  private rewind(from: number, why: string): void {
    const gone = this.o.store.transaction(() => this.ledger.rewindStore(from));
    if (gone.length) this.ledger.rewindMemory(gone, why, false);
    this.reloadMempool();
  }
}
