// The sequencer's L2 state and the batches not final on L1 yet ("live"). The state is the one
// after every batch built; each live batch keeps a state checkpoint taken just before it was
// applied, so the state can go back to any of them (a rewind). The state after the last final
// batch is kept in the database (src/sequencer/statedb.ts), written in the transaction that marks
// that batch final; the changes of the live batches stay in memory, bounded by the batches in
// flight. At start-up the state is read from the database and only the live batches are replayed
// on it (rederive: their circuit inputs come back for proving). After an L1 reorganisation deeper
// than the finality rule (a final batch is no longer final: the stored state is marked stale) the
// state is derived again from every stored batch.
//
// A live batch's life: built (state advanced, stored as "proving": the planner) → proven (the
// proof tracker) → included (the submitter, or a reconciliation that finds it on L1) → final
// (markFinal here: its block is final on L1, src/sequencer/finality.ts).
import { applyBatchData, buildBatch, type Batch } from "../model/batch.js";
import type { ZkrCrypto } from "../model/crypto.js";
import type { QueuedL1Op } from "../model/l1op.js";
import type { DerivedParams } from "../model/params.js";
import { L2State, OutOfSyncError } from "../model/state.js";
import { transferId, type Domain } from "../model/tx.js";
import type { ProofResult } from "../proving/prover.js";
import { FatalError, type Retry } from "./errors.js";
import { describeFinality, type Finality } from "./finality.js";
import { batchParams } from "../proving/instances.js";
import { SqliteStateBackend } from "./statedb.js";
import type { BatchRecord, SequencerStore } from "./store.js";
import type { BlockRef, L1View } from "./watcher.js";

/** A batch that is not final on L1 yet. */
export interface LiveBatch {
  record: BatchRecord;
  /** The built batch: its circuit input (to prove) and calldata (to submit); none for a batch taken from L1. */
  batch?: Batch;
  /** State checkpoint taken just before the batch was applied. */
  cp: number;
  proof?: ProofResult;
  /** When this process recorded the proof (ms since the epoch); unset for a proof loaded from the store at start. */
  provenAt?: number;
  /** A proving job is running for it (the proof tracker). */
  provingNow: boolean;
  proving: Retry;
  submitting: Retry;
}

export interface LedgerOptions {
  crypto: ZkrCrypto;
  params: DerivedParams;
  store: SequencerStore;
  finality: Finality;
  /** A new backoff for a batch's proving or submission. */
  retry: () => Retry;
  /** Called after the live batches were derived again (some may need proving). */
  onRederived: () => void;
  /** Bound of the state's caches, in entries (src/sequencer/statedb.ts; its default if absent). */
  stateCache?: number;
  log: (m: string) => void;
}

export const idOf = (m: bigint) => "0x" + m.toString(16).padStart(64, "0");

export class Ledger {
  /** Set at start (the chain id and the rollup's address). */
  domain!: Domain;
  /** Batches not final yet, by number. */
  readonly live = new Map<number, LiveBatch>();
  /** Queue index of the next L1 operation a new batch consumes. */
  nextL1 = 0;
  /** Batches the last rederive replayed (the live ones; every stored one after a deep reorganisation). */
  replayed = 0;
  private readonly backend: SqliteStateBackend;
  private stateRef: L2State;

  constructor(private readonly o: LedgerOptions) {
    this.backend = new SqliteStateBackend(o.store, o.params.depth, { cacheEntries: o.stateCache });
    this.stateRef = new L2State(o.crypto, o.params, this.backend);
  }

  /** The L2 state after every batch built (rederive replaces it: read it through this getter). */
  get state(): L2State {
    return this.stateRef;
  }

  /** Live batches, oldest first. */
  sorted(): LiveBatch[] {
    return [...this.live.values()].sort((a, b) => a.record.number - b.record.number);
  }

  /** Whether `f` is still the live entry of its batch (not rewound or derived again meanwhile). */
  isCurrent(f: LiveBatch): boolean {
    return this.live.get(f.record.number) === f;
  }

  /** The oldest live batch not included yet: the next one to submit. */
  nextToSubmit(): LiveBatch | undefined {
    return this.sorted().find((x) => x.record.status !== "included");
  }

  /** Live batches built and not yet included (what maxInFlight bounds). */
  inFlightCount(): number {
    let n = 0;
    for (const f of this.live.values()) if (f.record.status === "proving" || f.record.status === "proven") n++;
    return n;
  }

