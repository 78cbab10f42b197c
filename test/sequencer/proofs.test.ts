// The proof tracker (src/sequencer/proofs.ts) against a proving backend the test answers by hand:
// a job per batch and commitment with the batch's public signals, the proof recorded when it comes
// back (the batch "proven"), a failure retried after its backoff and not before, a proof for a
// batch rewound meanwhile dropped, and proofs back out of order leaving the submission order alone.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { l1ChainStep, L1OpKind } from "../../src/model/l1op.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import type { SetupManifest } from "../../src/proving/manifest.js";
import type { JobStatus, ProofJob, ProofQueue, QueuedProof } from "../../src/prover/queue.js";
import { Retry, TransientError } from "../../src/sequencer/errors.js";
import { FINALIZED } from "../../src/sequencer/finality.js";
import { Ledger, type LiveBatch } from "../../src/sequencer/ledger.js";
import { Mempool } from "../../src/sequencer/mempool.js";
import { BatchPlanner, type BuiltBatch } from "../../src/sequencer/planner.js";
import { proofJobId, proveBatch, ProofTracker } from "../../src/sequencer/proofs.js";
import { SequencerStore } from "../../src/sequencer/store.js";

const params = getInstance(TEST_INSTANCE);

/** A proving backend whose jobs the test resolves or fails; a failed job submitted again is a new attempt. */
class HandQueue implements ProofQueue {
  readonly setup = {} as SetupManifest;
  readonly submitted: ProofJob[] = [];
  private readonly jobs = new Map<string, { p: Promise<QueuedProof>; ok: (p: QueuedProof) => void; fail: (e: Error) => void; failed: boolean }>();
  async submit(job: ProofJob): Promise<void> {
    this.submitted.push(job);
    const j = this.jobs.get(job.id);
    if (j && !j.failed) return;
    let ok!: (p: QueuedProof) => void;
    let fail!: (e: Error) => void;
    const p = new Promise<QueuedProof>((a, b) => ((ok = a), (fail = b)));
    p.catch(() => {});
    this.jobs.set(job.id, { p, ok, fail, failed: false });
  }
  result(id: string): Promise<QueuedProof> {
    return this.jobs.get(id)!.p;
  }
  prove(id: string, signals: readonly bigint[]): void {
    this.jobs.get(id)!.ok({
      id,
      worker: "hand",
      attempts: 1,
      proof: { pi_a: [], pi_b: [], pi_c: [], protocol: "groth16", curve: "bn128" } as never,
      publicSignals: signals.map(String),
      proveMs: 1500,
      witnessMs: 10,
    });
  }
  fail(id: string, why: string): void {
    const j = this.jobs.get(id)!;
    j.failed = true;
    j.fail(new Error(why));
  }
  next(): Promise<QueuedProof> {
    throw new Error("not used");
  }
  async status(): Promise<JobStatus[]> {
    return [];
  }
  async close(): Promise<void> {}
}

const settle = () => new Promise((r) => setImmediate(r));

