// The sequencer API's bodies (src/sequencer/wire.ts): the known shape of each answer the server
// writes from its records, every L2 number a decimal string, the model's JSON as it is.
import { expect } from "chai";
import { accountView, batchView, txView } from "../../src/sequencer/wire.js";

describe("sequencer API bodies", () => {
  it("a transaction, an account and a batch, field by field", () => {
    const tx = { from: 1n, to: 0n, amount: 10n ** 20n, fee: 3n, nonce: 2n, signature: { R8x: 4n, R8y: 5n, S: 6n } };
    expect(txView({ id: "0xab", seq: 9, tx, status: "included", reason: null, batch: 4, receivedAt: 100, updatedAt: 200 })).to.deep.equal({
      id: "0xab",
      status: "included",
      reason: null,
      batch: 4,
      receivedAt: 100,
      updatedAt: 200,
      tx: { from: "1", to: "0", amount: "100000000000000000000", fee: "3", nonce: "2", signature: { R8x: "4", R8y: "5", S: "6" } },
    });
    expect(accountView(7n, { ax: 1n, ay: 2n, owner: 0xbeefn, tokenId: 3n, balance: 4n, nonce: 5n }, 6n)).to.deep.equal({
      index: "7",
      ax: "1",
      ay: "2",
      owner: "0x000000000000000000000000000000000000beef",
      tokenId: "3",
      balance: "4",
      nonce: "5",
      nextNonce: "6",
    });
    const rec = {
      number: 3,
      status: "final" as const,
      l1From: 2,
      l1Count: 1,
      txIds: ["0x01"],
      feeIdx: [5n, 0n],
      oldRoot: 10n,
      newRoot: 11n,
      commitment: 12n,
      publicSignals: [13n, 14n] as [bigint, bigint],
      proof: { ignored: true },
      posted: null,
      postedFallback: false,
      l1TxHash: "0xcd",
      l1Block: 8,
      l1BlockHash: "0xef",
      createdAt: 1,
      updatedAt: 2,
    };
    expect(batchView(rec)).to.deep.equal({
      number: 3,
      status: "final",
      l1From: 2,
      l1Count: 1,
      txs: ["0x01"],
      feeIdx: ["5", "0"],
      oldRoot: "10",
      newRoot: "11",
      commitment: "12",
      publicSignals: ["13", "14"],
      l1TxHash: "0xcd",
      l1Block: 8,
      l1BlockHash: "0xef",
      createdAt: 1,
      updatedAt: 2,
    });
  });
});
