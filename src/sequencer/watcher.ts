// The sequencer's view of L1: the head, the final height, the rollup's position, the queued L1
// operations (each stored with the block it was read in), and the batches L1 holds.
//
// Reorganisations: a block hash commits to every block before it, so the watcher keeps the hash
// of the last block it read up to (the "tip") and checks each tick that the canonical block at
// that height still has it; if not, everything read since the fork is suspect. reconcile() then
// finds the newest stored operation whose block is still canonical, re-reads the events from
// there, and compares by chain hash: an operation included again elsewhere with the same content
// keeps its place (only its block changes), the first one that differs or is gone marks the
// start of what the sequencer must undo. New operations are also checked to extend the stored
// chain (h_i = Poseidon(h_{i−1}, op)), so a fork that happens while the events are read cannot
// slip a foreign operation into the stored queue.
import type { Block, EventLog, Log } from "ethers";
import { type BatchCall, decodeBatchCall } from "../chain/calldata.js";
import type { Hasher } from "../model/crypto.js";
import { type RollupContract } from "../chain/deploy.js";
import { type L1OpEvent, readL1Ops } from "../chain/events.js";
import { l1ChainStep } from "../model/l1op.js";
import { type LogWindow, queryLogs } from "../chain/logs.js";
import { FatalError, StateConflictError, TransientError } from "./errors.js";
import { type Finality, finalizedHeight } from "./finality.js";
import type { SequencerStore } from "./store.js";

/** A block the sequencer saw: its height and hash. */
export interface BlockRef {
  number: number;
  hash: string;
}

/** L1 as one tick sees it; the rollup is read at `head`. */
export interface L1View {
  head: BlockRef;
  /** The highest final block (src/sequencer/finality.ts). */
  finalized: number;
  batchNumber: bigint;
  stateRoot: bigint;
  l1OpCount: bigint;
}

/** How the stored queue differs from L1's (reconcile), applied by applyPlan. */
export interface OpsPlan {
  /** Queue index of the first stored operation that L1 no longer holds as it was (Infinity: none). */
  firstChanged: number;
  /** The stored operations from firstChanged on, to drop. */
  dropped: L1OpEvent[];
  /** Operations still on L1 with the same content but in another block. */
  moved: L1OpEvent[];
  /** Operations to store (L1's from firstChanged on, or new ones). */
  fresh: L1OpEvent[];
  /** The block the plan was read up to: the new tip. */
  tip?: BlockRef;
}

/** A batch as L1 holds it: its BatchSubmitted event and, for a direct call to the rollup, its calldata. */
export interface L1Batch {
  number: number;
  oldRoot: bigint;
  newRoot: bigint;
  l1Count: number;
  txHash: string;
  block: BlockRef;
  posted?: BatchCall;
}

export const NO_OPS_CHANGE: OpsPlan = { firstChanged: Number.POSITIVE_INFINITY, dropped: [], moved: [], fresh: [] };

const ref = (b: Block): BlockRef => ({ number: b.number, hash: b.hash! });

export class L1Watcher {
  /** The block the watcher has read events up to. */
  private tip?: BlockRef;

  constructor(
    private readonly rollup: RollupContract,
    private readonly store: SequencerStore,
    private readonly hash: Hasher,
    /** The rollup's deployment block. */
    private readonly fromBlock: number,
    readonly finality: Finality,
    private readonly logs: LogWindow,
  ) {
    const n = store.getMeta("l1ScannedBlock");
    const h = store.getMeta("l1ScannedHash");
    if (n !== undefined && h !== undefined) this.tip = { number: Number(n), hash: h };
  }

  get scanned(): BlockRef | undefined {
    return this.tip;
  }

  /** The eth_getLogs range this node accepts (shared by every query to it). */
  get logWindow(): LogWindow {
    return this.logs;
  }

  private get provider() {
    return this.rollup.runner!.provider!;
  }

  /** The head, the final height and the rollup's position at the head. */
  async observe(): Promise<L1View> {
    const head = await this.provider.getBlock("latest");
    if (!head?.hash) throw new TransientError("RPC", "the L1 node returned no latest block");
    const at = { blockTag: head.number };
    const [finalized, batchNumber, stateRoot, l1OpCount] = await Promise.all([
      finalizedHeight(this.provider, this.finality, head.number),
      this.rollup.batchNumber(at),
      this.rollup.stateRoot(at),
      this.rollup.l1OpCount(at),
    ]);
    return { head: ref(head), finalized: Math.min(finalized, head.number), batchNumber, stateRoot, l1OpCount };
  }

