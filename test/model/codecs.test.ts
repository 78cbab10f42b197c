// The model's codecs: batch data (src/model/batchData.ts: the posted bytes ⇄ their values, and
// JSON), and the JSON of accounts, transfers and L1 operations. Known shapes, round trips, and
// malformed input refused with an error naming what is wrong.
import { expect } from "chai";
import { accountToJSON, MAX_BALANCE } from "../../src/model/account.js";
import { buildBatch } from "../../src/model/batch.js";
import {
  type BatchData,
  batchDataFromJSON,
  BatchDataError,
  batchDataToJSON,
  checkBatchData,
  decodeBatchData,
  type DecodedBatchData,
  encodeBatchData,
} from "../../src/model/batchData.js";
import { fromHex, toHex } from "../../src/model/bytes.js";
import { loadCrypto, SNARK_FIELD } from "../../src/model/crypto.js";
import { JsonFormatError } from "../../src/model/json.js";
import { L2Key } from "../../src/model/keys.js";
import { L1OpKind, type QueuedL1Op, queuedL1OpFromJSON, queuedL1OpToJSON } from "../../src/model/l1op.js";
import { deriveParams } from "../../src/model/params.js";
import { L2State } from "../../src/model/state.js";
import { signTransfer, transferFromJSON, transferToJSON, TxFormatError, type Domain } from "../../src/model/tx.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";

// test_d4_b2: depth 4 (256 accounts, idxBytes 1, txBytes 8), 2 transactions, 2 L1 slots, 1 fee slot.
const params = getInstance(TEST_INSTANCE);
/** depth 5: idxBytes 2 hold indexes up to 65,535 but only 1,024 accounts exist. */
const d5 = deriveParams({ name: "d5", description: "", depth: 5, batchSize: 3, l1Slots: 1, feeSlots: 2 });
const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };

const values: DecodedBatchData = {
  newRoot: 123n,
  l1Results: [0n, 5n * 10n ** 18n],
  feeIdx: [7n],
  txs: [
    { from: 3n, to: 200n, amount: 5n * 10n ** 17n, fee: 20n },
    { from: 9n, to: 0n, amount: 1n, fee: 0n },
  ],
  commitment: SNARK_FIELD - 1n,
};
/** Its posted bytes, written out: amount 5·10^17 is float40 (8 << 35) | 5·10^9 (the smallest exponent), fee 20 float8 (1 << 4) | 2. */
const posted: BatchData = {
  newRoot: 123n,
  l1Count: 2,
  l1Results: fromHex("0x" + "00".repeat(16) + "00".repeat(8) + "4563918244f40000"),
  feeIdx: fromHex("0x07"),
  txData: fromHex("0x03c8412a05f20012" + "0900000000000100"),
  commitment: SNARK_FIELD - 1n,
};

/** Throws unless `f` throws an instance of `E` whose message matches `re`. */
const refuses = (f: () => unknown, E: new (...a: never[]) => Error, re: RegExp) => expect(f).to.throw(E, re);

