// Admission with its signature checks off the service's thread (src/sequencer/admission.ts):
// the cheap rules first, the signature in a worker thread (the real SignatureVerifierPool), then
// every rule again in arrival order and into the store's group commit. Without a chain: the
// ledger rig's state (test/sequencer/ledgerrig.ts).
//  - concurrent submissions are decided as if one after the other, in arrival order: a sender's
//    consecutive nonces sent without waiting are all accepted, a bad signature among them is
//    refused and the sender's later nonces with it; each resolves once on disk;
//  - submissions still in flight count against the limits and the duplicate check;
//  - what changed while a signature was checked (the pool, the state) is checked again;
//  - batch building does not check again what admission checked; while its hashing runs on a
//    worker, submissions see the accounts after the batch, and a failed hashing undoes the batch;
//  - a process serving 32 concurrent HTTP clients, killed with SIGKILL inside a group commit and at
//    random moments (test/sequencer/acceptloop.ts): every 202 it sent is in the database.
import { expect } from "chai";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { L1OpKind } from "../../src/model/l1op.js";
import { signTransfer, transferToJSON, type SignedTransfer, type Transfer } from "../../src/model/tx.js";
import { SignatureVerifierPool, type SignatureCheck } from "../../src/proving/signaturePool.js";
import { Admission, SubmitError } from "../../src/sequencer/admission.js";
import type { BuiltBatch, PlannerOptions } from "../../src/sequencer/planner.js";
import { SequencerStore, type TxRecord } from "../../src/sequencer/store.js";
import { rejection } from "../proving/fixtures.js";
import { startChild } from "./child.js";
import { domain, params, Rig } from "./ledgerrig.js";

