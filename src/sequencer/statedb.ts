// The L2 state in the sequencer's SQLite database (the state_* tables of src/sequencer/store.ts):
// the backend of the Ledger's L2State (src/model/stateBackend.ts), holding the state after the
// last final batch. Its writes go into the transaction that marks the batch final when there is
// one (src/sequencer/ledger.ts markFinal), so the state and the batch's status land together or
// not at all; what the caches keep of a write waits for that transaction to commit.
//
// Reads go through bounded caches: the top levels of the tree (the nodes every update and proof
// reads) are kept whole, as many levels as hold at most an eighth of the bound together; the other
// nodes and the accounts in two-generation caches (a Map filled until half the bound, then the
// older one dropped: about LRU, with no bookkeeping per read). A node whose subtree holds no
// account (at or beyond the next index) is empty without a read. Every value read is checked
// where it is read (lengths, field elements, balance, token and nonce widths): a corrupted row
// is a FatalError WRONG_DATABASE naming it, never a wrong root.
import type { StatementSync } from "node:sqlite";
import { type Account, BALANCE_BITS, MAX_NONCE, TOKEN_BITS } from "../model/account.js";
import { SNARK_FIELD } from "../model/crypto.js";
import type { StateBackend, StateWrite } from "../model/stateBackend.js";
import { leafSpans, nodeKeys } from "../model/tree.js";
import { FatalError } from "./errors.js";
import type { SequencerStore } from "./store.js";

/** Default bound of the caches, in entries (nodes; accounts get an eighth as many): about 150 MB. */
export const DEFAULT_STATE_CACHE = 1 << 20;

const TAG = (1n << 48n) - 1n;
const tagOf = (v: bigint) => Number(v & TAG);

function blob(v: bigint, bytes: number): Uint8Array {
  const hex = v.toString(16);
  if (v < 0n || hex.length > 2 * bytes) throw new Error(`${v} does not fit ${bytes} bytes`);
  return Buffer.from(hex.padStart(2 * bytes, "0"), "hex");
}

function corrupt(what: string): FatalError {
  return new FatalError("WRONG_DATABASE", `the L2 state in the sequencer database is corrupted: ${what}`);
}

/** A big-endian unsigned integer of exactly `bytes` bytes read from column `what`. */
function uint(v: unknown, bytes: number, what: string): bigint {
  if (!(v instanceof Uint8Array) || v.length !== bytes) {
    throw corrupt(`${what} is ${v instanceof Uint8Array ? `${v.length} bytes` : typeof v}, not ${bytes} bytes`);
  }
  return BigInt("0x" + Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex"));
}

function field(v: unknown, what: string): bigint {
  const x = uint(v, 32, what);
  if (x >= SNARK_FIELD) throw corrupt(`${what} is not a field element`);
  return x;
}

function integer(v: unknown, max: number | bigint, what: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max) throw corrupt(`${what} is ${String(v)}, not an integer in [0, ${max}]`);
  return v;
}

/** A cache of at most `bound` entries: two Maps of half of it each, the older one dropped when the newer is full. */
class BoundedCache<V> {
  private cur = new Map<number, V>();
  private old = new Map<number, V>();
  private readonly half: number;

  constructor(bound: number) {
    this.half = Math.max(1, Math.floor(bound / 2));
  }

  get(k: number): V | undefined {
    const v = this.cur.get(k);
    if (v !== undefined) return v;
    const o = this.old.get(k);
    if (o !== undefined) this.put(k, o);
    return o;
  }

  put(k: number, v: V): void {
    this.cur.set(k, v);
    if (this.cur.size >= this.half) {
      this.old = this.cur;
      this.cur = new Map();
    }
  }

  clear(): void {
    this.cur.clear();
    this.old.clear();
  }

  get size(): number {
    return this.cur.size + this.old.size;
  }
}

export interface StateDbOptions {
  /** Bound of the caches in entries (default DEFAULT_STATE_CACHE). */
  cacheEntries?: number;
}

export class SqliteStateBackend implements StateBackend {
  nextIndex: number;
  asOf: number;
  private readonly keys: number[];
  private readonly spans: number[];
  /** Levels from here up are kept whole in `pinned`. */
  private readonly pinFrom: number;
  private readonly pinned = new Map<number, bigint | null>();
  private readonly nodeCache: BoundedCache<bigint | null>;
  private readonly accountCache: BoundedCache<Account>;
  private readonly st: Record<"node" | "account" | "byKey" | "byOwner" | "putNode" | "delNode" | "putAccount" | "meta", StatementSync>;