  /** Batches 1..n are included or final. */
  includedCount(): number {
    const c = this.o.store.countBatches();
    return c.included + c.final;
  }

  /** The highest block recorded: `tip` (the watcher's) or a live batch's inclusion above it. */
  highestSeenBlock(tip: number): number {
    let h = tip;
    for (const f of this.live.values()) if (f.record.l1Block !== null && f.record.l1Block > h) h = f.record.l1Block;
    return h;
  }

  /** Follow a newly built batch until it is final. */
  track(record: BatchRecord, batch: Batch, cp: number): LiveBatch {
    const f = this.newLive(record, batch, cp);
    this.live.set(record.number, f);
    return f;
  }

  /** Reads the stored records of batches `numbers` again into their live entries; their submission starts over. */
  refresh(numbers: Iterable<number>): void {
    for (const n of numbers) {
      const f = this.live.get(n);
      if (f) {
        f.record = this.o.store.batch(n)!;
        f.submitting.succeeded();
      }
    }
  }

  /** Records that L1 holds batch `rec` in `block`. */
  markIncluded(rec: BatchRecord, txHash: string, block: BlockRef): void {
    this.o.store.transaction(() => this.writeIncluded(rec, txHash, block));
    this.refresh([rec.number]);
  }

  /** markIncluded's database part (inside the caller's transaction). */
  writeIncluded(rec: BatchRecord, txHash: string, block: BlockRef): void {
    this.o.store.setBatchIncluded(rec.number, txHash, block.number, block.hash);
    this.o.store.setTxStatus(rec.txIds, "included", rec.number);
  }

  /**
   * Marks the included batches whose blocks are final now, oldest first, and lets go of their
   * checkpoints: the state after each is written to the database with its final status, in one
   * transaction. `tip`: the block the watcher checked up to (blocks above it were not covered by
   * this tick's reorganisation check).
   */
  markFinal(view: L1View, tip: number): void {
    const { store } = this.o;
    for (const [f, next] of this.sorted().map((x, i, all) => [x, all[i + 1]] as const)) {
      const n = f.record.number;
      const block = f.record.l1Block;
      if (f.record.status !== "included" || block === null || block > view.finalized || block > tip) return;
      store.transaction(() => {
        store.setBatchFinal(n);
        store.setTxStatus(f.record.txIds, "final", n);
        this.state.forget(next ? next.cp : Number.MAX_SAFE_INTEGER, n);
      });
      this.state.commit();
      this.live.delete(n);
      this.o.log(`sequencer: batch ${n} final on L1 (block ${block}, ${describeFinality(this.o.finality)})`);
    }
  }

  /**
   * The state from the database: the stored state after the last final batch, then the batches
   * after it replayed, each with a checkpoint before it (those are live again afterwards, keeping
   * their backoffs if unchanged). A stale stored state (a final batch is no longer final) is
   * emptied first and every stored batch replayed, the final ones written again as they come.
   * The stored state must be the one after the last final batch, with its root: else the
   * database is inconsistent (WRONG_DATABASE), and nothing is replayed on it.
   */
  rederive(): void {
    const { store, crypto, params } = this.o;
    // Each final batch replayed is written in a transaction of its own, before the next one.
    if (store.inTransaction) throw new Error("rederive runs outside a database transaction (it writes the final batches it replays)");
    const stale = this.backend.stale;
    if (stale) {
      this.o.log("sequencer: the stored L2 state is stale (a final batch is no longer final): building it again from every stored batch");
      this.backend.clear();
    }
    const asOf = this.backend.asOf;
    this.stateRef = new L2State(crypto, params, this.backend);
    if (!stale) this.checkStored(asOf);
    const base = asOf === 0 ? undefined : store.batch(asOf)!;
    this.nextL1 = base ? base.l1From + base.l1Count : 0;
    const old = new Map(this.live);
    this.live.clear();
    this.replayed = 0;
    for (const rec of store.batchesFrom(asOf + 1)) {
      const cp = this.state.checkpoint();
      const batch = this.replay(rec);
      this.replayed++;
      if (rec.status === "final") {
        if (this.live.size) throw new FatalError("WRONG_DATABASE", `batch ${rec.number} is final after batch ${this.sorted()[0]!.record.number}, which is not`);
        this.state.forget(Number.MAX_SAFE_INTEGER, rec.number);
        this.state.commit();
        continue;
      }
      const f = this.newLive(rec, batch, cp);
      const before = old.get(rec.number);
      if (before && before.record.commitment === rec.commitment) Object.assign(f, { proving: before.proving, submitting: before.submitting });
      this.live.set(rec.number, f);
    }
    if (stale) this.backend.markBuilt();
    this.o.onRederived();
  }

