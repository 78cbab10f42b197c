// The sequencer: accepts signed L2 transactions into a persistent mempool, watches L1 for
// queued operations, builds batches (on size or timeout), hands them to the proving backend,
// and submits proven batches to the Rollup contract strictly in order.
//
// Pipeline per batch: built (state advanced, persisted as "proving") → proven (proof stored)
// → final (accepted on L1). Consecutive batches are proved concurrently when the backend has
// several workers; submission waits for batch N before N+1. On start the L2 state is rebuilt
// by replaying the stored batches, and every unfinished batch resumes where it stopped.
import { buildBatch, type Batch } from "../lib/batch.js";
import type { ZkrCrypto } from "../lib/crypto.js";
import { readL1Ops, type RollupContract } from "../lib/deploy.js";
import type { QueuedL1Op } from "../lib/l1.js";
import type { DerivedParams } from "../lib/params.js";
import { L2State, TxRejectedError, type RejectCode } from "../lib/state.js";
import { transferFromJSON, transferId, TxFormatError, type Domain, type SignedTransfer } from "../lib/tx.js";
import { readFileSync } from "node:fs";
import { groth16 } from "snarkjs";
import type { ProofResult } from "../prover/prover.js";
import type { ProofQueue } from "../prover/queue.js";
import { holdCurve } from "../lib/setup.js";
import { checkInSync, samePublicSignals, submitProvenBatch } from "./operator.js";
import type { BatchRecord, SequencerStore, TxRecord } from "./store.js";

export interface SequencerOptions {
  crypto: ZkrCrypto;
  params: DerivedParams;
  store: SequencerStore;
  /** The Rollup contract, connected to the sequencer's signer. */
  rollup: RollupContract;
  /** Block the rollup was deployed in (where its events start). */
  fromBlock: number;
  /** Proving backend (local workers or BullMQ); its setup must be the one the contract's verifier came from. */
  prover: ProofQueue;
  /** Fee account indexes named in every batch. */
  feeIdx?: bigint[];
  /** Build a partial batch when the oldest waiting transaction or operation is this old. */
  batchTimeoutMs?: number;
  /** Batches built but not yet final, at most. */
  maxInFlight?: number;
  /** How often the loop looks at L1 and the mempool. */
  pollMs?: number;
  log?: (msg: string) => void;
}

/** A rejected submission: an HTTP status and a machine-readable code. */
export class SubmitError extends Error {
  constructor(
    readonly status: number,
    readonly code: RejectCode | "DUPLICATE" | "BAD_REQUEST",
    message: string,
  ) {
    super(message);
  }
}

interface InFlight {
  record: BatchRecord;
  batch?: Batch;
  proof?: ProofResult;
  error?: Error;
}

const idOf = (m: bigint) => "0x" + m.toString(16).padStart(64, "0");

export class Sequencer {
  readonly state: L2State;
  domain!: Domain;
  private readonly o: Required<Omit<SequencerOptions, "log">> & { log: (m: string) => void };
  private readonly inFlight = new Map<number, InFlight>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private ticking?: Promise<void>;
  private l1ScannedBlock = -1;
  /** Queue index of the next L1 operation a new batch consumes. */
  private nextL1 = 0;
  private lastError?: string;

  private readonly vkey: unknown;
  private releaseCurve?: () => Promise<void>;

  constructor(opts: SequencerOptions) {
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as SequencerOptions;
    this.o = { feeIdx: [], batchTimeoutMs: 2000, maxInFlight: 4, pollMs: 500, log: () => {}, ...given };
    this.state = new L2State(opts.crypto, opts.params);
    this.vkey = JSON.parse(readFileSync(opts.prover.setup.vkey, "utf8"));
  }

