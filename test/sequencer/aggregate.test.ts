// Aggregated submission in the running sequencer (real proofs, the real verifier, the in-process
// chain): a run of proven batches goes to L1 in one submitBatches transaction, one pairing check
// for all; with maxAggregate 1 each goes by its own submitBatch. The proofs are held back until
// all of the run are proven, so that the run is there when the submitter looks.
import { expect } from "chai";
import type { RollupDeployment } from "../../src/chain/deploy.js";
import { readBatches, rebuildFromL1 } from "../../src/chain/rebuild.js";
import type { ZkrCrypto } from "../../src/model/crypto.js";
import type { ProofJob, ProofQueue, QueuedProof } from "../../src/prover/queue.js";
import { alice, deployer, sequencer as seqSigner } from "../contracts/fixture.js";
import { deployTestRollup, ETH, FEE, keys, mined, params } from "../e2e/helpers.js";
import { ServedSequencer } from "./served.js";

/** The real proof queue, with every result held back until release(). */
class HeldProofs implements ProofQueue {
  readonly ids: string[] = [];
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  constructor(private readonly inner: ProofQueue) {}
  get setup() {
    return this.inner.setup;
  }
  async submit(job: ProofJob): Promise<void> {
    if (!this.ids.includes(job.id)) this.ids.push(job.id);
    await this.inner.submit(job);
  }
  async result(id: string): Promise<QueuedProof> {
    const r = await this.inner.result(id);
    await this.gate;
    return r;
  }
  async next(): Promise<QueuedProof> {
    const r = await this.inner.next();
    await this.gate;
    return r;
  }
  status() {
    return this.inner.status();
  }
  async close(): Promise<void> {} // the inner queue is the fixture's
  /** Waits until `n` jobs were submitted and proven, then lets their results through at once. */
  async releaseAfter(n: number): Promise<void> {
    for (const t0 = Date.now(); this.ids.length < n;) {
      if (Date.now() - t0 > 60_000) throw new Error(`only ${this.ids.length} of ${n} proving jobs submitted`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await Promise.all(this.ids.map((id) => this.inner.result(id)));
    this.open();
  }
}

describe("sequencer: a run of proven batches in one submitBatches transaction (real proofs)", function () {
  let d: RollupDeployment;
  let crypto: ZkrCrypto;
  let served: ServedSequencer;

  before(async () => {
    const w = await deployTestRollup(deployer, seqSigner);
    ({ d, crypto } = w);
    served = ServedSequencer.create(w);
  });
  after(() => served?.close());

  /** Queues `n` deposits creating accounts (l1Slots = 2 per batch), runs the sequencer with `maxAggregate` until they are final, and returns the L1 transactions of the new batches. */
  async function depositsThrough(n: number, maxAggregate: number): Promise<Map<string, bigint[]>> {
    const before = await d.rollup.batchNumber();
    for (const k of await keys(n)) await mined(d.rollup.connect(alice).depositETH(k.ax, k.ay, { value: ETH / 10n + FEE }));
    const held = new HeldProofs(served.queue);
    const { seq } = await served.serve({ prover: held, maxAggregate });
    await held.releaseAfter(n / params.l1Slots);
    await seq.drain(180_000);
    await served.stop();
    const txs = new Map<string, bigint[]>();
    for (const b of await readBatches(d.rollup, d.blockNumber)) if (b.number > before) txs.set(b.txHash, [...(txs.get(b.txHash) ?? []), b.number]);
    return txs;
  }

  it("submits the three batches proven together in one transaction, and L1 rebuilds the sequencer's state from it", async () => {
    const txs = await depositsThrough(6, 8);
    expect([...txs.values()]).to.deep.equal([[1n, 2n, 3n]]);
    const [hash] = [...txs.keys()];
    const tx = await d.rollup.runner!.provider!.getTransaction(hash!);
    expect(d.rollup.interface.parseTransaction({ data: tx!.data })?.name).to.equal("submitBatches");
    const { state } = await rebuildFromL1(crypto, params, d.rollup, d.blockNumber);
    expect(state.root).to.equal(await d.rollup.stateRoot());
    expect(state.size).to.equal(6);
  });

  it("with maxAggregate 1, the same run goes one submitBatch per batch", async () => {
    const txs = await depositsThrough(4, 1);
    expect([...txs.values()]).to.deep.equal([[4n], [5n]]);
    for (const hash of txs.keys()) {
      const tx = await d.rollup.runner!.provider!.getTransaction(hash);
      expect(d.rollup.interface.parseTransaction({ data: tx!.data })?.name).to.equal("submitBatch");
    }
    const { state } = await rebuildFromL1(crypto, params, d.rollup, d.blockNumber);
    expect(state.size).to.equal(10);
  });
});
