// A Sequencer over a test rollup (deployTestRollup), with its database in a temporary directory,
// proofs from the run's shared prover, and its HTTP API on a free loopback port: what the tests of
// the API, the mempool limits and the fee account start from.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { RollupDeployment } from "../../src/chain/deploy.js";
import type { ZkrCrypto } from "../../src/model/crypto.js";
import type { SetupManifest } from "../../src/proving/manifest.js";
import { LocalProofQueue } from "../../src/prover/queue.js";
import { buildApi } from "../../src/sequencer/api.js";
import { Sequencer, type SequencerOptions } from "../../src/sequencer/service.js";
import { SequencerStore } from "../../src/sequencer/store.js";
import { sequencer as seqSigner } from "../contracts/fixture.js";
import { closeProver, params } from "../e2e/helpers.js";

export class ServedSequencer {
  readonly store: SequencerStore;
  readonly queue: LocalProofQueue;
  private running?: { seq: Sequencer; app: FastifyInstance; url: string };

  private constructor(
    readonly dir: string,
    private readonly base: Pick<SequencerOptions, "crypto" | "params" | "store" | "rollup" | "fromBlock" | "prover">,
  ) {
    this.store = base.store;
    this.queue = base.prover as LocalProofQueue;
  }

  /** A database and a proof queue for rollup `d` (deployed by deployTestRollup); nothing runs until serve(). */
  static create(w: { d: RollupDeployment; manifest: SetupManifest; crypto: ZkrCrypto }): ServedSequencer {
    const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-served-"));
    const store = new SequencerStore(path.join(dir, "seq.sqlite"));
    const prover = new LocalProofQueue(w.manifest);
    return new ServedSequencer(dir, { crypto: w.crypto, params, store, rollup: w.d.rollup.connect(seqSigner), fromBlock: w.d.blockNumber, prover });
  }

  /** Starts a sequencer with `opts` (polling every 100 ms, batches after 300 ms unless given) and its API, after stopping the one running. */
  async serve(opts: Partial<SequencerOptions> = {}): Promise<{ seq: Sequencer; url: string }> {
    await this.stop();
    const seq = new Sequencer({ ...this.base, pollMs: 100, batchTimeoutMs: 300, ...opts });
    await seq.start();
    const app = buildApi(seq, this.store);
    const url = await app.listen({ host: "127.0.0.1", port: 0 });
    this.running = { seq, app, url };
    return { seq, url };
  }

  get seq(): Sequencer {
    if (!this.running) throw new Error("no sequencer is running: serve() first");
    return this.running.seq;
  }

  get url(): string {
    if (!this.running) throw new Error("no sequencer is running: serve() first");
    return this.running.url;
  }

  /** Stops the running sequencer and its API (the database and the queue stay open). */
  async stop(): Promise<void> {
    const r = this.running;
    this.running = undefined;
    await r?.app.close();
    await r?.seq.stop();
  }

  /** Stops everything, closes the run's prover and removes the directory. */
  async close(): Promise<void> {
    await this.stop();
    await this.queue.close();
    this.store.close();
    await closeProver();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
