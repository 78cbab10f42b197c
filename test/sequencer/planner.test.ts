// The batch planner (src/sequencer/planner.ts) without a chain: its sealing criteria (L1
// operations waiting, a full batch, the timeout), what holds a batch back (maxInFlight batches not
// included yet, the backoff after L1 refused one), and what it puts in a batch (the L1 slots,
// the mempool's order, rejected transactions and their senders' later ones). Each rule has its
// must-not-seal case next to the one that seals.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { L1OpEvent } from "../../src/chain/events.js";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { l1ChainStep, L1OpKind, l1OpsForBatch } from "../../src/model/l1op.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { signTransfer, transferId } from "../../src/model/tx.js";
import { FatalError, Retry } from "../../src/sequencer/errors.js";
import { FINALIZED } from "../../src/sequencer/finality.js";
import { idOf, Ledger } from "../../src/sequencer/ledger.js";
import { Mempool } from "../../src/sequencer/mempool.js";
import { BatchPlanner, type BuiltBatch, sealReason } from "../../src/sequencer/planner.js";
import { SequencerStore } from "../../src/sequencer/store.js";

const params = getInstance(TEST_INSTANCE);
const domain = { chainId: 31337n, rollupAddress: 0x1234n };
const TIMEOUT = 1000;

describe("batch planner: sealing criteria", () => {
  const c = { batchSize: 2, batchTimeoutMs: TIMEOUT };

  it("seals nothing when nothing waits, and waits for more transactions until the batch is full or the oldest is batchTimeoutMs old", () => {
    expect(sealReason({ pending: 0, l1OpsWaiting: 0 }, c)).to.equal(undefined);
    expect(sealReason({ pending: 1, oldestAgeMs: 0, l1OpsWaiting: 0 }, c)).to.equal(undefined);
    expect(sealReason({ pending: 1, oldestAgeMs: TIMEOUT - 1, l1OpsWaiting: 0 }, c)).to.equal(undefined);
    expect(sealReason({ pending: 1, oldestAgeMs: TIMEOUT, l1OpsWaiting: 0 }, c)).to.equal("timeout");
    expect(sealReason({ pending: 2, oldestAgeMs: 0, l1OpsWaiting: 0 }, c)).to.equal("full");
    expect(sealReason({ pending: 5, oldestAgeMs: TIMEOUT * 10, l1OpsWaiting: 0 }, c)).to.equal("full");
  });

  it("seals at once for a queued L1 operation, with or without transactions", () => {
    expect(sealReason({ pending: 0, l1OpsWaiting: 1 }, c)).to.equal("l1-ops-waiting");
    expect(sealReason({ pending: 1, oldestAgeMs: 0, l1OpsWaiting: 3 }, c)).to.equal("l1-ops-waiting");
  });

  it("a batch consumes the oldest waiting L1 operations, as many as it has slots, a forced transfer only first", () => {
    const { DEPOSIT: D, FORCE_TRANSFER: T } = L1OpKind;
    const take = (kinds: L1OpKind[], slots = 2) =>
      l1OpsForBatch(
        kinds.map((kind) => ({ kind })),
        slots,
      );
    expect([[], [D], [D, D], [D, D, D, D, D]].map((k) => take(k))).to.deep.equal([0, 1, 2, 2]);
    expect([[T], [T, D], [T, T], [D, T], [D, T, D]].map((k) => take(k))).to.deep.equal([1, 2, 1, 1, 1]);
    expect(take([D, D, T, D], 4)).to.equal(2);
    expect(take([T, D, D, T], 4)).to.equal(3);
  });
});

