// src/model/publicInputs.ts: public inputs.
import { expect } from "chai";
import { AbiCoder, keccak256 } from "ethers";
import { fromHex, toBytesBE } from "../../src/model/bytes.js";
import { poseidonHasher, SNARK_FIELD } from "../../src/model/crypto.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { batchCoefficients, coefficientCount, computePublicInputs, dataCommitment, publicSignalsFor, txsPerCoefficient } from "../../src/model/publicInputs.js";
import { type Domain } from "../../src/model/tx.js";

const params = getInstance(TEST_INSTANCE);
const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };

describe("public inputs", () => {
  const f = {
    oldRoot: 123n,
    newRoot: SNARK_FIELD - 1n,
    chainId: 31337n,
    rollupAddress: domain.rollupAddress,
    l1HashEnd: 987654321n,
    l1Count: 1,
    feeIdx: fromHex("0x07"),
    l1Results: toBytesBE(5n * 10n ** 18n, 16),
    txData: fromHex("0x0102030405060708"),
  };

  it("are the data coefficients, their Poseidon commitment, a keccak256 challenge and the evaluation there", async () => {
    const hash = await poseidonHasher();
    // test_d4_b2: L = 2, F = 1, idxBytes 1, txBytes 8, 3 transactions per coefficient → m = 5 + 2 + 1.
    expect(txsPerCoefficient(params)).to.equal(3);
    expect(coefficientCount(params)).to.equal(8);
    const c = [123n, SNARK_FIELD - 1n, (31337n << 160n) + domain.rollupAddress, 987654321n, (1n << 8n) + 7n, 5n * 10n ** 18n, 0n, 0x0102030405060708n << 128n];
    expect(batchCoefficients(f, params)).to.deep.equal(c);
    const commitment = hash([0n, ...c]);
    const z = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(Array(9).fill("uint256"), [...c, commitment]))) % SNARK_FIELD;
    let y = 0n;
    for (const [i, x] of [...c, commitment].entries()) y = (y + x * (z ** BigInt(i) % SNARK_FIELD)) % SNARK_FIELD;
    const pub = computePublicInputs(f, params, hash);
    expect(pub).to.deep.equal({ commitment, challenge: z, evaluation: y, signals: [y, z] });
    expect(publicSignalsFor(f, params, commitment)).to.deep.equal([y, z]);
    // Another commitment gives other signals, and every datum moves them.
    expect(publicSignalsFor(f, params, commitment + 1n)[1]).to.not.equal(z);
    for (const g of [
      { ...f, oldRoot: 124n },
      { ...f, chainId: 1n },
      { ...f, l1HashEnd: 1n },
      { ...f, feeIdx: fromHex("0x08") },
      { ...f, txData: fromHex("0x0102030405060709") },
    ]) {
      expect(computePublicInputs(g, params, hash).signals).to.not.deep.equal([y, z]);
    }
  });

  it("commit in chunks of 15 coefficients and reject malformed data", async () => {
    const hash = await poseidonHasher();
    const c = Array.from({ length: 31 }, (_, i) => BigInt(i + 1));
    expect(dataCommitment(c, hash)).to.equal(hash([hash([hash([0n, ...c.slice(0, 15)]), ...c.slice(15, 30)]), 31n]));
    expect(() => batchCoefficients({ ...f, txData: new Uint8Array(9) }, params)).to.throw(/multiple/);
    expect(() => batchCoefficients({ ...f, txData: new Uint8Array(24) }, params)).to.throw(/multiple/);
    expect(() => batchCoefficients({ ...f, feeIdx: new Uint8Array(2) }, params)).to.throw(/fee index/);
    expect(() => batchCoefficients({ ...f, l1Count: 3, l1Results: new Uint8Array(48) }, params)).to.throw(/l1Count/);
    expect(() => batchCoefficients({ ...f, l1Results: new Uint8Array(15) }, params)).to.throw(/L1 results/);
    expect(() => batchCoefficients({ ...f, chainId: 1n << 64n }, params)).to.throw(/uint64/);
    expect(() => batchCoefficients({ ...f, rollupAddress: 1n << 160n }, params)).to.throw(/160 bits/);
    expect(() => batchCoefficients({ ...f, l1HashEnd: SNARK_FIELD }, params)).to.throw(/l1HashEnd/);
    expect(() => publicSignalsFor(f, params, SNARK_FIELD)).to.throw(/field/);
  });
});
