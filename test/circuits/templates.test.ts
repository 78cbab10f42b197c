import { createHash } from "node:crypto";
import { expect } from "chai";
import { buildPoseidon, type Poseidon } from "circomlibjs";
import { accountLeaf, MAX_BALANCE, type Account } from "../../src/model/account.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../../src/model/crypto.js";
import { decodeFloat, FLOAT40, floatMax } from "../../src/model/float.js";
import { L2Key, signatureChallenge, verifySignature, type Signature, type SignatureMessage } from "../../src/model/keys.js";
import { l1ChainStep, L1OpKind, type L1Op } from "../../src/model/l1op.js";
import { deriveParams } from "../../src/model/params.js";
import { L2State, OutOfSyncError } from "../../src/model/state.js";
import { AccountTree, siblingCount, treeLevels, zeroProof } from "../../src/model/tree.js";
import { aliasOf, CircuitTester, failsAt, l1OpInput, site, terminateCurve, type Frame } from "./helpers.js";
import { pinned, readConstraintSnapshot } from "../../bench/snapshots.js";

/** Constraint counts of these templates, recorded by bin/bench --update-snapshots (snapshots/constraints.json). */
const pinnedCount = (main: string) => pinned(readConstraintSnapshot().templates, main);

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
    expect(f40.nConstraints).to.equal(pinnedCount("FloatDecode(5, 35)"));
    expect(f8.nConstraints).to.equal(pinnedCount("FloatDecode(4, 4)"));
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
  it("equals circomlibjs Poseidon over (ax, ay, tokenId·2^160 + balance·2^32 + nonce), as the model", async () => {
    const poseidon = await buildPoseidon();
    const c = await loadCrypto();
    const leaf = await CircuitTester.compile("account_leaf", ["account_leaf.circom"], "AccountLeaf()");
    // one Poseidon(3)
    expect(leaf.nConstraints).to.equal(pinnedCount("AccountLeaf()"));
    const rnd = fieldElements(6n);
    const ax = rnd.next().value!;
    const ay = rnd.next().value!;
    // every field at its largest (the packing must not overlap), and small distinct values
    for (const a of [
      { ax, ay, tokenId: (1n << 32n) - 1n, balance: MAX_BALANCE, nonce: (1n << 32n) - 1n },
      { ax, ay, tokenId: 7n, balance: 1000n, nonce: 3n },
    ]) {
      const w = await leaf.expectPass(a);
      const expected = poseidon.F.toObject(poseidon([a.ax, a.ay, a.tokenId * 2n ** 160n + a.balance * 2n ** 32n + a.nonce]));
      expect(leaf.get(w, "out")).to.equal(expected);
      expect(accountLeaf(c.hash, { ...a, owner: 0xa11cen }), "src/model/account.ts accountLeaf").to.equal(expected);
      leaf.expectUnsatisfied(leaf.edit(w, { out: expected + 1n }));
    }
  });
});

describe("circuit AccountUpdate", function () {
  // AccountUpdate(2): 16 leaves; oldEmpty is a main input here (not a constant as in Transfer)
  let c: ZkrCrypto;
  let tester: CircuitTester;
  let tree: AccountTree;
  const owner = 0n;
  const stored: Account = { ax: 11n, ay: 22n, owner, tokenId: 7n, balance: 1000n, nonce: 3n };
  const other: Account = { ax: 33n, ay: 44n, owner, tokenId: 2n, balance: MAX_BALANCE, nonce: (1n << 32n) - 1n };
  const fieldsOf = (prefix: "old" | "new", a: Account) => ({
    [`${prefix}Ax`]: a.ax,
    [`${prefix}Ay`]: a.ay,
    [`${prefix}Token`]: a.tokenId,
    [`${prefix}Balance`]: a.balance,
    [`${prefix}Nonce`]: a.nonce,
  });
  const bits = (i: bigint) => Array.from({ length: 4 }, (_, b) => (i >> BigInt(b)) & 1n);
  const input = (i: bigint, old: Account, next: Account, opts: { enabled?: bigint; oldEmpty?: bigint } = {}) => ({
    enabled: opts.enabled ?? 1n,
    oldEmpty: opts.oldEmpty ?? 0n,
    pathBits: bits(i),
    siblings: tree.proof(i).flat(),
    rootIn: tree.root,
    ...fieldsOf("old", old),
    ...fieldsOf("new", next),
  });
  const rangeCheck = (field: string) => failsAt("Num2Bits", ["AccountUpdate", "account_update.circom", field]);
  const rangeSite = (field: string) => site(["Num2Bits", "account_update.circom", field], "out");

  before(async () => {
    c = await loadCrypto();
    tester = await CircuitTester.compile("account_update_d2", ["account_update.circom"], "AccountUpdate(2)");
    tree = new AccountTree(2, c.hash);
    tree.update(5n, accountLeaf(c.hash, stored));
    tree.update(9n, accountLeaf(c.hash, other));
  });

  it("has the expected constraint count", () => {
    // MerkleUpdate(2) 1,431, 2 AccountLeaf 522, 2 · (32 + 128 + 32) range bits, the oldEmpty selection 1
    expect(tester.nConstraints).to.equal(pinnedCount("AccountUpdate(2)"));
  });

  it("replaces the leaf at the index, fills an empty slot (oldEmpty), passes the root through when disabled", async () => {
    const next = { ...stored, balance: 999n, nonce: 4n };
    const w = await tester.expectPass(input(5n, stored, next));
    const after = new AccountTree(2, c.hash);
    after.update(5n, accountLeaf(c.hash, next));
    after.update(9n, accountLeaf(c.hash, other));
    expect(tester.get(w, "rootOut")).to.equal(after.root);
    // an empty slot: the old fields are not hashed (but still range-checked)
    const created = await tester.expectPass(input(3n, stored, other, { oldEmpty: 1n }));
    after.update(3n, accountLeaf(c.hash, other));
    after.update(5n, accountLeaf(c.hash, stored));
    expect(tester.get(created, "rootOut")).to.equal(after.root);
    const off = await tester.expectPass(input(3n, other, next, { enabled: 0n }));
    expect(tester.get(off, "rootOut")).to.equal(tree.root);
  });

  it("rejects every other opening of a stored leaf, though it packs to the same state word", async () => {
    // (token − 1, balance + 2^128), (balance − 1, nonce + 2^32), (token + 1, nonce − 2^160),
    // (token − 8, balance + 8·2^128): each packs to the stored leaf's state word mod r, so the
    // Merkle check passes and only the range checks can tell
    const aliases: [Account, string[]][] = [
      [aliasOf(stored, { tokenId: -1n, balance: 1n << 128n }), ["Num2Bits(128)(oldBalance)", "Num2Bits(128)(newBalance)"]],
      [aliasOf(stored, { balance: -1n, nonce: 1n << 32n }), ["Num2Bits(32)(oldNonce)", "Num2Bits(32)(newNonce)"]],
      [aliasOf(stored, { tokenId: 1n, nonce: -(1n << 160n) }), ["Num2Bits(32)(oldNonce)", "Num2Bits(32)(newNonce)"]],
      [
        aliasOf(stored, { tokenId: -8n, balance: 8n << 128n }),
        ["Num2Bits(32)(oldToken)", "Num2Bits(32)(newToken)", "Num2Bits(128)(oldBalance)", "Num2Bits(128)(newBalance)"],
      ],
    ];
    for (const [alias, checks] of aliases) {
      // the prover writes the same fields back (only the opening is wrong)
      await tester.expectAssertFail(input(5n, alias, alias), rangeCheck(checks[0]));
      await tester.expectViolations(input(5n, alias, alias), checks.map(rangeSite));
    }
    // the honest opening written back unchanged satisfies everything
    await tester.expectViolations(input(5n, stored, stored), []);
  });

  it("range-checks every field it writes, and every field it reads even when disabled or empty", async () => {
    for (const [field, value] of [
      ["Token", 1n << 32n],
      ["Balance", 1n << 128n],
      ["Nonce", 1n << 32n],
      ["Balance", SNARK_FIELD - 1n],
    ] as const) {
      const bad = { ...fieldsOf("new", stored), [`new${field}`]: value };
      const check = `Num2Bits(${field === "Balance" ? 128 : 32})(new${field})`;
      await tester.expectAssertFail({ ...input(5n, stored, stored), ...bad }, rangeCheck(check));
      const badOld = { [`old${field}`]: value };
      const oldCheck = check.replace("(new", "(old");
      await tester.expectAssertFail({ ...input(3n, stored, stored, { enabled: 0n }), ...badOld }, rangeCheck(oldCheck));
      await tester.expectAssertFail({ ...input(3n, stored, stored, { oldEmpty: 1n }), ...badOld }, rangeCheck(oldCheck));
    }
  });
});

