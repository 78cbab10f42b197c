// The two rules of src/sequencer/reconcile.ts that need no chain: which accounts an L1
// reorganisation took away (their waiting transactions are rejected), and when a batch L1 holds
// is the one the sequencer recorded (otherwise L1's is taken over).
import { expect } from "chai";
import { L1OpKind, type QueuedL1Op } from "../../src/model/l1op.js";
import { lostCreations, sameBatch } from "../../src/sequencer/reconcile.js";
import type { L1Batch } from "../../src/sequencer/watcher.js";

const op = (queueIndex: bigint, kind: L1OpKind, accountIdx: bigint, ax = 7n, owner = 0xabcn): QueuedL1Op => ({
  queueIndex,
  kind,
  accountIdx,
  tokenId: 0n,
  amount: 10n,
  owner,
  ax,
  ay: 8n,
  chainHash: 1000n + queueIndex,
});

describe("reconciliation rules", () => {
  it("an account is lost when its creating deposit was dropped, unless L1 holds the same creation again", () => {
    const dropped = [op(2n, L1OpKind.CREATE, 3n), op(3n, L1OpKind.DEPOSIT, 1n), op(4n, L1OpKind.CREATE, 4n), op(5n, L1OpKind.FORCE_EXIT, 2n)];
    // L1 now holds #3's creation again (another queue position: an earlier operation changed),
    // and another key's creation at #4.
    const fresh = [op(2n, L1OpKind.DEPOSIT, 1n), op(3n, L1OpKind.CREATE, 3n), op(4n, L1OpKind.CREATE, 4n, 99n)];
    expect([...lostCreations(dropped, fresh)]).to.deep.equal([4n]);
    expect([...lostCreations(dropped, [])]).to.deep.equal([3n, 4n]);
    // Same index and key by another owner is another account.
    expect([...lostCreations([op(2n, L1OpKind.CREATE, 3n)], [op(2n, L1OpKind.CREATE, 3n, 7n, 0xdefn)])]).to.deep.equal([3n]);
  });

  it("a batch on L1 is the recorded one only with both roots, and the commitment when its calldata is readable", () => {
    const rec = { oldRoot: 1n, newRoot: 2n, commitment: 3n };
    const l1 = (over: Partial<L1Batch> = {}, commitment?: bigint): L1Batch => ({
      number: 5,
      oldRoot: 1n,
      newRoot: 2n,
      l1Count: 0,
      txHash: "0x",
      block: { number: 1, hash: "0x" },
      posted:
        commitment === undefined
          ? undefined
          : {
              data: { newRoot: 2n, l1Count: 0, l1Results: new Uint8Array(), feeIdx: new Uint8Array(), txData: new Uint8Array(), commitment },
              proof: [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n],
            },
      ...over,
    });
    expect(sameBatch(rec, l1({}, 3n))).to.equal(true);
    expect(sameBatch(rec, l1())).to.equal(true); // submitted through another contract: the roots decide
    expect(sameBatch(rec, l1({}, 4n))).to.equal(false);
    expect(sameBatch(rec, l1({ newRoot: 9n }, 3n))).to.equal(false);
    expect(sameBatch(rec, l1({ oldRoot: 9n }, 3n))).to.equal(false);
  });
});
