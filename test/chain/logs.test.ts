// Chunked eth_getLogs (src/chain/logs.ts) against a node that caps them: a real `hardhat node` with
// 6,000 blocks of history behind a real JSON-RPC proxy that refuses wide ranges or large answers
// as providers do. readL1Ops, readBatches, `zkr rebuild` / `zkr verify` and the sequencer's
// first scan must read everything through it; a node that refuses even one block, or that
// cannot be reached, is an error and not an endless split.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider, Network, Wallet } from "ethers";
import { DEV_POLICY, type RollupContract, rollupAt } from "../../src/chain/deploy.js";
import { readL1Ops } from "../../src/chain/events.js";
import { readBatches } from "../../src/chain/rebuild.js";
import { queryLogs } from "../../src/chain/logs.js";
import { L2State } from "../../src/model/state.js";
import { type OneShotContext, submitNextBatch } from "../../src/sequencer/oneshot.js";
import { Background, freePort, zkrEnv, zkrOk } from "../cli/helpers.js";
import { closeProver, ETH, keys, mined, params, proving } from "../e2e/helpers.js";
import { RpcProxy, type RpcProxyOptions } from "../rpcProxy.js";
import { l1OpFee } from "../sequencer/world.js";
import { deploy, type Deployment, devAccount, type LocalChain, startHardhatNode, writeDeployment } from "../../src/ops/index.js";

