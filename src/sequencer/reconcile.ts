// Reconciliation with L1: whether what the sequencer saw is still what L1 holds (divergence), and
// what reconciling changes, decided from what L1 holds now and what the sequencer recorded
// (planReconciliation), applied in one database transaction (Reconciler.reconcile):
//  - L1 operations: the watcher's plan (src/sequencer/watcher.ts reconcile): from which queue index the
//    stored queue no longer matches L1's, what to drop, what L1 holds instead;
//  - batches L1 holds: where (the block of each inclusion not known to be canonical), and whether
//    each is the one recorded; from the first that is not, or that the database lacks, L1's
//    batches are taken over ("adopted": another submitter with the sequencer key, a database
//    behind L1);
//  - batches L1 does not hold: submitted again as they are while the L1 operations they consumed
//    are unchanged and they are this sequencer's; rewound (to be rebuilt) from the first one built
//    on an operation that changed (or from the first adopted position);
//  - accounts whose creating deposit L1 dropped: their waiting transactions are rejected.
import { decodeBatchData } from "../model/batchData.js";
import { L1OpKind, type QueuedL1Op } from "../model/l1op.js";
import type { DerivedParams } from "../model/params.js";
import { describeFinality, type Finality } from "./finality.js";
import { batchParams } from "../proving/instances.js";
import type { Ledger } from "./ledger.js";
import type { BatchRecord, SequencerStore } from "./store.js";
import { type BlockRef, type L1Batch, type L1View, type L1Watcher, NO_OPS_CHANGE, type OpsPlan } from "./watcher.js";

export interface ReconcilePlan {
  ops: OpsPlan;
  /** Batches L1 holds. */
  B: number;
  /** Recorded batches L1 holds as recorded, with where it holds them now. */
  held: { rec: BatchRecord; txHash: string; block: BlockRef }[];
  /** First batch number from which L1's batches are taken over, if any. */
  foreignFrom?: number;
  /** L1's batches foreignFrom..B, with their posted data. */
  adopted: L1Batch[];
  /** First recorded batch to rewind, if any. */
  rewindFrom?: number;
  /** Batches L1 lost that still apply: proven again, to be submitted again. */
  resubmit: BatchRecord[];
  /** Batches reported final that L1 no longer holds. */
  finalLost: number[];
  /** Accounts whose creating deposit L1 dropped. */
  lostAccounts: Set<bigint>;
}

/**
 * Reads what reconciling needs from L1 (`withOps`: re-read the L1 operations from the fork too)
 * and decides what changes; writes nothing. `live`: the numbers of the batches not final.
 */
export async function planReconciliation(watcher: L1Watcher, store: SequencerStore, view: L1View, live: number[], withOps: boolean): Promise<ReconcilePlan> {
  const ops = withOps ? await watcher.reconcile(view) : NO_OPS_CHANGE;
  const B = Number(view.batchNumber);
  const last = store.lastBatch()?.number ?? 0;
  const recs = store.batchesFrom(Math.min(B + 1, ...live));

  const held: ReconcilePlan["held"] = [];
  let foreignFrom = B > last ? last + 1 : undefined;
  for (const rec of recs.filter((r) => r.number <= B && r.status !== "final")) {
    if (rec.status === "included" && (await watcher.hashAt(rec.l1Block!)) === rec.l1BlockHash) continue;
    const l1 = await watcher.batch(rec.number, view);
    if (!sameBatch(rec, l1)) {
      foreignFrom = rec.number;
      break;
    }
    held.push({ rec, txHash: l1.txHash, block: l1.block });
  }
  const adopted = foreignFrom !== undefined ? await watcher.batchesFrom(foreignFrom, B, view) : [];

  const lost = recs.filter((r) => r.number > B);
  const rewindFrom = foreignFrom ?? lost.find((r) => r.l1From + r.l1Count > ops.firstChanged || r.posted !== null)?.number;
  const resubmit = lost.filter((r) => (r.status === "included" || r.status === "final") && (rewindFrom === undefined || r.number < rewindFrom));
  const finalLost = lost.filter((r) => r.status === "final").map((r) => r.number);
  return { ops, B, held, foreignFrom, adopted, rewindFrom, resubmit, finalLost, lostAccounts: lostCreations(ops.dropped, ops.fresh) };
}

/** Whether L1's batch is the recorded one (same roots, and same commitment when its calldata is readable). */
export function sameBatch(rec: Pick<BatchRecord, "oldRoot" | "newRoot" | "commitment">, l1: L1Batch): boolean {
  return l1.oldRoot === rec.oldRoot && l1.newRoot === rec.newRoot && (!l1.posted || l1.posted.data.commitment === rec.commitment);
}

