// Client of the sequencer's HTTP API (src/sequencer/api.ts, its bodies in src/sequencer/wire.ts): accounts, transactions, status, and
// following a transaction until it is final on L1.
import type { Log } from "../util/log.js";
import type { AccountsBody, AccountView, ErrorBody, StatusView, TxStatus, TxView } from "../sequencer/wire.js";
import { fetchFailure, poll } from "./connect.js";
import type { Deployment } from "./deployment.js";

// The request and answer bodies are the server's own types (src/sequencer/wire.ts).
export type { AccountView, BatchInFlightView, RetryView, StatusView, TxStatus, TxView } from "../sequencer/wire.js";

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
      throw new Error(`cannot reach the sequencer at ${this.url}: ${fetchFailure(e)} (is \`zkr sequencer\` running? see --sequencer / ZKR_SEQUENCER)`, {
        cause: e,
      });
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

/** Checks that the sequencer behind `client` serves the deployment's rollup on its chain. */
export async function checkSequencer(client: SequencerClient, d: Pick<Deployment, "chainId" | "rollup">): Promise<StatusView> {
  const s = await client.status();
  if (s.chainId !== d.chainId || s.rollup.toLowerCase() !== d.rollup.toLowerCase()) {
    throw new Error(`the sequencer at ${client.url} serves rollup ${s.rollup} on chain ${s.chainId}, not the deployment's ${d.rollup} on chain ${d.chainId}`);
  }
  return s;
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
export async function waitFinal(client: SequencerClient, id: string, timeoutMs: number, log: Log = () => {}): Promise<TxView> {
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
