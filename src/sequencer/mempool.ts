// The sequencer's pool of pending transactions, held in memory: loaded once from the store at
// start, then kept by every admission and every batch built, so that a submission, a nonce
// lookup or a status call costs the same whatever the pool holds (the store keeps each
// transaction durable; this is the index over the pending ones).
//
// What it keeps:
//   - per sender, its pending transactions in nonce order (contiguous from the account's nonce:
//     admission requires the next nonce) and their total amount + fee, which the sender's balance
//     must still cover;
//   - per token, the fees pending (what the token's fee account must still take);
//   - per receiver, the amounts pending to it (what its balance must still take).
//
// Batch order (`candidates`): fair queuing across senders (start-time fair queuing with one unit
// per transaction), so that no sender fills batches ahead of everyone. Each transaction gets a
// round when it is accepted: max(the round of the last transaction batched, its sender's previous
// round + 1). Batches take the lowest rounds first, so round r holds at most one transaction of
// each sender, a sender's transactions stay in nonce order, and a sender that arrives while
// another has 60 waiting is served next, not after them; a sender that waited gets no credit for
// the time it had nothing pending. Within a round: the higher fee first, counted in whole
// multiples of its token's minimum fee (the only exchange rate between tokens the sequencer has;
// with a minimum of 0 the fee does not count), then the earlier arrival. So a flood of fee-0
// transactions from one account takes one slot per round at most while others wait. (Rounds are
// recomputed in arrival order when the pool is loaded at start.)
import { forcedReceiver, L1OpKind } from "../model/l1op.js";
import type { SequencerStore, TxRecord } from "./store.js";

/** Default limits of `zkr sequencer` (README, "Sequencer API"). */
export const DEFAULT_MAX_PENDING = 10_000;
export const DEFAULT_MAX_PENDING_PER_SENDER = 64;

interface Entry {
  rec: TxRecord;
  /** The sender's token (undefined for a sender the state does not know: a row of an older state). */
  token: bigint | undefined;
  /** Its fair-queuing round (see the header). */
  round: number;
}

interface SenderQueue {
  entries: Entry[];
  /** Sum of amount + fee of its pending transactions. */
  committed: bigint;
}

function bump(m: Map<bigint, bigint>, key: bigint, delta: bigint): void {
  const v = (m.get(key) ?? 0n) + delta;
  if (v === 0n) m.delete(key);
  else m.set(key, v);
}

export class Mempool {
  /** Every pending transaction by id, in arrival order (Map order: the first is the oldest). */
  private readonly byId = new Map<string, Entry>();
  private readonly senders = new Map<bigint, SenderQueue>();
  private readonly fees = new Map<bigint, bigint>();
  private readonly incoming = new Map<bigint, bigint>();
  /** Round of the last transaction batched: where a sender with nothing pending starts. */
  private clock = 0;

  /** `minFee(token)`: the minimum fee of a token, the unit of fee priority (0: fees do not count). */
  constructor(private readonly minFee: (token: bigint) => bigint) {}

  /** Replace the pool's contents with `records` (the store's pending transactions, in arrival order). */
  load(records: readonly TxRecord[], tokenOf: (index: bigint) => bigint | undefined): void {
    this.byId.clear();
    this.senders.clear();
    this.fees.clear();
    this.incoming.clear();
    this.clock = 0;
    for (const r of records) this.add(r, tokenOf(r.tx.from));
  }

  get size(): number {
    return this.byId.size;
  }

  get senderCount(): number {
    return this.senders.size;
  }