  /** The canonical hash at `number` (undefined if the node has no such block). */
  async hashAt(number: number): Promise<string | undefined> {
    return (await this.provider.getBlock(number))?.hash ?? undefined;
  }

  /** Whether the tip's block was replaced (a reorganisation); the head must be at or above it. */
  async tipReplaced(view: L1View): Promise<boolean> {
    if (!this.tip) return false;
    if (this.tip.number === view.head.number) return this.tip.hash !== view.head.hash;
    return (await this.hashAt(this.tip.number)) !== this.tip.hash;
  }

  /**
   * Reads the operations queued since the tip, up to the head, and stores them. Throws
   * StateConflictError if they do not extend the stored queue (a fork the tip check has not
   * seen yet: the caller reconciles), TransientError if the head changed during the read.
   */
  async scan(view: L1View): Promise<number> {
    const from = this.tip ? this.tip.number + 1 : this.fromBlock;
    if (from > view.head.number) return 0;
    const ops = await readL1Ops(this.rollup, from, { toBlock: view.head.number, window: this.logs });
    const have = this.store.l1OpCount();
    if (ops.length && Number(ops[0]!.queueIndex) !== have) {
      throw new StateConflictError("REORG", `the L1 events from block ${from} start at operation ${ops[0]!.queueIndex}, the stored queue has ${have}`);
    }
    this.checkLinks(have, ops);
    if ((await this.hashAt(view.head.number)) !== view.head.hash)
      throw new TransientError("RPC", `L1 block ${view.head.number} was replaced while its events were read`);
    this.store.transaction(() => {
      this.store.addL1Ops(ops);
      this.writeTip(view.head);
    });
    this.tip = view.head;
    return ops.length;
  }

  /**
   * After a reorganisation: re-reads the events from the newest stored operation whose block is
   * still canonical and compares them with the stored queue (see the header). Reads only: the
   * caller applies the plan (applyPlan) in the same database transaction as what follows from it.
   */
  async reconcile(view: L1View): Promise<OpsPlan> {
    const count = this.store.l1OpCount();
    const anchor = await this.newestCanonicalOp(count);
    const start = anchor ? anchor.blockNumber : this.fromBlock;
    const after = anchor ? Number(anchor.queueIndex) + 1 : 0;
    const canonical = (await readL1Ops(this.rollup, start, { toBlock: view.head.number, window: this.logs })).filter((op) => Number(op.queueIndex) >= after);
    if (canonical.length && Number(canonical[0]!.queueIndex) !== after) {
      throw new TransientError("RPC", `the L1 events from block ${start} start at operation ${canonical[0]!.queueIndex}, expected ${after}`);
    }
    this.checkLinks(after, canonical);
    if (BigInt(after + canonical.length) !== view.l1OpCount) {
      throw new TransientError(
        "RPC",
        `the node's L1OpQueued events (${after + canonical.length}) disagree with the rollup's l1OpCount (${view.l1OpCount}) at block ${view.head.number}`,
      );
    }
    const stored = count > after ? this.store.l1OpEvents(after, count - after) : [];
    let firstChanged = Number.POSITIVE_INFINITY;
    const moved: L1OpEvent[] = [];
    for (let i = 0; i < stored.length; i++) {
      const c = canonical[i];
      if (!c || c.chainHash !== stored[i]!.chainHash) {
        firstChanged = after + i;
        break;
      }
      if (c.blockHash !== stored[i]!.blockHash) moved.push(c);
    }
    const keep = Number.isFinite(firstChanged) ? firstChanged - after : stored.length;
    return { firstChanged, dropped: stored.slice(keep), moved, fresh: canonical.slice(keep), tip: view.head };
  }

  /** Writes a plan of reconcile (inside the caller's database transaction); commitTip after the commit. */
  applyPlan(plan: OpsPlan): void {
    if (Number.isFinite(plan.firstChanged)) this.store.dropL1OpsFrom(plan.firstChanged);
    for (const op of plan.moved) this.store.setL1OpBlock(Number(op.queueIndex), op.blockNumber, op.blockHash, op.transactionHash);
    this.store.addL1Ops(plan.fresh);
    if (plan.tip) this.writeTip(plan.tip);
  }

  /** The tip of an applied plan, once its transaction committed. */
  commitTip(plan: OpsPlan): void {
    if (plan.tip) this.tip = plan.tip;
  }

