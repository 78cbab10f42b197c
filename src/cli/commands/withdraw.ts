import { Command } from "commander";
import { claim, FINAL_WAIT_S, gasCost, senderAccount, signerOf, Tokens, withdraw } from "../../ops/index.js";
import { sequencerFor, walletSigner } from "../client.js";
import { Config, withSettings } from "../config.js";
import { withRollup } from "../connect.js";
import { intArg, numArg, parseL2Amounts } from "../units.js";

interface Opts {
  from?: bigint;
  amount?: string;
  fee: string;
  claim?: boolean;
  token?: bigint;
  timeout: number;
  json?: boolean;
}

export function withdrawCommand(): Command {
  const cmd = new Command("withdraw")
    .description("exit funds from L2 (signed exit through the sequencer, final on L1) and pull them on L1; --claim only pulls")
    .option("--from <index>", "account to exit from (its L1 owner must be the L1 key's address)", intArg("account index", 1n))
    .option("--amount <amount>", "amount to exit, in whole tokens")
    .option("--fee <amount>", "fee for the sequencer, in whole tokens", "0")
    .option("--claim", "only pull what is already claimable on L1 (exits, forced exits, refunds)")
    .option("--token <id>", "with --claim: token id (0 = ETH)", intArg("token id", 0n, (1n << 32n) - 1n))
    .option(
      "--timeout <seconds>",
      "give up waiting for the exit to be final after this long (L1 finality takes about 13 minutes on Ethereum)",
      numArg("timeout", 1),
      FINAL_WAIT_S,
    )
    .option("--json", "print the result as JSON");
  withSettings(cmd, "key", "sequencer", "wallet", "deployment", "rpc");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    if (o.claim && (o.from !== undefined || o.amount !== undefined)) throw new Error("--claim takes no --from or --amount: it pulls what is already claimable");
    if (!o.claim && (o.from === undefined || o.amount === undefined)) throw new Error("give --from and --amount (or --claim)");
    if (!o.claim && o.token !== undefined) throw new Error("--token goes with --claim (an exit is in its account's token)");
    const cfg = Config.resolve(o, ["key", "sequencer", "wallet", "deployment", "rpc"]);
    const log = (m: string) => console.error(m);
    await withRollup(cfg, { signer: true }, async (l1) => {
      const tokens = new Tokens(async () => l1);
      let exit: { id: string; batch: number | null } | null = null;
      let tokenId = o.token ?? 0n;
      let pulled: Awaited<ReturnType<typeof claim>>;
      if (o.claim) {
        pulled = await claim(l1, tokenId);
      } else {
        const signer = await walletSigner(cfg, await sequencerFor(cfg));
        const sender = await senderAccount(signer, o.from!);
        tokenId = BigInt(sender.tokenId);
        const { amount, fee } = parseL2Amounts(o.amount!, o.fee, (await tokens.info(tokenId)).decimals);
        const r = await withdraw(l1, signer, { from: o.from!, amount, fee, timeoutMs: o.timeout * 1000 }, { log, tokens, sender });
        exit = { id: r.exit.id, batch: r.exit.batch };
        pulled = { amount: r.withdrawn, receipt: r.receipt };
      }
      const { amount, receipt } = pulled;
      const to = signerOf(l1).address;
      if (o.json) {
        return console.log(
          JSON.stringify(
            { exit, token: tokenId.toString(), withdrawn: amount.toString(), to, tx: receipt.hash, gasCost: gasCost(receipt).toString() },
            null,
            2,
          ),
        );
      }
      console.log(`withdrew ${await tokens.format(tokenId, amount)} to ${to} (tx ${receipt.hash})`);
    });
  });
}
