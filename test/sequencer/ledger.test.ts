// The Ledger's state kept in the database (src/sequencer/ledger.ts, statedb.ts), without a chain:
//  - the state after the last final batch is written with its final status; a restart reads it and
//    replays only the batches after it (the final ones' transactions are destroyed first: reading
//    any of them would fail), and the state, its proofs, the indexes and the live batches' circuit
//    inputs are as before;
//  - a stored state that is not the one of the last final batch, or not its root, is refused
//    (WRONG_DATABASE) and nothing is changed;
//  - a reorganisation deeper than the finality rule (final batches deleted) marks the stored state
//    stale in the same transaction: it is built again from the batches left, in the process or at
//    the next start if it stopped before; the account indexes follow, as they follow the reverts
//    of live batches;
//  - a process committing batches in a loop, killed with SIGKILL inside a commit (every statement
//    of it run, not its COMMIT) and at random moments: the database opens each time on exactly the
//    state of its last final batch, every batch it reported final is, and it carries on.
import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { L1OpKind, type L1Op } from "../../src/model/l1op.js";
import { L2State } from "../../src/model/state.js";
import { signTransfer, type Transfer } from "../../src/model/tx.js";
import { FatalError } from "../../src/sequencer/errors.js";
import { SqliteStateBackend } from "../../src/sequencer/statedb.js";
import { SequencerStore } from "../../src/sequencer/store.js";
import { startChild } from "./child.js";
import { domain, params, replayStored, Rig } from "./ledgerrig.js";
import { SqlSpy } from "./sqlspy.js";

const OWNERS = [0xa1n, 0xb2n, 0xc3n];

