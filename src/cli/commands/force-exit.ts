import { Command } from "commander";
import { forceExit, signerOf, Tokens, waitL1Processed } from "../../ops/index.js";
import { Config, withSettings } from "../config.js";
import { withRollup } from "../connect.js";
import { intArg, numArg } from "../units.js";

export function forceExitCommand(): Command {
  const cmd = new Command("force-exit")
    .description("queue a forced exit on L1: the next batches must pay the account's whole balance to its L1 owner (no sequencer needed)")
    .requiredOption("--account <index>", "account to exit (its L1 owner must be the L1 key's address)", intArg("account index", 1n))
    .option("--wait", "wait until a proven batch has applied it, and print what became claimable")
    .option("--timeout <seconds>", "with --wait: give up after this long", numArg("timeout", 1), 600)
    .option("--json", "print the result as JSON");
  withSettings(cmd, "key", "deployment", "rpc", "maxLogRange");
  return cmd.action(async (o: { account: bigint; wait?: boolean; timeout: number; json?: boolean } & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["key", "deployment", "rpc", "maxLogRange"]);
    await withRollup(cfg, { signer: true }, async (l1) => {
      const log = (m: string) => console.error(m);
      const r = await forceExit(l1, o.account, { log });
      let batch: bigint | undefined;
      let claimable: bigint | undefined;
      if (o.wait) {
        batch = await waitL1Processed(l1, r.queueIndex, o.timeout * 1000, log);
        claimable = await l1.rollup.claimable(signerOf(l1).address, r.tokenId);
        log(
          `applied by batch ${batch}; claimable now ${await new Tokens(async () => l1).format(r.tokenId, claimable)}: run zkr withdraw --claim --token ${r.tokenId}`,
        );
      }
      if (o.json) {
        return console.log(
          JSON.stringify(
            {
              queueIndex: r.queueIndex.toString(),
              fee: r.fee.toString(),
              tx: r.receipt.hash,
              batch: batch?.toString() ?? null,
              token: r.tokenId.toString(),
              claimable: claimable?.toString() ?? null,
            },
            null,
            2,
          ),
        );
      }
      console.log(`L1 operation #${r.queueIndex}${batch !== undefined ? ` applied by batch ${batch}` : " queued"}`);
    });
  });
}
