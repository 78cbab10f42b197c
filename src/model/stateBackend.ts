// Where the L2 state's accounts and tree nodes live below the changes it still may undo
// (src/model/state.ts keeps those in memory, one journal for every open checkpoint): a backend
// holds the state as of its last write, "the base". The model has the in-memory one here (tests,
// tools, `zkr rebuild`); the sequencer's is in its SQLite database (src/sequencer/statedb.ts).
import type { Account } from "./account.js";

/** One write to a backend: the values as of the moment they are kept for good. */
export interface StateWrite {
  /** Node key (src/model/tree.ts nodeKeys) → value; null: the node is empty now. */
  nodes: Map<number, bigint | null>;
  /** Account index → account (never deleted: an account once kept stays). */
  accounts: Map<number, Account>;
  nextIndex: number;
  /** What the written state is as of (the sequencer: the number of the last final batch), if the writer says. */
  asOf?: number;
}

export interface StateBackend {
  readonly depth: number;
  /** Accounts 1 … nextIndex − 1 exist: accounts are created at consecutive indexes, index 0 never is one. */
  readonly nextIndex: number;
  /** The `asOf` of the last write that gave one (0 before any). */
  readonly asOf: number;
  /** Node `key` = nodeKeys(depth)[level] + index (given with its level and index); undefined: empty. */
  node(level: number, index: number, key: number): bigint | undefined;
  /** The account at `index`; the caller does not change the object. */
  account(index: number): Account | undefined;
  /** Indexes of the accounts of public key (ax, ay), ascending. */
  accountsOf(ax: bigint, ay: bigint): number[];
  /** Indexes of the accounts owned by L1 address `owner`, ascending. */
  accountsOfOwner(owner: bigint): number[];
  /**
   * Writes `w` as one atomic change and calls `done(true)` once it is durable (or `done(false)`
   * if it was rolled back: nothing of it was kept). A backend inside a caller's transaction (the
   * sequencer's SQLite) calls `done` when that transaction ends; until then reads may see either.
   */
  write(w: StateWrite, done: (kept: boolean) => void): void;
}

export const keyOf = (ax: bigint, ay: bigint) => `${ax},${ay}`;

/** Inserts `index` into the ascending list `list` (accounts come in increasing order: almost always last). */
export function insertAscending(list: number[], index: number): void {
  let at = list.length;
  while (at > 0 && list[at - 1]! > index) at--;
  if (list[at - 1] !== index) list.splice(at, 0, index);
}

/**
 * The state in JS Maps: every node and account in memory. Nodes are spread over four Maps (a V8
 * Map holds at most 2^24 entries; a full depth-12 tree has 19.2M nodes).
 */
export class MemoryStateBackend implements StateBackend {
  nextIndex = 1;
  asOf = 0;
  private readonly nodes: Map<number, bigint>[] = [new Map(), new Map(), new Map(), new Map()];
  private readonly accounts = new Map<number, Account>();
  private readonly byKey = new Map<string, number[]>();
  private readonly byOwner = new Map<bigint, number[]>();

  constructor(readonly depth: number) {}

  node(_level: number, _index: number, key: number): bigint | undefined {
    return this.nodes[key & 3]!.get(key);
  }

  account(index: number): Account | undefined {
    return this.accounts.get(index);
  }

  accountsOf(ax: bigint, ay: bigint): number[] {
    return [...(this.byKey.get(keyOf(ax, ay)) ?? [])];
  }

  accountsOfOwner(owner: bigint): number[] {
    return [...(this.byOwner.get(owner) ?? [])];
  }

  write(w: StateWrite, done: (kept: boolean) => void): void {
    for (const [k, v] of w.nodes) {
      if (v === null) this.nodes[k & 3]!.delete(k);
      else this.nodes[k & 3]!.set(k, v);
    }
    for (const [i, a] of w.accounts) {
      if (!this.accounts.has(i)) {
        const k = keyOf(a.ax, a.ay);
        insertAscending(this.byKey.get(k) ?? this.byKey.set(k, []).get(k)!, i);
        insertAscending(this.byOwner.get(a.owner) ?? this.byOwner.set(a.owner, []).get(a.owner)!, i);
      }
      this.accounts.set(i, a);
    }
    this.nextIndex = w.nextIndex;
    if (w.asOf !== undefined) this.asOf = w.asOf;
    done(true);
  }
}