describe("ledger: the state kept in the database", () => {
  let crypto: ZkrCrypto;
  let keys: L2Key[];
  let dir: string;
  let file: string;
  const open: SequencerStore[] = [];
  const store = () => {
    const s = new SequencerStore(file);
    open.push(s);
    return s;
  };
  const close = (s: SequencerStore) => {
    open.splice(open.indexOf(s), 1);
    s.close();
  };
  const create = (k: number, owner: number, amount = 100n): L1Op => ({
    kind: L1OpKind.CREATE,
    accountIdx: 0n, // set by `creates`
    tokenId: 0n,
    amount,
    owner: OWNERS[owner]!,
    ax: keys[k]!.ax,
    ay: keys[k]!.ay,
  });
  /** CREATE operations at the next indexes. */
  const creates = (r: Rig, ...ops: L1Op[]) => {
    const next = r.state.nextIndex + BigInt(r.store.l1OpCount() - r.ledger.nextL1); // queued creations not batched yet come first
    r.queue(ops.map((op, i) => ({ ...op, accountIdx: next + BigInt(i) })));
  };
  const sign = (k: number, t: Transfer) => signTransfer(crypto.hash, keys[k]!, t, domain, params);
  /** Everything a restart must give back. */
  const view = (s: L2State) => ({
    root: s.root,
    entries: s.entries(),
    witnesses: s.entries().map(([i]) => s.witness(i)),
    byKey: keys.map((k) => s.accountsOf(k.ax, k.ay)),
    byOwner: OWNERS.map((o) => s.accountsOfOwner(o)),
  });

  /**
   * Batches 1..5: 1 creates accounts 1 (key 0, owner 0) and 2 (key 1, owner 1); 2 creates 3 (key 2,
   * owner 2) and 4 (key 0, owner 1); 3 a transfer 1 → 2 and a deposit to 3; 4 a transfer 2 → 3;
   * 5 creates 5 (key 2, owner 0) and a transfer 1 → 5. All included, 1..3 final.
   */
  async function fiveBatches(r: Rig): Promise<void> {
    creates(r, create(0, 0), create(1, 1));
    await r.build();
    creates(r, create(2, 2), create(0, 1));
    await r.build();
    r.queue([{ kind: L1OpKind.DEPOSIT, accountIdx: 3n, tokenId: 0n, amount: 7n, owner: OWNERS[0]!, ax: 0n, ay: 0n }]);
    r.submit(sign(0, { from: 1n, to: 2n, amount: 10n, fee: 0n, nonce: 0n }));
    await r.build();
    r.submit(sign(1, { from: 2n, to: 3n, amount: 5n, fee: 0n, nonce: 0n }));
    await r.build();
    creates(r, create(2, 0));
    r.submit(sign(0, { from: 1n, to: 5n, amount: 1n, fee: 0n, nonce: 1n }));
    await r.build();
    for (let n = 1; n <= 5; n++) r.include(n);
    r.finalUpTo(3);
    expect([...r.ledger.live.keys()]).to.deep.equal([4, 5]);
  }

  before(async function () {
    this.timeout(120_000);
    crypto = await loadCrypto();
    keys = await Promise.all([0, 1, 2].map(() => L2Key.random()));
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-ledger-"));
    file = path.join(dir, "seq.sqlite");
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a restart reads the state of the last final batch and replays only the batches after it", async () => {
    const s1 = store();
    const r1 = new Rig(crypto, s1).open();
    await fiveBatches(r1);
    const before = view(r1.state);
    const inputs = [4, 5].map((n) => r1.ledger.live.get(n)!.batch!.circuitInput);
    expect(s1.db.prepare("SELECT batch FROM state_meta").get()).to.deep.include({ batch: 3 });
    close(s1);

    // The final batches' transactions destroyed: a replay of any of them could not read them.
    const s2 = store();
    s2.db.exec("UPDATE txs SET body = 'not a transaction' WHERE batch <= 3");
    const spy = new SqlSpy(s2.db);
    const r2 = new Rig(crypto, s2);
    const reads = spy.during(() => r2.open()).executed;
    expect(r2.ledger.replayed, "batches replayed").to.equal(2);
    expect(r2.ledger.storedAsOf).to.equal(3);
    expect(view(r2.state)).to.deep.equal(before);
    expect(
      [4, 5].map((n) => r2.ledger.live.get(n)!.batch!.circuitInput),
      "the live batches' circuit inputs, to prove",
    ).to.deep.equal(inputs);
    expect(reads.filter((x) => /FROM txs WHERE id = \?/.test(x.sql)).length, "transactions read: those of batches 4 and 5").to.equal(2);
    // And it goes on: batch 4 final writes the state after it.
    r2.finalUpTo(4);
    expect(new L2State(crypto, params, new SqliteStateBackend(s2, params.depth)).root).to.equal(s2.batch(4)!.newRoot);
  });

  it("the stored state is the one of the last final batch, with its root; any other is refused (WRONG_DATABASE) and nothing is changed", async () => {
    const s = store();
    await fiveBatches(new Rig(crypto, s).open());
    const stored = new L2State(crypto, params, new SqliteStateBackend(s, params.depth));
    const replayed = replayStored(crypto, s, 3);
    expect(stored.root).to.equal(s.batch(3)!.newRoot);
    expect(view(stored)).to.deep.equal(view(replayed));

    const rootKey = (s.db.prepare("SELECT MAX(key) AS k FROM state_nodes").get() as { k: number }).k;
    const other = "x'" + 123456789n.toString(16).padStart(64, "0") + "'";
    const dump = () =>
      JSON.stringify([
        s.db.prepare("SELECT * FROM state_meta").all(),
        s.db.prepare("SELECT COUNT(*) AS n, SUM(LENGTH(hash)) AS b FROM state_nodes").all(),
        s.countBatches(),
        s.countTxs(),
      ]);
    for (const [damage, undo, message] of [
      [
        "UPDATE batches SET new_root = '42' WHERE number = 3",
        `UPDATE batches SET new_root = '${s.batch(3)!.newRoot}' WHERE number = 3`,
        /root .* but batch 3, its last final batch, ends at 42/,
      ],
      ["UPDATE state_meta SET batch = 2", "UPDATE state_meta SET batch = 3", /L2 state is the one after batch 2, but its last final batch is 3/],
      [`UPDATE state_nodes SET hash = ${other} WHERE key = ${rootKey}`, "", /has root 123456789, but batch 3/],
    ] as const) {
      const was = s.db.prepare("SELECT hash FROM state_nodes WHERE key = ?").get(rootKey) as { hash: Uint8Array };
      s.db.exec(damage);
      const before = dump();
      const r = new Rig(crypto, s);
      let err: unknown;
      try {
        r.open();
      } catch (e) {
        err = e;
      }
      expect(err, damage).to.be.instanceOf(FatalError);
      expect(err).to.include({ code: "WRONG_DATABASE" });
      expect((err as Error).message).to.match(message);
      expect(dump(), "nothing changed").to.equal(before);
      if (undo) s.db.exec(undo);
      else s.db.prepare("UPDATE state_nodes SET hash = ? WHERE key = ?").run(was.hash, rootKey);
    }
    expect(() => new Rig(crypto, s).open()).to.not.throw();
  });

  it("a reorganisation deeper than finality makes the stored state stale in its transaction; it is built again from the batches left, at once or at the next start", async () => {
    const s1 = store();
    const r1 = new Rig(crypto, s1).open();
    await fiveBatches(r1);
    // Live batches 5, then 4 taken back (a shallow reorganisation): their accounts leave the indexes.
    const gone5 = s1.transaction(() => r1.ledger.rewindStore(5));
    r1.ledger.rewindMemory(gone5, "test", false);
    expect(r1.state.accountsOf(keys[2]!.ax, keys[2]!.ay)).to.deep.equal([3n]);
    expect(r1.state.accountsOfOwner(OWNERS[0]!)).to.deep.equal([1n]);
    expect(view(r1.state)).to.deep.equal(view(replayStored(crypto, s1)));
    // Final batches 2 and 3 lost (deeper than the rule): the deletion marks the stored state stale.
    s1.transaction(() => r1.ledger.rewindStore(2));
    expect(s1.db.prepare("SELECT stale FROM state_meta").get()).to.deep.include({ stale: 1 });
    // Stopped before it rebuilt (or crashed): the next start builds it from batch 1, the one left.
    close(s1);
    const s2 = store();
    const r2 = new Rig(crypto, s2).open();
    expect(r2.logs.join("\n")).to.match(/stored L2 state is stale/);
    expect(r2.ledger.replayed).to.equal(1);
    expect(r2.ledger.storedAsOf).to.equal(1);
    expect(s2.db.prepare("SELECT stale FROM state_meta").get()).to.deep.include({ stale: 0 });
    expect(view(r2.state)).to.deep.equal(view(replayStored(crypto, s2)));
    expect(r2.state.accountsOf(keys[2]!.ax, keys[2]!.ay), "account 3 was created in batch 2").to.deep.equal([]);
    expect(r2.state.accountsOf(keys[0]!.ax, keys[0]!.ay)).to.deep.equal([1n]);
    expect(r2.state.accountsOfOwner(OWNERS[1]!)).to.deep.equal([2n]);
    expect(s2.db.prepare("SELECT COUNT(*) AS n FROM state_accounts").get()).to.deep.include({ n: 2 });
    // The same in the process: batch 1 lost too, rewound and derived again at once.
    const gone1 = s2.transaction(() => r2.ledger.rewindStore(1));
    r2.ledger.rewindMemory(gone1, "test", false);
    expect(r2.state.size).to.equal(0);
    expect(r2.state.accountsOf(keys[0]!.ax, keys[0]!.ay)).to.deep.equal([]);
    expect(new Rig(crypto, s2).open().ledger.replayed, "nothing stored is left to replay").to.equal(0);
  });

  it("a process committing batches, killed with SIGKILL inside a commit and at random moments: the database opens on exactly the state of its last final batch, and the process carries on", async function () {
    this.timeout(300_000);
    const children: ChildProcess[] = [];
    let acknowledged = 0;
    let rounds = 0;
    try {
      // Round 1 dies inside the commit of a final batch; the others are killed at random.
      for (let round = 0; round < 4; round++) {
        const inCommit = round === 1;
        const c = await startChild("test/sequencer/commitloop.ts", [file], { ZKR_DIE_IN_COMMIT: inCommit ? "1" : "0" });
        const { child, exited } = c;
        children.push(child);
        const started = Number(c.output().match(/^ready (\d+)/m)![1]);
        expect(started, "it starts from the last final batch it reported").to.be.at.least(acknowledged);
        if (!inCommit) {
          await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 900)));
          process.kill(child.pid!, "SIGKILL");
        }
        await exited;
        expect(child.signalCode).to.equal("SIGKILL");
        const out = c.output();
        const finals = [...out.matchAll(/^final (\d+)$/gm)].map((m) => Number(m[1]));
        acknowledged = Math.max(acknowledged, ...finals);
        const dying = Number(out.match(/^dying in the commit of batch (\d+)$/m)?.[1] ?? 0);

        const s = store();
        const lastFinal = s.lastFinalBatch(Number.MAX_SAFE_INTEGER)?.number ?? 0;
        expect(lastFinal, "every batch reported final is").to.be.at.least(acknowledged);
        if (inCommit) {
          expect(dying, "it died in a commit").to.be.above(0);
          expect(lastFinal, "the commit it died in did not land: its batch is not final").to.equal(dying - 1);
        }
        // Exactly the state of the last final batch is stored…
        const stored = new L2State(crypto, params, new SqliteStateBackend(s, params.depth));
        expect(stored.root).to.equal(lastFinal ? s.batch(lastFinal)!.newRoot : stored.tree.zeros.at(-1));
        expect(stored.entries()).to.deep.equal(replayStored(crypto, s, lastFinal).entries());
        // …and it opens, the live batches replayed on it.
        const r = new Rig(crypto, s).open();
        expect(r.ledger.replayed).to.equal(s.countBatches().included + s.countBatches().proving);
        expect(r.state.root).to.equal(s.lastBatch()?.newRoot ?? stored.root);
        close(s);
        rounds += finals.length > 0 ? 1 : 0;
        if (process.env.ZKR_VERBOSE)
          console.log(`round ${round}: from batch ${started}, ${finals.length} commits, last final ${lastFinal}, ${r.ledger.replayed} live`);
      }
      expect(acknowledged, "batches final over the rounds").to.be.above(4);
      expect(rounds, "rounds that made batches final").to.be.at.least(2);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid!, "SIGKILL");
    }
  });
});
