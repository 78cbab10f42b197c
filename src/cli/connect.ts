// The CLI's side of L1: one JSON-RPC connection per run (probed first, so a wrong URL is one
// clear error and not ethers retrying forever), the deployed rollup checked against the
// deployment file, transactions whose reverts are decoded, and tokens with their decimals.
import {
  Contract,
  type ContractTransactionResponse,
  getAddress,
  HDNodeWallet,
  type Interface,
  JsonRpcProvider,
  Network,
  type TransactionReceipt,
  Wallet,
  ZeroAddress,
} from "ethers";
import { type RollupContract, rollupAt } from "../chain/deploy.js";
import { sendAndWait, TxRevertedError } from "../chain/send.js";
import { type LogQueryOptions, logWindow, queryLogs } from "../chain/logs.js";
import type { DerivedParams } from "../model/params.js";
import { DEV_CHAIN_IDS } from "../proving/manifest.js";
import { type Config, type Deployment, deploymentParams } from "./config.js";
import { formatAmount, parseAmount } from "./units.js";

/** Why a fetch failed, in a few words (ECONNREFUSED, a timeout, ...). */
export function fetchFailure(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return "no answer within the timeout";
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

/** Connects to a JSON-RPC node after checking that it answers eth_chainId. */
export async function connectRpc(url: string): Promise<{ provider: JsonRpcProvider; chainId: bigint }> {
  let chainId: bigint;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json().catch(() => ({}))) as { result?: unknown; error?: { message?: string } };
    if (typeof body.result !== "string") throw new Error(body.error?.message ?? `HTTP ${res.status}, not a JSON-RPC answer`);
    chainId = BigInt(body.result);
  } catch (e) {
    throw new Error(`cannot reach the L1 node at ${url}: ${fetchFailure(e)}`);
  }
  // cacheTimeout -1: no request caching, so quick successive sends never reuse a nonce (hardhat node).
  const provider = new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 });
  return { provider, chainId };
}

/** Hardhat's and Anvil's default mnemonic: its private keys are public. */
export const DEV_MNEMONIC = "test test test test test test test test test test test junk";

/** Development account `i` of DEV_MNEMONIC (funded on a fresh hardhat node). */
export function devAccount(i: number): HDNodeWallet {
  return HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
}

/** Refuses a key whose private key is public (the dev mnemonic's first 20) on a chain that is not a local dev chain. */
export function assertKeyAllowedOnChain(address: string, chainId: bigint): void {
  if (DEV_CHAIN_IDS.includes(chainId)) return;
  const root = HDNodeWallet.fromPhrase(DEV_MNEMONIC, undefined, "m/44'/60'/0'/0");
  for (let i = 0; i < 20; i++) {
    if (root.deriveChild(i).address === getAddress(address)) {
      throw new Error(`refusing to use development account #${i} (${address}) on chain ${chainId}: its private key is public, anything it holds can be taken`);
    }
  }
}

/** An open connection to the deployed rollup. close() when done. */
export interface L1 {
  provider: JsonRpcProvider;
  chainId: bigint;
  deployment: Deployment;
  params: DerivedParams;
  /** Connected to the signer if one was asked for. */
  rollup: RollupContract;
  signer?: Wallet;
  /** How this node's eth_getLogs is chunked (--max-log-range; shared by the run's queries). */
  logs: LogQueryOptions;
  close(): void;
}

