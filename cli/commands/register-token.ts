import { Command } from "commander";
import { getAddress } from "ethers";
import { Config, withSettings } from "../config.js";
import { send, Tokens, withRollup } from "../l1.js";

export function registerTokenCommand(): Command {
  const cmd = new Command("register-token")
    .description("register an ERC-20 contract on the rollup under the next token id (the deployer only)")
    .argument("<address>", "ERC-20 contract address")
    .option("--json", "print as JSON");
  withSettings(cmd, "key", "deployment", "rpc");
  return cmd.action(async (address: string, o: { json?: boolean } & Record<string, unknown>) => {
    let token: string;
    try {
      token = getAddress(address);
    } catch {
      throw new Error(`not an address: "${address}"`);
    }
    await withRollup(Config.resolve(o, ["key", "deployment", "rpc"]), { signer: true }, async (l1) => {
      const r = await send("registerToken", l1.rollup.interface, () => l1.rollup.registerToken(token));
      const ev = r.logs.map((lg) => l1.rollup.interface.parseLog(lg)).find((p) => p?.name === "TokenRegistered");
      if (!ev) throw new Error(`transaction ${r.hash} registered no token`);
      const id = BigInt(ev.args.tokenId);
      const info = await new Tokens(async () => l1).info(id);
      if (o.json) return console.log(JSON.stringify({ token: id.toString(), address: token, symbol: info.symbol, decimals: info.decimals, tx: r.hash }, null, 2));
      console.log(`token ${id}: ${info.symbol} (${info.decimals} decimals) at ${token}`);
    });
  });
}
