// The batch planner: when the next batch is sealed, and what goes in it.
//
// Sealing criteria (each one alone seals the batch, like zksync-era's state_keeper seal
// criteria): queued L1 operations are waiting (deposits and forced exits should not wait), the
// mempool holds a full batch of transactions, or the oldest waiting transaction is batchTimeoutMs
// old. Nothing is sealed while maxInFlight batches are built and not yet included (back-pressure:
// proving and submission must catch up), nor during the backoff after L1 refused a batch by a
// rule of its own (`rebuild`: a rule that keeps failing does not become a loop).
//
// Contents: the next L1 operations in queue order (up to the instance's L1 slots), then the
// mempool's candidates in its order (fair queuing across senders, see mempool.ts); a transaction
// the builder rejects leaves the pool with its sender's later ones (their nonces can no longer
// apply). When every candidate is rejected and no L1 operation waits, the rejections are recorded
// and no (empty) batch is built or proven.
import { finishHere, prepareBatch, type Batch, type BatchContents, type BatchContext, type PreparedBatch } from "../model/batch.js";
import { l1OpsForBatch } from "../model/l1op.js";
import type { DerivedParams } from "../model/params.js";
import { type L2State, OutOfSyncError } from "../model/state.js";
import type { TreePlan, TreePlanResult } from "../model/treePlan.js";
import { FatalError, type Retry } from "./errors.js";
import type { Ledger } from "./ledger.js";
import type { Mempool } from "./mempool.js";
import type { BatchRecord, NewBatch, SequencerStore, TxRecord } from "./store.js";

/** What the sealing criteria look at. */
export interface SealInput {
  /** Pending transactions in the mempool. */
  pending: number;
  /** Age of the oldest pending transaction (undefined: none). */
  oldestAgeMs?: number;
  /** Queued L1 operations no batch consumed yet. */
  l1OpsWaiting: number;
}

export interface SealConfig {
  batchSize: number;
  batchTimeoutMs: number;
}

export interface SealCriterion {
  readonly name: SealReason;
  shouldSeal(s: SealInput, c: SealConfig): boolean;
}

export type SealReason = "l1-ops-waiting" | "full" | "timeout";

export const SEAL_CRITERIA: readonly SealCriterion[] = [
  { name: "l1-ops-waiting", shouldSeal: (s) => s.l1OpsWaiting > 0 },
  { name: "full", shouldSeal: (s, c) => s.pending >= c.batchSize },
  { name: "timeout", shouldSeal: (s, c) => s.oldestAgeMs !== undefined && s.oldestAgeMs >= c.batchTimeoutMs },
];

/** The first criterion that seals a batch now, or undefined (nothing waits, or transactions wait for more or for the timeout). */
export function sealReason(s: SealInput, c: SealConfig): SealReason | undefined {
  if (s.pending === 0 && s.l1OpsWaiting === 0) return undefined;
  return SEAL_CRITERIA.find((k) => k.shouldSeal(s, c))?.name;
}

/**
 * Builds a batch on `state` under a checkpoint it returns (the caller commits it, or reverts it
 * to undo the batch; on a throw it is reverted here). An L1 operation that does not apply is a
 * FatalError OUT_OF_SYNC: the state is not the one L1's queue was built on.
 */
export function assembleBatch(state: L2State, contents: BatchContents, ctx: BatchContext): { batch: Batch; cp: number } {
  const { prepared, cp } = prepareAssembled(state, contents, ctx);
  try {
    return { batch: finishHere(state, prepared), cp };
  } catch (e) {
    state.revert(cp);
    throw e;
  }
}

/** assembleBatch's first step (prepareBatch under the checkpoint it returns), its hashing still to compute. */
export function prepareAssembled(state: L2State, contents: BatchContents, ctx: BatchContext): { prepared: PreparedBatch; cp: number } {
  const cp = state.checkpoint();
  try {
    return { prepared: prepareBatch(state, contents, ctx), cp };
  } catch (e) {
    state.revert(cp);
    if (e instanceof OutOfSyncError) throw new FatalError("OUT_OF_SYNC", e.message, { cause: e });
    throw e;
  }
}

/**
 * The fee accounts named in the next batch: the configured ones that exist, the first of each
 * token (a batch has one fee slot per token; a second account of a token is not used).
 */
