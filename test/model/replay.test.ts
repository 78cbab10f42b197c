// applyBatchData (src/model/batch.ts): a batch replayed from its posted data alone reaches the
// state buildBatch left, account for account (L1 results, transfers, exits, fees), and posted data
// that does not fit the state is refused, naming the batch.
import { expect } from "chai";
import { applyBatchData, buildBatch, type Batch } from "../../src/model/batch.js";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { l1ChainStep, type L1Op, L1OpKind, type QueuedL1Op } from "../../src/model/l1op.js";
import { L2State } from "../../src/model/state.js";
import { signTransfer, type Domain, type Transfer } from "../../src/model/tx.js";
import { deriveParams } from "../../src/model/params.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";

// test_d4_b2: 2 transactions, 2 L1 slots, 1 fee slot per batch.
const params = getInstance(TEST_INSTANCE);
const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };
const BOB = 0xb0bn;

describe("applyBatchData: replaying posted batches", () => {
  let c: ZkrCrypto;
  let keys: L2Key[];
  before(async () => {
    c = await loadCrypto();
    keys = [await L2Key.random(), await L2Key.random(), await L2Key.random(), await L2Key.random()];
  });

  /** Accounts 1, 2 (owner BOB) and fee account 3 of token 0, account 4 of token 1. */
  function fresh(p = params): L2State {
    const s = new L2State(c, p);
    const acct = (k: L2Key, tokenId: bigint, balance: bigint, owner = 1n) => s.createAccount({ ax: k.ax, ay: k.ay, owner, tokenId, balance, nonce: 0n });
    acct(keys[0]!, 0n, 1000n);
    acct(keys[1]!, 0n, 500n, BOB);
    acct(keys[2]!, 0n, 0n);
    acct(keys[3]!, 1n, 70n);
    return s;
  }
  const sign = (i: number, t: Transfer) => signTransfer(c.hash, keys[i]!, t, domain, params);
  /** An L1 queue: `enqueue` appends an operation with its index and chain hash; `hashBefore` is the chain hash before one. */
  function l1Queue() {
    const ops: QueuedL1Op[] = [];
    return {
      enqueue(op: L1Op): QueuedL1Op {
        ops.push({ ...op, queueIndex: BigInt(ops.length), chainHash: l1ChainStep(c.hash, ops.at(-1)?.chainHash ?? 0n, op) });
        return ops.at(-1)!;
      },
      hashBefore: (first?: QueuedL1Op) => (first && first.queueIndex > 0n ? ops[Number(first.queueIndex) - 1]!.chainHash : 0n),
    };
  }

  it("reaches buildBatch's state after each batch: L1 results and refunds, transfers, exits, self-transfers, fees, an empty batch", () => {
    const built = fresh();
    const replayed = fresh();
    const { enqueue, hashBefore } = l1Queue();
    const k = keys[0]!;
    const ops1 = [
      enqueue({ kind: L1OpKind.CREATE, accountIdx: 5n, tokenId: 0n, amount: 100n, owner: 7n, ax: k.ax, ay: k.ay }),
      enqueue({ kind: L1OpKind.DEPOSIT, accountIdx: 4n, tokenId: 0n, amount: 9n, owner: 7n, ax: 0n, ay: 0n }), // wrong token: refunded
    ];
    const ops2 = [enqueue({ kind: L1OpKind.FORCE_EXIT, accountIdx: 2n, tokenId: 0n, amount: 0n, owner: BOB, ax: 0n, ay: 0n })];
    const batches: { batch: Batch; ops: QueuedL1Op[]; nonces: bigint[] }[] = [];
    const build = (ops: QueuedL1Op[], txs: ReturnType<typeof sign>[], feeIdx: bigint[]) => {
      const batch = buildBatch(built, { l1Ops: ops, txs }, { domain, feeIdx, l1HashStart: hashBefore(ops[0]) });
      batches.push({ batch, ops, nonces: batch.txs.map((t) => t.nonce) });
      return batch;
    };
    const b1 = build(
      ops1,
      [sign(0, { from: 1n, to: 2n, amount: 300n, fee: 5n, nonce: 0n }), sign(1, { from: 2n, to: 0n, amount: 50n, fee: 2n, nonce: 0n })],
      [3n],
    );
    expect(b1.l1Results).to.deep.equal([0n, 9n]);
    expect(b1.fees).to.deep.equal([7n]);
    const b2 = build(
      ops2,
      [sign(0, { from: 1n, to: 1n, amount: 7n, fee: 1n, nonce: 1n }), sign(1, { from: 2n, to: 1n, amount: 1n, fee: 0n, nonce: 9n })],
      [3n],
    );
    expect(b2.rejected.map((r) => r.error.code)).to.deep.equal(["BAD_NONCE"]);
    expect(b2.l1Results).to.deep.equal([748n]);
    build([], [], []);

    for (const [i, { batch, ops, nonces }] of batches.entries()) {
      const seen: bigint[] = [];
      applyBatchData(replayed, { number: i + 1, oldRoot: batch.oldRoot, data: batch.data }, ops, (t) => seen.push(t.nonce));
      expect(seen, `batch ${i + 1}: the nonces the transfers used`).to.deep.equal(nonces);
    }
    expect(replayed.root).to.equal(built.root);
    expect(replayed.entries()).to.deep.equal(built.entries());
    expect(replayed.account(3n)!.balance, "fees of both batches").to.equal(8n);
    expect(replayed.account(2n)!.balance, "forced exit").to.equal(0n);
  });

  it("refuses posted data that does not fit the state, naming the batch", () => {
    const built = fresh();
    const op = l1Queue().enqueue({ kind: L1OpKind.CREATE, accountIdx: 5n, tokenId: 1n, amount: 3n, owner: 7n, ax: 1n, ay: 2n });
    const batch = buildBatch(built, { l1Ops: [op], txs: [sign(0, { from: 1n, to: 2n, amount: 10n, fee: 4n, nonce: 0n })] }, { domain, feeIdx: [3n] });
    const replay =
      (data: Partial<Batch["data"]>, ops: QueuedL1Op[] = [op], oldRoot = batch.oldRoot) =>
      () =>
        applyBatchData(fresh(), { number: 7, oldRoot, data: { ...batch.data, ...data } }, ops);
    expect(replay({})).to.not.throw();
    expect(replay({}, [], batch.oldRoot)).to.throw(/batch 7 consumes 1 L1 operations, 0 have events/);
    expect(replay({}, [op], batch.oldRoot + 1n)).to.throw(/batch 7 starts from root/);
    const results = batch.data.l1Results.slice();
    results[15] = 1;
    expect(replay({ l1Results: results })).to.throw(/batch 7: L1 operation \d+ result 1 posted, 0 rebuilt/);
    expect(replay({ newRoot: batch.data.newRoot + 1n })).to.throw(/batch 7: rebuilt root \d+ differs from the posted root/);
    expect(replay({ feeIdx: Uint8Array.of(9) })).to.throw(/batch 7: fee account 9 does not exist/);
    // the fees credited to another account of the same token: another root
    expect(replay({ feeIdx: Uint8Array.of(2) })).to.throw(/batch 7: rebuilt root \d+ differs/);
    // a fee account of another token: the fee is not credited anywhere, another root
    expect(replay({ feeIdx: Uint8Array.of(4) })).to.throw(/batch 7: rebuilt root \d+ differs/);
    expect(replay({ txData: new Uint8Array(params.txBytes) })).to.throw(/batch 7: posted transaction 0 is padding/);
    expect(replay({ feeIdx: Uint8Array.of(1, 2) })).to.throw(/batch 7: fee index data must be 1 bytes, got 2/);
    // 255 and a fee of 15·10^15 from account 1, which holds 1,000
    expect(replay({ txData: Uint8Array.of(1, 2, 0, 0, 0, 0, 0xff, 0xff) })).to.throw(/posted transaction from 1 cannot apply to this state/);
  });

  it("replays a forced transfer (it moved, or not) and a batch of an instance with other slots (a fallback batch) with that instance's parameters", () => {
    // the main instance with two fee slots, its fallback with one (as prod_d12_b32 and bench_d12_b1 differ)
    const main = deriveParams({ name: "main_f2", description: "", depth: params.depth, batchSize: 2, l1Slots: 2, feeSlots: 2 });
    const fallback = getInstance("test_d4_b1");
    expect([fallback.depth, fallback.feeSlots, fallback.l1Slots, fallback.batchSize]).to.deep.equal([main.depth, 1, 1, 1]);
    const built = fresh(main);
    const replayed = fresh(main);
    const { enqueue, hashBefore } = l1Queue();
    const moves = enqueue({ kind: L1OpKind.FORCE_TRANSFER, accountIdx: 1n, tokenId: 0n, amount: 400n, owner: 1n, ax: 2n, ay: 0n });
    const noop = enqueue({ kind: L1OpKind.FORCE_TRANSFER, accountIdx: 1n, tokenId: 0n, amount: 611n, owner: 1n, ax: 2n, ay: 0n });
    const tx = sign(1, { from: 2n, to: 1n, amount: 10n, fee: 3n, nonce: 0n });
    const b1 = buildBatch(built, { l1Ops: [moves], txs: [tx] }, { domain, feeIdx: [3n], l1HashStart: 0n, params: fallback });
    const b2 = buildBatch(built, { l1Ops: [noop], txs: [] }, { domain, feeIdx: [], l1HashStart: hashBefore(noop), params: fallback });
    expect(b1.data.feeIdx.length, "one fee slot of one byte").to.equal(1);
    // the first moved 400 (before the transfer back), the second (611 of 610) nothing
    expect([built.account(1n)!.balance, built.account(2n)!.balance, built.account(3n)!.balance]).to.deep.equal([610n, 887n, 3n]);
    // with the main instance's two fee slots the posted data does not parse; with the fallback's it replays
    expect(() => applyBatchData(fresh(main), { number: 1, oldRoot: b1.oldRoot, data: b1.data }, [moves])).to.throw(/batch 1: .*fee/);
    applyBatchData(replayed, { number: 1, oldRoot: b1.oldRoot, data: b1.data }, [moves], undefined, fallback);
    applyBatchData(replayed, { number: 2, oldRoot: b2.oldRoot, data: b2.data }, [noop], undefined, fallback);
    expect(replayed.root).to.equal(built.root);
    for (const i of [1n, 2n, 3n]) expect(replayed.account(i)).to.deep.equal(built.account(i));
  });
});
