// The in-memory mempool on its own: the order batches take transactions in (fair queuing across
// senders, fee level within a round, nonce order per sender) and the per-sender and per-token
// sums admission reads instead of scanning the pool.
import { expect } from "chai";
import { Mempool, QueuedFeeDeposits } from "../../src/sequencer/mempool.js";
import { L1OpKind, type QueuedL1Op } from "../../src/model/l1op.js";
import type { TxRecord } from "../../src/sequencer/store.js";

let seq = 0;
/** A pending record of `from` (its nonces are given in arrival order, as admission requires). */
function rec(from: bigint, nonce: bigint, o: { to?: bigint; amount?: bigint; fee?: bigint } = {}): TxRecord {
  seq++;
  const tx = { from, to: o.to ?? 99n, amount: o.amount ?? 10n, fee: o.fee ?? 0n, nonce, signature: { R8x: 0n, R8y: 1n, S: 0n } };
  return {
    id: `0x${seq.toString(16).padStart(64, "0")}`,
    seq,
    tx,
    status: "pending",
    reason: null,
    batch: null,
    receivedAt: 1000 + seq,
    updatedAt: 1000 + seq,
  };
}
const order = (rs: TxRecord[]) => rs.map((r) => `${r.tx.from}:${r.tx.nonce}`);

describe("mempool", () => {
  const TOKEN = (from: bigint) => (from >= 50n ? 1n : 0n); // senders 50+ hold token 1
  const minFee = new Map([[0n, 10n]]); // token 1: no minimum, fees do not rank
  const pool = (rs: TxRecord[]) => {
    const m = new Mempool((t) => minFee.get(t) ?? 0n);
    m.load(rs, TOKEN);
    return m;
  };

  it("takes one transaction per sender per round: a sender who arrived first with many does not fill the batch", () => {
    const spam = [0n, 1n, 2n, 3n, 4n].map((n) => rec(1n, n, { fee: 10n }));
    const m = pool([...spam, rec(2n, 0n, { fee: 10n }), rec(3n, 0n, { fee: 10n }), rec(2n, 1n, { fee: 10n })]);
    expect(order(m.candidates(8))).to.deep.equal(["1:0", "2:0", "3:0", "1:1", "2:1", "1:2", "1:3", "1:4"]);
    // a batch of 2 gets two senders, not the spammer's first two
    expect(order(m.candidates(8).slice(0, 2))).to.deep.equal(["1:0", "2:0"]);
    // at most `perSender` of each (a batch cannot take more of one sender than its size)
    expect(order(m.candidates(2))).to.deep.equal(["1:0", "2:0", "3:0", "1:1", "2:1"]);
  });

  it("carries rounds across batches: a sender served in one batch waits behind one that was not", () => {
    const [a0, a1, b0, b1, c0] = [
      rec(1n, 0n, { fee: 10n }),
      rec(1n, 1n, { fee: 10n }),
      rec(2n, 0n, { fee: 10n }),
      rec(2n, 1n, { fee: 10n }),
      rec(3n, 0n, { fee: 10n }),
    ];
    const m = pool([a0, a1, b0, b1, c0]);
    expect(order(m.candidates(8))).to.deep.equal(["1:0", "2:0", "3:0", "1:1", "2:1"]);
    // a batch of two took 1:0 and 2:0; carol, who arrived after bob's second, comes next
    m.take(a0.id);
    m.take(b0.id);
    expect(order(m.candidates(8))).to.deep.equal(["3:0", "1:1", "2:1"]);
  });

  it("serves a newcomer next, not after a flood already waiting, and gives no credit for idle time", () => {
    const flood = Array.from({ length: 10 }, (_, n) => rec(1n, BigInt(n)));
    const m = pool(flood);
    for (const r of flood.slice(0, 4)) m.take(r.id); // four batches took one each: round 3 done
    const newcomer = rec(2n, 0n);
    m.add(newcomer, 0n);
    expect(order(m.candidates(8)).slice(0, 3)).to.deep.equal(["2:0", "1:4", "1:5"]);
    // a sender back after the rounds moved on starts at the current round (7), not at 0: it
    // alternates with the flood instead of taking two slots ahead of it
    m.take(newcomer.id);
    for (const r of flood.slice(4, 8)) m.take(r.id); // rounds up to 7 done
    const back = [rec(2n, 1n), rec(2n, 2n)];
    for (const r of back) m.add(r, 0n);
    expect(order(m.candidates(8))).to.deep.equal(["2:1", "1:8", "2:2", "1:9"]);
  });

  it("within a round, the higher fee in multiples of its token's minimum first, then arrival; each sender keeps nonce order", () => {
    const m = pool([
      rec(1n, 0n, { fee: 10n }), // level 1
      rec(2n, 0n, { fee: 19n }), // level 1 (whole multiples): arrival decides against 1:0
      rec(3n, 0n, { fee: 30n }), // level 3
      rec(50n, 0n, { fee: 1000n }), // token 1 has no minimum: level 0, whatever the amount
      rec(3n, 1n, { fee: 90n }), // level 9, but round 1: after every sender's first
      rec(4n, 0n, { fee: 20n }), // level 2
    ]);
    expect(order(m.candidates(8))).to.deep.equal(["3:0", "4:0", "1:0", "2:0", "50:0", "3:1"]);
  });

  it("keeps each sender's count, committed amount, the fees per token and the amounts per receiver through adds and removals", () => {
    const a0 = rec(1n, 0n, { to: 2n, amount: 100n, fee: 10n });
    const a1 = rec(1n, 1n, { to: 0n, amount: 5n, fee: 20n }); // an exit: no receiver
    const a2 = rec(1n, 2n, { to: 1n, amount: 7n, fee: 10n }); // a self-transfer: no incoming
    const b0 = rec(50n, 0n, { to: 2n, amount: 3n, fee: 1n });
    const m = pool([a0, a1]);
    m.add(a2, 0n);
    m.add(b0, 1n);
    expect(() => m.add(b0, 1n)).to.throw(/already in the mempool/);
    expect([m.size, m.senderCount, m.countOf(1n), m.countOf(50n), m.countOf(7n)]).to.deep.equal([4, 2, 3, 1, 0]);
    expect(m.committedOf(1n)).to.equal(100n + 10n + 5n + 20n + 7n + 10n);
    expect([m.feesOf(0n), m.feesOf(1n), m.feesOf(5n)]).to.deep.equal([40n, 1n, 0n]);
    expect([m.incomingTo(2n), m.incomingTo(1n), m.incomingTo(0n)]).to.deep.equal([103n, 0n, 0n]);
    expect(m.oldest()).to.equal(a0);
    expect(m.followers(a0.id).map((r) => r.id)).to.deep.equal([a1.id, a2.id]);
    expect(m.followers(a2.id)).to.deep.equal([]);

    expect(m.remove(a0.id)).to.equal(true);
    expect(m.remove(a0.id)).to.equal(false);
    expect(m.oldest()).to.equal(a1);
    expect([m.countOf(1n), m.committedOf(1n), m.feesOf(0n), m.incomingTo(2n)]).to.deep.equal([2, 5n + 20n + 7n + 10n, 30n, 3n]);
    for (const r of [a1, a2, b0]) m.remove(r.id);
    expect([m.size, m.senderCount, m.committedOf(1n), m.feesOf(0n), m.feesOf(1n), m.incomingTo(2n), m.oldest()]).to.deep.equal([
      0,
      0,
      0n,
      0n,
      0n,
      0n,
      undefined,
    ]);

    // load replaces everything
    m.add(a0, 0n);
    m.load([b0], TOKEN);
    expect([m.size, m.has(a0.id), m.has(b0.id), m.feesOf(0n), m.feesOf(1n)]).to.deep.equal([1, false, true, 0n, 1n]);
  });
});

