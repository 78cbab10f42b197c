// The proof codec: a Groth16 proof as snarkjs writes it (pi_a, pi_b, pi_c: affine points of
// decimal strings with their z coordinate) ⇄ the 8 words the generated Solidity verifier and the
// Rollup take, [a0, a1, b00, b01, b10, b11, c0, c1] (zk-kit's packGroth16Proof /
// unpackGroth16Proof). Every proof that goes to or comes from L1 passes through here.
import type { Groth16Proof, PublicSignals } from "snarkjs";
import { BN254_BASE_FIELD } from "../model/crypto.js";

/** Proof as the snarkjs Solidity verifier takes it, flattened: [a0, a1, b00, b01, b10, b11, c0, c1]. */
export type SolidityProof = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/** A proof that is not a BN254 Groth16 proof of the expected shape. */
export class ProofFormatError extends Error {}

function coordinate(v: unknown, where: string): bigint {
  if (typeof v !== "string" || !/^(0|[1-9][0-9]*)$/.test(v)) throw new ProofFormatError(`malformed Groth16 proof: ${where} is not a decimal string`);
  const x = BigInt(v);
  if (x >= BN254_BASE_FIELD) throw new ProofFormatError(`malformed Groth16 proof: ${where} is not below the base field modulus q`);
  return x;
}

function point(v: unknown, where: string, z: unknown): unknown[] {
  if (!Array.isArray(v) || v.length !== 3) throw new ProofFormatError(`malformed Groth16 proof: ${where} is not 3 coordinates`);
  if (JSON.stringify(v[2]) !== JSON.stringify(z)) throw new ProofFormatError(`malformed Groth16 proof: ${where} is not affine (z = ${JSON.stringify(v[2])})`);
  return v;
}

/**
 * The proof in the order the snarkjs Solidity verifier reads it: `_pA = [a0, a1]`,
 * `_pB = [[b00, b01], [b10, b11]]`, `_pC = [c0, c1]`. The G2 point B is stored by snarkjs as
 * [[x.c0, x.c1], [y.c0, y.c1]] while the EVM pairing precompile wants each Fp2 coordinate as
 * (c1, c0), so b00 = pi_b[0][1], b01 = pi_b[0][0], b10 = pi_b[1][1], b11 = pi_b[1][0] (the
 * swap exportSolidityCallData does). Throws ProofFormatError unless every coordinate is a
 * decimal string below q and the points are affine (z = 1), as snarkjs writes them.
 */
export function packGroth16Proof(proof: Groth16Proof): SolidityProof {
  if (typeof proof !== "object" || proof === null) throw new ProofFormatError("malformed Groth16 proof: not an object");
  const a = point(proof.pi_a, "pi_a", "1");
  const c = point(proof.pi_c, "pi_c", "1");
  const b = point(proof.pi_b, "pi_b", ["1", "0"]);
  const fp2 = (v: unknown, where: string) => {
    if (!Array.isArray(v) || v.length !== 2) throw new ProofFormatError(`malformed Groth16 proof: ${where} is not 2 coordinates`);
    return [coordinate(v[1], `${where}[1]`), coordinate(v[0], `${where}[0]`)];
  };
  return [
    coordinate(a[0], "pi_a[0]"),
    coordinate(a[1], "pi_a[1]"),
    ...fp2(b[0], "pi_b[0]"),
    ...fp2(b[1], "pi_b[1]"),
    coordinate(c[0], "pi_c[0]"),
    coordinate(c[1], "pi_c[1]"),
  ] as SolidityProof;
}

/** The snarkjs proof of 8 verifier words (packGroth16Proof's inverse); throws ProofFormatError for another length or a word not in [0, q). */
export function unpackGroth16Proof(words: readonly bigint[]): Groth16Proof {
  if (!Array.isArray(words) || words.length !== 8)
    throw new ProofFormatError(`a Groth16 proof is 8 words, got ${Array.isArray(words) ? words.length : typeof words}`);
  const p = words.map((w, i) => {
    if (typeof w !== "bigint" || w < 0n || w >= BN254_BASE_FIELD) throw new ProofFormatError(`proof word ${i} is not in [0, q): ${String(w)}`);
    return w.toString();
  });
  return {
    pi_a: [p[0]!, p[1]!, "1"],
    pi_b: [
      [p[3]!, p[2]!],
      [p[5]!, p[4]!],
      ["1", "0"],
    ],
    pi_c: [p[6]!, p[7]!, "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

/** Arguments of the generated verifier's `verifyProof(_pA, _pB, _pC, _pubSignals)`. */
export function verifierCallArgs(
  proof: Groth16Proof,
  publicSignals: PublicSignals,
): [[bigint, bigint], [[bigint, bigint], [bigint, bigint]], [bigint, bigint], bigint[]] {
  const p = packGroth16Proof(proof);
  return [
    [p[0], p[1]],
    [
      [p[2], p[3]],
      [p[4], p[5]],
    ],
    [p[6], p[7]],
    publicSignals.map((s) => BigInt(s)),
  ];
}
