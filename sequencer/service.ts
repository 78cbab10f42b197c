// The sequencer: accepts signed L2 transactions into a persistent mempool, watches L1 for
// queued operations, builds batches (on size or timeout), hands them to the proving backend,
// and submits proven batches to the Rollup contract strictly in order.
//
// Pipeline per batch: built (state advanced, persisted as "proving") → proven (proof stored)
// → final (accepted on L1). Consecutive batches are proved concurrently when the backend has
// several workers; submission waits for batch N before N+1. On start the L2 state is rebuilt
// by replaying the stored batches, and every unfinished batch resumes where it stopped.
import { MAX_BALANCE, type Account } from "../lib/account.js";
import { buildBatch, type Batch } from "../lib/batch.js";
import type { ZkrCrypto } from "../lib/crypto.js";
import { readL1Ops, type RollupContract } from "../lib/deploy.js";
import type { QueuedL1Op } from "../lib/l1.js";
import type { DerivedParams } from "../lib/params.js";
import { L2State, TxRejectedError, type RejectCode } from "../lib/state.js";
import { transferFromJSON, transferId, TxFormatError, type Domain, type SignedTransfer } from "../lib/tx.js";
import { readFileSync } from "node:fs";
import { groth16 } from "snarkjs";
import type { ProofResult } from "../prover/prover.js";
import type { ProofQueue } from "../prover/queue.js";
import { holdCurve } from "../lib/setup.js";
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_PER_SENDER, Mempool, QueuedFeeDeposits } from "./mempool.js";
import { checkInSync, samePublicSignals, submitProvenBatch } from "./operator.js";
import type { BatchRecord, SequencerStore, TxRecord } from "./store.js";

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
  /** Batches built but not yet final, at most. */
  maxInFlight?: number;
  /** How often the loop looks at L1 and the mempool. */
  pollMs?: number;
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

interface InFlight {
  record: BatchRecord;
  batch?: Batch;
  proof?: ProofResult;
  error?: Error;
}

/** " (FEE_ACCOUNT_FULL 1, BAD_NONCE 2)" for reasons "CODE: message", or "" for none. */
function countByCode(reasons: Iterable<string>): string {
  const n = new Map<string, number>();
  for (const r of reasons) n.set(r.split(":")[0]!, (n.get(r.split(":")[0]!) ?? 0) + 1);
  return n.size ? ` (${[...n].map(([code, k]) => `${code} ${k}`).join(", ")})` : "";
}

const idOf = (m: bigint) => "0x" + m.toString(16).padStart(64, "0");

export class Sequencer {
  readonly state: L2State;
  domain!: Domain;
  private readonly o: Required<Omit<SequencerOptions, "log">> & { log: (m: string) => void };
  /** Pending transactions (loaded at start, kept by submitTx and buildDue). */
  private readonly pool: Mempool;
  private readonly feeDeposits: QueuedFeeDeposits;
  private readonly inFlight = new Map<number, InFlight>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private ticking?: Promise<void>;
  private l1ScannedBlock = -1;
  /** Queue index of the next L1 operation a new batch consumes. */
  private nextL1 = 0;
  private lastError?: string;

  private readonly vkey: unknown;
  private releaseCurve?: () => Promise<void>;