describe("queued credits to the fee accounts (admission's estimate)", () => {
  const op = (queueIndex: number, kind: L1OpKind, accountIdx: bigint, amount: bigint, ax = 0n): QueuedL1Op => ({
    queueIndex: BigInt(queueIndex),
    kind,
    accountIdx,
    tokenId: 0n,
    amount,
    owner: 1n,
    ax,
    ay: 0n,
    chainHash: 0n,
  });

  it("counts deposits and forced transfers to a fee account from the next operation a batch takes, nothing else", () => {
    const ops: QueuedL1Op[] = [
      op(0, L1OpKind.DEPOSIT, 4n, 10n),
      op(1, L1OpKind.FORCE_TRANSFER, 2n, 20n, 4n), // to fee account 4
      op(2, L1OpKind.FORCE_TRANSFER, 4n, 40n, 2n), // from it: no credit
      op(3, L1OpKind.DEPOSIT, 2n, 80n), // not a fee account
      op(4, L1OpKind.FORCE_EXIT, 4n, 0n),
    ];
    const store = { l1OpCount: () => ops.length, l1Ops: (from: number, n: number) => ops.slice(from, from + n) };
    const queued = new QueuedFeeDeposits(store, [4n]);
    expect(queued.to(4n, 0n, 0)).to.equal(30n);
    expect(queued.to(4n, 1n, 0), "another token").to.equal(0n);
    expect(queued.to(4n, 0n, 1), "the deposit consumed").to.equal(20n);
    expect(queued.to(4n, 0n, 2)).to.equal(0n);
  });
});
