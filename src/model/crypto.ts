import type { EdDSA } from "circomlibjs";
import { eddsaImpl, poseidonImpl, SNARK_FIELD } from "./circomlib.js";
import { type CryptoEngineName, type CryptoOptions, engineFor, type NativeCryptoFunctions } from "./engine.js";
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

export {
  CRYPTO_CHOICES,
  cryptoChoice,
  type CryptoChoice,
  type CryptoEngineName,
  type CryptoOptions,
  type NativeCryptoFunctions,
  setCryptoEngine,
} from "./engine.js";

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
