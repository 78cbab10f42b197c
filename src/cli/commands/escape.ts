import { Command } from "commander";
import { getAddress, MaxUint256 } from "ethers";
import { loadCrypto } from "../../model/crypto.js";
import { L1OpKind } from "../../model/l1op.js";
import { rebuildFromL1 } from "../../chain/rebuild.js";
import { Config, type Setting, withSettings } from "../config.js";
import { type L1, send, signerOf, Tokens, withRollup } from "../connect.js";
import { intArg } from "../units.js";
import { claim } from "./withdraw.js";

const SETTINGS: Setting[] = ["key", "deployment", "rpc", "maxLogRange"];
const log = (m: string) => console.error(m);

async function assertEscapeMode(l1: L1): Promise<void> {
  if (!(await l1.rollup.escapeMode())) throw new Error("the rollup is not in escape mode (see zkr escape activate)");
}

/** Pulls what the escape credited, unless told not to. */
async function pull(l1: L1, tokenId: bigint, noClaim: boolean): Promise<void> {
  if (noClaim) return log(`credited on L1; pull it with zkr withdraw --claim --token ${tokenId}`);
  const { amount, receipt } = await claim(l1, tokenId);
  console.log(`withdrew ${await new Tokens(async () => l1).format(tokenId, amount)} to ${signerOf(l1).address} (tx ${receipt.hash})`);
}

export function escapeCommand(): Command {
  const escape = new Command("escape").description("the escape hatch: when the sequencer stops while an L1 operation waits past the deadline, owners withdraw on their own");

  const activate = withSettings(new Command("activate"), ...SETTINGS)
    .description("switch the rollup into escape mode (allowed once the oldest waiting L1 operation is older than the escape delay and no batch was accepted for the inactivity delay)")
    .action(async (o: Record<string, unknown>) => {
      await withRollup(Config.resolve(o, SETTINGS), { signer: true }, async (l1) => {
        const { rollup } = l1;
        if (await rollup.escapeMode()) throw new Error("the rollup is already in escape mode");
        const after = await rollup.escapeAllowedAfter();
        if (after === MaxUint256) throw new Error("no L1 operation is waiting: escape mode opens only when one waits unprocessed longer than the escape delay");
        const now = BigInt((await l1.provider.getBlock("latest"))!.timestamp);
        if (now <= after) {
          throw new Error(
            `too early: escape opens after ${new Date(Number(after) * 1000).toISOString()} (in ${after - now + 1n} s), once L1 operation #${await rollup.l1Processed()} has waited the escape delay and no batch has been accepted for the inactivity delay`,
          );
        }
        const r = await send("activateEscape", rollup.interface, () => rollup.activateEscape());
        console.log(`escape mode active from batch ${await rollup.batchNumber()} (tx ${r.hash})`);
      });
    });

  const withdraw = withSettings(new Command("withdraw"), ...SETTINGS)
    .description("in escape mode: prove the account's balance in the last proven root (state rebuilt from L1) and withdraw it")
    .requiredOption("--account <index>", "account to withdraw (its L1 owner must be the L1 key's address)", intArg("account index", 1n))
    .option("--no-claim", "only credit it on L1, do not pull it")
    .action(async (o: { account: bigint; claim: boolean } & Record<string, unknown>) => {
      await withRollup(Config.resolve(o, SETTINGS), { signer: true }, async (l1) => {
        const { rollup } = l1;
        await assertEscapeMode(l1);
        if (await rollup.escapeWithdrawn(o.account)) throw new Error(`account #${o.account} was already withdrawn in escape mode`);
        log("rebuilding the state from L1");
        const { state, ops } = await rebuildFromL1(await loadCrypto(), l1.params, rollup, l1.deployment.deployBlock, log, l1.logs);
        const a = state.account(o.account);
        if (!a) {
          const create = ops.find((op) => op.kind === L1OpKind.CREATE && op.accountIdx === o.account);
          throw new Error(`account #${o.account} is not in the last proven state${create ? `: its deposit was never processed, use zkr escape refund --queue-index ${create.queueIndex}` : ""}`);
        }
        const owner = getAddress("0x" + a.owner.toString(16).padStart(40, "0"));
        const signer = signerOf(l1);
        if (owner !== signer.address) throw new Error(`account #${o.account}'s L1 owner is ${owner}, not ${signer.address}`);
        const w = state.witness(o.account);
        const r = await send("escapeWithdraw", rollup.interface, () => rollup.escapeWithdraw(o.account, a.ax, a.ay, a.balance, a.nonce, w.proof.flat()));
        log(`account #${o.account}: balance ${await new Tokens(async () => l1).format(a.tokenId, a.balance)} credited to ${owner} (tx ${r.hash})`);
        if (a.balance > 0n) await pull(l1, a.tokenId, !o.claim);
      });
    });

  const refund = withSettings(new Command("refund"), ...SETTINGS)
    .description("in escape mode: credit an unprocessed L1 operation back to whoever queued it (a deposit and its fee, a forced exit's fee; anyone may), and pull it if that is you")
    .requiredOption("--queue-index <n>", "queue index of the operation (printed by zkr deposit and zkr force-exit as its L1 operation)", intArg("queue index"))
    .option("--no-claim", "only credit it on L1, do not pull it")
    .action(async (o: { queueIndex: bigint; claim: boolean } & Record<string, unknown>) => {
      await withRollup(Config.resolve(o, SETTINGS), { signer: true }, async (l1) => {
        const { rollup } = l1;
        await assertEscapeMode(l1);
        const r = await send("refundL1Op", rollup.interface, () => rollup.refundL1Op(o.queueIndex));
        const ev = r.logs.map((lg) => rollup.interface.parseLog(lg)).find((p) => p?.name === "L1OpRefunded");
        if (!ev) throw new Error(`transaction ${r.hash} refunded nothing`);
        const [owner, tokenId, amount, fee] = [getAddress(ev.args.owner as string), BigInt(ev.args.tokenId), BigInt(ev.args.amount), BigInt(ev.args.fee)];
        const tokens = new Tokens(async () => l1);
        const what = [amount > 0n && (await tokens.format(tokenId, amount)), fee > 0n && `the fee ${await tokens.format(0n, fee)}`].filter(Boolean).join(" and ");
        log(`L1 operation #${o.queueIndex}: ${what} credited back to ${owner} (tx ${r.hash})`);
        if (owner === signerOf(l1).address) {
          if (amount > 0n) await pull(l1, tokenId, !o.claim);
          // The fee is ETH: pulled with an ETH deposit, separately otherwise.
          if (fee > 0n && (tokenId !== 0n || amount === 0n)) await pull(l1, 0n, !o.claim);
        }
      });
    });

  return escape.addCommand(activate).addCommand(withdraw).addCommand(refund);
}
