// The CLI's side of L1: one JSON-RPC connection per run to the configured deployment's rollup,
// with the configured L1 key as its signer when a command sends transactions (src/ops/connect.ts
// does the checks), and tokens looked up only when needed.
import { type JsonRpcProvider, Wallet } from "ethers";
import { connectRollup, connectRpc, type RollupConnection, Tokens } from "../ops/index.js";
import type { Config } from "./config.js";

/** An open connection to the deployed rollup. close() when done. */
export interface L1 extends RollupConnection {
  provider: JsonRpcProvider;
  close(): void;
}

/** Opens the rollup of the configured deployment; `signer` takes the L1 key (required then). */
export async function openRollup(cfg: Config, opts: { signer?: boolean } = {}): Promise<L1> {
  const deployment = cfg.deployment();
  const key = opts.signer ? cfg.need("key") : undefined; // fail on a missing key before any network call
  const url = cfg.rpc;
  const { provider } = await connectRpc(url);
  try {
    const signer = key ? new Wallet(key, provider) : undefined;
    const c = await connectRollup({ deployment, provider, signer, maxLogRange: cfg.maxLogRange, url });
    return { ...c, provider, close: () => provider.destroy() };
  } catch (e) {
    provider.destroy();
    throw e;
  }
}

/** Runs `fn` with the rollup open, and closes the connection after. */
export async function withRollup<T>(cfg: Config, opts: { signer?: boolean }, fn: (l1: L1) => Promise<T>): Promise<T> {
  const l1 = await openRollup(cfg, opts);
  try {
    return await fn(l1);
  } finally {
    l1.close();
  }
}

/** Tokens whose L1 look-ups open the configured rollup the first time a token other than ETH comes up. */
export function lazyTokens(cfg: Config): { tokens: Tokens; close(): Promise<void> } {
  let l1: Promise<L1> | undefined;
  const tokens = new Tokens(() => (l1 ??= openRollup(cfg)));
  return { tokens, close: async () => (await l1?.catch(() => undefined))?.close() };
}