describe("chunked eth_getLogs against a node that caps them (hardhat node behind a JSON-RPC proxy)", function () {
  this.timeout(600_000);
  let dir: string;
  let chain: LocalChain;
  let direct: JsonRpcProvider;
  let d: Deployment;
  let rollup: RollupContract;
  const providers: JsonRpcProvider[] = [];
  const proxies: RpcProxy[] = [];

  /** A proxy in front of the chain and the rollup read through it. */
  async function capped(opts: RpcProxyOptions) {
    const proxy = await RpcProxy.start(chain.url, opts);
    proxies.push(proxy);
    const provider = new JsonRpcProvider(proxy.url, Network.from(31337n), { staticNetwork: true, cacheTimeout: -1 });
    providers.push(provider);
    return { proxy, rollup: rollupAt(d.rollup, provider) };
  }

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-logs-"));
    chain = await startHardhatNode(await freePort(), "127.0.0.1", { blockTimeMs: 0 });
    direct = new JsonRpcProvider(chain.url, Network.from(31337n), { staticNetwork: true, cacheTimeout: -1 });
    const operator = new Wallet(devAccount(0).privateKey, direct);
    d = await deploy({ signer: operator, chainId: 31337n, rpc: chain.url, instance: params.name, policy: DEV_POLICY, log: () => {} });
    writeDeployment(path.join(dir, "deployment.json"), d, true);
    rollup = rollupAt(d.rollup, operator);
    // Three deposits and two proven batches, 3,000 empty blocks apart.
    const { crypto, proofs } = await proving();
    const op: OneShotContext = {
      state: new L2State(crypto, params),
      rollup,
      proofs,
      domain: { chainId: 31337n, rollupAddress: BigInt(d.rollup) },
      fromBlock: d.deployBlock,
    };
    const k = await keys(3);
    const user = new Wallet(devAccount(1).privateKey, direct);
    const fee = await l1OpFee(rollup);
    await mined(rollup.connect(user).depositETH(k[0]!.ax, k[0]!.ay, { value: ETH + fee }));
    await mined(rollup.connect(user).depositETH(k[1]!.ax, k[1]!.ay, { value: ETH + fee }));
    await submitNextBatch(op);
    await direct.send("hardhat_mine", ["0xbb8"]); // 3,000
    await mined(rollup.connect(user).depositETH(k[2]!.ax, k[2]!.ay, { value: ETH + fee }));
    await direct.send("hardhat_mine", ["0xbb8"]);
    await submitNextBatch(op);
  });

  after(async function () {
    for (const p of providers) p.destroy();
    for (const p of proxies) await p.close();
    direct?.destroy();
    await chain?.stop();
    await closeProver();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("readL1Ops and readBatches read 6,000 blocks through a node refusing ranges over 500 blocks", async function () {
    const ops = await readL1Ops(rollup, d.deployBlock);
    const batches = await readBatches(rollup, d.deployBlock);
    expect(ops).to.have.length(3);
    expect(batches.map((b) => b.number)).to.deep.equal([1n, 2n]);
    const c = await capped({ maxRange: 500 });
    expect(await readL1Ops(c.rollup, d.deployBlock)).to.deep.equal(ops);
    expect((await readBatches(c.rollup, d.deployBlock)).map((b) => [b.number, b.data.newRoot, b.blockHash])).to.deep.equal(
      batches.map((b) => [b.number, b.data.newRoot, b.blockHash]),
    );
    // Each chunk the node refused was halved until it passed: every answered range is at most 500 blocks.
    const answered = c.proxy.logRanges.filter((r) => !r.refused);
    expect(answered.length).to.be.greaterThan(2 * 12);
    for (const r of answered) expect(r.to - r.from + 1).to.be.at.most(500);
    expect(c.proxy.logRanges.some((r) => r.refused)).to.equal(true);
  });

  it("a node refusing answers of more than one log: the range halves until each answer fits", async function () {
    const c = await capped({ maxResults: 1 });
    const got = await readL1Ops(c.rollup, d.deployBlock);
    expect(got.map((o) => o.queueIndex)).to.deep.equal([0n, 1n, 2n]);
    // The two deposits of the first block range needed a range holding only one of them.
    expect(c.proxy.logRanges.some((r) => r.refused)).to.equal(true);
  });

  it("a block the node refuses is an error with the node's message; an unreachable node fails at once", async function () {
    const c = await capped({ maxResults: 0 });
    const first = (await readL1Ops(rollup, d.deployBlock))[0]!;
    let error: unknown;
    await queryLogs(c.rollup, c.rollup.filters.L1OpQueued!(), first.blockNumber, first.blockNumber).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/refuses eth_getLogs even for the single block \d+: query returned more than 0 results \(-32005\)/);

    const down = await capped({});
    down.proxy.down = true;
    error = undefined;
    await queryLogs(down.rollup, down.rollup.filters.L1OpQueued!(), d.deployBlock, d.deployBlock + 4000).catch((e: unknown) => (error = e));
    expect(error, "an unreachable node is an error").to.not.equal(undefined);
    expect(String(error)).to.not.match(/refuses eth_getLogs/);
  });

  it("zkr rebuild and zkr verify read through a node capping ranges at 300 blocks", async function () {
    const c = await capped({ maxRange: 300 });
    const env = zkrEnv({ ZKR_RPC: c.proxy.url, ZKR_DEPLOYMENT: path.join(dir, "deployment.json") });
    const rebuilt = JSON.parse(await zkrOk(["rebuild", "--json"], env));
    expect(rebuilt).to.include({ batches: 2, matches: true });
    expect(rebuilt.l1Ops).to.deep.equal({ queued: 3, consumed: 3 });
    expect(JSON.parse(await zkrOk(["verify", "2", "--json"], env)).valid).to.equal(true);
    for (const r of c.proxy.logRanges) if (!r.refused) expect(r.to - r.from + 1).to.be.at.most(300);
  });

  it("the sequencer reads 5,000 blocks of history through a node capping ranges at 300 blocks and proves the deposit in them", async function () {
    // Its own deployment: a sequencer refuses a rollup with batches it did not build.
    const operator = new Wallet(devAccount(0).privateKey, direct);
    const mine = await deploy({ signer: operator, chainId: 31337n, rpc: chain.url, instance: params.name, policy: DEV_POLICY, log: () => {} });
    const file = path.join(dir, "sequencer-deployment.json");
    writeDeployment(file, mine, true);
    await direct.send("hardhat_mine", ["0x9c4"]); // 2,500
    const [k] = await keys(1);
    const theirs = rollupAt(mine.rollup, new Wallet(devAccount(1).privateKey, direct));
    await mined(theirs.depositETH(k!.ax, k!.ay, { value: ETH + (await l1OpFee(theirs)) }));
    await direct.send("hardhat_mine", ["0x9c4"]);
    const c = await capped({ maxRange: 300 });
    const apiPort = await freePort();
    const env = zkrEnv({ ZKR_RPC: c.proxy.url, ZKR_DEPLOYMENT: file, ZKR_KEY: devAccount(0).privateKey });
    const seq = new Background(["sequencer", "--port", String(apiPort), "--db", path.join(dir, "seq.sqlite"), "--confirmations", "1"], env);
    try {
      await seq.waitFor(/batch 1 final on L1/, 300_000);
      expect(await rollupAt(mine.rollup, direct).l1Processed()).to.equal(1n);
      expect(seq.output).to.not.match(/query exceeds max block range/);
      for (const r of c.proxy.logRanges) if (!r.refused) expect(r.to - r.from + 1).to.be.at.most(300);
    } finally {
      expect(await seq.stop("SIGTERM"), seq.output).to.equal(0);
    }
  });
});
