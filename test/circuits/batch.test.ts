import { expect } from "chai";
import { MAX_BALANCE } from "../../src/model/account.js";
import { TX_SLOT_INPUTS, type BatchContents } from "../../src/model/batch.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../../src/model/crypto.js";
import { publicSignalsFor } from "../../src/model/publicInputs.js";
import { batchMainSource } from "../../src/proving/setup.js";
import type { L1Op } from "../../src/model/l1op.js";
import { deriveParams } from "../../src/model/params.js";
import { OutOfSyncError } from "../../src/model/state.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { CircuitTester, failsAt, terminateCurve, uncheckedBatchInput, type Frame } from "./helpers.js";
import { domain, L1_FIELDS, L1_LEAF_FIELDS, setAt, World } from "./world.js";
import { batchShapeName, pinned, readConstraintSnapshot } from "../../bench/snapshots.js";

/** Constraint counts recorded by bin/bench --update-snapshots (snapshots/constraints.json). */
const snapshot = readConstraintSnapshot();

const rootCheck: Frame = ["MerkleUpdate", "merkle_update.circom", "(oldNode[n8 + top] - rootIn) * enabled === 0;"];
const inUpdate: Frame = ["AccountUpdate", "account_update.circom", "rootOut <== MerkleUpdate(D)"];
const newBalance: Frame = ["AccountUpdate", "account_update.circom", "Num2Bits(128)(newBalance)"];
const senderUpdate: Frame = ["Transfer", "transfer.circom", "signal rootMid <== AccountUpdate(D)"];
const receiverUpdate: Frame = ["Transfer", "transfer.circom", "rootOut <== AccountUpdate(D)"];
const feeUpdate: Frame = ["FeeCredit", "fee_credit.circom", "rootOut <== AccountUpdate(D)"];
const l1Update: Frame = ["L1Op", "l1_op.circom", "rootOut <== AccountUpdate(D)(enabled, isCreate"];

// Where each guarded check sits (the error names the innermost template first).
const AT = {
  signature: [
    "ForceEqualIfEnabled",
    ["SchnorrVerifier128", "schnorr.circom", "ForceEqualIfEnabled()(enabled, [left[0], right.xout]);"],
    ["Transfer", "transfer.circom", "sig.word <== "],
  ],
  overdraft: ["Num2Bits", newBalance, senderUpdate],
  receiverOverflow: ["Num2Bits", newBalance, receiverUpdate],
  feeOverflow: ["Num2Bits", newBalance, feeUpdate],
  token: [["Transfer", "transfer.circom", "(receiverToken - senderToken) * isTransfer === 0;"]],
  padding: [["Transfer", "transfer.circom", "(to + amountF + feeF) * (1 - enabled) === 0;"]],
  fromRange: ["Num2Bits", ["Transfer", "transfer.circom", "Num2Bits(2 * D)(from)"]],
  feeIdxRange: ["Num2Bits", ["BatchHead", "batch.circom", "Num2Bits(2 * D)(feeIdx[j])"]],
  noFeeSlot: [["Transfer", "transfer.circom", "fee * (1 - matches) === 0;"]],
  feeTokens: [["BatchHead", "batch.circom", "bothEnabled[j][k] * sameToken[j][k] === 0;"]],
  senderProof: [rootCheck, inUpdate, senderUpdate],
  receiverProof: [rootCheck, inUpdate, receiverUpdate],
  feeProof: [rootCheck, inUpdate, feeUpdate],
  newRoot: [["BatchTail", "batch.circom", "root[F] === newRoot;"]],
  l1Proof: [rootCheck, inUpdate, l1Update],
  l1IdxRange: ["Num2Bits", ["L1Op", "l1_op.circom", "Num2Bits(2 * D)(accountIdx)"]],
  l1Data: [["L1Op", "l1_op.circom", "e1 * (1 - enabled) === 0;"]],
  l1Owner: [["L1Op", "l1_op.circom", "owner * (1 - enabled) === 0;"]],
  l1Count: [["BatchHead", "batch.circom", "l1Count === enabledCount;"]],
  l1Order: [["BatchHead", "batch.circom", "l1[j].enabled * (1 - l1[j - 1].enabled) === 0;"]],
  txOrder: [["BatchTail", "batch.circom", "txEnabled[i] * (1 - txEnabled[i - 1]) === 0;"]],
} satisfies Record<string, Frame[]>;
const at = (frames: Frame[]) => failsAt(...frames);

