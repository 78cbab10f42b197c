// `zkr devnet`: one command brings up a chain, the rollup, the sequencer and the prover; the
// commands it prints work as printed; Ctrl-C (SIGINT) stops everything, the chain included.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { DEV_POLICY } from "../../src/chain/deploy.js";
import { alive, Background, freePort, zkrEnv, zkrOk } from "./helpers.js";
import { readDeployment } from "../../src/ops/index.js";

/** The variables of the `export A=… B=…` lines devnet prints. */
function exportedVars(output: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const m = /^\s*export (.*)$/.exec(line);
    if (!m) continue;
    for (const pair of m[1]!.trim().split(/\s+/)) {
      const [k, ...v] = pair.split("=");
      vars[k!] = v.join("=");
    }
  }
  return vars;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

describe("zkr devnet", function () {
  this.timeout(600_000);
  let dir: string;
  let devnet: Background | undefined;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-devnet-"));
  });

  after(async () => {
    await devnet?.stop(); // SIGTERM: devnet stops its chain too
    rmSync(dir, { recursive: true, force: true });
  });

  it("runs chain, rollup, sequencer and prover; the printed commands work; SIGINT stops it all", async function () {
    const [port, apiPort] = [await freePort(), await freePort()];
    devnet = new Background(["devnet", "--port", String(port), "--api-port", String(apiPort), "--dir", dir], zkrEnv({}));
    await devnet.waitFor(/Ctrl-C stops/, 540_000);

    const vars = exportedVars(devnet.output);
    expect(vars).to.include({
      ZKR_RPC: `http://127.0.0.1:${port}`,
      ZKR_SEQUENCER: `http://127.0.0.1:${apiPort}`,
      ZKR_DEPLOYMENT: path.join(dir, "deployment.json"),
    });
    expect(vars.ZKR_KEY).to.match(/^0x[0-9a-f]{64}$/);
    const deployment = readDeployment(vars.ZKR_DEPLOYMENT!);
    expect(deployment.chainId).to.equal("31337");
    // The development policy: a small fee, an hour's delays (src/chain/deploy.ts DEV_POLICY).
    expect([deployment.l1OpFee, deployment.minDeposit, deployment.escapeDelay, deployment.inactivityDelay, deployment.l1Grace]).to.deep.equal(
      [DEV_POLICY.l1OpFee, DEV_POLICY.minDeposit, DEV_POLICY.escapeDelay, DEV_POLICY.inactivityDelay, DEV_POLICY.l1Grace].map(String),
    );

    const env = zkrEnv(vars);
    await zkrOk(["wallet", "new"], env);
    const dep = JSON.parse(await zkrOk(["deposit", "--amount", "1", "--wait", "--json"], env));
    expect(dep).to.include({ account: "1", batch: "1" });
    expect(await zkrOk(["balance", "--account", "1"], env)).to.match(/^account #1: 1 ETH/);

    expect(await devnet.stop("SIGINT")).to.equal(0);
    expect(devnet.output).to.match(/zkr devnet: stopped/);
    expect(alive(devnet.pid)).to.equal(false);
    expect(await listening(port), "hardhat node still listening").to.equal(false);
    expect(await listening(apiPort), "sequencer API still listening").to.equal(false);
  });
});
