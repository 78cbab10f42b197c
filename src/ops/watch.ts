// The watchtower (`zkr watch`): follows the rollup on L1 from its deployment on, re-verifies every
// batch as it lands the way `zkr verify` does (verifyPostedBatch: the data commitment, the public
// inputs recomputed from L1, the proof with the verification key, that key against the rollup's
// key hash, the roots) and applies it to a state rebuilt in memory (applyBatchData, as `zkr
// rebuild` does), so it always holds the current root and compares it with the rollup's. Each
// poll it also reads the L1 queue, the time of the sequencer's last batch and, at the latest
// block's timestamp (chain time), raises an alert when a condition starts and clears it when it
// ends: an invalid batch, an L1 operation waiting past a threshold (censorship, a forced exit
// above all), a silent sequencer, a watched batch reorganised out of L1, a rebuilt root other
// than the rollup's. With `act` it also runs the permissionless fallback (runFallback) when the
// rollup allows it and operations wait, and activates escape mode when the rollup allows that.
//
// Reorganisations: the blocks read up to and the blocks of the batches watched are remembered for
// a window of blocks. Each poll checks the last block read up to (its hash commits to every block
// before it); if it changed, the highest remembered block still on the canonical chain is where
// the chains part. Without a watched batch after it, only the events after it are read again;
// otherwise (or if the fork is older than the window) the state is rebuilt from the deployment
// on, the batches before the first lost one replayed without checking their proofs again.
import { type Block, MaxUint256 } from "ethers";
import { type L1OpEvent, readL1Ops } from "../chain/events.js";
import { type BatchVerification, type PostedBatch, readBatches, verifyPostedBatch } from "../chain/rebuild.js";
import { applyBatchData } from "../model/batch.js";
import { loadCrypto, type ZkrCrypto } from "../model/crypto.js";
import { L1OpKind, l1OpKindName } from "../model/l1op.js";
import { L2State } from "../model/state.js";
import { batchParams } from "../proving/instances.js";
import type { SetupManifest } from "../proving/manifest.js";
import type { ProverOptions } from "../proving/prover.js";
import type { Log } from "../util/log.js";
import { Metrics } from "../util/metrics.js";
import { fetchFailure, type RollupConnection } from "./connect.js";
import { activateEscape } from "./escape.js";
import { runFallback } from "./fallback.js";

