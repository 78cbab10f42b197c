// Aggregated submission in the running sequencer (real proofs, the real verifier, the in-process
// chain): a run of proven batches goes to L1 in one submitBatches transaction, one pairing check
// for all; with maxAggregate 1 each goes by its own submitBatch. The proofs are held back until
// all of the run are proven, so that the run is there when the submitter looks. With
// aggregateWaitMs, batches proven one after another still share a transaction, and a batch whose
// successor's proof does not come goes alone once the wait is over.
import { expect } from "chai";
import type { Provider } from "ethers";
import type { RollupDeployment } from "../../src/chain/deploy.js";
import { readBatches, rebuildFromL1 } from "../../src/chain/rebuild.js";
import type { ZkrCrypto } from "../../src/model/crypto.js";
import type { ProofJob, ProofQueue, QueuedProof } from "../../src/prover/queue.js";
import { alice, deployer, sequencer as seqSigner } from "../contracts/fixture.js";
import { deployTestRollup, ETH, FEE, keys, mined, params } from "../e2e/helpers.js";
import type { FatalError } from "../../src/sequencer/errors.js";
import { ServedSequencer } from "./served.js";

/** The real proof queue, with the results of the jobs submitted from the `heldFrom`-th on (default: all) held back until released. */
class HeldProofs implements ProofQueue {
  readonly ids: string[] = [];
  private open!: () => void;
  private readonly gate = new Promise<void>((r) => (this.open = r));
  constructor(
    private readonly inner: ProofQueue,
    private readonly heldFrom = 0,
  ) {}
  get setup() {
    return this.inner.setup;
  }
  async submit(job: ProofJob): Promise<void> {
    if (!this.ids.includes(job.id)) this.ids.push(job.id);
    await this.inner.submit(job);
  }
  async result(id: string): Promise<QueuedProof> {
    const r = await this.inner.result(id);
    if (this.ids.indexOf(id) >= this.heldFrom) await this.gate;
    return r;
  }
  async next(): Promise<QueuedProof> {
    const r = await this.inner.next();
    await this.gate;
    return r;
  }
  /** Lets the held results through. */
  release(): void {
    this.open();
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
    this.release();
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

  /** Queues `n` deposits creating accounts (l1Slots = 2 per batch); returns the batch number on L1 before them. */
  async function deposits(n: number): Promise<bigint> {
    const before = await d.rollup.batchNumber();
    for (const k of await keys(n)) await mined(d.rollup.connect(alice).depositETH(k.ax, k.ay, { value: ETH / 10n + FEE }));
    return before;
  }

  /** The L1 transactions of the batches after `before`, with the batch numbers each carried. */
  async function batchTxs(before: bigint): Promise<Map<string, bigint[]>> {
    const txs = new Map<string, bigint[]>();
    for (const b of await readBatches(d.rollup, d.blockNumber)) if (b.number > before) txs.set(b.txHash, [...(txs.get(b.txHash) ?? []), b.number]);
    return txs;
  }

  /** Runs `n` deposits through a sequencer with `maxAggregate` whose proofs are released together, until final; the L1 transactions of the new batches. */
  async function depositsThrough(n: number, maxAggregate: number): Promise<Map<string, bigint[]>> {
    const before = await deposits(n);
    const held = new HeldProofs(served.queue);
    const { seq } = await served.serve({ prover: held, maxAggregate });
    await held.releaseAfter(n / params.l1Slots);
    await seq.drain(180_000);
    await served.stop();
    return batchTxs(before);
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

  it("with aggregateWaitMs, batches proven one after another still go in one transaction", async () => {
    const before = await deposits(6);
    const { seq } = await served.serve({ maxAggregate: 8, aggregateWaitMs: 120_000 });
    await seq.drain(180_000);
    await served.stop();
    expect([...(await batchTxs(before)).values()]).to.deep.equal([[before + 1n, before + 2n, before + 3n]]);
  });

  it("the wait is bounded: a proven batch whose successor's proof does not come goes alone after aggregateWaitMs", async () => {
    const before = await deposits(4);
    const held = new HeldProofs(served.queue, 1); // the second batch's proof is held back
    const { seq } = await served.serve({ prover: held, maxAggregate: 8, aggregateWaitMs: 1500 });
    for (const t0 = Date.now(); (await d.rollup.batchNumber()) === before;) {
      if (Date.now() - t0 > 120_000) throw new Error("the first batch was not submitted while the second one's proof was held back");
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(held.ids).to.have.length(2);
    held.release();
    await seq.drain(180_000);
    await served.stop();
    expect([...(await batchTxs(before)).values()]).to.deep.equal([[before + 1n], [before + 2n]]);
  });

  it("refuses a maxTxGas that is not a positive gas amount (BAD_CONFIG)", async () => {
    for (const maxTxGas of [0n, -1n, 400_000 as unknown as bigint]) {
      try {
        await served.serve({ maxTxGas });
        expect.fail(`maxTxGas ${String(maxTxGas)} was accepted`);
      } catch (e) {
        expect((e as FatalError).code).to.equal("BAD_CONFIG");
        expect((e as Error).message).to.match(/maxTxGas must be a positive gas amount/);
      }
    }
  });

  it("refuses a negative or fractional aggregateWaitMs (BAD_CONFIG)", async () => {
    for (const aggregateWaitMs of [-1, 0.5]) {
      try {
        await served.serve({ aggregateWaitMs });
        expect.fail(`aggregateWaitMs ${aggregateWaitMs} was accepted`);
      } catch (e) {
        expect((e as FatalError).code).to.equal("BAD_CONFIG");
        expect((e as Error).message).to.match(/aggregateWaitMs must be a non-negative integer/);
      }
    }
  });

  it("halves a run whose transaction would need more than half the block gas limit", async () => {
    const provider = d.rollup.runner!.provider! as unknown as { send(m: string, p: unknown[]): Promise<unknown> } & Provider;
    const limit = (await provider.getBlock("latest"))!.gasLimit;
    const before = await deposits(6);
    // Three aggregated batches of two deposits each need ~445k gas, two ~355k: with a block gas
    // limit of 800k the budget (half of it) takes two, so the run of three goes as one and two.
    await provider.send("evm_setBlockGasLimit", ["0x" + (800_000).toString(16)]);
    await provider.send("evm_mine", []); // the latest block, which the submitter reads, has the new limit
    try {
      const held = new HeldProofs(served.queue);
      const { seq } = await served.serve({ prover: held, maxAggregate: 8 });
      await held.releaseAfter(3);
      await seq.drain(180_000);
      await served.stop();
    } finally {
      await provider.send("evm_setBlockGasLimit", ["0x" + limit.toString(16)]);
    }
    expect([...(await batchTxs(before)).values()]).to.deep.equal([[before + 1n], [before + 2n, before + 3n]]);
  });

  it("keeps a run under the per-transaction gas cap (maxTxGas, 2^24 by default) when the block limit is far above it", async () => {
    const before = await deposits(6);
    // The same three batches (~445k gas together, ~355k for two) under a cap of 400k, with the
    // block gas limit of the test chain (tens of millions) leaving the cap as the only bound.
    const held = new HeldProofs(served.queue);
    const { seq } = await served.serve({ prover: held, maxAggregate: 8, maxTxGas: 400_000n });
    await held.releaseAfter(3);
    await seq.drain(180_000);
    await served.stop();
    expect([...(await batchTxs(before)).values()]).to.deep.equal([[before + 1n], [before + 2n, before + 3n]]);
  });
});
