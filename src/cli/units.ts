// Values as users type them on the command line: L2 amounts and fees (decimal strings in whole
// tokens, src/util/amounts.ts) checked to have exact compact encodings, and commander parsers of
// integer and ETH flags, and the instance and ptau options of the setup commands.
import { FLOAT40, FLOAT8, type FloatFormat, isRepresentable } from "../model/float.js";
import { type Command, InvalidArgumentError } from "commander";
import { getInstance, TEST_INSTANCE } from "../proving/instances.js";
import { DEV_CONFIRMATIONS, type Finality, parseFinality } from "../sequencer/finality.js";
import { formatAmount, parseAmount } from "../util/amounts.js";

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

/** The --confirmations option of the commands that run a sequencer. */
export const CONFIRMATIONS_HELP =
  `when an included batch is final: "finalized" (the L1 node's finalized block) or a number of confirmations (1 = once mined); ` +
  `default: finalized, or ${DEV_CONFIRMATIONS} on a local development chain`;

/** Parses --confirmations for commander (a user mistake is one line). */
export function confirmationsArg(v: string): Finality {
  return parseFinality(v);
}

/** The options of a command that sets up an instance from a ptau: --instance, --ptau and --ptau-sha256. */
export function withInstanceAndPtau(cmd: Command): Command {
  return cmd
    .option("-i, --instance <name>", "circuit instance from circuits/instances.json", TEST_INSTANCE)
    .option("--ptau <file>", "ceremony powers-of-tau file (without it: an insecure development ptau)")
    .option("--ptau-sha256 <hex>", "sha256 the ceremony ptau must have");
}

/** What withInstanceAndPtau's options ask for, checked: a registered instance, and a ceremony ptau with its sha256 or none. */
export function instanceAndPtau(o: { instance: string; ptau?: string; ptauSha256?: string }): { instance: string; ptau?: { path: string; sha256: string } } {
  getInstance(o.instance);
  if (Boolean(o.ptau) !== Boolean(o.ptauSha256)) throw new Error("--ptau and --ptau-sha256 go together");
  return { instance: o.instance, ptau: o.ptau ? { path: o.ptau, sha256: o.ptauSha256! } : undefined };
}
