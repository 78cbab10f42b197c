// The sequencer store: its schema version (a database written by another zkr version is refused
// before anything is read or written), the counts by status its triggers keep, and the query
// plans of what a request runs (an index or a key, never a scan of the history).
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { SignedTransfer } from "../../src/model/tx.js";
import { FatalError } from "../../src/sequencer/errors.js";
import { SCHEMA_VERSION, SequencerStore } from "../../src/sequencer/store.js";
import { SqlSpy } from "./sqlspy.js";

/** The error opening `file` throws. */
function opening(file: string): Error {
  try {
    new SequencerStore(file).close();
  } catch (e) {
    return e as Error;
  }
  throw new Error(`${file} opened`);
}

describe("sequencer store schema", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "zkr-store-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("creates and reopens its own version, and refuses a database of another version", () => {
    const file = path.join(dir, "seq.sqlite");
    new SequencerStore(file).close();
    const again = new SequencerStore(file);
    again.setMeta("k", "v");
    again.close();

    const old = path.join(dir, "old.sqlite");
    const db = new DatabaseSync(old);
    db.exec("CREATE TABLE batches (number INTEGER PRIMARY KEY, input_hash TEXT NOT NULL); PRAGMA user_version = 2;");
    db.close();
    expect(opening(old)).to.be.instanceOf(FatalError).and.include({ code: "WRONG_DATABASE" });
    expect(opening(old).message).to.include("start with a new database file"); // what the operator reads
    const untouched = new DatabaseSync(old);
    expect(untouched.prepare("SELECT COUNT(*) AS n FROM sqlite_master").get()).to.deep.equal({ n: 1 });
    untouched.close();
  });

  it("refuses a database of version 3 (before the status counts): its counts would be missing", () => {
    expect(SCHEMA_VERSION).to.equal(6);
    const v3 = path.join(dir, "v3.sqlite");
    const db = new DatabaseSync(v3);
    db.exec("CREATE TABLE txs (id TEXT PRIMARY KEY, status TEXT NOT NULL); INSERT INTO txs VALUES ('a', 'pending'); PRAGMA user_version = 3;");
    db.close();
    expect(opening(v3)).to.be.instanceOf(FatalError).and.include({ code: "WRONG_DATABASE" });
  });

  it("refuses a database of version 5 (before the stored L2 state): its final batches would have no state", () => {
    const v5 = path.join(dir, "v5.sqlite");
    const db = new DatabaseSync(v5);
    db.exec("CREATE TABLE batches (number INTEGER PRIMARY KEY, status TEXT NOT NULL); INSERT INTO batches VALUES (1, 'final'); PRAGMA user_version = 5;");
    db.close();
    expect(opening(v5)).to.be.instanceOf(FatalError).and.include({ code: "WRONG_DATABASE" });
  });

  it("refuses a database of version 4 (before the L1 blocks of operations and inclusions): a reorganisation could not be checked", () => {
    const v4 = path.join(dir, "v4.sqlite");
    const db = new DatabaseSync(v4);
    db.exec("CREATE TABLE l1_ops (queue_index INTEGER PRIMARY KEY, body TEXT NOT NULL); PRAGMA user_version = 4;");
    db.close();
    expect(opening(v4)).to.be.instanceOf(FatalError).and.include({ code: "WRONG_DATABASE" });
  });
});

