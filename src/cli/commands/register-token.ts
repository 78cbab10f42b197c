import { Command } from "commander";
import { getAddress } from "ethers";
import { Config, withSettings } from "../config.js";
import { erc20At, type L1, send, Tokens, withRollup } from "../connect.js";
import { formatAmount, parseAmount } from "../units.js";

/** The decimals of an ERC-20 not registered yet (so --min-deposit is read in its units). */
async function tokenDecimals(token: string, l1: L1): Promise<number> {
  if ((await l1.provider.getCode(token)) === "0x") throw new Error(`no contract at ${token}`);
  try {
    return Number(await erc20At(token, l1.provider).getFunction("decimals")());
  } catch {
    throw new Error(`${token} has no decimals(): not an ERC-20 zkr can convert amounts of`);
  }
}

export function registerTokenCommand(): Command {
  const cmd = new Command("register-token")
    .description("register an ERC-20 contract on the rollup under the next token id (the deployer only)")
    .argument("<address>", "ERC-20 contract address")
    .requiredOption("--min-deposit <amount>", "smallest deposit of the token, in whole tokens (e.g. 0.01): deposits below it are refused, so dust accounts cannot fill the tree")
    .option("--json", "print as JSON");
  withSettings(cmd, "key", "deployment", "rpc");
  return cmd.action(async (address: string, o: { minDeposit: string; json?: boolean } & Record<string, unknown>) => {
    let token: string;
    try {
      token = getAddress(address);
    } catch {
      throw new Error(`not an address: "${address}"`);
    }
    await withRollup(Config.resolve(o, ["key", "deployment", "rpc"]), { signer: true }, async (l1) => {
      const decimals = await tokenDecimals(token, l1);
      const minDeposit = parseAmount(o.minDeposit, decimals, "--min-deposit");
      if (minDeposit === 0n || minDeposit >= 1n << 128n) throw new Error(`--min-deposit must be more than 0 and below 2^128 base units, got ${o.minDeposit}`);
      const r = await send("registerToken", l1.rollup.interface, () => l1.rollup.registerToken(token, minDeposit));
      const ev = r.logs.map((lg) => l1.rollup.interface.parseLog(lg)).find((p) => p?.name === "TokenRegistered");
      if (!ev) throw new Error(`transaction ${r.hash} registered no token`);
      const id = BigInt(ev.args.tokenId);
      const info = await new Tokens(async () => l1).info(id);
      if (o.json) {
        return console.log(JSON.stringify({ token: id.toString(), address: token, symbol: info.symbol, decimals: info.decimals, minDeposit: minDeposit.toString(), tx: r.hash }, null, 2));
      }
      console.log(`token ${id}: ${info.symbol} (${info.decimals} decimals) at ${token}, minimum deposit ${formatAmount(minDeposit, decimals)}`);
    });
  });
}
