// Sending an L1 transaction and waiting for it: the one place a revert (at gas estimation or in
// the mined transaction) becomes an error that names the contract's custom error.
import type { Interface, TransactionReceipt } from "ethers";
import { decodeRevert } from "./reverts.js";

/** A transaction L1 refused: it reverted when sent (ethers estimates gas first) or was mined with status 0. */
export class TxRevertedError extends Error {
  /** ethers's code for a revert, so code that classifies ethers errors sees this as one. */
  readonly code = "CALL_EXCEPTION";
  constructor(
    message: string,
    /** The custom error (or Error(string) / Panic) decoded, `Name(arg, ...)`; undefined when the error carried none. */
    readonly revert: string | undefined,
    /** The receipt of a transaction mined with status 0. */
    readonly receipt?: TransactionReceipt,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A sent transaction (an ethers TransactionResponse, or a deployment's). */
export interface SentTx {
  hash: string;
  wait(confirms?: number, timeout?: number): Promise<TransactionReceipt | null>;
}

export interface SendOptions {
  /** What is sent, in the error messages ("submitBatch", "deploying Rollup"). */
  what: string;
  /** Confirmations to wait for (default 1) and for how long at most (ms; default: no limit). */
  confirms?: number;
  timeoutMs?: number;
  /** Called once the transaction is sent, before it is mined (to record its hash). */
  onSent?: (tx: SentTx) => void;
}

/**
 * Sends a transaction with `send` and waits for its receipt. A revert that carries data `iface`
 * decodes becomes a TxRevertedError "`what` reverted: CustomError(args)" (the original error as
 * its cause); a receipt with status 0 a TxRevertedError "`what` failed (transaction …)". Any other
 * failure (the node, the network, a timeout) is thrown as it is, for the caller to classify.
 */
export async function sendAndWait(send: () => Promise<SentTx>, iface: Interface, opts: SendOptions): Promise<TransactionReceipt> {
  let receipt: TransactionReceipt | null;
  try {
    const tx = await send();
    opts.onSent?.(tx);
    receipt = await tx.wait(opts.confirms ?? 1, opts.timeoutMs);
  } catch (e) {
    const reason = decodeRevert(e, iface);
    if (reason) throw new TxRevertedError(`${opts.what} reverted: ${reason}`, reason, undefined, { cause: e });
    throw e;
  }
  if (!receipt || receipt.status !== 1) throw new TxRevertedError(`${opts.what} failed (transaction ${receipt?.hash})`, undefined, receipt ?? undefined);
  return receipt;
}
