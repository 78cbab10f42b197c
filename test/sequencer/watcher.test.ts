// The L1 watcher (src/sequencer/watcher.ts) on a real `hardhat node` with evm_snapshot/evm_revert:
// what it stores carries its block; a replaced block is noticed; after a reorganisation an
// operation L1 holds again with the same content (in another block) keeps its place, the first
// one that differs is where the stored queue is cut and re-read; events that do not continue the
// stored queue are refused instead of stored.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseEther, Wallet } from "ethers";
import { loadCrypto } from "../../src/model/crypto.js";
import { DEV_POLICY, type RollupContract, rollupAt } from "../../src/chain/deploy.js";
import { L2Key } from "../../src/model/keys.js";
import { logWindow } from "../../src/chain/logs.js";
import { StateConflictError } from "../../src/sequencer/errors.js";
import { SequencerStore } from "../../src/sequencer/store.js";
import { L1Watcher } from "../../src/sequencer/watcher.js";
import { freePort } from "../cli/helpers.js";
import { Chain, l1OpFee, params } from "./world.js";
import { deploy, devAccount, type LocalChain, startHardhatNode } from "../../src/ops/index.js";

describe("L1 watcher against a reorganised chain (hardhat node, evm_snapshot / evm_revert)", function () {
  this.timeout(300_000);
  let dir: string;
  let local: LocalChain;
  let chain: Chain;
  let store: SequencerStore;
  let watcher: L1Watcher;
  let deployBlock: number;
  let rollupAddress: string;

  /** depositETH by development account `i` for `key`: the same arguments queue the same operation. */
  const deposit = async (i: number, key: L2Key, eth = "1") => {
    const r: RollupContract = rollupAt(rollupAddress, new Wallet(devAccount(i).privateKey, chain.provider));
    await (await r.depositETH(key.ax, key.ay, { value: parseEther(eth) + (await l1OpFee(r)) })).wait();
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-watcher-"));
    local = await startHardhatNode(await freePort(), "127.0.0.1", { blockTimeMs: 0 });
    chain = new Chain(local);
    const d = await deploy({
      signer: new Wallet(devAccount(0).privateKey, chain.provider),
      chainId: 31337n,
      rpc: local.url,
      instance: params.name,
      policy: DEV_POLICY,
      log: () => {},
    });
    deployBlock = d.deployBlock;
    rollupAddress = d.rollup;
    store = new SequencerStore(path.join(dir, "w.sqlite"));
    const crypto = await loadCrypto();
    watcher = new L1Watcher(rollupAt(d.rollup, chain.provider), store, crypto.hash, deployBlock, { kind: "confirmations", confirmations: 3 }, logWindow(2000));
  });
  after(async () => {
    store?.close();
    chain?.close();
    await local?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("stores each operation with its block; a replaced tip is noticed; the same operation again elsewhere keeps its place, the next one is dropped", async () => {
    const [a, b, carol, dave] = await Promise.all([0, 1, 2, 3].map(() => L2Key.random()));
    await deposit(1, a!);
    await deposit(2, b!);
    expect(await watcher.scan(await watcher.observe())).to.equal(2);
    const [op0, op1] = store.l1OpEvents(0, 2);
    expect(op1!.blockHash).to.equal((await chain.provider.getBlock(op1!.blockNumber))!.hash);
    expect(await watcher.tipReplaced(await watcher.observe())).to.equal(false);

    const snap = await chain.snapshot();
    await deposit(3, carol!); // op 2
    await deposit(4, dave!); // op 3
    expect(await watcher.scan(await watcher.observe())).to.equal(2);
    const [carolBefore] = store.l1OpEvents(2, 1);
    // The new branch holds carol's deposit again (one block later) but not dave's.
    await chain.revert(snap, 1);
    await deposit(3, carol!);
    await chain.mine(3);
    const view = await watcher.observe();
    expect(await watcher.tipReplaced(view)).to.equal(true);
    const plan = await watcher.reconcile(view);
    expect(plan.firstChanged).to.equal(3);
    expect(plan.dropped.map((o) => o.queueIndex)).to.deep.equal([3n]);
    expect(plan.moved.map((o) => o.queueIndex)).to.deep.equal([2n]);
    expect(plan.fresh).to.deep.equal([]);
    store.transaction(() => watcher.applyPlan(plan));
    watcher.commitTip(plan);
    expect(store.l1OpCount()).to.equal(3);
    const [carolAfter] = store.l1OpEvents(2, 1);
    expect(carolAfter!.chainHash).to.equal(carolBefore!.chainHash);
    expect(carolAfter!.blockNumber).to.be.greaterThan(carolBefore!.blockNumber);
    expect(store.l1OpEvents(0, 2)).to.deep.equal([op0, op1]);
    expect(await watcher.tipReplaced(await watcher.observe())).to.equal(false);
  });

  it("another operation at a queue index the stored one had is a change there: dropped and re-read", async () => {
    const [x, y] = await Promise.all([0, 1].map(() => L2Key.random()));
    const snap = await chain.snapshot();
    await deposit(5, x!); // op 3
    await watcher.scan(await watcher.observe());
    await chain.revert(snap, 2);
    await deposit(6, y!, "2"); // another op 3
    await chain.mine(2);
    const plan = await watcher.reconcile(await watcher.observe());
    expect(plan.firstChanged).to.equal(3);
    expect(plan.dropped.map((o) => o.ax)).to.deep.equal([x!.ax]);
    expect(plan.fresh.map((o) => [o.queueIndex, o.ax])).to.deep.equal([[3n, y!.ax]]);
    store.transaction(() => watcher.applyPlan(plan));
    watcher.commitTip(plan);
    expect(store.l1OpEvents(3, 1)[0]!.ax).to.equal(y!.ax);
  });

  it("events that do not continue the stored queue are refused, not stored (a fork while they were read)", async () => {
    const [z, v] = await Promise.all([0, 1].map(() => L2Key.random()));
    const snap = await chain.snapshot();
    await deposit(7, z!); // op 4
    await watcher.scan(await watcher.observe());
    // The branch replaces op 4 in a block above the tip; the tip itself is not checked here.
    await chain.revert(snap, 3);
    await deposit(8, v!);
    const before = store.l1OpCount();
    let error: unknown;
    await watcher.scan(await watcher.observe()).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(StateConflictError).and.include({ code: "REORG" });
    expect(store.l1OpCount()).to.equal(before);
  });
});
