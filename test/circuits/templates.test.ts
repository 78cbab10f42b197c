import { expect } from "chai";
import { buildPoseidon, type Poseidon } from "circomlibjs";
import { SNARK_FIELD } from "../../lib/crypto.js";
import { decodeFloat, FLOAT40, floatMax } from "../../lib/float.js";
import { CircuitTester, failsAt, terminateCurve } from "./helpers.js";

/** Deterministic pseudo-random field elements for test data. */
function* fieldElements(seed: bigint): Generator<bigint> {
  let x = seed;
  for (;;) {
    x = (x * 6364136223846793005n + 1442695040888963407n) % SNARK_FIELD;
    yield x;
  }
}

after(terminateCurve);

describe("circuit FloatDecode", function () {
  let f40: CircuitTester;
  let f8: CircuitTester;
  before(async () => {
    f40 = await CircuitTester.compile("float40", ["float_decode.circom"], "FloatDecode(5, 35)");
    f8 = await CircuitTester.compile("float8", ["float_decode.circom"], "FloatDecode(4, 4)");
  });

  it("has the expected constraint counts", () => {
    // 40 + 8 bits, 4 + 3 exponent products, 1 + 1 mantissa products
    expect(f40.nConstraints).to.equal(45);
    expect(f8.nConstraints).to.equal(12);
  });

  it("decodes float40 values, including the maximum", async () => {
    const max = 34359738367n * 10n ** 31n; // (2^35 − 1) · 10^31
    expect(floatMax(FLOAT40)).to.equal(max);
    const cases: [bigint, bigint][] = [
      [0n, 0n],
      [1n, 1n],
      [(1n << 35n) - 1n, 34359738367n],
      [(8n << 35n) | 10000000000n, 10n ** 18n],
      [31n << 35n, 0n],
      [(1n << 40n) - 1n, max],
    ];
    const rnd = fieldElements(40n);
    for (let i = 0; i < 20; i++) {
      const packed = rnd.next().value! % (1n << 40n);
      cases.push([packed, decodeFloat(FLOAT40, packed)]);
    }
    for (const [packed, value] of cases) {
      const w = await f40.expectPass({ in: packed });
      expect(f40.get(w, "out"), `float40 ${packed}`).to.equal(value);
      for (let b = 0; b < 40; b++) expect(f40.get(w, `bits[${b}]`)).to.equal((packed >> BigInt(b)) & 1n);
    }
  });

  it("decodes all 256 float8 values", async () => {
    const all = await CircuitTester.compile(
      "float8_all",
      ["float_decode.circom"],
      "Float8All()",
      "template Float8All() { signal input in[256]; signal output out[256]; for (var i = 0; i < 256; i++) (out[i], _) <== FloatDecode(4, 4)(in[i]); }",
    );
    const packed = Array.from({ length: 256 }, (_, i) => BigInt(i));
    const w = await all.expectPass({ in: packed });
    for (const p of packed) expect(all.get(w, `out[${p}]`), `float8 ${p}`).to.equal((p & 15n) * 10n ** (p >> 4n));
  });

  it("rejects packed values wider than the format", async () => {
    await f40.expectAssertFail({ in: 1n << 40n }, failsAt("Num2Bits"));
    await f8.expectAssertFail({ in: 256n }, failsAt("Num2Bits"));
    await f8.expectAssertFail({ in: SNARK_FIELD - 1n }, failsAt("Num2Bits"));
  });

  it("constraints bind the output and the bits (edited witnesses fail)", async () => {
    const packed = (3n << 35n) | 12345n;
    const w = await f40.expectPass({ in: packed });
    f40.expectUnsatisfied(f40.edit(w, { out: 12345000n + 1n }));
    f40.expectUnsatisfied(f40.edit(w, { "bits[0]": 0n }));
    f40.expectUnsatisfied(f40.edit(w, { "bits[35]": 0n, "bits[36]": 1n }));
  });
});

describe("circuit AccountLeaf", function () {
  it("equals circomlibjs Poseidon over the six fields", async () => {
    const poseidon = await buildPoseidon();
    const leaf = await CircuitTester.compile("account_leaf", ["account_leaf.circom"], "AccountLeaf()");
    const rnd = fieldElements(6n);
    const a = { ax: rnd.next().value!, ay: rnd.next().value!, owner: (1n << 160n) - 1n, tokenId: 7n, balance: (1n << 128n) - 1n, nonce: 3n };
    const w = await leaf.expectPass(a);
    const expected = poseidon.F.toObject(poseidon([a.ax, a.ay, a.owner, a.tokenId, a.balance, a.nonce]));
    expect(leaf.get(w, "out")).to.equal(expected);
    leaf.expectUnsatisfied(leaf.edit(w, { out: expected + 1n }));
  });
});