  /** The batch the stored state is as of (0: none), what the start-up log reports. */
  get storedAsOf(): number {
    return this.backend.asOf;
  }

  /** The stored state is the one after the last final batch (`asOf`), with that batch's root. */
  private checkStored(asOf: number): void {
    const last = this.o.store.lastFinalBatch(Number.MAX_SAFE_INTEGER);
    if ((last?.number ?? 0) !== asOf) {
      throw new FatalError(
        "WRONG_DATABASE",
        `the database's L2 state is the one after batch ${asOf}, but its last final batch is ${last ? last.number : "none"}: the database is inconsistent`,
      );
    }
    const want = last ? last.newRoot : this.state.tree.zeros.at(-1)!;
    if (this.state.root !== want) {
      throw new FatalError(
        "WRONG_DATABASE",
        `the database's L2 state has root ${this.state.root}, but ${last ? `batch ${asOf}, its last final batch, ends at` : "with no final batch the state is empty, root"} ${want}: the database is inconsistent`,
      );
    }
  }

  /** Deletes batches `from`, from+1, … and puts their transactions back to pending (inside the caller's transaction); returns them. */
  rewindStore(from: number): BatchRecord[] {
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

  /**
   * The state returns to before the batches `gone` (rewindStore's, once its transaction
   * committed): their checkpoints, or a replay if one of them was final or `replay`.
   */
  rewindMemory(gone: BatchRecord[], why: string, replay: boolean): void {
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

  /** Replay a stored batch on the state (rederive) and return the rebuilt batch. */
  private replay(rec: BatchRecord): Batch | undefined {
    const { store } = this.o;
    if (rec.l1From !== this.nextL1) throw new FatalError("WRONG_DATABASE", `batch ${rec.number} starts at L1 operation ${rec.l1From}, expected ${this.nextL1}`);
    if (rec.posted) return this.replayPosted(rec);
    const l1Ops: QueuedL1Op[] = store.l1Ops(rec.l1From, rec.l1Count);
    const l1HashStart = rec.l1From === 0 ? 0n : store.l1Ops(rec.l1From - 1, 1)[0].chainHash;
    const txs = store.txsByIds(rec.txIds).map((r) => r.tx);
    let batch: Batch;
    try {
      batch = buildBatch(this.state, { l1Ops, txs }, { domain: this.domain, feeIdx: rec.feeIdx.filter((i) => i !== 0n), l1HashStart });
    } catch (e) {
      if (e instanceof OutOfSyncError) throw new FatalError("OUT_OF_SYNC", `replaying batch ${rec.number}: ${e.message}`, { cause: e });
      throw e;
    }
    if (
      batch.data.newRoot !== rec.newRoot ||
      batch.txs.length !== txs.length ||
      batch.data.commitment !== rec.commitment ||
      batch.publicSignals.some((s, i) => s !== rec.publicSignals[i])
    ) {
      throw new FatalError("WRONG_DATABASE", `replaying batch ${rec.number} does not reproduce its root: the database is inconsistent`);
    }
    this.nextL1 += rec.l1Count;
    return batch;
  }

  /**
   * Replays a batch taken from L1 from its posted data, and links to it the transactions of this
   * sequencer's mempool it holds (a posted transfer with the nonce it used has the id of the
   * signed one).
   */
  private replayPosted(rec: BatchRecord): undefined {
    const { store, crypto, params } = this.o;
    const ids: string[] = [];
    const b = { number: BigInt(rec.number), oldRoot: rec.oldRoot, data: rec.posted! };
    applyBatchData(
      this.state,
      b,
      store.l1Ops(rec.l1From, rec.l1Count),
      (t) => {
        const id = idOf(transferId(crypto.hash, t, this.domain, params));
        if (store.tx(id)) ids.push(id);
      },
      batchParams(params, rec.postedFallback),
    );
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

  private newLive(record: BatchRecord, batch: Batch | undefined, cp: number): LiveBatch {
    return {
      record,
      batch,
      cp,
      proof: (record.proof as ProofResult | null) ?? undefined,
      provingNow: false,
      proving: this.o.retry(),
      submitting: this.o.retry(),
    };
  }
}
