// The L1 side of the operations: a JSON-RPC connection probed first (so a wrong URL is one clear
// error and not ethers retrying forever), the deployed rollup checked against its deployment
// record, transactions whose reverts are decoded, the development accounts, and waiting until the
// rollup has processed a queued L1 operation.
import {
  type ContractTransactionResponse,
  getAddress,
  HDNodeWallet,
  type Interface,
  JsonRpcProvider,
  Network,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import { type RollupContract, rollupAt } from "../chain/deploy.js";
import { type LogQueryOptions, logWindow, queryLogs } from "../chain/logs.js";
import { sendAndWait, TxRevertedError } from "../chain/send.js";
import type { DerivedParams } from "../model/params.js";
import { DEV_CHAIN_IDS } from "../proving/manifest.js";
import type { Log } from "../util/log.js";
import { type Deployment, deploymentParams } from "./deployment.js";

/** Why a fetch failed, in a few words (ECONNREFUSED, a timeout, ...). */
export function fetchFailure(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return "no answer within the timeout";
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

/** Connects to a JSON-RPC node after checking that it answers eth_chainId. destroy() the provider when done. */
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
    throw new Error(`cannot reach the L1 node at ${url}: ${fetchFailure(e)}`, { cause: e });
  }
  // cacheTimeout -1: no request caching, so quick successive sends never reuse a nonce (hardhat node).
  const provider = new JsonRpcProvider(url, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 });
  return { provider, chainId };
}

/** Hardhat's and Anvil's default mnemonic: its private keys are public. */
const DEV_MNEMONIC = "test test test test test test test test test test test junk";

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

/** The deployed rollup as the operations use it. */
export interface RollupConnection {
  provider: Provider;
  chainId: bigint;
  deployment: Deployment;
  params: DerivedParams;
  /** Connected to the signer if there is one, else to the provider. */
  rollup: RollupContract;
  /** The L1 account that signs, and its address (operations that send need one: signerOf). */
  signer?: Signer;
  signerAddress?: string;
  /** How this node's eth_getLogs is chunked (shared by the connection's queries). */
  logs: LogQueryOptions;
}

export interface ConnectRollupOptions {
  deployment: Deployment;
  provider: Provider;
  /** Signs the operations' transactions; connected to `provider`. */
  signer?: Signer;
  /** Largest block range per eth_getLogs request (default src/chain/logs.ts DEFAULT_MAX_LOG_RANGE). */
  maxLogRange?: number;
  /** How errors name the node (default "the L1 node"). */
  url?: string;
}

/**
 * The deployment's rollup through `provider`, after checking that the node is on the deployment's
 * chain, that the rollup's code is there, and that the signer's key is not a public development
 * key on a chain that is not a development chain.
 */
export async function connectRollup(o: ConnectRollupOptions): Promise<RollupConnection> {
  const { deployment, provider, signer } = o;
  const where = o.url ?? "the L1 node";
  const chainId = (await provider.getNetwork()).chainId;
  if (chainId.toString() !== deployment.chainId) {
    throw new Error(`the node at ${where} is chain ${chainId}, but the deployment is on chain ${deployment.chainId}`);
  }
  if ((await provider.getCode(deployment.rollup)) === "0x") {
    throw new Error(`no contract at the rollup address ${deployment.rollup} on ${where} (a restarted local chain? deploy again)`);
  }
  const signerAddress = signer ? getAddress(await signer.getAddress()) : undefined;
  if (signerAddress) assertKeyAllowedOnChain(signerAddress, chainId);
  const rollup = rollupAt(deployment.rollup, signer ?? provider);
  const logs = o.maxLogRange === undefined ? {} : { window: logWindow(o.maxLogRange) };
  return { provider, chainId, deployment, params: deploymentParams(deployment), rollup, signer, signerAddress, logs };
}

/** The signer of a connection made with one, and its address. */
export function signerOf(c: Pick<RollupConnection, "signer" | "signerAddress">): { signer: Signer; address: string } {
  if (!c.signer || !c.signerAddress) throw new Error("internal: the rollup was opened without a signer");
  return { signer: c.signer, address: c.signerAddress };
}

/** Sends a transaction and waits for it; a revert becomes "`what` reverted: CustomError(args)". */
export async function sendTx(what: string, iface: Interface, tx: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  try {
    return await sendAndWait(tx, iface, { what });
  } catch (e) {
    if (e instanceof TxRevertedError) throw e;
    throw new Error(`${what} failed: ${ethersMessage(e)}`, { cause: e });
  }
}

/** The short form of an ethers error (its full message carries the whole request). */
function ethersMessage(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string };
  return err.shortMessage ?? err.message ?? String(e);
}

/** Fee paid by a mined transaction, in wei. */
export function gasCost(r: TransactionReceipt): bigint {
  return r.gasUsed * r.gasPrice;
}

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
export async function waitL1Processed(
  c: Pick<RollupConnection, "rollup" | "deployment" | "provider" | "logs">,
  queueIndex: bigint,
  timeoutMs: number,
  log: Log = () => {},
): Promise<bigint> {
  const { rollup } = c;
  log(`waiting for a proven batch to include L1 operation #${queueIndex}…`);
  await poll(`L1 operation #${queueIndex} to be processed (is the sequencer running?)`, timeoutMs, async () => {
    if ((await rollup.l1Processed()) > queueIndex) return true;
    if (await rollup.escapeMode()) throw new Error(`the rollup is in escape mode: L1 operation #${queueIndex} will never be processed (see zkr escape refund)`);
    return undefined;
  });
  let consumed = 0n;
  for (const ev of await queryLogs(rollup, rollup.filters.BatchSubmitted!(), c.deployment.deployBlock, await c.provider.getBlockNumber(), c.logs)) {
    if (!("args" in ev)) continue;
    consumed += ev.args.l1Count as bigint;
    if (consumed > queueIndex) return ev.args.batchNumber as bigint;
  }
  throw new Error(`L1 operation #${queueIndex} is processed but no BatchSubmitted event covers it`);
}
