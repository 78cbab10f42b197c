// HTTP JSON API of the sequencer (fastify). Errors are {"error": {"code", "message"}} with a
// 4xx status, or 503 when the service cannot take the transaction now (MEMPOOL_FULL,
// FEE_ACCOUNT_FULL); nothing is changed by a rejected request.
import Fastify, { type FastifyInstance } from "fastify";
import { SubmitError } from "./admission.js";
import type { Sequencer } from "./service.js";
import type { BatchRecord } from "./store.js";
import { type AccountsBody, accountView, type AccountView, type BatchView, batchView, type ErrorBody, type StatusView, type TxView, txView } from "./wire.js";

/** Largest request body accepted (a signed transaction is well under 1 KiB). */
export const BODY_LIMIT = 8 * 1024;

const UINT = /^[0-9]{1,78}$/;

export function buildApi(seq: Sequencer, store: { batch(n: number): BatchRecord | undefined }): FastifyInstance {
  const app = Fastify({ bodyLimit: BODY_LIMIT, logger: false });
  app.removeContentTypeParser("text/plain"); // JSON only: anything else is 415

  const fail = (status: number, code: string, message: string) => Object.assign(new Error(message), { statusCode: status, code });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    let status = err.statusCode ?? 500;
    let code = err.code ?? "INTERNAL";
    const ours = err instanceof SubmitError; // its message is meant for the client, 503 included
    if (err instanceof SubmitError) [status, code] = [err.status, err.code];
    else if (code === "FST_ERR_CTP_BODY_TOO_LARGE") code = "BODY_TOO_LARGE";
    else if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") code = "UNSUPPORTED_MEDIA_TYPE";
    else if (status === 400 && code.startsWith("FST_")) code = "BAD_REQUEST";
    reply.status(status).send({ error: { code, message: status >= 500 && !ours ? "internal error" : err.message } } satisfies ErrorBody);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: "NOT_FOUND", message: `no route ${req.method} ${req.url}` } } satisfies ErrorBody),
  );

  app.post("/v1/txs", async (req, reply): Promise<TxView> => {
    const rec = await seq.submitTx(req.body); // on disk once this resolves
    reply.status(202);
    return txView(rec);
  });

  app.get<{ Params: { id: string } }>("/v1/txs/:id", async (req): Promise<TxView> => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(req.params.id)) throw fail(400, "BAD_REQUEST", "a transaction id is 0x and 64 hex digits");
    const rec = seq.txStatus(req.params.id);
    if (!rec) throw fail(404, "NOT_FOUND", `no transaction ${req.params.id}`);
    return txView(rec);
  });

  app.get<{ Params: { index: string } }>("/v1/accounts/:index", async (req): Promise<AccountView> => {
    if (!UINT.test(req.params.index)) throw fail(400, "BAD_REQUEST", "an account index is a non-negative integer");
    const index = BigInt(req.params.index);
    const a = seq.state.account(index);
    if (!a) throw fail(404, "UNKNOWN_ACCOUNT", `no account at index ${index}`);
    return accountView(index, a, seq.nextNonce(index)!);
  });

  app.get<{ Querystring: { ax?: string; ay?: string; owner?: string } }>("/v1/accounts", async (req): Promise<AccountsBody> => {
    const { ax, ay, owner } = req.query;
    const byKey = ax !== undefined && ay !== undefined && owner === undefined && UINT.test(ax) && UINT.test(ay);
    const byOwner = ax === undefined && ay === undefined && owner !== undefined && /^0x[0-9a-fA-F]{40}$/.test(owner);
    if (!byKey && !byOwner) throw fail(400, "BAD_REQUEST", "query by public key: ?ax=…&ay=… (decimal), or by L1 owner: ?owner=0x… (40 hex digits)");
    // Through the state's indexes by public key and by owner: the cost does not grow with the number of accounts.
    const state = seq.state;
    const found = byKey ? state.accountsOf(BigInt(ax), BigInt(ay)) : state.accountsOfOwner(BigInt(owner!));
    return { accounts: found.map((i) => accountView(i, state.account(i)!, seq.nextNonce(i)!)) };
  });

  app.get<{ Params: { number: string } }>("/v1/batches/:number", async (req): Promise<BatchView> => {
    if (!/^[0-9]{1,9}$/.test(req.params.number)) throw fail(400, "BAD_REQUEST", "a batch number is a positive integer");
    const b = store.batch(Number(req.params.number));
    if (!b) throw fail(404, "NOT_FOUND", `no batch ${req.params.number}`);
    return batchView(b);
  });

  app.get("/v1/status", async (): Promise<StatusView> => seq.status());

  return app;
}
