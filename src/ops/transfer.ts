// The L2 side: a transfer or exit signed with an L2 key for the sender's next nonce and submitted
// to the sequencer, and a withdrawal (an exit followed until final on L1, then pulled on L1).
import { getAddress, type TransactionReceipt } from "ethers";
import { loadCrypto } from "../model/crypto.js";
import { FLOAT40, FLOAT8, isRepresentable } from "../model/float.js";
import type { L2Key } from "../model/keys.js";
import { signTransfer, transferToJSON } from "../model/tx.js";
import type { Log } from "../util/log.js";
import { type AccountView, type SequencerClient, type TxView, waitFinal } from "./client.js";
import { type RollupConnection, sendTx, signerOf } from "./connect.js";
import { type Deployment, deploymentParams } from "./deployment.js";
import { Tokens } from "./tokens.js";

/** Who signs L2 transactions, and where they go. */
export interface L2Signer {
  /** The sequencer (checkSequencer: it serves `deployment`). */
  client: SequencerClient;
  deployment: Deployment;
  key: L2Key;
  /** Where the key comes from, as errors name it (default "the signing key"). */
  keySource?: string;
}

/** The sender's account on the sequencer, checked to belong to the signer's key. */
export async function senderAccount(s: L2Signer, from: bigint): Promise<AccountView> {
  const sender = await s.client.account(from);
  if (BigInt(sender.ax) !== s.key.ax || BigInt(sender.ay) !== s.key.ay) {
    throw new Error(`account #${from} belongs to another L2 key than ${s.keySource ?? "the signing key"}`);
  }
  return sender;
}

export interface TransferRequest {
  from: bigint;
  /** 0 for an exit. */
  to: bigint;
  /** In base units of the sender's token; must have an exact float40 encoding. */
  amount: bigint;
  /** For the sequencer, in base units of the sender's token; must have an exact float8 encoding. */
  fee: bigint;
}

export interface TransferResult {
  /** The sequencer's record of it (pending once accepted). */
  tx: TxView;
  tokenId: bigint;
  nonce: bigint;
}

/**
 * Signs an L2 transfer (or exit, `to` 0) with the signer's key for the sender's next nonce and
 * submits it. `sender`: the sender's account if already fetched (senderAccount).
 */
export async function transfer(s: L2Signer, req: TransferRequest, sender?: AccountView): Promise<TransferResult> {
  if (req.amount <= 0n) throw new Error("amount must be more than 0");
  if (!isRepresentable(FLOAT40, req.amount)) throw new Error(`amount ${req.amount} cannot be posted exactly as a ${FLOAT40.name}`);
  if (!isRepresentable(FLOAT8, req.fee)) throw new Error(`fee ${req.fee} cannot be posted exactly as a ${FLOAT8.name}`);
  const account = sender ?? (await senderAccount(s, req.from));
  const nonce = BigInt(account.nextNonce);
  const crypto = await loadCrypto();
  const d = s.deployment;
  const domain = { chainId: BigInt(d.chainId), rollupAddress: BigInt(d.rollup) };
  const signed = signTransfer(crypto.hash, s.key, { from: req.from, to: req.to, amount: req.amount, fee: req.fee, nonce }, domain, deploymentParams(d));
  return { tx: await s.client.submitTx(transferToJSON(signed)), tokenId: BigInt(account.tokenId), nonce };
}

/** Pulls everything credited to the signer in `tokenId` on L1; throws if there is nothing. */
export async function claim(c: RollupConnection, tokenId: bigint): Promise<{ amount: bigint; receipt: TransactionReceipt }> {
  const { address } = signerOf(c);
  const amount = await c.rollup.claimable(address, tokenId);
  if (amount === 0n) throw new Error(`nothing to withdraw: ${address} has no claimable balance in token ${tokenId}`);
  const receipt = await sendTx("withdraw", c.rollup.interface, () => c.rollup.withdraw(tokenId));
  return { amount, receipt };
}

export interface WithdrawRequest {
  from: bigint;
  amount: bigint;
  fee: bigint;
  /** How long to wait for the exit to be final on L1 (FINAL_WAIT_S is a sensible default). */
  timeoutMs: number;
}

export interface WithdrawResult {
  /** The exit, final on L1. */
  exit: TxView;
  tokenId: bigint;
  /** What was pulled on L1 (everything claimable in the token, this exit included). */
  withdrawn: bigint;
  receipt: TransactionReceipt;
}

/**
 * Exits `amount` of account `from` on L2 (signed by `s`, through the sequencer), follows the exit
 * until it is final on L1, then pulls it on L1 with the connection's signer, who must be the
 * account's L1 owner (exits are paid to it). `sender`: the account if already fetched.
 */
export async function withdraw(
  c: RollupConnection,
  s: L2Signer,
  req: WithdrawRequest,
  opts: { log?: Log; tokens?: Tokens; sender?: AccountView } = {},
): Promise<WithdrawResult> {
  const log = opts.log ?? (() => {});
  const { address } = signerOf(c);
  const count = await c.rollup.accountCount();
  if (req.from > count) throw new Error(`no account #${req.from} on the rollup (accounts 1..${count})`);
  const record = await c.rollup.accounts(req.from);
  if (getAddress(record.owner) !== address) {
    throw new Error(`exits of account #${req.from} are paid to its L1 owner ${record.owner}, not to ${address}: use the owner's L1 key`);
  }
  const sent = await transfer(s, { from: req.from, to: 0n, amount: req.amount, fee: req.fee }, opts.sender);
  const tokens = opts.tokens ?? new Tokens(async () => c);
  log(`exit of ${await tokens.format(sent.tokenId, req.amount)} from #${req.from} accepted: ${sent.tx.id}`);
  const exit = await waitFinal(s.client, sent.tx.id, req.timeoutMs, log);
  const { amount, receipt } = await claim(c, sent.tokenId);
  return { exit, tokenId: sent.tokenId, withdrawn: amount, receipt };
}
