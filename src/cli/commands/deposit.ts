import { Command, Option } from "commander";
import { deposit, Tokens, waitL1Processed } from "../../ops/index.js";
import { parseAmount } from "../../util/amounts.js";
import { Config, withSettings } from "../config.js";
import { withRollup } from "../connect.js";
import { intArg, numArg } from "../units.js";

interface Opts {
  amount: string;
  token: bigint;
  to?: bigint;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

export function depositCommand(): Command {
  const cmd = new Command("deposit")
    .description("deposit ETH or a registered ERC-20 from L1 into a new L2 account of the wallet's key (or into --to)")
    .requiredOption("--amount <amount>", "amount in whole tokens, e.g. 1.5")
    .addOption(new Option("--token <id>", "token id (0 = ETH)").argParser(intArg("token id", 0n, (1n << 32n) - 1n)).default(0n, "0"))
    .option("--to <index>", "deposit into this existing account instead of creating one", intArg("account index", 1n, (1n << 32n) - 1n))
    .option("--wait", "wait until a proven batch has applied the deposit")
    .option("--timeout <seconds>", "with --wait: give up after this long", numArg("timeout", 1), 600)
    .option("--json", "print the result as JSON");
  withSettings(cmd, "key", "wallet", "deployment", "rpc", "maxLogRange");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["key", "wallet", "deployment", "rpc", "maxLogRange"]);
    const owner = o.to === undefined ? await cfg.wallet() : undefined;
    await withRollup(cfg, { signer: true }, async (l1) => {
      const log = (m: string) => console.error(m);
      const tokens = new Tokens(async () => l1);
      const amount = parseAmount(o.amount, (await tokens.info(o.token)).decimals);
      const r = await deposit(l1, { token: o.token, amount, to: o.to, owner }, { log, tokens });
      const batch = o.wait ? await waitL1Processed(l1, r.queueIndex, o.timeout * 1000, log) : undefined;
      if (batch !== undefined) log(`applied by batch ${batch}`);
      if (o.json) {
        console.log(
          JSON.stringify(
            {
              account: r.account.toString(),
              queueIndex: r.queueIndex.toString(),
              token: o.token.toString(),
              amount: r.amount.toString(),
              fee: r.fee.toString(),
              tx: r.receipt.hash,
              batch: batch?.toString() ?? null,
            },
            null,
            2,
          ),
        );
      } else {
        console.log(`account #${r.account}`);
      }
    });
  });
}
