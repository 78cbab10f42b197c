import { Command } from "commander";
import { activateEscape, claim, escapeWithdraw, refundL1Op, signerOf, Tokens } from "../../ops/index.js";
import { Config, type Setting, withSettings } from "../config.js";
import { type L1, withRollup } from "../connect.js";
import { intArg } from "../units.js";

const SETTINGS: Setting[] = ["key", "deployment", "rpc", "maxLogRange"];
const log = (m: string) => console.error(m);

/** Pulls what the escape credited, unless told not to. */
async function pull(l1: L1, tokenId: bigint, noClaim: boolean): Promise<void> {
  if (noClaim) return log(`credited on L1; pull it with zkr withdraw --claim --token ${tokenId}`);
  const { amount, receipt } = await claim(l1, tokenId);
  console.log(`withdrew ${await new Tokens(async () => l1).format(tokenId, amount)} to ${signerOf(l1).address} (tx ${receipt.hash})`);
}

export function escapeCommand(): Command {
  const escape = new Command("escape").description(
    "the escape hatch: when the sequencer stops while an L1 operation waits past the deadline, owners withdraw on their own",
  );

  const activate = withSettings(new Command("activate"), ...SETTINGS)
    .description(
      "switch the rollup into escape mode (allowed once the oldest waiting L1 operation is older than the escape delay and no batch was accepted for the inactivity delay)",
    )
    .action(async (o: Record<string, unknown>) => {
      await withRollup(Config.resolve(o, SETTINGS), { signer: true }, async (l1) => {
        const r = await activateEscape(l1);
        console.log(`escape mode active from batch ${r.batchNumber} (tx ${r.receipt.hash})`);
      });
    });

  const withdraw = withSettings(new Command("withdraw"), ...SETTINGS)
    .description("in escape mode: prove the account's balance in the last proven root (state rebuilt from L1) and withdraw it")
    .requiredOption("--account <index>", "account to withdraw (its L1 owner must be the L1 key's address)", intArg("account index", 1n))
    .option("--no-claim", "only credit it on L1, do not pull it")
    .action(async (o: { account: bigint; claim: boolean } & Record<string, unknown>) => {
      await withRollup(Config.resolve(o, SETTINGS), { signer: true }, async (l1) => {
        const { account: a, owner, receipt } = await escapeWithdraw(l1, o.account, { log });
        log(`account #${o.account}: balance ${await new Tokens(async () => l1).format(a.tokenId, a.balance)} credited to ${owner} (tx ${receipt.hash})`);
        if (a.balance > 0n) await pull(l1, a.tokenId, !o.claim);
      });
    });

  const refund = withSettings(new Command("refund"), ...SETTINGS)
    .description(
      "in escape mode: credit an unprocessed L1 operation back to whoever queued it (a deposit and its fee, a forced exit's fee; anyone may), and pull it if that is you",
    )
    .requiredOption("--queue-index <n>", "queue index of the operation (printed by zkr deposit and zkr force-exit as its L1 operation)", intArg("queue index"))
    .option("--no-claim", "only credit it on L1, do not pull it")
    .action(async (o: { queueIndex: bigint; claim: boolean } & Record<string, unknown>) => {
      await withRollup(Config.resolve(o, SETTINGS), { signer: true }, async (l1) => {
        const { owner, tokenId, amount, fee, receipt } = await refundL1Op(l1, o.queueIndex);
        const tokens = new Tokens(async () => l1);
        const what = [amount > 0n && (await tokens.format(tokenId, amount)), fee > 0n && `the fee ${await tokens.format(0n, fee)}`]
          .filter(Boolean)
          .join(" and ");
        log(`L1 operation #${o.queueIndex}: ${what} credited back to ${owner} (tx ${receipt.hash})`);
        if (owner === signerOf(l1).address) {
          if (amount > 0n) await pull(l1, tokenId, !o.claim);
          // The fee is ETH: pulled with an ETH deposit, separately otherwise.
          if (fee > 0n && (tokenId !== 0n || amount === 0n)) await pull(l1, 0n, !o.claim);
        }
      });
    });

  return escape.addCommand(activate).addCommand(withdraw).addCommand(refund);
}
