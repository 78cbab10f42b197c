import { Command } from "commander";
import { getAddress } from "ethers";
import { accountToJSON } from "../../model/account.js";
import { loadCrypto } from "../../model/crypto.js";
import { rebuildFromL1 } from "../../chain/rebuild.js";
import { Config, withSettings } from "../config.js";
import { withRollup } from "../connect.js";
import { Tokens } from "../../ops/index.js";

export function rebuildCommand(): Command {
  const cmd = new Command("rebuild")
    .description("rebuild the whole L2 state from L1 events and calldata alone, and check it against the root on L1 (exit code 1 if it differs)")
    .option("--json", "print the accounts and roots as JSON");
  withSettings(cmd, "deployment", "rpc", "maxLogRange");
  return cmd.action(async (o: { json?: boolean } & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["deployment", "rpc", "maxLogRange"]);
    await withRollup(cfg, {}, async (l1) => {
      const t0 = Date.now();
      // rebuildFromL1 throws (one line, exit code 1) if a batch or the final root does not match.
      const r = await rebuildFromL1(await loadCrypto(), l1.params, l1.rollup, l1.deployment.deployBlock, (m) => console.error(m), l1.logs);
      const ms = Date.now() - t0;
      const consumed = r.batches.reduce((n, b) => n + b.data.l1Count, 0);
      const accounts = r.state.entries();
      if (o.json) {
        return console.log(
          JSON.stringify(
            {
              batches: r.batches.length,
              l1Ops: { queued: r.ops.length, consumed },
              root: r.state.root.toString(),
              onChainRoot: r.onChainRoot.toString(),
              matches: r.state.root === r.onChainRoot,
              accounts: accounts.map(([i, a]) => ({ index: i.toString(), ...accountToJSON(a) })),
              ms,
            },
            null,
            2,
          ),
        );
      }
      const tokens = new Tokens(async () => l1);
      console.log(`rebuilt from ${r.batches.length} batches and ${consumed} of ${r.ops.length} L1 operations in ${(ms / 1000).toFixed(1)} s`);
      for (const [i, a] of accounts) {
        console.log(
          `  #${String(i).padEnd(4)} ${(await tokens.format(a.tokenId, a.balance)).padEnd(28)} nonce ${String(a.nonce).padEnd(4)} owner ${getAddress("0x" + a.owner.toString(16).padStart(40, "0"))}`,
        );
      }
      console.log(`root ${r.state.root}: ${r.state.root === r.onChainRoot ? "matches the root on L1" : "DIFFERS from the root on L1"}`);
      if (r.state.root !== r.onChainRoot) process.exitCode = 1;
    });
  });
}