after(terminateCurve);

describe("circuit Batch(4, 2, 2, 1) (test instance)", function () {
  let c: ZkrCrypto;
  let tester: CircuitTester;
  const p = getInstance(TEST_INSTANCE);
  const fresh = () => World.make(c, p);

  before(async () => {
    expect([p.depth, p.batchSize, p.l1Slots, p.feeSlots]).to.deep.equal([4, 2, 2, 1]);
    c = await loadCrypto();
    tester = await CircuitTester.compileSource("batch_d4_n2_l2_f1", batchMainSource(p));
  });

  it("has the pinned constraint count", () => {
    // Measured alone: per L1 slot L1Op(4) 3,812 (AccountUpdate(4) 3,174: Merkle update 2,267, 2
    // leaves 522, range bits of both leaves 384; chain Poseidon(5) 321, range bits 299, flags
    // ~18); per tx slot Transfer(4, 1) 9,016 (Schnorr-128 signature with its challenge hash 2,586,
    // 2 AccountUpdate(4) 6,346, range bits 2·8, floats 57, flags 11); FeeCredit(4) 3,173; public
    // inputs (commitment Poseidon(9) and 8 Horner steps) ~425; domain 240; chainId and
    // rollupAddress range bits 224; fee-slot flags, the tx-slot order: 898 outside the slots.
    // (27,742 before every leaf read was range-checked; 33,921 with EdDSA-Poseidon, the 4-ary tree
    // and the owner in the leaf; 125,010 when the public input was a sha256 of the data.) Growth
    // must be deliberate: the count is snapshots/constraints.json's.
    expect(tester.nConstraints).to.equal(pinned(snapshot.instances, TEST_INSTANCE));
  });

  it("reads and writes every account leaf through AccountUpdate (so every leaf field is range-checked where it is read)", () => {
    // A leaf hash or a Merkle update outside AccountUpdate would open a leaf without the range
    // checks of its packed state word (test/circuits/malicious.test.ts shows what that allows).
    const comps = [...tester.components()];
    const leafOrPath = comps.filter((x) => /(^|\.)(AccountLeaf|MerkleUpdate)@/.test(x));
    expect(leafOrPath.length).to.be.greaterThan(0);
    for (const x of leafOrPath)
      expect(x, "a leaf hash or Merkle update outside AccountUpdate").to.match(/(^|\.)AccountUpdate@\d+\.(AccountLeaf|MerkleUpdate)@/);
    // 2 per transaction slot, 1 per L1 slot and the forced-transfer receiver's in slot 0, 1 per fee slot
    const updates = new Set(comps.map((x) => x.match(/^(.*?AccountUpdate@\d+)/)?.[1]).filter(Boolean));
    expect(updates.size).to.equal(2 * p.batchSize + p.l1Slots + 1 + p.feeSlots);
  });

  it("accepts model batches with every L1 operation, transfers and exits, and outputs the model's public signals", async () => {
    const w = await fresh();
    const contents1 = (): BatchContents => ({
      l1Ops: [w.create("frank", 1n, 300n), w.deposit("alice", 10n ** 6n)],
      txs: [w.sign("alice", "frank", 10n ** 17n, 2n * 10n ** 15n), w.sign("bob", null, 12345n, 7n)],
    });
    const contents2 = (): BatchContents => ({
      l1Ops: [w.forceExit("frank"), w.deposit("carol", 5n, 1n)], // carol holds token 2: refunded
      txs: [w.sign("alice", "bob", 1n, 0n), w.sign("bob", null, 2n * 10n ** 17n, 1n)],
    });
    for (const [makeContents, results] of [
      [contents1, [0n, 0n]],
      [contents2, [300n + 10n ** 17n, 5n]],
    ] as const) {
      const before = { accounts: w.state.entries(), l1HashStart: w.l1Hash };
      const contents = makeContents();
      const batch = w.batch(contents, [w.idx.fees]);
      expect(batch.rejected).to.deep.equal([]);
      expect(batch.l1Results).to.deep.equal(results);
      const wit = await tester.expectPass(batch.circuitInput);
      expect([wit[1], wit[2]], "the public signals are wires 1 and 2: evaluation, challenge").to.deep.equal(batch.publicSignals);
      expect(tester.get(wit, "tail.pub.acc[1]"), "the circuit's data commitment is the model's").to.equal(batch.data.commitment);
      // the unchecked builder the must-fail tests use agrees with the model on valid batches
      const unchecked = uncheckedBatchInput(c.hash, p, before.accounts, contents, { domain, feeIdx: [w.idx.fees], l1HashStart: before.l1HashStart });
      expect(unchecked.circuitInput).to.deep.equal(batch.circuitInput);
      expect(unchecked.publicSignals).to.deep.equal(batch.publicSignals);
    }
    expect(w.state.account(w.idx.frank)!.balance).to.equal(0n);
    expect(w.state.account(w.idx.alice)!.balance).to.equal(10n ** 18n + 10n ** 6n - 10n ** 17n - 2n * 10n ** 15n - 1n);
    expect(w.state.account(w.idx.bob)!.balance).to.equal(5n * 10n ** 17n - 12345n - 7n + 1n - 2n * 10n ** 17n - 1n);
  });

  it("accepts padding, self-transfers, empty batches, fee-free transfers, refunds and no-op L1 operations", async () => {
    const w = await fresh();
    const cases: [string, () => BatchContents, bigint[]][] = [
      ["self-transfer", () => ({ txs: [w.sign("alice", "alice", 5n, 1n)] }), [w.idx.fees]],
      ["token 2, no fee slot for it", () => ({ txs: [w.sign("carol", "erin", 1000n, 0n)] }), [w.idx.fees]],
      ["empty", () => ({ txs: [] }), []],
      ["two fee-free transfers", () => ({ txs: [w.sign("dave", "bob", 10n ** 20n, 0n), w.sign("bob", "alice", 1n, 0n)] }), []],
      [
        "CREATE then DEPOSIT to it, exit of a whole balance",
        () => ({ l1Ops: [w.create("gina", 2n, 0n), w.deposit("gina", 7n, 2n)], txs: [w.sign("carol", null, 10n ** 6n - 1000n, 0n)] }),
        [],
      ],
      ["FORCE_EXIT of an empty balance, DEPOSIT past 2^128 − 1", () => ({ l1Ops: [w.forceExit("fees1b"), w.deposit("dave", 10n ** 20n + 11n)], txs: [] }), []],
    ];
    for (const [name, contents, feeIdx] of cases) {
      const oldHash = w.l1Hash;
      const batch = w.batch(contents(), feeIdx);
      expect(batch.rejected, name).to.deep.equal([]);
      const wit = await tester.expectPass(batch.circuitInput);
      expect(tester.get(wit, "evaluation"), name).to.equal(batch.publicSignals[0]);
      if (name === "empty") expect([batch.data.newRoot, batch.l1HashEnd]).to.deep.equal([batch.oldRoot, oldHash]);
    }
    expect(w.state.account(w.idx.gina)!.balance).to.equal(7n);
    expect(w.state.account(w.idx.dave)!.balance).to.equal(MAX_BALANCE - 10n - 10n ** 20n);
    // a FORCE_EXIT queued by another address than the owner's: the contract never queues one,
    // so the model refuses it as state out of sync (and changes nothing)
    const root = w.state.root;
    expect(() => w.batch({ l1Ops: [w.forceExit("alice", "bob")], txs: [] }, [])).to.throw(OutOfSyncError, /not its owner/);
    expect(w.state.root).to.equal(root);
  });

  it("rejects a signature by another key, for another nonce, chain or rollup, on a transfer or an exit", async () => {
    const w = await fresh();
    for (const to of ["bob", null]) {
      for (const tx of [
        w.sign("alice", to, 100n, 0n, { key: "bob" }),
        w.sign("alice", to, 100n, 0n, { nonce: 1n }),
        w.sign("alice", to, 100n, 0n, { domain: { ...domain, chainId: 1n } }),
        w.sign("alice", to, 100n, 0n, { domain: { ...domain, rollupAddress: domain.rollupAddress + 1n } }),
      ]) {
        await tester.expectAssertFail(w.unchecked({ txs: [tx] }, [0n]).circuitInput, at(AT.signature));
      }
    }
    // a valid signature over other calldata: amount changed, a transfer turned into an exit
    const good = w.unchecked({ txs: [w.sign("alice", "bob", 100n, 0n)] }, [0n]).circuitInput;
    await tester.expectAssertFail(setAt(good, "amountF", 0, "101"), at(AT.signature));
    await tester.expectAssertFail(setAt(good, "to", 0, "0"), at(AT.signature));
  });

  it("rejects an overdraft, by the amount or by the fee, of a transfer or an exit", async () => {
    const w = await fresh();
    const bobBalance = 5n * 10n ** 17n;
    for (const to of ["alice", null]) {
      await tester.expectAssertFail(w.unchecked({ txs: [w.sign("bob", to, bobBalance + 10n ** 10n, 0n)] }, [w.idx.fees]).circuitInput, at(AT.overdraft));
      await tester.expectAssertFail(w.unchecked({ txs: [w.sign("bob", to, bobBalance, 1n)] }, [w.idx.fees]).circuitInput, at(AT.overdraft));
      await tester.expectAssertFail(w.unchecked({ txs: [w.sign("fees", to, 0n, 1n)] }, [w.idx.fees]).circuitInput, at(AT.overdraft));
    }
  });

  it("rejects a transfer between accounts of different tokens", async () => {
    const w = await fresh();
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("alice", "carol", 1n, 0n)] }, [0n]).circuitInput, at(AT.token));
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("carol", "alice", 1n, 0n)] }, [0n]).circuitInput, at(AT.token));
  });

  it("rejects a tampered Merkle sibling or leaf field of an L1 account, sender, receiver or fee account", async () => {
    const w = await fresh();
    const good = w.batch({ l1Ops: [w.deposit("bob", 1n)], txs: [w.sign("alice", "bob", 1n, 1n)] }, [w.idx.fees]).circuitInput;
    await tester.expectPass(good);
    const bump = (field: string, path: number[]) => {
      const copy = structuredClone(good) as Record<string, unknown>;
      let node = copy[field] as unknown[];
      for (const k of path.slice(0, -1)) node = node[k] as unknown[];
      node[path.at(-1)!] = (BigInt(node[path.at(-1)!] as string) + 1n).toString();
      return copy;
    };
    // siblings are flat: 7 of the 8-ary level 0 (0–6), 7 of level 1 (7–13), 3 of the 4-ary top (14–16)
    expect((good.senderSiblings as unknown[][])[0]).to.have.length(17);
    await tester.expectAssertFail(bump("l1LeafSiblings", [0, 0]), at(AT.l1Proof));
    await tester.expectAssertFail(bump("l1LeafSiblings", [0, 15]), at(AT.l1Proof));
    await tester.expectAssertFail(bump("senderSiblings", [0, 0]), at(AT.senderProof));
    await tester.expectAssertFail(bump("senderSiblings", [0, 16]), at(AT.senderProof));
    await tester.expectAssertFail(bump("receiverSiblings", [0, 8]), at(AT.receiverProof));
    await tester.expectAssertFail(bump("receiverSiblings", [0, 6]), at(AT.receiverProof));
    await tester.expectAssertFail(bump("feeSiblings", [0, 14]), at(AT.feeProof));
    await tester.expectAssertFail(bump("feeSiblings", [0, 11]), at(AT.feeProof));
    // a leaf field that differs from the tree's
    await tester.expectAssertFail(bump("l1LeafBalance", [0]), at(AT.l1Proof));
    await tester.expectAssertFail(bump("l1LeafNonce", [0]), at(AT.l1Proof));
    await tester.expectAssertFail(bump("senderBalance", [0]), at(AT.senderProof));
    await tester.expectAssertFail(bump("receiverNonce", [0]), at(AT.receiverProof));
    await tester.expectAssertFail(bump("feeAy", [0]), at(AT.feeProof));
    await tester.expectAssertFail(bump("receiverAx", [0]), at(AT.receiverProof));
  });

  it("rejects a balance overflow of the receiver or of a fee account (amount out of range)", async () => {
    const w = await fresh();
    // dave holds 2^128 − 11
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("alice", "dave", 11n, 0n)] }, [0n]).circuitInput, at(AT.receiverOverflow));
    await tester.expectPass(w.unchecked({ txs: [w.sign("alice", "dave", 10n, 0n)] }, [0n]).circuitInput);
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("alice", "bob", 1n, 11n)] }, [w.idx.dave]).circuitInput, at(AT.feeOverflow));
    await tester.expectPass(w.unchecked({ txs: [w.sign("alice", "bob", 1n, 10n)] }, [w.idx.dave]).circuitInput);
  });

  it("rejects altered padding slots and disabled L1 slots holding data", async () => {
    const w = await fresh();
    const good = w.batch({ l1Ops: [w.deposit("alice", 5n)], txs: [w.sign("alice", "bob", 1n, 0n)] }, []).circuitInput;
    await tester.expectPass(good);
    await tester.expectAssertFail(setAt(good, "to", 1, String(w.idx.bob)), at(AT.padding));
    await tester.expectAssertFail(setAt(good, "amountF", 1, "1"), at(AT.padding));
    await tester.expectAssertFail(setAt(good, "feeF", 1, "1"), at(AT.padding));
    // L1 slot 1 is disabled (l1Count = 1)
    await tester.expectAssertFail(setAt(good, "l1Amount", 1, "5"), at(AT.l1Data));
    await tester.expectAssertFail(setAt(good, "l1AccountIdx", 1, String(w.idx.alice)), at(AT.l1Data));
    await tester.expectAssertFail(setAt(good, "l1Token", 1, "1"), at(AT.l1Data));
    await tester.expectAssertFail(setAt(good, "l1Owner", 1, String(w.owner.alice)), at(AT.l1Owner));
  });

  it("rejects indexes beyond 4^D and a fee account that does not exist", async () => {
    const w = await fresh();
    const good = w.batch({ l1Ops: [w.deposit("bob", 1n)], txs: [w.sign("alice", "bob", 1n, 1n)] }, [w.idx.fees]).circuitInput;
    await tester.expectAssertFail(setAt(good, "from", 0, String(256n + w.idx.alice)), at(AT.fromRange));
    await tester.expectAssertFail(setAt(good, "feeIdx", 0, String(256n + w.idx.fees)), at(AT.feeIdxRange));
    await tester.expectAssertFail(setAt(good, "feeIdx", 0, "200"), at(AT.feeProof));
    await tester.expectAssertFail(setAt(good, "l1AccountIdx", 0, String(256n + w.idx.bob)), at(AT.l1IdxRange));
  });

  it("rejects a fee when no enabled fee slot has the sender's token", async () => {
    const w = await fresh();
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("alice", "bob", 1n, 1n)] }, [0n]).circuitInput, at(AT.noFeeSlot));
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("carol", "erin", 1n, 1n)] }, [w.idx.fees]).circuitInput, at(AT.noFeeSlot));
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("carol", null, 1n, 1n)] }, [w.idx.fees]).circuitInput, at(AT.noFeeSlot));
  });

  it("rejects a wrong newRoot", async () => {
    const w = await fresh();
    const good = w.batch({ txs: [w.sign("alice", "bob", 1n, 1n)] }, [w.idx.fees]).circuitInput;
    await tester.expectAssertFail({ ...good, newRoot: good.oldRoot }, at(AT.newRoot));
    await tester.expectAssertFail({ ...good, newRoot: (BigInt(good.newRoot as string) + 1n).toString() }, at(AT.newRoot));
  });

  it("binds the queue: another l1HashStart or other operation data than the contract's give another evaluation", async () => {
    // l1HashStart and the operations are private inputs: what stops a cheat is that the circuit's
    // evaluation at the contract's challenge is not the contract's evaluation of its own data.
    const w = await fresh();
    const ops = [w.deposit("alice", 10n ** 6n), w.create("frank", 1n, 300n)];
    const honest = w.unchecked({ l1Ops: ops, txs: [] }, [0n]);
    const [y, z] = honest.publicSignals;
    const wrongStart = await tester.expectPass({ ...honest.circuitInput, l1HashStart: String(w.l1Hash + 1n), challenge: z.toString() });
    expect(tester.get(wrongStart, "evaluation")).to.not.equal(y);
    for (const forged of [
      [{ ...ops[0], amount: 10n ** 9n }, ops[1]], // a larger deposit
      [ops[0], { ...ops[1], ax: w.keys.bob.ax, ay: w.keys.bob.ay }], // the new account given another L2 key
    ]) {
      const cheat = w.unchecked({ l1Ops: forged, txs: [] }, [0n]);
      // the contract takes the cheater's newRoot and commitment (or any other) with the queue's real l1HashEnd
      const contractData = { ...cheat.data, l1HashEnd: honest.data.l1HashEnd };
      for (const commitment of [cheat.commitment, honest.commitment, 0n]) {
        const [cy, cz] = publicSignalsFor(contractData, p, commitment);
        const wit = await tester.expectPass({ ...cheat.circuitInput, challenge: cz.toString() });
        expect(tester.get(wit, "evaluation")).to.not.equal(cy);
      }
    }
  });

  it("rejects a CREATE into an existing account, and a DEPOSIT or FORCE_EXIT of an empty slot", async () => {
    const w = await fresh();
    const create: L1Op = { ...w.create("frank", 1n, 300n), accountIdx: w.idx.bob };
    await tester.expectAssertFail(w.unchecked({ l1Ops: [create], txs: [] }, [0n]).circuitInput, at(AT.l1Proof));
    const deposit: L1Op = { ...w.deposit("alice", 5n), accountIdx: 100n };
    const forceExit: L1Op = { ...w.forceExit("alice"), accountIdx: 100n };
    for (const op of [deposit, forceExit]) await tester.expectAssertFail(w.unchecked({ l1Ops: [op], txs: [] }, [0n]).circuitInput, at(AT.l1Proof));
  });

  it("rejects outcomes the rules do not give: a valid deposit refunded, an invalid one credited, forced exits", async () => {
    const w = await fresh();
    const alice = 10n ** 18n;
    const deposit = w.deposit("alice", 1000n);
    const wrongToken = w.deposit("carol", 5n, 1n);
    const byOwner = w.forceExit("alice");
    const byOther = w.forceExit("alice", "bob");
    // the claimed root differs from the one the rules give (a forced exit always applies: the
    // owner is not in the leaf, the contract checked it when it queued the operation)
    for (const [op, outcome] of [
      [deposit, { applied: false, result: 1000n }],
      [wrongToken, { applied: true, result: 0n }],
      [byOwner, { applied: false, result: 0n }],
      [byOther, { applied: false, result: 0n }],
    ] as const) {
      await tester.expectAssertFail(w.unchecked({ l1Ops: [op], txs: [] }, [0n], [outcome]).circuitInput, at(AT.newRoot));
    }
    // the right root with a wrong result: at the claim's challenge, the circuit evaluates the honest
    // data, not the claim
    for (const [op, outcome] of [
      [deposit, { applied: true, result: 1000n }],
      [byOther, { applied: true, result: 0n }],
      [byOwner, { applied: true, result: alice - 1n }],
    ] as const) {
      const claim = w.unchecked({ l1Ops: [op], txs: [] }, [0n], [outcome]);
      const wit = await tester.expectPass(claim.circuitInput);
      expect(tester.get(wit, "evaluation")).to.not.equal(claim.publicSignals[0]);
      const honest = w.unchecked({ l1Ops: [op], txs: [] }, [0n]);
      const atHonest = await tester.expectPass({ ...claim.circuitInput, challenge: honest.publicSignals[1].toString() });
      expect(tester.get(atHonest, "evaluation")).to.equal(honest.publicSignals[0]);
    }
  });

  it("rejects an l1Count that does not count the enabled slots, or enabled slots after a disabled one", async () => {
    const w = await fresh();
    const two = w.unchecked({ l1Ops: [w.deposit("alice", 1n), w.deposit("bob", 2n)], txs: [] }, [0n]).circuitInput;
    await tester.expectPass(two);
    await tester.expectAssertFail({ ...two, l1Count: "3" }, at(AT.l1Count));
    await tester.expectAssertFail({ ...two, l1Count: "1" }, at(AT.l1Count));
    const one = w.unchecked({ l1Ops: [w.deposit("alice", 1n)], txs: [] }, [0n]).circuitInput;
    await tester.expectAssertFail({ ...one, l1Count: "2" }, at(AT.l1Count));
    await tester.expectAssertFail({ ...one, l1Count: "0" }, at(AT.l1Count));
    // the operation moved to slot 1 behind a disabled slot 0 (whose root it passes through)
    const gap = structuredClone(one) as Record<string, unknown[]>;
    for (const f of [...L1_FIELDS, ...L1_LEAF_FIELDS]) gap[f].reverse();
    await tester.expectAssertFail(gap, at(AT.l1Order));
  });

  it("rejects a real transaction after a padding slot (one encoding of txData per batch)", async () => {
    const w = await fresh();
    const one = w.unchecked({ txs: [w.sign("alice", "bob", 1n, 0n)] }, [0n]).circuitInput;
    await tester.expectPass(one);
    const gap = structuredClone(one) as Record<string, unknown[]>;
    for (const f of TX_SLOT_INPUTS) gap[f].reverse();
    await tester.expectAssertFail(gap, at(AT.txOrder));
  });

  it("constraints reject edited witnesses: a real tx passed off as padding, skipped fees, a refunded deposit, another output", async () => {
    const w = await fresh();
    const batch = w.batch({ l1Ops: [w.deposit("bob", 9n)], txs: [w.sign("alice", "bob", 1n, 3n)] }, [w.idx.fees]);
    const wit = await tester.expectPass(batch.circuitInput);
    // tx[0]'s outputs enabled and feeAdd[0] (--O2 names their wires by the tail's inputs)
    expect(tester.get(wit, "tail.txEnabled[0]")).to.equal(1n);
    tester.expectUnsatisfied(tester.edit(wit, { "tail.txEnabled[0]": 0n, "tx[0].fromInv": 0n }));
    tester.expectUnsatisfied(tester.edit(wit, { "tx[0].slotMatch[0]": 0n, "tail.txFeeAdd[0][0]": 0n }));
    expect(tester.get(wit, "head.l1[0].depositOk")).to.equal(1n);
    tester.expectUnsatisfied(tester.edit(wit, { "head.l1[0].depositOk": 0n, "head.l1[0].depositCredited": 0n }));
    tester.expectUnsatisfied(tester.edit(wit, { "head.l1[1].kindBits[0]": 1n }));
    tester.expectUnsatisfied(tester.edit(wit, { evaluation: batch.publicSignals[0] + 1n }));
    tester.expectUnsatisfied(tester.edit(wit, { evaluation: (batch.publicSignals[0] + SNARK_FIELD - 1n) % SNARK_FIELD }));
    tester.expectUnsatisfied(tester.edit(wit, { challenge: batch.publicSignals[1] + 1n }));
    tester.expectUnsatisfied(tester.edit(wit, { "tail.pub.acc[1]": batch.data.commitment + 1n }));
    // the one free signal of a padding slot really is free
    expect(tester.firstViolation(tester.edit(wit, { "tx[1].toInv": 12345n }))).to.equal(-1);
  });

  it("ignores the leaf inputs of a CREATE (the slot must be empty, whatever they say)", async () => {
    const w = await fresh();
    const batch = w.batch({ l1Ops: [w.create("frank", 1n, 300n)], txs: [] }, []);
    const edited = setAt(setAt(batch.circuitInput, "l1LeafAx", 0, "77"), "l1LeafBalance", 0, "5");
    const wit = await tester.expectPass(edited);
    expect(tester.get(wit, "evaluation")).to.equal(batch.publicSignals[0]);
  });
});

