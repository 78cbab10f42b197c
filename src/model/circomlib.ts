import type { EdDSA, Poseidon } from "circomlibjs";

// circomlibjs: the reference implementation of zkr's Poseidon and BabyJubJub, and the JS crypto
// engine (crypto.ts). It is loaded on first use, not with this module: it takes seconds to
// load, and most zkr commands never hash or sign.

/** BN254 scalar field order: the field of circom signals, of Groth16 public inputs and of circomlibjs's Poseidon and BabyJubJub. */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

let poseidonP: Promise<Poseidon> | undefined;
let eddsaP: Promise<EdDSA> | undefined;

/** circomlibjs Poseidon, built once per process. */
export function poseidonImpl(): Promise<Poseidon> {
  return (poseidonP ??= import("circomlibjs").then((c) => c.buildPoseidon()));
}

/** circomlibjs EdDSA (BabyJubJub and Poseidon; keys.ts signs with them), built once per process. */
export function eddsaImpl(): Promise<EdDSA> {
  return (eddsaP ??= import("circomlibjs").then((c) => c.buildEddsa()));
}
