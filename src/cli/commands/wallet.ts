import { Command } from "commander";
import { Config, createWallet, withSettings } from "../config.js";
import { SequencerClient } from "../../ops/index.js";
import { lazyTokens } from "../connect.js";

export function walletCommand(): Command {
  const wallet = new Command("wallet").description("the L2 key (BabyJubJub, Schnorr-128 signatures) that signs transfers and exits");

  const create = new Command("new")
    .description("create a wallet file with a new random L2 key (mode 0600) and print its public key")
    .option("--out <file>", "file to write [env ZKR_WALLET, default .zkr/wallet.json]")
    .option("--force", "replace an existing wallet file (its key is lost)")
    .option("--json", "print the public key as JSON")
    .action(async (o: { out?: string; force?: boolean; json?: boolean }) => {
      const cfg = Config.resolve({ wallet: o.out }, ["wallet"]);
      const file = cfg.need("wallet");
      const key = await createWallet(file, o.force ?? false);
      if (o.json) return console.log(JSON.stringify({ file, ax: key.ax.toString(), ay: key.ay.toString() }, null, 2));
      console.log(`wallet  ${file}`);
      console.log(`ax      ${key.ax}`);
      console.log(`ay      ${key.ay}`);
    });

  const show = new Command("show")
    .description("print the wallet's public key (and, with --accounts, its accounts on the sequencer)")
    .option("--accounts", "list the accounts of this key from the sequencer")
    .option("--json", "print as JSON");
  withSettings(show, "wallet", "sequencer", "deployment", "rpc");
  show.action(async (o: { accounts?: boolean; json?: boolean } & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["wallet", "sequencer", "deployment", "rpc"]);
    const key = await cfg.wallet();
    const accounts = o.accounts ? await new SequencerClient(cfg.need("sequencer")).accountsOf(key.ax, key.ay) : undefined;
    if (o.json) return console.log(JSON.stringify({ file: cfg.need("wallet"), ax: key.ax.toString(), ay: key.ay.toString(), accounts }, null, 2));
    console.log(`wallet  ${cfg.need("wallet")}`);
    console.log(`ax      ${key.ax}`);
    console.log(`ay      ${key.ay}`);
    if (accounts) {
      if (accounts.length === 0) console.log("no accounts on the sequencer (zkr deposit creates one)");
      const { tokens, close } = lazyTokens(cfg);
      try {
        for (const a of accounts) console.log(`account #${a.index}: ${await tokens.format(BigInt(a.tokenId), BigInt(a.balance))}, nonce ${a.nonce}`);
      } finally {
        await close();
      }
    }
  });

  return wallet.addCommand(create).addCommand(show);
}