  constructor(
    private readonly store: SequencerStore,
    readonly depth: number,
    opts: StateDbOptions = {},
  ) {
    const bound = opts.cacheEntries ?? DEFAULT_STATE_CACHE;
    if (!Number.isSafeInteger(bound) || bound < 1) throw new FatalError("BAD_CONFIG", `the state cache must be a positive number of entries, got ${bound}`);
    this.keys = nodeKeys(depth);
    this.spans = leafSpans(depth);
    const top = this.spans.length - 1;
    let pinFrom = top + 1;
    while (pinFrom > 1 && this.keys[top + 1]! - this.keys[pinFrom - 1]! <= bound / 8) pinFrom--;
    this.pinFrom = pinFrom;
    this.nodeCache = new BoundedCache(bound);
    this.accountCache = new BoundedCache(Math.ceil(bound / 8));
    const db = store.db;
    // Rows as arrays: no object per row (setReturnArrays is in Node 22.16, not yet in its types).
    const prep = (sql: string) => {
      const s = db.prepare(sql) as StatementSync & { setReturnArrays(on: boolean): void };
      s.setReturnArrays(true);
      return s;
    };
    this.st = {
      node: prep("SELECT hash FROM state_nodes WHERE key = ?"),
      account: prep("SELECT ax, ay, owner, token, balance, nonce, key_tag, owner_tag FROM state_accounts WHERE idx = ?"),
      byKey: prep("SELECT idx FROM state_accounts WHERE key_tag = ? AND ax = ? AND ay = ? ORDER BY idx"),
      byOwner: prep("SELECT idx FROM state_accounts WHERE owner_tag = ? AND owner = ? ORDER BY idx"),
      putNode: prep("INSERT INTO state_nodes (key, hash) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET hash = excluded.hash"),
      delNode: prep("DELETE FROM state_nodes WHERE key = ?"),
      putAccount: prep(
        "INSERT INTO state_accounts (idx, ax, ay, owner, token, balance, nonce, key_tag, owner_tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (idx) DO UPDATE SET token = excluded.token, balance = excluded.balance, nonce = excluded.nonce",
      ),
      meta: prep("UPDATE state_meta SET next_index = ?, batch = COALESCE(?, batch) WHERE id = 0"),
    };
    const m = this.meta();
    if (m.depth === null) {
      if (m.nextIndex !== 1) throw corrupt(`state_meta has no depth but next index ${m.nextIndex}`);
      db.prepare("UPDATE state_meta SET depth = ? WHERE id = 0").run(depth);
    } else if (m.depth !== depth) {
      throw new FatalError(
        "WRONG_DATABASE",
        `the database holds the state of a depth-${m.depth} tree, this instance has depth ${depth}: start with a new database file`,
      );
    }
    this.nextIndex = m.nextIndex;
    this.asOf = m.batch;
  }

  /** Set (by the triggers of store.ts) once a final batch stopped being final: the state must be built again from the stored batches. */
  get stale(): boolean {
    return this.meta().stale;
  }

  /** Entries the caches hold now (pinned levels included). */
  get cached(): number {
    return this.pinned.size + this.nodeCache.size + this.accountCache.size;
  }

  node(level: number, index: number, key: number): bigint | undefined {
    if (index * this.spans[level]! >= this.nextIndex) return undefined; // no account below it
    let v: bigint | null | undefined;
    if (level >= this.pinFrom) {
      v = this.pinned.get(key);
      if (v === undefined) this.pinned.set(key, (v = this.readNode(key)));
    } else {
      v = this.nodeCache.get(key);
      if (v === undefined) this.nodeCache.put(key, (v = this.readNode(key)));
    }
    return v ?? undefined;
  }

  account(index: number): Account | undefined {
    if (index < 1 || index >= this.nextIndex) return undefined;
    let a = this.accountCache.get(index);
    if (a === undefined) this.accountCache.put(index, (a = this.readAccount(index)));
    return a;
  }

  accountsOf(ax: bigint, ay: bigint): number[] {
    if (ax < 0n || ax >= SNARK_FIELD || ay < 0n || ay >= SNARK_FIELD) return [];
    return this.indexes(this.st.byKey.all(tagOf(ax), blob(ax, 32), blob(ay, 32)));
  }

  accountsOfOwner(owner: bigint): number[] {
    if (owner < 0n || owner >> 160n !== 0n) return [];
    return this.indexes(this.st.byOwner.all(tagOf(owner), blob(owner, 20)));
  }

