import type { EdDSA, Poseidon } from "circomlibjs";

/** BN254 scalar field order: the field of circom signals and of Groth16 public inputs. */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** BN254 base field modulus q: every curve coordinate (of a proof, a verification key, a zkey or a ptau) is below it. */
export const BN254_BASE_FIELD = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;

let poseidonP: Promise<Poseidon> | undefined;
let eddsaP: Promise<EdDSA> | undefined;

// circomlibjs is loaded on first use, not with this module: it takes seconds to load, and most
// zkr commands never hash or sign.

/** circomlibjs Poseidon, built once per process. */
export function poseidonImpl(): Promise<Poseidon> {
  return (poseidonP ??= import("circomlibjs").then((c) => c.buildPoseidon()));
}

/** circomlibjs EdDSA (BabyJubJub and Poseidon; src/model/keys.ts signs with them), built once per process. */
export function eddsaImpl(): Promise<EdDSA> {
  return (eddsaP ??= import("circomlibjs").then((c) => c.buildEddsa()));
}

/** Synchronous Poseidon over bigints: inputs must be field elements, 1..16 of them. */
export type Hasher = (inputs: bigint[]) => bigint;

/** A synchronous bigint Poseidon hasher; `await` it once, then call it freely. */
export async function poseidonHasher(): Promise<Hasher> {
  const p = await poseidonImpl();
  return (inputs: bigint[]) => {
    for (const x of inputs) {
      if (x < 0n || x >= SNARK_FIELD) throw new Error(`Poseidon input out of field: ${x}`);
    }
    return p.F.toObject(p(inputs));
  };
}

/** The primitives the state model needs, loaded once: a synchronous Poseidon and EdDSA. */
export interface ZkrCrypto {
  hash: Hasher;
  eddsa: EdDSA;
}

export async function loadCrypto(): Promise<ZkrCrypto> {
  return { hash: await poseidonHasher(), eddsa: await eddsaImpl() };
}
