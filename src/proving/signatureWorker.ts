// A worker thread of SignatureVerifierPool (signaturePool.ts): checks batches of signatures
// with the native addon (loaded from the file the pool built, with the pool's constants) or with
// circomlibjs's EdDSA (keys.ts verifySignature), and answers each batch with its results; and
// computes tree plans (src/model/treePlan.ts) with the same engine's Poseidon. Nothing in a
// signature check catches: an exception (a value that is not a BigInt, a failure of the engine)
// ends the worker, and the pool rejects the batches it had and starts another. A plan that
// cannot be computed is answered with its error.
import { parentPort, workerData } from "node:worker_threads";
import { eddsaImpl, type Hasher, poseidonHasher } from "../model/crypto.js";
import { verifySignature } from "../model/keys.js";
import { treeZeros } from "../model/tree.js";
import { runTreePlan } from "../model/treePlan.js";
import { loadAddon } from "./nativeCrypto.js";
import type { SignatureWorkerData, SignatureWorkerMessage, SignatureWorkerReply, SignatureWorkerRequest } from "./signaturePool.js";

type Check = (item: SignatureWorkerRequest["items"][number]) => boolean;

async function engine(data: SignatureWorkerData): Promise<{ check: Check; hash: Hasher }> {
  if (data.engine === "native") {
    const addon = loadAddon(data.addon, data.constants);
    return { check: (i) => addon.verify(...i), hash: await poseidonHasher({ engine: "native", native: async () => addon }) };
  }
  const eddsa = await eddsaImpl();
  return {
    check: ([domain, word, R8x, R8y, S, ax, ay]) => verifySignature(eddsa, { domain, word }, { R8x, R8y, S }, ax, ay),
    hash: await poseidonHasher({ engine: "js" }),
  };
}

const port = parentPort!;
// Not caught: an engine that does not load is an unhandled rejection, which ends the worker
// before it is ready (the pool then fails with its message).
void engine(workerData as SignatureWorkerData).then(({ check, hash }) => {
  const zeros = new Map<number, bigint[]>(); // by depth
  port.on("message", (req: SignatureWorkerMessage) => {
    if ("tree" in req) {
      let reply: SignatureWorkerReply;
      try {
        const z = zeros.get(req.tree.depth) ?? zeros.set(req.tree.depth, treeZeros(hash, req.tree.depth)).get(req.tree.depth)!;
        reply = { type: "tree", id: req.id, result: runTreePlan(hash, req.tree, z) };
      } catch (e) {
        reply = { type: "tree-error", id: req.id, message: (e as Error).message };
      }
      port.postMessage(reply);
      return;
    }
    const results = new Uint8Array(req.items.length);
    req.items.forEach((item, i) => (results[i] = check(item) ? 1 : 0));
    port.postMessage({ type: "results", id: req.id, results } satisfies SignatureWorkerReply);
  });
  port.postMessage({ type: "ready" } satisfies SignatureWorkerReply);
});