  /** The newest stored operation whose block is still canonical, walking back from the newest. */
  private async newestCanonicalOp(count: number): Promise<L1OpEvent | undefined> {
    const hashes = new Map<number, string | undefined>();
    for (let end = count; end > 0;) {
      const from = Math.max(0, end - 64);
      const ops = this.store.l1OpEvents(from, end - from);
      const unknown = [...new Set(ops.map((o) => o.blockNumber))].filter((n) => !hashes.has(n));
      (await Promise.all(unknown.map((n) => this.hashAt(n)))).forEach((h, i) => hashes.set(unknown[i]!, h));
      for (let i = ops.length - 1; i >= 0; i--) if (hashes.get(ops[i]!.blockNumber) === ops[i]!.blockHash) return ops[i];
      end = from;
    }
    return undefined;
  }

  /** Batch `n` as L1 holds it (its BatchSubmitted event after the last final batch's block, or anywhere). */
  async batch(n: number, view: L1View): Promise<L1Batch> {
    const { rollup } = this;
    const lastFinal = this.store.lastFinalBatch(n);
    const find = (from: number) => queryLogs(rollup, rollup.filters.BatchSubmitted!(n), from, view.head.number, { window: this.logs });
    let logs = await find(lastFinal?.l1Block ?? this.fromBlock);
    if (!logs.length && lastFinal) logs = await find(this.fromBlock);
    const log = logs.at(-1);
    if (!log) throw new TransientError("RPC", `L1 is at batch ${view.batchNumber} but the node returned no BatchSubmitted event for batch ${n}`);
    return this.decodeL1Batch(log);
  }

  /** L1's batches from..to, in order, each with its posted data (FatalError if one cannot be read). */
  async batchesFrom(from: number, to: number, view: L1View): Promise<L1Batch[]> {
    const { rollup } = this;
    const lastFinal = this.store.lastFinalBatch(from);
    const logs = await queryLogs(rollup, rollup.filters.BatchSubmitted!(), lastFinal?.l1Block ?? this.fromBlock, view.head.number, { window: this.logs });
    const out: L1Batch[] = [];
    for (const log of logs) {
      if (!("args" in log) || Number(log.args.batchNumber) < from || Number(log.args.batchNumber) > to) continue;
      const b = await this.decodeL1Batch(log);
      if (!b.posted)
        throw new FatalError(
          "OUT_OF_SYNC",
          `L1 batch ${b.number} was submitted through another contract (transaction ${b.txHash}): its data cannot be read, and the sequencer cannot follow it`,
        );
      out.push(b);
    }
    out.sort((a, b) => a.number - b.number);
    if (out.length !== to - from + 1 || out.some((b, i) => b.number !== from + i)) {
      throw new TransientError("RPC", `the node returned the BatchSubmitted events of batches ${out.map((b) => b.number).join(", ")}, not ${from}..${to}`);
    }
    return out;
  }

  private async decodeL1Batch(log: EventLog | Log): Promise<L1Batch> {
    if (!("args" in log)) throw new TransientError("RPC", `cannot decode the BatchSubmitted log of transaction ${log.transactionHash}`);
    const provider = this.provider;
    const [tx, receipt] = await Promise.all([provider.getTransaction(log.transactionHash), provider.getTransactionReceipt(log.transactionHash)]);
    if (!tx || !receipt) throw new TransientError("RPC", `transaction ${log.transactionHash} of batch ${log.args.batchNumber} not found`);
    // The j-th BatchSubmitted event of a transaction is the j-th batch of its calldata.
    const position = receipt.logs.filter((l) => l.topics[0] === log.topics[0] && l.address === log.address).findIndex((l) => l.index === log.index);
    const posted = tx.to?.toLowerCase() === log.address.toLowerCase() ? decodeBatchCall(this.rollup.interface, tx.data)[position] : undefined;
    return {
      number: Number(log.args.batchNumber),
      oldRoot: log.args.oldRoot as bigint,
      newRoot: log.args.newRoot as bigint,
      l1Count: Number(log.args.l1Count),
      txHash: log.transactionHash,
      block: { number: log.blockNumber, hash: log.blockHash },
      posted,
    };
  }

  /** Throws unless `ops` (from queue index `first` on) extend the stored chain hash by hash. */
  private checkLinks(first: number, ops: L1OpEvent[]): void {
    let prev = first === 0 ? 0n : this.store.l1OpEvents(first - 1, 1)[0]!.chainHash;
    for (const op of ops) {
      if (l1ChainStep(this.hash, prev, op) !== op.chainHash) {
        throw new StateConflictError("REORG", `L1 operation ${op.queueIndex} (block ${op.blockNumber}) does not extend the stored queue's chain hash`);
      }
      prev = op.chainHash;
    }
  }

  private writeTip(b: BlockRef): void {
    this.store.setMeta("l1ScannedBlock", String(b.number));
    this.store.setMeta("l1ScannedHash", b.hash);
  }
}
