// The TypeScript model against the known-answer vectors of test/vectors/kat.json: each vector's
// outputs recomputed with lib/, and the packings also recomputed by plain arithmetic on the
// vector's own fields (so a vector means what its fields say, whatever lib/ does). The circuit
// (test/circuits/kat.test.ts) and Rollup.sol (test/contracts/Kat.test.ts) check the same file.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { concat, getBytes, keccak256, toBeHex } from "ethers";
import { accountLeaf, packedState } from "../../src/model/account.js";
import { fromHex, toHex } from "../../src/model/bytes.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../../src/model/crypto.js";
import { decodeFloat, encodeFloat, FLOAT40, FLOAT8, FloatEncodingError, type FloatFormat } from "../../src/model/float.js";
import { L2Key, signatureChallenge, verifySignature } from "../../src/model/keys.js";
import { l1ChainStep, l1OpE1 } from "../../src/model/l1op.js";
import { getInstance } from "../../src/proving/instances.js";
import { batchCoefficients, challengeOf, computePublicInputs, dataCommitment, evaluateAt, type BatchPublicData } from "../../src/model/publicInputs.js";
import { domainHash, encodeTransfer, packedAmounts, transferId, transferMessage } from "../../src/model/tx.js";
import { buildVectors, serializeVectors } from "../../scripts/gen-vectors.js";
import { big, kat, KAT_PATH, katL1Op } from "../vectors/kat.js";

type Float = typeof kat.float40;

