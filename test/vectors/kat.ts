// The known-answer vectors of test/vectors/kat.json (written by scripts/gen-vectors.ts), typed,
// for the model, circuit and contract tests that check them.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { KatVectors } from "../../scripts/gen-vectors.js";
import type { L1Op } from "../../src/model/l1op.js";

export const KAT_PATH = path.join(path.dirname(fileURLToPath(import.meta.url)), "kat.json");

/** The committed vectors, as read from disk (not regenerated). */
export const kat: KatVectors = JSON.parse(readFileSync(KAT_PATH, "utf8"));

/** A vector's number: decimal or 0x-hex string (or a small JSON number). */
export const big = (s: string | number): bigint => BigInt(s);

/** An L1-operation vector (of the chain, or the widest one) as the model's L1Op. */
export const katL1Op = (v: KatVectors["l1Op"]["chain"][number] | KatVectors["l1Op"]["widest"]): L1Op => ({
  kind: v.kind,
  accountIdx: big(v.accountIdx),
  tokenId: big(v.tokenId),
  amount: big(v.amount),
  owner: big(v.owner),
  ax: big(v.ax),
  ay: big(v.ay),
});