/** Opens the rollup of the configured deployment; `signer` takes the L1 key (required then). */
export async function openRollup(cfg: Config, opts: { signer?: boolean } = {}): Promise<L1> {
  const deployment = cfg.deployment();
  const key = opts.signer ? cfg.need("key") : undefined; // fail on a missing key before any network call
  const url = cfg.rpc;
  const { provider, chainId } = await connectRpc(url);
  try {
    if (chainId.toString() !== deployment.chainId) {
      throw new Error(`the node at ${url} is chain ${chainId}, but the deployment is on chain ${deployment.chainId}`);
    }
    if ((await provider.getCode(deployment.rollup)) === "0x") {
      throw new Error(`no contract at the rollup address ${deployment.rollup} on ${url} (a restarted local chain? deploy again)`);
    }
    const signer = key ? new Wallet(key, provider) : undefined;
    if (signer) assertKeyAllowedOnChain(signer.address, chainId);
    const rollup = rollupAt(deployment.rollup, signer ?? provider);
    const logs = { window: logWindow(cfg.maxLogRange) };
    return { provider, chainId, deployment, params: deploymentParams(deployment), rollup, signer, logs, close: () => provider.destroy() };
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

/** The signer of an L1 opened with `signer: true`. */
export function signerOf(l1: L1): Wallet {
  if (!l1.signer) throw new Error("internal: the rollup was opened without a signer");
  return l1.signer;
}

/** Sends a transaction and waits for it; a revert becomes "`what` reverted: CustomError(args)". */
export async function send(what: string, iface: Interface, tx: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  try {
    return await sendAndWait(tx, iface, { what });
  } catch (e) {
    if (e instanceof TxRevertedError) throw e;
    throw new Error(`${what} failed: ${ethersMessage(e)}`, { cause: e });
  }
}

/** The short form of an ethers error (its full message carries the whole request). */
export function ethersMessage(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string };
  return err.shortMessage ?? err.message ?? String(e);
}

/** Fee paid by a mined transaction, in wei. */
export function gasCost(r: TransactionReceipt): bigint {
  return r.gasUsed * r.gasPrice;
}

export interface TokenInfo {
  id: bigint;
  symbol: string;
  decimals: number;
  /** ERC-20 contract; the zero address for ETH. */
  address: string;
}

export const ETH_TOKEN: TokenInfo = { id: 0n, symbol: "ETH", decimals: 18, address: ZeroAddress };

const ERC20_ABI = [
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
  "function allowance(address owner, address spender) view returns (uint256)",
  "function approve(address spender, uint256 amount) returns (bool)",
];

export function erc20At(address: string, runner: Wallet | JsonRpcProvider): Contract {
  return new Contract(address, ERC20_ABI, runner);
}

/**
 * Token ids, their symbols and decimals, looked up on L1 only when a token other than ETH
 * comes up (so commands that only talk to the sequencer need no L1 for ETH amounts).
 */
export class Tokens {
  private readonly cache = new Map<bigint, Promise<TokenInfo>>([[0n, Promise.resolve(ETH_TOKEN)]]);

  constructor(private readonly l1: () => Promise<Pick<L1, "rollup" | "provider">>) {}

  info(id: bigint): Promise<TokenInfo> {
    let p = this.cache.get(id);
    if (!p) {
      p = this.lookup(id);
      this.cache.set(id, p);
    }
    return p;
  }

  async format(id: bigint, amount: bigint): Promise<string> {
    const t = await this.info(id);
    return `${formatAmount(amount, t.decimals)} ${t.symbol}`;
  }

  async parse(id: bigint, text: string, what = "amount"): Promise<bigint> {
    return parseAmount(text, (await this.info(id)).decimals, what);
  }

  private async lookup(id: bigint): Promise<TokenInfo> {
    const { rollup, provider } = await this.l1();
    const address = await rollup.tokenAddress(id);
    if (address === ZeroAddress) throw new Error(`token ${id} is not registered on the rollup (ids 0..${(await rollup.tokenCount()) - 1n})`);
    const erc20 = erc20At(address, provider);
    let decimals: number;
    try {
      decimals = Number(await erc20.decimals!());
    } catch {
      throw new Error(`token ${id} (${address}) has no decimals(): amounts cannot be converted`);
    }
    const symbol = await erc20.symbol!().then(String, () => `token${id}`);
    return { id, symbol, decimals, address };
  }
}

/** Tokens whose L1 look-ups open the configured rollup the first time a token other than ETH comes up. */
export function lazyTokens(cfg: Config): { tokens: Tokens; close(): Promise<void> } {
  let l1: Promise<L1> | undefined;
  const tokens = new Tokens(() => (l1 ??= openRollup(cfg)));
  return { tokens, close: async () => (await l1?.catch(() => undefined))?.close() };
}

/** Polls `done` every `everyMs` until it returns a value, or throws after `timeoutMs`. */
export async function poll<T>(what: string, timeoutMs: number, done: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await done();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Waits until a batch on L1 has consumed L1 operation `queueIndex`; returns that batch's number. */
export async function waitL1Processed(l1: Pick<L1, "rollup" | "deployment" | "provider" | "logs">, queueIndex: bigint, timeoutMs: number, log: (m: string) => void): Promise<bigint> {
  const { rollup } = l1;
  log(`waiting for a proven batch to include L1 operation #${queueIndex}…`);
  await poll(`L1 operation #${queueIndex} to be processed (is the sequencer running?)`, timeoutMs, async () => {
    if ((await rollup.l1Processed()) > queueIndex) return true;
    if (await rollup.escapeMode()) throw new Error(`the rollup is in escape mode: L1 operation #${queueIndex} will never be processed (see zkr escape refund)`);
    return undefined;
  });
  let consumed = 0n;
  for (const ev of await queryLogs(rollup, rollup.filters.BatchSubmitted!(), l1.deployment.deployBlock, await l1.provider.getBlockNumber(), l1.logs)) {
    if (!("args" in ev)) continue;
    consumed += ev.args.l1Count as bigint;
    if (consumed > queueIndex) return ev.args.batchNumber as bigint;
  }
  throw new Error(`L1 operation #${queueIndex} is processed but no BatchSubmitted event covers it`);
}
