// A Ledger with its planner and mempool on a SequencerStore, without a chain: L1 operations are
// written into the store as the watcher would, batches are built by the planner, "included" and
// "final" as the submitter and the finality rule would mark them (block n for batch n). What
// test/sequencer/ledger.test.ts and its child process test/sequencer/commitloop.ts start from;
// replayStored is the independent account of what the stored batches amount to.
import { expect } from "chai";
import type { L1OpEvent } from "../../src/chain/events.js";
import { buildBatch } from "../../src/model/batch.js";
import type { ZkrCrypto } from "../../src/model/crypto.js";
import { l1ChainStep, type L1Op } from "../../src/model/l1op.js";
import { L2State } from "../../src/model/state.js";
import { type Domain, type SignedTransfer, transferId } from "../../src/model/tx.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { Retry } from "../../src/sequencer/errors.js";
import { FINALIZED } from "../../src/sequencer/finality.js";
import { idOf, Ledger } from "../../src/sequencer/ledger.js";
import { Mempool } from "../../src/sequencer/mempool.js";
import { BatchPlanner, type BuiltBatch, type PlannerOptions } from "../../src/sequencer/planner.js";
import type { SequencerStore } from "../../src/sequencer/store.js";
import type { L1View } from "../../src/sequencer/watcher.js";

export const params = getInstance(TEST_INSTANCE); // depth 4, 2 transactions and 2 L1 operations per batch
export const domain: Domain = { chainId: 31337n, rollupAddress: 0x1234n };

export class Rig {
  readonly ledger: Ledger;
  readonly pool = new Mempool(() => 0n);
  readonly planner: BatchPlanner;
  readonly logs: string[] = [];

  constructor(
    readonly crypto: ZkrCrypto,
    readonly store: SequencerStore,
    opts: { stateCache?: number; signatureOf?: PlannerOptions["signatureOf"]; hashTree?: PlannerOptions["hashTree"] } = {},
  ) {
    const log = (m: string) => this.logs.push(m);
    const { signatureOf, hashTree, ...ledgerOpts } = opts;
    this.ledger = new Ledger({ crypto, params, store, finality: FINALIZED, retry: () => new Retry(1000, 60_000), onRederived: () => {}, log, ...ledgerOpts });
    this.ledger.domain = domain;
    this.planner = new BatchPlanner({
      params,
      store,
      ledger: this.ledger,
      pool: this.pool,
      feeIdx: [],
      batchTimeoutMs: 0,
      maxInFlight: 64,
      rebuild: new Retry(1000, 60_000),
      signatureOf,
      hashTree,
      log,
    });
  }

  get state(): L2State {
    return this.ledger.state;
  }

  /** The state from the database (as at a start), and the pending transactions into the pool. */
  open(): this {
    this.ledger.rederive();
    this.pool.load(this.store.pendingTxs(), (i) => this.state.account(i)?.tokenId);
    return this;
  }

  /** Appends L1 operations to the stored queue, chained to it, as the watcher records them. */
  queue(ops: L1Op[]): void {
    const have = this.store.l1OpCount();
    let prev = have === 0 ? 0n : this.store.l1Ops(have - 1, 1)[0]!.chainHash;
    const events: L1OpEvent[] = ops.map((op, i) => {
      prev = l1ChainStep(this.crypto.hash, prev, op);
      return { ...op, queueIndex: BigInt(have + i), chainHash: prev, blockNumber: 1, blockHash: "0x01", transactionHash: "0x02" };
    });
    this.store.transaction(() => this.store.addL1Ops(events));
  }

  /** Stores a signed transfer and puts it in the pool, as admission does. */
  submit(tx: SignedTransfer): void {
    const rec = this.store.addTx(idOf(transferId(this.crypto.hash, tx, domain, params)), tx);
    this.pool.add(rec, this.state.account(tx.from)!.tokenId);
  }

  /** Builds the next batch (something must wait) and follows it. */
  async build(): Promise<BuiltBatch> {
    const b = await this.planner.buildDue();
    expect(b, "a batch was due").to.be.an("object");
    const x = b as BuiltBatch;
    this.ledger.track(x.record, x.batch, x.cp);
    return x;
  }

  /** Batch n is in L1 block n. */
  include(n: number): void {
    this.store.setBatchIncluded(n, "0x" + n.toString(16).padStart(64, "0"), n, "0x" + (n + 1).toString(16).padStart(64, "0"));
    this.ledger.refresh([n]);
  }

  /** L1's finalized block is n: the included batches up to n become final. */
  finalUpTo(n: number): void {
    this.ledger.markFinal({ finalized: n } as L1View, Number.MAX_SAFE_INTEGER);
  }
}

/** The state the stored batches 1..until lead to, rebuilt in memory from the stored queue and transactions alone. */
export function replayStored(crypto: ZkrCrypto, store: SequencerStore, until = Number.MAX_SAFE_INTEGER): L2State {
  const s = new L2State(crypto, params);
  for (const rec of store.batchesFrom(1)) {
    if (rec.number > until) break;
    const l1Ops = store.l1Ops(rec.l1From, rec.l1Count);
    const l1HashStart = rec.l1From === 0 ? 0n : store.l1Ops(rec.l1From - 1, 1)[0]!.chainHash;
    const txs = store.txsByIds(rec.txIds).map((r) => r.tx);
    const b = buildBatch(s, { l1Ops, txs }, { domain, feeIdx: rec.feeIdx.filter((i) => i !== 0n), l1HashStart });
    expect(b.data.newRoot, `batch ${rec.number} replayed`).to.equal(rec.newRoot);
  }
  return s;
}