describe("known-answer vectors: the TypeScript model (test/vectors/kat.json)", () => {
  let c: ZkrCrypto;
  before(async () => {
    c = await loadCrypto();
  });

  it("the committed file is what scripts/gen-vectors.ts generates", async () => {
    expect(readFileSync(KAT_PATH, "utf8")).to.equal(serializeVectors(await buildVectors(c)));
  });

  it("account leaves: tokenId·2^160 + balance·2^32 + nonce, then Poseidon(ax, ay, packed)", () => {
    expect(kat.accountLeaf).to.have.length.at.least(4);
    for (const v of kat.accountLeaf) {
      const a = { ax: big(v.ax), ay: big(v.ay), owner: 0n, tokenId: big(v.tokenId), balance: big(v.balance), nonce: big(v.nonce) };
      const packed = big(v.packedState);
      expect((a.tokenId << 160n) + (a.balance << 32n) + a.nonce, v.name).to.equal(packed);
      // the hex shows the fields: 8 digits of token, 32 of balance, 8 of nonce
      expect(v.packedState, v.name).to.equal(
        "0x" + [a.tokenId.toString(16).padStart(8, "0"), a.balance.toString(16).padStart(32, "0"), a.nonce.toString(16).padStart(8, "0")].join(""),
      );
      expect(packedState(a), v.name).to.equal(packed);
      expect(accountLeaf(c.hash, a), v.name).to.equal(big(v.leaf));
      expect(c.hash([a.ax, a.ay, packed]), v.name).to.equal(big(v.leaf));
    }
  });

  const checkFloat = (f: FloatFormat, v: Float) => {
    expect(v.format).to.deep.equal({ mantissaBits: f.mantissaBits, exponentBits: f.exponentBits });
    for (const e of v.encode) {
      const [value, packed, m, x] = [big(e.value), big(e.packed), big(e.mantissa), big(e.exponent)];
      expect((x << BigInt(f.mantissaBits)) | m, e.name).to.equal(packed);
      expect(m * 10n ** x, e.name).to.equal(value);
      expect(m < 1n << BigInt(f.mantissaBits) && x < 1n << BigInt(f.exponentBits), e.name).to.equal(true);
      expect(encodeFloat(f, value), `${f.name} encode ${e.name}`).to.equal(packed);
      expect(decodeFloat(f, packed), `${f.name} decode ${e.name}`).to.equal(value);
    }
    for (const e of v.notRepresentable) expect(() => encodeFloat(f, big(e.value)), e.name).to.throw(FloatEncodingError, /not exactly representable/);
    for (const e of v.decode) {
      const packed = big(e.packed);
      expect((packed & ((1n << BigInt(f.mantissaBits)) - 1n)) * 10n ** (packed >> BigInt(f.mantissaBits)), e.name).to.equal(big(e.value));
      expect(decodeFloat(f, packed), `${f.name} decode ${e.name}`).to.equal(big(e.value));
    }
    for (const p of v.outOfRange) expect(() => decodeFloat(f, big(p)), p).to.throw(FloatEncodingError, /out of range/);
  };

  it("float40: encodings with the smallest exponent, values with none, decodings of any 40 bits", () => {
    checkFloat(FLOAT40, kat.float40);
  });

  it("float8: the same for the fee format", () => {
    checkFloat(FLOAT8, kat.float8);
  });

  it("transfers: calldata, the signed word txPacked·2^32 + nonce, the id, the Schnorr-128 signature and its challenge", async () => {
    const t = kat.transfer;
    const p = getInstance(t.instance);
    expect([p.idxBytes, p.txBytes]).to.deep.equal([t.idxBytes, t.txBytes]);
    const domain = { chainId: big(t.chainId), rollupAddress: big(t.rollupAddress) };
    expect(domainHash(c.hash, domain)).to.equal(big(t.domain));
    expect(c.hash([domain.chainId, domain.rollupAddress])).to.equal(big(t.domain));
    const key = await L2Key.fromPrivateKey(t.privateKey);
    expect([key.ax, key.ay]).to.deep.equal([big(t.ax), big(t.ay)]);
    expect(t.transfers).to.have.length(2);
    for (const v of t.transfers) {
      const tx = { from: big(v.from), to: big(v.to), amount: big(v.amount), fee: big(v.fee), nonce: big(v.nonce) };
      const { amountF, feeF } = packedAmounts(tx);
      expect([amountF, feeF], v.name).to.deep.equal([big(v.amountF), big(v.feeF)]);
      expect(v.calldata, v.name).to.equal(
        "0x" +
          [tx.from.toString(16).padStart(2 * t.idxBytes, "0"), tx.to.toString(16).padStart(2 * t.idxBytes, "0"), v.amountF.slice(2), v.feeF.slice(2)].join(""),
      );
      expect(toHex(encodeTransfer(tx, p)), v.name).to.equal(v.calldata);
      const word = (big(v.calldata) << 32n) + tx.nonce;
      expect(word, v.name).to.equal(big(v.word));
      const m = transferMessage(c.hash, tx, domain, p);
      expect(m, v.name).to.deep.equal({ domain: big(t.domain), word });
      expect(transferId(c.hash, tx, domain, p), v.name).to.equal(big(v.id));
      expect(c.hash([big(t.domain), big(v.calldata), tx.nonce]), v.name).to.equal(big(v.id));
      const sig = { R8x: big(v.signature.R8x), R8y: big(v.signature.R8y), S: big(v.signature.S) };
      expect(key.sign(m), v.name).to.deep.equal(sig);
      expect(verifySignature(c.eddsa, m, sig, key.ax, key.ay), v.name).to.equal(true);
      expect(verifySignature(c.eddsa, { ...m, word: word + 1n }, sig, key.ax, key.ay), v.name).to.equal(false);
      const h = c.hash([sig.R8x, sig.R8y, key.ax, key.ay, m.domain, m.word]);
      expect(h, v.name).to.equal(big(v.challengeHash));
      expect(h % (1n << 128n), v.name).to.equal(big(v.challenge));
      expect(signatureChallenge(c.eddsa, sig.R8x, sig.R8y, key.ax, key.ay, m), v.name).to.equal(big(v.challenge));
    }
  });

  it("signature challenges: Poseidon(R8x, R8y, ax, ay, domain, word) mod 2^128 of any field elements", () => {
    for (const v of kat.signatureChallenge) {
      const x = [v.R8x, v.R8y, v.ax, v.ay, v.domain, v.word].map(big);
      expect(c.hash(x), v.name).to.equal(big(v.hash));
      expect(big(v.hash) & ((1n << 128n) - 1n), v.name).to.equal(big(v.challenge));
      expect(signatureChallenge(c.eddsa, x[0]!, x[1]!, x[2]!, x[3]!, { domain: x[4]!, word: x[5]! }), v.name).to.equal(big(v.challenge));
    }
  });

  it("L1 operations: e1 = kind·2^192 + accountIdx·2^160 + tokenId·2^128 + amount, and the chain step h = Poseidon(h_prev, e1, owner, ax, ay)", () => {
    let prev = 0n;
    for (const v of [...kat.l1Op.chain, kat.l1Op.widest]) {
      const op = katL1Op(v);
      if (v !== kat.l1Op.widest) expect(big(v.prev), `${v.name}: chained from the previous vector`).to.equal(prev);
      const e1 = (BigInt(op.kind) << 192n) + (op.accountIdx << 160n) + (op.tokenId << 128n) + op.amount;
      expect(e1, v.name).to.equal(big(v.e1));
      expect(l1OpE1(op), v.name).to.equal(e1);
      expect(l1ChainStep(c.hash, big(v.prev), op), v.name).to.equal(big(v.hash));
      expect(c.hash([big(v.prev), e1, op.owner, op.ax, op.ay]), v.name).to.equal(big(v.hash));
      prev = big(v.hash);
    }
  });

  /** keccak256 of 32-byte big-endian words mod r, with ethers (not the model's hash call). */
  const keccakWords = (words: bigint[]) => BigInt(keccak256(concat(words.map((w) => toBeHex(w, 32))))) % SNARK_FIELD;
  /** Σ c_i·z^i + C·z^m with explicit powers (not the model's Horner loop). */
  const powerSum = (coef: bigint[], commitment: bigint, z: bigint) =>
    [...coef, commitment].reduce((y, ci, i) => (y + ci * (z ** BigInt(i) % SNARK_FIELD)) % SNARK_FIELD, 0n);

  it("public inputs: the commitment (Poseidon chain in steps of 15), z = keccak256(c ‖ C) mod r, y = Σ c_i·z^i + C·z^m", () => {
    for (const v of kat.publicInputs.polynomial) {
      const coef = v.coefficients.map(big);
      const [commitment, z, y] = [big(v.commitment), big(v.challenge), big(v.evaluation)];
      let acc = 0n;
      for (let i = 0; i < coef.length; i += 15) acc = c.hash([acc, ...coef.slice(i, i + 15)]);
      expect(acc, v.name).to.equal(commitment);
      expect(dataCommitment(coef, c.hash), v.name).to.equal(commitment);
      expect(keccakWords([...coef, commitment]), v.name).to.equal(z);
      expect(challengeOf(coef, commitment), v.name).to.equal(z);
      expect(powerSum(coef, commitment, z), v.name).to.equal(y);
      expect(evaluateAt(coef, commitment, z), v.name).to.equal(y);
    }
  });

  it("a batch's public data: its coefficients, commitment, challenge and evaluation", () => {
    const v = kat.publicInputs.batch;
    const p = getInstance(v.instance);
    const data: BatchPublicData = {
      oldRoot: big(v.oldRoot),
      newRoot: big(v.newRoot),
      chainId: big(v.chainId),
      rollupAddress: big(v.rollupAddress),
      l1HashEnd: big(v.l1HashEnd),
      l1Count: v.l1Count,
      feeIdx: fromHex(v.feeIdxData),
      l1Results: fromHex(v.l1ResultsData),
      txData: fromHex(v.txData),
    };
    const coef = v.coefficients.map(big);
    // the layout, field by field: roots, chainId ‖ rollup, l1HashEnd, l1Count ‖ feeIdx, one
    // uint128 result per L1 slot, then the transactions 3 to a coefficient (8 bytes each)
    const results = getBytes(v.l1ResultsData);
    const groupBytes = Math.floor(31 / p.txBytes) * p.txBytes;
    const tx = getBytes(v.txData);
    const groups = Array.from({ length: Math.ceil(p.batchSize / Math.floor(31 / p.txBytes)) }, (_, g) => {
      const b = new Uint8Array(groupBytes);
      b.set(tx.subarray(g * groupBytes, (g + 1) * groupBytes));
      return BigInt(toHex(b));
    });
    expect(coef).to.deep.equal([
      data.oldRoot,
      data.newRoot,
      (data.chainId << 160n) + data.rollupAddress,
      data.l1HashEnd,
      (BigInt(v.l1Count) << BigInt(8 * data.feeIdx.length)) + big(v.feeIdxData),
      ...Array.from({ length: p.l1Slots }, (_, j) => (j < v.l1Count ? BigInt(toHex(results.subarray(16 * j, 16 * j + 16))) : 0n)),
      ...groups,
    ]);
    expect(batchCoefficients(data, p)).to.deep.equal(coef);
    const pub = computePublicInputs(data, p, c.hash);
    expect([pub.commitment, pub.challenge, pub.evaluation]).to.deep.equal([big(v.commitment), big(v.challenge), big(v.evaluation)]);
    expect(keccakWords([...coef, pub.commitment])).to.equal(big(v.challenge));
    expect(powerSum(coef, big(v.commitment), big(v.challenge))).to.equal(big(v.evaluation));
    // the L1 chain hash it names, and the two transfers it posts
    expect(v.l1HashEnd).to.equal(kat.l1Op.chain[1]!.hash);
    expect(v.txData).to.equal("0x" + kat.transfer.transfers.map((t) => t.calldata.slice(2)).join(""));
  });
});