  /** Rebuild the state from the database, reconcile with L1, resume unfinished batches. */
  async start(): Promise<void> {
    const { rollup, store } = this.o;
    const chainId = (await rollup.runner!.provider!.getNetwork()).chainId;
    this.domain = { chainId, rollupAddress: BigInt(await rollup.getAddress()) };
    const known = store.getMeta("rollup");
    if (known && BigInt(known) !== this.domain.rollupAddress) {
      throw new Error(`the database belongs to rollup ${known}, not ${await rollup.getAddress()}`);
    }
    store.setMeta("rollup", this.domain.rollupAddress.toString());
    this.l1ScannedBlock = Number(store.getMeta("l1ScannedBlock") ?? this.o.fromBlock - 1);

    const onChain = await rollup.batchNumber();
    for (const rec of store.batches()) {
      const batch = this.replay(rec);
      if (rec.status !== "final" && BigInt(rec.number) <= onChain) {
        // Submitted before a crash, but the crash came before we recorded it.
        store.transaction(() => {
          store.setBatchFinal(rec.number, rec.l1TxHash ?? "unknown (recovered after restart)");
          store.setTxStatus(rec.txIds, "final", rec.number);
        });
        rec.status = "final";
      }
      if (rec.status !== "final") this.track(rec, batch);
    }
    const last = store.lastBatch();
    if (BigInt(last?.number ?? 0) < onChain) {
      throw new Error(`L1 has ${onChain} batches but the database only ${last?.number ?? 0}: wrong database for this rollup`);
    }
    const root = await rollup.stateRoot();
    const lastFinal = store.batches().filter((b) => b.status === "final").pop();
    const expectedRoot = lastFinal ? lastFinal.newRoot : await rollup.genesisRoot();
    if (root !== expectedRoot) throw new Error(`root on L1 ${root} is not the root of the last final batch ${expectedRoot}`);
    this.o.log(`sequencer: state rebuilt from ${store.batches().length} batches, ${this.state.size} accounts, root ${this.state.root}`);
    this.releaseCurve = holdCurve(); // proofs are verified here too: keep snarkjs's curve until stop()
    this.running = true;
    this.schedule(0);
  }

  /** Stop the loop (waits for the current step); the database stays consistent at any point. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await this.releaseCurve?.();
    this.releaseCurve = undefined;
  }

  // ---------------------------------------------------------------- mempool

  /** Validate and persist a signed transfer or exit (JSON as the API receives it). */
  submitTx(body: unknown): TxRecord {
    let tx: SignedTransfer;
    let id: string;
    try {
      tx = transferFromJSON(body);
      id = idOf(transferId(this.o.crypto.hash, tx, this.domain, this.o.params));
    } catch (e) {
      if (e instanceof TxFormatError) throw new SubmitError(400, "BAD_FORMAT", e.message);
      throw e;
    }
    if (this.o.store.tx(id)) throw new SubmitError(409, "DUPLICATE", `transaction ${id} was already submitted`);
    const pending = this.o.store.pendingTxs().filter((r) => r.tx.from === tx.from);
    const sender = this.state.account(tx.from);
    const feeTokens = this.feeTokens();
    try {
      this.state.validateTransfer(tx, this.domain, feeTokens, sender && {
        nonce: sender.nonce + BigInt(pending.length),
        balance: pending.reduce((b, r) => b - r.tx.amount - r.tx.fee, sender.balance),
      });
    } catch (e) {
      if (e instanceof TxRejectedError) throw new SubmitError(e.code === "UNKNOWN_ACCOUNT" ? 404 : 400, e.code, e.message);
      throw e;
    }
    return this.o.store.addTx(id, tx);
  }

  /** The transaction's record with its status. */
  txStatus(id: string): TxRecord | undefined {
    return this.o.store.tx(id.toLowerCase());
  }

  /** Nonce a new transaction of `index` must use, counting its pending ones. */
  nextNonce(index: bigint): bigint | undefined {
    const a = this.state.account(index);
    if (!a) return undefined;
    return a.nonce + BigInt(this.o.store.pendingTxs().filter((r) => r.tx.from === index).length);
  }

  status() {
    const batches = this.o.store.batches();
    return {
      chainId: this.domain.chainId.toString(),
      rollup: "0x" + this.domain.rollupAddress.toString(16).padStart(40, "0"),
      instance: this.o.params.name,
      stateRoot: this.state.root.toString(),
      accounts: this.state.size,
      l1OpsKnown: this.o.store.l1OpCount(),
      l1OpsConsumed: this.nextL1,
      txs: this.o.store.countTxs(),
      batches: {
        total: batches.length,
        final: batches.filter((b) => b.status === "final").length,
        inFlight: [...this.inFlight.values()].map((f) => ({
          number: f.record.number,
          status: f.record.status,
          txs: f.record.txIds.length,
          l1Ops: f.record.l1Count,
          ageMs: Date.now() - f.record.createdAt,
          error: f.error?.message,
        })),
      },
      lastError: this.lastError,
    };
  }