/**
 * One case of the MerkleUpdate test: depth D and the tree shape it must have, spelled out
 * (levels leaves first: arity and the number of index bits the level takes).
 */
interface MerkleCase {
  D: number;
  shape: [arity: 8 | 4, bits: number][];
}

describe("circuit MerkleUpdate", function () {
  const cases: MerkleCase[] = [
    {
      D: 2,
      shape: [
        [8, 3],
        [4, 1],
      ],
    }, // 16 leaves: the top takes one bit, positions 0/1 only
    {
      D: 3,
      shape: [
        [8, 3],
        [8, 3],
      ],
    }, // 64 leaves: no 4-ary top
    {
      D: 4,
      shape: [
        [8, 3],
        [8, 3],
        [4, 2],
      ],
    }, // 256 leaves
  ];
  let poseidon: Poseidon;
  let hash: (c: bigint[]) => bigint;
  const testers = new Map<number, CircuitTester>();
  const rootCheck = failsAt(["MerkleUpdate", "merkle_update.circom", "(oldNode[n8 + top] - rootIn) * enabled === 0;"]);

  /**
   * Independent reference: the nodes of every level (leaves first) of the full tree, hashed
   * level by level in groups of the level's arity. A top level taking fewer bits than its
   * arity has children beyond the index range: they are empty subtrees, so the leaves are
   * padded with 0 up to the product of the arities.
   */
  function treeNodes({ shape }: MerkleCase, leaves: bigint[]): bigint[][] {
    const width = shape.reduce((n, [arity]) => n * arity, 1);
    const out = [[...leaves, ...new Array<bigint>(width - leaves.length).fill(0n)]];
    for (const [arity] of shape) {
      const prev = out[out.length - 1];
      out.push(Array.from({ length: prev.length / arity }, (_, i) => hash(prev.slice(arity * i, arity * (i + 1)))));
    }
    return out;
  }
  const rootOf = (mc: MerkleCase, leaves: bigint[]) => treeNodes(mc, leaves)[mc.shape.length][0];
  /** The circuit's `siblings`: per level, the other children of the path node's parent, in position order. */
  function siblingsOf(mc: MerkleCase, leaves: bigint[], index: number): bigint[] {
    const nodes = treeNodes(mc, leaves);
    let i = index;
    return mc.shape.flatMap(([arity], l) => {
      const first = i - (i % arity);
      const sib = Array.from({ length: arity }, (_, k) => first + k)
        .filter((k) => k !== i)
        .map((k) => nodes[l][k]);
      i = Math.floor(i / arity);
      return sib;
    });
  }
  const pathBits = (D: number, index: number) => Array.from({ length: 2 * D }, (_, b) => (index >> b) & 1);
  /** Index with child position positions[l] at level l. */
  function indexAt(mc: MerkleCase, positions: number[]): number {
    let index = 0;
    let shift = 0;
    mc.shape.forEach(([, bits], l) => {
      if (positions[l] >= 1 << bits) throw new Error(`position ${positions[l]} does not fit ${bits} bits`);
      index += positions[l] << shift;
      shift += bits;
    });
    return index;
  }
  /** Indexes that put the path at every child position of every level (each level's positions in turn, shifted per level). */
  function everyPosition(mc: MerkleCase): number[] {
    const out = new Set<number>();
    for (let k = 0; k < 8; k++)
      out.add(
        indexAt(
          mc,
          mc.shape.map(([, bits], l) => (k + 3 * l) % (1 << bits)),
        ),
      );
    out.add(0).add(4 ** mc.D - 1);
    return [...out];
  }
  function leavesFor(mc: MerkleCase): bigint[] {
    const rnd = fieldElements(BigInt(4 + mc.D));
    return Array.from({ length: 4 ** mc.D }, (_, i) => (i % 3 === 0 ? 0n : rnd.next().value!));
  }

  before(async () => {
    poseidon = await buildPoseidon();
    hash = (c) => poseidon.F.toObject(poseidon(c));
    for (const D of [2, 3, 4, 8, 12, 16]) testers.set(D, await CircuitTester.compile(`merkle_update_d${D}`, ["merkle_update.circom"], `MerkleUpdate(${D})`));
  });

  it("has the expected constraint counts", () => {
    // per 8-ary level 2 · Poseidon(8) 402 + 26 selection = 830; a 4-ary top taking 2 bits
    // 2 · Poseidon(4) 297 + 11 = 605, taking 1 bit 599 (its second bit is the constant 0: s3,
    // s3·(q2 − q1) and children 2 and 3 of both nodes fold to linear, 6 of the 11 selection
    // products); root check and output 2
    const expected: [number, number][] = [
      [2, 830 + 599 + 2],
      [3, 2 * 830 + 2],
      [4, 2 * 830 + 605 + 2],
      [8, 5 * 830 + 599 + 2],
      [12, 8 * 830 + 2],
      [16, 10 * 830 + 605 + 2],
    ];
    for (const [D, n] of expected) expect(testers.get(D)!.nConstraints, `MerkleUpdate(${D})`).to.equal(n);
    for (const [D, n] of expected) expect(n, `MerkleUpdate(${D})`).to.equal(pinnedCount(`MerkleUpdate(${D})`));
  });

  it("the reference tree and src/model/tree.ts AccountTree agree (shape, root, proofs)", () => {
    for (const mc of cases) {
      expect(
        treeLevels(mc.D).map((l) => l.arity),
        `D=${mc.D}`,
      ).to.deep.equal(mc.shape.map(([a]) => a));
      expect(siblingCount(mc.D), `D=${mc.D}`).to.equal(mc.shape.reduce((n, [a]) => n + a - 1, 0));
      const leaves = leavesFor(mc);
      const t = new AccountTree(mc.D, hash);
      expect(t.root, `D=${mc.D}: empty root`).to.equal(
        rootOf(
          mc,
          leaves.map(() => 0n),
        ),
      );
      leaves.forEach((v, i) => v !== 0n && t.update(BigInt(i), v));
      expect(t.root, `D=${mc.D}: root`).to.equal(rootOf(mc, leaves));
      for (const index of everyPosition(mc)) {
        expect(t.proof(BigInt(index)).flat(), `D=${mc.D}: proof of ${index}`).to.deep.equal(siblingsOf(mc, leaves, index));
      }
    }
  });

  it("checks the old root and computes the new one at every child position of every level", async () => {
    for (const mc of cases) {
      const tester = testers.get(mc.D)!;
      const leaves = leavesFor(mc);
      const t = new AccountTree(mc.D, hash);
      leaves.forEach((v, i) => v !== 0n && t.update(BigInt(i), v));
      const rnd = fieldElements(99n);
      const seen = mc.shape.map(() => new Set<number>());
      for (const index of everyPosition(mc)) {
        let i = index;
        mc.shape.forEach(([arity], l) => {
          seen[l].add(i % arity);
          i = Math.floor(i / arity);
        });
        const newLeaf = rnd.next().value!;
        const updated = [...leaves];
        updated[index] = newLeaf;
        const w = await tester.expectPass({
          enabled: 1,
          pathBits: pathBits(mc.D, index),
          siblings: siblingsOf(mc, leaves, index),
          oldLeaf: leaves[index],
          newLeaf,
          rootIn: rootOf(mc, leaves),
        });
        const label = `D=${mc.D}, index ${index}`;
        expect(tester.get(w, "rootOut"), label).to.equal(rootOf(mc, updated));
        // the model's tree: same proof, same new root
        expect(t.proof(BigInt(index)).flat(), label).to.deep.equal(siblingsOf(mc, leaves, index));
        const t2 = new AccountTree(mc.D, hash);
        updated.forEach((v, k) => v !== 0n && t2.update(BigInt(k), v));
        expect(t2.root, label).to.equal(rootOf(mc, updated));
      }
      // every position of every level was exercised (a 1-bit top: 0 and 1)
      expect(
        seen.map((p) => [...p].sort((a, b) => a - b)),
        `D=${mc.D}`,
      ).to.deep.equal(mc.shape.map(([, bits]) => Array.from({ length: 1 << bits }, (_, k) => k)));
    }
  });

  it("passes the root through unchanged when disabled, whatever the proof", async () => {
    for (const mc of cases) {
      const tester = testers.get(mc.D)!;
      const w = await tester.expectPass({
        enabled: 0,
        pathBits: pathBits(mc.D, 5),
        siblings: siblingsOf(mc, leavesFor(mc), 9),
        oldLeaf: 123,
        newLeaf: 456,
        rootIn: 789,
      });
      expect(tester.get(w, "rootOut"), `D=${mc.D}`).to.equal(789n);
    }
  });

  it("rejects a wrong leaf, a wrong sibling at any level, a wrong index bit at any level or a wrong root when enabled", async () => {
    for (const mc of cases) {
      const tester = testers.get(mc.D)!;
      const leaves = leavesFor(mc);
      // a path off position 0 at every level
      const index = indexAt(
        mc,
        mc.shape.map(([, bits]) => (bits === 1 ? 1 : 5 & ((1 << bits) - 1))),
      );
      const good = {
        enabled: 1,
        pathBits: pathBits(mc.D, index),
        siblings: siblingsOf(mc, leaves, index),
        oldLeaf: leaves[index],
        newLeaf: 5n,
        rootIn: rootOf(mc, leaves),
      };
      await tester.expectPass(good);
      let first = 0;
      let bit = 0;
      for (const [arity, bits] of mc.shape) {
        // each sibling of the level (all of them are hashed, the unused top children included)
        for (let k = 0; k < arity - 1; k++) {
          const tampered = [...good.siblings];
          tampered[first + k] += 1n;
          await tester.expectAssertFail({ ...good, siblings: tampered }, rootCheck);
        }
        for (let b = bit; b < bit + bits; b++) {
          const flipped = [...good.pathBits];
          flipped[b] ^= 1;
          await tester.expectAssertFail({ ...good, pathBits: flipped }, rootCheck);
        }
        first += arity - 1;
        bit += bits;
      }
      expect([first, bit]).to.deep.equal([siblingCount(mc.D), 2 * mc.D]);
      await tester.expectAssertFail({ ...good, oldLeaf: leaves[index] + 1n }, rootCheck);
      await tester.expectAssertFail({ ...good, rootIn: rootOf(mc, leaves) + 1n }, rootCheck);
    }
  });

  it("constraints bind the new root to the leaf and the path (edited witnesses fail)", async () => {
    for (const mc of cases) {
      const tester = testers.get(mc.D)!;
      const leaves = leavesFor(mc);
      const index = everyPosition(mc)[3];
      const w = await tester.expectPass({
        enabled: 1,
        pathBits: pathBits(mc.D, index),
        siblings: siblingsOf(mc, leaves, index),
        oldLeaf: leaves[index],
        newLeaf: 77n,
        rootIn: rootOf(mc, leaves),
      });
      tester.expectUnsatisfied(tester.edit(w, { rootOut: rootOf(mc, leaves) }));
      // disabling the update on a witness of an enabled one: the new root no longer follows
      tester.expectUnsatisfied(tester.edit(w, { enabled: 0n }));
      // another new leaf, or another path, under the same intermediate wires
      tester.expectUnsatisfied(tester.edit(w, { newLeaf: 78n }));
      for (let b = 0; b < 2 * mc.D; b++) tester.expectUnsatisfied(tester.edit(w, { [`pathBits[${b}]`]: BigInt(pathBits(mc.D, index)[b] ^ 1) }));
    }
  });
});

