// Groth16 verification keys of the batch circuit (snarkjs `zkey export verificationkey` JSON):
// parsed and checked (coordinates below q, points on their curves), and their verifying key hash,
// the keccak256 of the points in one documented order (docs/PROTOCOL.md "Verifying key hash"). The
// generated verifier (src/proving/verifier.ts) computes the same hash from its constants on chain, and
// the Rollup stores it, so anyone compares a deployment with a key JSON. No snarkjs here: the CLI
// reads deployments through this module.
import { readFileSync } from "node:fs";
import { concat, keccak256, toBeHex } from "ethers";
import { BN254_BASE_FIELD } from "../model/crypto.js";

const Q = BN254_BASE_FIELD;

/** Public signals per proof of the batch circuit: [evaluation, challenge] (docs/PROTOCOL.md). */
export const PUBLIC_SIGNALS = 2;

export type G1 = [bigint, bigint];
/** A G2 point in EIP-197 order: x.c1, x.c0, y.c1, y.c0. */
export type G2 = [bigint, bigint, bigint, bigint];
type Fp2 = [bigint, bigint]; // c0 + c1·u, u² = −1

const mod = (a: bigint) => ((a % Q) + Q) % Q;
const mul2 = ([a0, a1]: Fp2, [b0, b1]: Fp2): Fp2 => [mod(a0 * b0 - a1 * b1), mod(a0 * b1 + a1 * b0)];
function powQ(base: bigint, exp: bigint): bigint {
  let result = 1n;
  for (let b = mod(base), e = exp; e > 0n; e >>= 1n, b = (b * b) % Q) if (e & 1n) result = (result * b) % Q;
  return result;
}
/** b of the twist y² = x³ + b that holds G2: 3 / (9 + u) = 3·(9 − u) / 82. */
const TWIST_B: Fp2 = [mod(27n * powQ(82n, Q - 2n)), mod(-3n * powQ(82n, Q - 2n))];

function coordinate(v: unknown, what: string): bigint {
  if (typeof v !== "string" || !/^[0-9]+$/.test(v)) throw new Error(`verification key: ${what} is not a decimal string`);
  const x = BigInt(v);
  if (x >= Q) throw new Error(`verification key: ${what} is not below the base field modulus`);
  return x;
}

function g1(v: unknown, what: string): G1 {
  if (!Array.isArray(v) || v.length !== 3 || v[2] !== "1") throw new Error(`verification key: ${what} is not an affine G1 point [x, y, "1"]`);
  const [x, y] = [coordinate(v[0], `${what}.x`), coordinate(v[1], `${what}.y`)];
  if (mod(y * y - x * x * x - 3n) !== 0n) throw new Error(`verification key: ${what} is not on the curve`);
  return [x, y];
}

function g2(v: unknown, what: string): G2 {
  const pair = (w: unknown, name: string): Fp2 => {
    if (!Array.isArray(w) || w.length !== 2) throw new Error(`verification key: ${what}.${name} is not an Fp2 element [c0, c1]`);
    return [coordinate(w[0], `${what}.${name}.c0`), coordinate(w[1], `${what}.${name}.c1`)];
  };
  if (!Array.isArray(v) || v.length !== 3 || JSON.stringify(v[2]) !== '["1","0"]') {
    throw new Error(`verification key: ${what} is not an affine G2 point [x, y, ["1", "0"]]`);
  }
  const [x, y] = [pair(v[0], "x"), pair(v[1], "y")];
  const [l0, l1] = mul2(y, y);
  const [r0, r1] = mul2(mul2(x, x), x);
  if (l0 !== mod(r0 + TWIST_B[0]) || l1 !== mod(r1 + TWIST_B[1])) throw new Error(`verification key: ${what} is not on the twist curve`);
  return [x[1], x[0], y[1], y[0]];
}

export interface VerifyingKey {
  alpha: G1;
  beta: G2;
  gamma: G2;
  delta: G2;
  ic: G1[];
}

/** The points of a BN254 Groth16 verification key with PUBLIC_SIGNALS public signals, checked. */
export function parseVkey(vkey: unknown): VerifyingKey {
  const k = vkey as Record<string, unknown>;
  if (k === null || typeof k !== "object") throw new Error("verification key: not a JSON object");
  if (k.protocol !== "groth16" || k.curve !== "bn128") {
    throw new Error(`verification key: expected protocol groth16 on bn128, got ${String(k.protocol)} on ${String(k.curve)}`);
  }
  if (k.nPublic !== PUBLIC_SIGNALS || !Array.isArray(k.IC) || k.IC.length !== PUBLIC_SIGNALS + 1) {
    throw new Error(`verification key: the verifier takes exactly ${PUBLIC_SIGNALS} public signals, the key has ${String(k.nPublic)}`);
  }
  return {
    alpha: g1(k.vk_alpha_1, "vk_alpha_1"),
    beta: g2(k.vk_beta_2, "vk_beta_2"),
    gamma: g2(k.vk_gamma_2, "vk_gamma_2"),
    delta: g2(k.vk_delta_2, "vk_delta_2"),
    ic: (k.IC as unknown[]).map((p, i) => g1(p, `IC[${i}]`)),
  };
}

/**
 * The words the verifying key hash covers, in its order (docs/PROTOCOL.md "Verifying key hash"):
 * alpha.x, alpha.y; beta, gamma, delta each as x.c1, x.c0, y.c1, y.c0 (EIP-197 order); then
 * IC[0].x, IC[0].y, IC[1].x, ... . With the constant names the generated contract uses for them.
 */
export function keyWords(k: VerifyingKey): { name: string; value: bigint }[] {
  const g2 = (name: string, p: G2) => ["X1", "X0", "Y1", "Y0"].map((c, i) => ({ name: `${name}_${c}`, value: p[i]! }));
  return [
    { name: "ALPHA_X", value: k.alpha[0] },
    { name: "ALPHA_Y", value: k.alpha[1] },
    ...g2("BETA", k.beta),
    ...g2("GAMMA", k.gamma),
    ...g2("DELTA", k.delta),
    ...k.ic.flatMap((p, i) => [
      { name: `IC${i}_X`, value: p[0] },
      { name: `IC${i}_Y`, value: p[1] },
    ]),
  ];
}

/**
 * The verifying key hash of a Groth16 verification key JSON (checked as for the verifier):
 * keccak256 of its points as 32-byte big-endian words in keyWords order, as lowercase 0x-hex.
 */
export function verifyingKeyHash(vkey: unknown): string {
  return keccak256(concat(keyWords(parseVkey(vkey)).map((w) => toBeHex(w.value, 32))));
}

/** verifyingKeyHash of a verification key file. */
export function verifyingKeyHashOfFile(vkeyFile: string): string {
  return verifyingKeyHash(JSON.parse(readFileSync(vkeyFile, "utf8")));
}
