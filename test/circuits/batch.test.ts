import { createHash } from "node:crypto";
import { expect } from "chai";
import { MAX_BALANCE, type Account } from "../../lib/account.js";
import { buildBatch } from "../../lib/batch.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../../lib/crypto.js";
import { L2Key } from "../../lib/keys.js";
import { getInstance, TEST_INSTANCE, deriveParams, type DerivedParams } from "../../lib/params.js";
import { L2State } from "../../lib/state.js";
import { signTransfer, type Domain, type SignedTransfer, type Transfer } from "../../lib/tx.js";
import { CircuitTester, failsAt, terminateCurve, uncheckedBatchInput, type CircuitInput, type Frame } from "./helpers.js";

const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };

// Where each guarded check sits (the error names the innermost template first).
const AT = {
  signature: ["ForceEqualIfEnabled", "EdDSAPoseidonVerifier", ["Transfer", "transfer.circom", "sig.M <== message;"]],
  overdraft: ["Num2Bits", ["Transfer", "transfer.circom", "Num2Bits(128)(senderBalanceNew)"]],
  receiverOverflow: ["Num2Bits", ["Transfer", "transfer.circom", "Num2Bits(128)(receiverBalanceNew)"]],
  feeOverflow: ["Num2Bits", ["FeeCredit", "fee_credit.circom", "Num2Bits(128)(balance + acc)"]],
  token: [["Transfer", "transfer.circom", "receiverToken === senderToken;"]],
  padding: [["Transfer", "transfer.circom", "(to + amountF + feeF) * (1 - enabled) === 0;"]],
  toZero: [["Transfer", "transfer.circom", "to * toInv === enabled;"]],
  fromRange: ["Num2Bits", ["Transfer", "transfer.circom", "Num2Bits(2 * D)(from)"]],
  feeIdxRange: ["Num2Bits", ["Batch", "batch.circom", "Num2Bits(2 * D)(feeIdx[j])"]],
  noFeeSlot: [["Transfer", "transfer.circom", "fee * (1 - matches) === 0;"]],
  feeTokens: [["Batch", "batch.circom", "bothEnabled[j][k] * sameToken[j][k] === 0;"]],
  senderProof: [
    ["MerkleUpdate4", "merkle_update4.circom", "(oldNode[D] - rootIn) * enabled === 0;"],
    ["Transfer", "transfer.circom", "signal rootMid <== MerkleUpdate4"],
  ],
  receiverProof: [
    ["MerkleUpdate4", "merkle_update4.circom", "(oldNode[D] - rootIn) * enabled === 0;"],
    ["Transfer", "transfer.circom", "rootOut <== MerkleUpdate4"],
  ],
  feeProof: [
    ["MerkleUpdate4", "merkle_update4.circom", "(oldNode[D] - rootIn) * enabled === 0;"],
    ["FeeCredit", "fee_credit.circom", "rootOut <== MerkleUpdate4"],
  ],
  newRoot: [["Batch", "batch.circom", "root[N + F] === newRoot;"]],
} satisfies Record<string, Frame[]>;
const at = (frames: Frame[]) => failsAt(...frames);

/** A deterministic key per name. */
const keyOf = (name: string) => L2Key.fromPrivateKey("0x" + createHash("sha256").update(`zkr circuit test ${name}`).digest("hex"));

/** Accounts of the tests, created in this order (index 1, 2, …). */
const PEOPLE: [name: string, tokenId: bigint, balance: bigint][] = [
  ["alice", 1n, 10n ** 18n],
  ["bob", 1n, 5n * 10n ** 17n],
  ["fees", 1n, 0n],
  ["carol", 2n, 10n ** 6n],
  ["dave", 1n, MAX_BALANCE - 10n],
  ["erin", 2n, 0n],
  ["fees2", 2n, 7n],
  ["fees1b", 1n, 0n],
];

