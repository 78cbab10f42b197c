// The pipeline recovers by itself, on real processes (`hardhat node`, `zkr sequencer`, `zkr prover`
// workers on a private Redis, a JSON-RPC proxy in front of the node):
//  - a proving job that fails for good is retried with backoff, shown in /v1/status and
//    `zkr status`, and proven once a working prover is back;
//  - a batch whose L1 transaction is mined only after the sequencer restarted is recognised as
//    included, not submitted again nor taken for a broken state;
//  - batches another submitter with the sequencer key put on L1 are followed (the sequencer's own
//    batch at that place rewound, its transaction found in L1's batch);
//  - an unreachable node is retried with growing delays; a key that is no longer the rollup's
//    sequencer, or a node without the "finalized" tag it was told to use, stops it with the reason.
import { expect } from "chai";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { DEV_POLICY, rollupAt } from "../../src/chain/deploy.js";
import { L2Key } from "../../src/model/keys.js";
import { rebuildFromL1 } from "../../src/chain/rebuild.js";
import { setupInstance } from "../../src/proving/setup.js";
import { submitNextBatch } from "../../src/sequencer/oneshot.js";
import { alive, Background, freePort, zkr, zkrEnv, zkrOk } from "../cli/helpers.js";
import { closeProver, proving } from "../e2e/helpers.js";
import { useRedis } from "../redis.js";
import { RpcProxy } from "../rpcProxy.js";
import { accountIn, Chain, expectConsistent, newWorld, outputAfter, params, pollUntil } from "./world.js";
import { deploy, devAccount, type LocalChain, startHardhatNode, writeDeployment } from "../../src/ops/index.js";

const MILLI = 10n ** 15n;

