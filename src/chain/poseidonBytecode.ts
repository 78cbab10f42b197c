import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { concatBytes, toBytesBE, toHex } from "../model/bytes.js";

/**
 * The constants of contracts/Poseidon8.sol (Poseidon over 8 inputs, t = 9, in circomlib's
 * optimised form): deployed as two data contracts whose code is 0x00 (a STOP byte: calling them
 * does nothing) followed by 32-byte big-endian words, taken from circomlibjs's optimised constants
 * (the same permutation src/model/crypto.ts hashes with): C (135), M transposed (81), P transposed (81),
 * S (1,071); words [0, 767) in the first contract, the rest in the second.
 */
const T = 9;
const WORDS0 = 767;

interface OptConstants {
  C: string[][];
  S: string[][];
  M: string[][][];
  P: string[][][];
}

function constants(): OptConstants {
  // circomlibjs's package exports hide src/; its constants JSON sits next to build/main.cjs.
  const main = createRequire(import.meta.url).resolve("circomlibjs");
  const file = path.join(path.dirname(main), "..", "src", "poseidon_constants_opt.json");
  return JSON.parse(readFileSync(file, "utf8")) as OptConstants;
}

const transpose = (m: string[][]) => m[0]!.map((_, i) => m.map((row) => row[i]!));

/** All table words in order: C, Mᵀ, Pᵀ, S. */
export function poseidon8TableWords(): bigint[] {
  const { C, S, M, P } = constants();
  const parts = [C[T - 2]!, transpose(M[T - 2]!).flat(), transpose(P[T - 2]!).flat(), S[T - 2]!];
  const sizes = parts.map((x) => x.length);
  if (sizes.join() !== "135,81,81,1071") throw new Error(`unexpected circomlibjs Poseidon constants for t = 9: ${sizes.join()}`);
  return parts.flat().map((x) => BigInt(x));
}

/** Creation code of a data contract: copies its runtime (0x00 ‖ words) out of itself and returns it. */
function dataContractInitcode(words: bigint[]): string {
  const runtime = concatBytes([Uint8Array.of(0), ...words.map((w) => toBytesBE(w, 32))]);
  const len = runtime.length;
  if (len > 0x6000) throw new Error("a Poseidon table exceeds the 24 KiB contract size limit");
  const l = len.toString(16).padStart(4, "0");
  // PUSH2 len, PUSH1 14, PUSH1 0, CODECOPY (dest 0, offset 14, size len), PUSH2 len, PUSH1 0, RETURN
  return "0x" + `61${l}600e600039` + `61${l}6000f3` + toHex(runtime).slice(2);
}

/** Creation codes of Poseidon8.sol's two constants contracts (table0, table1). */
export function poseidon8TableInitcodes(): [string, string] {
  const words = poseidon8TableWords();
  return [dataContractInitcode(words.slice(0, WORDS0)), dataContractInitcode(words.slice(WORDS0))];
}