describe("proof tracker", () => {
  let crypto: ZkrCrypto;
  let keys: L2Key[];
  let dir: string;
  let store: SequencerStore;
  let ledger: Ledger;
  let queue: HandQueue;
  let tracker: ProofTracker;
  let errors: string[];
  /** Live batches 1 (two creates) and 2 (one create), built by the planner. */
  let b: LiveBatch[];

  before(async () => {
    crypto = await loadCrypto();
    keys = await Promise.all([0, 1, 2].map(() => L2Key.random()));
  });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-proofs-"));
    store = new SequencerStore(path.join(dir, "seq.sqlite"));
    ledger = new Ledger({ crypto, params, store, finality: FINALIZED, retry: () => new Retry(1000, 60_000), onRederived: () => {}, log: () => {} });
    ledger.domain = { chainId: 31337n, rollupAddress: 0x1234n };
    let prev = 0n;
    store.addL1Ops(
      keys.map((k, i) => {
        const op = { kind: L1OpKind.CREATE, accountIdx: BigInt(i + 1), tokenId: 0n, amount: 10n, owner: 0xabcn, ax: k.ax, ay: k.ay };
        prev = l1ChainStep(crypto.hash, prev, op);
        return { ...op, queueIndex: BigInt(i), chainHash: prev, blockNumber: 1, blockHash: "0x01", transactionHash: "0x02" };
      }),
    );
    const planner = new BatchPlanner({
      params,
      store,
      ledger,
      pool: new Mempool(() => 0n),
      feeIdx: [],
      batchTimeoutMs: 1000,
      maxInFlight: 4,
      rebuild: new Retry(1000, 60_000),
      log: () => {},
    });
    b = [];
    for (let i = 0; i < 2; i++) {
      const x = (await planner.buildDue()) as BuiltBatch;
      b.push(ledger.track(x.record, x.batch, x.cp));
    }
    queue = new HandQueue();
    errors = [];
    tracker = new ProofTracker({ queue, store, ledger, onError: (m) => errors.push(m), log: () => {} });
  });

  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("submits one job per batch with its public signals and records the proof: the batch is proven", async () => {
    tracker.prove(b[0]!);
    await settle();
    const id = proofJobId(1, b[0]!.record.commitment);
    expect(queue.submitted.map((j) => [j.id, j.expectedPublicSignals])).to.deep.equal([[id, b[0]!.batch!.publicSignals]]);
    expect(store.batch(1)!.status).to.equal("proving");
    queue.prove(id, b[0]!.batch!.publicSignals);
    await settle();
    expect(store.batch(1)!.status).to.equal("proven");
    expect(b[0]!.record.status).to.equal("proven");
    expect(b[0]!.proof?.proveMs).to.equal(1500);
    tracker.prove(b[0]!); // proven: no new job
    await settle();
    expect(queue.submitted).to.have.length(1);
  });

  it("a failed job is a transient PROVING failure, retried after its backoff and not before", async () => {
    tracker.prove(b[0]!);
    await settle();
    const id = proofJobId(1, b[0]!.record.commitment);
    queue.fail(id, "no worker holds this setup");
    await settle();
    const f = b[0]!;
    expect(f.proving.failures).to.equal(1);
    expect(errors).to.deep.equal(["proving batch 1: no worker holds this setup"]);
    const t = Date.now();
    tracker.retryDue(t);
    await settle();
    expect(queue.submitted, "within the backoff").to.have.length(1);
    tracker.retryDue(t + 1000);
    await settle();
    expect(queue.submitted).to.have.length(2);
    queue.prove(id, f.batch!.publicSignals);
    await settle();
    expect([store.batch(1)!.status, f.proving.failures, f.proving.attempts]).to.deep.equal(["proven", 0, 2]);
  });

  it("the failure proveBatch hands on is typed, whatever the backend threw", async () => {
    const p = proveBatch(queue, proofJobId(1, b[0]!.record.commitment), b[0]!.batch!);
    await settle();
    queue.fail(proofJobId(1, b[0]!.record.commitment), "boom");
    const e = await p.then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).to.be.instanceOf(TransientError).and.include({ code: "PROVING", message: "boom" });
  });

  it("drops the proof of a batch rewound while it was proved", async () => {
    tracker.prove(b[1]!);
    await settle();
    const gone = store.transaction(() => ledger.rewindStore(2));
    ledger.rewindMemory(gone, "test", false);
    queue.prove(proofJobId(2, b[1]!.record.commitment), b[1]!.batch!.publicSignals);
    await settle();
    expect(store.batch(2)).to.equal(undefined);
    expect(b[1]!.proof).to.equal(undefined);
  });

  it("a later batch's proof may come first: it is recorded, and batch 1 stays the next to submit", async () => {
    tracker.proveAll();
    await settle();
    expect(queue.submitted.map((j) => j.id)).to.deep.equal([proofJobId(1, b[0]!.record.commitment), proofJobId(2, b[1]!.record.commitment)]);
    queue.prove(proofJobId(2, b[1]!.record.commitment), b[1]!.batch!.publicSignals);
    await settle();
    expect([store.batch(1)!.status, store.batch(2)!.status]).to.deep.equal(["proving", "proven"]);
    expect(ledger.nextToSubmit()).to.equal(b[0]);
    expect(ledger.nextToSubmit()!.proof).to.equal(undefined);
  });
});
