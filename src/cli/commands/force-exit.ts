import { Command } from "commander";
import { getAddress } from "ethers";
import { Config, withSettings } from "../config.js";
import { send, signerOf, Tokens, waitL1Processed, withRollup } from "../connect.js";
import { formatAmount, intArg, numArg } from "../units.js";
import { queuedOp } from "./deposit.js";

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
      const { rollup } = l1;
      const signer = signerOf(l1);
      const count = await rollup.accountCount();
      if (o.account > count) throw new Error(`no account #${o.account} on the rollup (accounts 1..${count})`);
      const record = await rollup.accounts(o.account);
      if (getAddress(record.owner) !== signer.address) {
        throw new Error(`account #${o.account}'s L1 owner is ${record.owner}, not ${signer.address}: only the owner may force an exit`);
      }
      const fee = await rollup.l1OpFee(); // every L1 operation pays it, credited to the sequencer that processes it
      const receipt = await send("forceExit", rollup.interface, () => rollup.forceExit(o.account, { value: fee }));
      const { queueIndex } = queuedOp(rollup, receipt);
      console.error(`queued forced exit of account #${o.account} (L1 operation #${queueIndex}, fee ${formatAmount(fee, 18)} ETH, tx ${receipt.hash})`);
      let batch: bigint | undefined;
      let claimable: bigint | undefined;
      if (o.wait) {
        batch = await waitL1Processed(l1, queueIndex, o.timeout * 1000, (m) => console.error(m));
        claimable = await rollup.claimable(signer.address, record.tokenId);
        console.error(`applied by batch ${batch}; claimable now ${await new Tokens(async () => l1).format(record.tokenId, claimable)}: run zkr withdraw --claim --token ${record.tokenId}`);
      }
      if (o.json) {
        return console.log(
          JSON.stringify({ queueIndex: queueIndex.toString(), fee: fee.toString(), tx: receipt.hash, batch: batch?.toString() ?? null, token: record.tokenId.toString(), claimable: claimable?.toString() ?? null }, null, 2),
        );
      }
      console.log(`L1 operation #${queueIndex}${batch !== undefined ? ` applied by batch ${batch}` : " queued"}`);
    });
  });
}
