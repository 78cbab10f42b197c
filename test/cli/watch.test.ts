// `zkr watch` end to end: the real bin/zkr as separate processes against a hardhat node, real
// proofs. The sequencer proves a deposit and stops; the owner's forced exit then waits. `zkr
// watch --once` is quiet before the threshold and reports the censored forced exit after it (a
// line on stdout, exit code 2, the webhook of a local server, the same once more as JSON with the
// silent sequencer). A background `zkr watch --act` serves the alert on /metrics, waits for the
// fallback to open and runs it: the forced exit is paid on L1 and the alert clears. An
// evm_snapshot / evm_revert reorganisation takes that fallback batch back: the watchtower reports
// it, raises the forced exit again, acts again and clears the reorganisation once the batch is on
// L1 again. A Watchtower in this process is fed corrupted copies of the batches on L1 (another
// batch's proof, another new root) and reports them invalid (a batch with a proof L1's verifier
// refuses cannot be posted). Last, with a proving key that fails, `zkr watch --once --act`
// activates escape mode once the rollup allows it.
import { expect } from "chai";
import { parseEther, Wallet } from "ethers";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Background, type CliChain, connectError, expectOneLineErrors, freePort, startCliChain, stopCliChain, zkr, zkrOk } from "./helpers.js";
import { rollupAt } from "../../src/chain/deploy.js";
import { readBatches } from "../../src/chain/rebuild.js";
import {
  type Alert,
  connectRollup,
  deploymentFallbackSetup,
  deploymentSetup,
  devAccount,
  readDeployment,
  Watchtower,
  watchMetrics,
} from "../../src/ops/index.js";
import { holdCurve } from "../../src/proving/curve.js";

/** A local HTTP server that keeps the JSON bodies POSTed to it. */
async function webhookServer(): Promise<{ url: string; received: Alert[]; close(): Promise<void> }> {
  const received: Alert[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      received.push(JSON.parse(body) as Alert);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A sample's value in Prometheus text (`name` with its label set, as rendered). */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  if (!line) throw new Error(`no ${series} in\n${text}`);
  return Number(line.slice(series.length + 1));
}

/** The alerts of a `--json` run's stdout, and its summary. */
function jsonLines(stdout: string): { alerts: Alert[]; summary: Record<string, unknown> } {
  const lines = stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { type: string });
  return { alerts: lines.filter((l) => l.type === "alert") as unknown as Alert[], summary: lines.find((l) => l.type === "summary")! };
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, "g")) ?? []).length;

