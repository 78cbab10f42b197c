// Persistent sequencer state in SQLite (Node's built-in node:sqlite: an embedded database that
// needs no native build). Every accepted transaction, every queued L1 operation and every
// batch is committed before it is acknowledged, with synchronous=FULL in WAL mode, so a crash
// (even kill -9) loses nothing that was accepted. The L2 state after the last final batch is
// stored too (the state_* tables, read and written by src/sequencer/statedb.ts), written in the
// transaction that marks that batch final: a start reads it and replays only the batches not final
// yet, which the TypeScript model does deterministically.
// What the sequencer saw on L1 is kept with the block it was in (number and hash), so that an L1
// reorganisation that replaces that block is noticed and undone (src/sequencer/service.ts).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { L1OpEvent } from "../chain/events.js";
import { type BatchData, batchDataFromJSON, batchDataToJSON } from "../model/batchData.js";
import { type QueuedL1Op, queuedL1OpFromJSON, queuedL1OpToJSON } from "../model/l1op.js";
import { transferFromJSON, transferToJSON, type SignedTransfer } from "../model/tx.js";
import { FatalError } from "./errors.js";

/**
 * pending → batched (in a built batch) → proven → included (the batch is in an L1 block) → final
 * (that block is final on L1: src/sequencer/finality.ts), or rejected. An L1 reorganisation moves a
 * transaction back: to proven (its batch left L1 but still applies) or to pending (its batch is
 * rebuilt).
 */
export type TxStatus = "pending" | "batched" | "proven" | "included" | "final" | "rejected";
export type BatchStatus = "proving" | "proven" | "included" | "final";

export interface TxRecord {
  id: string;
  seq: number;
  tx: SignedTransfer;
  status: TxStatus;
  reason: string | null;
  batch: number | null;
  receivedAt: number;
  updatedAt: number;
}

/** What a new batch record holds (the rest is filled in as it goes through the pipeline). */
export type NewBatch = Omit<BatchRecord, "proof" | "posted" | "postedFallback" | "l1TxHash" | "l1Block" | "l1BlockHash" | "createdAt" | "updatedAt"> & {
  posted?: BatchData | null;
  postedFallback?: boolean;
};

