// What reconciling with L1 changes, decided from what L1 holds now and what the sequencer recorded
// (src/sequencer/service.ts applies it in one database transaction):
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
import { L1OpKind, type QueuedL1Op } from "../model/l1op.js";
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
