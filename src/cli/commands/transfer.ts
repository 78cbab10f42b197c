import { Command } from "commander";
import { FINAL_WAIT_S, senderAccount, transfer, waitFinal } from "../../ops/index.js";
import { sequencerFor, walletSigner } from "../client.js";
import { Config, withSettings } from "../config.js";
import { lazyTokens } from "../connect.js";
import { intArg, numArg, parseL2Amounts } from "../units.js";

interface Opts {
  from: bigint;
  to: bigint;
  amount: string;
  fee: string;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

export function transferCommand(): Command {
  const cmd = new Command("transfer")
    .description("sign an L2 transfer with the wallet key and send it to the sequencer")
    .requiredOption("--from <index>", "sending account (the wallet's key must own it)", intArg("account index", 1n))
    .requiredOption("--to <index>", "receiving account (same token)", intArg("account index", 1n))
    .requiredOption("--amount <amount>", "amount in whole tokens, e.g. 1.5")
    .option("--fee <amount>", "fee for the sequencer, in whole tokens", "0")
    .option("--wait", "wait until the transfer is final on L1 (its batch in a final L1 block, see `zkr sequencer --confirmations`), or rejected")
    .option("--timeout <seconds>", "with --wait: give up after this long (L1 finality takes about 13 minutes on Ethereum)", numArg("timeout", 1), FINAL_WAIT_S)
    .option("--json", "print the transaction record as JSON");
  withSettings(cmd, "sequencer", "wallet", "deployment", "rpc");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["sequencer", "wallet", "deployment", "rpc"]);
    const signer = await walletSigner(cfg, await sequencerFor(cfg));
    const { tokens, close } = lazyTokens(cfg);
    try {
      const log = (m: string) => console.error(m);
      const sender = await senderAccount(signer, o.from);
      const tokenId = BigInt(sender.tokenId);
      const { amount, fee } = parseL2Amounts(o.amount, o.fee, (await tokens.info(tokenId)).decimals);
      const sent = await transfer(signer, { from: o.from, to: o.to, amount, fee }, sender);
      log(`transfer of ${await tokens.format(tokenId, amount)} from #${o.from} to #${o.to} accepted: ${sent.tx.id}`);
      const tx = o.wait ? await waitFinal(signer.client, sent.tx.id, o.timeout * 1000, log) : sent.tx;
      if (o.json) return console.log(JSON.stringify(tx, null, 2));
      console.log(`${tx.id} ${tx.status}${tx.batch !== null ? ` (batch ${tx.batch})` : ""}`);
    } finally {
      await close();
    }
  });
}
