import { Command } from "commander";
import { getAddress, type TransactionReceipt } from "ethers";
import { FINAL_WAIT_S, sequencerFor, submitL2Tx, waitFinal } from "../client.js";
import { Config, withSettings } from "../config.js";
import { gasCost, type L1, send, signerOf, Tokens, withRollup } from "../connect.js";
import { intArg, numArg } from "../units.js";

/** Pulls everything credited to the signer in `tokenId` on L1; throws if there is nothing. */
export async function claim(l1: L1, tokenId: bigint): Promise<{ amount: bigint; receipt: TransactionReceipt }> {
  const signer = signerOf(l1);
  const amount = await l1.rollup.claimable(signer.address, tokenId);
  if (amount === 0n) throw new Error(`nothing to withdraw: ${signer.address} has no claimable balance in token ${tokenId}`);
  const receipt = await send("withdraw", l1.rollup.interface, () => l1.rollup.withdraw(tokenId));
  return { amount, receipt };
}

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
    .option("--timeout <seconds>", "give up waiting for the exit to be final after this long (L1 finality takes about 13 minutes on Ethereum)", numArg("timeout", 1), FINAL_WAIT_S)
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
      const signer = signerOf(l1);
      let exit: { id: string; batch: number | null } | undefined;
      let tokenId = o.token ?? 0n;
      if (!o.claim) {
        const from = o.from!;
        const count = await l1.rollup.accountCount();
        if (from > count) throw new Error(`no account #${from} on the rollup (accounts 1..${count})`);
        const record = await l1.rollup.accounts(from);
        if (getAddress(record.owner) !== signer.address) {
          throw new Error(`exits of account #${from} are paid to its L1 owner ${record.owner}, not to ${signer.address}: use the owner's L1 key`);
        }
        const client = await sequencerFor(cfg);
        const sent = await submitL2Tx(cfg, client, tokens, { from, to: 0n, amount: o.amount!, fee: o.fee });
        tokenId = sent.tokenId;
        log(`exit of ${await tokens.format(tokenId, sent.amount)} from #${from} accepted: ${sent.tx.id}`);
        const tx = await waitFinal(client, sent.tx.id, o.timeout * 1000, log);
        exit = { id: tx.id, batch: tx.batch };
      }
      const { amount, receipt } = await claim(l1, tokenId);
      const text = await tokens.format(tokenId, amount);
      if (o.json) {
        return console.log(
          JSON.stringify({ exit: exit ?? null, token: tokenId.toString(), withdrawn: amount.toString(), to: signer.address, tx: receipt.hash, gasCost: gasCost(receipt).toString() }, null, 2),
        );
      }
      console.log(`withdrew ${text} to ${signer.address} (tx ${receipt.hash})`);
    });
  });
}
