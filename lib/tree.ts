import type { Hasher } from "./crypto.js";

/** Merkle proof in a 4-ary tree: per level (leaves first), the 3 siblings in position order. */
export type QuadProof = bigint[][];

/** Child position of `index` at `level` (0 = leaves). */
export function positionAt(index: bigint, level: number): number {
  return Number((index >> BigInt(2 * level)) & 3n);
}

/** The 4 children of a node given the path node, its position and its 3 siblings. */
export function childrenWith(node: bigint, pos: number, siblings: bigint[]): bigint[] {
  if (siblings.length !== 3) throw new Error("a 4-ary proof level has 3 siblings");
  const children = [...siblings];
  children.splice(pos, 0, node);
  return children;
}

/** Root implied by `leaf` at `index` and its proof. */
export function rootFromProof(hash: Hasher, leaf: bigint, index: bigint, proof: QuadProof): bigint {
  let node = leaf;
  proof.forEach((siblings, level) => {
    node = hash(childrenWith(node, positionAt(index, level), siblings));
  });
  return node;
}

/**
 * Sparse 4-ary Merkle tree of fixed depth over an injected hash (docs/PROTOCOL.md).
 * Empty leaves are 0; only non-empty nodes are stored.
 */
export class QuadTree {
  readonly zeros: bigint[];
  readonly capacity: bigint;
  private readonly nodes = new Map<string, bigint>();

  constructor(
    readonly depth: number,
    private readonly hash: Hasher,
  ) {
    this.capacity = 1n << BigInt(2 * depth);
    this.zeros = [0n];
    for (let l = 0; l < depth; l++) {
      const z = this.zeros[l];
      this.zeros.push(hash([z, z, z, z]));
    }
  }

  get root(): bigint {
    return this.node(this.depth, 0n);
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
    for (let level = 0; level < this.depth; level++) {
      const first = (i >> 2n) << 2n;
      const children = [0n, 1n, 2n, 3n].map((k) => this.node(level, first + k));
      i >>= 2n;
      this.setNode(level + 1, i, this.hash(children));
    }
  }

  /** Merkle proof of the leaf at `index` against the current root. */
  proof(index: bigint): QuadProof {
    this.checkIndex(index);
    const out: QuadProof = [];
    let i = index;
    for (let level = 0; level < this.depth; level++) {
      const first = (i >> 2n) << 2n;
      const siblings: bigint[] = [];
      for (let k = 0n; k < 4n; k++) if (first + k !== i) siblings.push(this.node(level, first + k));
      out.push(siblings);
      i >>= 2n;
    }
    return out;
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