describe("batch planner: back-pressure and contents", () => {
  let dir: string;
  let store: SequencerStore;
  let crypto: ZkrCrypto;
  let ledger: Ledger;
  let pool: Mempool;
  let rebuild: Retry;
  let planner: BatchPlanner;
  let keys: L2Key[];
  const logs: string[] = [];

  /** Queues CREATE operations (10 units each) for `ks`, chained to the stored queue. */
  function queueCreates(ks: L2Key[]): void {
    const have = store.l1OpCount();
    let prev = have === 0 ? 0n : store.l1Ops(have - 1, 1)[0]!.chainHash;
    const ops: L1OpEvent[] = ks.map((k, i) => {
      const op = { kind: L1OpKind.CREATE, accountIdx: BigInt(have + i + 1), tokenId: 0n, amount: 10n, owner: 0xabcn, ax: k.ax, ay: k.ay };
      prev = l1ChainStep(crypto.hash, prev, op);
      return { ...op, queueIndex: BigInt(have + i), chainHash: prev, blockNumber: 1, blockHash: "0x01", transactionHash: "0x02" };
    });
    store.addL1Ops(ops);
  }

  /** Accounts 1.. created for `ks` (three or four keys: two batches of l1Slots = 2 operations) by batches 1 and 2, both included on L1. */
  async function createdAndIncluded(ks: L2Key[]): Promise<void> {
    queueCreates(ks);
    built(await planner.buildDue());
    built(await planner.buildDue());
    store.setBatchIncluded(1, "0x03", 5, "0x05");
    store.setBatchIncluded(2, "0x04", 6, "0x06");
    ledger.refresh([1, 2]);
  }

  /** A signed transfer of 1 unit from account `from` (key keys[from - 1]) stored and put in the pool, `ageMs` old. */
  function pending(from: number, nonce: bigint, ageMs = 0): string {
    const tx = signTransfer(crypto.hash, keys[from - 1]!, { from: BigInt(from), to: 3n, amount: 1n, fee: 0n, nonce }, domain, params);
    const rec = store.addTx(idOf(transferId(crypto.hash, tx, domain, params)), tx, Date.now() - ageMs);
    pool.add(rec, 0n);
    return rec.id;
  }

  const built = (b: Awaited<ReturnType<BatchPlanner["buildDue"]>>): BuiltBatch => {
    expect(b).to.be.an("object");
    const x = b as BuiltBatch;
    ledger.track(x.record, x.batch, x.cp);
    return x;
  };

  before(async () => {
    crypto = await loadCrypto();
    keys = await Promise.all([0, 1, 2].map(() => L2Key.random()));
  });

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-planner-"));
    store = new SequencerStore(path.join(dir, "seq.sqlite"));
    ledger = new Ledger({ crypto, params, store, finality: FINALIZED, retry: () => new Retry(1000, 60_000), onRederived: () => {}, log: (m) => logs.push(m) });
    ledger.domain = domain;
    pool = new Mempool(() => 0n);
    rebuild = new Retry(1000, 60_000);
    planner = new BatchPlanner({ params, store, ledger, pool, feeIdx: [], batchTimeoutMs: TIMEOUT, maxInFlight: 2, rebuild, log: (m) => logs.push(m) });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes at most the L1 slots of queued operations per batch, in queue order, and then nothing more is due", async () => {
    queueCreates(keys);
    expect(planner.due()).to.equal("l1-ops-waiting");
    const b1 = built(await planner.buildDue());
    expect([b1.record.number, b1.record.l1From, b1.record.l1Count, b1.reason]).to.deep.equal([1, 0, 2, "l1-ops-waiting"]);
    expect(
      b1.batch.l1Ops.map((o) => o.accountIdx),
      "the creates of queue positions 0 and 1",
    ).to.deep.equal([1n, 2n]);
    expect(ledger.nextL1).to.equal(2);
    const b2 = built(await planner.buildDue());
    expect([b2.record.number, b2.record.l1From, b2.record.l1Count]).to.deep.equal([2, 2, 1]);
    expect(store.batch(2)?.status).to.equal("proving");
    expect(ledger.state.size).to.equal(3);
    expect(planner.due()).to.equal(undefined);
    expect(await planner.buildDue()).to.equal(undefined);
  });

  it("builds nothing while maxInFlight batches are not included, nor during the rebuild backoff, however much waits", async () => {
    queueCreates(keys);
    built(await planner.buildDue());
    built(await planner.buildDue());
    pending(1, 0n, TIMEOUT);
    pending(2, 0n, TIMEOUT);
    expect(ledger.inFlightCount()).to.equal(2);
    expect(planner.due(), "2 in flight, maxInFlight 2").to.equal(undefined);
    expect(await planner.buildDue()).to.equal(undefined);
    store.setBatchIncluded(1, "0x03", 5, "0x05");
    ledger.refresh([1]);
    expect(planner.due()).to.equal("full");
    const t = Date.now();
    rebuild.fail(new Error("L1 refused a batch"), t);
    expect(planner.due(t + 999), "within the backoff").to.equal(undefined);
    expect(planner.due(t + 1000)).to.equal("full");
    rebuild.succeeded();
    const b = built(await planner.buildDue());
    expect(b.reason).to.equal("full");
    expect(b.batch.txs.map((x) => x.from)).to.deep.equal([1n, 2n]);
    expect(pool.size).to.equal(0);
  });

  it("a lone fresh transaction waits for the timeout; then it is batched with the senders' order kept", async () => {
    await createdAndIncluded(keys);
    const id = pending(1, 0n);
    expect(planner.due(), "1 transaction, 0 ms old").to.equal(undefined);
    expect(planner.due(Date.now() + TIMEOUT)).to.equal("timeout");
    store.db.prepare("UPDATE txs SET received_at = received_at - ? WHERE id = ?").run(TIMEOUT, id);
    pool.load(store.pendingTxs(), () => 0n);
    const b = built(await planner.buildDue());
    expect([b.reason, b.record.txIds, b.record.l1Count]).to.deep.equal(["timeout", [id], 0]);
    expect(store.tx(id)?.status).to.equal("batched");
  });

  it("a rejected transaction leaves with its sender's later ones (BAD_NONCE), and no empty batch is built for them", async () => {
    await createdAndIncluded(keys);
    const bad = pending(1, 7n, TIMEOUT); // account 1's next nonce is 0
    const after = pending(1, 8n, TIMEOUT);
    const third = pending(1, 9n, TIMEOUT); // not a candidate: a batch tries at most batchSize of one sender
    const root = ledger.state.root;
    expect(await planner.buildDue()).to.equal("rejected");
    expect(store.lastBatch()?.number, "no batch 3").to.equal(2);
    expect(ledger.state.root).to.equal(root);
    expect(store.tx(bad)).to.include({ status: "rejected" });
    expect(store.tx(bad)!.reason).to.match(/^BAD_NONCE: /);
    expect(store.tx(after)!.reason).to.match(/^BAD_NONCE: /);
    expect(store.tx(third)!.reason).to.equal(`BAD_NONCE: transaction ${bad} (nonce 7) of account 1 before it was rejected`);
    expect(pool.size).to.equal(0);
    expect(await planner.buildDue()).to.equal(undefined);
  });

  it("an L1 operation that does not apply to the state is fatal (OUT_OF_SYNC), and the state is left as it was", async () => {
    queueCreates(keys.slice(0, 1));
    // A forced exit of account 1 by another address than its owner: the contract never queues one.
    const prev = store.l1Ops(0, 1)[0]!.chainHash;
    const op = { kind: L1OpKind.FORCE_EXIT, accountIdx: 1n, tokenId: 0n, amount: 0n, owner: 0xdefn, ax: 0n, ay: 0n };
    store.addL1Ops([{ ...op, queueIndex: 1n, chainHash: l1ChainStep(crypto.hash, prev, op), blockNumber: 1, blockHash: "0x01", transactionHash: "0x02" }]);
    const root = ledger.state.root;
    let error: unknown;
    try {
      await planner.buildDue();
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(FatalError).and.include({ code: "OUT_OF_SYNC" });
    expect(ledger.state.root).to.equal(root);
    expect(store.lastBatch()).to.equal(undefined);
  });
});
