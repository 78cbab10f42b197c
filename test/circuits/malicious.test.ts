// The malicious prover. Every witness here is what a cheating sequencer computes: circom's own
// witness code run on inputs of its choosing with every `===` skipped (test/circuits/lenient.ts),
// so it satisfies every constraint that does not guard the rule it breaks. Each test names the
// exact constraints that reject it (`violations`); a rule the circuit failed to enforce would
// show as an empty list, i.e. a witness the verifier accepts. On the circuit before every leaf
// read was range-checked, the six attacks of the security review below gave such witnesses.
import { expect } from "chai";
import { MAX_BALANCE, type Account } from "../../src/model/account.js";
import { TX_SLOT_INPUTS } from "../../src/model/batch.js";
import { fromBytesBE } from "../../src/model/bytes.js";
import { loadCrypto, SNARK_FIELD, type ZkrCrypto } from "../../src/model/crypto.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { batchMainSource } from "../../src/proving/setup.js";
import { L2State } from "../../src/model/state.js";
import { decodeTransfer, packedAmounts } from "../../src/model/tx.js";
import { decodeFloat, FLOAT8 } from "../../src/model/float.js";
import { aliasOf, CircuitTester, site, terminateCurve, type CircuitInput, type LeafSite, type UncheckedBatch } from "./helpers.js";
import { domain, setAt, World } from "./world.js";

const ETH = 10n ** 18n;
const p = getInstance(TEST_INSTANCE);

function modPow(b: bigint, e: bigint): bigint {
  let r = 1n;
  for (b %= SNARK_FIELD; e > 0n; e >>= 1n, b = (b * b) % SNARK_FIELD) if (e & 1n) r = (r * b) % SNARK_FIELD;
  return r;
}
/** 2^-160 mod r: adding it to the token adds exactly 1 to the packed state word. */
const INV_2_160 = modPow(2n ** 160n, SNARK_FIELD - 2n);

// Where each leaf is opened (the anonymous AccountUpdate of each template) and its range checks.
type Field = "oldToken" | "oldBalance" | "oldNonce" | "newToken" | "newBalance" | "newNonce";
const UPDATE: Record<LeafSite["kind"], [string, string, string]> = {
  sender: ["AccountUpdate", "transfer.circom", "signal rootMid <== AccountUpdate(D)"],
  receiver: ["AccountUpdate", "transfer.circom", "rootOut <== AccountUpdate(D)"],
  l1: ["AccountUpdate", "l1_op.circom", "rootOut <== AccountUpdate(D)(enabled, isCreate"],
  l1To: ["AccountUpdate", "l1_op.circom", "rootOut <== AccountUpdate(D)(enabled, 0, toBits"],
  fee: ["AccountUpdate", "fee_credit.circom", "rootOut <== AccountUpdate(D)"],
};
const SLOT: Record<LeafSite["kind"], string> = { sender: "tx", receiver: "tx", l1: "head.l1", l1To: "head.l1", fee: "tail.fee" };
/** The range checks `fields` of the leaf opened at `at`, as `violations` names them. */
function leafChecks(at: LeafSite, ...fields: Field[]): string[] {
  const slot = `${SLOT[at.kind]}[${at.slot}]${at.kind === "l1To" ? ".receiver" : ""}`;
  return fields.map((f) => site(slot, UPDATE[at.kind], ["Num2Bits", "account_update.circom", `Num2Bits(${f.endsWith("Balance") ? 128 : 32})(${f})`], "out"));
}

/** Shifts between a leaf's packed fields that keep its state word, and the old-field range checks each breaks. */
const SHIFTS: [string, { tokenId?: bigint; balance?: bigint; nonce?: bigint }, Field[]][] = [
  ["token → balance", { tokenId: -1n, balance: 1n << 128n }, ["oldToken", "oldBalance"]],
  ["balance → nonce", { balance: -1n, nonce: 1n << 32n }, ["oldNonce"]],
  ["token → nonce", { tokenId: -1n, nonce: 1n << 160n }, ["oldToken", "oldNonce"]],
];