  /** The pending transaction that arrived first. */
  oldest(): TxRecord | undefined {
    for (const e of this.byId.values()) return e.rec;
    return undefined;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Pending transactions of `from`. */
  countOf(from: bigint): number {
    return this.senders.get(from)?.entries.length ?? 0;
  }

  /** Amount + fee of the pending transactions of `from`: what its balance must still cover. */
  committedOf(from: bigint): bigint {
    return this.senders.get(from)?.committed ?? 0n;
  }

  /** Fees of the pending transactions of `token`. */
  feesOf(token: bigint): bigint {
    return this.fees.get(token) ?? 0n;
  }

  /** Amounts of the pending transfers to `index` (self-transfers excluded). */
  incomingTo(index: bigint): bigint {
    return this.incoming.get(index) ?? 0n;
  }

  /** Add an accepted transaction: the sender's next nonce after its pending ones. */
  add(rec: TxRecord, token: bigint | undefined): void {
    if (this.byId.has(rec.id)) throw new Error(`transaction ${rec.id} is already in the mempool`);
    const { tx } = rec;
    let q = this.senders.get(tx.from);
    if (!q) this.senders.set(tx.from, (q = { entries: [], committed: 0n }));
    const e: Entry = { rec, token, round: Math.max(this.clock, (q.entries.at(-1)?.round ?? -1) + 1) };
    this.byId.set(rec.id, e);
    q.entries.push(e);
    q.committed += tx.amount + tx.fee;
    if (token !== undefined) bump(this.fees, token, tx.fee);
    if (tx.to !== 0n && tx.to !== tx.from) bump(this.incoming, tx.to, tx.amount);
  }

  /** Remove a transaction that was batched: the rounds move on to its round. */
  take(id: string): boolean {
    const e = this.byId.get(id);
    if (e) this.clock = Math.max(this.clock, e.round);
    return this.remove(id);
  }

  /** Remove a transaction that left the pool without being batched (rejected); false if it was not in it. */
  remove(id: string): boolean {
    const e = this.byId.get(id);
    if (!e) return false;
    this.byId.delete(id);
    const { tx } = e.rec;
    const q = this.senders.get(tx.from)!;
    q.entries.splice(q.entries.indexOf(e), 1); // batches take a sender's first: usually index 0
    q.committed -= tx.amount + tx.fee;
    if (q.entries.length === 0) this.senders.delete(tx.from);
    if (e.token !== undefined) bump(this.fees, e.token, -tx.fee);
    if (tx.to !== 0n && tx.to !== tx.from) bump(this.incoming, tx.to, -tx.amount);
    return true;
  }

  /** The pending transactions of the same sender after `id`, in nonce order (none can apply once `id` is rejected). */
  followers(id: string): TxRecord[] {
    const e = this.byId.get(id);
    if (!e) return [];
    const entries = this.senders.get(e.rec.tx.from)!.entries;
    return entries.slice(entries.indexOf(e) + 1).map((x) => x.rec);
  }

  /**
   * Transactions in the order a batch should try them (see the header): by round, then fee
   * level, then arrival; at most `perSender` of each sender (a batch cannot take more of one
   * sender than its size).
   */
  candidates(perSender: number): TxRecord[] {
    const level = (e: Entry) => {
      const min = e.token === undefined ? 0n : this.minFee(e.token);
      return min > 0n ? e.rec.tx.fee / min : 0n;
    };
    const all: { e: Entry; level: bigint }[] = [];
    for (const q of this.senders.values()) for (const e of q.entries.slice(0, perSender)) all.push({ e, level: level(e) });
    all.sort((a, b) => a.e.round - b.e.round || (a.level === b.level ? a.e.rec.seq - b.e.rec.seq : a.level > b.level ? -1 : 1));
    return all.map((x) => x.e.rec);
  }
}

/**
 * L1 deposits and forced transfers to the fee accounts that are queued and not yet in a batch: a
 * batch applies its L1 operations before its transactions, so they take a fee account's room first. Each queued
 * operation is read from the store once (the new ones since the last look), consumed ones are
 * dropped. This is admission's estimate; the batch builder checks the room itself
 * (FEE_ACCOUNT_FULL), so a queue rewound by an L1 reorganisation can only make it less exact.
 */
export class QueuedFeeDeposits {
  private readonly queued = new Map<number, { accountIdx: bigint; tokenId: bigint; amount: bigint }>();
  /** Queue indexes below this one were looked at. */
  private seen = 0;

  constructor(
    private readonly store: Pick<SequencerStore, "l1OpCount" | "l1Ops">,
    private readonly feeAccounts: readonly bigint[],
  ) {}

  /** Deposits of `tokenId` queued to `accountIdx` at queue index `consumed` (the next one a batch takes) or later. */
  to(accountIdx: bigint, tokenId: bigint, consumed: number): bigint {
    const known = this.store.l1OpCount();
    if (known < this.seen) {
      this.queued.clear(); // fewer operations than before: the queue was rewound, read it again
      this.seen = 0;
    }
    const from = Math.max(this.seen, consumed);
    if (known > from) {
      for (const op of this.store.l1Ops(from, known - from)) {
        // what may credit a fee account: a deposit to it, or a forced transfer to it
        const to = op.kind === L1OpKind.DEPOSIT ? op.accountIdx : forcedReceiver(op);
        if (to === undefined || !this.feeAccounts.includes(to)) continue;
        this.queued.set(Number(op.queueIndex), { accountIdx: to, tokenId: op.tokenId, amount: op.amount });
      }
    }
    this.seen = Math.max(this.seen, known);
    let sum = 0n;
    for (const [q, d] of this.queued) {
      if (q < consumed) this.queued.delete(q);
      else if (d.accountIdx === accountIdx && d.tokenId === tokenId) sum += d.amount;
    }
    return sum;
  }
}