describe("circuit L1Op (T = 0: the slots after the first)", function () {
  const p = deriveParams({ name: "l1op_d2", description: "", depth: 2, batchSize: 1, l1Slots: 1, feeSlots: 1 });
  let c: ZkrCrypto;
  let tester: CircuitTester;
  let keys: L2Key[];
  const owners = [0xa11cen, 0xb0bn];
  const hashIn = 0x1234567n; // any queue position

  before(async () => {
    c = await loadCrypto();
    tester = await CircuitTester.compile("l1_op_d2", ["l1_op.circom"], "L1Op(2, 0)");
    keys = await Promise.all(["l1op a", "l1op b"].map((s) => L2Key.fromPrivateKey("0x" + createHash("sha256").update(s).digest("hex"))));
  });

  /** A state with account 1 (owner 0, token 1, balance 1000) and account 2 (owner 1, token 2, balance 2^128 − 5). */
  function freshState(): L2State {
    const s = new L2State(c, p);
    s.applyL1Op(createOp(1n, 0, 1n, 1000n));
    s.applyL1Op(createOp(2n, 1, 2n, MAX_BALANCE - 4n));
    return s;
  }
  function createOp(accountIdx: bigint, who: number, tokenId: bigint, amount: bigint): L1Op {
    return { kind: L1OpKind.CREATE, accountIdx, tokenId, amount, owner: owners[who], ax: keys[who].ax, ay: keys[who].ay };
  }
  const op = (kind: L1OpKind, accountIdx: bigint, tokenId: bigint, amount: bigint, owner: bigint): L1Op => ({
    kind,
    accountIdx,
    tokenId,
    amount,
    owner,
    ax: 0n,
    ay: 0n,
  });

  /** Template input of `o` applied to `s` by the model (which it mutates), and what the model expects. */
  function apply(s: L2State, o: L1Op) {
    const { input, result } = l1OpInput(s, hashIn, o);
    return { input, result, rootOut: s.root, hashOut: l1ChainStep(c.hash, hashIn, o) };
  }
  const resultOf = (w: bigint[]) => tester.get(w, "result");

  it("has the expected constraint count", () => {
    // AccountUpdate(2) 2,338 (MerkleUpdate(2) 1,431, see the MerkleUpdate test; 2 AccountLeaf
    // 522; the range bits of both leaves 384; the empty-old-leaf selection 1), Poseidon(5) 321,
    // range bits 2 + 4 + 32 + 128 + 129 (deposit sum), flags and selections 18 (the result is
    // < 2^128 without bits of its own). 2,588 before the leaf fields were range-checked.
    expect(tester.nConstraints).to.equal(pinnedCount("L1Op(2, 0)"));
  });

  it("matches the model for every kind and outcome", async () => {
    const s = freshState();
    const cases: [string, L1Op, bigint][] = [
      ["create", createOp(3n, 1, 7n, 55n), 0n],
      ["deposit", op(L1OpKind.DEPOSIT, 1n, 1n, 250n, 999n), 0n],
      ["deposit of another token: refund", op(L1OpKind.DEPOSIT, 1n, 2n, 250n, 999n), 250n],
      ["deposit up to 2^128 − 1", op(L1OpKind.DEPOSIT, 2n, 2n, 4n, owners[1]), 0n],
      ["deposit past 2^128 − 1: refund", op(L1OpKind.DEPOSIT, 2n, 2n, 1n, owners[1]), 1n],
      ["deposit of the largest amount: refund", op(L1OpKind.DEPOSIT, 3n, 7n, MAX_BALANCE, owners[0]), MAX_BALANCE],
      ["forced exit by the owner", op(L1OpKind.FORCE_EXIT, 1n, 1n, 0n, owners[0]), 1250n],
      ["forced exit of an empty balance", op(L1OpKind.FORCE_EXIT, 1n, 1n, 0n, owners[0]), 0n],
      ["forced exit of 2^128 − 1", op(L1OpKind.FORCE_EXIT, 2n, 2n, 0n, owners[1]), MAX_BALANCE],
    ];
    for (const [name, o, expected] of cases) {
      const { input, result, rootOut, hashOut } = apply(s, o);
      expect(result, `${name}: the model's result`).to.equal(expected);
      const w = await tester.expectPass(input);
      expect(tester.get(w, "enabled"), name).to.equal(1n);
      expect(tester.get(w, "rootOut"), name).to.equal(rootOut);
      expect(tester.get(w, "hashOut"), name).to.equal(hashOut);
      expect(resultOf(w), name).to.equal(result);
    }
  });

  it("applies a FORCE_EXIT whoever the queued owner is (the contract checks it); the model refuses another owner", async () => {
    const s = freshState();
    const root = s.root;
    // the model: a forced exit queued by another address means its state is out of sync with L1
    expect(() => s.applyL1Op(op(L1OpKind.FORCE_EXIT, 1n, 1n, 0n, owners[1]))).to.throw(OutOfSyncError, /not its owner/);
    expect(s.root).to.equal(root);
    expect(s.account(1n)!.balance).to.equal(1000n);
    // the circuit has no owner in the leaf: the owner feeds only the queue hash
    const byOwner = op(L1OpKind.FORCE_EXIT, 1n, 1n, 0n, owners[0]);
    const { input, rootOut } = apply(s, byOwner);
    const byOther = { ...byOwner, owner: owners[1] };
    const w = await tester.expectPass({ ...input, owner: owners[1] });
    expect([resultOf(w), tester.get(w, "rootOut"), tester.get(w, "hashOut")]).to.deep.equal([1000n, rootOut, l1ChainStep(c.hash, hashIn, byOther)]);
    expect(tester.get(w, "hashOut")).to.not.equal(l1ChainStep(c.hash, hashIn, byOwner));
  });

  it("changes nothing in a disabled slot (all inputs 0)", async () => {
    const s = freshState();
    const zero = { kind: 0, accountIdx: 0, tokenId: 0, amount: 0, owner: 0, ax: 0, ay: 0 };
    const leaf = {
      ...{ leafAx: 0, leafAy: 0, leafToken: 0, leafBalance: 0, leafNonce: 0, siblings: zeroProof(2).flat() },
      ...{ toAx: 0, toAy: 0, toToken: 0, toBalance: 0, toNonce: 0, toSiblings: zeroProof(2).flat() },
    };
    const w = await tester.expectPass({ rootIn: s.root, hashIn, ...zero, ...leaf });
    expect([tester.get(w, "enabled"), tester.get(w, "rootOut"), tester.get(w, "hashOut"), resultOf(w)]).to.deep.equal([0n, s.root, hashIn, 0n]);
    const data = failsAt(["L1Op", "l1_op.circom", "e1 * (1 - enabled) === 0;"]);
    for (const [k, v] of [
      ["accountIdx", 1],
      ["tokenId", 1],
      ["amount", 1],
    ] as const) {
      await tester.expectAssertFail({ rootIn: s.root, hashIn, ...zero, ...leaf, [k]: v }, data);
    }
    await tester.expectAssertFail({ rootIn: s.root, hashIn, ...zero, ...leaf, owner: 1 }, failsAt(["L1Op", "l1_op.circom", "owner * (1 - enabled) === 0;"]));
    await tester.expectAssertFail({ rootIn: s.root, hashIn, ...zero, ...leaf, ax: 1 }, failsAt(["L1Op", "l1_op.circom", "ax * (1 - enabled) === 0;"]));
    await tester.expectAssertFail({ rootIn: s.root, hashIn, ...zero, ...leaf, ay: 1 }, failsAt(["L1Op", "l1_op.circom", "ay * (1 - enabled) === 0;"]));
  });

  it("rejects another decomposition of the same e1, and kinds beyond FORCE_EXIT", async () => {
    const { input } = apply(freshState(), op(L1OpKind.DEPOSIT, 1n, 1n, 250n, 999n));
    const e1 = (i: { kind: bigint; accountIdx: bigint; tokenId: bigint; amount: bigint }) =>
      (i.kind << 192n) + (i.accountIdx << 160n) + (i.tokenId << 128n) + i.amount;
    const aliases = [
      [{ ...input, tokenId: 0n, amount: 250n + (1n << 128n) }, "Num2Bits(128)(amount)"],
      [{ ...input, accountIdx: 0n, tokenId: 1n + (1n << 32n) }, "Num2Bits(32)(tokenId)"],
      [{ ...input, kind: 1n, accountIdx: 1n + (1n << 32n) }, "Num2Bits(2 * D)(accountIdx)"],
    ] as const;
    for (const [alias, check] of aliases) {
      expect(e1(alias)).to.equal(e1(input));
      await tester.expectAssertFail(alias, failsAt("Num2Bits", ["L1Op", "l1_op.circom", check]));
    }
    // a FORCE_TRANSFER (4) needs slot 0's L1Op(D, 1)
    await tester.expectAssertFail({ ...input, kind: 4n }, failsAt("Num2Bits", ["L1Op", "l1_op.circom", "Num2Bits(2 + T)(kind)"]));
  });

  it("rejects a CREATE into an occupied slot and a DEPOSIT or FORCE_EXIT on an empty one", async () => {
    const rootCheck = failsAt(
      ["MerkleUpdate", "merkle_update.circom", "(oldNode[n8 + top] - rootIn) * enabled === 0;"],
      ["AccountUpdate", "account_update.circom", "rootOut <== MerkleUpdate(D)"],
      ["L1Op", "l1_op.circom", "rootOut <== AccountUpdate(D)(enabled, isCreate"],
    );
    const s = freshState();
    const empty = { leafAx: 0n, leafAy: 0n, leafToken: 0n, leafBalance: 0n, leafNonce: 0n };
    const noReceiver = { toAx: 0n, toAy: 0n, toToken: 0n, toBalance: 0n, toNonce: 0n, toSiblings: zeroProof(2).flat() };
    const base = { rootIn: s.root, hashIn, ...empty, ...noReceiver };
    await tester.expectAssertFail({ ...base, ...createOp(1n, 1, 1n, 5n), kind: 1n, siblings: s.tree.proof(1n).flat() }, rootCheck);
    for (const kind of [L1OpKind.DEPOSIT, L1OpKind.FORCE_EXIT]) {
      await tester.expectAssertFail({ ...base, ...op(kind, 5n, 0n, 0n, 0n), kind: BigInt(kind), siblings: s.tree.proof(5n).flat() }, rootCheck);
    }
  });

  it("constraints bind the outcome (edited witnesses fail)", async () => {
    const s = freshState();
    const deposit = await tester.expectPass(apply(s, op(L1OpKind.DEPOSIT, 1n, 1n, 250n, 999n)).input);
    expect(tester.get(deposit, "depositOk")).to.equal(1n);
    tester.expectUnsatisfied(tester.edit(deposit, { depositOk: 0n, depositCredited: 0n, refund: 250n }));
    tester.expectUnsatisfied(tester.edit(deposit, { result: 1n }));
    // a forced exit of account 2 (balance 2^128 − 5): neither the withdrawn amount nor the
    // zeroed balance can be edited away (the withdrawn amount itself is no wire: --O2 expresses
    // it through the result)
    const exitRootIn = s.root;
    const exit = await tester.expectPass(apply(s, op(L1OpKind.FORCE_EXIT, 2n, 2n, 0n, owners[1])).input);
    expect(resultOf(exit)).to.equal(MAX_BALANCE - 4n);
    tester.expectUnsatisfied(tester.edit(exit, { result: 0n }));
    tester.expectUnsatisfied(tester.edit(exit, { result: MAX_BALANCE - 5n }));
    // the new leaf kept the old balance (the old leaf), or the root left unchanged
    const newLeaf = tester.nameLike(/^AccountUpdate@\d+\.newLeaf$/);
    const oldLeaf = tester.get(exit, tester.nameLike(/^AccountUpdate@\d+\.oldHash$/));
    expect(tester.get(exit, newLeaf)).to.not.equal(oldLeaf);
    tester.expectUnsatisfied(tester.edit(exit, { [newLeaf]: oldLeaf }));
    tester.expectUnsatisfied(tester.edit(exit, { rootOut: exitRootIn }));
    tester.expectUnsatisfied(tester.edit(exit, { result: 0n, [newLeaf]: oldLeaf, rootOut: exitRootIn }));
    tester.expectUnsatisfied(tester.edit(exit, { hashOut: hashIn }));
  });
});

