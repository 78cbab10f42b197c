import { Command } from "commander";
import { getAddress, Wallet } from "ethers";
import { accountToJSON } from "../../model/account.js";
import { loadCrypto } from "../../model/crypto.js";
import { rebuildFromL1 } from "../../chain/rebuild.js";
import { sequencerFor } from "../client.js";
import { Config, withSettings } from "../config.js";
import { lazyTokens, openRollup } from "../connect.js";
import { intArg } from "../units.js";

/** An account as printed: the sequencer's view or the rebuilt one, with where it came from. */
type AccountOut = { index: string; owner: string; tokenId: string; balance: string; nonce: string; source: "sequencer" | "l1"; [field: string]: string };

interface Opts {
  account?: bigint;
  l1?: boolean;
  address?: string;
  json?: boolean;
}

export function balanceCommand(): Command {
  const cmd = new Command("balance")
    .description("an L2 account's balance (from the sequencer, or --l1 from the state rebuilt from L1), and what an address can withdraw on L1")
    .option("--account <index>", "L2 account", intArg("account index", 1n))
    .option("--l1", "read the account from the state rebuilt from L1 (the last proven state) instead of the sequencer")
    .option("--address <address>", "L1 address whose claimable amounts to show (default: the L1 key's, without --account)")
    .option("--json", "print as JSON");
  withSettings(cmd, "sequencer", "deployment", "rpc", "key", "maxLogRange");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["sequencer", "deployment", "rpc", "key", "maxLogRange"]);
    let address: string | undefined;
    if (o.address !== undefined) {
      try {
        address = getAddress(o.address);
      } catch {
        throw new Error(`--address is not an address: "${o.address}"`);
      }
    } else if (o.account === undefined) {
      const key = cfg.get("key");
      if (!key) throw new Error("give --account, or --address (or an L1 key: --key / ZKR_KEY) for the claimable amounts");
      address = new Wallet(key).address;
    }
    const { tokens, close } = lazyTokens(cfg);
    const out: { account?: AccountOut; claimable?: { address: string; tokens: { token: string; amount: string }[] } } = {};
    const lines: string[] = [];
    try {
      if (o.account !== undefined) {
        let a: AccountOut;
        if (o.l1) {
          const l1 = await openRollup(cfg);
          try {
            console.error("rebuilding the state from L1");
            const { state } = await rebuildFromL1(await loadCrypto(), l1.params, l1.rollup, l1.deployment.deployBlock, undefined, l1.logs);
            const acc = state.account(o.account);
            if (!acc) throw new Error(`no account #${o.account} in the last proven state on L1`);
            const j = accountToJSON(acc);
            a = { ...j, index: o.account.toString(), owner: j.owner!, tokenId: j.tokenId!, balance: j.balance!, nonce: j.nonce!, source: "l1" };
          } finally {
            l1.close();
          }
        } else {
          a = { ...(await (await sequencerFor(cfg)).account(o.account)), source: "sequencer" };
        }
        out.account = a;
        lines.push(
          `account #${a.index}: ${await tokens.format(BigInt(a.tokenId), BigInt(a.balance))} (token ${a.tokenId}), nonce ${a.nonce}, owner ${getAddress(a.owner)}${o.l1 ? " [last proven state on L1]" : ""}`,
        );
      }
      if (address) {
        const l1 = await openRollup(cfg);
        try {
          const count = await l1.rollup.tokenCount();
          const found: { token: string; amount: string }[] = [];
          for (let t = 0n; t < count; t++) {
            const amount = await l1.rollup.claimable(address, t);
            if (amount > 0n) {
              found.push({ token: t.toString(), amount: amount.toString() });
              lines.push(`claimable on L1 by ${address}: ${await tokens.format(t, amount)} (zkr withdraw --claim --token ${t})`);
            }
          }
          if (found.length === 0) lines.push(`claimable on L1 by ${address}: nothing`);
          out.claimable = { address, tokens: found };
        } finally {
          l1.close();
        }
      }
    } finally {
      await close();
    }
    console.log(o.json ? JSON.stringify(out, null, 2) : lines.join("\n"));
  });
}
