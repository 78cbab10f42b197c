// The L1 operations a user queues on the rollup: deposits of ETH or a registered ERC-20 (into a
// new account of an L2 key, or an existing account) and forced exits. Each pays the rollup's
// L1-operation fee in ETH, credited to the sequencer whose batch processes it.
import { getAddress, type TransactionReceipt } from "ethers";
import { formatAmount } from "../util/amounts.js";
import type { Log } from "../util/log.js";
import { queuedOp, type RollupConnection, sendTx, signerOf } from "./connect.js";
import { erc20At, Tokens } from "./tokens.js";

const MAX_AMOUNT = (1n << 128n) - 1n;

export interface DepositRequest {
  /** Token id (0 = ETH). */
  token: bigint;
  /** In the token's base units (wei for ETH), at least the rollup's minimum deposit of the token. */
  amount: bigint;
  /** Deposit into this existing account (of the same token) ... */
  to?: bigint;
  /** ... or into a new account of this L2 public key. */
  owner?: { ax: bigint; ay: bigint };
}

export interface DepositResult {
  /** The account credited (a new one unless `to`). */
  account: bigint;
  /** The operation's index in the rollup's L1 queue (waitL1Processed). */
  queueIndex: bigint;
  token: bigint;
  /** What the rollup received and will credit (a token with a transfer fee delivers less than was sent). */
  amount: bigint;
  /** The L1-operation fee paid, in wei. */
  fee: bigint;
  receipt: TransactionReceipt;
}

/**
 * Deposits from the connection's signer: checks the amount against the rollup's minimum and the
 * target account's token, approves the rollup for an ERC-20 if its allowance is short, and queues
 * the deposit with the L1-operation fee (on top of an ETH deposit, alone with an ERC-20 one).
 */
export async function deposit(c: RollupConnection, req: DepositRequest, opts: { log?: Log; tokens?: Tokens } = {}): Promise<DepositResult> {
  const log = opts.log ?? (() => {});
  const { rollup } = c;
  const { signer, address } = signerOf(c);
  if ((req.to === undefined) === (req.owner === undefined))
    throw new Error("give exactly one of `to` (an existing account) and `owner` (the L2 key of a new account)");
  const token = await (opts.tokens ?? new Tokens(async () => c)).info(req.token);
  if (req.amount === 0n || req.amount > MAX_AMOUNT) {
    throw new Error(`amount must be more than 0 and below 2^128 base units, got ${formatAmount(req.amount, token.decimals)}`);
  }
  const [fee, minimum] = await Promise.all([rollup.l1OpFee(), rollup.minDepositOf(req.token)]);
  if (req.amount < minimum) {
    throw new Error(
      `the rollup's minimum deposit of ${token.symbol} is ${formatAmount(minimum, token.decimals)}, got ${formatAmount(req.amount, token.decimals)}`,
    );
  }
  const to = req.to;
  if (to !== undefined) {
    const count = await rollup.accountCount();
    if (to > count) throw new Error(`no account #${to} on the rollup (accounts 1..${count})`);
    const held = (await rollup.accounts(to)).tokenId;
    if (held !== req.token) throw new Error(`account #${to} holds token ${held}, not token ${req.token}: the deposit would be refunded`);
  }
  const owner = req.owner!;
  const iface = rollup.interface;
  log(`L1-operation fee ${formatAmount(fee, 18)} ETH`);
  let receipt: TransactionReceipt;
  if (req.token === 0n) {
    const value = req.amount + fee;
    receipt = await sendTx("depositETH", iface, () =>
      to !== undefined ? rollup.depositETHTo(to, { value }) : rollup.depositETH(owner.ax, owner.ay, { value }),
    );
  } else {
    const erc20 = erc20At(token.address, signer);
    if (((await erc20.allowance!(address, c.deployment.rollup)) as bigint) < req.amount) {
      log(`approving ${formatAmount(req.amount, token.decimals)} ${token.symbol} for the rollup`);
      await sendTx("approve", erc20.interface, () => erc20.approve!(c.deployment.rollup, req.amount));
    }
    receipt = await sendTx("depositERC20", iface, () =>
      to !== undefined
        ? rollup.depositERC20To(to, req.token, req.amount, { value: fee })
        : rollup.depositERC20(req.token, req.amount, owner.ax, owner.ay, { value: fee }),
    );
  }
  const { queueIndex, accountIdx, amount } = queuedOp(rollup, receipt);
  log(
    `queued deposit of ${formatAmount(amount, token.decimals)} ${token.symbol} into ${to === undefined ? "new " : ""}account #${accountIdx} (L1 operation #${queueIndex}, tx ${receipt.hash})`,
  );
  return { account: accountIdx, queueIndex, token: req.token, amount, fee, receipt };
}

