// Which engine the crypto of this process computes with (src/model/crypto.ts, keys.ts L2Key.sign):
// zkr's native addon, through the loader the process hands over (setCryptoEngine), or circomlibjs.
// Its own module so that crypto.ts and keys.ts both read it without importing each other.

export type CryptoEngineName = "native" | "js";

/** "auto": native where the addon builds and loads, else js, the reason logged once. */
export type CryptoChoice = CryptoEngineName | "auto";

export const CRYPTO_CHOICES: readonly CryptoChoice[] = ["auto", "native", "js"];

/**
 * The native engine's functions as the addon exports them (native/crypto/addon.cpp): `poseidon`
 * answers undefined for an input out of the field, `verify` false for any value out of range.
 */
export interface NativeCryptoFunctions {
  poseidon(...inputs: bigint[]): bigint | undefined;
  verify(domain: bigint, word: bigint, R8x: bigint, R8y: bigint, S: bigint, ax: bigint, ay: bigint): boolean;
  /** k·Base8 (affine x, y) for 0 ≤ k < l, in constant time (a signature's R8; k its secret nonce). */
  mulBase8(k: bigint): [bigint, bigint];
}

export interface CryptoOptions {
  /** Which engine (default "auto"). */
  engine?: CryptoChoice;
  /** Builds and loads the native engine, or throws why it cannot (src/proving/nativeCrypto.ts loadNativeCrypto). */
  native?: () => Promise<NativeCryptoFunctions>;
  /** Where "auto" says why it computes with circomlibjs (default: nowhere). */
  log?: (msg: string) => void;
}

let processOptions: CryptoOptions = {};
let processEngine: Promise<ResolvedEngine> | undefined;

/** The engine choice setCryptoEngine was given ("auto" when none): a child process is handed it. */
export function cryptoChoice(): CryptoChoice {
  return processOptions.engine ?? "auto";
}

/**
 * Sets the process's crypto engine (the options loadCrypto and poseidonHasher use when given
 * none). Entry points call it at start-up from their configuration: src/cli/config.ts
 * applyProcessSettings ($ZKR_CRYPTO).
 */
export function setCryptoEngine(opts: CryptoOptions): void {
  processOptions = opts;
  processEngine = undefined;
}

/** The engine chosen: the native functions, or none for circomlibjs. */
export interface ResolvedEngine {
  native?: NativeCryptoFunctions;
}

async function resolveEngine(opts: CryptoOptions): Promise<ResolvedEngine> {
  const choice = opts.engine ?? "auto";
  if (!CRYPTO_CHOICES.includes(choice)) throw new Error(`the crypto engine is auto, native or js, got "${String(choice)}"`);
  if (choice === "js") return {};
  if (!opts.native) {
    if (choice === "native")
      throw new Error("native crypto unavailable: this process has no native crypto loader (src/cli/config.ts applyProcessSettings sets it)");
    return {};
  }
  try {
    return { native: await opts.native() };
  } catch (e) {
    if (choice === "native") throw e;
    opts.log?.(`${(e as Error).message}; Poseidon and signatures are computed with circomlibjs`);
    return {};
  }
}

/** The engine of `opts`, or the process's (resolved once per process: "auto" logs its reason once). */
export function engineFor(opts?: CryptoOptions): Promise<ResolvedEngine> {
  return opts ? resolveEngine(opts) : (processEngine ??= resolveEngine(processOptions));
}

/**
 * What L2Key.sign computes with on the native engine: k·Base8 and Poseidon (undefined on
 * circomlibjs, which it then uses itself). The process's engine unless `opts` names one.
 */
export async function signingPrimitives(opts?: CryptoOptions): Promise<SigningPrimitives | undefined> {
  return (await engineFor(opts)).native;
}

export type SigningPrimitives = Pick<NativeCryptoFunctions, "mulBase8" | "poseidon">;