describe("the pipeline recovers by itself (real processes)", function () {
  this.timeout(900_000);
  const redis = useRedis();
  let dir: string;
  let local: LocalChain;
  let chain: Chain;
  const services: Background[] = [];
  const proxies: RpcProxy[] = [];
  const start = (args: string[], env: NodeJS.ProcessEnv) => {
    const b = new Background(args, env);
    services.push(b);
    return b;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-recovery-"));
    local = await startHardhatNode(await freePort(), "127.0.0.1", { blockTimeMs: 0 });
    chain = new Chain(local);
  });
  after(async () => {
    for (const s of services) await s.stop("SIGKILL");
    for (const p of proxies) await p.close();
    chain?.close();
    await local?.stop();
    await closeProver();
    for (const s of services) expect(alive(s.pid), `process ${s.pid} left running`).to.equal(false);
    rmSync(dir, { recursive: true, force: true });
  });

  const world = (name: string, args: string[] = [], opts: { rpc?: string } = {}) =>
    newWorld(chain, dir, name, ["--confirmations", "2", ...args], (b) => services.push(b), opts);

  it("a proving job that fails for good is retried with backoff, visible in the status, and proven once a working prover is back", async function () {
    const queue = ["--redis", redis().url, "--queue", "recovery"];
    const good = start(["prover", ...queue, "--instance", params.name, "--name", "good"], zkrEnv({}));
    await good.waitFor(/ready/, 180_000);
    const w = await world("prover", queue);
    expect(await good.stop("SIGTERM")).to.equal(0);
    // A worker whose setup directory is not the sequencer's fails every job it takes, for good.
    const bad = path.join(dir, "bad-setup");
    cpSync(path.dirname((await setupInstance(params.name)).manifest.zkey), bad, { recursive: true });
    const manifest = JSON.parse(readFileSync(path.join(bad, "setup.json"), "utf8")) as { key: string };
    writeFileSync(path.join(bad, "setup.json"), JSON.stringify({ ...manifest, key: "0".repeat(16) }));
    const broken = start(["prover", ...queue, "--setup", bad, "--name", "broken"], zkrEnv({}));
    await broken.waitFor(/ready/, 60_000);

    const mark = w.sequencer.output.length;
    const t1 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    const n = Number((await outputAfter(w.sequencer, mark, /built batch (\d+) \(1 txs/, 60_000))[1]);
    await outputAfter(w.sequencer, mark, new RegExp(`proving batch ${n}: .*attempt 1 failed, retrying in 1\\.0 s`), 120_000);
    await outputAfter(w.sequencer, mark, new RegExp(`proving batch ${n}: .*attempt 2 failed, retrying in 2\\.0 s`), 120_000);
    const s = (await w.status()) as unknown as {
      batches: { inFlight: { number: number; status: string; proving: { attempts: number; failures: number; lastError: string } }[] };
    };
    const entry = s.batches.inFlight.find((b) => b.number === n)!;
    expect(entry.status).to.equal("proving");
    expect(entry.proving.failures).to.be.at.least(2);
    expect(entry.proving.lastError).to.match(/the job is for setup .* but .* holds/);
    const text = await zkrOk(["status"], w.operator);
    expect(text).to.match(new RegExp(`batch ${n}\\s+proving, 1 txs, .*proving: attempt \\d+, failed \\d+× \\(last: .*the job is for setup`));

    expect(await broken.stop("SIGTERM")).to.equal(0);
    const back = start(["prover", ...queue, "--instance", params.name, "--name", "back"], zkrEnv({}));
    await back.waitFor(/ready/, 180_000);
    await w.waitTx(t1, "final", { mine: true });
    expect(back.output).to.match(new RegExp(`batch-${n}-[0-9a-f]+: proved`));
    await expectConsistent(chain, w);
    expect(await back.stop("SIGTERM")).to.equal(0);
  });

  it("a batch whose L1 transaction is mined only after a restart is recognised as included, not submitted again", async function () {
    const w = await world("restart");
    const rollup = (await w.rollup.getAddress()).toLowerCase();
    /** Hashes of the transactions to the rollup waiting in the node's pool (automine is off). */
    const pending = async () => {
      const block = (await chain.provider.send("eth_getBlockByNumber", ["pending", true])) as { transactions: { hash: string; to: string | null }[] };
      return block.transactions.filter((t) => t.to?.toLowerCase() === rollup).map((t) => t.hash);
    };
    await chain.provider.send("evm_setAutomine", [false]);
    let restarted: Background;
    try {
      const t1 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
      await pollUntil(
        async () => (await pending()).length > 0,
        120_000,
        () => w.sequencer.output,
      );
      const [hash] = await pending();
      const n = (await w.tx(t1)).batch!;
      w.sequencer.child.kill("SIGKILL"); // its submission sent, not mined
      await w.sequencer.exited;
      restarted = start(w.seqCmd, w.operator);
      await restarted.waitFor(/API on http/, 120_000);
      // Its transaction is still in the node's pool: waited for, not sent again.
      await new Promise((r) => setTimeout(r, 5_000));
      expect(await pending()).to.deep.equal([hash]);
      await chain.mine();
      await chain.provider.send("evm_setAutomine", [true]);
      await w.waitTx(t1, "final", { mine: true });
      const batch = (await (await fetch(`${w.api}/v1/batches/${n}`)).json()) as { status: string; l1TxHash: string };
      expect(batch).to.include({ status: "final", l1TxHash: hash });
      expect(restarted.output).to.match(new RegExp(`the transaction ${hash} that submitted batch ${n} is not mined yet`));
      expect(restarted.output).to.not.match(/submitting batch/);
    } finally {
      await chain.provider.send("evm_setAutomine", [true]);
    }
    const t2 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 1n });
    await w.waitTx(t2, "final", { mine: true });
    await expectConsistent(chain, w, restarted!);
  });

  it("a batch another submitter with the sequencer key put on L1: followed from its data, its transaction found in it, the own batch rebuilt on top", async function () {
    const w = await world("foreign");
    const mark = w.sequencer.output.length;
    const t1 = w.sign(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    const id = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    const n = Number((await outputAfter(w.sequencer, mark, /built batch (\d+) \(1 txs/, 60_000))[1]);
    w.sequencer.child.kill("SIGKILL"); // before its proof is done: batch n is only in its database
    await w.sequencer.exited;
    // The other submitter: its own state from L1, a deposit it consumes, and the same transfer.
    const carol = await L2Key.random();
    await w.deposit(3, carol, "1");
    const { crypto, proofs } = await proving();
    const signer = new Wallet(devAccount(0).privateKey, chain.provider);
    const other = rollupAt(await w.rollup.getAddress(), signer);
    const d = JSON.parse(readFileSync(path.join(dir, "foreign.json"), "utf8")) as { deployBlock: number; chainId: string; rollup: string };
    const { state } = await rebuildFromL1(crypto, params, other, d.deployBlock);
    const theirs = await submitNextBatch(
      { state, rollup: other, proofs, domain: { chainId: BigInt(d.chainId), rollupAddress: BigInt(d.rollup) }, fromBlock: d.deployBlock },
      [t1],
    );
    expect(await w.rollup.batchNumber()).to.equal(BigInt(n));
    expect(theirs.batch.l1Ops).to.have.length(1);

    const restarted = start(w.seqCmd, w.operator);
    await restarted.waitFor(/API on http/, 120_000);
    await outputAfter(restarted, 0, new RegExp(`L1 holds batch\\(es\\) ${n}\\.\\.${n} that this sequencer did not build`), 120_000);
    const tx = await w.waitTx(id, "final", { mine: true });
    expect(tx.batch).to.equal(n);
    const t2 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 1n });
    await w.waitTx(t2, "final", { mine: true });
    const r = await expectConsistent(chain, w, restarted);
    expect(accountIn(r, 3)).to.include({ ax: carol.ax.toString() });
  });

  it("an unreachable L1 node is retried with growing delays, and the sequencer carries on once it is back", async function () {
    const proxy = await RpcProxy.start(local.url);
    proxies.push(proxy);
    const w = await world("outage", [], { rpc: proxy.url });
    const mark = w.sequencer.output.length;
    proxy.down = true;
    const t1 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    await outputAfter(w.sequencer, mark, /retrying in 1\.0 s[\s\S]*retrying in 2\.0 s[\s\S]*retrying in 4\.0 s/, 60_000);
    expect(String((await w.status()).lastError)).to.match(/following L1: /);
    proxy.down = false;
    await w.waitTx(t1, "final", { mine: true });
    await expectConsistent(chain, w);
  });

  it("a key that is no longer the rollup's sequencer stops the sequencer with the reason (exit code 1)", async function () {
    const w = await world("revoked");
    const successor = devAccount(5).address;
    await (await rollupAt(await w.rollup.getAddress(), new Wallet(devAccount(0).privateKey, chain.provider)).setSequencer(successor)).wait();
    await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    const code = await Promise.race([w.sequencer.exited, new Promise<"running">((r) => setTimeout(() => r("running"), 300_000).unref())]);
    expect(code, w.sequencer.output).to.equal(1);
    expect(w.sequencer.output).to.match(/FATAL: submitting batch \d+: the rollup reverted with NotSequencer; the sequencer stopped/);
    expect(w.sequencer.output).to.match(/zkr: the sequencer stopped \(NOT_SEQUENCER\): submitting batch \d+: the rollup reverted with NotSequencer/);
  });

  it("told to use the finalized block on a node without that tag, the sequencer does not start and says why", async function () {
    const proxy = await RpcProxy.start(local.url, {
      refuse: (r) =>
        r.method === "eth_getBlockByNumber" && r.params?.[0] === "finalized" ? { code: -32602, message: "invalid block tag: finalized" } : undefined,
    });
    proxies.push(proxy);
    const signer = new Wallet(devAccount(0).privateKey, chain.provider);
    const d = await deploy({ signer, chainId: 31337n, rpc: local.url, instance: params.name, policy: DEV_POLICY, log: () => {} });
    writeDeployment(path.join(dir, "nofinal.json"), d, true);
    const env = zkrEnv({ ZKR_RPC: proxy.url, ZKR_DEPLOYMENT: path.join(dir, "nofinal.json"), ZKR_KEY: devAccount(0).privateKey });
    const r = await zkr(
      ["sequencer", "--port", String(await freePort()), "--db", path.join(dir, "nofinal.sqlite"), "--confirmations", "finalized"],
      env,
      120_000,
    );
    expect(r.code, r.stderr).to.equal(1);
    expect(r.stderr).to.match(/zkr: the L1 node does not support the "finalized" block tag \(.*invalid block tag: finalized.*\): pass --confirmations N/);
  });
});
