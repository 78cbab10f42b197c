// The proof codec (src/proving/proof.ts): snarkjs proof ⇄ the 8 Solidity verifier words, checked
// against snarkjs's own exportSolidityCallData ordering, round trips, and malformed proofs refused.
import { expect } from "chai";
import { groth16, type Groth16Proof } from "snarkjs";
import { BN254_BASE_FIELD } from "../../src/model/crypto.js";
import { packGroth16Proof, ProofFormatError, unpackGroth16Proof, verifierCallArgs } from "../../src/proving/proof.js";

const Q = BN254_BASE_FIELD;

/** A proof of distinct, recognisable coordinates (the codec does not check curve membership). */
function sample(): Groth16Proof {
  return {
    pi_a: ["11", String(Q - 1n), "1"],
    pi_b: [
      ["21", "22"],
      ["23", "0"],
      ["1", "0"],
    ],
    pi_c: ["31", "32", "1"],
    protocol: "groth16",
    curve: "bn128",
  };
}

describe("proof codec: snarkjs proof ⇄ Solidity words", () => {
  it("orders the words as snarkjs's exportSolidityCallData does: A, B with each Fp2 coordinate swapped, C", async () => {
    const [a, b, c] = JSON.parse(`[${await groth16.exportSolidityCallData(sample(), ["5"])}]`) as [string[], string[][], string[]];
    const expected = [...a, ...b[0]!, ...b[1]!, ...c].map((x) => BigInt(x));
    expect(packGroth16Proof(sample())).to.deep.equal(expected);
    expect(packGroth16Proof(sample())).to.deep.equal([11n, Q - 1n, 22n, 21n, 0n, 23n, 31n, 32n]);
    expect(verifierCallArgs(sample(), ["5"])).to.deep.equal([
      [11n, Q - 1n],
      [
        [22n, 21n],
        [0n, 23n],
      ],
      [31n, 32n],
      [5n],
    ]);
  });

  it("round-trips: unpack(pack(p)) = p and pack(unpack(w)) = w", () => {
    expect(unpackGroth16Proof(packGroth16Proof(sample()))).to.deep.equal(sample());
    for (const w of [[0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n], [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n], Array<bigint>(8).fill(Q - 1n)]) {
      expect(packGroth16Proof(unpackGroth16Proof(w))).to.deep.equal(w);
    }
  });

  it("refuses words that are not 8 values in [0, q)", () => {
    const w = packGroth16Proof(sample());
    expect(() => unpackGroth16Proof(w.slice(0, 7))).to.throw(ProofFormatError, /8 words, got 7/);
    expect(() => unpackGroth16Proof([...w, 1n])).to.throw(ProofFormatError, /8 words, got 9/);
    expect(() => unpackGroth16Proof(w.map((x, i) => (i === 3 ? Q : x)))).to.throw(ProofFormatError, /word 3 is not in \[0, q\)/);
    expect(() => unpackGroth16Proof(w.map((x, i) => (i === 0 ? -1n : x)))).to.throw(ProofFormatError, /word 0/);
    expect(() => unpackGroth16Proof(w.map((x, i) => (i === 7 ? (7 as unknown as bigint) : x)))).to.throw(ProofFormatError, /word 7/);
  });

  it("refuses a malformed snarkjs proof, naming the coordinate", () => {
    const edit = (f: (p: Groth16Proof) => void) => {
      const p = structuredClone(sample());
      f(p);
      return () => packGroth16Proof(p);
    };
    expect(edit((p) => (p.pi_a[1] = String(Q)))).to.throw(ProofFormatError, /pi_a\[1\] is not below the base field modulus/);
    expect(edit((p) => (p.pi_c[0] = "-1"))).to.throw(ProofFormatError, /pi_c\[0\] is not a decimal string/);
    expect(edit((p) => (p.pi_c[0] = "0x1f"))).to.throw(ProofFormatError, /pi_c\[0\] is not a decimal string/);
    expect(edit((p) => (p.pi_b[1]![0] = "1e3"))).to.throw(ProofFormatError, /pi_b\[1\]\[0\] is not a decimal string/);
    expect(edit((p) => p.pi_b[0]!.push("7"))).to.throw(ProofFormatError, /pi_b\[0\] is not 2 coordinates/);
    expect(edit((p) => p.pi_a.pop())).to.throw(ProofFormatError, /pi_a is not 3 coordinates/);
    expect(edit((p) => (p.pi_a[2] = "2"))).to.throw(ProofFormatError, /pi_a is not affine/);
    expect(edit((p) => (p.pi_b[2] = ["1", "1"]))).to.throw(ProofFormatError, /pi_b is not affine/);
    expect(edit((p) => delete (p as Partial<Groth16Proof>).pi_c)).to.throw(ProofFormatError, /pi_c is not 3 coordinates/);
    expect(() => packGroth16Proof(null as unknown as Groth16Proof)).to.throw(ProofFormatError, /not an object/);
  });
});
