import { Command } from "commander";
import { getAddress } from "ethers";
import { erc20Decimals, registerToken, Tokens } from "../../ops/index.js";
import { formatAmount, parseAmount } from "../../util/amounts.js";
import { Config, withSettings } from "../config.js";
import { withRollup } from "../connect.js";

export function registerTokenCommand(): Command {
  const cmd = new Command("register-token")
    .description("register an ERC-20 contract on the rollup under the next token id (the deployer only)")
    .argument("<address>", "ERC-20 contract address")
    .requiredOption(
      "--min-deposit <amount>",
      "smallest deposit of the token, in whole tokens (e.g. 0.01): deposits below it are refused, so dust accounts cannot fill the tree",
    )
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
      const decimals = await erc20Decimals(l1.provider, token);
      const minDeposit = parseAmount(o.minDeposit, decimals, "--min-deposit");
      if (minDeposit === 0n || minDeposit >= 1n << 128n) throw new Error(`--min-deposit must be more than 0 and below 2^128 base units, got ${o.minDeposit}`);
      const r = await registerToken(l1, token, minDeposit);
      const info = await new Tokens(async () => l1).info(r.tokenId);
      if (o.json) {
        return console.log(
          JSON.stringify(
            {
              token: r.tokenId.toString(),
              address: token,
              symbol: info.symbol,
              decimals: info.decimals,
              minDeposit: minDeposit.toString(),
              tx: r.receipt.hash,
            },
            null,
            2,
          ),
        );
      }
      console.log(`token ${r.tokenId}: ${info.symbol} (${info.decimals} decimals) at ${token}, minimum deposit ${formatAmount(minDeposit, decimals)}`);
    });
  });
}
