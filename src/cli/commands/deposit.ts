import { Command, Option } from "commander";
import type { TransactionReceipt } from "ethers";
import type { RollupContract } from "../../chain/deploy.js";
import { Config, withSettings } from "../config.js";
import { erc20At, send, signerOf, Tokens, waitL1Processed, withRollup } from "../connect.js";
import { formatAmount, intArg, numArg, parseAmount } from "../units.js";

const MAX_AMOUNT = (1n << 128n) - 1n;

/** The L1OpQueued event of a receipt: the operation's queue index, account and amount. */
export function queuedOp(rollup: RollupContract, r: TransactionReceipt): { queueIndex: bigint; accountIdx: bigint; amount: bigint } {
  for (const log of r.logs) {
    const parsed = rollup.interface.parseLog(log);
    if (parsed?.name === "L1OpQueued") {
      return { queueIndex: parsed.args.queueIndex as bigint, accountIdx: BigInt(parsed.args.accountIdx), amount: BigInt(parsed.args.amount) };
    }
  }
  throw new Error(`transaction ${r.hash} queued no L1 operation`);
}

interface Opts {
  amount: string;
  token: bigint;
  to?: bigint;
  wait?: boolean;
  timeout: number;
  json?: boolean;
}

export function depositCommand(): Command {
  const cmd = new Command("deposit")
    .description("deposit ETH or a registered ERC-20 from L1 into a new L2 account of the wallet's key (or into --to)")
    .requiredOption("--amount <amount>", "amount in whole tokens, e.g. 1.5")
    .addOption(new Option("--token <id>", "token id (0 = ETH)").argParser(intArg("token id", 0n, (1n << 32n) - 1n)).default(0n, "0"))
    .option("--to <index>", "deposit into this existing account instead of creating one", intArg("account index", 1n, (1n << 32n) - 1n))
    .option("--wait", "wait until a proven batch has applied the deposit")
    .option("--timeout <seconds>", "with --wait: give up after this long", numArg("timeout", 1), 600)
    .option("--json", "print the result as JSON");
  withSettings(cmd, "key", "wallet", "deployment", "rpc", "maxLogRange");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["key", "wallet", "deployment", "rpc", "maxLogRange"]);
    const l2Key = o.to === undefined ? await cfg.wallet() : undefined;
    await withRollup(cfg, { signer: true }, async (l1) => {
      const { rollup } = l1;
      const signer = signerOf(l1);
      const token = await new Tokens(async () => l1).info(o.token);
      const amount = parseAmount(o.amount, token.decimals);
      if (amount === 0n || amount > MAX_AMOUNT) throw new Error(`amount must be more than 0 and below 2^128 base units, got ${o.amount}`);
      const [fee, minimum] = await Promise.all([rollup.l1OpFee(), rollup.minDepositOf(o.token)]);
      if (amount < minimum) {
        throw new Error(`the rollup's minimum deposit of ${token.symbol} is ${formatAmount(minimum, token.decimals)}, got ${o.amount}`);
      }
      if (o.to !== undefined) {
        const count = await rollup.accountCount();
        if (o.to > count) throw new Error(`no account #${o.to} on the rollup (accounts 1..${count})`);
        const held = (await rollup.accounts(o.to)).tokenId;
        if (held !== o.token) throw new Error(`account #${o.to} holds token ${held}, not token ${o.token}: the deposit would be refunded`);
      }
      const log = (m: string) => console.error(m);
      const iface = rollup.interface;
      // Every L1 operation pays the rollup's fee in ETH: on top of an ETH deposit, alone with an ERC-20 one.
      log(`L1-operation fee ${formatAmount(fee, 18)} ETH`);
      let receipt: TransactionReceipt;
      if (o.token === 0n) {
        const value = amount + fee;
        receipt = await send("depositETH", iface, () =>
          o.to !== undefined ? rollup.depositETHTo(o.to, { value }) : rollup.depositETH(l2Key!.ax, l2Key!.ay, { value }),
        );
      } else {
        const erc20 = erc20At(token.address, signer);
        if (((await erc20.allowance!(signer.address, l1.deployment.rollup)) as bigint) < amount) {
          log(`approving ${formatAmount(amount, token.decimals)} ${token.symbol} for the rollup`);
          await send("approve", erc20.interface, () => erc20.approve!(l1.deployment.rollup, amount));
        }
        receipt = await send("depositERC20", iface, () =>
          o.to !== undefined ? rollup.depositERC20To(o.to, o.token, amount, { value: fee }) : rollup.depositERC20(o.token, amount, l2Key!.ax, l2Key!.ay, { value: fee }),
        );
      }
      // What the rollup received (a token with a transfer fee delivers less than was sent).
      const { queueIndex, accountIdx, amount: received } = queuedOp(rollup, receipt);
      const what = `${formatAmount(received, token.decimals)} ${token.symbol}`;
      log(`queued deposit of ${what} into ${o.to === undefined ? "new " : ""}account #${accountIdx} (L1 operation #${queueIndex}, tx ${receipt.hash})`);
      const batch = o.wait ? await waitL1Processed(l1, queueIndex, o.timeout * 1000, log) : undefined;
      if (batch !== undefined) log(`applied by batch ${batch}`);
      if (o.json) {
        console.log(
          JSON.stringify(
            { account: accountIdx.toString(), queueIndex: queueIndex.toString(), token: o.token.toString(), amount: received.toString(), fee: fee.toString(), tx: receipt.hash, batch: batch?.toString() ?? null },
            null,
            2,
          ),
        );
      } else {
        console.log(`account #${accountIdx}`);
      }
    });
  });
}