describe("circuit SchnorrVerifier128", function () {
  let c: ZkrCrypto;
  let tester: CircuitTester;
  let keys: L2Key[];
  const m: SignatureMessage = { domain: 0xd0d0d0n, word: (0x0102030405060708090a0bn << 32n) + 17n };

  const input = (k: L2Key, sig: Signature, msg = m, enabled = 1n) => ({
    enabled,
    Ax: k.ax,
    Ay: k.ay,
    S: sig.S,
    R8x: sig.R8x,
    R8y: sig.R8y,
    domain: msg.domain,
    word: msg.word,
  });
  const frame = (snippet: string): Frame => ["SchnorrVerifier128", "schnorr.circom", snippet];
  const AT = {
    equal: failsAt("ForceEqualIfEnabled", frame("ForceEqualIfEnabled()(enabled, [left[0], right.xout]);")),
    sBits: failsAt("Num2Bits", frame("Num2Bits(253)(S)")),
    r8OnCurve: failsAt(["OnCurveIfEnabled", "schnorr.circom", "(168700 * x2"], frame("OnCurveIfEnabled()(enabled, R8x, R8y);")),
    aOnCurve: failsAt(["OnCurveIfEnabled", "schnorr.circom", "(168700 * x2"], frame("OnCurveIfEnabled()(enabled, Ax, Ay);")),
    smallOrder: failsAt(frame("a8Zero * enabled === 0;")),
  };

  before(async () => {
    c = await loadCrypto();
    tester = await CircuitTester.compile("schnorr128", ["schnorr.circom"], "SchnorrVerifier128()");
    keys = await Promise.all(["sig a", "sig b", "sig c"].map((s) => L2Key.fromPrivateKey("0x" + createHash("sha256").update(s).digest("hex"))));
  });

  it("has the expected constraint count", () => {
    // S bits 253, on-curve checks 8, Poseidon(6) 354, challenge bits 254, 8·A 21,
    // EscalarMulAny(128) 1,161, BabyAdd 6, EscalarMulFix(253) 523, equality checks 6
    // (EdDSAPoseidonVerifier: 4,217, plus 261 for the Poseidon(3) message it signed)
    expect(tester.nConstraints).to.equal(pinnedCount("SchnorrVerifier128()"));
  });

  it("accepts src/model/keys.ts signatures, with src/model/keys.ts's challenge", async () => {
    const rnd = fieldElements(128n);
    const messages: SignatureMessage[] = [m, { domain: 0n, word: 0n }, { domain: SNARK_FIELD - 1n, word: SNARK_FIELD - 1n }];
    for (let i = 0; i < 3; i++) messages.push({ domain: rnd.next().value!, word: rnd.next().value! });
    for (const [i, msg] of messages.entries()) {
      const k = keys[i % keys.length];
      const sig = k.sign(msg);
      expect(verifySignature(c.eddsa, msg, sig, k.ax, k.ay)).to.equal(true);
      const w = await tester.expectPass(input(k, sig, msg));
      const h = c.eddsa.F.toObject(c.eddsa.poseidon([sig.R8x, sig.R8y, k.ax, k.ay, msg.domain, msg.word]));
      expect(tester.get(w, "h"), `message ${i}`).to.equal(h);
      expect(tester.get(w, "c"), `message ${i}`)
        .to.equal(signatureChallenge(c.eddsa, sig.R8x, sig.R8y, k.ax, k.ay, msg))
        .and.to.equal(h % (1n << 128n));
    }
  });

  it("rejects another message word or domain, another key, S ≥ 2^253, a tampered R8, off-curve points and a small-order key", async () => {
    const [k, other] = keys;
    const sig = k.sign(m);
    await tester.expectAssertFail(input(k, sig, { ...m, word: m.word + 1n }), AT.equal);
    await tester.expectAssertFail(input(k, sig, { ...m, word: m.word + (1n << 32n) }), AT.equal);
    await tester.expectAssertFail(input(k, sig, { ...m, domain: m.domain + 1n }), AT.equal);
    await tester.expectAssertFail(input(other, sig), AT.equal);
    await tester.expectAssertFail(input(k, other.sign(m)), AT.equal);
    // S + l is the same point S·B8: the circuit accepts this second encoding of a valid signature
    // (it has no S < l check, see schnorr.circom), src/model/keys.ts does not; S + l + 1 is no signature.
    const l = c.eddsa.babyJub.subOrder;
    expect(verifySignature(c.eddsa, m, { ...sig, S: sig.S + l }, k.ax, k.ay)).to.equal(false);
    await tester.expectPass(input(k, { ...sig, S: sig.S + l }));
    await tester.expectAssertFail(input(k, { ...sig, S: sig.S + l + 1n }), AT.equal);
    await tester.expectAssertFail(input(k, { ...sig, S: sig.S + 1n }), AT.equal);
    await tester.expectAssertFail(input(k, { ...sig, S: sig.S + (1n << 253n) }), AT.sBits);
    // −R8 is on the curve; R8 + (0, 1) is not.
    await tester.expectAssertFail(input(k, { ...sig, R8x: SNARK_FIELD - sig.R8x }), AT.equal);
    await tester.expectAssertFail(input(k, { ...sig, R8y: sig.R8y + 1n }), AT.r8OnCurve);
    await tester.expectAssertFail({ ...input(k, sig), Ay: k.ay + 1n }, AT.aOnCurve);
    // A = (0, 1) (the identity) or (0, −1) (order 2): S·B8 = R8 + c·(8·A) = R8 would hold for anyone.
    const S = 42n;
    const R8 = c.eddsa.babyJub.mulPointEscalar(c.eddsa.babyJub.Base8, S).map((x) => c.eddsa.F.toObject(x));
    for (const Ay of [1n, SNARK_FIELD - 1n]) {
      await tester.expectAssertFail({ ...input(k, { R8x: R8[0], R8y: R8[1], S }), Ax: 0n, Ay }, AT.smallOrder);
    }
  });

  it("checks nothing but S < 2^253 when disabled: all zeros, garbage, a wrong signature", async () => {
    await tester.expectPass({ enabled: 0, Ax: 0, Ay: 0, S: 0, R8x: 0, R8y: 0, domain: 0, word: 0 });
    const rnd = fieldElements(7n);
    for (let i = 0; i < 3; i++) {
      const [Ax, Ay, R8x, R8y, domain, word, s] = Array.from({ length: 7 }, () => rnd.next().value!);
      await tester.expectPass({ enabled: 0, Ax, Ay, S: s % (1n << 253n), R8x, R8y, domain, word });
    }
    const [k, other] = keys;
    await tester.expectPass(input(other, k.sign(m), m, 0n));
    await tester.expectPass(input(k, { ...k.sign(m), S: k.sign(m).S + c.eddsa.babyJub.subOrder }, m, 0n));
    await tester.expectAssertFail({ ...input(k, k.sign(m), m, 0n), S: 1n << 253n }, AT.sBits);
  });

  it("constraints bind the challenge and the result (edited witnesses fail)", async () => {
    const [k] = keys;
    const w = await tester.expectPass(input(k, k.sign(m)));
    const cw = tester.get(w, "c");
    tester.expectUnsatisfied(tester.edit(w, { c: cw ^ 1n }));
    tester.expectUnsatisfied(tester.edit(w, { "cBits[0]": 1n - (cw & 1n) }));
    tester.expectUnsatisfied(tester.edit(w, { h: tester.get(w, "h") + 1n }));
    // the witness of a wrong signature, computed with the check off, fails once enabled
    const wrong = await tester.expectPass(input(k, k.sign(m), { ...m, word: m.word + 1n }, 0n));
    tester.expectUnsatisfied(tester.edit(wrong, { enabled: 1n }));
  });
});