export function feeAccounts(state: L2State, configured: readonly bigint[]): bigint[] {
  const tokens = new Set<bigint>();
  return configured.filter((i) => {
    const a = state.account(i);
    if (!a || tokens.has(a.tokenId)) return false;
    tokens.add(a.tokenId);
    return true;
  });
}

/** " (FEE_ACCOUNT_FULL 1, BAD_NONCE 2)" for reasons "CODE: message", or "" for none. */
function countByCode(reasons: Iterable<string>): string {
  const n = new Map<string, number>();
  for (const r of reasons) n.set(r.split(":")[0]!, (n.get(r.split(":")[0]!) ?? 0) + 1);
  return n.size ? ` (${[...n].map(([code, k]) => `${code} ${k}`).join(", ")})` : "";
}

export interface PlannerOptions {
  params: DerivedParams;
  store: SequencerStore;
  ledger: Ledger;
  pool: Mempool;
  /** Fee account indexes named in every batch (those that exist, one per token). */
  feeIdx: readonly bigint[];
  batchTimeoutMs: number;
  maxInFlight: number;
  /** Backoff of rebuilds after L1 refused a batch (the submitter's conflicts). */
  rebuild: Retry;
  /** Signature checks admission made (Admission.signatureOf): not made again while the sender's key is the one checked. */
  signatureOf?: BatchContext["signatureOf"];
  /**
   * Computes a batch's Merkle hashing elsewhere (SignatureVerifierPool.hashTree: a worker thread),
   * while the service thread goes on accepting transactions; without it, computed inline.
   */
  hashTree?: (plan: TreePlan) => Promise<TreePlanResult>;
  /** Called once a batch's hashing was handed to `hashTree`, while it runs (the sequencer hands the batches before it to the proving backend meanwhile). */
  whileHashing?: () => void;
  /** Loads the pool again from the store after a batch that could not be finished (the sequencer's: Admission.reload; default: the pool alone). */
  reloadPool?: () => void;
  log: (m: string) => void;
}

/** A batch the planner built and recorded ("proving"), with the checkpoint before it. */
export interface BuiltBatch {
  record: BatchRecord;
  batch: Batch;
  cp: number;
  reason: SealReason;
}

export class BatchPlanner {
  constructor(private readonly o: PlannerOptions) {}

  /** Why the next batch is sealed now, or undefined if it is not (nothing due, back-pressure, the rebuild backoff). */
  due(now = Date.now()): SealReason | undefined {
    const { ledger, pool, params } = this.o;
    if (ledger.inFlightCount() >= this.o.maxInFlight || !this.o.rebuild.due(now)) return undefined;
    const oldest = pool.oldest();
    return sealReason(
      { pending: pool.size, oldestAgeMs: oldest && now - oldest.receivedAt, l1OpsWaiting: this.o.store.l1OpCount() - ledger.nextL1 },
      { batchSize: params.batchSize, batchTimeoutMs: this.o.batchTimeoutMs },
    );
  }