export interface ForceExitResult {
  queueIndex: bigint;
  /** The L1-operation fee paid, in wei. */
  fee: bigint;
  /** The account's token: what becomes claimable once a batch applies the exit. */
  tokenId: bigint;
  receipt: TransactionReceipt;
}

/**
 * Queues a forced exit of `account` from the connection's signer, its L1 owner: the next batches
 * must pay the account's whole balance to the owner on L1 (no sequencer cooperation needed).
 */
export async function forceExit(c: RollupConnection, account: bigint, opts: { log?: Log } = {}): Promise<ForceExitResult> {
  const { rollup } = c;
  const { address } = signerOf(c);
  const count = await rollup.accountCount();
  if (account > count) throw new Error(`no account #${account} on the rollup (accounts 1..${count})`);
  const record = await rollup.accounts(account);
  if (getAddress(record.owner) !== address) {
    throw new Error(`account #${account}'s L1 owner is ${record.owner}, not ${address}: only the owner may force an exit`);
  }
  const fee = await rollup.l1OpFee();
  const receipt = await sendTx("forceExit", rollup.interface, () => rollup.forceExit(account, { value: fee }));
  const { queueIndex } = queuedOp(rollup, receipt);
  opts.log?.(`queued forced exit of account #${account} (L1 operation #${queueIndex}, fee ${formatAmount(fee, 18)} ETH, tx ${receipt.hash})`);
  return { queueIndex, fee, tokenId: record.tokenId, receipt };
}

export interface ForceTransferResult {
  queueIndex: bigint;
  /** The L1-operation fee paid, in wei. */
  fee: bigint;
  /** The two accounts' token. */
  tokenId: bigint;
  receipt: TransactionReceipt;
}

/**
 * Queues a forced transfer of `amount` (base units) from account `from`, whose L1 owner is the
 * connection's signer, to account `to` (another account of the same token). The batch that
 * consumes it moves the amount if `from`'s balance covers it then and changes nothing otherwise;
 * no sequencer cooperation is needed. Refuses, before sending anything, what the contract would.
 */
export async function forceTransfer(
  c: RollupConnection,
  req: { from: bigint; to: bigint; amount: bigint },
  opts: { log?: Log } = {},
): Promise<ForceTransferResult> {
  const { rollup } = c;
  const { address } = signerOf(c);
  const { from, to, amount } = req;
  if (amount <= 0n || amount >> 128n !== 0n) throw new Error(`amount must be 1 .. 2^128 − 1 base units, got ${amount}`);
  if (from === to) throw new Error(`a forced transfer from account #${from} to itself`);
  const count = await rollup.accountCount();
  for (const a of [from, to]) if (a < 1n || a > count) throw new Error(`no account #${a} on the rollup (accounts 1..${count})`);
  const [sender, receiver] = await Promise.all([rollup.accounts(from), rollup.accounts(to)]);
  if (getAddress(sender.owner) !== address) {
    throw new Error(`account #${from}'s L1 owner is ${sender.owner}, not ${address}: only the owner may force a transfer from it`);
  }
  if (receiver.tokenId !== sender.tokenId)
    throw new Error(`account #${to} holds token ${receiver.tokenId}, account #${from} token ${sender.tokenId}: a transfer stays in one token`);
  const fee = await rollup.l1OpFee();
  const receipt = await sendTx("forceTransfer", rollup.interface, () => rollup.forceTransfer(from, to, amount, { value: fee }));
  const { queueIndex } = queuedOp(rollup, receipt);
  opts.log?.(`queued forced transfer from account #${from} to #${to} (L1 operation #${queueIndex}, fee ${formatAmount(fee, 18)} ETH, tx ${receipt.hash})`);
  return { queueIndex, fee, tokenId: sender.tokenId, receipt };
}