interface World {
  c: ZkrCrypto;
  p: DerivedParams;
  state: L2State;
  /** Account index by name. */
  idx: Record<string, bigint>;
  keys: Record<string, L2Key>;
  /** A signed transfer between named accounts; nonce defaults to the sender's current one. */
  sign(from: string, to: string, amount: bigint, fee: bigint, opts?: { nonce?: bigint; key?: string; domain?: Domain }): SignedTransfer;
  /** Circuit input of `txs` applied without any validation (see uncheckedBatchInput). */
  unchecked(txs: SignedTransfer[], feeIdx: bigint[]): CircuitInput;
}

async function makeWorld(c: ZkrCrypto, p: DerivedParams): Promise<World> {
  const state = new L2State(c, p);
  const idx: Record<string, bigint> = {};
  const keys: Record<string, L2Key> = {};
  for (const [name, tokenId, balance] of PEOPLE) {
    keys[name] = await keyOf(name);
    const a: Account = { ax: keys[name].ax, ay: keys[name].ay, owner: 0x1000n + BigInt(state.size), tokenId, balance, nonce: 0n };
    idx[name] = state.createAccount(a);
  }
  return {
    c,
    p,
    state,
    idx,
    keys,
    sign(from, to, amount, fee, opts = {}) {
      const t: Transfer = { from: idx[from], to: idx[to], amount, fee, nonce: opts.nonce ?? state.account(idx[from])!.nonce };
      return signTransfer(c.hash, keys[opts.key ?? from], t, opts.domain ?? domain, p);
    },
    unchecked(txs, feeIdx) {
      return uncheckedBatchInput(c.hash, p, state.entries(), txs, feeIdx, domain, 1n).circuitInput;
    },
  };
}

/** Replace entry `i` of an array-valued input field. */
function setAt(input: CircuitInput, field: string, i: number, value: unknown): CircuitInput {
  const arr = [...(input[field] as unknown[])];
  arr[i] = value;
  return { ...input, [field]: arr };
}

after(terminateCurve);