export const ALERT_KINDS = ["invalid-batch", "forced-op-waiting", "sequencer-silent", "reorg", "state-mismatch"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** A condition the watchtower reports when it starts (`raised`) and once more when it ends (`cleared`). */
export interface Alert {
  kind: AlertKind;
  /** The condition: `kind`, or `kind:n` for one batch or one L1 operation. */
  key: string;
  status: "raised" | "cleared";
  message: string;
  /** The rollup's address and chain. */
  rollup: string;
  chainId: string;
  /** The L1 block of the poll that saw it, and its timestamp (chain time, seconds). */
  block: number;
  chainTime: number;
  details: Record<string, string | number | boolean | null>;
}

/** What `act` needs: the fallback's proving key, and how many fallback batches one round may submit. */
export interface WatchActOptions {
  fallbackSetup: SetupManifest;
  maxBatches: number;
  prover?: Pick<ProverOptions, "witness" | "prover">;
}

export interface WatchOptions {
  /** Verification key files: of the rollup's verifier, and of its fallback verifier (deploymentSetup, deploymentFallbackSetup). */
  vkey: string;
  fallbackVkey: string;
  /** An L1 operation unprocessed this many seconds after it was queued is reported. */
  forcedThreshold: number;
  /** No batch from the sequencer for this many seconds is reported. */
  silenceThreshold: number;
  /** Blocks back that the blocks read and the watched batches' blocks are remembered for reorganisations (default 128). */
  reorgWindow?: number;
  /** Run the fallback, and escape mode, when the rollup allows them (the connection must have a signer). */
  act?: WatchActOptions;
  /** Every alert, raised or cleared, as it happens. */
  onAlert?: (a: Alert) => void;
  log?: Log;
  /** Where the numbers go (default: a new watchMetrics()). */
  metrics?: Metrics;
  /** How the batches are read (default readBatches): the tests feed corrupted batches through it. */
  readBatches?: typeof readBatches;
}

/** What one poll saw and did. */
export interface PollReport {
  block: number;
  chainTime: number;
  /** Batches on L1 that the watchtower has followed, and how many of them this poll checked. */
  batches: number;
  verified: number;
  root: string;
  onChainRoot: string;
  /** L1 operations queued and not processed, and the age of the oldest (null: none waits). */
  waiting: number;
  oldestWaitingAge: number | null;
  /** Seconds since the sequencer's last batch (its deployment before the first) and since any batch. */
  sequencerSilentFor: number;
  lastBatchAge: number;
  escapeMode: boolean;
  /** Alerts raised or cleared by this poll, and every alert active after it. */
  alerts: Alert[];
  active: Alert[];
  /** What `act` did, one line each. */
  acted: string[];
}

/** How many waiting operations are reported one by one (the oldest; all of them are counted in the metrics). */
export const MAX_REPORTED_OPS = 10;

/** The watchtower's metric families (src/util/metrics.ts), every alert kind listed at 0. */
export function watchMetrics(): Metrics {
  const m = new Metrics()
    .define("zkr_watch_l1_block", "gauge", "L1 block the last poll read up to")
    .define("zkr_watch_batch_number", "gauge", "batches on L1 the watchtower has followed")
    .define("zkr_watch_batches_verified_total", "counter", "batches whose data, proof and key were checked")
    .define("zkr_watch_invalid_batches_total", "counter", "batches that did not verify or whose data did not apply")
    .define("zkr_watch_state_root_matches", "gauge", "1 if the state rebuilt from L1 has the rollup's root, else 0")
    .define("zkr_watch_last_batch_age_seconds", "gauge", "chain time since the last batch of any kind")
    .define("zkr_watch_last_sequencer_batch_age_seconds", "gauge", "chain time since the sequencer's last batch (since deployment before the first)")
    .define("zkr_watch_waiting_l1ops", "gauge", "L1 operations queued and not processed")
    .define("zkr_watch_waiting_l1ops_over_threshold", "gauge", "L1 operations waiting longer than the forced-operation threshold")
    .define("zkr_watch_oldest_waiting_l1op_age_seconds", "gauge", "chain time the oldest unprocessed L1 operation has waited (0 if none)")
    .define("zkr_watch_escape_mode", "gauge", "1 once the rollup is in escape mode")
    .define("zkr_watch_reorgs_total", "counter", "L1 reorganisations seen below the last block read")
    .define("zkr_watch_alerts_total", "counter", "alerts raised, by kind")
    .define("zkr_watch_active_alerts", "gauge", "alerts active, by kind")
    .define("zkr_watch_poll_errors_total", "counter", "polls that failed (the node unreachable, ...)")
    .define("zkr_watch_fallback_batches_total", "counter", "fallback batches submitted by --act")
    .define("zkr_watch_escape_activations_total", "counter", "escape mode activated by --act");
  for (const kind of ALERT_KINDS) {
    m.inc("zkr_watch_alerts_total", { kind }, 0);
    m.set("zkr_watch_active_alerts", 0, { kind });
  }
  return m;
}

interface BlockRef {
  number: number;
  hash: string;
}

interface WatchedBatch {
  number: bigint;
  blockNumber: number;
  blockHash: string;
  txHash: string;
}

/** A batch read this poll with its verification (undefined: replayed after a reorganisation, its proof checked before). */
interface ReadBatch {
  batch: PostedBatch;
  v?: BatchVerification;
}

const DEFAULT_REORG_WINDOW = 128;

const errorLine = (e: unknown) => ((e as { shortMessage?: string }).shortMessage ?? (e as Error).message ?? String(e)).split("\n")[0]!;

export class Watchtower {
  readonly metrics: Metrics;
  private state: L2State;
  /** Next block to read events from. */
  private cursor: number;
  /** Batches applied, and the L1 operations they consumed. */
  private batchCount = 0n;
  private consumed = 0n;
  /** Operations queued and not consumed yet, in queue order (what the next batches apply). */
  private pending: L1OpEvent[] = [];
  /** Batches whose block is in the reorganisation window, and the blocks read up to. */
  private watched: WatchedBatch[] = [];
  private tips: BlockRef[] = [];
  /** The proofs of the batches up to this one were checked (a replay after a reorganisation skips them). */
  private verifiedThrough = 0n;
  /** A batch whose data did not apply: the rebuilt state stays before it. */
  private stuck?: bigint;
  private readonly active = new Map<string, Alert>();
  private readonly log: Log;
  private readonly window: number;
  private events: Alert[] = [];
  private head?: Block;
  private escapeLogged = false;
  /** The fallback's opening time last logged by act (once per value). */
  private fallbackOpensLogged?: bigint;

  private constructor(
    private readonly c: RollupConnection,
    private readonly o: WatchOptions,
    private readonly crypto: ZkrCrypto,
  ) {
    if (!(o.forcedThreshold >= 0) || !(o.silenceThreshold >= 0)) throw new Error("the watchtower's thresholds must be 0 or more seconds");
    this.metrics = o.metrics ?? watchMetrics();
    this.log = o.log ?? (() => {});
    this.window = o.reorgWindow ?? DEFAULT_REORG_WINDOW;
    this.state = new L2State(crypto, c.params);
    this.cursor = c.deployment.deployBlock;
    if (o.act && !c.signer) throw new Error("acting needs an L1 key (the fallback's batches and escape mode are transactions)");
  }

  static async create(c: RollupConnection, o: WatchOptions): Promise<Watchtower> {
    return new Watchtower(c, o, await loadCrypto());
  }

  /** The alerts active now. */
  activeAlerts(): Alert[] {
    return [...this.active.values()];
  }

  /**
   * One round: check the last block read is still canonical (else recover), read and check the
   * new batches, compare with the rollup's state at the latest block, raise and clear alerts, and
   * with `act` (unless `act: false` here) run the fallback or escape mode when the rollup allows.
   */
  async poll(opts: { act?: boolean } = {}): Promise<PollReport> {
    this.events = [];
    try {
      const head = await this.c.provider.getBlock("latest");
      if (!head) throw new Error("the L1 node has no latest block");
      this.head = head;
      await this.checkReorg(head);
      const verified = await this.follow(head);
      const report = await this.checkRollup(head, verified);
      if (this.o.act && opts.act !== false) report.acted = await this.act();
      report.alerts = this.events;
      report.active = this.activeAlerts();
      return report;
    } catch (e) {
      this.metrics.inc("zkr_watch_poll_errors_total");
      throw e;
    }
  }

  // ------------------------------------------------------------------ alerts

  private raise(kind: AlertKind, key: string, message: string, details: Alert["details"] = {}): void {
    if (this.active.has(key)) return;
    const a = this.alert(kind, key, "raised", message, details);
    this.active.set(key, a);
    this.metrics.inc("zkr_watch_alerts_total", { kind });
    this.emit(a);
  }

  private clear(key: string, message: string): void {
    const was = this.active.get(key);
    if (!was) return;
    this.active.delete(key);
    this.emit(this.alert(was.kind, key, "cleared", message, was.details));
  }

  private alert(kind: AlertKind, key: string, status: Alert["status"], message: string, details: Alert["details"]): Alert {
    const { deployment: d } = this.c;
    return { kind, key, status, message, rollup: d.rollup, chainId: d.chainId, block: this.head!.number, chainTime: this.head!.timestamp, details };
  }

  private emit(a: Alert): void {
    this.events.push(a);
    for (const kind of ALERT_KINDS) this.metrics.set("zkr_watch_active_alerts", this.activeAlerts().filter((x) => x.kind === kind).length, { kind });
    this.o.onAlert?.(a);
  }

  // ------------------------------------------------------------------ reorganisations

  /** If the last block read is no longer canonical: report the lost batches and go back to where the chains part. */
  private async checkReorg(head: Block): Promise<void> {
    const last = this.tips.at(-1);
    if (!last) return;
    const provider = this.c.provider;
    if ((await provider.getBlock(last.number))?.hash === last.hash) return;
    const known = [...this.tips, ...this.watched.map((b) => ({ number: b.blockNumber, hash: b.blockHash }))].sort((a, b) => b.number - a.number);
    let forkAfter: number | undefined;
    for (const k of known) {
      if (k.number > head.number) continue;
      if ((await provider.getBlock(k.number))?.hash === k.hash) {
        forkAfter = k.number;
        break;
      }
    }
    this.metrics.inc("zkr_watch_reorgs_total");
    const lost = this.watched.filter((b) => forkAfter === undefined || b.blockNumber > forkAfter);
    this.log(
      `L1 reorganisation: block ${last.number} (${last.hash}) is no longer canonical; ` +
        (forkAfter === undefined ? `the chains part more than ${this.window} blocks back` : `the chains part after block ${forkAfter}`) +
        (lost.length ? `; batch(es) ${lost.map((b) => b.number).join(", ")} lost` : "; no watched batch lost"),
    );
    for (const b of lost) {
      this.raise(
        "reorg",
        `reorg:${b.number}`,
        `batch ${b.number} (block ${b.blockNumber} ${b.blockHash}, tx ${b.txHash}) is no longer on the canonical L1 chain`,
        {
          batch: b.number.toString(),
          blockNumber: b.blockNumber,
          blockHash: b.blockHash,
          tx: b.txHash,
        },
      );
    }
    if (forkAfter !== undefined && lost.length === 0) {
      // Only blocks without watched batches were replaced: the events after the fork are read again.
      this.cursor = forkAfter + 1;
      this.pending = this.pending.filter((op) => op.blockNumber <= forkAfter);
      this.tips = this.tips.filter((t) => t.number <= forkAfter);
      return;
    }
    // Batches were lost (or the fork is older than the window): rebuild from the deployment on.
    this.verifiedThrough = forkAfter === undefined ? 0n : lost[0]!.number - 1n;
    this.log(`rebuilding the state from L1, checking again the batches after batch ${this.verifiedThrough}`);
    this.state = new L2State(this.crypto, this.c.params);
    this.cursor = this.c.deployment.deployBlock;
    this.batchCount = 0n;
    this.consumed = 0n;
    this.pending = [];
    this.watched = [];
    this.tips = [];
    this.stuck = undefined;
  }

  // ------------------------------------------------------------------ batches

  /** Reads the L1 operations and batches of the blocks not read yet, checks and applies the batches; returns how many were checked. */
  private async follow(head: Block): Promise<number> {
    const { rollup, logs } = this.c;
    const to = head.number;
    let verified = 0;
    if (this.cursor <= to) {
      // Everything read and checked first, applied after: a failed read changes nothing, the next poll reads it again.
      const ops = await readL1Ops(rollup, this.cursor, { ...logs, toBlock: to });
      const expected = this.consumed + BigInt(this.pending.length);
      if (ops.length && ops[0]!.queueIndex !== expected)
        throw new Error(`read L1 operation #${ops[0]!.queueIndex} from block ${this.cursor} where #${expected} was next (a node that dropped logs?)`);
      const batches = await (this.o.readBatches ?? readBatches)(rollup, this.cursor, {
        ...logs,
        toBlock: to,
        start: { number: this.batchCount + 1n, l1From: this.consumed },
      });
      const read: ReadBatch[] = [];
      for (const [i, b] of batches.entries()) {
        const replay = b.number <= this.verifiedThrough;
        const v = replay ? undefined : await verifyPostedBatch(this.c.params, rollup, b, batches[i + 1], this.o.vkey, this.o.fallbackVkey, to);
        read.push({ batch: b, v });
      }
      this.pending.push(...ops);
      for (const r of read) if (r.v) verified++;
      for (const r of read) this.apply(r);
      const replayed = read.length - verified;
      if (replayed > 0) this.log(`replayed ${replayed} batch(es) checked before, root ${this.state.root}`);
      this.cursor = to + 1;
      this.tips.push({ number: head.number, hash: head.hash! });
    }
    // A batch no longer on L1 (after a reorganisation) is no longer invalid.
    for (const a of this.activeAlerts())
      if (a.kind === "invalid-batch" && BigInt(a.details.batch as string) > this.batchCount) this.clear(a.key, `batch ${a.details.batch} is no longer on L1`);
    const oldest = head.number - this.window;
    this.watched = this.watched.filter((b) => b.blockNumber > oldest);
    this.tips = this.tips.filter((t, i, all) => t.number > oldest || i === all.length - 1);
    return verified;
  }

  /** Applies one batch read from L1 to the rebuilt state, raising invalid-batch for what does not hold. */
  private apply({ batch: b, v }: ReadBatch): void {
    const problems: string[] = [];
    if (v) {
      if (!v.commitmentValid) problems.push("its data commitment does not match the posted data");
      if (!v.proofValid) problems.push("its proof does not verify with the verification key");
      if (!v.keyHashMatches) problems.push(`the rollup's verifier checks the key with hash ${v.onChainKeyHash}, not the key checked here`);
      if (!v.rootConsistent) problems.push("its new root is not the root the rollup went on from");
    }
    const l1Count = b.data.l1Count;
    const ops = this.pending.slice(0, l1Count);
    let applied: boolean | null = null;
    if (this.stuck === undefined) {
      const cp = this.state.checkpoint();
      try {
        if (ops.length !== l1Count) throw new Error(`it consumes ${l1Count} L1 operations, ${ops.length} were read`);
        applyBatchData(this.state, b, ops, undefined, batchParams(this.c.params, b.fallback));
        this.state.commit();
        applied = true;
      } catch (e) {
        this.state.revert(cp);
        this.stuck = b.number;
        applied = false;
        problems.push(`its data does not apply to the state rebuilt from L1 (${errorLine(e)}): the state stays at batch ${b.number - 1n}`);
      }
    } else {
      this.log(`batch ${b.number}: not applied, the rebuilt state stopped before invalid batch ${this.stuck}`);
    }
    this.pending.splice(0, l1Count);
    this.consumed += BigInt(l1Count);
    this.batchCount = b.number;
    this.watched.push({ number: b.number, blockNumber: b.blockNumber, blockHash: b.blockHash, txHash: b.txHash });
    if (v) {
      this.metrics.inc("zkr_watch_batches_verified_total");
      this.verifiedThrough = b.number;
    }
    const what = `${b.fallback ? "fallback " : ""}batch ${b.number} (block ${b.blockNumber}, tx ${b.txHash})`;
    this.clear(`reorg:${b.number}`, `batch ${b.number} is on L1 again: ${what}`);
    const key = `invalid-batch:${b.number}`;
    if (problems.length) {
      this.metrics.inc("zkr_watch_invalid_batches_total");
      this.raise("invalid-batch", key, `${what} is INVALID: ${problems.join("; ")}`, {
        batch: b.number.toString(),
        fallback: b.fallback ?? false,
        tx: b.txHash,
        blockNumber: b.blockNumber,
        commitmentValid: v?.commitmentValid ?? null,
        proofValid: v?.proofValid ?? null,
        keyHashMatches: v?.keyHashMatches ?? null,
        rootConsistent: v?.rootConsistent ?? null,
        applies: applied,
      });
    } else {
      this.clear(key, `${what} verifies`);
      if (v) this.log(`${what}: data, proof, key and roots verified, root ${this.state.root}`);
    }
  }

  // ------------------------------------------------------------------ the rollup's state

  /** The rollup at the head block: its root against the rebuilt one, the waiting operations, the sequencer's silence. */
  private async checkRollup(head: Block, verified: number): Promise<PollReport> {
    const { rollup } = this.c;
    const at = { blockTag: head.number };
    const now = head.timestamp;
    const [stateRoot, batchNumber, l1Processed, l1OpCount, lastBatchAt, lastSequencerBatchAt, escapeMode, fallbackOpenAfter] = await Promise.all([
      rollup.stateRoot(at),
      rollup.batchNumber(at),
      rollup.l1Processed(at),
      rollup.l1OpCount(at),
      rollup.lastBatchAt(at),
      rollup.lastSequencerBatchAt(at),
      rollup.escapeMode(at),
      rollup.fallbackOpenAfter(at),
    ]);
    const m = this.metrics;
    m.set("zkr_watch_l1_block", head.number);
    m.set("zkr_watch_batch_number", Number(this.batchCount));
    m.set("zkr_watch_escape_mode", escapeMode ? 1 : 0);
    if (escapeMode && !this.escapeLogged) this.log("the rollup is in escape mode: no more batches (zkr escape withdraw / refund)");
    this.escapeLogged = escapeMode;

    const matches = stateRoot === this.state.root;
    m.set("zkr_watch_state_root_matches", matches ? 1 : 0);
    if (matches) this.clear("state-mismatch", `the rebuilt root matches the rollup's again (batch ${batchNumber})`);
    else
      this.raise(
        "state-mismatch",
        "state-mismatch",
        `the state rebuilt from L1 has root ${this.state.root} after batch ${this.stuck === undefined ? this.batchCount : this.stuck - 1n}, the rollup holds root ${stateRoot} after batch ${batchNumber}`,
        { rebuiltRoot: this.state.root.toString(), onChainRoot: stateRoot.toString(), batch: batchNumber.toString() },
      );

    // The sequencer's silence: chain time since its last batch (the deployment's before the first).
    const silentFor = now - Number(lastSequencerBatchAt);
    const lastBatchAge = now - Number(lastBatchAt > lastSequencerBatchAt ? lastBatchAt : lastSequencerBatchAt);
    m.set("zkr_watch_last_sequencer_batch_age_seconds", silentFor);
    m.set("zkr_watch_last_batch_age_seconds", lastBatchAge);
    const waiting = Number(l1OpCount - l1Processed);
    if (silentFor >= this.o.silenceThreshold && !escapeMode) {
      this.raise(
        "sequencer-silent",
        "sequencer-silent",
        `no batch from the sequencer for ${silentFor} s (threshold ${this.o.silenceThreshold} s); the last batch of any kind ${lastBatchAge} s ago, ${waiting} L1 operation(s) waiting`,
        { silentFor, lastBatchAge, waiting, lastSequencerBatchAt: Number(lastSequencerBatchAt) },
      );
    } else this.clear("sequencer-silent", escapeMode ? "the rollup is in escape mode" : `the sequencer's last batch was ${silentFor} s ago`);

    // The waiting operations: those queued at or before the cutoff are a prefix of the queue (queuedAt grows with it).
    const queuedAt = new Map<bigint, Awaited<ReturnType<typeof rollup.l1Ops>>>();
    const opAt = async (i: bigint) => {
      if (!queuedAt.has(i)) queuedAt.set(i, await rollup.l1Ops(i, at));
      return queuedAt.get(i)!;
    };
    const cutoff = BigInt(now - this.o.forcedThreshold);
    let lo = l1Processed;
    let hi = l1OpCount;
    while (lo < hi) {
      const mid = (lo + hi) / 2n;
      if ((await opAt(mid)).queuedAt <= cutoff) lo = mid + 1n;
      else hi = mid;
    }
    const over = lo - l1Processed;
    const oldestAge = waiting > 0 ? now - Number((await opAt(l1Processed)).queuedAt) : null;
    m.set("zkr_watch_waiting_l1ops", waiting);
    m.set("zkr_watch_waiting_l1ops_over_threshold", Number(over));
    m.set("zkr_watch_oldest_waiting_l1op_age_seconds", oldestAge ?? 0);
    const reported = new Set<string>();
    const fallbackOpen = now >= Number(fallbackOpenAfter);
    const fallbackNote = fallbackOpen ? "the fallback is open (zkr fallback)" : `the fallback opens in ${Number(fallbackOpenAfter) - now} s`;
    for (let i = l1Processed; i < l1Processed + (over < MAX_REPORTED_OPS ? over : BigInt(MAX_REPORTED_OPS)); i++) {
      const op = await opAt(i);
      const key = `forced-op-waiting:${i}`;
      reported.add(key);
      const age = now - Number(op.queuedAt);
      const kind = Number(op.kind);
      this.raise(
        "forced-op-waiting",
        key,
        `L1 operation #${i} (${l1OpKindName(kind)}, account #${op.accountIdx}, owner ${op.owner}) has waited ${age} s unprocessed ` +
          `(threshold ${this.o.forcedThreshold} s): censored, or the sequencer is down; ${escapeMode ? "the rollup is in escape mode (zkr escape refund)" : fallbackNote}`,
        {
          queueIndex: i.toString(),
          opKind: l1OpKindName(kind),
          forcedExit: kind === L1OpKind.FORCE_EXIT,
          account: op.accountIdx.toString(),
          owner: op.owner,
          queuedAt: Number(op.queuedAt),
          age,
        },
      );
    }
    for (const a of this.activeAlerts()) {
      if (a.kind !== "forced-op-waiting" || reported.has(a.key)) continue;
      const i = BigInt(a.details.queueIndex as string);
      this.clear(
        a.key,
        i < l1Processed
          ? `L1 operation #${i} was processed (${l1Processed} of ${l1OpCount} processed)`
          : i >= l1OpCount
            ? `L1 operation #${i} is no longer queued (an L1 reorganisation)`
            : `L1 operation #${i} has waited less than the threshold`,
      );
    }
    return {
      block: head.number,
      chainTime: now,
      batches: Number(this.batchCount),
      verified,
      root: this.state.root.toString(),
      onChainRoot: stateRoot.toString(),
      waiting,
      oldestWaitingAge: oldestAge,
      sequencerSilentFor: silentFor,
      lastBatchAge,
      escapeMode,
      alerts: [],
      active: [],
      acted: [],
    };
  }

  // ------------------------------------------------------------------ acting

  /**
   * The fallback when the rollup allows it and L1 operations wait, then escape mode when the rollup
   * allows it (only after the escape delay without any batch, so never while fallback batches land).
   */
  private async act(): Promise<string[]> {
    const act = this.o.act!;
    const { rollup, provider } = this.c;
    const acted: string[] = [];
    if (await rollup.escapeMode()) return acted;
    const now = async () => BigInt((await provider.getBlock("latest"))!.timestamp);
    const [openAfter, l1OpCount, l1Processed] = await Promise.all([rollup.fallbackOpenAfter(), rollup.l1OpCount(), rollup.l1Processed()]);
    const waiting = l1OpCount - l1Processed;
    const t = await now();
    if (waiting > 0n && t >= openAfter) {
      this.log(`acting: the fallback is open and ${waiting} L1 operation(s) wait: proving and submitting fallback batches (at most ${act.maxBatches})`);
      try {
        const r = await runFallback(this.c, { setup: act.fallbackSetup, maxBatches: act.maxBatches, prover: act.prover, log: this.log });
        this.metrics.inc("zkr_watch_fallback_batches_total", undefined, r.batches.length);
        const line = `ran the fallback: ${r.batches.length} batch(es) (${r.batches.map((b) => `batch ${b.number}: ${b.l1Count} L1 op(s), tx ${b.txHash}`).join("; ")}), ${r.waiting} L1 operation(s) still waiting`;
        this.log(line);
        acted.push(line);
      } catch (e) {
        this.log(`the fallback failed: ${errorLine(e)}`);
      }
    } else if (waiting > 0n && this.fallbackOpensLogged !== openAfter) {
      this.fallbackOpensLogged = openAfter;
      this.log(`--act: ${waiting} L1 operation(s) wait; the fallback opens at ${new Date(Number(openAfter) * 1000).toISOString()} (in ${openAfter - t} s)`);
    }
    const allowedAfter = await rollup.escapeAllowedAfter();
    if (allowedAfter !== MaxUint256 && (await now()) > allowedAfter && !(await rollup.escapeMode())) {
      this.log("acting: the rollup allows escape mode (an L1 operation waited the escape delay and no batch came for the inactivity delay): activating it");
      try {
        const r = await activateEscape(this.c);
        this.metrics.inc("zkr_watch_escape_activations_total");
        const line = `activated escape mode from batch ${r.batchNumber} (tx ${r.receipt.hash})`;
        this.log(line);
        acted.push(line);
      } catch (e) {
        this.log(`activating escape mode failed: ${errorLine(e)}`);
      }
    }
    return acted;
  }
}

/**
 * Delivers alerts to a webhook as JSON POSTs, one at a time in order; a failure (no answer within
 * the timeout, an HTTP error) is logged and never stops anything.
 */
export class WebhookSink {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly url: string,
    private readonly log: Log,
    private readonly timeoutMs = 5_000,
  ) {}

  send(body: unknown): void {
    this.queue = this.queue.then(async () => {
      try {
        const res = await fetch(this.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await res.body?.cancel();
        if (!res.ok) this.log(`webhook ${this.url} answered HTTP ${res.status}`);
      } catch (e) {
        this.log(`webhook ${this.url} failed: ${fetchFailure(e)}`);
      }
    });
  }

  /** Resolves once every alert sent so far was delivered or failed. */
  flush(): Promise<void> {
    return this.queue;
  }
}