describe("zkr watch (bin/zkr against a hardhat node, real proofs)", function () {
  this.timeout(600_000);

  const operatorKey = devAccount(0).privateKey;
  const aliceKey = devAccount(1).privateKey;
  const alice = new Wallet(aliceKey).address;
  const carolKey = devAccount(3).privateKey; // runs the watchtower

  let c: CliChain;
  let sequencer: Background | undefined;
  let watcher: Background | undefined;
  let hook: Awaited<ReturnType<typeof webhookServer>>;
  let metricsUrl: string;
  let snapshot: string;
  let claimableBefore: bigint;
  const quiet = ["--silence-threshold", "1000000"];

  before(async function () {
    c = await startCliChain("zkr-watch-");
    hook = await webhookServer();
    metricsUrl = `http://127.0.0.1:${await freePort()}/metrics`;
  });

  after(async function () {
    await stopCliChain(c ?? {}, sequencer, watcher);
    await hook?.close();
  });

  const metrics = async () => (await fetch(metricsUrl)).text();

  it("on a rollup whose sequencer proved a deposit, zkr watch --once verifies the batch and reports nothing (exit code 0)", async function () {
    await zkrOk(["wallet", "new"], c.env());
    await zkrOk(["deploy", "--escape-delay", "3600", "--fallback-delay", "600"], c.env({ ZKR_KEY: operatorKey }), 900_000);
    sequencer = new Background(["sequencer", "--port", String(c.apiPort), "--batch-timeout", "500"], c.env({ ZKR_KEY: operatorKey }));
    await sequencer.waitFor(/API on http:\/\/127\.0\.0\.1:\d+/, 120_000);
    await zkrOk(["deposit", "--amount", "2", "--wait"], c.env({ ZKR_KEY: aliceKey })); // account 1, batch 1
    await sequencer.stop();
    const r = await zkr(["watch", "--once", "--json", "--forced-threshold", "60", ...quiet], c.env());
    expect(r.code, r.stderr).to.equal(0);
    const { alerts, summary } = jsonLines(r.stdout);
    expect(alerts).to.deep.equal([]);
    expect(summary).to.deep.include({ batches: 1, verified: 1, waiting: 0, active: [] });
    expect(summary.root).to.equal(summary.onChainRoot);
  });

  it("with the sequencer down, the owner's forced exit waits: zkr watch --once reports it past --forced-threshold (a line, exit code 2, the webhook)", async function () {
    await zkrOk(["force-exit", "--account", "1"], c.env({ ZKR_KEY: aliceKey })); // L1 operation #1
    expect((await zkr(["watch", "--once", "--forced-threshold", "60", ...quiet], c.env())).code, "before the threshold").to.equal(0);
    await c.provider.send("evm_increaseTime", [61]);
    await c.provider.send("evm_mine", []);

    const r = await zkr(["watch", "--once", "--forced-threshold", "60", ...quiet, "--webhook", hook.url], c.env());
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stdout).to.match(
      /ALERT forced-op-waiting raised: L1 operation #1 \(forced exit, account #1, owner 0x[0-9a-fA-F]{40}\) has waited \d+ s unprocessed/,
    );
    expect(r.stdout).to.match(/the fallback opens in \d+ s/);
    expect(r.stdout).to.match(/1 alert\(s\) active: forced-op-waiting$/m);
    expect(hook.received).to.have.length(1);
    expect(hook.received[0]).to.deep.include({ kind: "forced-op-waiting", key: "forced-op-waiting:1", status: "raised" });
    expect(hook.received[0]!.details).to.deep.include({ queueIndex: "1", opKind: "forced exit", forcedExit: true, account: "1" });

    // The same as JSON, with the silent sequencer; a webhook that cannot be reached is logged and changes nothing.
    const closed = `http://127.0.0.1:${await freePort()}/hook`;
    const j = await zkr(["watch", "--once", "--json", "--forced-threshold", "60", "--silence-threshold", "30", "--webhook", closed], c.env());
    expect(j.code, j.stderr).to.equal(2);
    const { alerts, summary } = jsonLines(j.stdout);
    expect(alerts.map((a) => [a.key, a.status])).to.deep.equal([
      ["sequencer-silent", "raised"],
      ["forced-op-waiting:1", "raised"],
    ]);
    expect(summary).to.deep.include({ waiting: 1, batches: 1 });
    expect(j.stderr).to.match(/webhook http:\/\/127\.0\.0\.1:\d+\/hook failed: ECONNREFUSED/);
  });

  it("a background zkr watch --act shows the alert on /metrics, runs the fallback once it opens: the forced exit is paid and the alert clears", async function () {
    const rollup = rollupAt(readDeployment(path.join(c.dir, "deployment.json")).rollup, c.provider);
    claimableBefore = await rollup.claimable(alice, 0);
    const port = new URL(metricsUrl).port;
    watcher = new Background(
      ["watch", "--interval", "1", "--forced-threshold", "60", ...quiet, "--metrics-port", port, "--webhook", hook.url, "--act", "--max-batches", "2"],
      c.env({ ZKR_KEY: carolKey }),
    );
    await watcher.waitFor(/ALERT forced-op-waiting raised: L1 operation #1/, 60_000);
    await watcher.waitFor(/--act: 1 L1 operation\(s\) wait; the fallback opens at/, 30_000);
    let m = await metrics();
    expect(sample(m, "zkr_watch_waiting_l1ops")).to.equal(1);
    expect(sample(m, "zkr_watch_waiting_l1ops_over_threshold")).to.equal(1);
    expect(sample(m, "zkr_watch_oldest_waiting_l1op_age_seconds")).to.be.at.least(61);
    expect(sample(m, 'zkr_watch_alerts_total{kind="forced-op-waiting"}')).to.equal(1);
    expect(sample(m, 'zkr_watch_active_alerts{kind="forced-op-waiting"}')).to.equal(1);
    expect(sample(m, "zkr_watch_batches_verified_total")).to.equal(1);
    expect(sample(m, "zkr_watch_state_root_matches")).to.equal(1);
    expect(m).to.match(/^# TYPE zkr_watch_reorgs_total counter$/m);

    snapshot = await c.provider.send("evm_snapshot", []); // for the next test: before the fallback batch
    await c.provider.send("evm_increaseTime", [600]);
    await c.provider.send("evm_mine", []);
    await watcher.waitFor(/ran the fallback: 1 batch\(es\)/, 120_000);
    await watcher.waitFor(/alert forced-op-waiting cleared: L1 operation #1 was processed/, 60_000);
    expect((await rollup.claimable(alice, 0)) - claimableBefore).to.equal(parseEther("2"));
    m = await metrics();
    expect(sample(m, "zkr_watch_waiting_l1ops")).to.equal(0);
    expect(sample(m, "zkr_watch_batches_verified_total")).to.equal(2);
    expect(sample(m, "zkr_watch_fallback_batches_total")).to.equal(1);
    expect(sample(m, 'zkr_watch_active_alerts{kind="forced-op-waiting"}')).to.equal(0);
    expect(sample(m, "zkr_watch_batch_number")).to.equal(2);
    expect(hook.received.filter((a) => a.key === "forced-op-waiting:1").map((a) => a.status)).to.deep.equal(["raised", "raised", "cleared"]);
  });

  it("an L1 reorganisation that takes the fallback batch back is reported; the watchtower acts again and clears it once the batch is on L1 again", async function () {
    expect(await c.provider.send("evm_revert", [snapshot])).to.equal(true);
    await watcher!.waitFor(/ALERT reorg raised: batch 2 \(block \d+ 0x[0-9a-f]{64}, tx 0x[0-9a-f]{64}\) is no longer on the canonical L1 chain/, 60_000);
    const m = await metrics();
    expect(sample(m, "zkr_watch_reorgs_total")).to.be.at.least(1);
    expect(sample(m, 'zkr_watch_alerts_total{kind="reorg"}')).to.equal(1);
    // The forced exit waits again on this chain (reported again), until the watchtower's fallback batch lands once more (hardhat
    // keeps the time it was moved on across evm_revert, so the fallback may be open at once: the increase makes sure).
    await c.provider.send("evm_increaseTime", [600]);
    await c.provider.send("evm_mine", []);
    await watcher!.waitFor(/alert reorg cleared: batch 2 is on L1 again: fallback batch 2/, 120_000);
    expect(count(watcher!.output, /ALERT forced-op-waiting raised: L1 operation #1/)).to.equal(2);
    await watcher!.waitFor(/alert forced-op-waiting cleared[^\n]*\n(.|\n)*alert forced-op-waiting cleared/, 60_000);
    const rollup = rollupAt(readDeployment(path.join(c.dir, "deployment.json")).rollup, c.provider);
    expect((await rollup.claimable(alice, 0)) - claimableBefore).to.equal(parseEther("2")); // paid once, on this chain
    const r = JSON.parse(await zkrOk(["rebuild", "--json"], c.env()));
    expect([r.matches, r.batches]).to.deep.equal([true, 2]);
    expect(await watcher!.stop()).to.equal(0);
    expect(watcher!.output).to.match(/SIGTERM: shutting down/);
    // Stopped: the metrics server with it.
    expect(await connectError(metricsUrl)).to.equal("ECONNREFUSED");
  });

  it("a batch whose proof or data does not verify is reported invalid-batch (a Watchtower here, fed corrupted copies of the batches on L1)", async function () {
    const d = readDeployment(path.join(c.dir, "deployment.json"));
    const l1 = await connectRollup({ deployment: d, provider: c.provider });
    const [main, fallback] = await Promise.all([deploymentSetup(d), deploymentFallbackSetup(d)]);
    const release = holdCurve();
    try {
      const watch = async (corrupt: (b: Awaited<ReturnType<typeof readBatches>>) => void) => {
        const alerts: Alert[] = [];
        const w = await Watchtower.create(l1, {
          vkey: main.vkey,
          fallbackVkey: fallback.vkey,
          forcedThreshold: 60,
          silenceThreshold: 1e9,
          metrics: watchMetrics(),
          onAlert: (a) => alerts.push(a),
          readBatches: async (...args) => {
            const batches = await readBatches(...args);
            corrupt(batches);
            return batches;
          },
        });
        const report = await w.poll();
        return { alerts, report, w };
      };

      // Nothing changed: both batches verify.
      const ok = await watch(() => {});
      expect([ok.alerts, ok.report.verified, ok.report.root === ok.report.onChainRoot]).to.deep.equal([[], 2, true]);

      // Batch 1 posted with batch 2's proof: the proof does not verify, the data still applies.
      const proof = await watch((b) => (b[0]!.proof = b[1]!.proof));
      expect(proof.alerts.map((a) => [a.key, a.status])).to.deep.equal([["invalid-batch:1", "raised"]]);
      expect(proof.alerts[0]!.details).to.deep.include({ proofValid: false, commitmentValid: true, keyHashMatches: true, applies: true });
      expect(proof.alerts[0]!.message).to.match(/^batch 1 \(block \d+, tx 0x[0-9a-f]+\) is INVALID: its proof does not verify with the verification key$/);
      expect(proof.w.metrics.get("zkr_watch_invalid_batches_total")).to.equal(1);
      expect(proof.w.metrics.get("zkr_watch_active_alerts", { kind: "invalid-batch" })).to.equal(1);

      // Batch 1 posted with another new root: its commitment and its data do not hold, the state stays before it.
      const root = await watch((b) => (b[0]!.data = { ...b[0]!.data, newRoot: b[0]!.data.newRoot + 1n }));
      expect(root.alerts.map((a) => [a.key, a.status])).to.deep.equal([
        ["invalid-batch:1", "raised"],
        ["state-mismatch", "raised"],
      ]);
      expect(root.alerts[0]!.details).to.deep.include({ commitmentValid: false, rootConsistent: false, applies: false });
      expect(root.alerts[0]!.message).to.match(
        /its data does not apply to the state rebuilt from L1 \(batch 1: rebuilt root \d+ differs from the posted root \d+\)/,
      );
      expect(root.alerts[1]!.message).to.match(/the state rebuilt from L1 has root \d+ after batch 0, the rollup holds root \d+ after batch 2/);
      expect(root.report.active).to.have.length(2);
    } finally {
      await release();
    }
  });

  it("zkr watch refuses bad input with one line", async function () {
    const env = c.env();
    await expectOneLineErrors([
      [["watch", "--once", "--webhook", "ftp://example.com/hook"], env, /--webhook must be an http\(s\) URL, got "ftp:\/\/example\.com\/hook"/],
      [["watch", "--once", "--webhook", "not a url"], env, /--webhook is not a URL: "not a url"/],
      [["watch", "--once", "--forced-threshold", "-5"], env, /forced-operation threshold must be an integer from 0/],
      [["watch", "--once", "--silence-threshold", "1.5"], env, /silence threshold must be an integer from 0/],
      [["watch", "--once", "--interval", "0"], env, /interval must be an integer from 1 to 86400/],
      [["watch", "--once", "--metrics-port", "70000"], env, /metrics port must be an integer from 0 to 65535/],
      [["watch", "--once", "--act"], env, /missing L1 private key: pass --key or set ZKR_KEY/],
    ]);
  });

  it("with a fallback that cannot prove, zkr watch --once --act activates escape mode once the rollup allows it", async function () {
    await zkrOk(["deposit", "--amount", "1"], c.env({ ZKR_KEY: aliceKey })); // L1 operation #2, never processed
    await c.provider.send("evm_increaseTime", [3601]);
    await c.provider.send("evm_mine", []);
    // A copy of the fallback setup whose circuit cannot compute a witness.
    const d = readDeployment(path.join(c.dir, "deployment.json"));
    const setup = await deploymentFallbackSetup(d);
    const broken = path.join(c.dir, "broken-fallback-setup");
    mkdirSync(broken);
    for (const f of readdirSync(path.dirname(setup.vkey))) copyFileSync(path.join(path.dirname(setup.vkey), f), path.join(broken, f));
    writeFileSync(path.join(broken, path.basename(setup.wasm)), "not a wasm module");
    const r = await zkr(["watch", "--once", "--act", "--forced-threshold", "60", ...quiet, "--fallback-setup", broken], c.env({ ZKR_KEY: carolKey }));
    expect(r.stderr).to.match(/the fallback failed: /);
    expect(r.stderr).to.match(/activated escape mode from batch 2 \(tx 0x[0-9a-f]{64}\)/);
    expect(r.code, r.stderr).to.equal(2); // the deposit still waits (refundable now)
    expect(r.stdout).to.match(/ALERT forced-op-waiting raised: L1 operation #2 \(deposit \(new account\), account #2/);
    expect(r.stdout).to.match(/ESCAPE MODE/);
    expect(await rollupAt(d.rollup, c.provider).escapeMode()).to.equal(true);
  });
});
