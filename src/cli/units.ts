// Amounts as users type and read them: decimal strings ("1.5") in whole tokens, converted
// exactly to base units with the token's decimals (18 for ETH). Nothing is ever rounded.
import { FLOAT40, FLOAT8, type FloatFormat, isRepresentable } from "../model/float.js";
import { InvalidArgumentError } from "commander";

/** "1.5" → 1500000000000000000n for 18 decimals; throws on anything that is not exact. */
export function parseAmount(text: string, decimals: number, what = "amount"): bigint {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`${what} "${text}" is not a decimal number like 1.5`);
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new Error(`${what} "${text}" has ${frac.length} decimals, the token has ${decimals}`);
  return BigInt(m[1]! + frac.padEnd(decimals, "0"));
}

/** 1500000000000000000n → "1.5" for 18 decimals. */
export function formatAmount(value: bigint, decimals: number): string {
  const neg = value < 0n;
  const s = (neg ? -value : value).toString().padStart(decimals + 1, "0");
  const int = s.slice(0, s.length - decimals);
  const frac = s.slice(s.length - decimals).replace(/0+$/, "");
  return `${neg ? "-" : ""}${int}${frac ? `.${frac}` : ""}`;
}

/** An amount and fee of an L2 transaction, checked to have exact compact encodings. */
export function parseL2Amounts(amount: string, fee: string, decimals: number): { amount: bigint; fee: bigint } {
  const a = parseAmount(amount, decimals, "amount");
  const f = parseAmount(fee, decimals, "fee");
  if (a === 0n) throw new Error("amount must be more than 0");
  exact(FLOAT40, a, "amount", amount, "m·10^e base units with m < 2^35: about 10 significant digits");
  exact(FLOAT8, f, "fee", fee, `m·10^e base units with m ≤ 15, e ≤ 15: at most ${formatAmount(15n * 10n ** 15n, decimals)}`);
  return { amount: a, fee: f };
}

function exact(f: FloatFormat, value: bigint, what: string, text: string, hint: string): void {
  if (!isRepresentable(f, value)) throw new Error(`${what} ${text} cannot be posted exactly as a ${f.name} (${hint})`);
}

/** Commander parser of an integer flag in [min, max] (account index, queue index, port, ...). */
export function intArg(what: string, min = 0n, max = (1n << 64n) - 1n): (v: string) => bigint {
  return (v: string) => {
    if (!/^\d{1,20}$/.test(v) || BigInt(v) < min || BigInt(v) > max) {
      throw new InvalidArgumentError(`${what} must be an integer from ${min} to ${max}`);
    }
    return BigInt(v);
  };
}

/** Commander parser of an ETH amount flag ("0.001"), to wei. */
export function ethArg(what: string): (v: string) => bigint {
  return (v: string) => {
    try {
      return parseAmount(v, 18, what);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

/** Commander parser of a small integer flag (port, milliseconds) in [min, max]. */
export function numArg(what: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => Number(intArg(what, BigInt(min), BigInt(max))(v));
}

/**
 * Parses --witness (wasm | cpp | auto) and makes it the process's $ZKR_WITNESS, which every
 * Prover here and in its proving child processes reads (src/proving/prover.ts).
 */
export function witnessArg(v: string): string {
  if (!["wasm", "cpp", "auto"].includes(v)) throw new Error(`--witness must be wasm, cpp or auto, got "${v}"`);
  process.env.ZKR_WITNESS = v;
  return v;
}

/** The --witness option's description, shared by the commands that prove. */
export const WITNESS_HELP =
  "witness calculator: wasm, cpp (circom's C++ generator: 3-5x faster, built once per circuit with g++, see scripts/ensure-witness-toolchain.sh) or auto (cpp if it builds, else wasm); default $ZKR_WITNESS or wasm";