describe("circuit L1Op (T = 1: slot 0, which can hold a forced transfer)", function () {
  const p = deriveParams({ name: "l1op_d2", description: "", depth: 2, batchSize: 1, l1Slots: 1, feeSlots: 1 });
  let c: ZkrCrypto;
  let tester: CircuitTester;
  let keys: L2Key[];
  const owners = [0xa11cen, 0xb0bn, 0xcaen];
  const hashIn = 0x7654321n;

  before(async () => {
    c = await loadCrypto();
    tester = await CircuitTester.compile("l1_op_d2_t1", ["l1_op.circom"], "L1Op(2, 1)");
    keys = await Promise.all(["ft a", "ft b", "ft c"].map((s) => L2Key.fromPrivateKey("0x" + createHash("sha256").update(s).digest("hex"))));
  });

  /** Accounts 1 (owner 0, token 1, 1000), 2 (owner 1, token 1, 2^128 − 5), 3 (owner 2, token 1, 10), 4 (owner 2, token 2, 7). */
  function freshState(): L2State {
    const s = new L2State(c, p);
    const create = (accountIdx: bigint, who: number, tokenId: bigint, amount: bigint): L1Op => ({
      kind: L1OpKind.CREATE,
      accountIdx,
      tokenId,
      amount,
      owner: owners[who],
      ax: keys[who].ax,
      ay: keys[who].ay,
    });
    s.applyL1Op(create(1n, 0, 1n, 1000n));
    s.applyL1Op(create(2n, 1, 1n, MAX_BALANCE - 4n));
    s.applyL1Op(create(3n, 2, 1n, 10n));
    s.applyL1Op(create(4n, 2, 2n, 7n));
    return s;
  }
  const ownerOf = (i: bigint) => owners[[0, 0, 1, 2, 2][Number(i)]];
  const ft = (from: bigint, to: bigint, amount: bigint, tokenId = 1n): L1Op => ({
    kind: L1OpKind.FORCE_TRANSFER,
    accountIdx: from,
    tokenId,
    amount,
    owner: ownerOf(from),
    ax: to,
    ay: 0n,
  });
  function apply(s: L2State, o: L1Op) {
    const { input, result } = l1OpInput(s, hashIn, o);
    return { input, result, rootOut: s.root, hashOut: l1ChainStep(c.hash, hashIn, o) };
  }

  it("has the expected constraint count: L1Op(2, 0) and the receiver's AccountUpdate, path bits and checks", () => {
    expect(tester.nConstraints).to.equal(pinnedCount("L1Op(2, 1)"));
    expect(pinnedCount("L1Op(2, 1)") - pinnedCount("L1Op(2, 0)")).to.be.within(pinnedCount("AccountUpdate(2)"), pinnedCount("AccountUpdate(2)") + 300);
  });

  it("matches the model for a forced transfer that moves and for every no-op, and for the other kinds", async () => {
    const s = freshState();
    const cases: [string, L1Op, bigint, bigint][] = [
      // name, operation, the sender's and the receiver's balance after
      ["moves 400 from 1 to 3", ft(1n, 3n, 400n), 600n, 410n],
      ["moves the whole balance", ft(3n, 1n, 410n), 0n, 1010n],
      ["more than the balance: no-op", ft(1n, 3n, 1011n), 1010n, 0n],
      ["the receiver would pass 2^128 − 1: no-op", ft(1n, 2n, 5n), 1010n, MAX_BALANCE - 4n],
      ["up to 2^128 − 1 exactly", ft(1n, 2n, 4n), 1006n, MAX_BALANCE],
      ["a receiver of another token: no-op", ft(1n, 4n, 1n), 1006n, 7n],
      ["a token the sender does not hold: no-op", ft(4n, 1n, 1n, 2n), 7n, 1006n],
      ["to itself: no-op", ft(1n, 1n, 6n), 1006n, 1006n],
    ];
    for (const [name, o, fromAfter, toAfter] of cases) {
      const { input, result, rootOut, hashOut } = apply(s, o);
      expect([result, s.account(o.accountIdx)!.balance, s.account(o.ax)!.balance], `${name}: the model`).to.deep.equal([0n, fromAfter, toAfter]);
      const w = await tester.expectPass(input);
      expect([tester.get(w, "enabled"), tester.get(w, "rootOut"), tester.get(w, "hashOut"), tester.get(w, "result")], name).to.deep.equal([
        1n,
        rootOut,
        hashOut,
        0n,
      ]);
    }
    // the other kinds as in L1Op(D, 0), the receiver's inputs all 0
    const deposit: L1Op = { kind: L1OpKind.DEPOSIT, accountIdx: 3n, tokenId: 1n, amount: 5n, owner: 9n, ax: 0n, ay: 0n };
    const exit: L1Op = { kind: L1OpKind.FORCE_EXIT, accountIdx: 1n, tokenId: 1n, amount: 0n, owner: owners[0], ax: 0n, ay: 0n };
    for (const o of [deposit, exit, { ...deposit, tokenId: 2n }]) {
      const { input, result, rootOut } = apply(s, o);
      const w = await tester.expectPass(input);
      expect([tester.get(w, "rootOut"), tester.get(w, "result")]).to.deep.equal([rootOut, result]);
    }
  });

  it("binds the outcome: a valid transfer cannot be skipped, an invalid one cannot be applied (edited witnesses fail)", async () => {
    const s = freshState();
    const rootIn = s.root;
    const move = await tester.expectPass(apply(s, ft(1n, 3n, 400n)).input);
    // (sent = moved·amount is no wire of its own: --O2 expresses it through moved)
    const moved = "receiver.moved";
    expect(tester.get(move, moved)).to.equal(1n);
    tester.expectUnsatisfied(tester.edit(move, { [moved]: 0n }));
    tester.expectUnsatisfied(tester.edit(move, { [moved]: 0n, rootOut: rootIn }));
    tester.expectUnsatisfied(tester.edit(move, { rootOut: rootIn }));
    const noop = await tester.expectPass(apply(s, ft(3n, 1n, 411n)).input);
    expect(tester.get(noop, moved)).to.equal(0n);
    tester.expectUnsatisfied(tester.edit(noop, { [moved]: 1n }));
    tester.expectUnsatisfied(tester.edit(noop, { result: 411n }));
  });

  it("rejects kinds 5 to 7, a receiver index of 4^D or more, a receiver that does not exist and another receiver leaf", async () => {
    const s = freshState();
    const { input } = apply(s, ft(1n, 3n, 1n));
    for (const kind of [5n, 6n, 7n])
      await tester.expectAssertFail({ ...input, kind }, failsAt(["L1Op", "l1_op.circom", "kindBits[2] * (kindBits[0] + kindBits[1]) === 0;"]));
    await tester.expectAssertFail({ ...input, kind: 8n }, failsAt("Num2Bits", ["L1Op", "l1_op.circom", "Num2Bits(2 + T)(kind)"]));
    // ax + 16 has the same low path bits at D = 2: refused by the decomposition, not wrapped
    await tester.expectAssertFail({ ...input, ax: 3n + 16n }, failsAt("Num2Bits", ["ForcedTransferReceiver", "l1_op.circom", "Num2Bits(2 * D)(toIdx)"]));
    const receiverRoot = failsAt(
      ["MerkleUpdate", "merkle_update.circom", "(oldNode[n8 + top] - rootIn) * enabled === 0;"],
      ["AccountUpdate", "account_update.circom", "rootOut <== MerkleUpdate(D)"],
      ["ForcedTransferReceiver", "l1_op.circom", "rootOut <== AccountUpdate(D)(enabled, 0, toBits"],
    );
    // account 9 is empty: there is no leaf to open (the contract queues forced transfers to existing accounts only)
    const empty = { toAx: 0n, toAy: 0n, toToken: 0n, toBalance: 0n, toNonce: 0n, toSiblings: s.tree.proof(9n).flat() };
    await tester.expectAssertFail({ ...input, ax: 9n, ...empty }, receiverRoot);
    // the receiver opened with another balance
    await tester.expectAssertFail({ ...input, toBalance: (input as { toBalance: bigint }).toBalance + 1n }, receiverRoot);
  });
});
