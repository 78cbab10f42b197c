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

/** The all-zero proof (padding slots of the circuit). */
export function zeroProof(depth: number): MerkleProof {
  return treeLevels(depth).map((l) => new Array<bigint>(l.arity - 1).fill(0n));
}

/**
 * Sparse Poseidon Merkle tree of the accounts (levels as treeLevels) over an injected hash.
 * Empty leaves are 0; only non-empty nodes are stored.
 */
export class AccountTree {
  readonly levels: TreeLevel[];
  /** zeros[l]: the root of an empty subtree of height l. */
  readonly zeros: bigint[];
  readonly capacity: bigint;
  private readonly nodes = new Map<string, bigint>();

  constructor(
    readonly depth: number,
    private readonly hash: Hasher,
  ) {
    this.levels = treeLevels(depth);
    this.capacity = 1n << BigInt(2 * depth);
    this.zeros = [0n];
    for (const { arity } of this.levels) this.zeros.push(hash(new Array<bigint>(arity).fill(this.zeros[this.zeros.length - 1])));
  }

  get root(): bigint {
    return this.node(this.levels.length, 0n);
  }

  /** Leaf value at `index` (0 if empty). */
  leaf(index: bigint): bigint {
    this.checkIndex(index);
    return this.node(0, index);
  }

  /** Set the leaf at `index` and recompute the path to the root. */
  update(index: bigint, leaf: bigint): void {
    this.checkIndex(index);
    this.setNode(0, index, leaf);
    let i = index;
    this.levels.forEach(({ arity }, level) => {
      const a = BigInt(arity);
      const first = i - (i % a);
      const children = Array.from({ length: arity }, (_, k) => this.node(level, first + BigInt(k)));
      i /= a;
      this.setNode(level + 1, i, this.hash(children));
    });
  }

  /** Merkle proof of the leaf at `index` against the current root. */
  proof(index: bigint): MerkleProof {
    this.checkIndex(index);
    let i = index;
    return this.levels.map(({ arity }, level) => {
      const a = BigInt(arity);
      const first = i - (i % a);
      const siblings: bigint[] = [];
      for (let k = 0n; k < a; k++) if (first + k !== i) siblings.push(this.node(level, first + k));
      i /= a;
      return siblings;
    });
  }

  private node(level: number, index: bigint): bigint {
    return this.nodes.get(`${level}:${index}`) ?? this.zeros[level];
  }

  private setNode(level: number, index: bigint, value: bigint): void {
    const k = `${level}:${index}`;
    if (value === this.zeros[level]) this.nodes.delete(k);
    else this.nodes.set(k, value);
  }

  private checkIndex(index: bigint): void {
    if (index < 0n || index >= this.capacity) throw new Error(`account index ${index} out of range [0, ${this.capacity})`);
  }
}