  // ---------------------------------------------------------------- loop

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick()
        .catch((e) => {
          this.lastError = (e as Error).message;
          this.o.log(`sequencer: ${(e as Error).message}`);
        })
        .finally(() => this.schedule(this.o.pollMs));
    }, ms);
  }

  /** One pass: read L1, build what is due, submit what is proven. Public for tests. */
  async tick(): Promise<void> {
    await this.syncL1();
    let built = true;
    while (this.running && built) built = this.buildDue();
    await this.submitReady();
  }

  /** Wait until every accepted transaction and queued operation is final on L1. */
  async drain(timeoutMs = 600_000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const c = this.o.store.countTxs();
      if (c.pending + c.batched + c.proven === 0 && this.inFlight.size === 0 && this.nextL1 === this.o.store.l1OpCount()) {
        const onChainOps = await this.o.rollup.l1OpCount();
        if (BigInt(this.nextL1) === onChainOps) return;
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`sequencer did not drain in ${timeoutMs} ms: ${JSON.stringify(this.status())}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async syncL1(): Promise<void> {
    const provider = this.o.rollup.runner!.provider!;
    const head = await provider.getBlockNumber();
    if (head <= this.l1ScannedBlock) return;
    const ops = await readL1Ops(this.o.rollup, this.l1ScannedBlock + 1, { toBlock: head });
    const have = this.o.store.l1OpCount();
    const fresh = ops.filter((op) => op.queueIndex >= BigInt(have));
    if (fresh.length && fresh[0].queueIndex !== BigInt(have)) throw new Error(`L1 operation ${have} is missing from the events read`);
    this.o.store.transaction(() => {
      this.o.store.addL1Ops(fresh);
      this.o.store.setMeta("l1ScannedBlock", String(head));
    });
    this.l1ScannedBlock = head;
    if (fresh.length) this.o.log(`sequencer: ${fresh.length} new L1 operation(s)`);
  }

  private feeTokens(): bigint[] {
    return this.o.feeIdx.filter((i) => i !== 0n && this.state.account(i)).map((i) => this.state.account(i)!.tokenId);
  }

  /** Build the next batch if one is due; returns whether it built one. */
  private buildDue(): boolean {
    const { store, params } = this.o;
    if (this.inFlight.size >= this.o.maxInFlight) return false;
    const pending = store.pendingTxs();
    const opsWaiting = store.l1OpCount() - this.nextL1;
    if (pending.length === 0 && opsWaiting === 0) return false;
    // Queued L1 operations are due at once (deposits and forced exits should not wait);
    // transactions wait for a full batch or the timeout.
    const due = opsWaiting > 0 || pending.length >= params.batchSize || Date.now() - pending[0].receivedAt >= this.o.batchTimeoutMs;
    if (!due) return false;

    const number = (store.lastBatch()?.number ?? 0) + 1;
    const l1Count = Math.min(opsWaiting, params.l1Slots);
    const l1Ops = store.l1Ops(this.nextL1, l1Count);
    const l1HashStart = this.nextL1 === 0 ? 0n : store.l1Ops(this.nextL1 - 1, 1)[0].chainHash;
    const feeIdx = this.o.feeIdx.filter((i) => this.state.account(i));
    const cp = this.state.checkpoint();
    let batch: Batch;
    try {
      batch = buildBatch(this.state, { l1Ops, txs: pending.map((r) => r.tx) }, { domain: this.domain, feeIdx, l1HashStart });
      const byTx = new Map(pending.map((r) => [r.tx, r.id]));
      const included = batch.txs.map((t) => byTx.get(t)!);
      const record: Omit<BatchRecord, "proof" | "l1TxHash" | "createdAt" | "updatedAt"> = {
        number,
        status: "proving",
        l1From: this.nextL1,
        l1Count,
        txIds: included,
        feeIdx: batch.feeIdx,
        oldRoot: batch.oldRoot,
        newRoot: batch.newRoot,
        commitment: batch.commitment,
        publicSignals: batch.publicSignals,
      };
      store.transaction(() => {
        store.addBatch(record);
        store.setTxStatus(included, "batched", number);
        for (const r of batch.rejected) store.setTxStatus([byTx.get(r.tx)!], "rejected", null, `${r.error.code}: ${r.error.message}`);
      });
      this.state.commit(cp);
    } catch (e) {
      this.state.revert(cp);
      throw e;
    }
    this.nextL1 += l1Count;
    const rec = store.batch(number)!;
    this.o.log(`sequencer: built batch ${number} (${rec.txIds.length} txs, ${l1Count} L1 ops, ${batch.rejected.length} rejected)`);
    this.track(rec, batch);
    return true;
  }

  /** Replay a stored batch on the state (at start-up) and return the rebuilt batch. */
  private replay(rec: BatchRecord): Batch {
    const { store } = this.o;
    if (rec.l1From !== this.nextL1) throw new Error(`batch ${rec.number} starts at L1 operation ${rec.l1From}, expected ${this.nextL1}`);
    const l1Ops: QueuedL1Op[] = store.l1Ops(rec.l1From, rec.l1Count);
    const l1HashStart = rec.l1From === 0 ? 0n : store.l1Ops(rec.l1From - 1, 1)[0].chainHash;
    const txs = store.txsByIds(rec.txIds).map((r) => r.tx);
    const batch = buildBatch(this.state, { l1Ops, txs }, { domain: this.domain, feeIdx: rec.feeIdx.filter((i) => i !== 0n), l1HashStart });
    if (batch.newRoot !== rec.newRoot || batch.txs.length !== txs.length || batch.commitment !== rec.commitment || batch.publicSignals.some((s, i) => s !== rec.publicSignals[i])) {
      throw new Error(`replaying batch ${rec.number} does not reproduce its root: the database is inconsistent`);
    }
    this.nextL1 += rec.l1Count;
    return batch;
  }

  /** Follow a batch until it is final: get its proof (unless stored), then submission picks it up. */
  private track(record: BatchRecord, batch: Batch): void {
    const f: InFlight = { record, batch };
    this.inFlight.set(record.number, f);
    if (record.status === "proven" && record.proof) {
      f.proof = record.proof as ProofResult;
      return;
    }
    const id = `batch-${record.number}-${record.commitment.toString(16).slice(0, 16)}`;
    this.o.prover
      .submit({ id, input: batch.circuitInput, expectedPublicSignals: batch.publicSignals })
      .then(() => this.o.prover.result(id))
      .then((proof) => {
        this.o.store.transaction(() => {
          this.o.store.setBatchProven(record.number, { proof: proof.proof, publicSignals: proof.publicSignals, proveMs: proof.proveMs, witnessMs: proof.witnessMs });
          this.o.store.setTxStatus(record.txIds, "proven", record.number);
        });
        record.status = "proven";
        f.proof = proof;
        this.o.log(`sequencer: batch ${record.number} proven in ${(proof.proveMs / 1000).toFixed(1)} s`);
      })
      .catch((e: Error) => {
        f.error = e;
        this.lastError = `proving batch ${record.number}: ${e.message}`;
        this.o.log(`sequencer: ${this.lastError}`);
      });
  }

  /** Submit proven batches in order, as long as the next one is proven. */
  private async submitReady(): Promise<void> {
    for (;;) {
      const next = Math.min(...this.inFlight.keys());
      const f = this.inFlight.get(next);
      if (!f || !f.proof || !f.batch) return;
      const pos = await checkInSync(this.o.rollup, f.record.oldRoot);
      if (pos.batchNumber + 1n !== BigInt(next)) throw new Error(`L1 is at batch ${pos.batchNumber}, cannot submit batch ${next}`);
      // Never submit a proof that was not checked here, whatever the backend says.
      if (!samePublicSignals(f.proof.publicSignals, f.record.publicSignals) || !(await groth16.verify(this.vkey, f.proof.publicSignals, f.proof.proof))) {
        throw new Error(`the proof of batch ${next} does not verify; not submitting it`);
      }
      const receipt = await submitProvenBatch(this.o.rollup, f.batch, f.proof);
      this.o.store.transaction(() => {
        this.o.store.setBatchFinal(next, receipt.hash);
        this.o.store.setTxStatus(f.record.txIds, "final", next);
      });
      this.inFlight.delete(next);
      this.o.log(`sequencer: batch ${next} final on L1 (block ${receipt.blockNumber}, gas ${receipt.gasUsed})`);
    }
  }
}