describe("circuit MerkleUpdate4", function () {
  const D = 3;
  let tester: CircuitTester;
  let poseidon: Poseidon;
  let leaves: bigint[];

  // Independent reference: the full tree of 4^D leaves, hashed level by level.
  const hash4 = (c: bigint[]) => poseidon.F.toObject(poseidon(c));
  function levels(ls: bigint[]): bigint[][] {
    const out = [ls];
    while (out[out.length - 1].length > 1) {
      const prev = out[out.length - 1];
      out.push(Array.from({ length: prev.length / 4 }, (_, i) => hash4(prev.slice(4 * i, 4 * i + 4))));
    }
    return out;
  }
  const rootOf = (ls: bigint[]) => levels(ls)[D][0];
  function siblings(ls: bigint[], index: number): bigint[][] {
    return levels(ls)
      .slice(0, D)
      .map((level, l) => {
        const i = index >> (2 * l);
        const first = i & ~3;
        return [0, 1, 2, 3].filter((k) => first + k !== i).map((k) => level[first + k]);
      });
  }
  const pathBits = (index: number) => Array.from({ length: 2 * D }, (_, b) => (index >> b) & 1);

  before(async () => {
    poseidon = await buildPoseidon();
    tester = await CircuitTester.compile("merkle_update4_d3", ["merkle_update4.circom"], `MerkleUpdate4(${D})`);
    const rnd = fieldElements(4n);
    leaves = Array.from({ length: 4 ** D }, (_, i) => (i % 3 === 0 ? 0n : rnd.next().value!));
  });

  it("has the expected constraint count", () => {
    // D · (2 · Poseidon(4) = 594 + 11 selection) + root check + output
    expect(tester.nConstraints).to.equal(D * (2 * 297 + 11) + 2);
  });

  it("checks the old root and computes the new one at every child position", async () => {
    const rnd = fieldElements(99n);
    // 0, 63: all-0 / all-3 paths; 27 = positions 3,2,1; 36 = 0,1,2; 57 = 1,2,3
    for (const index of [0, 1, 2, 3, 27, 36, 57, 63]) {
      const newLeaf = rnd.next().value!;
      const updated = [...leaves];
      updated[index] = newLeaf;
      const w = await tester.expectPass({
        enabled: 1,
        pathBits: pathBits(index),
        siblings: siblings(leaves, index),
        oldLeaf: leaves[index],
        newLeaf,
        rootIn: rootOf(leaves),
      });
      expect(tester.get(w, "rootOut"), `index ${index}`).to.equal(rootOf(updated));
    }
  });

  it("passes the root through unchanged when disabled, whatever the proof", async () => {
    const w = await tester.expectPass({
      enabled: 0,
      pathBits: pathBits(5),
      siblings: siblings(leaves, 9),
      oldLeaf: 123,
      newLeaf: 456,
      rootIn: 789,
    });
    expect(tester.get(w, "rootOut")).to.equal(789n);
  });

  it("rejects a wrong leaf, sibling, index or root when enabled", async () => {
    const index = 27;
    const good = {
      enabled: 1,
      pathBits: pathBits(index),
      siblings: siblings(leaves, index),
      oldLeaf: leaves[index],
      newLeaf: 5n,
      rootIn: rootOf(leaves),
    };
    const rootCheck = failsAt(["MerkleUpdate4", "merkle_update4.circom", "(oldNode[D] - rootIn) * enabled === 0;"]);
    const tampered = siblings(leaves, index);
    tampered[1][2] += 1n;
    await tester.expectAssertFail({ ...good, siblings: tampered }, rootCheck);
    await tester.expectAssertFail({ ...good, oldLeaf: leaves[index] + 1n }, rootCheck);
    await tester.expectAssertFail({ ...good, pathBits: pathBits(26) }, rootCheck);
    await tester.expectAssertFail({ ...good, rootIn: rootOf(leaves) + 1n }, rootCheck);
  });

  it("constraints bind the new root (edited witnesses fail)", async () => {
    const index = 36;
    const w = await tester.expectPass({
      enabled: 1,
      pathBits: pathBits(index),
      siblings: siblings(leaves, index),
      oldLeaf: leaves[index],
      newLeaf: 77n,
      rootIn: rootOf(leaves),
    });
    tester.expectUnsatisfied(tester.edit(w, { rootOut: rootOf(leaves) }));
    // disabling the update on a witness of an enabled one: the new root no longer follows
    tester.expectUnsatisfied(tester.edit(w, { enabled: 0n }));
  });
});