describe("admission: signatures on worker threads, rules in arrival order, group commit", function () {
  this.timeout(120_000);
  let crypto: ZkrCrypto;
  let keys: L2Key[];
  let sigPool: SignatureVerifierPool;
  let dir: string;
  let store: SequencerStore;
  let rig: Rig;

  before(async () => {
    crypto = await loadCrypto();
    keys = await Promise.all([0, 1, 2].map(() => L2Key.random()));
    sigPool = await SignatureVerifierPool.create({ threads: 2 });
  });
  after(() => sigPool?.close());

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-admission-"));
    store = new SequencerStore(path.join(dir, "seq.sqlite"));
    rig = new Rig(crypto, store).open();
    // accounts 1, 2 (keys 0, 1) in batch 1, account 3 (key 2) in batch 2: 1000 wei each
    rig.queue(keys.map((k, i) => ({ kind: L1OpKind.CREATE, accountIdx: BigInt(i + 1), tokenId: 0n, amount: 1000n, owner: 0xa1n, ax: k.ax, ay: k.ay })));
    await rig.build();
    await rig.build();
    expect(rig.state.size).to.equal(3);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const admission = (o: { maxPending?: number; maxPendingPerSender?: number; verify?: (c: SignatureCheck[]) => Promise<boolean[]> } = {}) =>
    new Admission({
      crypto,
      params,
      store,
      ledger: rig.ledger,
      pool: rig.pool,
      feeIdx: [],
      maxPending: o.maxPending ?? 1000,
      maxPendingPerSender: o.maxPendingPerSender ?? 64,
      minFee: () => 0n,
      verifySignatures: o.verify ?? ((c) => sigPool.verify(c)),
    });
  const sign = (k: number, t: Omit<Transfer, "from">): SignedTransfer => signTransfer(crypto.hash, keys[k]!, { from: BigInt(k + 1), ...t }, domain, params);
  const body = (t: SignedTransfer) => transferToJSON(t);
  /** "202" or the refusal's code, per submission. */
  const outcomes = async (ps: Promise<TxRecord>[]) =>
    (await Promise.allSettled(ps)).map((r) => (r.status === "fulfilled" ? "202" : r.reason instanceof SubmitError ? r.reason.code : String(r.reason)));
  const onDisk = () => {
    const db = new DatabaseSync(path.join(dir, "seq.sqlite"));
    try {
      return (db.prepare("SELECT from_idx, nonce FROM txs ORDER BY seq").all() as { from_idx: string; nonce: string }[]).map((r) => `${r.from_idx}:${r.nonce}`);
    } finally {
      db.close();
    }
  };

  it("decides concurrent submissions in arrival order: consecutive nonces sent without waiting are accepted, a bad signature is refused and the sender's later nonces with it", async () => {
    const a = admission();
    const bad = { ...sign(1, { to: 1n, amount: 1n, fee: 0n, nonce: 1n }), amount: 2n }; // signed for 1 wei, says 2
    const txs = [
      sign(0, { to: 2n, amount: 1n, fee: 0n, nonce: 0n }),
      sign(1, { to: 1n, amount: 1n, fee: 0n, nonce: 0n }),
      sign(0, { to: 3n, amount: 1n, fee: 0n, nonce: 1n }),
      bad,
      sign(0, { to: 2n, amount: 1n, fee: 0n, nonce: 2n }),
      sign(1, { to: 1n, amount: 1n, fee: 0n, nonce: 2n }), // after the refused nonce 1
      sign(2, { to: 1n, amount: 1n, fee: 0n, nonce: 0n }),
    ];
    const ps = txs.map((t) => a.submit(body(t)));
    expect(a.inFlightCount, "all pass the cheap rules and wait for their signature check").to.equal(7);
    const got = await outcomes(ps);
    expect(got).to.deep.equal(["202", "202", "202", "BAD_SIGNATURE", "202", "BAD_NONCE", "202"]);
    expect(onDisk()).to.deep.equal(["1:0", "2:0", "1:1", "1:2", "3:0"]);
    expect(rig.pool.size).to.equal(5);
    expect(a.nextNonce(1n)).to.equal(3n);
    expect(a.nextNonce(2n)).to.equal(1n);
    expect(store.commits.flushes, "fewer commits than transactions").to.be.below(5);
  });

  it("counts submissions in flight against the limits and the duplicate check (MEMPOOL_FULL, SENDER_LIMIT, DUPLICATE)", async () => {
    const a = admission({ maxPending: 4, maxPendingPerSender: 2 });
    const t0 = sign(0, { to: 2n, amount: 1n, fee: 0n, nonce: 0n });
    const got = await outcomes([
      a.submit(body(t0)),
      a.submit(body(t0)), // the same, while the first is in flight
      a.submit(body(sign(0, { to: 2n, amount: 1n, fee: 0n, nonce: 1n }))),
      a.submit(body(sign(0, { to: 2n, amount: 1n, fee: 0n, nonce: 2n }))), // sender 1's third
      a.submit(body(sign(1, { to: 1n, amount: 1n, fee: 0n, nonce: 0n }))),
      a.submit(body(sign(2, { to: 1n, amount: 1n, fee: 0n, nonce: 0n }))), // the fourth waiting: the limit
      a.submit(body(sign(1, { to: 1n, amount: 1n, fee: 0n, nonce: 1n }))), // a fifth
    ]);
    expect(got).to.deep.equal(["202", "DUPLICATE", "202", "SENDER_LIMIT", "202", "202", "MEMPOOL_FULL"]);
    expect(onDisk()).to.deep.equal(["1:0", "1:1", "2:0", "3:0"]);
    expect(await outcomes([a.submit(body(t0))]), "and once it is stored").to.deep.equal(["DUPLICATE"]);
  });

  it("checks every rule again once the signature is checked: what changed meanwhile counts, and nothing is stored for a refusal", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const a = admission({ verify: async (c) => (await held, sigPool.verify(c)) });
    const mine = a.submit(body(sign(0, { to: 2n, amount: 900n, fee: 0n, nonce: 0n })));
    // While its signature is checked, another transaction of the sender takes nonce 0 (as a
    // reload of the pool after a reconciliation may bring back).
    rig.submit(sign(0, { to: 3n, amount: 50n, fee: 0n, nonce: 0n }));
    release();
    expect(await outcomes([mine])).to.deep.equal(["BAD_NONCE"]);
    expect(onDisk()).to.deep.equal(["1:0"]);
    expect(rig.pool.size).to.equal(1);
  });

  it("while a batch's hashing runs on a worker, submissions are decided on the accounts after the batch, its transactions no longer pending; a hashing that fails undoes the batch", async () => {
    // The planner's hashing on the real pool's workers, held until released.
    let hold: Promise<void> = Promise.resolve();
    let fail: Error | undefined;
    const hashTree: NonNullable<PlannerOptions["hashTree"]> = async (plan) => {
      await hold;
      if (fail) throw fail;
      return sigPool.hashTree(plan);
    };
    const r = new Rig(crypto, store, { hashTree }).open();
    rig = r;
    const a = admission();
    const rootBefore = r.state.root;
    expect(await outcomes([a.submit(body(sign(0, { to: 2n, amount: 600n, fee: 0n, nonce: 0n })))])).to.deep.equal(["202"]);
    let release!: () => void;
    hold = new Promise((res) => (release = res));
    const building = r.planner.buildDue();
    // The batch's accounts are applied, its tree is not yet: the root is the one before it.
    expect(r.state.account(1n)!.nonce).to.equal(1n);
    expect(r.state.root).to.equal(rootBefore);
    expect(r.pool.size, "the batch's transaction left the pool").to.equal(0);
    expect(
      await outcomes([
        a.submit(body(sign(0, { to: 2n, amount: 300n, fee: 0n, nonce: 1n }))), // the next nonce, within the 400 left
        a.submit(body(sign(0, { to: 3n, amount: 200n, fee: 0n, nonce: 2n }))), // beyond what is left after the batch and nonce 1
        a.submit(body(sign(1, { to: 3n, amount: 1500n, fee: 0n, nonce: 0n }))), // account 2 has 1,600 once the batch is in
      ]),
    ).to.deep.equal(["202", "INSUFFICIENT_BALANCE", "202"]);
    release();
    const built = (await building) as BuiltBatch;
    expect(built.record.txIds).to.have.length(1);
    r.ledger.track(built.record, built.batch, built.cp);
    expect(r.state.root).to.equal(built.record.newRoot);
    expect(r.pool.size).to.equal(2);
    // The batch as the planner recorded it is what a replay of the store gives (its root, its commitment).
    const replayed = new Rig(crypto, store).open();
    expect(replayed.state.root).to.equal(r.state.root);

    // A hashing that fails: the batch is undone, its transactions are pending again, with the one accepted meanwhile.
    const root2 = r.state.root;
    // With a deposit queued: consumed while the hashing runs (admission counts the queued deposits after it), queued again after the failure.
    r.queue([{ kind: L1OpKind.DEPOSIT, accountIdx: 3n, tokenId: 0n, amount: 7n, owner: 0xa1n, ax: 0n, ay: 0n }]);
    const l1Before = r.ledger.nextL1;
    hold = new Promise((res) => (release = res));
    fail = new Error("the worker died");
    const failing = r.planner.buildDue();
    expect(r.pool.size).to.equal(0);
    expect(r.ledger.nextL1).to.equal(l1Before + 1);
    expect(r.state.account(3n)!.balance).to.equal(1000n + 1500n + 7n);
    expect(await outcomes([a.submit(body(sign(2, { to: 1n, amount: 5n, fee: 0n, nonce: 0n })))])).to.deep.equal(["202"]);
    release();
    expect((await rejection(failing)).message).to.equal("the worker died");
    expect(r.state.root).to.equal(root2);
    expect(r.ledger.nextL1).to.equal(l1Before);
    expect(r.state.account(3n)!.balance).to.equal(1000n);
    expect(r.state.account(1n)!.nonce).to.equal(1n);
    expect(r.state.hashingDeferred).to.equal(false);
    expect(store.lastBatch()!.number).to.equal(built.record.number);
    expect(r.pool.size).to.equal(3);
    fail = undefined;
    const next = (await r.planner.buildDue()) as BuiltBatch;
    expect(next.record.txIds).to.have.length(2); // the batch size: the third waits
    expect([next.record.l1Count, r.ledger.nextL1]).to.deep.equal([1, l1Before + 1]);
    r.ledger.track(next.record, next.batch, next.cp);
    expect(new Rig(crypto, store).open().state.root).to.equal(r.state.root);
  });

  it("batch building uses admission's signature checks while the sender's key is the one checked, and checks the others itself", async () => {
    let verified = 0;
    const counting: ZkrCrypto = { ...crypto, verify: (...a) => (verified++, crypto.verify(...a)) };
    const r = new Rig(counting, store, { signatureOf: (tx) => a.signatureOf(tx) }).open();
    rig = r; // admission() takes the rig's ledger and pool
    const a = admission();
    expect(
      await outcomes([
        a.submit(body(sign(0, { to: 2n, amount: 5n, fee: 0n, nonce: 0n }))),
        a.submit(body(sign(1, { to: 1n, amount: 5n, fee: 0n, nonce: 0n }))),
      ]),
    ).to.deep.equal(["202", "202"]);
    verified = 0;
    expect((await r.build()).record.txIds).to.have.length(2);
    expect(verified, "checked once, in a worker thread, not again").to.equal(0);
    r.submit(sign(2, { to: 1n, amount: 5n, fee: 0n, nonce: 0n })); // stored another way (a restart's pool): no check on record
    expect((await r.build()).record.txIds).to.have.length(1);
    expect(verified).to.equal(1);
    // a check against another key is not the sender's: made again, and a bad signature refused
    const forged = { ...sign(0, { to: 2n, amount: 7n, fee: 0n, nonce: 1n }), amount: 8n };
    const b = new Rig(counting, store, { signatureOf: () => ({ ax: keys[1]!.ax, ay: keys[1]!.ay, ok: true }) }).open();
    b.submit(forged);
    verified = 0;
    const built = await b.planner.buildDue();
    expect(verified).to.equal(1);
    expect(built, "the batch with only the forged transfer is not built").to.equal("rejected");
  });

  it("rejects a submission whose signature check fails (a worker died) with that error, and admits the ones after it", async () => {
    let calls = 0;
    const a = admission({ verify: (c) => (++calls === 1 ? Promise.reject(new Error("a signature worker exited with code 1")) : sigPool.verify(c)) });
    const got = await outcomes([
      a.submit(body(sign(0, { to: 2n, amount: 1n, fee: 0n, nonce: 0n }))),
      a.submit(body(sign(1, { to: 1n, amount: 1n, fee: 0n, nonce: 0n }))),
    ]);
    expect(got[0]).to.match(/signature check failed: a signature worker exited/);
    expect(got[1]).to.equal("202");
    expect(onDisk()).to.deep.equal(["2:0"]);
    expect(a.nextNonce(1n)).to.equal(0n);
  });

  it("a process accepting transfers over HTTP from 32 concurrent clients, killed with SIGKILL inside a group commit and at random moments: every transfer it answered 202 is stored, none half-written, and it carries on", async function () {
    this.timeout(300_000);
    const file = path.join(dir, "loop.sqlite");
    const keyOf = (i: number) => L2Key.fromPrivateKey("0x" + (i + 1).toString(16).padStart(2, "0").repeat(32));
    const senders = await Promise.all(Array.from({ length: 8 }, (_, i) => keyOf(i)));
    const children: ChildProcess[] = [];
    const acknowledged = new Set<string>();
    try {
      for (let round = 0; round < 4; round++) {
        const inFlush = round === 1;
        const c = await startChild("test/sequencer/acceptloop.ts", [file], { ZKR_DIE_IN_FLUSH: inFlush ? "1" : "0" });
        const { child, exited } = c;
        children.push(child);
        const url = `http://127.0.0.1:${c.output().match(/^ready (\d+)/m)![1]}/`;
        // The next nonce of each sender: after what the database holds (what a client would ask the API).
        const s0 = new SequencerStore(file);
        const next = senders.map((_, i) => {
          const r = s0.db.prepare("SELECT MAX(CAST(nonce AS INTEGER)) AS n FROM txs WHERE from_idx = ?").get(String(i + 1)) as { n: number | null };
          return r.n === null ? 0n : BigInt(r.n) + 1n;
        });
        s0.close();
        // 32 clients, 4 per sender: each sender's transfers in nonce order, one client at a time
        // per sender (a client takes the sender's next nonce, then waits for its answer).
        let stop = false;
        const busy = senders.map(() => Promise.resolve());
        const client = async (who: number) => {
          while (!stop) {
            const turn = busy[who]!.then(async () => {
              if (stop) return;
              const t = signTransfer(
                crypto.hash,
                senders[who]!,
                { from: BigInt(who + 1), to: BigInt(((who + 1) % 8) + 1), amount: 1n, fee: 0n, nonce: next[who]! },
                domain,
                params,
              );
              try {
                const r = await fetch(url, { method: "POST", body: JSON.stringify(transferToJSON(t)) });
                const text = await r.text();
                if (r.status === 202) {
                  acknowledged.add(text);
                  next[who]!++;
                } else if (r.status !== 409) throw new Error(`refused: ${r.status} ${text}`);
              } catch (e) {
                if (!(e instanceof TypeError)) throw e; // fetch failed: the process was killed
                stop = true;
              }
            });
            busy[who] = turn.catch(() => {});
            await turn;
          }
        };
        const clients = Array.from({ length: 32 }, (_, c) => client(c % 8));
        if (!inFlush) {
          await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 900)));
          process.kill(child.pid!, "SIGKILL");
        }
        await exited;
        stop = true;
        await Promise.all(clients);
        expect(child.signalCode, c.output()).to.equal("SIGKILL");
        // Every acknowledged transfer is stored, pending or batched; each sender's nonces have no gap.
        const s = new SequencerStore(file);
        const rows = s.db.prepare("SELECT id, from_idx, nonce FROM txs ORDER BY seq").all() as { id: string; from_idx: string; nonce: string }[];
        const ids = new Set(rows.map((r) => r.id));
        const lost = [...acknowledged].filter((id) => !ids.has(id));
        expect(lost, "acknowledged but not stored").to.deep.equal([]);
        for (let i = 1; i <= 8; i++) {
          const ns = rows.filter((r) => r.from_idx === String(i)).map((r) => BigInt(r.nonce));
          expect(ns, `sender ${i}'s nonces`).to.deep.equal(ns.map((_, k) => BigInt(k)));
        }
        s.close();
        if (process.env.ZKR_VERBOSE) console.log(`round ${round}: ${acknowledged.size} acknowledged in all, ${rows.length} stored`);
      }
      expect(acknowledged.size, "transfers acknowledged over the rounds").to.be.above(100);
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(c.pid!, "SIGKILL");
    }
  });
});
