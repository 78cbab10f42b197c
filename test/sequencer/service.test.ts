// The Sequencer's fatal decisions before its loop runs, without a chain: a configuration that
// cannot work (BAD_CONFIG) and a database of another rollup (WRONG_DATABASE), each a FatalError
// by class and code, with nothing written.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RollupContract } from "../../src/chain/deploy.js";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import type { ProofQueue } from "../../src/prover/queue.js";
import { FatalError } from "../../src/sequencer/errors.js";
import { Sequencer, type SequencerOptions } from "../../src/sequencer/service.js";
import { SequencerStore } from "../../src/sequencer/store.js";

const params = getInstance(TEST_INSTANCE);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a failure");
}

describe("sequencer: fatal before the loop", () => {
  let crypto: ZkrCrypto;
  let dir: string;
  let store: SequencerStore;
  /** A rollup at 0x…02 on chain 31337 (what start reads first), and a proof queue with this instance's key. */
  let base: SequencerOptions;

  before(async () => {
    crypto = await loadCrypto();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-service-"));
    store = new SequencerStore(path.join(dir, "seq.sqlite"));
    const rollup = {
      runner: { provider: { getNetwork: async () => ({ chainId: 31337n }) } },
      getAddress: async () => "0x" + "2".padStart(40, "0"),
    } as unknown as RollupContract;
    const vkey = path.join(dir, "vkey.json");
    writeFileSync(vkey, "{}");
    base = { crypto, params, store, rollup, fromBlock: 0, prover: { setup: { vkey } } as unknown as ProofQueue };
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("more fee accounts than the instance has fee slots, or a mempool limit below 1, is BAD_CONFIG", () => {
    expect(params.feeSlots).to.equal(1);
    expect(thrown(() => new Sequencer({ ...base, feeIdx: [1n, 2n] })))
      .to.be.instanceOf(FatalError)
      .and.include({ code: "BAD_CONFIG" });
    expect(thrown(() => new Sequencer({ ...base, maxPending: 0 })))
      .to.be.instanceOf(FatalError)
      .and.include({ code: "BAD_CONFIG" });
    expect(thrown(() => new Sequencer({ ...base, maxPendingPerSender: 1.5 })))
      .to.be.instanceOf(FatalError)
      .and.include({ code: "BAD_CONFIG" });
    expect(() => new Sequencer({ ...base, feeIdx: [1n, 1n], maxPending: 1 }), "the same fee account twice is one").not.to.throw();
  });

  it("a database recorded for another rollup is WRONG_DATABASE, and is left as it was", async () => {
    store.setMeta("rollup", "3");
    const seq = new Sequencer(base);
    const e = await seq.start().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).to.be.instanceOf(FatalError).and.include({ code: "WRONG_DATABASE" });
    expect(store.getMeta("rollup")).to.equal("3");
  });
});