/** openAs that opens the leaf at `at` (and only there) with the fields `alias` gives. */
const openingAt = (at: LeafSite, alias: (a: Account) => Account) => (where: LeafSite, a: Account) =>
  where.kind === at.kind && where.slot === at.slot ? alias(a) : undefined;

after(terminateCurve);

describe("malicious prover: Batch(4, 2, 2, 1) rejects every second opening of packed data", function () {
  let c: ZkrCrypto;
  let tester: CircuitTester;

  before(async () => {
    c = await loadCrypto();
    tester = await CircuitTester.compileSource("batch_d4_n2_l2_f1", batchMainSource(p));
  });

  /** The PEOPLE of world.ts (tokens 1 and 2) plus ETH (token 0) accounts. */
  async function fresh() {
    const w = await World.make(c, p);
    w.add("mallory", 0n, ETH / 1000n); // the attacker: 0.001 ETH
    w.add("victor", 0n, 10n * ETH); // a victim
    w.add("walter", 0n, 5n * ETH);
    w.add("ethfees", 0n, 0n);
    return w;
  }

  /** The malicious prover's witness must break exactly `sites`; returns what it would post. */
  async function rejectedAt(b: UncheckedBatch, sites: string[]): Promise<UncheckedBatch> {
    await tester.expectViolations(b.circuitInput, sites);
    return b;
  }
  const posted = (b: UncheckedBatch) => {
    const out = [];
    for (let o = 0; o < b.data.txData.length; o += p.txBytes) out.push(decodeTransfer(b.data.txData.subarray(o, o + p.txBytes), p));
    return out;
  };
  const results = (b: UncheckedBatch) => Array.from({ length: b.data.l1Count }, (_, j) => fromBytesBE(b.data.l1Results.subarray(16 * j, 16 * j + 16)));

  describe("the attacks of the security review", function () {
    it("an account holding 0.001 ETH exits 100 ETH (its leaf opened as token −1, balance + 2^128)", async () => {
      const w = await fresh();
      const sender: LeafSite = { kind: "sender", slot: 0 };
      const exit = w.sign("mallory", null, 100n * ETH, 0n);
      const b = w.unchecked(
        { txs: [exit] },
        [0n],
        undefined,
        openingAt(sender, (a) => aliasOf(a, { tokenId: -1n, balance: 1n << 128n })),
      );
      // what it would post: an exit of 100 ETH from the 0.001 ETH account, credited on L1
      expect(posted(b)).to.deep.equal([{ from: w.idx.mallory, to: 0n, amount: 100n * ETH, fee: 0n }]);
      await rejectedAt(b, leafChecks(sender, "oldToken", "oldBalance", "newToken"));
    });

    it("a forced exit pays any amount < 2^128, or 0 while the operation is consumed (balance and nonce shifted)", async () => {
      const w = await fresh();
      const at: LeafSite = { kind: "l1", slot: 0 };
      const balance = 10n * ETH;
      for (const paid of [1000n * ETH, 0n, MAX_BALANCE]) {
        // balance' = paid, nonce' = nonce + (balance − paid)·2^32: the same state word
        const b = w.unchecked(
          { l1Ops: [w.forceExit("victor")], txs: [] },
          [0n],
          undefined,
          openingAt(at, (a) => aliasOf(a, { balance: paid - balance, nonce: (balance - paid) << 32n })),
        );
        expect(results(b)).to.deep.equal([paid]);
        await rejectedAt(b, leafChecks(at, "oldNonce", "newNonce"));
      }
    });

    it("a token-1 account pays 100 ETH into an ETH account (cross-token mint: token − 1, balance + 2^128)", async () => {
      const w = await fresh();
      const sender: LeafSite = { kind: "sender", slot: 0 };
      // alice holds 1 unit of token 1 (10^18 base units); victor is an ETH account
      const tx = w.sign("alice", "victor", 100n * ETH, 0n);
      const b = w.unchecked(
        { txs: [tx] },
        [0n],
        undefined,
        openingAt(sender, (a) => aliasOf(a, { tokenId: -1n, balance: 1n << 128n })),
      );
      expect(posted(b)).to.deep.equal([{ from: w.idx.alice, to: w.idx.victor, amount: 100n * ETH, fee: 0n }]);
      // the token and the new balance are in range: only the old balance's range check stops it
      await rejectedAt(b, leafChecks(sender, "oldBalance"));
    });

    it("a victim's old signed transfer is proven again (sender opened at its old nonce, the receiver's nonce absorbs the difference), and rebuild would agree", async () => {
      const w = await fresh();
      const tx = w.sign("victor", "mallory", ETH, 0n);
      const first = w.batch({ txs: [tx] }, [0n]); // applied honestly once: victor's nonce is 1 now
      expect(first.rejected).to.deep.equal([]);
      const replayState = w.state.entries();
      // token' = token + 2^-160 adds 1 to the word, nonce' = nonce − 1 takes it away again
      const shift = { tokenId: INV_2_160, nonce: -1n };
      const openAs = (at: LeafSite, a: Account) => (at.slot === 0 && (at.kind === "sender" || at.kind === "receiver") ? aliasOf(a, shift) : undefined);
      const b = w.unchecked({ txs: [tx] }, [0n], undefined, openAs);
      expect(posted(b)).to.deep.equal([{ from: w.idx.victor, to: w.idx.mallory, amount: ETH, fee: 0n }]);
      // zkr rebuild applies the posted calldata without signatures: it reaches the same root
      const rebuilt = new L2State(c, p);
      for (const [i, a] of replayState) expect(rebuilt.createAccount(a)).to.equal(i);
      rebuilt.applyPosted(posted(b)[0]);
      expect(rebuilt.root, "rebuild from the posted data reaches the cheat's root").to.equal(b.data.newRoot);
      await rejectedAt(b, [
        ...leafChecks({ kind: "sender", slot: 0 }, "oldToken", "newToken"),
        ...leafChecks({ kind: "receiver", slot: 0 }, "oldToken", "oldNonce", "newToken", "newNonce"),
      ]);
    });

    it("a token-1 deposit is credited as ETH (the ETH account opened as token 1, nonce − 2^160)", async () => {
      const w = await fresh();
      const at: LeafSite = { kind: "l1", slot: 0 };
      const deposit = w.deposit("victor", 5n * ETH, 1n); // depositERC20To(victor, token 1)
      const honest = w.unchecked({ l1Ops: [deposit], txs: [] }, [0n]);
      expect(results(honest), "honestly it is refunded").to.deep.equal([5n * ETH]);
      const b = w.unchecked(
        { l1Ops: [deposit], txs: [] },
        [0n],
        undefined,
        openingAt(at, (a) => aliasOf(a, { tokenId: 1n, nonce: -(1n << 160n) })),
      );
      expect(results(b), "the cheat credits it and refunds nothing").to.deep.equal([0n]);
      await rejectedAt(b, leafChecks(at, "oldNonce", "newNonce"));
    });

    it("a token-1 fee account collects ETH fees (opened as token 0, nonce + 2^160)", async () => {
      const w = await fresh();
      const at: LeafSite = { kind: "fee", slot: 0 };
      const tx = w.sign("victor", "walter", ETH, 9n * 10n ** 15n);
      const b = w.unchecked(
        { txs: [tx] },
        [w.idx.fees],
        undefined,
        openingAt(at, (a) => aliasOf(a, { tokenId: -1n, nonce: 1n << 160n })),
      );
      await rejectedAt(b, leafChecks(at, "oldNonce", "newNonce"));
    });
  });

  describe("every packed value has one decomposition", function () {
    it("a forced transfer's receiver leaf, opened with any shift between its fields", async () => {
      const w = await fresh();
      const at: LeafSite = { kind: "l1To", slot: 0 };
      const contents = () => ({ l1Ops: [w.forceTransfer("walter", "victor", ETH)], txs: [] });
      await tester.expectViolations(w.unchecked(contents(), [0n]).circuitInput, []);
      for (const [name, shift, fields] of SHIFTS) {
        const b = w.unchecked(
          contents(),
          [0n],
          undefined,
          openingAt(at, (a) => aliasOf(a, shift)),
        );
        const found = tester.violations((await tester.lenient(b.circuitInput)).witness);
        expect(found, name).to.include.members(leafChecks(at, ...fields));
      }
    });

    it("a forced transfer skipped while it applies, or applied while it does not, or in L1 slot 1", async () => {
      const w = await fresh();
      const valid = w.forceTransfer("walter", "victor", ETH);
      const uncovered = w.forceTransfer("mallory", "victor", ETH);
      // the circuit decides whether it moves: a claim otherwise is another final root
      for (const [name, op, outcome] of [
        ["skipped", valid, { applied: false, result: 0n }],
        ["applied beyond the balance", uncovered, { applied: true, result: 0n }],
      ] as const) {
        const b = w.unchecked({ l1Ops: [op], txs: [] }, [0n], [outcome]);
        const found = tester.violations((await tester.lenient(b.circuitInput)).witness);
        expect(found, name).to.include("newRoot");
      }
      // its result is 0: a payout on L1 as well evaluates the data to another value than the contract's
      const paid = w.unchecked({ l1Ops: [valid], txs: [] }, [0n], [{ applied: true, result: ETH }]);
      const lw = await tester.lenient(paid.circuitInput);
      expect(tester.violations(lw.witness)).to.deep.equal([]);
      expect(tester.get(lw.witness, "evaluation")).to.not.equal(paid.publicSignals[0]);
      expect(tester.get(lw.witness, "challenge")).to.equal(paid.publicSignals[1]);
      const second = w.unchecked({ l1Ops: [w.deposit("walter", 1n), valid], txs: [] }, [0n]);
      const found = tester.violations((await tester.lenient(second.circuitInput)).witness);
      // slot 1's kind has two bits: 4 has no decomposition (named by the input it constrains)
      expect(found).to.include("l1Kind");
    });

    it("an account leaf, opened at any of the four places with any shift between its fields", async () => {
      const w = await fresh();
      // walter, victor and ethfees hold ETH (token 0): token − 1 is out of range too
      // walter pays victor a fee-paying transfer; fee account ethfees; walter is also the L1 slot's account
      const contents = () => ({ l1Ops: [w.deposit("walter", 1n)], txs: [w.sign("walter", "victor", ETH, 10n ** 15n)] });
      await tester.expectViolations(w.unchecked(contents(), [w.idx.ethfees]).circuitInput, []);
      // what else may fail: the range checks of the aliased fields where they are written back or
      // read again, and the rules a shifted token or nonce breaks: the receiver's token, the fee
      // slot match, the signature (its word holds the nonce) and, when those change the outcome,
      // the final root
      const consequence = (x: string) =>
        /AccountUpdate@\d+\.Num2Bits@\d+\.out$/.test(x) ||
        ["receiverToken", "tx[0].fee", "tail.txEnabled", "head.feeEnabled", "head.l1[0].receiver.coverBits"].includes(x);
      for (const kind of ["l1", "sender", "receiver", "fee"] as const) {
        for (const [name, shift, fields] of SHIFTS) {
          const at: LeafSite = { kind, slot: 0 };
          const b = w.unchecked(
            contents(),
            [w.idx.ethfees],
            undefined,
            openingAt(at, (a) => aliasOf(a, shift)),
          );
          const found = tester.violations((await tester.lenient(b.circuitInput)).witness);
          expect(found, `${kind}, ${name}`).to.include.members(leafChecks(at, ...fields));
          expect(
            found.filter((x) => !consequence(x)),
            `${kind}, ${name}: ${found.join(", ")}`,
          ).to.deep.equal([]);
        }
      }
    });

    it("the signed word txPacked·2^32 + nonce: proven with a fee one unit lower and the nonce + 2^32 (an aliased sender leaf)", async () => {
      const w = await fresh();
      const sender: LeafSite = { kind: "sender", slot: 0 };
      const tx = w.sign("walter", "victor", ETH, 10n ** 15n);
      const { feeF } = packedAmounts(tx);
      // the same signature over txPacked·2^32 + n, posted as (txPacked − 1)·2^32 + (n + 2^32): feeF − 1
      const cheaper = { ...tx, fee: decodeFloat(FLOAT8, feeF - 1n) };
      const b = w.unchecked(
        { txs: [cheaper] },
        [w.idx.ethfees],
        undefined,
        openingAt(sender, (a) => aliasOf(a, { balance: -1n, nonce: 1n << 32n })),
      );
      expect(posted(b)[0].fee).to.equal(cheaper.fee);
      await rejectedAt(b, leafChecks(sender, "oldNonce", "newNonce"));
    });

    it("chainId·2^160 + rollupAddress", async () => {
      const w = await fresh();
      const b = w.unchecked({ l1Ops: [w.deposit("walter", 1n)], txs: [] }, [0n]);
      const alias = { ...b.circuitInput, chainId: String(domain.chainId + 1n), rollupAddress: String(domain.rollupAddress - (1n << 160n) + SNARK_FIELD) };
      await tester.expectViolations(alias, ["tail.rollupBits"]);
      const alias2 = {
        ...b.circuitInput,
        chainId: String(domain.chainId + (1n << 64n)),
        rollupAddress: String(domain.rollupAddress - (1n << 224n) + SNARK_FIELD),
      };
      await tester.expectViolations(alias2, ["tail.chainIdBits", "tail.rollupBits"]);
    });

    it("l1Count ‖ feeIdx", async () => {
      const w = await fresh();
      const b = w.unchecked({ l1Ops: [w.deposit("walter", 1n)], txs: [w.sign("walter", "victor", 1n, 0n)] }, [w.idx.ethfees]);
      // l1Count − 1 and feeIdx + 2^idxBits: the same coefficient
      const input = { ...b.circuitInput, l1Count: "0", feeIdx: [String(w.idx.ethfees + 256n)] };
      const found = tester.violations((await tester.lenient(input)).witness);
      expect(found).to.include("head.feeIdxBits[0]");
    });

    it("a transaction group: one word − 1, the next + 2^txBits", async () => {
      const w = await fresh();
      const b = w.unchecked({ txs: [w.sign("walter", "victor", 1n, 10n ** 15n), w.sign("victor", "walter", 2n, 0n)] }, [w.idx.ethfees]);
      // txWord0 − 1 (feeF − 1), txWord1 + 2^64 (from + 2^8): the group's integer is unchanged
      let input: CircuitInput = setAt(b.circuitInput, "feeF", 0, String(BigInt((b.circuitInput.feeF as string[])[0]) - 1n));
      input = setAt(input, "from", 1, String(w.idx.victor + 256n));
      const found = tester.violations((await tester.lenient(input)).witness);
      expect(found).to.include("tx[1].fromBits");
    });

    it("an L1 operation's e1 (kind, accountIdx, tokenId, amount)", async () => {
      const w = await fresh();
      const b = w.unchecked({ l1Ops: [w.deposit("walter", 5n)], txs: [] }, [0n]);
      // tokenId − 1 and amount + 2^128: a deposit of another token, with the same queue hash
      const input = setAt(setAt(b.circuitInput, "l1Token", 0, String(SNARK_FIELD - 1n)), "l1Amount", 0, String(5n + (1n << 128n)));
      const found = tester.violations((await tester.lenient(input)).witness);
      expect(found).to.include.members([
        site("head.l1[0]", ["Num2Bits", "l1_op.circom", "Num2Bits(32)(tokenId)"], "out"),
        site("head.l1[0]", ["Num2Bits", "l1_op.circom", "Num2Bits(128)(amount)"], "out"),
      ]);
    });
  });

  describe("signals unchecked by design change nothing", function () {
    /** Perturbed `input` gives a satisfying witness with the honest output: the same data, so the same roots and results. */
    async function harmless(honest: UncheckedBatch, input: CircuitInput, what: string) {
      const lw = await tester.lenient(input);
      expect(tester.violations(lw.witness), what).to.deep.equal([]);
      expect(lw.witness[1], `${what}: same evaluation`).to.equal(honest.publicSignals[0]);
    }

    it("receiver fields of an exit and of padding, leaf fields of a CREATE, disabled slots and unused fee slots, padding signatures", async () => {
      const w = await fresh();
      const honest = w.unchecked({ l1Ops: [w.create("frank", 0n, 7n)], txs: [w.sign("walter", null, ETH, 0n)] }, [0n]);
      await tester.expectViolations(honest.circuitInput, []);
      const edits: [string, string, number, unknown][] = [
        // the exit's receiver (slot 0) and the padding slot's (slot 1)
        ["exit receiver key", "receiverAx", 0, "12345"],
        ["exit receiver token", "receiverToken", 0, "7"],
        ["exit receiver balance", "receiverBalance", 0, "1000"],
        ["exit receiver nonce", "receiverNonce", 0, "9"],
        ["padding receiver balance", "receiverBalance", 1, "1000"],
        ["padding sender key", "senderAy", 1, "4242"],
        ["padding signature S", "sigS", 1, "99"],
        ["padding signature R8", "sigR8x", 1, "17"],
        // the CREATE's leaf inputs and the disabled L1 slot 1
        ["CREATE leaf key", "l1LeafAx", 0, "77"],
        ["CREATE leaf balance", "l1LeafBalance", 0, "5"],
        ["CREATE leaf nonce", "l1LeafNonce", 0, "5"],
        ["disabled L1 leaf token", "l1LeafToken", 1, "3"],
        ["disabled L1 leaf balance", "l1LeafBalance", 1, "3"],
        // the unused fee slot
        ["unused fee slot token", "feeToken", 0, "1"],
        ["unused fee slot balance", "feeBalance", 0, "1"],
        ["unused fee slot key", "feeAx", 0, "1"],
      ];
      for (const [what, field, slot, value] of edits) await harmless(honest, setAt(honest.circuitInput, field, slot, value), what);
      // siblings of disabled updates
      const sib = structuredClone(honest.circuitInput) as Record<string, string[][]>;
      sib.receiverSiblings[0][3] = "5";
      sib.feeSiblings[0][0] = "5";
      sib.l1LeafSiblings[1][2] = "5";
      await harmless(honest, sib, "siblings of disabled updates");
    });

    it("an enabled L1 slot's owner and a CREATE's key, and l1HashStart: another evaluation than the contract's, or a failed check", async () => {
      const w = await fresh();
      const honest = w.unchecked({ l1Ops: [w.deposit("walter", 3n), w.create("gina", 0n, 1n)], txs: [] }, [0n]);
      for (const [field, slot] of [
        ["l1Owner", 0],
        ["l1Owner", 1],
        ["l1Ax", 1],
        ["l1Ay", 1],
      ] as const) {
        const lw = await tester.lenient(setAt(honest.circuitInput, field, slot, "424242"));
        // the owner only enters the queue hash; a CREATE's key also the new leaf (so the root check fails)
        if (field === "l1Owner") expect(tester.violations(lw.witness), field).to.deep.equal([]);
        else expect(tester.violations(lw.witness), field).to.not.deep.equal([]);
        expect(lw.witness[1], `${field}[${slot}]: not the contract's evaluation`).to.not.equal(honest.publicSignals[0]);
      }
      const lw = await tester.lenient({ ...honest.circuitInput, l1HashStart: "1" });
      expect(tester.violations(lw.witness)).to.deep.equal([]);
      expect(lw.witness[1]).to.not.equal(honest.publicSignals[0]);
    });
  });

  it("a real transaction after a padding slot (a second encoding of txData): the slot-order check", async () => {
    const w = await fresh();
    const b = w.unchecked({ txs: [w.sign("walter", "victor", 1n, 0n)] }, [0n]);
    // the transaction moved to slot 1 behind an all-zero slot 0; every other check holds
    const gap = structuredClone(b.circuitInput) as Record<string, unknown[]>;
    for (const f of TX_SLOT_INPUTS) gap[f].reverse();
    // txEnabled[1]·(1 − txEnabled[0]) = 0 in BatchTail (violations names it by the wire of
    // tx[0].enabled, which --O2 named tail.txEnabled[0])
    await tester.expectViolations(gap, ["tail.txEnabled"]);
  });
});