describe("circuit Batch(4, 2, 1) (test instance)", function () {
  let c: ZkrCrypto;
  let tester: CircuitTester;
  const p = getInstance(TEST_INSTANCE);
  const fresh = () => makeWorld(c, p);

  before(async () => {
    expect([p.depth, p.batchSize, p.feeSlots]).to.deep.equal([4, 2, 1]);
    c = await loadCrypto();
    tester = await CircuitTester.compile("batch_d4_n2_f1", ["batch.circom"], "Batch(4, 2, 1)");
  });

  it("has the pinned constraint count", () => {
    // Measured alone: sha256 of 113 bytes (2 blocks) 59,956; per tx slot Transfer(4, 1) 11,108
    // (EdDSA 4,217, message Poseidon(3) 261, 4 leaves 1,416, 2 Merkle updates 4,844, range
    // bits 2·128 + 32 + 2·8, floats 57, flags 9); FeeCredit(4) 3,258; domain 240; header bits
    // 1,035 (newRoot strict 515). --O2 merges 6 across components. Growth must be deliberate.
    expect(tester.nConstraints).to.equal(86699);
  });

  it("accepts a batch built by the TS model, and outputs the model's inputHash", async () => {
    const w = await fresh();
    const before = w.state.entries();
    const txs = [w.sign("alice", "bob", 10n ** 17n, 2n * 10n ** 15n), w.sign("bob", "alice", 12345n, 7n)];
    const batch = buildBatch(w.state, txs, { domain, batchNumber: 1n, feeIdx: [w.idx.fees] });
    expect(batch.rejected).to.deep.equal([]);
    expect(batch.fees).to.deep.equal([2n * 10n ** 15n + 7n]);
    const wit = await tester.expectPass(batch.circuitInput);
    expect(tester.get(wit, "inputHash")).to.equal(batch.inputHash);
    expect(wit[1], "the public signal is wire 1").to.equal(batch.inputHash);
    // the unchecked builder the must-fail tests use agrees with the model on valid batches
    const unchecked = uncheckedBatchInput(c.hash, p, before, txs, [w.idx.fees], domain, 1n);
    expect(unchecked.circuitInput).to.deep.equal(batch.circuitInput);
  });

  it("accepts padding, a self-transfer, an empty batch and a fee-free transfer of a token with no fee slot", async () => {
    const w = await fresh();
    const cases = [
      { txs: [w.sign("alice", "alice", 5n, 1n)], feeIdx: [w.idx.fees], batchNumber: 2n },
      { txs: [w.sign("carol", "erin", 1000n, 0n)], feeIdx: [w.idx.fees], batchNumber: 3n },
      { txs: [], feeIdx: [], batchNumber: 4n },
      { txs: [w.sign("dave", "bob", 10n ** 20n, 0n), w.sign("bob", "alice", 1n, 0n)], feeIdx: [], batchNumber: 5n },
    ];
    for (const { txs, feeIdx, batchNumber } of cases) {
      const batch = buildBatch(w.state, txs, { domain, batchNumber, feeIdx });
      expect(batch.rejected, `batch ${batchNumber}`).to.deep.equal([]);
      const wit = await tester.expectPass(batch.circuitInput);
      expect(tester.get(wit, "inputHash"), `batch ${batchNumber}`).to.equal(batch.inputHash);
      if (txs.length === 0) expect(batch.newRoot).to.equal(batch.oldRoot);
    }
    // padding with an all-zero signature works too
    await tester.expectPass(w.unchecked([w.sign("alice", "bob", 1n, 0n)], [0n]));
  });

  it("rejects a signature by another key, for another nonce, chain or rollup", async () => {
    const w = await fresh();
    for (const tx of [
      w.sign("alice", "bob", 100n, 0n, { key: "bob" }),
      w.sign("alice", "bob", 100n, 0n, { nonce: 1n }),
      w.sign("alice", "bob", 100n, 0n, { domain: { ...domain, chainId: 1n } }),
      w.sign("alice", "bob", 100n, 0n, { domain: { ...domain, rollupAddress: domain.rollupAddress + 1n } }),
    ]) {
      await tester.expectAssertFail(w.unchecked([tx], [0n]), at(AT.signature));
    }
    // a valid signature over other calldata (amount changed after signing)
    const good = w.unchecked([w.sign("alice", "bob", 100n, 0n)], [0n]);
    await tester.expectAssertFail(setAt(good, "amountF", 0, "101"), at(AT.signature));
  });

  it("rejects an overdraft, by the amount or by the fee", async () => {
    const w = await fresh();
    const bobBalance = 5n * 10n ** 17n;
    await tester.expectAssertFail(w.unchecked([w.sign("bob", "alice", bobBalance + 10n ** 10n, 0n)], [w.idx.fees]), at(AT.overdraft));
    await tester.expectAssertFail(w.unchecked([w.sign("bob", "alice", bobBalance, 1n)], [w.idx.fees]), at(AT.overdraft));
    await tester.expectAssertFail(w.unchecked([w.sign("fees", "alice", 0n, 1n)], [w.idx.fees]), at(AT.overdraft));
  });

  it("rejects a transfer between accounts of different tokens", async () => {
    const w = await fresh();
    await tester.expectAssertFail(w.unchecked([w.sign("alice", "carol", 1n, 0n)], [0n]), at(AT.token));
    await tester.expectAssertFail(w.unchecked([w.sign("carol", "alice", 1n, 0n)], [0n]), at(AT.token));
  });

  it("rejects a tampered Merkle sibling of the sender, the receiver or the fee account", async () => {
    const w = await fresh();
    const good = buildBatch(w.state, [w.sign("alice", "bob", 1n, 1n)], { domain, batchNumber: 1n, feeIdx: [w.idx.fees] }).circuitInput;
    await tester.expectPass(good);
    const bump = (field: string, path: number[]) => {
      const copy = structuredClone(good) as Record<string, unknown>;
      let node = copy[field] as unknown[];
      for (const k of path.slice(0, -1)) node = node[k] as unknown[];
      node[path.at(-1)!] = (BigInt(node[path.at(-1)!] as string) + 1n).toString();
      return copy;
    };
    await tester.expectAssertFail(bump("senderSiblings", [0, 0, 0]), at(AT.senderProof));
    await tester.expectAssertFail(bump("senderSiblings", [0, 3, 2]), at(AT.senderProof));
    await tester.expectAssertFail(bump("receiverSiblings", [0, 1, 1]), at(AT.receiverProof));
    await tester.expectAssertFail(bump("feeSiblings", [0, 2, 0]), at(AT.feeProof));
    // a leaf field that differs from the tree's
    await tester.expectAssertFail(bump("senderBalance", [0]), at(AT.senderProof));
    await tester.expectAssertFail(bump("receiverNonce", [0]), at(AT.receiverProof));
    await tester.expectAssertFail(bump("feeOwner", [0]), at(AT.feeProof));
  });

  it("rejects a balance overflow of the receiver or of a fee account (amount out of range)", async () => {
    const w = await fresh();
    // dave holds 2^128 − 11
    await tester.expectAssertFail(w.unchecked([w.sign("alice", "dave", 11n, 0n)], [0n]), at(AT.receiverOverflow));
    await tester.expectPass(w.unchecked([w.sign("alice", "dave", 10n, 0n)], [0n]));
    await tester.expectAssertFail(w.unchecked([w.sign("alice", "bob", 1n, 11n)], [w.idx.dave]), at(AT.feeOverflow));
    await tester.expectPass(w.unchecked([w.sign("alice", "bob", 1n, 10n)], [w.idx.dave]));
  });

  it("rejects altered padding slots", async () => {
    const w = await fresh();
    const good = buildBatch(w.state, [w.sign("alice", "bob", 1n, 0n)], { domain, batchNumber: 1n, feeIdx: [] }).circuitInput;
    await tester.expectPass(good);
    await tester.expectAssertFail(setAt(good, "to", 1, String(w.idx.bob)), at(AT.padding));
    await tester.expectAssertFail(setAt(good, "amountF", 1, "1"), at(AT.padding));
    await tester.expectAssertFail(setAt(good, "feeF", 1, "1"), at(AT.padding));
  });

  it("rejects to = 0, indexes beyond 4^D and a fee account that does not exist", async () => {
    const w = await fresh();
    const good = buildBatch(w.state, [w.sign("alice", "bob", 1n, 1n)], { domain, batchNumber: 1n, feeIdx: [w.idx.fees] }).circuitInput;
    await tester.expectAssertFail(setAt(good, "to", 0, "0"), at(AT.toZero));
    await tester.expectAssertFail(setAt(good, "from", 0, String(256n + w.idx.alice)), at(AT.fromRange));
    await tester.expectAssertFail(setAt(good, "feeIdx", 0, String(256n + w.idx.fees)), at(AT.feeIdxRange));
    await tester.expectAssertFail(setAt(good, "feeIdx", 0, "200"), at(AT.feeProof));
  });

  it("rejects a fee when no enabled fee slot has the sender's token", async () => {
    const w = await fresh();
    await tester.expectAssertFail(w.unchecked([w.sign("alice", "bob", 1n, 1n)], [0n]), at(AT.noFeeSlot));
    await tester.expectAssertFail(w.unchecked([w.sign("carol", "erin", 1n, 1n)], [w.idx.fees]), at(AT.noFeeSlot));
  });

  it("rejects a wrong newRoot", async () => {
    const w = await fresh();
    const good = buildBatch(w.state, [w.sign("alice", "bob", 1n, 1n)], { domain, batchNumber: 1n, feeIdx: [w.idx.fees] }).circuitInput;
    await tester.expectAssertFail({ ...good, newRoot: good.oldRoot }, at(AT.newRoot));
    await tester.expectAssertFail({ ...good, newRoot: (BigInt(good.newRoot as string) + 1n).toString() }, at(AT.newRoot));
  });

  it("constraints reject edited witnesses: a real tx passed off as padding, skipped fees, another output", async () => {
    const w = await fresh();
    const batch = buildBatch(w.state, [w.sign("alice", "bob", 1n, 3n)], { domain, batchNumber: 1n, feeIdx: [w.idx.fees] });
    const wit = await tester.expectPass(batch.circuitInput);
    expect(tester.get(wit, "tx[0].enabled")).to.equal(1n);
    tester.expectUnsatisfied(tester.edit(wit, { "tx[0].enabled": 0n, "tx[0].fromInv": 0n }));
    tester.expectUnsatisfied(tester.edit(wit, { "tx[0].slotMatch[0]": 0n, "tx[0].feeAdd[0]": 0n }));
    tester.expectUnsatisfied(tester.edit(wit, { inputHash: batch.inputHash + 1n }));
    tester.expectUnsatisfied(tester.edit(wit, { inputHash: batch.inputHash + SNARK_FIELD - 1n }));
    // the one free signal of a padding slot really is free
    expect(tester.firstViolation(tester.edit(wit, { "tx[1].toInv": 12345n }))).to.equal(-1);
  });
});

