import { Command } from "commander";
import { holdCurve } from "../../proving/curve.js";
import { verifyBatchFromL1 } from "../../chain/rebuild.js";
import { txCount } from "../../model/batchData.js";
import { describeProvenance } from "../../proving/manifest.js";
import { batchParams } from "../../proving/instances.js";
import { deploymentFallbackSetup, deploymentParams, deploymentSetup, describeDeploymentSetup } from "../../ops/index.js";
import { Config, withSettings } from "../config.js";
import { withRollup } from "../connect.js";
import { intArg } from "../units.js";

export function verifyCommand(): Command {
  const cmd = new Command("verify")
    .description(
      "re-check a batch from L1 alone: recompute its public inputs from the posted data, check its data commitment and verify its proof (exit code 1 if invalid)",
    )
    .argument("<batch>", "batch number (1 is the first)", intArg("batch number", 1n, (1n << 32n) - 1n))
    .option("--setup <dir>", "setup directory holding the deployment's verification key (default: the cache)")
    .option("--fallback-setup <dir>", "setup directory of the deployment's fallback verifier, for a fallback batch (default: the cache)")
    .option("--json", "print as JSON");
  withSettings(cmd, "deployment", "rpc", "maxLogRange");
  return cmd.action(async (batch: bigint, o: { setup?: string; fallbackSetup?: string; json?: boolean } & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["deployment", "rpc", "maxLogRange"]);
    const main = await deploymentSetup(cfg.deployment(), o.setup);
    // The fallback's key only where it is at hand: needed, with an error saying so, for a fallback batch alone.
    const fallback = await deploymentFallbackSetup(cfg.deployment(), o.fallbackSetup).catch((e: unknown) => {
      if (o.fallbackSetup) throw e;
      return undefined;
    });
    const release = holdCurve(); // snarkjs's worker threads, released when done
    try {
      const d = cfg.deployment();
      const params = deploymentParams(d);
      const v = await withRollup(cfg, {}, (l1) => verifyBatchFromL1(params, l1.rollup, l1.deployment.deployBlock, batch, main.vkey, l1.logs, fallback?.vkey));
      const manifest = v.batch.fallback ? fallback! : main;
      const setup = v.batch.fallback ? (d.fallback.setupProvenance ?? null) : (d.setupProvenance ?? null);
      const ok = v.proofValid && v.commitmentValid && v.rootConsistent && v.keyHashMatches;
      if (o.json) {
        console.log(
          JSON.stringify(
            {
              batch: batch.toString(),
              publicSignals: v.publicSignals.map(String),
              commitment: v.batch.data.commitment.toString(),
              commitmentValid: v.commitmentValid,
              proofValid: v.proofValid,
              rootConsistent: v.rootConsistent,
              verifyingKeyHash: v.onChainKeyHash,
              keyHashMatches: v.keyHashMatches,
              oldRoot: v.batch.oldRoot.toString(),
              newRoot: v.batch.data.newRoot.toString(),
              tx: v.batch.txHash,
              fallback: v.batch.fallback ?? false,
              setup,
              valid: ok,
            },
            null,
            2,
          ),
        );
      } else {
        const p = batchParams(params, v.batch.fallback);
        console.log(`batch          ${batch} (tx ${v.batch.txHash}, block ${v.batch.blockNumber})${v.batch.fallback ? `, a fallback batch (${p.name})` : ""}`);
        console.log(`L1 operations  ${v.batch.data.l1Count} (from #${v.batch.l1From}), ${txCount(v.batch.data, p)} transactions`);
        console.log(`commitment     ${v.commitmentValid ? "matches the posted data" : "DOES NOT MATCH the posted data"}`);
        console.log(`public inputs  y = ${v.publicSignals[0]}, z = ${v.publicSignals[1]} (recomputed from L1 data)`);
        console.log(`proof          ${v.proofValid ? "valid" : "INVALID"} (verification key of setup ${manifest.label}-${manifest.key})`);
        console.log(`verifier key   ${v.onChainKeyHash} on L1: ${v.keyHashMatches ? "the key checked here" : "NOT the key checked here"}`);
        console.log(`roots          ${v.rootConsistent ? "consistent" : "INCONSISTENT"}: ${v.batch.oldRoot} → ${v.batch.data.newRoot}`);
        console.log(`setup          ${v.batch.fallback ? (setup ? describeProvenance(setup) : "not recorded") : describeDeploymentSetup(d)}`);
        for (const [i, c] of (setup?.contributions ?? []).entries()) console.log(`  #${i + 1} ${c.name} ${c.hash}`);
        if (setup?.beacon) console.log(`  beacon ${setup.beacon.hash}${setup.beacon.source ? ` (${setup.beacon.source})` : ""}`);
      }
      if (!ok) process.exitCode = 1;
    } finally {
      await release();
    }
  });
}
