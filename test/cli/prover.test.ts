// `zkr sequencer --redis` hands its batches to `zkr prover` workers through BullMQ: both are
// the real bin/zkr, with a private redis-server and a hardhat node.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { useRedis } from "../redis.js";
import { alive, Background, freePort, testChainEnv, zkrOk } from "./helpers.js";
import { devAccount, type LocalChain, startHardhatNode } from "../../src/ops/index.js";

describe("zkr prover (BullMQ worker) with zkr sequencer --redis", function () {
  this.timeout(600_000);
  const redis = useRedis();
  let dir: string;
  let chain: LocalChain;
  const services: Background[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-cli-prover-"));
    chain = await startHardhatNode(await freePort());
  });

  after(async () => {
    for (const s of services) await s.stop();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const s of services) expect(alive(s.pid)).to.equal(false);
  });

  it("a deposit is proven by the worker and final on L1; both stop cleanly on SIGTERM", async function () {
    const apiPort = await freePort();
    const env = (key: string) => testChainEnv({ rpc: chain.url, apiPort, dir, wallet: "w.json" }, { ZKR_KEY: key });
    const operator = env(devAccount(0).privateKey);
    const user = env(devAccount(1).privateKey);
    await zkrOk(["deploy"], operator, 600_000);
    const queue = ["--redis", redis().url, "--queue", "cli-test"];
    const worker = new Background(["prover", ...queue, "--instance", "test_d4_b2", "--name", "w1"], operator);
    const sequencer = new Background(["sequencer", ...queue, "--port", String(apiPort)], operator);
    services.push(worker, sequencer);
    await Promise.all([worker.waitFor(/zkr prover: ready/, 120_000), sequencer.waitFor(/API on http/, 120_000)]);

    await zkrOk(["wallet", "new"], user);
    const dep = JSON.parse(await zkrOk(["deposit", "--amount", "1", "--wait", "--json"], user));
    expect(dep).to.include({ account: "1", batch: "1" });
    expect(worker.output).to.match(/batch-1-[0-9a-f]+: proved/);
    // The status says who proved the batch, and with which prover (what the worker logged).
    const { lastProof } = JSON.parse(await zkrOk(["status", "--json"], user));
    expect(lastProof).to.include({ batch: 1, worker: "w1", witness: "wasm" });
    expect(worker.output).to.include(`by ${lastProof.prover},`);
    expect(JSON.parse(await zkrOk(["verify", "1", "--json"], user)).valid).to.equal(true);

    expect(await sequencer.stop(), sequencer.output).to.equal(0);
    expect(await worker.stop(), worker.output).to.equal(0);
    expect(worker.output).to.match(/zkr prover: stopped/);
  });
});