  /**
   * Builds and records the next batch if one is due. Returns the batch built, "rejected" if the
   * candidates were all rejected (recorded, nothing built), or undefined if nothing was due.
   *
   * In two steps (prepareBatch): the rules and the accounts at once, then the Merkle hashing,
   * awaited (on another thread with `hashTree`). The batch's transactions leave the pool in the
   * first step and its L1 operations count as consumed (ledger.nextL1), so that a submission
   * accepted meanwhile is checked against the accounts after the batch with the batch's
   * transactions no longer pending and its deposits no longer queued, which is what it will be
   * once the batch is recorded. Nothing is written before the second step: a crash meanwhile leaves the
   * transactions pending in the store. The caller changes nothing else in the state until this
   * returns (the sequencer's loop awaits it).
   */
  async buildDue(): Promise<BuiltBatch | "rejected" | undefined> {
    const reason = this.due();
    if (!reason) return undefined;
    const { store, params, ledger, pool } = this.o;
    const state = ledger.state;
    const nextL1 = ledger.nextL1;
    const number = (store.lastBatch()?.number ?? 0) + 1;
    const next = store.l1Ops(nextL1, Math.min(store.l1OpCount() - nextL1, params.l1Slots));
    const l1Count = l1OpsForBatch(next, params.l1Slots);
    const l1Ops = next.slice(0, l1Count);
    const l1HashStart = nextL1 === 0 ? 0n : store.l1Ops(nextL1 - 1, 1)[0].chainHash;
    const candidates = pool.candidates(params.batchSize);
    const byTx = new Map(candidates.map((r) => [r.tx, r]));
    // The checkpoint stays open until the batch is final on L1 (Ledger.markFinal), so that a
    // reorganisation can take the state back to it.
    const { prepared, cp } = prepareAssembled(
      state,
      { l1Ops, txs: candidates.map((r) => r.tx) },
      { domain: ledger.domain, feeIdx: feeAccounts(state, this.o.feeIdx), l1HashStart, signatureOf: this.o.signatureOf },
    );
    const included = prepared.txs.map((t) => byTx.get(t)!.id);
    const rejected = this.withFollowers(prepared.rejected.map((r) => [byTx.get(r.tx)!, `${r.error.code}: ${r.error.message}`]));
    const rejections = countByCode(rejected.values());
    const leavePool = () => {
      for (const id of included) pool.take(id);
      for (const id of rejected.keys()) pool.remove(id);
    };
    if (included.length === 0 && l1Count === 0) {
      prepared.abort();
      state.revert(cp);
      store.transaction(() => {
        for (const [id, why] of rejected) store.setTxStatus([id], "rejected", null, why);
      });
      leavePool();
      this.o.log(`sequencer: ${rejected.size} transaction(s) rejected${rejections}, no batch built`);
      return "rejected";
    }
    leavePool();
    // The L1 operations are in the accounts now: admission counts the queued deposits after them.
    ledger.nextL1 = nextL1 + l1Count;
    let batch: Batch;
    try {
      batch = this.o.hashTree ? await this.finishHashed(prepared, this.o.hashTree) : finishHere(state, prepared);
      const record: NewBatch = {
        number,
        status: "proving",
        l1From: nextL1,
        l1Count,
        txIds: included,
        feeIdx: batch.feeIdx,
        oldRoot: batch.oldRoot,
        newRoot: batch.data.newRoot,
        commitment: batch.data.commitment,
        publicSignals: batch.publicSignals,
      };
      store.transaction(() => {
        store.addBatch(record);
        store.setTxStatus(included, "batched", number);
        for (const [id, why] of rejected) store.setTxStatus([id], "rejected", null, why);
      });
    } catch (e) {
      state.revert(cp);
      ledger.nextL1 = nextL1;
      // The transactions taken are still pending in the store.
      if (this.o.reloadPool) this.o.reloadPool();
      else pool.load(store.pendingTxs(), (i) => ledger.state.account(i)?.tokenId);
      throw e;
    }
    leavePool(); // again: a reload of the pool meanwhile (a failed group commit) brought them back
    const rec = store.batch(number)!;
    this.o.log(`sequencer: built batch ${number} (${rec.txIds.length} txs, ${l1Count} L1 ops, ${rejected.size} rejected${rejections})`);
    return { record: rec, batch, cp, reason };
  }

  /** `prepared` finished with its plan computed by `hashTree` (aborted if that fails); whileHashing runs meanwhile. */
  private async finishHashed(prepared: PreparedBatch, hashTree: (plan: TreePlan) => Promise<TreePlanResult>): Promise<Batch> {
    const hashing = hashTree(prepared.plan);
    this.o.whileHashing?.();
    let result: TreePlanResult;
    try {
      result = await hashing;
    } catch (e) {
      prepared.abort();
      throw e;
    }
    return prepared.finish(result);
  }

  /** Rejected transactions and, after each, its sender's later pending ones (their nonces can no longer apply): id → reason. */
  private withFollowers(rejected: [TxRecord, string][]): Map<string, string> {
    const out = new Map(rejected.map(([r, why]) => [r.id, why]));
    for (const [r] of rejected) {
      for (const f of this.o.pool.followers(r.id)) {
        if (!out.has(f.id)) out.set(f.id, `BAD_NONCE: transaction ${r.id} (nonce ${r.tx.nonce}) of account ${r.tx.from} before it was rejected`);
      }
    }
    return out;
  }
}
