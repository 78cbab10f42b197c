// src/model/tree.ts and account.ts: the account tree (8-ary levels, 4-ary top) and its leaves.
import { expect } from "chai";
import { accountLeaf, MAX_BALANCE, packedState, type Account } from "../../src/model/account.js";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { AccountTree, positionAt, rootFromProof, siblingCount, treeLevels, zeroProof } from "../../src/model/tree.js";

describe("account tree (8-ary levels, 4-ary top)", () => {
  let c: ZkrCrypto;
  before(async () => (c = await loadCrypto()));
  const eight = (shift: number) => ({ arity: 8, shift });

  it("has floor(2D/3) 8-ary levels and a 4-ary top for the 1 or 2 bits left", () => {
    expect(treeLevels(2)).to.deep.equal([eight(0), { arity: 4, shift: 3 }]);
    expect(treeLevels(3)).to.deep.equal([eight(0), eight(3)]);
    expect(treeLevels(4)).to.deep.equal([eight(0), eight(3), { arity: 4, shift: 6 }]);
    expect(treeLevels(12)).to.deep.equal([0, 3, 6, 9, 12, 15, 18, 21].map(eight));
    expect(treeLevels(16)).to.deep.equal([...[0, 3, 6, 9, 12, 15, 18, 21, 24, 27].map(eight), { arity: 4, shift: 30 }]);
    expect([2, 3, 4, 12, 16].map(siblingCount)).to.deep.equal([7 + 3, 14, 14 + 3, 56, 70 + 3]);
    expect(zeroProof(4)).to.deep.equal([Array(7).fill(0n), Array(7).fill(0n), Array(3).fill(0n)]);
    for (const bad of [0, 17, 1.5]) expect(() => treeLevels(bad)).to.throw(/depth/);
    // positions: 3 bits per 8-ary level, the rest at the top
    const [l0, l1, top] = treeLevels(4);
    expect([positionAt(0b11_010_101n, l0), positionAt(0b11_010_101n, l1), positionAt(0b11_010_101n, top)]).to.deep.equal([5, 2, 3]);
  });

  it("empty root is the chain of zero hashes and proofs verify after updates (D = 3: two 8-ary levels)", () => {
    const t = new AccountTree(3, c.hash);
    const z1 = c.hash(Array(8).fill(0n));
    expect(t.zeros).to.deep.equal([0n, z1, c.hash(Array(8).fill(z1))]);
    expect(t.root).to.equal(c.hash(Array(8).fill(z1)));
    t.update(5n, 111n);
    t.update(6n, 222n);
    t.update(63n, 333n);
    // leaf 5 = level-0 position 5 under node 0; its siblings are leaves 0–4, 6, 7
    expect(t.proof(5n)).to.deep.equal([
      [0n, 0n, 0n, 0n, 0n, 222n, 0n],
      [z1, z1, z1, z1, z1, z1, c.hash([0n, 0n, 0n, 0n, 0n, 0n, 0n, 333n])],
    ]);
    const n0 = c.hash([0n, 0n, 0n, 0n, 0n, 111n, 222n, 0n]);
    const n7 = c.hash([0n, 0n, 0n, 0n, 0n, 0n, 0n, 333n]);
    expect(t.root).to.equal(c.hash([n0, z1, z1, z1, z1, z1, z1, n7]));
    for (const i of [0n, 5n, 6n, 63n, 20n]) expect(rootFromProof(c.hash, 3, t.leaf(i), i, t.proof(i))).to.equal(t.root);
    expect(rootFromProof(c.hash, 3, 112n, 5n, t.proof(5n))).to.not.equal(t.root);
    expect(rootFromProof(c.hash, 3, 111n, 4n, t.proof(5n))).to.not.equal(t.root);
    expect(() => rootFromProof(c.hash, 4, 111n, 5n, t.proof(5n))).to.throw(/3 levels, got 2/);
    expect(positionAt(63n, t.levels[1])).to.equal(7);
    expect(() => t.update(64n, 1n)).to.throw(/out of range/);
    // clearing the leaves gives the empty tree back
    for (const i of [5n, 6n, 63n]) t.update(i, 0n);
    expect(t.root).to.equal(t.zeros[2]);
  });

  it("D = 2 (one 8-ary level, a 4-ary top with one bit): the root of an independent full-tree computation", () => {
    const t = new AccountTree(2, c.hash);
    const leaves = Array.from({ length: 16 }, (_, i) => (i % 3 === 1 ? BigInt(1000 + i) : 0n));
    leaves.forEach((v, i) => v !== 0n && t.update(BigInt(i), v));
    // the top's children 2 and 3 are beyond index 15: empty subtrees of one 8-ary level
    const z1 = c.hash(Array(8).fill(0n));
    const n0 = c.hash(leaves.slice(0, 8));
    const n1 = c.hash(leaves.slice(8, 16));
    expect(t.root).to.equal(c.hash([n0, n1, z1, z1]));
    expect(new AccountTree(2, c.hash).root).to.equal(c.hash([z1, z1, z1, z1]));
    expect(t.proof(10n)).to.deep.equal([
      [...leaves.slice(8, 10), ...leaves.slice(11, 16)],
      [n0, z1, z1],
    ]);
    expect(t.proof(3n)[1]).to.deep.equal([n1, z1, z1]);
    for (let i = 0n; i < 16n; i++) expect(rootFromProof(c.hash, 2, t.leaf(i), i, t.proof(i))).to.equal(t.root);
    expect(positionAt(15n, t.levels[1])).to.equal(1);
    expect(() => t.update(16n, 1n)).to.throw(/out of range/);
  });

  it("an account's leaf is Poseidon(ax, ay, tokenId·2^160 + balance·2^32 + nonce), without the owner", () => {
    const a: Account = { ax: 12345n, ay: 67890n, owner: 0xa11cen, tokenId: 0xffffffffn, balance: MAX_BALANCE, nonce: 0xfffffffen };
    const packed = (0xffffffffn << 160n) + (MAX_BALANCE << 32n) + 0xfffffffen;
    expect(packedState(a)).to.equal(packed);
    expect(packed >> 192n).to.equal(0n);
    expect(accountLeaf(c.hash, a)).to.equal(c.hash([12345n, 67890n, packed]));
    expect(accountLeaf(c.hash, { ...a, owner: 0xb0bn })).to.equal(accountLeaf(c.hash, a));
    expect(accountLeaf(c.hash, { ...a, nonce: a.nonce + 1n })).to.not.equal(accountLeaf(c.hash, a));
  });
});
