import { Command } from "commander";
import { FINAL_WAIT_S, forceTransfer, senderAccount, Tokens, transfer, waitFinal, waitL1Processed } from "../../ops/index.js";
import { parseAmount } from "../../util/amounts.js";
import { sequencerFor, walletSigner } from "../client.js";
import { Config, withSettings } from "../config.js";
import { lazyTokens, withRollup } from "../connect.js";
import { intArg, numArg, parseL2Amounts } from "../units.js";

interface Opts {
  from: bigint;
  to: bigint;
  amount: string;
  fee?: string;
  force?: boolean;
  wait?: boolean;
  timeout?: number;
  json?: boolean;
}

export function transferCommand(): Command {
  const cmd = new Command("transfer")
    .description("sign an L2 transfer with the wallet key and send it to the sequencer, or with --force queue it on L1 from the account's L1 owner")
    .requiredOption(
      "--from <index>",
      "sending account (the wallet's key must own it; with --force, the L1 key's address must be its L1 owner)",
      intArg("account index", 1n),
    )
    .requiredOption("--to <index>", "receiving account (same token)", intArg("account index", 1n))
    .requiredOption("--amount <amount>", "amount in whole tokens, e.g. 1.5")
    .option("--fee <amount>", "fee for the sequencer, in whole tokens (not with --force: an L1 operation pays the L1-operation fee in ETH)")
    .option(
      "--force",
      "a forced transfer: an L1 operation that the next batches must process in queue order, whoever proves them (no sequencer needed); it moves the amount if the balance covers it then, and changes nothing otherwise",
    )
    .option(
      "--wait",
      "wait until the transfer is final on L1 (its batch in a final L1 block, see `zkr sequencer --confirmations`), or rejected; with --force, until a proven batch has processed it",
    )
    .option(
      "--timeout <seconds>",
      `with --wait: give up after this long (default ${FINAL_WAIT_S}; L1 finality takes about 13 minutes on Ethereum)`,
      numArg("timeout", 1),
    )
    .option("--json", "print the transaction record (with --force: the queued operation) as JSON");
  withSettings(cmd, "sequencer", "wallet", "key", "deployment", "rpc", "maxLogRange");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const timeoutMs = (o.timeout ?? FINAL_WAIT_S) * 1000;
    const log = (m: string) => console.error(m);
    if (o.force) {
      if (o.fee !== undefined) throw new Error("--fee is for L2 transfers: a forced transfer pays the L1-operation fee in ETH");
      const cfg = Config.resolve(o, ["key", "deployment", "rpc", "maxLogRange"]);
      return withRollup(cfg, { signer: true }, async (l1) => {
        const tokens = new Tokens(async () => l1);
        const sender = await l1.rollup.accounts(o.from);
        const amount = parseAmount(o.amount, (await tokens.info(sender.tokenId)).decimals, "amount");
        const r = await forceTransfer(l1, { from: o.from, to: o.to, amount }, { log });
        const batch = o.wait ? await waitL1Processed(l1, r.queueIndex, timeoutMs, log) : undefined;
        if (batch !== undefined) {
          log(
            `processed by batch ${batch}: it moved ${await tokens.format(r.tokenId, amount)} if account #${o.from}'s balance covered it then (see zkr balance)`,
          );
        }
        if (o.json) {
          const out = {
            queueIndex: r.queueIndex.toString(),
            from: o.from.toString(),
            to: o.to.toString(),
            amount: amount.toString(),
            token: r.tokenId.toString(),
          };
          return console.log(JSON.stringify({ ...out, fee: r.fee.toString(), tx: r.receipt.hash, batch: batch?.toString() ?? null }, null, 2));
        }
        console.log(`L1 operation #${r.queueIndex}${batch !== undefined ? ` processed by batch ${batch}` : " queued"}`);
      });
    }
    const cfg = Config.resolve(o, ["sequencer", "wallet", "deployment", "rpc"]);
    const signer = await walletSigner(cfg, await sequencerFor(cfg));
    const { tokens, close } = lazyTokens(cfg);
    try {
      const sender = await senderAccount(signer, o.from);
      const tokenId = BigInt(sender.tokenId);
      const { amount, fee } = parseL2Amounts(o.amount, o.fee ?? "0", (await tokens.info(tokenId)).decimals);
      const sent = await transfer(signer, { from: o.from, to: o.to, amount, fee }, sender);
      log(`transfer of ${await tokens.format(tokenId, amount)} from #${o.from} to #${o.to} accepted: ${sent.tx.id}`);
      const tx = o.wait ? await waitFinal(signer.client, sent.tx.id, timeoutMs, log) : sent.tx;
      if (o.json) return console.log(JSON.stringify(tx, null, 2));
      console.log(`${tx.id} ${tx.status}${tx.batch !== null ? ` (batch ${tx.batch})` : ""}`);
    } finally {
      await close();
    }
  });
}