export interface BatchRecord {
  number: number;
  status: BatchStatus;
  /** First L1 queue index consumed and how many. */
  l1From: number;
  l1Count: number;
  txIds: string[];
  feeIdx: bigint[];
  oldRoot: bigint;
  newRoot: bigint;
  /** Poseidon commitment to the batch data, posted with it. */
  commitment: bigint;
  /** The public signals its proof must have: [evaluation, challenge]. */
  publicSignals: [bigint, bigint];
  proof: unknown | null;
  /**
   * For a batch this sequencer did not build but follows because L1 holds it (another submitter
   * with the sequencer key): its calldata as posted, which replays it. Null for its own batches.
   */
  posted: BatchData | null;
  /** The posted batch came from submitFallbackBatch: its data is of the rollup's fallback instance (stored with the posted JSON). */
  postedFallback: boolean;
  /** The L1 transaction that submitted it (set when sent), and the block that holds it (once included). */
  l1TxHash: string | null;
  l1Block: number | null;
  l1BlockHash: string | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * Bumped whenever a table changes shape or what it stores changes meaning; a database of another
 * version is refused. 2: commitment and public signals of each batch; 3: Schnorr-128 signatures
 * and the 8-ary account tree (the stored transactions and roots of version 2 are of another scheme);
 * 4: transaction and batch counts by status, kept by triggers (tx_counts, batch_counts); 5: the L1
 * block (number, hash) of every L1 operation and batch inclusion, the "included" status, and the
 * posted data of batches taken from L1; 6: the L2 state after the last final batch (state_meta,
 * state_nodes, state_accounts), marked stale by triggers when a final batch stops being final.
 */
export const SCHEMA_VERSION = 6;

/**
 * The L2 state after the last final batch (src/sequencer/statedb.ts reads and writes it):
 *  - state_meta, one row: the tree depth, the batch the state is as of (0: before any), the next
 *    account index, and `stale`, set by the triggers below in the transaction that deletes a final
 *    batch or takes its final status back (an L1 reorganisation deeper than the finality rule):
 *    the stored state is then no longer the one after the last final batch, and the next start
 *    (or the rederive that follows) builds it again from every stored batch;
 *  - state_nodes: the non-empty tree nodes by key (src/model/tree.ts nodeKeys: level by level
 *    from the leaves, one level's nodes consecutive), each a 32-byte big-endian field element;
 *  - state_accounts: by index; ax, ay (32 bytes), owner (20), balance (16) big-endian, token and
 *    nonce integers; key_tag and owner_tag (the low 48 bits of ax and of the owner) indexed, so a
 *    lookup by public key or owner is one short index seek (the index holds 6-byte integers, not
 *    the 32- and 20-byte values).
 */
const STATE_SCHEMA = `
CREATE TABLE IF NOT EXISTS state_meta (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  depth INTEGER,
  batch INTEGER NOT NULL,
  next_index INTEGER NOT NULL,
  stale INTEGER NOT NULL
);
INSERT OR IGNORE INTO state_meta (id, depth, batch, next_index, stale) VALUES (0, NULL, 0, 1, 0);
CREATE TABLE IF NOT EXISTS state_nodes (key INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS state_accounts (
  idx INTEGER PRIMARY KEY,
  ax BLOB NOT NULL,
  ay BLOB NOT NULL,
  owner BLOB NOT NULL,
  token INTEGER NOT NULL,
  balance BLOB NOT NULL,
  nonce INTEGER NOT NULL,
  key_tag INTEGER NOT NULL,
  owner_tag INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS state_accounts_key ON state_accounts (key_tag);
CREATE INDEX IF NOT EXISTS state_accounts_owner ON state_accounts (owner_tag);
CREATE TRIGGER IF NOT EXISTS state_stale_delete AFTER DELETE ON batches WHEN OLD.status = 'final'
  BEGIN UPDATE state_meta SET stale = 1; END;
CREATE TRIGGER IF NOT EXISTS state_stale_update AFTER UPDATE OF status ON batches WHEN OLD.status = 'final' AND NEW.status IS NOT 'final'
  BEGIN UPDATE state_meta SET stale = 1; END;
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  body TEXT NOT NULL,
  from_idx TEXT NOT NULL,
  nonce TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT,
  batch INTEGER,
  received_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_status ON txs (status, seq);
CREATE TABLE IF NOT EXISTS l1_ops (
  queue_index INTEGER PRIMARY KEY,
  body TEXT NOT NULL,
  block_number INTEGER NOT NULL,
  block_hash TEXT NOT NULL,
  tx_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  number INTEGER PRIMARY KEY,
  status TEXT NOT NULL,
  l1_from INTEGER NOT NULL,
  l1_count INTEGER NOT NULL,
  tx_ids TEXT NOT NULL,
  fee_idx TEXT NOT NULL,
  old_root TEXT NOT NULL,
  new_root TEXT NOT NULL,
  commitment TEXT NOT NULL,
  public_signals TEXT NOT NULL,
  proof TEXT,
  posted TEXT,
  l1_tx TEXT,
  l1_block INTEGER,
  l1_block_hash TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
${statusCounter("txs", "tx_counts")}
${statusCounter("batches", "batch_counts")}
${STATE_SCHEMA}
`;

/**
 * A table of row counts by status of `table`, kept by triggers in the same transaction as every
 * insert, status change and delete, whatever code makes it: status and drain read a handful of
 * rows instead of counting the whole history.
 */
function statusCounter(table: string, counts: string): string {
  const up = (status: string) => `INSERT INTO ${counts} (status, n) VALUES (${status}, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;`;
  const down = (status: string) => `UPDATE ${counts} SET n = n - 1 WHERE status = ${status};`;
  return `
CREATE TABLE IF NOT EXISTS ${counts} (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS ${counts}_insert AFTER INSERT ON ${table} BEGIN ${up("NEW.status")} END;
CREATE TRIGGER IF NOT EXISTS ${counts}_update AFTER UPDATE OF status ON ${table} WHEN OLD.status IS NOT NEW.status
  BEGIN ${down("OLD.status")} ${up("NEW.status")} END;
CREATE TRIGGER IF NOT EXISTS ${counts}_delete AFTER DELETE ON ${table} BEGIN ${down("OLD.status")} END;`;
}

type Row = Record<string, unknown>;

function txFromRow(r: Row): TxRecord {
  return {
    id: r.id as string,
    seq: Number(r.seq),
    tx: transferFromJSON(JSON.parse(r.body as string)),
    status: r.status as TxStatus,
    reason: (r.reason as string | null) ?? null,
    batch: r.batch === null || r.batch === undefined ? null : Number(r.batch),
    receivedAt: Number(r.received_at),
    updatedAt: Number(r.updated_at),
  };
}

function batchFromRow(r: Row): BatchRecord {
  return {
    number: Number(r.number),
    status: r.status as BatchStatus,
    l1From: Number(r.l1_from),
    l1Count: Number(r.l1_count),
    txIds: JSON.parse(r.tx_ids as string) as string[],
    feeIdx: (JSON.parse(r.fee_idx as string) as string[]).map(BigInt),
    oldRoot: BigInt(r.old_root as string),
    newRoot: BigInt(r.new_root as string),
    commitment: BigInt(r.commitment as string),
    publicSignals: (JSON.parse(r.public_signals as string) as string[]).map(BigInt) as [bigint, bigint],
    proof: r.proof ? JSON.parse(r.proof as string) : null,
    ...postedFromRow(r),
    l1TxHash: (r.l1_tx as string | null) ?? null,
    l1Block: r.l1_block === null || r.l1_block === undefined ? null : Number(r.l1_block),
    l1BlockHash: (r.l1_block_hash as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/**
 * The posted data of a batch taken from L1 (src/model/batchData.ts JSON), and its fallback mark
 * (a "fallback" field beside it). Rows of before this form held only the byte fields: the new
 * root, l1Count and commitment are the row's own.
 */
function postedFromRow(r: Row): Pick<BatchRecord, "posted" | "postedFallback"> {
  if (!r.posted) return { posted: null, postedFallback: false };
  const { fallback, ...posted } = JSON.parse(r.posted as string) as Record<string, unknown>;
  return {
    posted: batchDataFromJSON({ newRoot: r.new_root, l1Count: Number(r.l1_count), commitment: r.commitment, ...posted }),
    postedFallback: fallback === true,
  };
}

function opFromRow(r: Row): L1OpEvent {
  return {
    ...queuedL1OpFromJSON(JSON.parse(r.body as string)),
    blockNumber: Number(r.block_number),
    blockHash: r.block_hash as string,
    transactionHash: r.tx_hash as string,
  };
}

/** A transaction accepted by admission, waiting for the next group commit (SequencerStore.queueTx). */
interface QueuedTx {
  rec: TxRecord;
  resolve(rec: TxRecord): void;
  reject(e: Error): void;
}

/** The sequencer's database. One writer (the sequencer process). */
export class SequencerStore {
  readonly db: DatabaseSync;
  private inTx = false;
  private readonly whenEnded: ((committed: boolean) => void)[] = [];
  /**
   * Group commit: transactions accepted since the last flush, written together in one SQLite
   * transaction (one fsync) on the next turn of the event loop, or before anything else touches
   * the txs table. By id, so that a lookup or a duplicate check sees them before they land.
   */
  private readonly queued = new Map<string, QueuedTx>();
  private flushScheduled = false;
  /** The seq of the next transaction stored (kept here: the queue assigns it before the insert). */
  private nextSeq?: number;
  /** Called after a flush failed (its transactions were not stored; their submitters got the error). */
  onFlushFailed?: (e: Error) => void;
  /** Group commits made, and the transactions they held (the status shows them). */
  readonly commits = { flushes: 0, txs: 0 };
  /**
   * Prepared statements by SQL text (node:sqlite caches none itself: in a profile at 64 HTTP
   * connections, the duplicate check and the group commit's inserts, each preparing its statement
   * anew, were about a fifth of the service thread's busy time).
   */
  private readonly statements = new Map<string, StatementSync>();

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    this.db = new DatabaseSync(file);
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
    const version = Number((this.db.prepare("PRAGMA user_version").get() as Row).user_version);
    const empty = Number((this.db.prepare("SELECT COUNT(*) AS n FROM sqlite_master").get() as Row).n) === 0;
    if (!empty && version !== SCHEMA_VERSION) {
      this.db.close();
      throw new FatalError(
        "WRONG_DATABASE",
        `sequencer database ${file} has schema version ${version}, this zkr needs ${SCHEMA_VERSION}: start with a new database file`,
      );
    }
    this.db.exec(SCHEMA);
    this.db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  }

  /** Closes the database, after storing what is queued (queueTx). */
  close(): void {
    this.flush();
    this.db.close();
  }

  /**
   * Run `fn` in one transaction: all of its writes land, or none. The transactions queued by
   * queueTx are stored first, in a transaction of their own: `fn` sees them, and a rollback of
   * `fn` does not take back what was acknowledged.
   */
  transaction<T>(fn: () => T): T {
    this.flush();
    this.db.exec("BEGIN IMMEDIATE");
    this.inTx = true;
    let out: T;
    try {
      out = fn();
      this.db.exec("COMMIT");
    } catch (e) {
      this.inTx = false;
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      this.ended(false);
      throw e;
    }
    this.inTx = false;
    this.ended(true);
    return out;
  }

  /** Whether a transaction() is running: writes made now land with it, or not at all. */
  get inTransaction(): boolean {
    return this.inTx;
  }

  /**
   * Calls `done(committed)` when the running transaction() ends (what is kept in memory of a write
   * in it must wait: a rollback takes the write back).
   */
  afterTransaction(done: (committed: boolean) => void): void {
    if (!this.inTx) throw new Error("afterTransaction outside a transaction");
    this.whenEnded.push(done);
  }

  private ended(committed: boolean): void {
    const hooks = this.whenEnded.splice(0);
    for (const h of hooks) h(committed);
  }

  getMeta(key: string): string | undefined {
    const r = this.sql("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return r ? (r.value as string) : undefined;
  }

  setMeta(key: string, value: string): void {
    this.sql("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  // ---- transactions

  /** Stores a pending transaction now (in the running transaction(), if there is one). */
  addTx(id: string, tx: SignedTransfer, now = Date.now()): TxRecord {
    this.flush();
    const rec = this.newTxRecord(id, tx, now);
    this.insertTx(rec);
    return rec;
  }

  /**
   * Group commit: the record of a pending transaction at once (its seq assigned), and a promise
   * that resolves with it once it is on disk (synchronous=FULL: the COMMIT's fsync), or rejects
   * if the write failed. Every transaction queued in the same turn of the event loop shares one
   * COMMIT, so concurrent submissions share one fsync. Until it lands, tx(id) sees it, and
   * anything else that reads or writes the txs table stores the queue first.
   */
  queueTx(id: string, tx: SignedTransfer, now = Date.now()): { rec: TxRecord; stored: Promise<TxRecord> } {
    if (this.queued.has(id)) throw new Error(`transaction ${id} is already queued`);
    const rec = this.newTxRecord(id, tx, now);
    const stored = new Promise<TxRecord>((resolve, reject) => this.queued.set(id, { rec, resolve, reject }));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        if (this.db.isOpen) this.flush();
      });
    }
    return { rec, stored };
  }

  /** Transactions queued (queueTx) and not stored yet. */
  get queuedCount(): number {
    return this.queued.size;
  }

  /**
   * Stores the queued transactions in one SQLite transaction and resolves their promises (a
   * failure rejects them all, stores none of them, and calls onFlushFailed). Not inside a
   * transaction(): that one stored the queue before it began, and nothing queues while it runs.
   */
  flush(): void {
    if (this.queued.size === 0) return;
    if (this.inTx) throw new Error("SequencerStore: transactions were queued while a transaction() was running");
    const batch = [...this.queued.values()];
    this.queued.clear();
    try {
      this.db.exec("BEGIN IMMEDIATE");
      try {
        for (const q of batch) this.insertTx(q.rec);
        this.db.exec("COMMIT");
      } catch (e) {
        if (this.db.isTransaction) this.db.exec("ROLLBACK");
        throw e;
      }
    } catch (e) {
      this.nextSeq = undefined; // read again from the table
      const err = new Error(`the database did not store ${batch.length} accepted transaction(s): ${(e as Error).message}`);
      for (const q of batch) q.reject(err);
      this.onFlushFailed?.(err);
      return;
    }
    this.commits.flushes++;
    this.commits.txs += batch.length;
    for (const q of batch) q.resolve(q.rec);
  }

  private newTxRecord(id: string, tx: SignedTransfer, now: number): TxRecord {
    this.nextSeq ??= Number((this.sql("SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM txs").get() as Row).s);
    const seq = this.nextSeq++;
    return { id, seq, tx, status: "pending", reason: null, batch: null, receivedAt: now, updatedAt: now };
  }

  private insertTx(r: TxRecord): void {
    this.sql("INSERT INTO txs (id, seq, body, from_idx, nonce, status, received_at, updated_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)").run(
      r.id,
      r.seq,
      JSON.stringify(transferToJSON(r.tx)),
      r.tx.from.toString(),
      r.tx.nonce.toString(),
      r.receivedAt,
      r.updatedAt,
    );
  }

  /** The statement of `sql`, prepared on first use (SQLite re-prepares it by itself after a schema change). */
  private sql(sql: string): StatementSync {
    let st = this.statements.get(sql);
    if (!st) this.statements.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  /** Whether transaction `id` is stored or queued for the next group commit (the duplicate check: no row read). */
  hasTx(id: string): boolean {
    return this.queued.has(id) || this.sql("SELECT 1 FROM txs WHERE id = ?").get(id) !== undefined;
  }

  tx(id: string): TxRecord | undefined {
    const q = this.queued.get(id);
    if (q) return { ...q.rec };
    const r = this.sql("SELECT * FROM txs WHERE id = ?").get(id) as Row | undefined;
    return r && txFromRow(r);
  }

  /** Pending transactions in arrival order (read once at start: the sequencer keeps them in memory). */
  pendingTxs(): TxRecord[] {
    this.flush();
    return (this.sql("SELECT * FROM txs WHERE status = 'pending' ORDER BY seq").all() as Row[]).map(txFromRow);
  }

  txsByIds(ids: string[]): TxRecord[] {
    this.flush();
    const get = this.sql("SELECT * FROM txs WHERE id = ?");
    return ids.map((id) => {
      const r = get.get(id) as Row | undefined;
      if (!r) throw new FatalError("WRONG_DATABASE", `database is missing transaction ${id}`);
      return txFromRow(r);
    });
  }

  setTxStatus(ids: string[], status: TxStatus, batch: number | null, reason: string | null = null, now = Date.now()): void {
    this.flush();
    const st = this.sql("UPDATE txs SET status = ?, batch = ?, reason = ?, updated_at = ? WHERE id = ?");
    for (const id of ids) st.run(status, batch, reason, now, id);
  }

  /** Transactions by status (from the counts the triggers keep: a few rows, whatever the history). */
  countTxs(): Record<TxStatus, number> {
    const out: Record<TxStatus, number> = { pending: 0, batched: 0, proven: 0, included: 0, final: 0, rejected: 0 };
    for (const r of this.sql("SELECT status, n FROM tx_counts").all() as Row[]) out[r.status as TxStatus] = Number(r.n);
    out.pending += this.queued.size; // accepted, landing with the next group commit
    return out;
  }

  // ---- L1 operations

  /** Appends operations read from L1 (queue order, with the block each was in). */
  addL1Ops(ops: L1OpEvent[]): void {
    const st = this.sql("INSERT INTO l1_ops (queue_index, body, block_number, block_hash, tx_hash) VALUES (?, ?, ?, ?, ?)");
    for (const op of ops) st.run(Number(op.queueIndex), JSON.stringify(queuedL1OpToJSON(op)), op.blockNumber, op.blockHash, op.transactionHash);
  }

  /** Number of L1 operations known (queue indexes 0 … n−1, stored without gaps): one key lookup. */
  l1OpCount(): number {
    return Number((this.sql("SELECT COALESCE(MAX(queue_index) + 1, 0) AS n FROM l1_ops").get() as Row).n);
  }

  l1Ops(from: number, count: number): QueuedL1Op[] {
    return this.l1OpEvents(from, count);
  }

  /** Operations from..from+count−1 with the block each was read in; throws if any is missing. */
  l1OpEvents(from: number, count: number): L1OpEvent[] {
    const rows = this.sql("SELECT * FROM l1_ops WHERE queue_index >= ? AND queue_index < ? ORDER BY queue_index").all(from, from + count) as Row[];
    if (rows.length !== count) throw new FatalError("WRONG_DATABASE", `database has ${rows.length} of the L1 operations ${from}..${from + count - 1}`);
    return rows.map(opFromRow);
  }

  /** Forgets the operations from queue index `from` on (an L1 reorganisation removed them). */
  dropL1OpsFrom(from: number): void {
    this.sql("DELETE FROM l1_ops WHERE queue_index >= ?").run(from);
  }

  /** The same operation was included again in another block. */
  setL1OpBlock(queueIndex: number, blockNumber: number, blockHash: string, txHash: string): void {
    this.sql("UPDATE l1_ops SET block_number = ?, block_hash = ?, tx_hash = ? WHERE queue_index = ?").run(blockNumber, blockHash, txHash, queueIndex);
  }

  // ---- batches

  addBatch(b: NewBatch, now = Date.now()): void {
    this.sql(
      "INSERT INTO batches (number, status, l1_from, l1_count, tx_ids, fee_idx, old_root, new_root, commitment, public_signals, posted, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ).run(
      b.number,
      b.status,
      b.l1From,
      b.l1Count,
      JSON.stringify(b.txIds),
      JSON.stringify(b.feeIdx.map(String)),
      b.oldRoot.toString(),
      b.newRoot.toString(),
      b.commitment.toString(),
      JSON.stringify(b.publicSignals.map(String)),
      b.posted ? JSON.stringify({ ...batchDataToJSON(b.posted), ...(b.postedFallback && { fallback: true }) }) : null,
      now,
      now,
    );
  }

  /** The transactions of this sequencer's mempool found in a batch taken from L1. */
  setBatchTxIds(number: number, txIds: string[], now = Date.now()): void {
    this.sql("UPDATE batches SET tx_ids = ?, updated_at = ? WHERE number = ?").run(JSON.stringify(txIds), now, number);
  }

  /** Stores the proof of batch `number` if it still is the batch with `commitment` (a rebuilt batch keeps its number). */
  setBatchProven(number: number, commitment: bigint, proof: unknown, now = Date.now()): boolean {
    const r = this.sql("UPDATE batches SET status = 'proven', proof = ?, updated_at = ? WHERE number = ? AND commitment = ? AND status = 'proving'").run(
      JSON.stringify(proof),
      now,
      number,
      commitment.toString(),
    );
    return Number(r.changes) === 1;
  }

  /** Records the L1 transaction that submits the batch, before it is mined (status unchanged). */
  setBatchSent(number: number, l1TxHash: string, now = Date.now()): void {
    this.sql("UPDATE batches SET l1_tx = ?, updated_at = ? WHERE number = ?").run(l1TxHash, now, number);
  }

  setBatchIncluded(number: number, l1TxHash: string, l1Block: number, l1BlockHash: string, now = Date.now()): void {
    this.sql("UPDATE batches SET status = 'included', l1_tx = ?, l1_block = ?, l1_block_hash = ?, updated_at = ? WHERE number = ?").run(
      l1TxHash,
      l1Block,
      l1BlockHash,
      now,
      number,
    );
  }

  setBatchFinal(number: number, now = Date.now()): void {
    this.sql("UPDATE batches SET status = 'final', updated_at = ? WHERE number = ?").run(now, number);
  }

  /**
   * The batch left L1 (a reorganisation) but still applies: proven again, to be resubmitted. Its
   * transaction hash stays: the node may still mine that transaction (it is then waited for).
   */
  setBatchUnincluded(number: number, now = Date.now()): void {
    this.sql("UPDATE batches SET status = 'proven', l1_block = NULL, l1_block_hash = NULL, updated_at = ? WHERE number = ?").run(now, number);
  }

  /** Deletes the batches from `from` on (they are rebuilt). */
  dropBatchesFrom(from: number): void {
    this.sql("DELETE FROM batches WHERE number >= ?").run(from);
  }

  batch(number: number): BatchRecord | undefined {
    const r = this.sql("SELECT * FROM batches WHERE number = ?").get(number) as Row | undefined;
    return r && batchFromRow(r);
  }

  /** Batches `from`, from+1, … in order. */
  batchesFrom(from: number): BatchRecord[] {
    return (this.sql("SELECT * FROM batches WHERE number >= ? ORDER BY number").all(from) as Row[]).map(batchFromRow);
  }

  /** The last final batch before batch `before`. */
  lastFinalBatch(before: number): BatchRecord | undefined {
    const r = this.sql("SELECT * FROM batches WHERE status = 'final' AND number < ? ORDER BY number DESC LIMIT 1").get(before) as Row | undefined;
    return r && batchFromRow(r);
  }

  /** Batches by status (from the counts the triggers keep). */
  countBatches(): Record<BatchStatus, number> {
    const out: Record<BatchStatus, number> = { proving: 0, proven: 0, included: 0, final: 0 };
    for (const r of this.sql("SELECT status, n FROM batch_counts").all() as Row[]) out[r.status as BatchStatus] = Number(r.n);
    return out;
  }

  lastBatch(): BatchRecord | undefined {
    const r = this.sql("SELECT * FROM batches ORDER BY number DESC LIMIT 1").get() as Row | undefined;
    return r && batchFromRow(r);
  }
}
