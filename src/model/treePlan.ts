// The Merkle hashing of a batch, as a task of its own (a "tree plan"): what L2State records while
// a batch is built with its hashing deferred (state.ts deferHashing), and runTreePlan, which
// computes it. Building a batch is rules and account arithmetic, which need no hash, and the
// leaf and path hashes, which need no rule: 9 Poseidons per leaf update at D = 12, most of a
// batch's build time. Split this way the sequencer checks the rules on its service thread and
// hands the hashing to another thread (src/proving/signaturePool.ts hashTree), which answers with
// the witnesses' proofs, the roots and the nodes to write; the same function computes it inline
// where no thread is given (tests, tools, replay). The answer is the one AccountTree's updates
// give in the same order (one implementation of a level's arity, its zero and a node's key:
// tree.ts), tested against it on random plans.
//
// A plan is a pure value (numbers and BigInts only: it crosses to a worker thread by structured
// clone) and its computation reads nothing else: every node it needs is in `initial`, the proof
// of each leaf it touches as the tree was when the plan started (a node no update of the plan
// changed still has that value; one it changed is in the plan's own overlay).
import type { Hasher } from "./crypto.js";
import { nodeKeys, treeLevels, treeZeros } from "./tree.js";

/**
 * What a plan asks, in order. PROOF: the proof of leaf `index` as the tree is now (a witness,
 * taken before its update). UPDATE: leaf `index` becomes Poseidon(ax, ay, packed) (the next three
 * leaf inputs) and its path is recomputed. ROOT: the root as the tree is now.
 */
export const TreeOp = { PROOF: 0, UPDATE: 1, ROOT: 2 } as const;
export type TreeOp = (typeof TreeOp)[keyof typeof TreeOp];

export interface TreePlan {
  depth: number;
  /** The root when the plan started. */
  root: bigint;
  /** The operations, in order, and the leaf index of each (0 for ROOT). */
  ops: TreeOp[];
  indexes: number[];
  /** ax, ay and packedState of each UPDATE, in order (account.ts accountLeaf's inputs). */
  leafInputs: bigint[];
  /** Per leaf index the plan touches, its proof when the plan started, flattened (siblingCount values, leaves first). */
  initial: Map<number, bigint[]>;
}

export interface TreePlanResult {
  /** Each PROOF's proof, flattened as in `initial`, in order. */
  proofs: bigint[][];
  /** Each ROOT's root, in order. */
  roots: bigint[];
  /** The nodes the plan changed, their values at its end (null: empty, as AccountTree stores it), by node key. */
  nodes: Map<number, bigint | null>;
}

/** An empty plan over a tree of depth `depth` whose root is `root`. */
export function newTreePlan(depth: number, root: bigint): TreePlan {
  return { depth, root, ops: [], indexes: [], leafInputs: [], initial: new Map() };
}

/**
 * Computes `plan`: the same proofs, roots and nodes as applying its operations to an AccountTree
 * that holds the plan's initial proofs. `zeros`: treeZeros(hash, plan.depth), if the caller keeps
 * them. Throws if the plan touches a leaf it has no initial proof of, or is malformed.
 */
export function runTreePlan(hash: Hasher, plan: TreePlan, zeros: bigint[] = treeZeros(hash, plan.depth)): TreePlanResult {
  const levels = treeLevels(plan.depth);
  const keys = nodeKeys(plan.depth);
  const top = levels.length;
  const rootKey = keys[top]!;
  const arities = levels.map((l) => l.arity);
  /** Where level l's siblings start in a flattened proof. */
  const offsets: number[] = [0];
  for (const a of arities) offsets.push(offsets.at(-1)! + a - 1);
  if (plan.ops.length !== plan.indexes.length) throw new Error("a tree plan has one index per operation");
  const changed = new Map<number, bigint>();
  const nodes = new Map<number, bigint | null>();
  const proofs: bigint[][] = [];
  const roots: bigint[] = [];
  // A node is stored as AccountTree stores it: an empty leaf (0) or an empty subtree's root is absent (null).
  const set = (level: number, key: number, v: bigint) => {
    changed.set(key, v);
    nodes.set(key, v === zeros[level] ? null : v);
  };
  let u = 0;
  const initialOf = (index: number): bigint[] => {
    const p = plan.initial.get(index);
    if (!p || p.length !== offsets[top]) throw new Error(`a tree plan touches leaf ${index} without its proof`);
    return p;
  };
  /** Leaf `index`'s proof as the tree is now, flattened: each sibling changed by the plan, else as it was at the start. */
  const proofNow = (index: number, init: bigint[]): bigint[] => {
    const out = new Array<bigint>(init.length);
    let i = index;
    for (let l = 0; l < top; l++) {
      const a = arities[l]!;
      const pos = i & (a - 1);
      const first = i - pos;
      for (let k = 0, s = offsets[l]!; k < a; k++) {
        if (k === pos) continue;
        out[s] = changed.get(keys[l]! + first + k) ?? init[s]!;
        s++;
      }
      i = first / a;
    }
    return out;
  };
  for (let o = 0; o < plan.ops.length; o++) {
    const op = plan.ops[o]!;
    const index = plan.indexes[o]!;
    if (op === TreeOp.ROOT) {
      roots.push(changed.get(rootKey) ?? plan.root);
      continue;
    }
    const siblings = proofNow(index, initialOf(index));
    if (op === TreeOp.PROOF) {
      proofs.push(siblings);
      continue;
    }
    if (op !== TreeOp.UPDATE) throw new Error(`unknown tree plan operation ${String(op)}`);
    if (u + 3 > plan.leafInputs.length) throw new Error("a tree plan's update has no leaf inputs");
    // The leaf's new value, then its path up with the siblings it has now (AccountTree.updateAlong).
    let node = hash([plan.leafInputs[u]!, plan.leafInputs[u + 1]!, plan.leafInputs[u + 2]!]);
    u += 3;
    let i = index;
    set(0, keys[0]! + i, node);
    for (let l = 0; l < top; l++) {
      const a = arities[l]!;
      const pos = i & (a - 1);
      const children = new Array<bigint>(a);
      for (let k = 0, s = offsets[l]!; k < a; k++) children[k] = k === pos ? node : siblings[s++]!;
      node = hash(children);
      i = (i - pos) / a;
      set(l + 1, keys[l + 1]! + i, node);
    }
  }
  if (u !== plan.leafInputs.length) throw new Error("a tree plan has leaf inputs no update uses");
  return { proofs, roots, nodes };
}
