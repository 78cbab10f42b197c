// When a batch the rollup accepted counts as final: its L1 block is in the node's `finalized`
// block (Ethereum proof of stake: two epochs, about 13 minutes; reverting it would burn at least
// a third of all staked ETH), or it has a given number of confirmations (the including block
// counts as the first, as in ethers' `wait(confirms)`). Until then a batch is only "included":
// an L1 reorganisation may still remove it, and the sequencer watches for that.
//
// Defaults (zkr sequencer / zkr devnet): the `finalized` tag on every chain but the local
// development chains, whose nodes (hardhat, anvil) report the latest block as finalized — there
// evm_revert can undo any depth anyway, and DEV_CONFIRMATIONS keeps "included" and "final" apart
// while a devnet mining a block a second turns a batch final about two seconds after it landed.
import type { Provider } from "ethers";
import { DEV_CHAIN_IDS } from "../proving/manifest.js";
import { FatalError } from "./errors.js";

export type Finality = { kind: "finalized" } | { kind: "confirmations"; confirmations: number };

/** Confirmations a batch needs on a local development chain by default. */
export const DEV_CONFIRMATIONS = 3;

export const FINALIZED: Finality = { kind: "finalized" };

/** The default for a chain: the finalized tag, or DEV_CONFIRMATIONS on a development chain. */
export function defaultFinality(chainId: bigint): Finality {
  return DEV_CHAIN_IDS.includes(chainId) ? { kind: "confirmations", confirmations: DEV_CONFIRMATIONS } : FINALIZED;
}

/** Parses `--confirmations`: a number of confirmations (1 = final once mined) or "finalized". */
export function parseFinality(text: string): Finality {
  if (text === "finalized") return FINALIZED;
  if (!/^[1-9]\d{0,5}$/.test(text)) throw new Error(`--confirmations must be "finalized" or a number of blocks from 1 to 999999, got "${text}"`);
  return { kind: "confirmations", confirmations: Number(text) };
}

export function describeFinality(f: Finality): string {
  return f.kind === "finalized" ? "the L1 node's finalized block" : `${f.confirmations} confirmation${f.confirmations === 1 ? "" : "s"}`;
}

/**
 * The highest block that is final under `f`, given the head. Throws FatalError if the rule is
 * the finalized tag and the node does not support it (pre-merge chains, some L2 nodes): the
 * operator must pass --confirmations then.
 */
export async function finalizedHeight(provider: Provider, f: Finality, head: number): Promise<number> {
  if (f.kind === "confirmations") return head - f.confirmations + 1;
  let block;
  try {
    block = await provider.getBlock("finalized");
  } catch (e) {
    if ((e as { error?: { code?: unknown } }).error?.code === undefined) throw e; // not an answer: the caller retries
    throw new FatalError(
      "BAD_CONFIG",
      `the L1 node does not support the "finalized" block tag (${(e as Error).message.slice(0, 200)}): pass --confirmations N`,
      { cause: e },
    );
  }
  if (!block) throw new FatalError("BAD_CONFIG", `the L1 node has no "finalized" block: pass --confirmations N`);
  return block.number;
}
