import type { Hasher } from "./crypto.js";

/**
 * Merkle proof of one leaf: per level (leaves first), the arity − 1 siblings in position order
 * (7 on an 8-ary level, 3 on the 4-ary root level).
 */
export type MerkleProof = bigint[][];

/** One level of the account tree: how many children a node has and which index bits pick one. */
export interface TreeLevel {
  arity: 4 | 8;
  /** The child position at this level is (index >> shift) & (arity − 1). */
  shift: number;
}

/**
 * The levels (leaves first) of the account tree for 4^D = 2^(2D) accounts (docs/PROTOCOL.md,
 * "Account leaf and tree"): floor(2D/3) 8-ary levels, each taking 3 index bits, then, when 2D is
 * not a multiple of 3, a 4-ary root level for the remaining 1 or 2 bits (with 1 bit left only
 * its children 0 and 1 are ever used). 8-ary levels are the cheapest per index bit in the circuit
 * (Poseidon(8) 402 constraints for 3 bits against Poseidon(4) 297 for 2).
 */
export function treeLevels(depth: number): TreeLevel[] {
  if (!Number.isInteger(depth) || depth < 1 || depth > 16) throw new Error(`tree depth must be 1..16, got ${depth}`);
  const bits = 2 * depth;
  const levels: TreeLevel[] = [];
  for (let l = 0; l < Math.floor(bits / 3); l++) levels.push({ arity: 8, shift: 3 * l });
  if (bits % 3 !== 0) levels.push({ arity: 4, shift: bits - (bits % 3) });
  return levels;
}

/** Number of siblings in a proof for depth D (the circuit's `siblings` input length). */
export function siblingCount(depth: number): number {
  return treeLevels(depth).reduce((n, l) => n + l.arity - 1, 0);
}

/** Child position of `index` at a level. */
export function positionAt(index: bigint, level: TreeLevel): number {
  return Number((index >> BigInt(level.shift)) & BigInt(level.arity - 1));
}

/** The children of a node given the path node, its position and its siblings. */
export function childrenWith(node: bigint, pos: number, siblings: bigint[], arity: number): bigint[] {
  if (siblings.length !== arity - 1) throw new Error(`a ${arity}-ary proof level has ${arity - 1} siblings, got ${siblings.length}`);
  const children = [...siblings];
  children.splice(pos, 0, node);
  return children;
}

/** Root implied by `leaf` at `index` and its proof in the tree of depth D. */
export function rootFromProof(hash: Hasher, depth: number, leaf: bigint, index: bigint, proof: MerkleProof): bigint {
  const levels = treeLevels(depth);
  if (proof.length !== levels.length) throw new Error(`a depth-${depth} proof has ${levels.length} levels, got ${proof.length}`);
  let node = leaf;
  levels.forEach((lvl, l) => {
    node = hash(childrenWith(node, positionAt(index, lvl), proof[l], lvl.arity));
  });
  return node;
}

/** A proof from its flattened form (siblings leaves first, as the circuit takes them); throws unless it has siblingCount(depth) values. */
export function unflattenProof<T>(depth: number, flat: readonly T[]): T[][] {
  let at = 0;
  const proof = treeLevels(depth).map((l) => flat.slice(at, (at += l.arity - 1)));
  if (at !== flat.length) throw new Error(`a depth-${depth} proof has ${at} siblings, got ${flat.length}`);
  return proof;
}

/** zeros[l]: the root of an empty subtree of height l (0 for an empty leaf). */
export function treeZeros(hash: Hasher, depth: number): bigint[] {
  const zeros = [0n];
  for (const { arity } of treeLevels(depth)) zeros.push(hash(new Array<bigint>(arity).fill(zeros.at(-1)!)));
  return zeros;
}

/** The all-zero proof (padding slots of the circuit). */
export function zeroProof(depth: number): MerkleProof {
  return treeLevels(depth).map((l) => new Array<bigint>(l.arity - 1).fill(0n));
}

/**
 * Where an AccountTree keeps its nodes: by level (0: the leaves) and index within the level. An
 * empty node (the root of an empty subtree, zeros[level]) is undefined and need not be stored.
 */
export interface TreeNodes {
  get(level: number, index: number): bigint | undefined;
  set(level: number, index: number, value: bigint | undefined): void;
}

/**
 * Node keys of the tree of depth D: node (level, index) is keys[level] + index, the nodes numbered
 * level by level from the leaves up (the last entry, after the root's, is the number of keys).
 * Every node of a depth-16 tree gets its own integer below 2^33 (a safe integer; below 2^25, a
 * small integer for V8, at D = 12), and one level's nodes, siblings among them, are consecutive:
 * what the state's stores key nodes by (src/model/state.ts).
 */
export function nodeKeys(depth: number): number[] {
  const levels = treeLevels(depth);
  // A level has as many slots as its parents have children: with a 4-ary root over one index bit
  // (D = 2, 5, 8, …) the level below it has 4 slots, of which only 2 ever hold a node, yet a
  // proof reads all of them (as zeros); counting 2 would give slots 2 and 3 the next level's keys.
  const slots = [1];
  for (let l = levels.length - 1; l >= 0; l--) slots.unshift(slots[0]! * levels[l]!.arity);
  const keys = [0];
  for (const n of slots) keys.push(keys.at(-1)! + n);
  return keys;
}

