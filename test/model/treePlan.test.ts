// src/model/treePlan.ts and L2State's deferred hashing: a plan computes exactly what the same
// operations applied to an AccountTree give (proofs, roots, the nodes written, empty nodes
// absent), at depths with and without a 4-ary root; a malformed plan is refused; a revert inside
// a deferral takes its operations out of the plan, and one past its start ends it.
import { expect } from "chai";
import { EMPTY_ACCOUNT, packedState } from "../../src/model/account.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../../src/model/crypto.js";
import { L1OpKind } from "../../src/model/l1op.js";
import { deriveParams } from "../../src/model/params.js";
import { L2State } from "../../src/model/state.js";
import { AccountTree, MapTreeNodes, nodeKeys, treeLevels } from "../../src/model/tree.js";
import { newTreePlan, runTreePlan, TreeOp, type TreePlan } from "../../src/model/treePlan.js";

/** A deterministic stream of numbers in [0, n). */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

describe("tree plans (the deferred Merkle hashing of a batch)", () => {
  let c: ZkrCrypto;
  before(async () => (c = await loadCrypto()));

  /** Node store of a tree, read back as key → value (what the plan's `nodes` must reproduce). */
  function nodesOf(depth: number, store: MapTreeNodes, keys: number[]): Map<number, bigint> {
    const out = new Map<number, bigint>();
    const levels = treeLevels(depth).length;
    for (let l = 0; l <= levels; l++) {
      for (let i = 0; i < keys[l + 1]! - keys[l]!; i++) {
        const v = store.get(l, i);
        if (v !== undefined) out.set(keys[l]! + i, v);
      }
    }
    return out;
  }

  for (const depth of [2, 3, 4]) {
    it(`equals an AccountTree's updates on random operations (D = ${depth}${depth === 3 ? ", 8-ary levels only" : ", a 4-ary root"})`, () => {
      const next = rng(depth * 7919);
      const capacity = 4 ** depth;
      const keys = nodeKeys(depth);
      // The tree before the plan: some leaves set.
      const beforeNodes = new MapTreeNodes();
      const before = new AccountTree(depth, c.hash, beforeNodes);
      for (let k = 0; k < capacity / 3; k++) before.update(BigInt(next(capacity)), BigInt(1 + next(1000)));
      const startNodes = nodesOf(depth, beforeNodes, keys);
      // The same operations on a copy of it, directly, and recorded in a plan.
      const directNodes = new MapTreeNodes();
      for (const [k, v] of startNodes) {
        const l = keys.findIndex((x, j) => k >= x && k < keys[j + 1]!);
        directNodes.set(l, k - keys[l]!, v);
      }
      const direct = new AccountTree(depth, c.hash, directNodes);
      const plan: TreePlan = newTreePlan(depth, before.root);
      const expected = { proofs: [] as bigint[][], roots: [] as bigint[] };
      const touch = (i: number) => {
        if (!plan.initial.has(i)) plan.initial.set(i, before.proofAt(i).flat());
      };
      // Few distinct leaves, so that paths share nodes and a leaf is updated several times.
      const leaves = Array.from({ length: 12 }, () => next(capacity));
      for (let o = 0; o < 120; o++) {
        const i = leaves[next(leaves.length)]!;
        const kind = next(3);
        if (kind === TreeOp.PROOF) {
          touch(i);
          plan.ops.push(TreeOp.PROOF);
          plan.indexes.push(i);
          expected.proofs.push(direct.proofAt(i).flat());
        } else if (kind === TreeOp.UPDATE) {
          touch(i);
          const inputs = [BigInt(next(1 << 30)), BigInt(next(1 << 30)), packedState({ tokenId: 1n, balance: BigInt(o), nonce: 2n })];
          plan.ops.push(TreeOp.UPDATE);
          plan.indexes.push(i);
          plan.leafInputs.push(...inputs);
          direct.updateAt(i, c.hash(inputs));
        } else {
          plan.ops.push(TreeOp.ROOT);
          plan.indexes.push(0);
          expected.roots.push(direct.root);
        }
      }
      const r = runTreePlan(c.hash, plan);
      expect(r.proofs).to.deep.equal(expected.proofs);
      expect(r.roots).to.deep.equal(expected.roots);
      // The start's nodes with the plan's written over them are the directly updated tree's.
      const applied = new Map(startNodes);
      for (const [k, v] of r.nodes) {
        if (v === null) applied.delete(k);
        else applied.set(k, v);
      }
      expect(applied).to.deep.equal(nodesOf(depth, directNodes, keys));
    });
  }

  it("writes an emptied subtree's nodes as absent (null), as AccountTree stores them", () => {
    // Two leaves under one 8-ary node set, then a plan that brings their path back to the empty
    // tree's: a stand-in hash whose value for the zero leaf inputs is 0, so the leaf empties.
    const hash = (xs: bigint[]) => (xs.every((x) => x === 0n) && xs.length === 3 ? 0n : c.hash(xs));
    const t = new AccountTree(3, hash);
    t.update(5n, 99n);
    const plan = newTreePlan(3, t.root);
    plan.initial.set(5, t.proofAt(5).flat());
    plan.ops.push(TreeOp.UPDATE, TreeOp.ROOT);
    plan.indexes.push(5, 0);
    plan.leafInputs.push(0n, 0n, 0n);
    const r = runTreePlan(hash, plan);
    const empty = new AccountTree(3, hash);
    expect(r.roots).to.deep.equal([empty.root]);
    expect([...r.nodes.values()]).to.deep.equal([null, null, null]);
  });

  it("refuses a plan that touches a leaf without its proof, or whose leaf inputs do not match its updates", () => {
    const t = new AccountTree(2, c.hash);
    const plan = () => {
      const p = newTreePlan(2, t.root);
      p.initial.set(1, t.proofAt(1).flat());
      return p;
    };
    const noProof = plan();
    noProof.ops.push(TreeOp.PROOF);
    noProof.indexes.push(2);
    expect(() => runTreePlan(c.hash, noProof)).to.throw(/touches leaf 2 without its proof/);
    const short = plan();
    short.initial.set(1, t.proofAt(1).flat().slice(1));
    short.ops.push(TreeOp.PROOF);
    short.indexes.push(1);
    expect(() => runTreePlan(c.hash, short)).to.throw(/touches leaf 1 without its proof/);
    const noInputs = plan();
    noInputs.ops.push(TreeOp.UPDATE);
    noInputs.indexes.push(1);
    expect(() => runTreePlan(c.hash, noInputs)).to.throw(/no leaf inputs/);
    const extra = plan();
    extra.leafInputs.push(1n, 2n, 3n);
    expect(() => runTreePlan(c.hash, extra)).to.throw(/leaf inputs no update uses/);
    const unequal = plan();
    unequal.ops.push(TreeOp.ROOT);
    expect(() => runTreePlan(c.hash, unequal)).to.throw(/one index per operation/);
  });

  it("L2State: a deferral records proofs, updates and roots; a revert inside it takes its operations out, one past its start ends it", () => {
    const params = deriveParams({ name: "plan_d2", description: "a D = 2 state for the deferral test", depth: 2, batchSize: 2, l1Slots: 1, feeSlots: 1 });
    const s = new L2State(c, params);
    const a = { ...EMPTY_ACCOUNT, ax: 1n, ay: 2n, balance: 10n };
    const i1 = s.createAccount(a);
    const i2 = s.createAccount({ ...a, ax: 3n });
    const rootBefore = s.root;
    const outer = s.checkpoint();
    expect(() => s.plan).to.throw(/not deferred/);
    s.deferHashing();
    expect(() => s.deferHashing()).to.throw(/already deferred/);
    const w = s.witness(i1);
    expect(w.proof).to.deep.equal([]); // filled by finishHashing
    s.credit(i1, 5n);
    const inner = s.checkpoint();
    s.credit(i2, 1n);
    s.rootRef();
    expect(s.plan.ops).to.deep.equal([TreeOp.PROOF, TreeOp.PROOF, TreeOp.UPDATE, TreeOp.PROOF, TreeOp.UPDATE, TreeOp.ROOT]);
    expect(() => s.forget(Number.MAX_SAFE_INTEGER)).to.throw(/deferred/);
    s.revert(inner); // the credit of i2 and the root request leave the plan
    expect(s.plan.ops).to.deep.equal([TreeOp.PROOF, TreeOp.PROOF, TreeOp.UPDATE]);
    expect(s.plan.leafInputs).to.deep.equal([1n, 2n, packedState({ tokenId: 0n, balance: 15n, nonce: 0n })]);
    expect(s.account(i2)!.balance).to.equal(10n);
    const r = s.rootRef();
    expect(s.root, "the tree is the one before the deferral until it is finished").to.equal(rootBefore);
    s.finishHashing(runTreePlan(c.hash, s.plan));
    expect(s.hashingDeferred).to.equal(false);
    // The same changes made directly.
    const d = new L2State(c, params);
    d.createAccount(a);
    d.createAccount({ ...a, ax: 3n });
    const wd = d.witness(i1);
    d.credit(i1, 5n);
    expect(w.proof).to.deep.equal(wd.proof);
    expect(r.value).to.equal(d.root);
    expect(s.root).to.equal(d.root);
    // A revert past the deferral's start: the state is as before, no deferral left.
    s.revert(outer);
    expect(s.root).to.equal(rootBefore);
    expect(s.account(i1)!.balance).to.equal(10n);
    s.checkpoint();
    s.deferHashing();
    s.credit(i1, 1n);
    s.revert(outer);
    expect(s.hashingDeferred).to.equal(false);
    expect(s.account(i1)!.balance).to.equal(10n);
    expect(s.root).to.equal(rootBefore);
  });

  it("L2State while deferred refuses a key out of the field and a CREATE past the tree's capacity, as the direct path does, changing nothing", () => {
    const params = deriveParams({ name: "plan_d2", description: "a D = 2 state for the deferral test", depth: 2, batchSize: 2, l1Slots: 1, feeSlots: 1 });
    const s = new L2State(c, params);
    const create = { kind: L1OpKind.CREATE, accountIdx: 16n, tokenId: 0n, amount: 1n, owner: 0xa1n, ax: 5n, ay: 6n };
    for (const deferred of [false, true]) {
      const cp = s.checkpoint();
      if (deferred) s.deferHashing();
      const ops = deferred ? s.plan.ops.length : 0;
      expect(() => s.createAccount({ ...EMPTY_ACCOUNT, ax: SNARK_FIELD, ay: 1n }), `deferred ${deferred}`).to.throw(/out of field/);
      expect(s.size).to.equal(0);
      if (deferred) expect(s.plan.ops).to.have.length(ops);
      s.revert(cp);
    }
    for (let i = 1; i < 16; i++) s.createAccount({ ...EMPTY_ACCOUNT, ax: BigInt(i), ay: 1n });
    for (const deferred of [false, true]) {
      const cp = s.checkpoint();
      if (deferred) s.deferHashing();
      const ops = deferred ? s.plan.ops.length : 0;
      expect(() => s.applyL1Op(create), `deferred ${deferred}`).to.throw(/account index 16 out of range \[0, 16\)/);
      expect(s.size).to.equal(15);
      if (deferred) expect(s.plan.ops).to.have.length(ops);
      s.revert(cp);
    }
  });
});
