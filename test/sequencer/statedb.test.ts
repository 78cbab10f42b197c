// The L2 state on the sequencer's SQLite database (src/sequencer/statedb.ts) against the one in
// memory (src/model/stateBackend.ts), through the one L2State interface:
//  - the same random sequence of creates, transfers, L1 operations, credits, checkpoints, reverts
//    and writes (forget, some in a transaction that commits, some in one rolled back) gives the same
//    root, witnesses and account indexes at every step, with a cache of a few entries (every read
//    evicting) and with the default one; and, independently of how the state does it, a revert
//    gives back exactly the state of its checkpoint, and after each write the database opened
//    afresh holds exactly the state as of the checkpoint written up to (after a rolled-back one,
//    the state it held before);
//  - a corrupted row (wrong length, not a field element, a token, nonce or balance too wide, a
//    missing account, a tag that does not match) is refused with an error naming it.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Account } from "../../src/model/account.js";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L1OpKind } from "../../src/model/l1op.js";
import { L2State } from "../../src/model/state.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { FatalError } from "../../src/sequencer/errors.js";
import { SqliteStateBackend } from "../../src/sequencer/statedb.js";
import { SequencerStore } from "../../src/sequencer/store.js";
import { SqlSpy } from "./sqlspy.js";

const params = getInstance(TEST_INSTANCE); // depth 4: 255 accounts, three levels

/** A deterministic generator of integers in [0, n) (mulberry32). */
function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

