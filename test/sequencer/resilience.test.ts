// Resilience of the services, all real processes (bin/zkr) against a `hardhat node`:
//  - two `zkr prover` workers on a real Redis prove consecutive batches; one is killed with
//    SIGKILL while it holds a job, and the batch is still proven and every batch lands in order;
//  - the sequencer is killed with SIGKILL while transfers and proofs are in flight, restarted on
//    the same database, and every accepted transfer ends final on L1.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider } from "ethers";
import { readWallet } from "../../src/cli/config.js";
import { loadCrypto } from "../../src/model/crypto.js";
import { rollupAt } from "../../src/chain/deploy.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { signTransfer, transferToJSON } from "../../src/model/tx.js";
import { alive, Background, freePort, zkrEnv, zkrOk } from "../cli/helpers.js";
import { useRedis } from "../redis.js";
import { devAccount, type LocalChain, readDeployment, startHardhatNode } from "../../src/ops/index.js";

const params = getInstance(TEST_INSTANCE);

describe("service resilience (real processes, real proofs)", function () {
  this.timeout(900_000);
  const redis = useRedis();
  let dir: string;
  let chain: LocalChain;
  const services: Background[] = [];
  const start = (args: string[], env: NodeJS.ProcessEnv) => {
    const b = new Background(args, env);
    services.push(b);
    return b;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-resilience-"));
    chain = await startHardhatNode(await freePort());
  });
  after(async () => {
    for (const s of services) await s.stop("SIGKILL");
    await chain?.stop();
    for (const s of services) expect(alive(s.pid), `process ${s.pid} left running`).to.equal(false);
    rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh deployment with two funded accounts (#1 alice, #2 bob) proven by a batch. */
  async function world(name: string, seqArgs: string[], startProvers?: (operator: NodeJS.ProcessEnv) => Promise<void>) {
    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const env = (key: string, wallet = "alice") =>
      zkrEnv({
        ZKR_RPC: chain.url,
        ZKR_SEQUENCER: api,
        ZKR_DEPLOYMENT: path.join(dir, `${name}.json`),
        ZKR_WALLET: path.join(dir, `${name}-${wallet}.json`),
        ZKR_KEY: key,
      });
    const operator = env(devAccount(0).privateKey);
    await zkrOk(["deploy"], operator, 600_000);
    const seqCmd = ["sequencer", "--port", String(apiPort), "--db", path.join(dir, `${name}.sqlite`), "--batch-timeout", "300", ...seqArgs];
    const sequencer = start(seqCmd, operator);
    await sequencer.waitFor(/API on http/, 120_000);
    await startProvers?.(operator);
    for (const [who, i] of [
      ["alice", 1],
      ["bob", 2],
    ] as const) {
      const e = env(devAccount(i).privateKey, who);
      await zkrOk(["wallet", "new"], e);
      await zkrOk(["deposit", "--amount", "10", ...(who === "bob" ? ["--wait"] : [])], e); // both applied once bob's is
    }
    const d = readDeployment(path.join(dir, `${name}.json`));
    const provider = new JsonRpcProvider(chain.url, undefined, { cacheTimeout: -1 });
    const rollup = rollupAt(d.rollup, provider);
    const alice = await readWallet(path.join(dir, `${name}-alice.json`));
    const crypto = await loadCrypto();
    const domain = { chainId: BigInt(d.chainId), rollupAddress: BigInt(d.rollup) };
    /** Signs and posts transfers alice → bob with consecutive nonces; returns their ids. */
    const send = async (firstNonce: number, n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const tx = signTransfer(crypto.hash, alice, { from: 1n, to: 2n, amount: 10n ** 15n, fee: 0n, nonce: BigInt(firstNonce + i) }, domain, params);
        const r = await fetch(`${api}/v1/txs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(transferToJSON(tx)) });
        expect(r.status, await r.clone().text()).to.equal(202);
        ids.push(((await r.json()) as { id: string }).id);
      }
      return ids;
    };
    const statusOf = async (id: string) => ((await (await fetch(`${api}/v1/txs/${id}`)).json()) as { status: string; batch: number | null }).status;
    const allFinal = async (ids: string[], ms: number) => {
      const t0 = Date.now();
      for (;;) {
        const st = await Promise.all(ids.map(statusOf));
        if (st.every((s) => s === "final")) return;
        if (st.includes("rejected")) throw new Error(`a transfer was rejected: ${st}`);
        if (Date.now() - t0 > ms) throw new Error(`not final after ${ms} ms: ${st}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    return { sequencer, seqCmd, operator, rollup, send, allFinal, api };
  }

  it("two BullMQ provers share consecutive batches; one killed mid-job, the batch is still proven and all land in order", async function () {
    const queue = ["--redis", redis().url, "--queue", "resilience"];
    let workers: Background[] = [];
    const w = await world("dist", queue, async (operator) => {
      workers = ["w1", "w2"].map((n) => start(["prover", ...queue, "--instance", TEST_INSTANCE, "--name", n], operator));
      await Promise.all(workers.map((x) => x.waitFor(/ready/, 180_000)));
    });
    // Account creation (batch 1 or 2), then 3 batches of 2 transfers.
    const ids = await w.send(0, 6);
    // Kill whichever worker first starts proving a transfer batch, while it holds the job.
    let victim: Background | undefined;
    let jobId = "";
    const t0 = Date.now();
    while (!victim) {
      for (const x of workers) {
        const m = [...x.output.matchAll(/(batch-(\d+)-[0-9a-f]+): attempt 1, proving/g)].find(
          (mm) => Number(mm[2]) >= 2 && !x.output.includes(`${mm[1]}: proved`),
        );
        if (m) [victim, jobId] = [x, m[1]];
      }
      if (Date.now() - t0 > 300_000) throw new Error(`no worker started a transfer batch:\n${workers.map((x) => x.output).join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    victim.child.kill("SIGKILL");
    await victim.exited;
    const survivor = workers.find((x) => x !== victim)!;
    await w.allFinal(ids, 600_000);
    // The job the victim held was picked up again by the survivor and proven there.
    expect(survivor.output).to.match(new RegExp(`${jobId}: attempt [2-9], proving`));
    expect(survivor.output).to.match(new RegExp(`${jobId}: proved`));
    // In order on L1: batch numbers 1..n with each batch starting from the previous root.
    const events = await w.rollup.queryFilter(w.rollup.filters.BatchSubmitted!());
    const numbers = events.map((e) => ("args" in e ? Number(e.args.batchNumber) : -1));
    expect(numbers).to.deep.equal(numbers.map((_, i) => i + 1));
    for (let i = 1; i < events.length; i++) {
      const [a, b] = [events[i - 1], events[i]];
      if ("args" in a && "args" in b) expect(b.args.oldRoot).to.equal(a.args.newRoot);
    }
    expect(JSON.parse(await zkrOk(["rebuild", "--json"], w.operator)).matches).to.equal(true);
    for (const x of [survivor, w.sequencer]) expect(await x.stop("SIGTERM")).to.equal(0);
  });

  it("the sequencer killed with SIGKILL mid-flight restarts on its database and every accepted transfer ends final", async function () {
    const w = await world("restart", []);
    const first = await w.send(0, 5);
    // Wait until a batch of transfers is being proven, then kill -9.
    const t0 = Date.now();
    while (!/built batch [3-9]/.test(w.sequencer.output)) {
      if (Date.now() - t0 > 300_000) throw new Error(`no transfer batch built:\n${w.sequencer.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    w.sequencer.child.kill("SIGKILL");
    await w.sequencer.exited;
    const restarted = start(w.seqCmd, w.operator);
    await restarted.waitFor(/API on http/, 120_000);
    // The state of the last final batch read from the database; only the batches after it replayed.
    expect(restarted.output).to.match(/state of batch \d+ read from the database, \d+ later batch\(es\) replayed/);
    // More transfers after the restart, continuing the nonces the database kept.
    const more = await w.send(5, 2);
    await w.allFinal([...first, ...more], 600_000);
    expect(JSON.parse(await zkrOk(["rebuild", "--json"], w.operator)).matches).to.equal(true);
    expect(await restarted.stop("SIGTERM")).to.equal(0);
  });
});
