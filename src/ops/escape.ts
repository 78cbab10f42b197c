// The escape hatch: when the sequencer stops while an L1 operation waits past the deadline, anyone
// switches the rollup into escape mode; then owners withdraw their balance in the last proven
// root with a Merkle proof from the state rebuilt from L1, and unprocessed L1 operations are
// credited back to whoever queued them.
import { getAddress, MaxUint256, type TransactionReceipt } from "ethers";
import type { Account } from "../model/account.js";
import { loadCrypto } from "../model/crypto.js";
import { L1OpKind } from "../model/l1op.js";
import { rebuildFromL1 } from "../chain/rebuild.js";
import type { Log } from "../util/log.js";
import { type RollupConnection, sendTx, signerOf } from "./connect.js";

/** Switches the rollup into escape mode, if the rollup allows it yet; returns the batch it froze at. */
export async function activateEscape(c: RollupConnection): Promise<{ batchNumber: bigint; receipt: TransactionReceipt }> {
  const { rollup } = c;
  if (await rollup.escapeMode()) throw new Error("the rollup is already in escape mode");
  const after = await rollup.escapeAllowedAfter();
  if (after === MaxUint256) throw new Error("no L1 operation is waiting: escape mode opens only when one waits unprocessed longer than the escape delay");
  const now = BigInt((await c.provider.getBlock("latest"))!.timestamp);
  if (now <= after) {
    throw new Error(
      `too early: escape opens after ${new Date(Number(after) * 1000).toISOString()} (in ${after - now + 1n} s), once L1 operation #${await rollup.l1Processed()} has waited the escape delay and no batch has been accepted for the inactivity delay`,
    );
  }
  const receipt = await sendTx("activateEscape", rollup.interface, () => rollup.activateEscape());
  return { batchNumber: await rollup.batchNumber(), receipt };
}

async function assertEscapeMode(c: RollupConnection): Promise<void> {
  if (!(await c.rollup.escapeMode())) throw new Error("the rollup is not in escape mode (see zkr escape activate)");
}

export interface EscapeWithdrawal {
  /** The account as the last proven state holds it; its balance is now claimable by its owner. */
  account: Account;
  owner: string;
  receipt: TransactionReceipt;
}

/**
 * In escape mode: rebuilds the state from L1, proves account `index`'s leaf in the last proven
 * root and credits its balance to its L1 owner (the connection's signer) on L1 (claim pulls it).
 */
export async function escapeWithdraw(c: RollupConnection, index: bigint, opts: { log?: Log } = {}): Promise<EscapeWithdrawal> {
  const log = opts.log ?? (() => {});
  const { rollup } = c;
  await assertEscapeMode(c);
  if (await rollup.escapeWithdrawn(index)) throw new Error(`account #${index} was already withdrawn in escape mode`);
  log("rebuilding the state from L1");
  const { state, ops } = await rebuildFromL1(await loadCrypto(), c.params, rollup, c.deployment.deployBlock, log, c.logs);
  const a = state.account(index);
  if (!a) {
    const create = ops.find((op) => op.kind === L1OpKind.CREATE && op.accountIdx === index);
    throw new Error(
      `account #${index} is not in the last proven state${create ? `: its deposit was never processed, use zkr escape refund --queue-index ${create.queueIndex}` : ""}`,
    );
  }
  const owner = getAddress("0x" + a.owner.toString(16).padStart(40, "0"));
  const { address } = signerOf(c);
  if (owner !== address) throw new Error(`account #${index}'s L1 owner is ${owner}, not ${address}`);
  const w = state.witness(index);
  const receipt = await sendTx("escapeWithdraw", rollup.interface, () => rollup.escapeWithdraw(index, a.ax, a.ay, a.balance, a.nonce, w.proof.flat()));
  return { account: a, owner, receipt };
}

export interface Refund {
  /** Who queued the operation: the amount and the fee are credited back to it. */
  owner: string;
  tokenId: bigint;
  /** The deposit's amount (0 for a forced exit). */
  amount: bigint;
  /** The L1-operation fee, in ETH. */
  fee: bigint;
  receipt: TransactionReceipt;
}

/** In escape mode: credits unprocessed L1 operation `queueIndex` back to whoever queued it (anyone may send it). */
export async function refundL1Op(c: RollupConnection, queueIndex: bigint): Promise<Refund> {
  const { rollup } = c;
  await assertEscapeMode(c);
  const receipt = await sendTx("refundL1Op", rollup.interface, () => rollup.refundL1Op(queueIndex));
  const ev = receipt.logs.map((lg) => rollup.interface.parseLog(lg)).find((p) => p?.name === "L1OpRefunded");
  if (!ev) throw new Error(`transaction ${receipt.hash} refunded nothing`);
  return { owner: getAddress(ev.args.owner as string), tokenId: BigInt(ev.args.tokenId), amount: BigInt(ev.args.amount), fee: BigInt(ev.args.fee), receipt };
}
