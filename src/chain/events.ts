// The rollup's events read back from L1: the queued L1 operations.
import type { L1OpKind, QueuedL1Op } from "../model/l1op.js";
import type { RollupContract } from "./deploy.js";
import { type LogQueryOptions, queryLogs } from "./logs.js";

/** A queued L1 operation read from its `L1OpQueued` event. */
export interface L1OpEvent extends QueuedL1Op {
  blockNumber: number;
  /** Hash of the block that holds the event: an L1 reorganisation replaces it. */
  blockHash: string;
  transactionHash: string;
}

export interface ReadL1OpsOptions extends LogQueryOptions {
  /** Last block to read (default: the latest). */
  toBlock?: number;
}

/**
 * The L1 operations queued from block `fromBlock` on (the deployment block for all of them), in
 * queue order, from the rollup's `L1OpQueued` events, read in chunks the node accepts
 * (logs.ts). Throws if the queue indexes read have a gap (a provider that dropped logs), so a
 * caller never builds state on a partial queue.
 */
export async function readL1Ops(rollup: RollupContract, fromBlock: number, opts: ReadL1OpsOptions = {}): Promise<L1OpEvent[]> {
  const provider = rollup.runner?.provider;
  if (!provider) throw new Error("the rollup contract must be connected to a provider");
  const toBlock = opts.toBlock ?? (await provider.getBlockNumber());
  const ops: L1OpEvent[] = [];
  for (const log of await queryLogs(rollup, rollup.filters.L1OpQueued!(), fromBlock, toBlock, opts)) {
    if (!("args" in log)) throw new Error(`cannot decode log ${log.transactionHash}:${log.index}`);
    const a = log.args;
    ops.push({
      queueIndex: a.queueIndex as bigint,
      kind: Number(a.kind) as L1OpKind,
      accountIdx: a.accountIdx as bigint,
      owner: BigInt(a.owner as string),
      tokenId: a.tokenId as bigint,
      amount: a.amount as bigint,
      ax: a.ax as bigint,
      ay: a.ay as bigint,
      chainHash: a.chainHash as bigint,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      transactionHash: log.transactionHash,
    });
  }
  ops.sort((x, y) => (x.queueIndex < y.queueIndex ? -1 : x.queueIndex > y.queueIndex ? 1 : 0));
  ops.forEach((op, i) => {
    if (i > 0 && op.queueIndex !== ops[i - 1]!.queueIndex + 1n) {
      throw new Error(`L1 operation queue has a gap: ${ops[i - 1]!.queueIndex} is followed by ${op.queueIndex}`);
    }
  });
  return ops;
}