describe("batch data codec", () => {
  it("encodes a batch's values to the posted bytes, known answer, and decodes them back", () => {
    expect(encodeBatchData(values, params)).to.deep.equal(posted);
    expect(decodeBatchData(posted, params)).to.deep.equal(values);
    const empty: DecodedBatchData = { newRoot: 0n, l1Results: [], feeIdx: [0n], txs: [], commitment: 0n };
    expect(encodeBatchData(empty, params)).to.deep.equal({
      newRoot: 0n,
      l1Count: 0,
      l1Results: new Uint8Array(),
      feeIdx: fromHex("0x00"),
      txData: new Uint8Array(),
      commitment: 0n,
    });
    expect(decodeBatchData(encodeBatchData(empty, params), params)).to.deep.equal(empty);
    // two-byte indexes, big-endian
    const wide = encodeBatchData(
      { newRoot: 1n, l1Results: [MAX_BALANCE], feeIdx: [1023n, 0n], txs: [{ from: 1023n, to: 258n, amount: 0n, fee: 0n }], commitment: 2n },
      d5,
    );
    expect(toHex(wide.feeIdx)).to.equal("0x03ff0000");
    expect(toHex(wide.l1Results)).to.equal("0x" + "ff".repeat(16));
    expect(toHex(wide.txData)).to.equal("0x03ff0102000000000000");
    expect(decodeBatchData(wide, d5).txs).to.deep.equal([{ from: 1023n, to: 258n, amount: 0n, fee: 0n }]);
  });

  it("is what buildBatch posts: the built batch's data decodes to its own results, fee indexes and transfers", async () => {
    const c = await loadCrypto();
    const keys = [await L2Key.random(), await L2Key.random()];
    const state = new L2State(c, params);
    for (const k of keys) state.createAccount({ ax: k.ax, ay: k.ay, owner: 1n, tokenId: 0n, balance: 1000n, nonce: 0n });
    const t = signTransfer(c.hash, keys[0]!, { from: 1n, to: 2n, amount: 300n, fee: 5n, nonce: 0n }, domain, params);
    const batch = buildBatch(state, { txs: [t] }, { domain, feeIdx: [2n] });
    expect(decodeBatchData(batch.data, params)).to.deep.equal({
      newRoot: state.root,
      l1Results: [],
      feeIdx: [2n],
      txs: [{ from: 1n, to: 2n, amount: 300n, fee: 5n }],
      commitment: batch.data.commitment,
    });
    expect(encodeBatchData(decodeBatchData(batch.data, params), params)).to.deep.equal(batch.data);
  });

  it("refuses data of the wrong shape for the instance, naming the field", () => {
    const bad =
      (change: Partial<BatchData>, p = params) =>
      () =>
        decodeBatchData({ ...posted, ...change }, p);
    refuses(bad({ feeIdx: fromHex("0x0700") }), BatchDataError, /fee index data must be 1 bytes, got 2/);
    refuses(bad({ l1Count: 3, l1Results: new Uint8Array(48) }), BatchDataError, /l1Count must be 0..2, got 3/);
    refuses(bad({ l1Count: 1.5 }), BatchDataError, /l1Count/);
    refuses(bad({ l1Results: new Uint8Array(31) }), BatchDataError, /L1 results must be 32 bytes, got 31/);
    refuses(bad({ txData: new Uint8Array(9) }), BatchDataError, /tx data must be a multiple of 8 bytes up to 16, got 9/);
    refuses(bad({ txData: fromHex("0x" + "01".repeat(24)) }), BatchDataError, /up to 16, got 24/);
    refuses(bad({ newRoot: SNARK_FIELD }), BatchDataError, /newRoot is not a field element/);
    refuses(bad({ newRoot: -1n }), BatchDataError, /newRoot is not a field element/);
    refuses(bad({ commitment: SNARK_FIELD }), BatchDataError, /commitment is not a field element/);
    expect(() => checkBatchData({ ...posted, txData: new Uint8Array(7) }, params)).to.throw(BatchDataError, /multiple of 8/);
  });

  it("refuses out-of-range values: padding posted, an index past the tree, a result over 2^128, too many items", () => {
    refuses(
      () => decodeBatchData({ ...posted, txData: fromHex("0x00c8412a05f20012" + "0900000000000100") }, params),
      BatchDataError,
      /posted transaction 0 is padding \(from = 0\)/,
    );
    refuses(
      () => decodeBatchData({ ...posted, txData: fromHex("0x03c8412a05f20012" + "0000000000000000") }, params),
      BatchDataError,
      /posted transaction 1 is padding/,
    );
    const d5data = (feeIdx: string, txData = "0x") => ({
      newRoot: 1n,
      l1Count: 0,
      l1Results: new Uint8Array(),
      feeIdx: fromHex(feeIdx),
      txData: fromHex(txData),
      commitment: 2n,
    });
    refuses(() => decodeBatchData(d5data("0x04000000"), d5), BatchDataError, /fee index 0 is 1024, not an index below 1024/);
    refuses(() => decodeBatchData(d5data("0x00000001", "0x00010400000000000000"), d5), BatchDataError, /transaction 0's receiver is 1024/);
    refuses(() => decodeBatchData(d5data("0x00000001", "0xffff0001000000000000"), d5), BatchDataError, /transaction 0's sender is 65535/);
    const enc =
      (change: Partial<DecodedBatchData>, p = params) =>
      () =>
        encodeBatchData({ ...values, ...change }, p);
    refuses(enc({ feeIdx: [] }), BatchDataError, /names 1 fee indexes/);
    refuses(enc({ feeIdx: [256n] }), BatchDataError, /fee index 0 is 256/);
    refuses(enc({ l1Results: [1n << 128n] }), BatchDataError, /L1 result 0 is .*, not a uint128/);
    refuses(enc({ l1Results: [-1n] }), BatchDataError, /L1 result 0/);
    refuses(enc({ l1Results: [1n, 2n, 3n] }), BatchDataError, /l1Count must be 0..2, got 3/);
    refuses(enc({ txs: [...values.txs, values.txs[0]!] }), BatchDataError, /at most 2 transactions/);
    refuses(enc({ txs: [{ from: 0n, to: 1n, amount: 0n, fee: 0n }] }), BatchDataError, /transaction 0 is padding/);
    refuses(enc({ txs: [{ from: 1n, to: 256n, amount: 0n, fee: 0n }] }), TxFormatError, /to index 256 out of range/);
    refuses(enc({ txs: [{ from: 1n, to: 2n, amount: 123456789012345678901n, fee: 0n }] }), TxFormatError, /not exactly representable/);
    refuses(enc({ commitment: SNARK_FIELD }), BatchDataError, /commitment is not a field element/);
  });

  it("JSON: decimal roots, hex bytes; round-trips; malformed JSON refused naming the field", () => {
    const j = batchDataToJSON(posted);
    expect(j).to.deep.equal({
      newRoot: "123",
      l1Count: 2,
      l1Results: "0x" + "00".repeat(24) + "4563918244f40000",
      feeIdx: "0x07",
      txData: "0x03c8412a05f200120900000000000100",
      commitment: String(SNARK_FIELD - 1n),
    });
    expect(batchDataFromJSON(JSON.parse(JSON.stringify(j)))).to.deep.equal(posted);
    refuses(() => batchDataFromJSON({ ...j, txData: "03c8" }), JsonFormatError, /txData must be 0x-prefixed hex bytes/);
    refuses(() => batchDataFromJSON({ ...j, feeIdx: "0x7" }), JsonFormatError, /feeIdx must be 0x-prefixed hex bytes/);
    refuses(() => batchDataFromJSON({ ...j, l1Results: undefined }), JsonFormatError, /l1Results/);
    refuses(() => batchDataFromJSON({ ...j, newRoot: "-1" }), JsonFormatError, /newRoot must be a non-negative integer/);
    refuses(() => batchDataFromJSON({ ...j, commitment: "0x10" }), JsonFormatError, /commitment must be a non-negative integer/);
    refuses(() => batchDataFromJSON({ ...j, l1Count: "2" }), JsonFormatError, /l1Count must be a non-negative integer/);
    refuses(() => batchDataFromJSON({ ...j, l1Count: -1 }), JsonFormatError, /l1Count/);
    refuses(() => batchDataFromJSON([j]), JsonFormatError, /batch data must be a JSON object/);
    refuses(() => batchDataFromJSON(null), JsonFormatError, /batch data must be a JSON object/);
  });
});

describe("JSON of accounts, transfers and L1 operations", () => {
  it("an account: the owner as a 0x address of 40 digits, the rest decimal", () => {
    expect(accountToJSON({ ax: 1n, ay: 2n, owner: 0xabcn, tokenId: 3n, balance: MAX_BALANCE, nonce: 4n })).to.deep.equal({
      ax: "1",
      ay: "2",
      owner: "0x" + "0".repeat(37) + "abc",
      tokenId: "3",
      balance: String(MAX_BALANCE),
      nonce: "4",
    });
  });

  it("a signed transfer round-trips; a non-object, a missing signature or a bad number is refused naming the field", () => {
    const t = { from: 1n, to: 0n, amount: 10n ** 30n, fee: 7n, nonce: 4294967295n, signature: { R8x: 1n, R8y: SNARK_FIELD - 1n, S: 3n } };
    const j = transferToJSON(t);
    expect(j).to.deep.equal({
      from: "1",
      to: "0",
      amount: String(10n ** 30n),
      fee: "7",
      nonce: "4294967295",
      signature: { R8x: "1", R8y: String(SNARK_FIELD - 1n), S: "3" },
    });
    expect(transferFromJSON(JSON.parse(JSON.stringify(j)))).to.deep.equal(t);
    refuses(() => transferFromJSON([j]), TxFormatError, /transfer must be a JSON object/);
    refuses(() => transferFromJSON({ ...j, signature: "x" }), TxFormatError, /signature is missing/);
    refuses(() => transferFromJSON({ ...j, signature: { ...j.signature, S: "1.5" } }), TxFormatError, /signature.S must be a non-negative integer/);
    refuses(() => transferFromJSON({ ...j, fee: "1".repeat(79) }), TxFormatError, /fee must be a non-negative integer/);
    refuses(() => transferFromJSON({ ...j, nonce: null }), TxFormatError, /nonce must be a decimal string/);
  });

  it("a queued L1 operation round-trips in the stored form; kinds and ranges the queue cannot hold are refused", () => {
    const op: QueuedL1Op = {
      kind: L1OpKind.CREATE,
      accountIdx: 5n,
      tokenId: 4294967295n,
      amount: MAX_BALANCE,
      owner: (1n << 160n) - 1n,
      ax: 8n,
      ay: 9n,
      queueIndex: 12n,
      chainHash: SNARK_FIELD - 1n,
    };
    const j = queuedL1OpToJSON(op);
    expect(j).to.deep.equal({
      queueIndex: "12",
      kind: 1,
      accountIdx: "5",
      tokenId: "4294967295",
      amount: String(MAX_BALANCE),
      owner: String((1n << 160n) - 1n),
      ax: "8",
      ay: "9",
      chainHash: String(SNARK_FIELD - 1n),
    });
    expect(queuedL1OpFromJSON(JSON.parse(JSON.stringify(j)))).to.deep.equal(op);
    refuses(() => queuedL1OpFromJSON({ ...j, kind: 5 }), JsonFormatError, /L1 operation 12: unknown L1 operation kind 5/);
    const forced = { ...j, kind: 4, ay: "0" };
    expect(queuedL1OpFromJSON(forced).ax).to.equal(8n);
    refuses(
      () => queuedL1OpFromJSON({ ...forced, ay: "9" }),
      JsonFormatError,
      /L1 operation 12: a forced transfer's receiver \(ax\) must fit 32 bits, and ay be 0/,
    );
    refuses(() => queuedL1OpFromJSON({ ...forced, ax: String(1n << 32n) }), JsonFormatError, /a forced transfer's receiver \(ax\) must fit 32 bits/);
    refuses(() => queuedL1OpFromJSON({ ...j, amount: String(1n << 128n) }), JsonFormatError, /amount must fit 128 bits/);
    refuses(() => queuedL1OpFromJSON({ ...j, owner: String(1n << 160n) }), JsonFormatError, /owner must be a 160-bit address/);
    refuses(() => queuedL1OpFromJSON({ ...j, accountIdx: String(1n << 32n) }), JsonFormatError, /accountIdx must fit 32 bits/);
    refuses(() => queuedL1OpFromJSON({ ...j, chainHash: undefined }), JsonFormatError, /chainHash must be a decimal string/);
    refuses(() => queuedL1OpFromJSON("x"), JsonFormatError, /L1 operation must be a JSON object/);
  });
});
