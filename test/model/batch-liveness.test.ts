// The batch builder never fails on input the sequencer accepted (issue 10, section 2): every way
// a transaction that was valid when it was accepted can stop fitting by the time its batch is
// built (an L1 operation queued after it, the fees of the same batch, the fee account's own
// transfers) is a rejection of that transaction with a code, and the batch builds without it.
// Each case names whether it failed before the fix (the builder threw, so the sequencer retried
// the same batch forever) or was already a rejection (kept as a guard).
import { createHash } from "node:crypto";
import { expect } from "chai";
import { MAX_BALANCE, MAX_NONCE, type Account } from "../../src/model/account.js";
import { buildBatch, type Batch, type BatchContents } from "../../src/model/batch.js";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { L1OpKind, type L1Op } from "../../src/model/l1op.js";
import { deriveParams } from "../../src/model/params.js";
import { L2State, type RejectCode } from "../../src/model/state.js";
import { signTransfer, type Domain, type SignedTransfer, type Transfer } from "../../src/model/tx.js";

// A model-only instance with room for the cases (the circuit's own instances are tested in test/circuits).
const params = deriveParams({ name: "liveness", description: "", depth: 4, batchSize: 8, l1Slots: 4, feeSlots: 2 });
const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };
const owner = 0x1111111111111111111111111111111111111111n;

const ALICE = 1n;
const BOB = 2n;
const FEES = 3n; // fee account of token 0
const CAROL = 4n; // token 1
const FEES1 = 5n; // fee account of token 1

