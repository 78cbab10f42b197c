// A worker thread of SignatureVerifierPool (signaturePool.ts): checks batches of signatures
// with the native addon (loaded from the file the pool built, with the pool's constants) or with
// circomlibjs's EdDSA (keys.ts verifySignature), and answers each batch with its results.
// Nothing here catches: an exception (a value that is not a BigInt, a failure of the engine)
// ends the worker, and the pool rejects the batches it had and starts another.
import { parentPort, workerData } from "node:worker_threads";
import { eddsaImpl } from "../model/crypto.js";
import { verifySignature } from "../model/keys.js";
import { loadAddon } from "./nativeCrypto.js";
import type { SignatureWorkerData, SignatureWorkerReply, SignatureWorkerRequest } from "./signaturePool.js";

type Check = (item: SignatureWorkerRequest["items"][number]) => boolean;

async function engine(data: SignatureWorkerData): Promise<Check> {
  if (data.engine === "native") {
    const addon = loadAddon(data.addon, data.constants);
    return (i) => addon.verify(...i);
  }
  const eddsa = await eddsaImpl();
  return ([domain, word, R8x, R8y, S, ax, ay]) => verifySignature(eddsa, { domain, word }, { R8x, R8y, S }, ax, ay);
}

const port = parentPort!;
// Not caught: an engine that does not load is an unhandled rejection, which ends the worker
// before it is ready (the pool then fails with its message).
void engine(workerData as SignatureWorkerData).then((check) => {
  port.on("message", (req: SignatureWorkerRequest) => {
    const results = new Uint8Array(req.items.length);
    req.items.forEach((item, i) => (results[i] = check(item) ? 1 : 0));
    port.postMessage({ type: "results", id: req.id, results } satisfies SignatureWorkerReply);
  });
  port.postMessage({ type: "ready" } satisfies SignatureWorkerReply);
});