/**
 * Indexes of the accounts whose creating deposit L1 dropped, unless L1 now holds the same
 * creation again (same index, key and owner) among the operations read in its place.
 */
export function lostCreations(dropped: readonly QueuedL1Op[], fresh: readonly QueuedL1Op[]): Set<bigint> {
  const key = (op: QueuedL1Op) => `${op.accountIdx}:${op.ax}:${op.ay}:${op.owner}`;
  const again = new Set(fresh.filter((op) => op.kind === L1OpKind.CREATE).map(key));
  return new Set(dropped.filter((op) => op.kind === L1OpKind.CREATE && !again.has(key(op))).map((op) => op.accountIdx));
}

/** What the status says about the last reconciliation with L1. */
export interface ReconcileReport {
  at: string;
  reason: string;
  /** First L1 operation that L1 no longer held as it was, if any. */
  l1OpsFrom?: number;
  l1OpsDropped: number;
  /** Batches that left L1 and were resubmitted with their proofs. */
  resubmitted: number[];
  /** First batch rewound and rebuilt, if any. */
  rewoundFrom?: number;
  /** Batches reported final that L1 no longer holds: a reorganisation deeper than the finality rule. */
  finalLost: number[];
}

export interface ReconcilerOptions {
  params: DerivedParams;
  store: SequencerStore;
  watcher: L1Watcher;
  ledger: Ledger;
  finality: Finality;
  /** The rollup's root before any batch. */
  genesisRoot: bigint;
  /** The mempool is loaded again from the store (transactions moved back to pending or out of it). */
  reloadMempool: () => void;
  log: (m: string) => void;
}

const short = (h: string) => h.slice(0, 10);

export class Reconciler {
  /** A conflict seen outside the regular checks (or a reconciliation that failed half-way): the next tick reconciles. */
  pending?: string;
  count = 0;
  last?: ReconcileReport;

  constructor(private readonly o: ReconcilerOptions) {}

  /** Why what the sequencer saw is no longer what L1 holds, or undefined if it still is. */
  async divergence(view: L1View): Promise<string | undefined> {
    const { watcher, store, ledger } = this.o;
    const tip = watcher.scanned;
    if (tip && (await watcher.tipReplaced(view))) return `L1 block ${tip.number} (${short(tip.hash)}…) was replaced: an L1 reorganisation`;
    for (const f of ledger.live.values()) {
      const r = f.record;
      if (r.status !== "included" || r.l1Block! <= (tip?.number ?? -1)) continue;
      if ((await watcher.hashAt(r.l1Block!)) !== r.l1BlockHash) return `the L1 block of batch ${r.number} (${r.l1Block}) was replaced: an L1 reorganisation`;
    }
    const included = ledger.includedCount();
    if (view.batchNumber < BigInt(included)) return `the rollup on L1 is at batch ${view.batchNumber}, but ${included} batches were included`;
    const seen = store.l1OpCount();
    if (view.l1OpCount < BigInt(seen)) return `the rollup on L1 has ${view.l1OpCount} queued operations, the sequencer saw ${seen}`;
    const n = Number(view.batchNumber);
    const expected = n === 0 ? this.o.genesisRoot : n <= included ? store.batch(n)?.newRoot : undefined;
    if (expected !== undefined && expected !== view.stateRoot) return `the root on L1 after batch ${n} is not the one this sequencer built`;
    return undefined;
  }

