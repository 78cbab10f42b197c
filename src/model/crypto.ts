import type { EdDSA } from "circomlibjs";
import { eddsaImpl, poseidonImpl, SNARK_FIELD } from "./circomlib.js";
import { verifySignature, type Signature, type SignatureMessage } from "./keys.js";

// The crypto the state model computes with — Poseidon and the Schnorr-128 signature check —
// from one of two engines with the same answers on every input: zkr's native addon
// (native/crypto, C++, built at first use by src/proving/nativeCrypto.ts) or circomlibjs (the
// reference, in JS and wasm). The model does no I/O, so it cannot build or load the addon
// itself: the process hands it the loader (setCryptoEngine; src/cli/config.ts
// applyProcessSettings does, from $ZKR_CRYPTO), and a process that does not computes with
// circomlibjs.

export { eddsaImpl, poseidonImpl, SNARK_FIELD };

/** BN254 base field modulus q: every curve coordinate (of a proof, a verification key, a zkey or a ptau) is below it. */
export const BN254_BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

/** Synchronous Poseidon over bigints: inputs must be field elements, 1..16 of them. */
export type Hasher = (inputs: bigint[]) => bigint;

/** The Schnorr-128 rule of keys.ts verifySignature: whether `sig` signs `m` for the public key (ax, ay). */
export type SignatureVerifier = (m: SignatureMessage, sig: Signature, ax: bigint, ay: bigint) => boolean;

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
interface ResolvedEngine {
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
function engineFor(opts?: CryptoOptions): Promise<ResolvedEngine> {
  return opts ? resolveEngine(opts) : (processEngine ??= resolveEngine(processOptions));
}

function outOfField(inputs: bigint[]): Error {
  const x = inputs.find((v) => !(v >= 0n && v < SNARK_FIELD));
  return new Error(`Poseidon input out of field: ${x}`);
}

function checkCount(n: number): void {
  if (n < 1 || n > 16) throw new Error(`Poseidon takes 1 to 16 inputs, got ${n}`);
}

function nativeHasher(f: NativeCryptoFunctions): Hasher {
  return (inputs: bigint[]) => {
    checkCount(inputs.length);
    const h = f.poseidon(...inputs);
    if (h === undefined) throw outOfField(inputs);
    return h;
  };
}

async function jsHasher(): Promise<Hasher> {
  const p = await poseidonImpl();
  return (inputs: bigint[]) => {
    checkCount(inputs.length);
    for (const x of inputs) if (x < 0n || x >= SNARK_FIELD) throw outOfField(inputs);
    return p.F.toObject(p(inputs));
  };
}

/** A synchronous bigint Poseidon hasher (the process's engine unless `opts` names one); `await` it once, then call it freely. */
export async function poseidonHasher(opts?: CryptoOptions): Promise<Hasher> {
  const e = await engineFor(opts);
  return e.native ? nativeHasher(e.native) : jsHasher();
}

/** The primitives the state model needs, loaded once: a synchronous Poseidon, the signature check and circomlibjs's EdDSA (to sign). */
export interface ZkrCrypto {
  hash: Hasher;
  verify: SignatureVerifier;
  eddsa: EdDSA;
  /** The engine hash and verify compute with. */
  engine: CryptoEngineName;
}

/** The state model's crypto, with the process's engine unless `opts` names one (see setCryptoEngine). */
export async function loadCrypto(opts?: CryptoOptions): Promise<ZkrCrypto> {
  const [e, eddsa] = await Promise.all([engineFor(opts), eddsaImpl()]);
  if (!e.native) return { hash: await jsHasher(), verify: (m, sig, ax, ay) => verifySignature(eddsa, m, sig, ax, ay), eddsa, engine: "js" };
  const f = e.native;
  return {
    hash: nativeHasher(f),
    verify: (m, sig, ax, ay) => f.verify(m.domain, m.word, sig.R8x, sig.R8y, sig.S, ax, ay),
    eddsa,
    engine: "native",
  };
}