/** Leaves under one node of each level (the root's: all 4^D). */
export function leafSpans(depth: number): number[] {
  return [...treeLevels(depth).map((l) => 2 ** l.shift), 4 ** depth];
}

/** Nodes in per-level Maps: the tree alone (tests, tools); the L2 state gives its own (src/model/state.ts). */
export class MapTreeNodes implements TreeNodes {
  private readonly levels: Map<number, bigint>[] = [];

  get(level: number, index: number): bigint | undefined {
    return this.levels[level]?.get(index);
  }

  set(level: number, index: number, value: bigint | undefined): void {
    const m = (this.levels[level] ??= new Map());
    if (value === undefined) m.delete(index);
    else m.set(index, value);
  }
}

/**
 * Sparse Poseidon Merkle tree of the accounts (levels as treeLevels) over an injected hash and
 * node store. Empty leaves are 0; only non-empty nodes are stored. Indexes are numbers inside
 * (below 2^32 at D = 16) and the hot loop does integer arithmetic only: a leaf update is its
 * hashes, the sibling reads and one write per level.
 */
export class AccountTree {
  readonly levels: TreeLevel[];
  /** zeros[l]: the root of an empty subtree of height l. */
  readonly zeros: bigint[];
  readonly capacity: bigint;
  private readonly arities: number[];

  constructor(
    readonly depth: number,
    private readonly hash: Hasher,
    private readonly nodes: TreeNodes = new MapTreeNodes(),
  ) {
    this.levels = treeLevels(depth);
    this.capacity = 1n << BigInt(2 * depth);
    this.arities = this.levels.map((l) => l.arity);
    this.zeros = treeZeros(hash, depth);
  }

  get root(): bigint {
    const top = this.levels.length;
    return this.nodes.get(top, 0) ?? this.zeros[top];
  }

  /** Leaf value at `index` (0 if empty). */
  leaf(index: bigint): bigint {
    return this.nodes.get(0, this.checkIndex(index)) ?? 0n;
  }

  /** Set the leaf at `index` and recompute the path to the root. */
  update(index: bigint, leaf: bigint): void {
    this.updateAt(this.checkIndex(index), leaf);
  }

  /** update() for an index already known to be in range (an integer in [0, capacity)). */
  updateAt(index: number, leaf: bigint): void {
    const { nodes, zeros, arities } = this;
    let i = index;
    let node = leaf;
    nodes.set(0, i, leaf === 0n ? undefined : leaf);
    for (let l = 0; l < arities.length; l++) {
      const a = arities[l]!;
      const first = i - (i & (a - 1)); // i < 2^32: & keeps the low bits
      const z = zeros[l]!;
      const children = new Array<bigint>(a);
      for (let k = 0; k < a; k++) {
        const j = first + k;
        children[k] = j === i ? node : (nodes.get(l, j) ?? z);
      }
      node = this.hash(children);
      i = first / a;
      nodes.set(l + 1, i, node === zeros[l + 1] ? undefined : node);
    }
  }

  /**
   * update() given `proof`, the leaf's proof in the tree as it is now (proofAt(index): its siblings,
   * which the update does not change): no node is read. The state updates a leaf right after taking
   * its witness for the circuit, so the siblings are read once.
   */
  updateAlong(index: number, leaf: bigint, proof: MerkleProof): void {
    const { nodes, zeros, arities } = this;
    let i = index;
    let node = leaf;
    nodes.set(0, i, leaf === 0n ? undefined : leaf);
    for (let l = 0; l < arities.length; l++) {
      const a = arities[l]!;
      const pos = i & (a - 1);
      const siblings = proof[l]!;
      const children = new Array<bigint>(a);
      for (let k = 0, s = 0; k < a; k++) children[k] = k === pos ? node : siblings[s++]!;
      node = this.hash(children);
      i = (i - pos) / a;
      nodes.set(l + 1, i, node === zeros[l + 1] ? undefined : node);
    }
  }

  /** Merkle proof of the leaf at `index` against the current root. */
  proof(index: bigint): MerkleProof {
    return this.proofAt(this.checkIndex(index));
  }

  /** proof() for an index already known to be in range. */
  proofAt(index: number): MerkleProof {
    const { nodes, zeros, arities } = this;
    let i = index;
    const out: MerkleProof = [];
    for (let l = 0; l < arities.length; l++) {
      const a = arities[l]!;
      const first = i - (i & (a - 1));
      const z = zeros[l]!;
      const siblings: bigint[] = [];
      for (let k = 0; k < a; k++) if (first + k !== i) siblings.push(nodes.get(l, first + k) ?? z);
      out.push(siblings);
      i = first / a;
    }
    return out;
  }

  private checkIndex(index: bigint): number {
    if (index < 0n || index >= this.capacity) throw new Error(`account index ${index} out of range [0, ${this.capacity})`);
    return Number(index);
  }
}
