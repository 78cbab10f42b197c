// Client of the sequencer's HTTP API (src/sequencer/api.ts, its bodies in src/sequencer/wire.ts),
// and the L2 side of the CLI: sign a transfer or exit with the wallet key for the sender's next
// nonce, submit it, follow it.
import { loadCrypto } from "../model/crypto.js";
import { signTransfer, transferToJSON } from "../model/tx.js";
import type { AccountsBody, AccountView, ErrorBody, StatusView, TxStatus, TxView } from "../sequencer/wire.js";
import { type Config, deploymentParams } from "./config.js";
import { fetchFailure, poll, type Tokens } from "./connect.js";
import { parseL2Amounts } from "./units.js";

/** An error answer of the API: its HTTP status and code (UNKNOWN_ACCOUNT, BAD_NONCE, ...). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class SequencerClient {
  constructor(readonly url: string) {}

  status(): Promise<StatusView> {
    return this.request("GET", "/v1/status");
  }

  account(index: bigint): Promise<AccountView> {
    return this.request("GET", `/v1/accounts/${index}`);
  }

  async accountsOf(ax: bigint, ay: bigint): Promise<AccountView[]> {
    return (await this.request<AccountsBody>("GET", `/v1/accounts?ax=${ax}&ay=${ay}`)).accounts;
  }

  /** POSTs `body` as it is: a SubmitTxBody (anything else gets the sequencer's 400). */
  submitTx(body: unknown): Promise<TxView> {
    return this.request("POST", "/v1/txs", body);
  }

  tx(id: string): Promise<TxView> {
    return this.request("GET", `/v1/txs/${id}`);
  }

  private async request<T>(method: "GET" | "POST", route: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.url + route, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (e) {
      throw new Error(`cannot reach the sequencer at ${this.url}: ${fetchFailure(e)} (is \`zkr sequencer\` running? see --sequencer / ZKR_SEQUENCER)`);
    }
    const json = (await res.json().catch(() => undefined)) as Partial<ErrorBody> | undefined;
    if (json === undefined) throw new Error(`the sequencer at ${this.url} answered ${method} ${route} with HTTP ${res.status} and no JSON`);
    if (!res.ok) {
      const code = json.error?.code ?? `HTTP_${res.status}`;
      throw new ApiError(res.status, code, `sequencer: ${json.error?.message ?? `HTTP ${res.status}`} (${code})`);
    }
    return json as T;
  }
}

/** The sequencer of the configured deployment, checked to serve that rollup on that chain. */
export async function sequencerFor(cfg: Config): Promise<SequencerClient> {
  const client = new SequencerClient(cfg.need("sequencer"));
  const d = cfg.deployment();
  const s = await client.status();
  if (s.chainId !== d.chainId || s.rollup.toLowerCase() !== d.rollup.toLowerCase()) {
    throw new Error(`the sequencer at ${client.url} serves rollup ${s.rollup} on chain ${s.chainId}, not the deployment's ${d.rollup} on chain ${d.chainId}`);
  }
  return client;
}

export interface L2TxRequest {
  from: bigint;
  /** 0 for an exit. */
  to: bigint;
  amount: string;
  fee: string;
}

/**
 * Signs an L2 transaction with the wallet key for the sender's next nonce and submits it.
 * Checks first that the wallet's key is the sender's, and converts the amounts with the
 * sender's token decimals.
 */
export async function submitL2Tx(cfg: Config, client: SequencerClient, tokens: Tokens, req: L2TxRequest): Promise<{ tx: TxView; tokenId: bigint; amount: bigint; fee: bigint }> {
  const d = cfg.deployment();
  const [key, sender] = await Promise.all([cfg.wallet(), client.account(req.from)]);
  if (BigInt(sender.ax) !== key.ax || BigInt(sender.ay) !== key.ay) {
    throw new Error(`account #${req.from} belongs to another L2 key than the one in ${cfg.need("wallet")}`);
  }
  const tokenId = BigInt(sender.tokenId);
  const { amount, fee } = parseL2Amounts(req.amount, req.fee, (await tokens.info(tokenId)).decimals);
  const crypto = await loadCrypto();
  const domain = { chainId: BigInt(d.chainId), rollupAddress: BigInt(d.rollup) };
  const signed = signTransfer(crypto.hash, key, { from: req.from, to: req.to, amount, fee, nonce: BigInt(sender.nextNonce) }, domain, deploymentParams(d));
  return { tx: await client.submitTx(transferToJSON(signed)), tokenId, amount, fee };
}

/**
 * Default wait for a transaction to be final: half an hour, since the L1's finalized block trails
 * the head by two epochs (about 13 minutes on Ethereum) after the batch is proven and included.
 */
export const FINAL_WAIT_S = 1800;

/**
 * Follows a transaction until it is final on L1 (returns it) or rejected (throws), logging each
 * step (an L1 reorganisation may move it back before it is final: logged too).
 */
export async function waitFinal(client: SequencerClient, id: string, timeoutMs: number, log: (m: string) => void): Promise<TxView> {
  let last: TxStatus | undefined;
  const tx = await poll(`transaction ${id} to become final`, timeoutMs, async () => {
    const t = await client.tx(id);
    if (t.status !== last) {
      last = t.status;
      log(`transaction ${t.status}${t.batch !== null ? ` (batch ${t.batch})` : ""}`);
    }
    return t.status === "final" || t.status === "rejected" ? t : undefined;
  });
  if (tx.status === "rejected") throw new Error(`transaction ${id} was rejected: ${tx.reason ?? "no reason given"}`);
  return tx;
}