describe("sequencer store counts and query plans", () => {
  let dir: string;
  let store: SequencerStore;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-store-"));
    store = new SequencerStore(path.join(dir, "seq.sqlite"));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tx = (i: number): SignedTransfer => ({
    from: BigInt(1 + (i % 7)),
    to: 2n,
    amount: 1n,
    fee: 0n,
    nonce: BigInt(i),
    signature: { R8x: 0n, R8y: 1n, S: 0n },
  });
  const id = (i: number) => "0x" + i.toString(16).padStart(64, "0");
  const batch = (number: number) => ({
    number,
    status: "proving" as const,
    l1From: 0,
    l1Count: 0,
    txIds: [],
    feeIdx: [],
    oldRoot: 1n,
    newRoot: 2n,
    commitment: 3n,
    publicSignals: [4n, 5n] as [bigint, bigint],
  });
  /** Counts by status the slow way, for comparison. */
  const counted = (table: string) =>
    Object.fromEntries(
      (store.db.prepare(`SELECT status, COUNT(*) AS n FROM ${table} GROUP BY status`).all() as { status: string; n: number }[]).map((r) => [
        r.status,
        Number(r.n),
      ]),
    );
  const nonZero = (c: Record<string, number>) => Object.fromEntries(Object.entries(c).filter(([, n]) => n !== 0));

  it("keeps transaction and batch counts by status through inserts, status changes and deletes, in the same transaction", () => {
    store.transaction(() => {
      for (let i = 0; i < 40; i++) store.addTx(id(i), tx(i));
    });
    store.setTxStatus([id(1), id(2), id(3)], "batched", 1);
    store.setTxStatus([id(2)], "proven", 1);
    store.setTxStatus([id(3)], "final", 1);
    store.setTxStatus([id(3)], "final", 1); // no change of status: no change of count
    store.setTxStatus([id(4)], "rejected", null, "BAD_NONCE: x");
    store.db.prepare("UPDATE txs SET status = 'included' WHERE id = ?").run(id(5)); // any status, not only today's
    store.db.prepare("DELETE FROM txs WHERE id = ?").run(id(6));
    expect(() =>
      store.transaction(() => {
        store.setTxStatus([id(7)], "final", 1);
        throw new Error("rolled back");
      }),
    ).to.throw(/rolled back/);
    expect(nonZero(store.countTxs())).to.deep.equal(counted("txs"));
    expect(store.countTxs()).to.include({ pending: 34, batched: 1, proven: 1, final: 1, rejected: 1 });
    for (let n = 1; n <= 5; n++) store.addBatch(batch(n));
    store.setBatchProven(2, batch(2).commitment, { p: 1 });
    store.setBatchIncluded(1, "0xabc", 10, "0x01");
    store.setBatchFinal(1);
    store.setBatchFinal(2);
    store.setBatchIncluded(3, "0xdef", 11, "0x02");
    expect(nonZero(store.countBatches())).to.deep.equal(counted("batches"));
    expect(store.countBatches()).to.deep.equal({ proving: 2, proven: 0, included: 1, final: 2 });
    store.dropBatchesFrom(3); // a rewind: the counts follow deletes too
    expect(store.countBatches()).to.deep.equal({ proving: 0, proven: 0, included: 0, final: 2 });
    expect(nonZero(store.countBatches())).to.deep.equal(counted("batches"));
  });

  it("keeps a batch's posted data and its L1 operations through their model JSON; reads the posted rows of the older form", () => {
    const posted = {
      newRoot: 2n,
      l1Count: 1,
      l1Results: Uint8Array.from({ length: 16 }, (_, i) => i),
      feeIdx: Uint8Array.of(7),
      txData: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
      commitment: 3n,
    };
    store.addBatch({ ...batch(1), l1Count: 1, posted });
    expect(store.batch(1)!.posted).to.deep.equal(posted);
    expect(store.batch(1)!.postedFallback).to.equal(false);
    // A fallback batch (submitFallbackBatch) keeps its mark with the posted data; a batch of this sequencer's has none.
    store.addBatch({ ...batch(2), l1From: 1, l1Count: 1, posted, postedFallback: true });
    expect([store.batch(2)!.posted, store.batch(2)!.postedFallback]).to.deep.equal([posted, true]);
    expect(store.batch(3)).to.equal(undefined);
    store.addBatch(batch(3));
    expect([store.batch(3)!.posted, store.batch(3)!.postedFallback]).to.deep.equal([null, false]);
    // Before, the posted column held only the byte fields: the root, count and commitment are the row's.
    store.db
      .prepare("UPDATE batches SET posted = ? WHERE number = 1")
      .run(JSON.stringify({ l1Results: "0x000102030405060708090a0b0c0d0e0f", feeIdx: "0x07", txData: "0x0102030405060708" }));
    expect([store.batch(1)!.posted, store.batch(1)!.postedFallback]).to.deep.equal([posted, false]);
    store.db.prepare("UPDATE batches SET posted = ? WHERE number = 1").run(JSON.stringify({ l1Results: "0x00", feeIdx: "7", txData: "0x" }));
    expect(() => store.batch(1)).to.throw(/feeIdx must be 0x-prefixed hex bytes/);
    const op = {
      queueIndex: 0n,
      kind: 2,
      accountIdx: 1n,
      tokenId: 0n,
      amount: 5n,
      owner: 0xabcn,
      ax: 0n,
      ay: 0n,
      chainHash: 9n,
      blockNumber: 3,
      blockHash: "0x03",
      transactionHash: "0x04",
    };
    store.addL1Ops([op]);
    expect(store.l1OpEvents(0, 1)).to.deep.equal([op]);
    expect(JSON.parse((store.db.prepare("SELECT body FROM l1_ops").get() as { body: string }).body)).to.deep.equal({
      queueIndex: "0",
      kind: 2,
      accountIdx: "1",
      tokenId: "0",
      amount: "5",
      owner: "2748",
      ax: "0",
      ay: "0",
      chainHash: "9",
    });
  });

  it("answers every request-path query through an index or a key, never a scan of the history", () => {
    const spy = new SqlSpy(store.db);
    store.transaction(() => {
      for (let i = 0; i < 50; i++) store.addTx(id(i), tx(i));
      for (let n = 1; n <= 20; n++) store.addBatch(batch(n));
      store.addL1Ops(
        [0, 1, 2].map((q) => ({
          queueIndex: BigInt(q),
          kind: 2,
          accountIdx: 1n,
          tokenId: 0n,
          amount: 1n,
          owner: 1n,
          ax: 0n,
          ay: 0n,
          chainHash: 7n,
          blockNumber: q,
          blockHash: "0x01",
          transactionHash: "0x02",
        })),
      );
    });
    const { executed } = spy.during(() => {
      store.tx(id(3));
      store.hasTx(id(3));
      store.hasTx(id(98));
      store.addTx(id(99), tx(99));
      store.setTxStatus([id(99)], "batched", 21);
      store.countTxs();
      store.countBatches();
      store.l1OpCount();
      store.l1Ops(1, 2);
      store.batch(7);
      store.lastBatch();
    });
    expect(executed.length).to.be.greaterThan(8);
    for (const e of executed) {
      // lastBatch reads one row from the end of the primary key: SQLite calls that a SCAN with LIMIT 1
      if (/ORDER BY number DESC LIMIT 1/.test(e.sql)) continue;
      expect(spy.scans(e.sql), e.sql).to.deep.equal([]);
      expect(e.rows, e.sql).to.be.at.most(3);
    }
    expect(store.l1OpCount()).to.equal(3);
    // the old queries scanned: GROUP BY over every transaction, COUNT(*) over every L1 operation
    expect(spy.scans("SELECT status, COUNT(*) AS n FROM txs GROUP BY status")).to.not.deep.equal([]);
    expect(spy.scans("SELECT COUNT(*) AS n FROM l1_ops")).to.not.deep.equal([]);
  });

  describe("group commit (queueTx)", () => {
    /** What another connection to the file sees: only what was committed. */
    const onDisk = () => {
      const other = new DatabaseSync(path.join(dir, "seq.sqlite"));
      try {
        return (other.prepare("SELECT id, seq FROM txs ORDER BY seq").all() as { id: string; seq: number }[]).map((r) => `${r.id.slice(-2)}:${r.seq}`);
      } finally {
        other.close();
      }
    };

    it("stores the transactions queued in one turn of the event loop in one commit, then resolves each; tx() and hasTx() see them before", async () => {
      const before = { ...store.commits };
      const queued = [0, 1, 2, 3, 4].map((i) => store.queueTx(id(i), tx(i)));
      expect(queued.map((q) => q.rec.seq)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(onDisk(), "nothing is on disk before the commit").to.deep.equal([]);
      expect(store.tx(id(3))).to.deep.include({ id: id(3), seq: 4, status: "pending" });
      expect(store.countTxs().pending, "counted as pending").to.equal(5);
      expect([store.hasTx(id(0)), store.hasTx(id(4)), store.hasTx(id(5))], "the duplicate check sees the queue").to.deep.equal([true, true, false]);
      const stored = await Promise.all(queued.map((q) => q.stored));
      expect(stored.map((r) => r.seq)).to.deep.equal([1, 2, 3, 4, 5]);
      expect(onDisk()).to.deep.equal(["00:1", "01:2", "02:3", "03:4", "04:5"]);
      expect([store.hasTx(id(0)), store.hasTx(id(4)), store.hasTx(id(5))], "and the table after the commit").to.deep.equal([true, true, false]);
      expect(store.commits).to.deep.equal({ flushes: before.flushes + 1, txs: before.txs + 5 });
      // the next turn's transactions: a commit of their own, seqs after
      const later = store.queueTx(id(5), tx(5));
      expect((await later.stored).seq).to.equal(6);
      expect(store.commits.flushes).to.equal(before.flushes + 2);
    });

    it("stores the queue before a transaction() and before any other read or write of the transactions, outside that transaction", async () => {
      const a = store.queueTx(id(1), tx(1));
      // a rolled-back transaction() does not take the queued transaction with it
      expect(() =>
        store.transaction(() => {
          store.setMeta("k", "v");
          throw new Error("boom");
        }),
      ).to.throw("boom");
      expect(onDisk()).to.deep.equal(["01:1"]);
      expect(store.getMeta("k")).to.equal(undefined);
      expect((await a.stored).id).to.equal(id(1));
      const b = store.queueTx(id(2), tx(2));
      store.setTxStatus([id(2)], "batched", 1); // the status change needs the row: it is stored first
      expect(store.tx(id(2))!.status).to.equal("batched");
      await b.stored;
      const c = store.queueTx(id(3), tx(3));
      expect(store.pendingTxs().map((r) => r.id)).to.deep.equal([id(1), id(3)]);
      await c.stored;
      store.queueTx(id(4), tx(4));
      store.close(); // closing stores the queue
      store = new SequencerStore(path.join(dir, "seq.sqlite"));
      expect(store.tx(id(4))).to.deep.include({ seq: 4, status: "pending" });
    });

    it("a commit that fails stores none of its transactions, rejects each, calls onFlushFailed, and numbers the next from the table", async () => {
      store.addTx(id(7), tx(7)); // seq 1, on disk
      let failed: Error | undefined;
      store.onFlushFailed = (e) => (failed = e);
      // A second row with id 7 breaks the primary key when the queue is written (a stand-in for a
      // failing disk: the write fails inside the commit).
      const queued = [store.queueTx(id(8), tx(8)), store.queueTx(id(9), tx(9))];
      (store as unknown as { queued: Map<string, unknown> }).queued.set(id(7), { rec: { ...queued[0]!.rec, id: id(7), seq: 4 }, resolve() {}, reject() {} });
      const results = await Promise.allSettled(queued.map((q) => q.stored));
      expect(results.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
      expect(String((results[0] as PromiseRejectedResult).reason)).to.match(/did not store 3 accepted transaction\(s\): .*UNIQUE|PRIMARY/i);
      expect(failed?.message).to.match(/did not store 3/);
      expect(onDisk()).to.deep.equal(["07:1"]);
      expect(store.tx(id(8)), "not visible once its commit failed").to.equal(undefined);
      expect((await store.queueTx(id(8), tx(8)).stored).seq, "seq from the table again").to.equal(2);
    });
  });
});