describe("L2 state on SQLite (statedb) against the state in memory", () => {
  let c: ZkrCrypto;
  let dir: string;
  const stores: SequencerStore[] = [];
  const open = (file = "state.sqlite") => {
    const s = new SequencerStore(path.join(dir, file));
    stores.push(s);
    return s;
  };
  const KEYS = [1n, 2n, 3n].map((i) => ({ ax: 1000n + i, ay: 2000n + i }));
  const OWNERS = [0xa1n, 0xb2n];

  before(async () => (c = await loadCrypto()));
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), "zkr-statedb-"))));
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const cacheEntries of [4, undefined]) {
    it(`the same random sequence gives the same roots, witnesses and indexes at every step (cache ${cacheEntries ?? "default"}), and the database holds what was written`, () => {
      const store = open();
      const mem = new L2State(c, params);
      const db = new L2State(c, params, new SqliteStateBackend(store, params.depth, { cacheEntries }));
      const both = [mem, db];
      const next = rng(cacheEntries ?? 7);
      /** Open checkpoints, oldest first (as the ledger's batches). */
      const cps: number[] = [];
      /** The state when each was taken (two checkpoints with no change between share a position). */
      const snap = (x: L2State) => ({
        root: x.root,
        entries: x.entries(),
        byKey: KEYS.map((k) => x.accountsOf(k.ax, k.ay)),
        byOwner: OWNERS.map((o) => x.accountsOfOwner(o)),
      });
      const snaps: ReturnType<typeof snap>[] = [];
      /** The state the database holds, read by a backend of its own (nothing cached). */
      const stored = () => snap(new L2State(c, params, new SqliteStateBackend(store, params.depth, { cacheEntries: 4 })));
      let kept = stored();
      let asOf = 0;
      const seen = new Set<string>();
      const agree = (step: number, what: string) => {
        const at = `step ${step} (${what})`;
        expect(db.root, at).to.equal(mem.root);
        expect(db.nextIndex, at).to.equal(mem.nextIndex);
        expect(db.size, at).to.equal(mem.size);
        const i = BigInt(1 + next(Math.max(1, mem.size)));
        if (mem.account(i)) expect(db.witness(i), at).to.deep.equal(mem.witness(i));
        else expect(db.account(i), at).to.equal(undefined);
        for (const k of KEYS) expect(db.accountsOf(k.ax, k.ay), at).to.deep.equal(mem.accountsOf(k.ax, k.ay));
        for (const o of OWNERS) expect(db.accountsOfOwner(o), at).to.deep.equal(mem.accountsOfOwner(o));
      };
      const all = (f: (s: L2State) => unknown) => both.map((s) => f(s));

      for (let step = 0; step < 400; step++) {
        const n = mem.size;
        const pick = () => BigInt(1 + next(n));
        const r = next(100);
        let what: string;
        if (n < 3 || (r < 20 && n < 250)) {
          const k = KEYS[next(KEYS.length)]!;
          const a: Account = { ...k, owner: OWNERS[next(2)]!, tokenId: BigInt(next(2)), balance: BigInt(next(1000)), nonce: 0n };
          all((s) => s.createAccount(a));
          what = "create";
        } else if (r < 50) {
          const from = pick();
          const to = next(5) === 0 ? 0n : pick();
          const bal = mem.account(from)!.balance;
          const fee = bal > 0n ? BigInt(next(2)) : 0n;
          const t = { from, to, amount: BigInt(next(Number(bal - fee) + 1)), fee };
          all((s) => s.applyPosted(t));
          what = "transfer";
        } else if (r < 60) {
          const kind = [L1OpKind.CREATE, L1OpKind.DEPOSIT, L1OpKind.FORCE_EXIT][n < 250 ? next(3) : 1 + next(2)]!;
          const idx = kind === L1OpKind.CREATE ? mem.nextIndex : pick();
          const owner = kind === L1OpKind.FORCE_EXIT ? mem.account(idx)!.owner : OWNERS[next(2)]!;
          const op = { kind, accountIdx: idx, tokenId: BigInt(next(2)), amount: BigInt(next(500)), owner, ...KEYS[next(3)]! };
          const [x, y] = all((s) => s.applyL1Op(op)) as { result: bigint }[];
          expect(y!.result).to.equal(x!.result);
          what = `L1 op ${kind}`;
        } else if (r < 65) {
          const i = pick();
          all((s) => s.credit(i, 3n));
          what = "credit";
        } else if (r < 78) {
          const [x, y] = all((s) => s.checkpoint()) as number[];
          expect(y).to.equal(x);
          cps.push(x!);
          snaps.push(snap(mem));
          what = "checkpoint";
        } else if (r < 86 && cps.length) {
          const j = next(cps.length);
          const back = snaps.splice(j)[0]!;
          for (const cp of cps.splice(j).reverse()) all((s) => s.revert(cp));
          expect(snap(db), `step ${step}: reverted to its checkpoint`).to.deep.equal(back);
          expect(snap(mem), `step ${step}: reverted to its checkpoint`).to.deep.equal(back);
          what = "revert";
        } else if (r < 94 && cps.length) {
          // The oldest checkpoint's batch is final: its changes written, labelled, as the ledger does.
          const until = cps[1] ?? Number.MAX_SAFE_INTEGER;
          asOf++;
          const rollback = next(4) === 0;
          for (const s of both) {
            if (s === db) {
              try {
                store.transaction(() => {
                  s.forget(until, asOf);
                  if (rollback) throw new Error("rolled back");
                });
              } catch (e) {
                expect((e as Error).message).to.equal("rolled back");
              }
            } else if (!rollback) s.forget(until, asOf);
          }
          if (rollback) {
            asOf--;
            what = "write rolled back";
          } else {
            kept = cps[1] === undefined ? snap(mem) : snaps[1]!;
            all((s) => s.commit());
            cps.shift();
            snaps.shift();
            what = "forget";
          }
        } else {
          const to = pick();
          all((s) => s.applyPosted({ from: to, to, amount: 0n, fee: 0n }));
          what = "self";
        }
        // With no checkpoint open every change is written at once.
        if (cps.length === 0) kept = snap(mem);
        if (cps.length === 0 || what === "forget" || what === "write rolled back") {
          expect(stored(), `step ${step} (${what}): the database holds the state as of the checkpoint written up to`).to.deep.equal(kept);
        }
        // Memory holds only what may still be reverted: every change in it has its journal entry.
        for (const x of both) {
          const u = x.unwritten;
          if (cps.length === 0)
            expect(u, `step ${step} (${what}): nothing open, nothing in memory`).to.deep.equal({ nodes: 0, accounts: 0, journal: 0, journaled: 0 });
          else expect(u.nodes + u.accounts, `step ${step} (${what}): changes in memory, and changes journaled`).to.equal(u.journaled);
        }
        seen.add(what.split(" ")[0]!);
        agree(step, what);
      }
      expect([...seen]).to.include.members(["create", "transfer", "L1", "credit", "checkpoint", "revert", "forget", "write"]);

      // Everything kept for good, then the database alone, opened again: the same state.
      for (const _ of cps) all((s) => s.commit());
      expect(db.backend.asOf).to.equal(asOf);
      const again = new L2State(c, params, new SqliteStateBackend(open(), params.depth, { cacheEntries: 4 }));
      expect(again.root).to.equal(mem.root);
      expect(again.entries()).to.deep.equal(mem.entries());
      for (const k of KEYS) expect(again.accountsOf(k.ax, k.ay)).to.deep.equal(mem.accountsOf(k.ax, k.ay));
      for (const o of OWNERS) expect(again.accountsOfOwner(o)).to.deep.equal(mem.accountsOfOwner(o));
    });
  }

  it("the caches stay within their bound, and a node with no account below it is not read", () => {
    const store = open();
    const spy = new SqlSpy(store.db);
    const backend = new SqliteStateBackend(store, params.depth, { cacheEntries: 16 });
    const s = new L2State(c, params, backend);
    s.checkpoint();
    for (let i = 0; i < 200; i++) s.createAccount({ ax: 5n, ay: BigInt(i), owner: 1n, tokenId: 0n, balance: 1n, nonce: 0n });
    s.commit();
    const fresh = new SqliteStateBackend(store, params.depth, { cacheEntries: 16 });
    const t = new L2State(c, params, fresh);
    // The proof of the last account: of its siblings, leaves 201..207 and level-1 nodes 26..31 hold
    // no account; read are level-1 node 24 and level-2 nodes 0..2, then the account.
    const reads = spy.during(() => t.witness(200n)).executed.map((x) => x.sql);
    expect(reads.filter((q) => /FROM state_nodes/.test(q))).to.have.length(4);
    expect(reads.filter((q) => /FROM state_accounts/.test(q))).to.have.length(1);
    for (let i = 1n; i <= 200n; i++) expect(t.witness(i)).to.deep.equal(s.witness(i));
    // 16 nodes, 2 accounts, and the top levels that fit an eighth of the bound kept whole: the root
    expect(fresh.cached).to.be.at.most(16 + 2 + 1);
    const rows = store.db.prepare("SELECT COUNT(*) AS n FROM state_nodes").get() as { n: number };
    // 200 leaves, 26 nodes of 8 above them, 4 above those and the root (leaf 0 and the empty subtrees are not stored)
    expect(rows.n).to.equal(200 + 26 + 4 + 1);
  });

  it("reads a node, an account and the accounts of a key or an owner through their key or index, never a scan", () => {
    const store = open();
    const spy = new SqlSpy(store.db);
    const s = new L2State(c, params, new SqliteStateBackend(store, params.depth, { cacheEntries: 1 }));
    s.checkpoint();
    for (let i = 0; i < 50; i++) s.createAccount({ ax: 9n, ay: BigInt(i % 5), owner: BigInt(i % 3), tokenId: 0n, balance: 1n, nonce: 0n });
    s.commit();
    const t = new L2State(c, params, new SqliteStateBackend(store, params.depth, { cacheEntries: 1 }));
    const { executed } = spy.during(() => {
      t.witness(17n);
      expect(t.accountsOf(9n, 2n)).to.deep.equal([3n, 8n, 13n, 18n, 23n, 28n, 33n, 38n, 43n, 48n]);
      expect(t.accountsOfOwner(1n).length).to.equal(17);
    });
    expect(new Set(executed.map((e) => e.sql)).size).to.equal(4);
    for (const e of executed) expect(spy.scans(e.sql), e.sql).to.deep.equal([]);
  });

  it("refuses a corrupted row with an error naming it, whatever column holds the damage", () => {
    const store = open();
    const s = new L2State(c, params, new SqliteStateBackend(store, params.depth));
    s.checkpoint();
    for (let i = 0; i < 3; i++) s.createAccount({ ax: 7n, ay: BigInt(i), owner: 0xabcn, tokenId: 1n, balance: 10n, nonce: 2n });
    s.commit();
    const root = s.root;
    const rootKey = (store.db.prepare("SELECT MAX(key) AS k FROM state_nodes").get() as { k: number }).k;
    /** Applies `sql`, reads with a fresh backend (nothing cached), then puts the row back. */
    const refused = (sql: string, read: (t: L2State) => unknown, message: RegExp) => {
      store.db.exec("SAVEPOINT damage");
      store.db.exec(sql);
      try {
        let err: unknown;
        try {
          read(new L2State(c, params, new SqliteStateBackend(store, params.depth)));
        } catch (e) {
          err = e;
        }
        expect(err, sql).to.be.instanceOf(FatalError);
        expect(err).to.include({ code: "WRONG_DATABASE" });
        expect((err as Error).message, sql).to.match(message);
      } finally {
        store.db.exec("ROLLBACK TO damage; RELEASE damage");
      }
    };
    const root_ = (t: L2State) => t.root;
    refused(`UPDATE state_nodes SET hash = x'00' WHERE key = ${rootKey}`, root_, new RegExp(`state_nodes key ${rootKey}: hash is 1 bytes, not 32`));
    refused(`UPDATE state_nodes SET hash = x'${"ff".repeat(32)}' WHERE key = ${rootKey}`, root_, /hash is not a field element/);
    refused(`UPDATE state_nodes SET hash = 'text' WHERE key = ${rootKey}`, root_, /hash is string, not 32 bytes/);
    refused(`UPDATE state_nodes SET hash = x'${"00".repeat(33)}' WHERE key = 2`, (t) => t.witness(1n), /state_nodes key 2: hash is 33 bytes/);
    const acct = (t: L2State) => t.account(2n);
    refused(`UPDATE state_accounts SET balance = x'${"00".repeat(17)}' WHERE idx = 2`, acct, /state_accounts 2: balance is 17 bytes, not 16/);
    refused("UPDATE state_accounts SET token = 4294967296 WHERE idx = 2", acct, /state_accounts 2: token is 4294967296/);
    refused("UPDATE state_accounts SET nonce = -1 WHERE idx = 2", acct, /state_accounts 2: nonce is -1/);
    refused("UPDATE state_accounts SET nonce = 1.5 WHERE idx = 2", acct, /nonce is 1.5/);
    refused(`UPDATE state_accounts SET ax = x'${"ff".repeat(32)}' WHERE idx = 2`, acct, /state_accounts 2: ax is not a field element/);
    refused("UPDATE state_accounts SET owner = x'00' WHERE idx = 2", acct, /owner is 1 bytes, not 20/);
    refused("UPDATE state_accounts SET key_tag = 1 WHERE idx = 2", acct, /key_tag or owner_tag does not match/);
    refused("DELETE FROM state_accounts WHERE idx = 2", acct, /account 2 is missing \(accounts 1 to 3 exist\)/);
    refused("UPDATE state_meta SET next_index = 1000", root_, /state_meta.next_index is 1000, not an integer in \[0, 256\]/);
    refused("UPDATE state_meta SET next_index = 0", root_, /next_index is 0/);
    refused("UPDATE state_meta SET stale = 2", (t) => (t.backend as SqliteStateBackend).stale, /state_meta.stale is 2/);
    refused("UPDATE state_meta SET depth = 12", root_, /the database holds the state of a depth-12 tree, this instance has depth 4/);
    // Undamaged, the same store reads as before.
    expect(new L2State(c, params, new SqliteStateBackend(store, params.depth)).root).to.equal(root);
  });
});