describe("circuit Batch(2, 1, 1, 2) (two fee slots, index bytes with unused bits)", function () {
  let c: ZkrCrypto;
  let tester: CircuitTester;
  const p = deriveParams({ name: "test_d2_b1_l1_f2", description: "", depth: 2, batchSize: 1, l1Slots: 1, feeSlots: 2 });

  before(async () => {
    c = await loadCrypto();
    tester = await CircuitTester.compileSource("batch_d2_n1_l1_f2", batchMainSource(p));
  });

  it("has the pinned constraint count", () => {
    // one L1Op(2) 2,972, one Transfer(2, 2) 7,340, two FeeCredit(2) 2,337 (each an
    // AccountUpdate(2): MerkleUpdate(2) 1,431, 2 leaves 522, the leaves' range bits 384), the
    // public inputs and one distinct-token check: 886. (14,496 before every leaf read was
    // range-checked; 16,227 with EdDSA-Poseidon and the 4-ary tree.) snapshots/constraints.json:
    expect(tester.nConstraints).to.equal(pinned(snapshot.templates, batchShapeName(p)));
  });

  it("credits each fee to the slot of its token, and matches the model", async () => {
    const w = await World.make(c, p);
    for (const [feeIdx, tx] of [
      [[w.idx.fees, w.idx.fees2], () => w.sign("carol", "erin", 100n, 3n)],
      [[w.idx.fees, w.idx.fees2], () => w.sign("alice", "bob", 100n, 4n)],
      [[0n, w.idx.fees2], () => w.sign("carol", null, 100n, 5n)],
      [[w.idx.fees2, 0n], () => w.sign("carol", "carol", 0n, 6n)],
    ] as const) {
      const batch = w.batch({ l1Ops: [w.deposit("erin", 1n)], txs: [tx()] }, [...feeIdx]);
      expect(batch.rejected).to.deep.equal([]);
      const wit = await tester.expectPass(batch.circuitInput);
      expect([wit[1], wit[2]]).to.deep.equal(batch.publicSignals);
    }
    expect(w.state.account(w.idx.fees2)!.balance).to.equal(7n + 3n + 5n + 6n);
    expect(w.state.account(w.idx.fees)!.balance).to.equal(4n);
  });

  it("rejects two enabled fee slots of the same token", async () => {
    const w = await World.make(c, p);
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("alice", "bob", 1n, 0n)] }, [w.idx.fees, w.idx.fees1b]).circuitInput, at(AT.feeTokens));
    await tester.expectAssertFail(w.unchecked({ txs: [w.sign("alice", "bob", 1n, 0n)] }, [w.idx.fees, w.idx.fees]).circuitInput, at(AT.feeTokens));
  });
});

