import { Command } from "commander";
import { readFileSync } from "node:fs";
import { loadCrypto } from "../../model/crypto.js";
import { signTransfer, type SignedTransfer, transferFromJSON } from "../../model/tx.js";
import { holdCurve } from "../../proving/curve.js";
import { deploymentFallbackSetup, runFallback, Tokens } from "../../ops/index.js";
import { Config, type Setting, withSettings } from "../config.js";
import { withRollup } from "../connect.js";
import { intArg, parseL2Amounts } from "../units.js";

const SETTINGS: Setting[] = ["key", "deployment", "rpc", "maxLogRange", "witness", "prover"];

export function fallbackCommand(): Command {
  const cmd = new Command("fallback")
    .description(
      "keep the rollup going without its sequencer: once the fallback is open (the sequencer silent, or an L1 operation waiting, for the fallback delay), " +
        "rebuild the state from L1, prove batches of the fallback instance here and submit them (the oldest L1 operations, and your transfer) until nothing waits; " +
        "the L1-operation fees are paid to the L1 key",
    )
    .option("--from <index>", "also a transfer of yours: the sending account (the wallet's key must own it)", intArg("account index", 1n))
    .option("--to <index>", "with --from: the receiving account", intArg("account index", 0n))
    .option("--amount <amount>", "with --from: the amount, in whole tokens")
    .option("--txs <file>", "signed transfers to include, a JSON array (as the sequencer's POST /v1/txs takes them)")
    .option("--max-batches <n>", "submit at most this many batches", intArg("batch count", 1n))
    .option("--setup <dir>", "setup directory of the deployment's fallback verifier (default: the cache)")
    .option("--json", "print the batches as JSON");
  withSettings(cmd, ...SETTINGS, "wallet");
  type Opts = { from?: bigint; to?: bigint; amount?: string; txs?: string; maxBatches?: bigint; setup?: string; json?: boolean };
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const cfg = Config.resolve(o, [...SETTINGS, "wallet"]);
    if ((o.from === undefined) !== (o.amount === undefined) || (o.from === undefined) !== (o.to === undefined))
      throw new Error("a transfer needs --from, --to and --amount together");
    const given: SignedTransfer[] = o.txs ? readTxs(o.txs) : [];
    const key = o.from !== undefined ? await cfg.wallet() : undefined;
    const d = cfg.deployment();
    const setup = await deploymentFallbackSetup(d, o.setup);
    const release = holdCurve(); // snarkjs's worker threads, released when done
    try {
      await withRollup(cfg, { signer: true }, async (l1) => {
        const crypto = await loadCrypto();
        // --amount in the decimals of the sender's token (the one L1 recorded at its creation), read before the state is rebuilt.
        const decimals = o.from === undefined ? 0 : (await new Tokens(async () => l1).info((await l1.rollup.accounts(o.from)).tokenId)).decimals;
        const r = await runFallback(l1, {
          setup,
          maxBatches: o.maxBatches === undefined ? undefined : Number(o.maxBatches),
          prover: { witness: cfg.witness, prover: cfg.prover },
          log: (m) => console.error(m),
          txs: (state) => {
            if (o.from === undefined) return given;
            const sender = state.account(o.from);
            if (!sender) throw new Error(`no account #${o.from} in the state rebuilt from L1`);
            if (sender.ax !== key!.ax || sender.ay !== key!.ay) throw new Error(`account #${o.from} is not the wallet key's`);
            const { amount } = parseL2Amounts(o.amount!, "0", decimals);
            const domain = { chainId: l1.chainId, rollupAddress: BigInt(d.rollup) };
            const own = signTransfer(crypto.hash, key!, { from: o.from, to: o.to!, amount, fee: 0n, nonce: sender.nonce }, domain, l1.params);
            return [...given, own];
          },
        });
        if (o.json) {
          console.log(JSON.stringify({ ...r, batches: r.batches.map((b) => ({ ...b, gasUsed: b.gasUsed.toString() })), leftOut: r.leftOut.length }, null, 2));
        } else {
          for (const b of r.batches)
            console.log(
              `batch ${b.number}  ${b.l1Count} L1 op(s), ${b.txs} transfer(s), built, proved and submitted in ${b.seconds.toFixed(1)} s, ${b.gasUsed} gas, tx ${b.txHash}`,
            );
          console.log(
            `${r.batches.length} fallback batch(es) submitted; ${r.waiting} L1 operation(s) still waiting${r.leftOut.length ? `; ${r.leftOut.length} transfer(s) did not apply` : ""}`,
          );
        }
        if (r.leftOut.length) process.exitCode = 1;
      });
    } finally {
      await release();
    }
  });
}

function readTxs(file: string): SignedTransfer[] {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`--txs ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(j)) throw new Error(`--txs ${file}: expected a JSON array of signed transfers`);
  return j.map((t, i) => {
    try {
      return transferFromJSON(t);
    } catch (e) {
      throw new Error(`--txs ${file}, transfer ${i}: ${(e as Error).message}`, { cause: e });
    }
  });
}