  /**
   * Makes the sequencer's records match what L1 holds now (see the header). `withOps`: re-read
   * the L1 operations from the fork (a reorganisation is suspected); without it only the
   * batches are compared (a submission L1 holds but the database did not record). Everything is
   * read first and written in one database transaction: a failure half-way changes nothing, and
   * the next tick starts over.
   */
  async reconcile(view: L1View, reason: string, withOps: boolean): Promise<void> {
    const { store, watcher, ledger } = this.o;
    this.pending = reason;
    this.o.log(`sequencer: reconciling with L1: ${reason}`);
    const { ops, B, held, foreignFrom, adopted, rewindFrom, resubmit, finalLost, lostAccounts } = await planReconciliation(
      watcher,
      store,
      view,
      [...ledger.live.keys()],
      withOps,
    );

    const rewound = store.transaction(() => {
      watcher.applyPlan(ops);
      for (const h of held) ledger.writeIncluded(h.rec, h.txHash, h.block);
      for (const r of resubmit) {
        store.setBatchUnincluded(r.number);
        store.setTxStatus(r.txIds, "proven", r.number);
      }
      const gone = rewindFrom !== undefined ? ledger.rewindStore(rewindFrom) : [];
      this.storeAdopted(adopted);
      this.rejectOnLostAccounts(lostAccounts);
      return gone;
    });

    watcher.commitTip(ops);
    ledger.refresh([...held.map((h) => h.rec.number), ...resubmit.map((r) => r.number)]);
    if (finalLost.length) {
      this.o.log(
        `sequencer: WARNING: L1 REORGANISATION DEEPER THAN THE FINALITY RULE (${describeFinality(this.o.finality)}): ` +
          `batch(es) ${finalLost.join(", ")} had been reported final and L1 no longer holds them; recovering (resubmitting or rebuilding them)`,
      );
    }
    if (adopted.length) {
      this.o.log(
        `sequencer: L1 holds batch(es) ${adopted[0]!.number}..${B} that this sequencer did not build (another submitter with the sequencer key?): ` +
          `following them from their posted data${rewound.length ? `, own batch(es) from ${rewound[0]!.number} on rebuilt on top` : ""}`,
      );
    }
    // Final batches have no checkpoint left, batches taken from L1 none yet: replaying gets them in flight.
    const why =
      foreignFrom !== undefined
        ? "L1 holds other batches at their place"
        : `it was built on L1 operation(s) from #${ops.firstChanged} on, which L1 no longer holds`;
    if (rewound.length) ledger.rewindMemory(rewound, why, finalLost.length > 0 || adopted.length > 0);
    else if (finalLost.length || adopted.length) ledger.rederive();
    this.o.reloadMempool();
    this.pending = undefined;
    this.count++;
    this.last = {
      at: new Date().toISOString(),
      reason,
      ...(Number.isFinite(ops.firstChanged) && { l1OpsFrom: ops.firstChanged }),
      l1OpsDropped: ops.dropped.length,
      resubmitted: resubmit.map((r) => r.number),
      ...(rewindFrom !== undefined && { rewoundFrom: rewindFrom }),
      finalLost,
    };
    this.o.log(
      `sequencer: reconciled with L1 at block ${view.head.number}: L1 holds ${B} batch(es); ${ops.dropped.length} L1 operation(s) dropped, ` +
        `${ops.moved.length} in other blocks, ${resubmit.length} batch(es) to submit again${rewindFrom !== undefined ? `, rebuilding from batch ${rewindFrom}` : ""}`,
    );
  }

  /** Records L1's batches this sequencer takes over (inside the caller's transaction, after the rewind). */
  private storeAdopted(adopted: L1Batch[]): void {
    const { store, params } = this.o;
    if (!adopted.length) return;
    const prev = store.batch(adopted[0]!.number - 1);
    let l1From = prev ? prev.l1From + prev.l1Count : 0;
    for (const b of adopted) {
      const p = b.posted!.data;
      const fallback = b.posted!.fallback === true;
      const { feeIdx } = decodeBatchData(p, batchParams(params, fallback));
      store.addBatch({
        number: b.number,
        status: "included",
        l1From,
        l1Count: b.l1Count,
        txIds: [],
        feeIdx,
        oldRoot: b.oldRoot,
        newRoot: b.newRoot,
        commitment: p.commitment,
        publicSignals: [0n, 0n], // proven by its submitter, not here
        posted: p,
        postedFallback: fallback,
      });
      store.setBatchIncluded(b.number, b.txHash, b.block.number, b.block.hash);
      l1From += b.l1Count;
    }
  }

  /**
   * Rejects the waiting transactions (pending, or back from rewound batches) of accounts whose
   * creating deposit L1 no longer holds: that index may belong to another account now.
   */
  private rejectOnLostAccounts(lost: Set<bigint>): void {
    if (!lost.size) return;
    const { store } = this.o;
    const hit = store.pendingTxs().filter((r) => lost.has(r.tx.from) || lost.has(r.tx.to));
    for (const r of hit) {
      const idx = lost.has(r.tx.from) ? r.tx.from : r.tx.to;
      store.setTxStatus(
        [r.id],
        "rejected",
        null,
        `ACCOUNT_REORGED: account #${idx} was created by an L1 deposit that an L1 reorganisation removed (the index may be another account's now): sign again`,
      );
    }
    if (hit.length) this.o.log(`sequencer: rejected ${hit.length} transaction(s) of account(s) ${[...lost].join(", ")}, whose deposit L1 no longer holds`);
  }
}
