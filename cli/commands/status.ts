import { Command } from "commander";
import { MaxUint256 } from "ethers";
import { type BatchInFlightView, type RetryView, SequencerClient } from "../client.js";
import { Config, describeDeploymentSetup, withSettings } from "../config.js";
import { withRollup } from "../l1.js";
import { formatAmount } from "../units.js";

/** "attempt 3, failed 2× (last: …), next at …". */
function retryLine(r: RetryView): string {
  return `attempt ${r.attempts}${r.failures ? `, failed ${r.failures}× (last: ${r.lastError})` : ""}${r.nextRetryAt ? `, next attempt at ${r.nextRetryAt}` : ""}`;
}

function batchLine(b: BatchInFlightView): string {
  const parts = [`${b.status}, ${b.txs} txs, ${b.l1Ops} L1 ops, ${(b.ageMs / 1000).toFixed(0)} s`];
  if (b.l1Block !== undefined) parts.push(`in L1 block ${b.l1Block}`);
  if (b.proving.failures) parts.push(`proving: ${retryLine(b.proving)}`);
  if (b.submission.failures) parts.push(`submission: ${retryLine(b.submission)}`);
  return parts.join(", ");
}

export function statusCommand(): Command {
  const cmd = new Command("status")
    .description("the sequencer's status (/v1/status), or with --l1 the rollup's state on L1")
    .option("--l1", "read the rollup contract instead of the sequencer")
    .option("--json", "print as JSON");
  withSettings(cmd, "sequencer", "deployment", "rpc");
  return cmd.action(async (o: { l1?: boolean; json?: boolean } & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["sequencer", "deployment", "rpc"]);
    if (!o.l1) {
      const s = await new SequencerClient(cfg.need("sequencer")).status();
      if (o.json) return console.log(JSON.stringify(s, null, 2));
      const t = s.txs;
      console.log(`rollup        ${s.rollup} on chain ${s.chainId} (instance ${s.instance})`);
      if (s.fatal) console.log(`STOPPED       ${s.fatal}`);
      console.log(`state         ${s.accounts} accounts, root ${s.stateRoot}`);
      if (s.l1) console.log(`L1            head ${s.l1.head}, final up to ${s.l1.finalized} (${s.finality}), rollup at batch ${s.l1.batchNumber}`);
      console.log(`batches       ${s.batches.total} built, ${s.batches.included} included, ${s.batches.final} final on L1`);
      for (const b of s.batches.inFlight) console.log(`  batch ${b.number}  ${batchLine(b)}`);
      console.log(`transactions  ${t.pending} pending, ${t.batched} batched, ${t.proven} proven, ${t.included} included, ${t.final} final, ${t.rejected} rejected`);
      const m = s.mempool;
      if (m) {
        const fees = Object.entries(m.minFee).map(([token, fee]) => `token ${token}: ${fee}`).join(", ") || "none";
        console.log(`mempool       ${m.pending} of ${m.maxPending} pending from ${m.senders} senders (${m.maxPendingPerSender} per sender), minimum fees ${fees}`);
      }
      console.log(`L1 operations ${s.l1OpsConsumed} of ${s.l1OpsKnown} seen consumed`);
      const r = s.reconciliations;
      if (r.last) console.log(`reconciled    ${r.count} time(s) with L1, last ${r.last.at}: ${r.last.reason}${r.last.finalLost.length ? ` (batches ${r.last.finalLost.join(", ")} had been final)` : ""}`);
      if (s.rebuild) console.log(`rebuild       ${retryLine(s.rebuild)}`);
      if (s.lastError) console.log(`last error    ${s.lastError}`);
      return;
    }
    await withRollup(cfg, {}, async ({ rollup, provider, deployment: d }) => {
      const [batchNumber, stateRoot, l1OpCount, l1Processed, accountCount, escapeMode, escapeAllowedAfter, sequencer, held, block] = await Promise.all([
        rollup.batchNumber(),
        rollup.stateRoot(),
        rollup.l1OpCount(),
        rollup.l1Processed(),
        rollup.accountCount(),
        rollup.escapeMode(),
        rollup.escapeAllowedAfter(),
        rollup.sequencer(),
        provider.getBalance(d.rollup),
        provider.getBlock("latest"),
      ]);
      const s = {
        chainId: d.chainId,
        rollup: d.rollup,
        instance: d.instance,
        block: block!.number,
        batchNumber: batchNumber.toString(),
        stateRoot: stateRoot.toString(),
        l1OpCount: l1OpCount.toString(),
        l1Processed: l1Processed.toString(),
        accountCount: accountCount.toString(),
        escapeMode,
        escapeAllowedAfter: escapeAllowedAfter === MaxUint256 ? null : Number(escapeAllowedAfter),
        sequencer,
        ethHeld: held.toString(),
        setup: d.setupProvenance ?? null,
      };
      if (o.json) return console.log(JSON.stringify(s, null, 2));
      console.log(`rollup        ${s.rollup} on chain ${s.chainId} (instance ${s.instance}), block ${s.block}`);
      console.log(`batches       ${s.batchNumber}, root ${s.stateRoot}`);
      console.log(`accounts      ${s.accountCount} created`);
      console.log(`L1 operations ${s.l1Processed} of ${s.l1OpCount} processed`);
      console.log(`sequencer     ${s.sequencer}`);
      console.log(`setup         ${describeDeploymentSetup(d)}`);
      console.log(`ETH held      ${formatAmount(held, 18)}`);
      const waiting = s.escapeAllowedAfter === null ? "no L1 operation waiting" : `escape possible after ${new Date(s.escapeAllowedAfter * 1000).toISOString()}`;
      console.log(`escape mode   ${escapeMode ? "ACTIVE" : `off (${waiting})`}`);
    });
  });
}
