import { Command } from "commander";
import { MaxUint256 } from "ethers";
import { type BatchInFlightView, describeDeploymentSetup, type RetryView, SequencerClient } from "../../ops/index.js";
import { formatAmount } from "../../util/amounts.js";
import { Config, withSettings } from "../config.js";
import { withRollup } from "../connect.js";

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
      if (s.fatal) console.log(`STOPPED       ${s.fatalCode ? `${s.fatalCode}: ` : ""}${s.fatal}`);
      console.log(`state         ${s.accounts} accounts, root ${s.stateRoot}`);
      if (s.crypto) console.log(`crypto        ${s.crypto === "native" ? "native (zkr's addon)" : "circomlibjs"}: Poseidon and signature checks`);
      if (s.l1) console.log(`L1            head ${s.l1.head}, final up to ${s.l1.finalized} (${s.finality}), rollup at batch ${s.l1.batchNumber}`);
      console.log(`batches       ${s.batches.total} built, ${s.batches.included} included, ${s.batches.final} final on L1`);
      for (const b of s.batches.inFlight) console.log(`  batch ${b.number}  ${batchLine(b)}`);
      const lp = s.lastProof;
      if (lp) {
        const by = [lp.prover && `${lp.prover} prover`, lp.witness && `${lp.witness} witness`].filter(Boolean).join(", ");
        console.log(
          `last proof    batch ${lp.batch} by ${lp.worker}${by ? ` (${by})` : ""}: witness ${(lp.witnessMs / 1000).toFixed(1)} s, proof ${(lp.proveMs / 1000).toFixed(1)} s`,
        );
      }
      console.log(
        `transactions  ${t.pending} pending, ${t.batched} batched, ${t.proven} proven, ${t.included} included, ${t.final} final, ${t.rejected} rejected`,
      );
      const m = s.mempool;
      if (m) {
        const fees =
          Object.entries(m.minFee)
            .map(([token, fee]) => `token ${token}: ${fee}`)
            .join(", ") || "none";
        console.log(
          `mempool       ${m.pending} of ${m.maxPending} pending from ${m.senders} senders (${m.maxPendingPerSender} per sender), minimum fees ${fees}`,
        );
      }
      console.log(`L1 operations ${s.l1OpsConsumed} of ${s.l1OpsKnown} seen consumed`);
      const r = s.reconciliations;
      if (r.last)
        console.log(
          `reconciled    ${r.count} time(s) with L1, last ${r.last.at}: ${r.last.reason}${r.last.finalLost.length ? ` (batches ${r.last.finalLost.join(", ")} had been final)` : ""}`,
        );
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
      const [verifyingKeyHash, l1OpFee, minDeposit, l1Grace, escapeDelay, inactivityDelay, lastBatchAt] = await Promise.all([
        rollup.verifyingKeyHash(),
        rollup.l1OpFee(),
        rollup.minDeposit(),
        rollup.l1Grace(),
        rollup.escapeDelay(),
        rollup.inactivityDelay(),
        rollup.lastBatchAt(),
      ]);
      const oldest = l1OpCount > l1Processed ? await rollup.l1Ops(l1Processed) : undefined;
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
        verifyingKeyHash,
        /** The deployment file's hash, the hash of the verification key the CLI checks proofs with. */
        verifyingKeyMatches: verifyingKeyHash === d.verifyingKeyHash,
        l1OpFee: l1OpFee.toString(),
        minDeposit: minDeposit.toString(),
        l1Grace: Number(l1Grace),
        escapeDelay: Number(escapeDelay),
        inactivityDelay: Number(inactivityDelay),
        lastBatchAt: lastBatchAt === 0n ? null : Number(lastBatchAt),
        oldestPendingQueuedAt: oldest ? Number(oldest.queuedAt) : null,
      };
      if (o.json) return console.log(JSON.stringify(s, null, 2));
      const at = (t: number | null) => (t === null ? "never" : new Date(t * 1000).toISOString());
      console.log(`rollup        ${s.rollup} on chain ${s.chainId} (instance ${s.instance}), block ${s.block}`);
      console.log(
        `verifier key  ${verifyingKeyHash} (${s.verifyingKeyMatches ? "the deployment file's" : "DIFFERS from the deployment file's " + d.verifyingKeyHash})`,
      );
      console.log(`batches       ${s.batchNumber}, root ${s.stateRoot}, last at ${at(s.lastBatchAt)}`);
      console.log(`accounts      ${s.accountCount} created`);
      console.log(`L1 operations ${s.l1Processed} of ${s.l1OpCount} processed${oldest ? `, oldest waiting since ${at(s.oldestPendingQueuedAt)}` : ""}`);
      console.log(
        `L1 policy     fee ${formatAmount(l1OpFee, 18)} ETH per operation, minimum ETH deposit ${formatAmount(minDeposit, 18)}, grace ${s.l1Grace} s`,
      );
      console.log(`sequencer     ${s.sequencer}`);
      console.log(`setup         ${describeDeploymentSetup(d)}`);
      console.log(`ETH held      ${formatAmount(held, 18)}`);
      const rule = `escape needs an operation waiting ${s.escapeDelay} s and no batch for ${s.inactivityDelay} s`;
      const waiting = s.escapeAllowedAfter === null ? "no L1 operation waiting" : `possible after ${at(s.escapeAllowedAfter)}`;
      console.log(`escape mode   ${escapeMode ? "ACTIVE" : `off (${waiting}; ${rule})`}`);
    });
  });
}