  constructor(opts: SequencerOptions) {
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as SequencerOptions;
    this.o = {
      feeIdx: [],
      batchTimeoutMs: 2000,
      maxInFlight: 4,
      pollMs: 500,
      maxPending: DEFAULT_MAX_PENDING,
      maxPendingPerSender: DEFAULT_MAX_PENDING_PER_SENDER,
      minFee: new Map(),
      log: () => {},
      ...given,
    };
    this.o.feeIdx = [...new Set(this.o.feeIdx)];
    if (this.o.feeIdx.length > opts.params.feeSlots) {
      throw new Error(`${this.o.feeIdx.length} fee accounts given, instance ${opts.params.name} has ${opts.params.feeSlots} fee slot(s) per batch`);
    }
    for (const [what, v] of [["maxPending", this.o.maxPending], ["maxPendingPerSender", this.o.maxPendingPerSender]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`);
    }
    this.state = new L2State(opts.crypto, opts.params);
    this.pool = new Mempool((token) => this.minFee(token));
    this.feeDeposits = new QueuedFeeDeposits(opts.store, this.o.feeIdx);
    this.vkey = JSON.parse(readFileSync(opts.prover.setup.vkey, "utf8"));
  }

  /** Rebuild the state from the database, reconcile with L1, resume unfinished batches. */
  async start(): Promise<void> {
    const { rollup, store } = this.o;
    const chainId = (await rollup.runner!.provider!.getNetwork()).chainId;
    this.domain = { chainId, rollupAddress: BigInt(await rollup.getAddress()) };
    const known = store.getMeta("rollup");
    if (known && BigInt(known) !== this.domain.rollupAddress) {
      throw new Error(`the database belongs to rollup ${known}, not ${await rollup.getAddress()}`);
    }
    store.setMeta("rollup", this.domain.rollupAddress.toString());
    this.l1ScannedBlock = Number(store.getMeta("l1ScannedBlock") ?? this.o.fromBlock - 1);

    const onChain = await rollup.batchNumber();
    const batches = store.batches(); // the one pass over the history
    let lastFinal: BatchRecord | undefined;
    for (const rec of batches) {
      const batch = this.replay(rec);
      if (rec.status !== "final" && BigInt(rec.number) <= onChain) {
        // Submitted before a crash, but the crash came before we recorded it.
        store.transaction(() => {
          store.setBatchFinal(rec.number, rec.l1TxHash ?? "unknown (recovered after restart)");
          store.setTxStatus(rec.txIds, "final", rec.number);
        });
        rec.status = "final";
      }
      if (rec.status !== "final") this.track(rec, batch);
      else lastFinal = rec;
    }
    const last = batches.at(-1);
    if (BigInt(last?.number ?? 0) < onChain) {
      throw new Error(`L1 has ${onChain} batches but the database only ${last?.number ?? 0}: wrong database for this rollup`);
    }
    const root = await rollup.stateRoot();
    const expectedRoot = lastFinal ? lastFinal.newRoot : await rollup.genesisRoot();
    if (root !== expectedRoot) throw new Error(`root on L1 ${root} is not the root of the last final batch ${expectedRoot}`);
    this.reloadMempool();
    this.o.log(`sequencer: state rebuilt from ${batches.length} batches, ${this.state.size} accounts, ${this.pool.size} pending transactions, root ${this.state.root}`);
    this.releaseCurve = holdCurve(); // proofs are verified here too: keep snarkjs's curve until stop()
    this.running = true;
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

  /** Replace the in-memory mempool with the store's pending transactions (at start; after anything that moves transactions back to pending). */
  reloadMempool(): void {
    this.pool.load(this.o.store.pendingTxs(), (i) => this.state.account(i)?.tokenId);
  }

  private minFee(token: bigint): bigint {
    return this.o.minFee.get(token) ?? 0n;
  }

  /** Service status; its cost does not depend on the number of transactions or batches (counts kept by the store). */
  status() {
    const batches = this.o.store.countBatches();
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
      batches: {
        total: Object.values(batches).reduce((a, b) => a + b, 0),
        final: batches.final,
        inFlight: [...this.inFlight.values()].map((f) => ({
          number: f.record.number,
          status: f.record.status,
          txs: f.record.txIds.length,
          l1Ops: f.record.l1Count,
          ageMs: Date.now() - f.record.createdAt,
          error: f.error?.message,
        })),
      },
      lastError: this.lastError,
    };
  }

  // ---------------------------------------------------------------- loop

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((e) => {
          this.lastError = (e as Error).message;
          this.o.log(`sequencer: ${(e as Error).message}`);
        })
        .finally(() => this.schedule(this.o.pollMs));
    }, ms);
  }

  /** One pass: read L1, build what is due, submit what is proven. Public for tests. */
  async tick(): Promise<void> {
    await this.syncL1();
    let built = true;
    while (this.running && built) built = this.buildDue();
    await this.submitReady();
  }

  /** Wait until every accepted transaction and queued operation is final on L1. */
  async drain(timeoutMs = 600_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const c = this.o.store.countTxs();
      if (c.pending + c.batched + c.proven === 0 && this.inFlight.size === 0 && this.nextL1 === this.o.store.l1OpCount()) {
        const onChainOps = await this.o.rollup.l1OpCount();
        if (BigInt(this.nextL1) === onChainOps) return;
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`sequencer did not drain in ${timeoutMs} ms: ${JSON.stringify(this.status())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async syncL1(): Promise<void> {
    const provider = this.o.rollup.runner!.provider!;
    const head = await provider.getBlockNumber();
    if (head <= this.l1ScannedBlock) return;
    const ops = await readL1Ops(this.o.rollup, this.l1ScannedBlock + 1, { toBlock: head });
    const have = this.o.store.l1OpCount();
    const fresh = ops.filter((op) => op.queueIndex >= BigInt(have));
    if (fresh.length && fresh[0].queueIndex !== BigInt(have)) throw new Error(`L1 operation ${have} is missing from the events read`);
    this.o.store.transaction(() => {
      this.o.store.addL1Ops(fresh);
      this.o.store.setMeta("l1ScannedBlock", String(head));
    });
    this.l1ScannedBlock = head;
    if (fresh.length) this.o.log(`sequencer: ${fresh.length} new L1 operation(s)`);
  }

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
    if (this.inFlight.size >= this.o.maxInFlight) return false;
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
      const record: Omit<BatchRecord, "proof" | "l1TxHash" | "createdAt" | "updatedAt"> = {
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
    this.state.commit(cp);
    this.nextL1 += l1Count;
    const rec = store.batch(number)!;
    this.o.log(`sequencer: built batch ${number} (${rec.txIds.length} txs, ${l1Count} L1 ops, ${rejected.size} rejected${rejections})`);
    this.track(rec, batch);
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

  /** Replay a stored batch on the state (at start-up) and return the rebuilt batch. */
  private replay(rec: BatchRecord): Batch {
    const { store } = this.o;
    if (rec.l1From !== this.nextL1) throw new Error(`batch ${rec.number} starts at L1 operation ${rec.l1From}, expected ${this.nextL1}`);
    const l1Ops: QueuedL1Op[] = store.l1Ops(rec.l1From, rec.l1Count);
    const l1HashStart = rec.l1From === 0 ? 0n : store.l1Ops(rec.l1From - 1, 1)[0].chainHash;
    const txs = store.txsByIds(rec.txIds).map((r) => r.tx);
    const batch = buildBatch(this.state, { l1Ops, txs }, { domain: this.domain, feeIdx: rec.feeIdx.filter((i) => i !== 0n), l1HashStart });
    if (batch.newRoot !== rec.newRoot || batch.txs.length !== txs.length || batch.commitment !== rec.commitment || batch.publicSignals.some((s, i) => s !== rec.publicSignals[i])) {
      throw new Error(`replaying batch ${rec.number} does not reproduce its root: the database is inconsistent`);
    }
    this.nextL1 += rec.l1Count;
    return batch;
  }

  /** Follow a batch until it is final: get its proof (unless stored), then submission picks it up. */
  private track(record: BatchRecord, batch: Batch): void {
    const f: InFlight = { record, batch };
    this.inFlight.set(record.number, f);
    if (record.status === "proven" && record.proof) {
      f.proof = record.proof as ProofResult;
      return;
    }
    const id = `batch-${record.number}-${record.commitment.toString(16).slice(0, 16)}`;
    this.o.prover
      .submit({ id, input: batch.circuitInput, expectedPublicSignals: batch.publicSignals })
      .then(() => this.o.prover.result(id))
      .then((proof) => {
        this.o.store.transaction(() => {
          this.o.store.setBatchProven(record.number, { proof: proof.proof, publicSignals: proof.publicSignals, proveMs: proof.proveMs, witnessMs: proof.witnessMs });
          this.o.store.setTxStatus(record.txIds, "proven", record.number);
        });
        record.status = "proven";
        f.proof = proof;
        this.o.log(`sequencer: batch ${record.number} proven in ${(proof.proveMs / 1000).toFixed(1)} s`);
      })
      .catch((e: Error) => {
        f.error = e;
        this.lastError = `proving batch ${record.number}: ${e.message}`;
        this.o.log(`sequencer: ${this.lastError}`);
      });
  }

  /** Submit proven batches in order, as long as the next one is proven. */
  private async submitReady(): Promise<void> {
    for (;;) {
      const next = Math.min(...this.inFlight.keys());
      const f = this.inFlight.get(next);
      if (!f || !f.proof || !f.batch) return;
      const pos = await checkInSync(this.o.rollup, f.record.oldRoot);
      if (pos.batchNumber + 1n !== BigInt(next)) throw new Error(`L1 is at batch ${pos.batchNumber}, cannot submit batch ${next}`);
      // Never submit a proof that was not checked here, whatever the backend says.
      if (!samePublicSignals(f.proof.publicSignals, f.record.publicSignals) || !(await groth16.verify(this.vkey, f.proof.publicSignals, f.proof.proof))) {
        throw new Error(`the proof of batch ${next} does not verify; not submitting it`);
      }
      const receipt = await submitProvenBatch(this.o.rollup, f.batch, f.proof);
      this.o.store.transaction(() => {
        this.o.store.setBatchFinal(next, receipt.hash);
        this.o.store.setTxStatus(f.record.txIds, "final", next);
      });
      this.inFlight.delete(next);
      this.o.log(`sequencer: batch ${next} final on L1 (block ${receipt.blockNumber}, gas ${receipt.gasUsed})`);
    }
  }
}
