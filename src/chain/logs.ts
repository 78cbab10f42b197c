// Contract events over long block ranges. Providers cap eth_getLogs — a block range (Alchemy
// 2,000, QuickNode 10,000, …) or a number of results (Infura 10,000) — and answer a query over
// the whole history of a rollup with an error. Every log query in zkr goes through queryLogs:
// chunks of at most `maxBlockRange` blocks, and a chunk the node refuses is split in halves
// until the node accepts it; the smaller range then holds for the chunks after it (and for later
// queries that share a LogWindow), and doubles again after GROW_AFTER chunks in a row were
// accepted (a cap on results bites only where logs are dense; a cap on the range costs one
// refused request in GROW_AFTER). What counts as a refusal is decided by the kind of failure,
// not by the wording of each provider's message: the node answered the request with a JSON-RPC
// error object. A failure to reach the node is thrown as is (the caller retries); a single block
// that is still refused is thrown with the node's message.
import type { BaseContract, ContractEventName, EventLog, Log } from "ethers";

/** Largest block range per eth_getLogs request unless configured (the smallest common provider cap). */
export const DEFAULT_MAX_LOG_RANGE = 2000;

/** The range a node accepts, shared by successive queries to that node. */
export interface LogWindow {
  range: number;
  /** The configured largest range: growing back stops there. */
  max?: number;
  /** Chunks accepted in a row at this range. */
  accepted?: number;
}

/** Accepted chunks in a row after which the range doubles again (up to maxBlockRange). */
export const GROW_AFTER = 8;

export interface LogQueryOptions {
  /** Largest block range per eth_getLogs request (default DEFAULT_MAX_LOG_RANGE). */
  maxBlockRange?: number;
  /** Shared by the queries of one long-running reader: starts at maxBlockRange, shrinks on refusals. */
  window?: LogWindow;
  /** Told when the node refused a range and the range was halved. */
  onShrink?: (range: number, reason: string) => void;
}

/** JSON-RPC "method not found": no smaller range helps. */
const METHOD_NOT_FOUND = -32601;

/**
 * The node's JSON-RPC error (code and message) if `e` is an answer of the node refusing the
 * request — ethers v6 keeps the error object of the response in `error` — and undefined for
 * anything else (connection refused, timeout, a malformed answer).
 */
export function rpcRefusal(e: unknown): { code: number; message: string } | undefined {
  const inner = (e as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  if (!inner || typeof inner.code !== "number" || inner.code === METHOD_NOT_FOUND) return undefined;
  return { code: inner.code, message: typeof inner.message === "string" ? inner.message : "" };
}

/** A new window for a long-running reader of one node. */
export function logWindow(maxBlockRange = DEFAULT_MAX_LOG_RANGE): LogWindow {
  checkRange(maxBlockRange);
  return { range: maxBlockRange, max: maxBlockRange };
}

function checkRange(range: number): void {
  if (!Number.isSafeInteger(range) || range < 1) throw new Error(`maxBlockRange must be at least 1, got ${range}`);
}

/**
 * The logs of `filter` on `contract` in blocks fromBlock..toBlock (inclusive), in block order,
 * read in chunks the node accepts (see the header).
 */
export async function queryLogs(
  contract: BaseContract,
  filter: ContractEventName,
  fromBlock: number,
  toBlock: number,
  opts: LogQueryOptions = {},
): Promise<(EventLog | Log)[]> {
  const window = opts.window ?? logWindow(opts.maxBlockRange ?? DEFAULT_MAX_LOG_RANGE);
  checkRange(window.range);
  const max = opts.maxBlockRange ?? window.max ?? window.range;
  const out: (EventLog | Log)[] = [];
  for (let start = fromBlock; start <= toBlock;) {
    const end = Math.min(toBlock, start + window.range - 1);
    let logs: (EventLog | Log)[];
    try {
      logs = await contract.queryFilter(filter, start, end);
    } catch (e) {
      const refusal = rpcRefusal(e);
      if (!refusal) throw e;
      if (end === start)
        throw new Error(`the L1 node refuses eth_getLogs even for the single block ${start}: ${refusal.message} (${refusal.code})`, { cause: e });
      window.range = Math.max(1, Math.floor((end - start + 1) / 2));
      window.accepted = 0;
      opts.onShrink?.(window.range, refusal.message);
      continue;
    }
    out.push(...logs);
    start = end + 1;
    window.accepted = (window.accepted ?? 0) + 1;
    if (window.accepted >= GROW_AFTER && window.range < max) {
      window.range = Math.min(max, window.range * 2);
      window.accepted = 0;
    }
  }
  return out;
}