  /**
   * Writes `w` inside the caller's transaction if one is running (its status change and this land
   * together), else in one of its own; the caches and `done` follow once it committed.
   */
  write(w: StateWrite, done: (kept: boolean) => void): void {
    const { st } = this;
    const run = () => {
      for (const [k, v] of w.nodes) {
        if (v === null) st.delNode.run(k);
        else st.putNode.run(k, blob(v, 32));
      }
      for (const [i, a] of w.accounts) {
        st.putAccount.run(
          i,
          blob(a.ax, 32),
          blob(a.ay, 32),
          blob(a.owner, 20),
          Number(a.tokenId),
          blob(a.balance, 16),
          Number(a.nonce),
          tagOf(a.ax),
          tagOf(a.owner),
        );
      }
      st.meta.run(w.nextIndex, w.asOf ?? null);
    };
    const ended = (committed: boolean) => {
      if (committed) {
        for (const [k, v] of w.nodes) {
          if (this.levelOf(k) >= this.pinFrom) this.pinned.set(k, v);
          else this.nodeCache.put(k, v);
        }
        for (const [i, a] of w.accounts) this.accountCache.put(i, a);
        this.nextIndex = w.nextIndex;
        if (w.asOf !== undefined) this.asOf = w.asOf;
      }
      done(committed);
    };
    if (this.store.inTransaction) {
      run();
      this.store.afterTransaction(ended);
    } else {
      this.store.transaction(run);
      ended(true);
    }
  }

  /** Empties the stored state (before it is built again from every stored batch); `stale` stays set until markBuilt. */
  clear(): void {
    this.store.transaction(() => {
      this.store.db.exec("DELETE FROM state_nodes; DELETE FROM state_accounts; UPDATE state_meta SET batch = 0, next_index = 1 WHERE id = 0;");
    });
    this.pinned.clear();
    this.nodeCache.clear();
    this.accountCache.clear();
    this.nextIndex = 1;
    this.asOf = 0;
  }

  /** The state was built again from the stored batches: no longer stale. */
  markBuilt(): void {
    this.store.db.prepare("UPDATE state_meta SET stale = 0 WHERE id = 0").run();
  }

  private meta(): { depth: number | null; batch: number; nextIndex: number; stale: boolean } {
    const r = this.store.db.prepare("SELECT depth, batch, next_index, stale FROM state_meta WHERE id = 0").get() as Record<string, unknown> | undefined;
    if (!r) throw corrupt("state_meta has no row");
    const capacity = 4 ** this.depth;
    if (r.next_index === 0) throw corrupt("state_meta.next_index is 0 (index 0 is never an account: at least 1)");
    return {
      depth: r.depth === null ? null : integer(r.depth, 16, "state_meta.depth"),
      batch: integer(r.batch, Number.MAX_SAFE_INTEGER, "state_meta.batch"),
      nextIndex: integer(r.next_index, capacity, "state_meta.next_index"),
      stale: integer(r.stale, 1, "state_meta.stale") === 1,
    };
  }

  private readNode(key: number): bigint | null {
    const r = this.st.node.get(key) as unknown[] | undefined;
    return r === undefined ? null : field(r[0], `state_nodes key ${key}: hash`);
  }

  private readAccount(index: number): Account {
    const r = this.st.account.get(index) as unknown[] | undefined;
    const what = (c: string) => `state_accounts ${index}: ${c}`;
    if (r === undefined) throw corrupt(`account ${index} is missing (accounts 1 to ${this.nextIndex - 1} exist)`);
    const a: Account = {
      ax: field(r[0], what("ax")),
      ay: field(r[1], what("ay")),
      owner: uint(r[2], 20, what("owner")),
      tokenId: BigInt(integer(r[3], 2 ** TOKEN_BITS - 1, what("token"))),
      balance: uint(r[4], BALANCE_BITS / 8, what("balance")),
      nonce: BigInt(integer(r[5], Number(MAX_NONCE), what("nonce"))),
    };
    if (r[6] !== tagOf(a.ax) || r[7] !== tagOf(a.owner)) throw corrupt(what("key_tag or owner_tag does not match ax or owner"));
    return a;
  }

  private indexes(rows: unknown[]): number[] {
    return (rows as unknown[][]).map((r) => integer(r[0], Number.MAX_SAFE_INTEGER, "state_accounts.idx")).filter((i) => i < this.nextIndex);
  }

  private levelOf(key: number): number {
    let l = 0;
    while (key >= this.keys[l + 1]!) l++;
    return l;
  }
}