describe("batch builder: nothing accepted stops a batch", () => {
  let c: ZkrCrypto;
  let keys: L2Key[];
  let state: L2State;

  const sign = (who: bigint, t: Omit<Transfer, "from"> & { from?: bigint }) => signTransfer(c.hash, keys[Number(who)], { from: who, ...t }, domain, params);
  const deposit = (accountIdx: bigint, amount: bigint, tokenId = state.account(accountIdx)!.tokenId): L1Op => ({
    kind: L1OpKind.DEPOSIT,
    accountIdx,
    tokenId,
    amount,
    owner,
    ax: 0n,
    ay: 0n,
  });
  const forceExit = (accountIdx: bigint): L1Op => ({ ...deposit(accountIdx, 0n), kind: L1OpKind.FORCE_EXIT });
  const balance = (i: bigint) => state.account(i)!.balance;
  const build = (contents: BatchContents, feeIdx = [FEES, FEES1]): Batch => buildBatch(state, contents, { domain, feeIdx });
  const codes = (b: Batch) => b.rejected.map((r) => r.error.code);

  before(async () => {
    c = await loadCrypto();
    keys = await Promise.all([0, 1, 2, 3, 4, 5, 6].map((i) => L2Key.fromPrivateKey("0x" + createHash("sha256").update(`liveness ${i}`).digest("hex"))));
  });

  /** Accounts 1..5 (alice, bob, the token-0 fee account, carol in token 1, the token-1 fee account) with these balances. */
  function accounts(b: { alice?: bigint; bob?: bigint; fees?: bigint; carol?: bigint; fees1?: bigint } = {}, nonces: Partial<Record<number, bigint>> = {}) {
    state = new L2State(c, params);
    const make = (i: number, tokenId: bigint, bal: bigint): Account => ({
      ax: keys[i].ax,
      ay: keys[i].ay,
      owner,
      tokenId,
      balance: bal,
      nonce: nonces[i] ?? 0n,
    });
    state.createAccount(make(1, 0n, b.alice ?? 1000n));
    state.createAccount(make(2, 0n, b.bob ?? 1000n));
    state.createAccount(make(3, 0n, b.fees ?? 0n));
    state.createAccount(make(4, 1n, b.carol ?? 1000n));
    state.createAccount(make(5, 1n, b.fees1 ?? 0n));
  }

  /** The model's invariant after any build: every fee account ends within 2^128 − 1, and the root is the leaves'. */
  function expectSound(b: Batch) {
    for (const i of [FEES, FEES1]) expect(balance(i) <= MAX_BALANCE).to.equal(true);
    expect(b.data.newRoot).to.equal(state.root);
  }

  it("a fee its fee slot cannot take is FEE_ACCOUNT_FULL; the batch builds with the others (threw BALANCE_OVERFLOW before)", () => {
    accounts({ fees: MAX_BALANCE - 1n });
    const t1 = sign(ALICE, { to: BOB, amount: 10n, fee: 1n, nonce: 0n }); // fills the slot exactly
    const t2 = sign(BOB, { to: ALICE, amount: 10n, fee: 1n, nonce: 0n }); // one too many
    const t3 = sign(BOB, { to: ALICE, amount: 7n, fee: 0n, nonce: 0n }); // bob's nonce 0 is still free
    const b = build({ txs: [t1, t2, t3] });
    expect(b.txs).to.deep.equal([t1, t3]);
    expect(codes(b)).to.deep.equal(["FEE_ACCOUNT_FULL"]);
    expect(b.rejected[0]!.error.message).to.match(/fee account 3 cannot take this batch's fees/);
    expect(balance(FEES)).to.equal(MAX_BALANCE);
    expect(b.fees).to.deep.equal([1n, 0n]);
    expect([balance(ALICE), balance(BOB)]).to.deep.equal([1000n - 11n + 7n, 1000n + 10n - 7n]);
    expect(state.account(BOB)!.nonce).to.equal(1n);
    expectSound(b);
  });

  it("an L1 deposit in the same batch that fills the fee account rejects the fee, not the batch (threw before)", () => {
    accounts({ fees: 10n });
    const fill = deposit(FEES, MAX_BALANCE - 10n);
    const paying = sign(ALICE, { to: BOB, amount: 5n, fee: 1n, nonce: 0n });
    const free = sign(BOB, { to: ALICE, amount: 5n, fee: 0n, nonce: 0n });
    const b = build({ l1Ops: [fill], txs: [paying, free] });
    expect(b.l1Results).to.deep.equal([0n]); // the deposit applies
    expect(b.txs).to.deep.equal([free]);
    expect(codes(b)).to.deep.equal(["FEE_ACCOUNT_FULL"]);
    expect(balance(FEES)).to.equal(MAX_BALANCE);
    expect(state.account(ALICE)).to.include({ balance: 1005n, nonce: 0n }); // the rejected transfer changed nothing
    expectSound(b);
  });

  it("a transfer into the fee account that leaves no room for the fees already collected is FEE_ACCOUNT_FULL (threw before)", () => {
    accounts({ fees: MAX_BALANCE - 100n });
    const paying = sign(ALICE, { to: BOB, amount: 1n, fee: 5n, nonce: 0n });
    const tooMuch = sign(BOB, { to: FEES, amount: 96n, fee: 0n, nonce: 0n }); // fits the account alone, not with the 5 collected
    const exact = sign(BOB, { to: FEES, amount: 95n, fee: 0n, nonce: 0n });
    const b = build({ txs: [paying, tooMuch, exact] });
    expect(b.txs).to.deep.equal([paying, exact]);
    expect(codes(b)).to.deep.equal(["FEE_ACCOUNT_FULL"]);
    expect(balance(FEES)).to.equal(MAX_BALANCE);
    expectSound(b);
  });

  it("the fee account's own transfers: a self-transfer with a fee fits a full slot, a transfer out makes room (threw before)", () => {
    accounts({ fees: MAX_BALANCE });
    const self = sign(FEES, { to: FEES, amount: 3n, fee: 1n, nonce: 0n }); // −1 then +1: fits
    const early = sign(ALICE, { to: BOB, amount: 1n, fee: 1n, nonce: 0n }); // no room yet
    const out = sign(FEES, { to: ALICE, amount: 10n, fee: 0n, nonce: 1n });
    const late = sign(BOB, { to: ALICE, amount: 1n, fee: 10n, nonce: 0n }); // the room the transfer out made
    const b = build({ txs: [self, early, out, late] });
    expect(b.txs).to.deep.equal([self, out, late]);
    expect(codes(b)).to.deep.equal(["FEE_ACCOUNT_FULL"]);
    expect(b.fees).to.deep.equal([11n, 0n]);
    expect(balance(FEES)).to.equal(MAX_BALANCE);
    expectSound(b);
  });

  it("each fee slot has its own room: a full token-1 slot rejects token-1 fees only", () => {
    accounts({ fees1: MAX_BALANCE });
    const eth = sign(ALICE, { to: BOB, amount: 1n, fee: 2n, nonce: 0n });
    const tok = sign(CAROL, { to: CAROL, amount: 1n, fee: 1n, nonce: 0n });
    const b = build({ txs: [tok, eth] });
    expect(b.txs).to.deep.equal([eth]);
    expect(codes(b)).to.deep.equal(["FEE_ACCOUNT_FULL"]);
    expect(b.fees).to.deep.equal([2n, 0n]);
    expectSound(b);
  });

  it("a receiver filled by an L1 deposit in the same batch: BALANCE_OVERFLOW for the transfer (a rejection already before)", () => {
    accounts({ bob: 50n });
    const b = build({
      l1Ops: [deposit(BOB, MAX_BALANCE - 55n)],
      txs: [sign(ALICE, { to: BOB, amount: 6n, fee: 0n, nonce: 0n }), sign(ALICE, { to: BOB, amount: 5n, fee: 0n, nonce: 0n })],
    });
    expect(codes(b)).to.deep.equal(["BALANCE_OVERFLOW"]);
    expect(b.txs).to.have.length(1);
    expect(balance(BOB)).to.equal(MAX_BALANCE);
    expectSound(b);
  });

  it("a sender drained by a forced exit in the same batch: INSUFFICIENT_BALANCE (a rejection already before)", () => {
    accounts();
    const b = build({ l1Ops: [forceExit(ALICE)], txs: [sign(ALICE, { to: BOB, amount: 1n, fee: 0n, nonce: 0n })] });
    expect(b.l1Results).to.deep.equal([1000n]);
    expect(codes(b)).to.deep.equal(["INSUFFICIENT_BALANCE"]);
    expect(b.txs).to.deep.equal([]);
    expect(state.account(ALICE)).to.include({ balance: 0n, nonce: 0n });
    expectSound(b);
  });

  it("the last nonce: 2^32 − 2 is the last a transfer can use, 2^32 − 1 is BAD_NONCE (a rejection already before)", () => {
    accounts({}, { 1: MAX_NONCE - 1n });
    const last = sign(ALICE, { to: BOB, amount: 1n, fee: 0n, nonce: MAX_NONCE - 1n });
    const beyond = sign(ALICE, { to: BOB, amount: 1n, fee: 0n, nonce: MAX_NONCE });
    const b = build({ txs: [last, beyond] });
    expect(b.txs).to.deep.equal([last]);
    expect(codes(b)).to.deep.equal(["BAD_NONCE"]);
    expect(b.rejected[0]!.error.message).to.match(/used all its nonces/);
    expect(state.account(ALICE)!.nonce).to.equal(MAX_NONCE);
    expectSound(b);
  });

  it("nonces: a used, a skipped and a repeated nonce are BAD_NONCE (a rejection already before)", () => {
    accounts();
    const n0 = sign(ALICE, { to: BOB, amount: 1n, fee: 0n, nonce: 0n });
    const n0again = sign(ALICE, { to: BOB, amount: 2n, fee: 0n, nonce: 0n });
    const n2 = sign(ALICE, { to: BOB, amount: 1n, fee: 0n, nonce: 2n });
    const n1 = sign(ALICE, { to: BOB, amount: 1n, fee: 0n, nonce: 1n });
    const b = build({ txs: [n0, n0again, n2, n1, n1] });
    expect(b.txs).to.deep.equal([n0, n1]);
    expect(codes(b)).to.deep.equal(["BAD_NONCE", "BAD_NONCE", "BAD_NONCE"]);
    expectSound(b);
  });

  it("a fee in a token without a fee slot in this batch: NO_FEE_ACCOUNT (a rejection already before)", () => {
    accounts();
    const b = build({ txs: [sign(CAROL, { to: CAROL, amount: 1n, fee: 1n, nonce: 0n }), sign(CAROL, { to: CAROL, amount: 1n, fee: 0n, nonce: 0n })] }, [FEES]);
    expect(codes(b)).to.deep.equal(["NO_FEE_ACCOUNT"]);
    expect(b.txs).to.have.length(1);
    expectSound(b);
  });

  it("self-transfers at the balance limit, with a fee: included", () => {
    accounts({ alice: MAX_BALANCE });
    const b = build({ txs: [sign(ALICE, { to: ALICE, amount: 10n ** 18n, fee: 1n, nonce: 0n })] });
    expect(b.rejected).to.deep.equal([]);
    expect(balance(ALICE)).to.equal(MAX_BALANCE - 1n);
    expect(balance(FEES)).to.equal(1n);
    expectSound(b);
  });

  it("random batches near the limits never throw, and every fee account ends within 2^128 − 1", () => {
    const rnd = seeded("liveness random");
    const pick = <T>(xs: readonly T[]) => xs[Number(rnd(BigInt(xs.length)))]!;
    const near = () => pick([0n, 1n, 1000n, MAX_BALANCE - 1000n, MAX_BALANCE - 1n, MAX_BALANCE]);
    const nearFull = () => pick([1000n, MAX_BALANCE - 10n, MAX_BALANCE - 1n, MAX_BALANCE]);
    const seen = new Set<RejectCode>();
    for (let round = 0; round < 6; round++) {
      accounts({ alice: near(), bob: near(), fees: nearFull(), carol: near(), fees1: nearFull() });
      const nonces = new Map<bigint, bigint>();
      const ops: L1Op[] = [];
      for (let k = 0; k < 2; k++) {
        const who = pick([ALICE, BOB, FEES, CAROL, FEES1]);
        ops.push(rnd(3n) === 0n ? forceExit(who) : deposit(who, pick([1n, 1000n, MAX_BALANCE - balance(who)])));
      }
      const txs: SignedTransfer[] = [];
      for (let k = 0; k < 8; k++) {
        const from = pick([ALICE, BOB, FEES, CAROL, FEES1]);
        const sameToken = [ALICE, BOB, FEES, CAROL, FEES1].filter((i) => state.account(i)!.tokenId === state.account(from)!.tokenId);
        const to = rnd(5n) === 0n ? 0n : pick(sameToken);
        const nonce = nonces.get(from) ?? 0n;
        nonces.set(from, nonce + 1n);
        txs.push(sign(from, { from, to, amount: pick([1n, 10n, 1000n]), fee: pick([0n, 1n, 9n]), nonce }));
      }
      const b = build({ l1Ops: ops, txs });
      for (const r of b.rejected) seen.add(r.error.code);
      expectSound(b);
    }
    expect([...seen], "the random cases reach the rejections of a full fee slot, receiver and sender").to.include.members([
      "FEE_ACCOUNT_FULL",
      "BALANCE_OVERFLOW",
      "INSUFFICIENT_BALANCE",
    ]);
  });
});

describe("L2 state: accounts by public key", () => {
  it("finds every account of a key, kept through creates, checkpoints, reverts and commits", async () => {
    const c = await loadCrypto();
    const k = await Promise.all([0, 1, 2].map((i) => L2Key.fromPrivateKey("0x" + createHash("sha256").update(`by key ${i}`).digest("hex"))));
    const state = new L2State(c, params);
    const acct = (i: number, tokenId = 0n): Account => ({ ax: k[i].ax, ay: k[i].ay, owner, tokenId, balance: 5n, nonce: 0n });
    const byScan = (i: number) =>
      state
        .entries()
        .filter(([, a]) => a.ax === k[i].ax && a.ay === k[i].ay)
        .map(([j]) => j);
    const agree = () => {
      for (const i of [0, 1, 2]) expect(state.accountsOf(k[i].ax, k[i].ay), `key ${i}`).to.deep.equal(byScan(i));
    };
    state.createAccount(acct(0)); // 1
    state.createAccount(acct(1)); // 2
    state.createAccount(acct(0, 1n)); // 3: a second account of key 0
    agree();
    expect(state.accountsOf(k[0].ax, k[0].ay)).to.deep.equal([1n, 3n]);
    expect(state.accountsOf(k[2].ax, k[2].ay)).to.deep.equal([]);
    const cp = state.checkpoint();
    state.createAccount(acct(2)); // 4
    state.createAccount(acct(0)); // 5
    state.credit(1n, 7n);
    agree();
    expect(state.accountsOf(k[0].ax, k[0].ay)).to.deep.equal([1n, 3n, 5n]);
    state.revert(cp);
    agree();
    expect(state.accountsOf(k[0].ax, k[0].ay)).to.deep.equal([1n, 3n]);
    expect(state.accountsOf(k[2].ax, k[2].ay)).to.deep.equal([]);
    state.checkpoint();
    state.createAccount(acct(2)); // 4 again
    state.commit();
    agree();
    expect(state.accountsOf(k[2].ax, k[2].ay)).to.deep.equal([4n]);
    // the answer is a copy: changing it changes nothing
    state.accountsOf(k[0].ax, k[0].ay).push(99n);
    expect(state.accountsOf(k[0].ax, k[0].ay)).to.deep.equal([1n, 3n]);
  });
});

/** A deterministic generator of integers below a bound (sha256 in counter mode). */
function seeded(seed: string): (bound: bigint) => bigint {
  let n = 0;
  return (bound) => BigInt("0x" + createHash("sha256").update(`${seed} ${n++}`).digest("hex")) % bound;
}