describe("circuit Batch(2, 1, 2) (two fee slots, index bytes with unused bits)", function () {
  let c: ZkrCrypto;
  let tester: CircuitTester;
  const p = deriveParams({ name: "test_d2_b1_f2", description: "", depth: 2, batchSize: 1, feeSlots: 2 });

  before(async () => {
    c = await loadCrypto();
    tester = await CircuitTester.compile("batch_d2_n1_f2", ["batch.circom"], "Batch(2, 1, 2)");
  });

  it("has the pinned constraint count", () => {
    // 2 blocks of sha256, one Transfer(2, 2), two FeeCredit(2) and one distinct-token check
    expect(tester.nConstraints).to.equal(73855);
  });

  it("credits each fee to the slot of its token, and matches the model", async () => {
    const w = await makeWorld(c, p);
    for (const [feeIdx, tx] of [
      [[w.idx.fees, w.idx.fees2], () => w.sign("carol", "erin", 100n, 3n)],
      [[w.idx.fees, w.idx.fees2], () => w.sign("alice", "bob", 100n, 4n)],
      [[0n, w.idx.fees2], () => w.sign("carol", "erin", 100n, 5n)],
      [[w.idx.fees2, 0n], () => w.sign("carol", "carol", 0n, 6n)],
    ] as const) {
      const batch = buildBatch(w.state, [tx()], { domain, batchNumber: 1n, feeIdx: [...feeIdx] });
      expect(batch.rejected).to.deep.equal([]);
      const wit = await tester.expectPass(batch.circuitInput);
      expect(tester.get(wit, "inputHash")).to.equal(batch.inputHash);
    }
    expect(w.state.account(w.idx.fees2)!.balance).to.equal(7n + 3n + 5n + 6n);
    expect(w.state.account(w.idx.fees)!.balance).to.equal(4n);
  });

  it("rejects two enabled fee slots of the same token", async () => {
    const w = await makeWorld(c, p);
    await tester.expectAssertFail(w.unchecked([w.sign("alice", "bob", 1n, 0n)], [w.idx.fees, w.idx.fees1b]), at(AT.feeTokens));
    await tester.expectAssertFail(w.unchecked([w.sign("alice", "bob", 1n, 0n)], [w.idx.fees, w.idx.fees]), at(AT.feeTokens));
  });
});

describe("circuit Batch(12, 1, 1) (bench instance)", function () {
  it("has the pinned constraint count and accepts a model batch", async () => {
    const p = getInstance("bench_d12_b1");
    expect([p.depth, p.batchSize, p.feeSlots]).to.deep.equal([12, 1, 1]);
    const tester = await CircuitTester.compile("batch_d12_n1_f1", ["batch.circom"], "Batch(12, 1, 1)");
    // sha256 (2 blocks) 59,931; Transfer(12, 1) 20,820 (two depth-12 Merkle updates 14,524);
    // FeeCredit(12) 8,098; domain and header bits 1,289. Fits a 2^17 ptau.
    expect(tester.nConstraints).to.equal(90134);
    const w = await makeWorld(await loadCrypto(), p);
    const batch = buildBatch(w.state, [w.sign("alice", "bob", 10n ** 17n, 9n)], { domain, batchNumber: 7n, feeIdx: [w.idx.fees] });
    const wit = await tester.expectPass(batch.circuitInput);
    expect(tester.get(wit, "inputHash")).to.equal(batch.inputHash);
  });
});