describe("circuit Batch(12, 1, 1, 1) (bench instance)", function () {
  it("has the pinned constraint count and accepts a model batch", async () => {
    const p = getInstance("bench_d12_b1");
    expect([p.depth, p.batchSize, p.l1Slots, p.feeSlots]).to.deep.equal([12, 1, 1, 1]);
    const tester = await CircuitTester.compileSource("batch_d12_n1_l1_f1", batchMainSource(p));
    // L1Op(12) 8,203 (its AccountUpdate(12) 7,549, Merkle update 6,642: eight 8-ary levels);
    // Transfer(12, 1) 17,798 (two AccountUpdate(12) 15,096, the Schnorr-128 signature 2,586);
    // FeeCredit(12) 7,548; public inputs, domain, range bits and flags 896. (33,325 before every
    // leaf read was range-checked; 38,445 with EdDSA-Poseidon, the 4-ary tree and the owner in
    // the leaf; 129,161 with the sha256 public input.) snapshots/constraints.json:
    expect(tester.nConstraints).to.equal(pinned(snapshot.instances, "bench_d12_b1"));
    const w = await World.make(await loadCrypto(), p);
    const batch = w.batch({ l1Ops: [w.deposit("bob", 10n ** 6n)], txs: [w.sign("alice", "bob", 10n ** 17n, 9n)] }, [w.idx.fees]);
    const wit = await tester.expectPass(batch.circuitInput);
    expect([wit[1], wit[2]]).to.deep.equal(batch.publicSignals);
  });
});
