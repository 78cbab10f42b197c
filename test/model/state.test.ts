// src/model/state.ts and batch.ts: state transitions and batch building.
import { expect } from "chai";
import { accountLeaf, MAX_BALANCE, type Account } from "../../src/model/account.js";
import { buildBatch } from "../../src/model/batch.js";
import { l1ChainStep, L1OpKind, type L1Op } from "../../src/model/l1op.js";
import { concatBytes, toBytesBE } from "../../src/model/bytes.js";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { deriveParams } from "../../src/model/params.js";
import { AccountTree, rootFromProof } from "../../src/model/tree.js";
import { getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { L2State, OutOfSyncError, TxRejectedError } from "../../src/model/state.js";
import { signTransfer, type Domain, type Transfer } from "../../src/model/tx.js";

const params = getInstance(TEST_INSTANCE);
const domain: Domain = { chainId: 31337n, rollupAddress: 0x5fbdb2315678afecb367f032d93f642f64180aa3n };

describe("state transitions and batch building", () => {
  let c: ZkrCrypto;
  let keys: L2Key[];
  let state: L2State;
  const owner = 0x1111111111111111111111111111111111111111n;

  const acct = (k: L2Key, tokenId: bigint, balance: bigint): Account => ({ ax: k.ax, ay: k.ay, owner, tokenId, balance, nonce: 0n });
  const sign = (i: number, t: Transfer) => signTransfer(c.hash, keys[i], t, domain, params);

  before(async () => {
    c = await loadCrypto();
    keys = await Promise.all([0, 1, 2, 3].map(() => L2Key.random()));
  });
  beforeEach(() => {
    state = new L2State(c, params);
    state.createAccount(acct(keys[0], 0n, 1000n)); // 1
    state.createAccount(acct(keys[1], 0n, 50n)); // 2
    state.createAccount(acct(keys[2], 1n, 10n)); // 3, another token
    state.createAccount(acct(keys[3], 0n, 0n)); // 4: fee account for token 0
  });

  it("at every depth (a 4-ary root over 1 or 2 index bits included) its root and witnesses are the tree's", () => {
    for (const depth of [1, 2, 3, 4, 5, 8]) {
      const p = deriveParams({ name: `d${depth}`, description: "", depth, batchSize: 1, l1Slots: 1, feeSlots: 1 });
      const s = new L2State(c, p);
      const tree = new AccountTree(depth, c.hash); // its own node store (MapTreeNodes)
      const n = Math.min(3, 4 ** depth - 1);
      for (let i = 1; i <= n; i++) {
        s.createAccount(acct(keys[i % 4]!, 0n, BigInt(i)));
        tree.update(BigInt(i), accountLeaf(c.hash, s.account(BigInt(i))!));
      }
      expect(s.root, `D = ${depth}`).to.equal(tree.root);
      for (let i = 1n; i <= BigInt(n); i++) {
        const w = s.witness(i);
        expect(rootFromProof(c.hash, depth, accountLeaf(c.hash, w.account), i, w.proof), `D = ${depth}, leaf ${i}`).to.equal(s.root);
      }
    }
  });

  it("rejects every invalid transfer with its reason and changes nothing", () => {
    const root = state.root;
    const cases: [ReturnType<typeof sign>, string][] = [
      [sign(0, { from: 1n, to: 9n, amount: 1n, fee: 0n, nonce: 0n }), "UNKNOWN_ACCOUNT"],
      [sign(0, { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 1n }), "BAD_NONCE"],
      [sign(1, { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 0n }), "BAD_SIGNATURE"],
      [sign(0, { from: 1n, to: 3n, amount: 1n, fee: 0n, nonce: 0n }), "TOKEN_MISMATCH"],
      [sign(0, { from: 1n, to: 2n, amount: 1000n, fee: 1n, nonce: 0n }), "INSUFFICIENT_BALANCE"],
      [sign(2, { from: 3n, to: 3n, amount: 1n, fee: 1n, nonce: 0n }), "NO_FEE_ACCOUNT"],
      [{ ...sign(0, { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 0n }), amount: 2n }, "BAD_SIGNATURE"],
      [{ from: 1n, to: 2n, amount: 10n ** 40n + 1n, fee: 0n, nonce: 0n, signature: { R8x: 0n, R8y: 1n, S: 0n } }, "BAD_FORMAT"],
      [sign(0, { from: 0n, to: 2n, amount: 1n, fee: 0n, nonce: 0n }), "BAD_FORMAT"],
    ];
    for (const [tx, code] of cases) {
      try {
        state.applyTransfer(tx, domain, [0n]);
        expect.fail(`accepted a transfer that should fail with ${code}`);
      } catch (e) {
        expect(e).to.be.instanceOf(TxRejectedError);
        expect((e as TxRejectedError).code).to.equal(code);
      }
    }
    expect(state.root).to.equal(root);
    expect(state.account(1n)!.balance).to.equal(1000n);
    // A balance at the 128-bit limit cannot receive more.
    const s2 = new L2State(c, params);
    s2.createAccount(acct(keys[0], 0n, 10n));
    s2.createAccount(acct(keys[1], 0n, MAX_BALANCE));
    expect(() => s2.applyTransfer(signTransfer(c.hash, keys[0], { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 0n }, domain, params), domain)).to.throw(
      TxRejectedError,
      /exceed/,
    );
  });

  it("builds a batch: applies transfers, credits fees, pads, and hashes what it posts", () => {
    const oldRoot = state.root;
    const t1 = sign(0, { from: 1n, to: 2n, amount: 300n, fee: 5n, nonce: 0n });
    const bad = sign(1, { from: 2n, to: 1n, amount: 1n, fee: 0n, nonce: 5n });
    const t2 = sign(1, { from: 2n, to: 2n, amount: 7n, fee: 2n, nonce: 0n });
    const batch = buildBatch(state, { txs: [t1, bad, t2] }, { domain, feeIdx: [4n] });
    expect(batch.txs).to.deep.equal([t1, t2]);
    expect(batch.rejected.map((r) => r.error.code)).to.deep.equal(["BAD_NONCE"]);
    expect(batch.oldRoot).to.equal(oldRoot);
    expect(batch.data.newRoot).to.equal(state.root);
    expect(state.account(1n)).to.include({ balance: 695n, nonce: 1n });
    expect(state.account(2n)).to.include({ balance: 348n, nonce: 1n });
    expect(state.account(4n)!.balance).to.equal(7n);
    expect(batch.fees).to.deep.equal([7n]);
    expect(batch.data.txData.length).to.equal(2 * params.txBytes);
    const input = batch.circuitInput as Record<string, string[]>;
    expect(input.from).to.deep.equal(["1", "2"]);
    expect(input.senderBalance).to.deep.equal(["1000", "350"]);
    // the receiver of a self-transfer is read after the sender update
    expect(input.receiverBalance).to.deep.equal(["50", "341"]);
    expect(input.feeBalance).to.deep.equal(["0"]);
    // conservation: balances of token 0 are unchanged in total
    const total = state
      .entries()
      .filter(([, a]) => a.tokenId === 0n)
      .reduce((s, [, a]) => s + a.balance, 0n);
    expect(total).to.equal(1050n);
    expect(accountLeaf(c.hash, state.account(4n)!)).to.equal(state.tree.leaf(4n));
  });

  it("reverts a built batch to a checkpoint, including created accounts", () => {
    const root = state.root;
    const before = state.entries();
    const cp = state.checkpoint();
    state.createAccount(acct(keys[0], 0n, 5n));
    buildBatch(state, { txs: [sign(0, { from: 1n, to: 5n, amount: 10n, fee: 1n, nonce: 0n })] }, { domain, feeIdx: [4n] });
    expect(state.root).to.not.equal(root);
    state.revert(cp);
    expect(state.root).to.equal(root);
    expect(state.entries()).to.deep.equal(before);
    expect(state.nextIndex).to.equal(5n);
    expect(() => state.commit()).to.throw(/no open checkpoint/);
  });

  it("nested checkpoints (one per batch not final): commit + forget the oldest, revert to a newer one; a forgotten one cannot be reverted", () => {
    const r0 = state.root;
    const cp1 = state.checkpoint(); // batch 1
    state.createAccount(acct(keys[0], 0n, 5n));
    const r1 = state.root;
    const cp2 = state.checkpoint(); // batch 2
    buildBatch(state, { txs: [sign(0, { from: 1n, to: 5n, amount: 10n, fee: 1n, nonce: 0n })] }, { domain, feeIdx: [4n] });
    const r2 = state.root;
    const cp3 = state.checkpoint(); // batch 3
    state.credit(5n, 7n);
    expect(cp1 < cp2 && cp2 < cp3).to.equal(true);
    // Batch 1 final: its changes are kept for good, the journal before batch 2 is dropped.
    state.commit();
    state.forget(cp2);
    expect(() => state.revert(cp1)).to.throw(/checkpoint \d+ was forgotten/);
    expect(state.root).to.not.equal(r2);
    // A reorganisation takes batches 3 and 2 back, newest first.
    state.revert(cp3);
    expect(state.root).to.equal(r2);
    state.revert(cp2);
    expect(state.root).to.equal(r1);
    expect(state.account(5n)!.balance).to.equal(5n);
    expect(r1).to.not.equal(r0);
    expect(() => state.commit()).to.throw(/no open checkpoint/);
  });

  it("forget writes the oldest checkpoint's changes to the backend and keeps in memory only what the later ones may revert", () => {
    const r0 = state.root;
    const cpA = state.checkpoint(); // batch A: account 1
    state.credit(1n, 1n);
    const rA = state.root;
    const cpB = state.checkpoint(); // batch B: account 2
    state.credit(2n, 1n);
    const rB = state.root;
    const cpC = state.checkpoint(); // batch C: account 1 again
    state.credit(1n, 1n);
    expect(state.unwritten.journal).to.be.above(0);
    // A final: written (the backend's root is A's), the journal before B dropped.
    state.forget(cpB, 7);
    state.commit();
    expect(new L2State(c, params, state.backend).root).to.equal(rA);
    expect(state.backend.asOf).to.equal(7);
    expect(() => state.revert(cpA)).to.throw(/was forgotten/);
    // C taken back: account 1 is A's again, read from the backend: nothing of it is left in memory.
    state.revert(cpC);
    expect(state.root).to.equal(rB);
    expect(state.account(1n)!.balance).to.equal(1001n);
    const u = state.unwritten;
    expect(u.nodes + u.accounts, "every change in memory is one a revert can reach").to.equal(u.journaled);
    expect(u.accounts).to.equal(1); // account 2, of B
    state.revert(cpB);
    expect(state.root).to.equal(rA);
    expect(state.unwritten).to.deep.equal({ nodes: 0, accounts: 0, journal: 0, journaled: 0 });
    expect(rA).to.not.equal(r0);
  });

  it("pads an empty batch and leaves the root unchanged", () => {
    const root = state.root;
    const batch = buildBatch(state, { txs: [] }, { domain, feeIdx: [] });
    expect(batch.data.newRoot).to.equal(root);
    expect(batch.data.txData.length).to.equal(0);
    const input = batch.circuitInput as Record<string, string[]>;
    expect(input.from).to.deep.equal(["0", "0"]);
    expect(input.sigR8y).to.deep.equal(["0", "0"]);
    expect(input.feeIdx).to.deep.equal(["0"]);
    expect(input.l1Kind).to.deep.equal(["0", "0"]);
    expect(batch.l1HashEnd).to.equal(0n);
  });

  it("exits (to = 0) debit the sender with no receiver", () => {
    const batch = buildBatch(state, { txs: [sign(0, { from: 1n, to: 0n, amount: 400n, fee: 3n, nonce: 0n })] }, { domain, feeIdx: [4n] });
    expect(batch.txs).to.have.length(1);
    expect(state.account(1n)).to.include({ balance: 597n, nonce: 1n });
    expect(state.account(4n)!.balance).to.equal(3n);
    const input = batch.circuitInput as Record<string, string[]>;
    expect(input.to).to.deep.equal(["0", "0"]);
    expect(input.receiverBalance).to.deep.equal(["0", "0"]);
    expect(() => state.applyTransfer(sign(0, { from: 1n, to: 0n, amount: 598n, fee: 0n, nonce: 1n }), domain)).to.throw(TxRejectedError, /needs 598/);
  });

  it("applies L1 operations in order: create, deposit (or refund), forced exit (refused from another owner)", () => {
    const other = 0x2222222222222222222222222222222222222222n;
    const k = keys[0];
    const ops: L1Op[] = [
      { kind: L1OpKind.CREATE, accountIdx: 5n, tokenId: 1n, amount: 70n, owner: other, ax: k.ax, ay: k.ay },
      { kind: L1OpKind.DEPOSIT, accountIdx: 5n, tokenId: 1n, amount: 30n, owner, ax: 0n, ay: 0n },
      { kind: L1OpKind.DEPOSIT, accountIdx: 5n, tokenId: 0n, amount: 9n, owner, ax: 0n, ay: 0n }, // wrong token: refunded
      { kind: L1OpKind.FORCE_EXIT, accountIdx: 5n, tokenId: 1n, amount: 0n, owner: other, ax: 0n, ay: 0n },
    ];
    const results = ops.map((op) => state.applyL1Op(op).result);
    expect(results).to.deep.equal([0n, 0n, 9n, 100n]);
    expect(state.account(5n)).to.deep.equal({ ax: k.ax, ay: k.ay, owner: other, tokenId: 1n, balance: 0n, nonce: 0n });
    // the contract queues a forced exit only from the owner: another one means the state is out of sync
    const root = state.root;
    const notOwner: L1Op = { kind: L1OpKind.FORCE_EXIT, accountIdx: 2n, tokenId: 0n, amount: 0n, owner: other, ax: 0n, ay: 0n };
    expect(() => state.applyL1Op(notOwner)).to.throw(OutOfSyncError, /not its owner/);
    expect(state.root).to.equal(root);
    expect(state.account(2n)!.balance).to.equal(50n);
    expect(state.applyL1Op({ ...notOwner, owner }).result).to.equal(50n);
    expect(() => state.applyL1Op({ ...ops[0], accountIdx: 9n })).to.throw(OutOfSyncError, /CREATE at index 9/);
    expect(() => state.applyL1Op({ ...ops[1], accountIdx: 200n })).to.throw(OutOfSyncError, /account 200, which does not exist/);
    // a deposit that would overflow 2^128 is refunded
    state.applyL1Op({ ...ops[0], accountIdx: 6n, amount: MAX_BALANCE });
    expect(state.applyL1Op({ ...ops[1], accountIdx: 6n, amount: 1n }).result).to.equal(1n);
  });

  it("applies a forced transfer if it can at that moment (receiver read first), a no-op otherwise, and refuses what the contract never queues", () => {
    const ft = (from: bigint, to: bigint, amount: bigint, tokenId = 0n): L1Op => ({
      kind: L1OpKind.FORCE_TRANSFER,
      accountIdx: from,
      tokenId,
      amount,
      owner,
      ax: to,
      ay: 0n,
    });
    const root0 = state.root;
    const before2 = state.witness(2n);
    const { result, leaf, to } = state.applyL1Op(ft(1n, 2n, 300n));
    expect(result).to.equal(0n);
    // the receiver's witness is from the tree before; the sender's from the tree after the credit
    expect(to).to.deep.equal(before2);
    expect(leaf.account.balance).to.equal(1000n);
    expect(state.account(1n)).to.include({ balance: 700n, nonce: 0n });
    expect(state.account(2n)).to.include({ balance: 350n, nonce: 0n });
    expect(state.root).to.not.equal(root0);
    // no-ops, each with result 0: more than the balance, another token on either side, to itself, an overflow
    state.credit(4n, MAX_BALANCE);
    for (const op of [ft(1n, 2n, 701n), ft(3n, 1n, 1n, 1n), ft(1n, 3n, 1n), ft(1n, 1n, 1n), ft(1n, 4n, 1n)]) {
      const root = state.root;
      expect(state.applyL1Op(op).result, `${op.accountIdx} → ${op.ax}`).to.equal(0n);
      expect(state.root).to.equal(root);
    }
    expect(state.account(1n)!.balance).to.equal(700n);
    // the contract queues one only from the sender's owner, to an existing account
    const root = state.root;
    expect(() => state.applyL1Op({ ...ft(1n, 2n, 1n), owner: 7n })).to.throw(OutOfSyncError, /FORCE_TRANSFER from account 1 by 7, not its owner/);
    expect(() => state.applyL1Op(ft(1n, 9n, 1n))).to.throw(OutOfSyncError, /account 9, which does not exist/);
    expect(() => state.applyL1Op(ft(9n, 1n, 1n))).to.throw(OutOfSyncError, /account 9, which does not exist/);
    expect(state.root).to.equal(root);
  });

  it("a forced transfer is a batch's first L1 operation, its receiver's leaf the l1To inputs", () => {
    const ft: L1Op = { kind: L1OpKind.FORCE_TRANSFER, accountIdx: 1n, tokenId: 0n, amount: 5n, owner, ax: 2n, ay: 0n };
    const dep: L1Op = { kind: L1OpKind.DEPOSIT, accountIdx: 2n, tokenId: 0n, amount: 1n, owner, ax: 0n, ay: 0n };
    const root = state.root;
    expect(() => buildBatch(state, { l1Ops: [dep, ft], txs: [] }, { domain, feeIdx: [] })).to.throw(
      /a forced transfer can only be a batch's first L1 operation, got one at slot 1/,
    );
    expect(state.root).to.equal(root);
    const batch = buildBatch(state, { l1Ops: [ft, dep], txs: [] }, { domain, feeIdx: [] });
    expect(batch.l1Results).to.deep.equal([0n, 0n]);
    expect(state.account(2n)!.balance).to.equal(56n);
    const input = batch.circuitInput as Record<string, unknown>;
    expect(input.l1Kind).to.deep.equal(["4", "2"]);
    expect(input.l1Ax).to.deep.equal(["2", "0"]);
    expect([input.l1ToBalance, input.l1ToToken, input.l1ToNonce]).to.deep.equal(["50", "0", "0"]);
    expect(input.l1LeafBalance).to.deep.equal(["1000", "55"]);
    // without one, l1To is the all-zero witness
    const plain = buildBatch(state, { l1Ops: [dep], txs: [] }, { domain, feeIdx: [] }).circuitInput as Record<string, unknown>;
    expect([plain.l1ToAx, plain.l1ToBalance]).to.deep.equal(["0", "0"]);
    expect(new Set(plain.l1ToSiblings as string[])).to.deep.equal(new Set(["0"]));
  });

  it("a batch consumes L1 operations first, chains their hashes and posts their results", () => {
    const k = keys[1];
    const ops: L1Op[] = [
      { kind: L1OpKind.CREATE, accountIdx: 5n, tokenId: 0n, amount: 500n, owner, ax: k.ax, ay: k.ay },
      { kind: L1OpKind.FORCE_EXIT, accountIdx: 2n, tokenId: 0n, amount: 0n, owner, ax: 0n, ay: 0n },
    ];
    const start = 12345n;
    // the new account 5 can already send in the same batch
    const tx = signTransfer(c.hash, k, { from: 5n, to: 1n, amount: 100n, fee: 0n, nonce: 0n }, domain, params);
    const batch = buildBatch(state, { l1Ops: ops, txs: [tx] }, { domain, feeIdx: [], l1HashStart: start });
    expect(batch.l1Results).to.deep.equal([0n, 50n]);
    expect(batch.l1HashEnd).to.equal(l1ChainStep(c.hash, l1ChainStep(c.hash, start, ops[0]), ops[1]));
    expect(l1ChainStep(c.hash, 0n, ops[0])).to.equal(c.hash([0n, (1n << 192n) | (5n << 160n) | 500n, owner, k.ax, k.ay]));
    expect(batch.data.l1Results).to.deep.equal(concatBytes([toBytesBE(0n, 16), toBytesBE(50n, 16)]));
    expect(batch.txs).to.have.length(1);
    expect(state.account(5n)!.balance).to.equal(400n);
    const input = batch.circuitInput as Record<string, unknown>;
    expect(input.l1Count).to.equal("2");
    expect(input.l1LeafBalance).to.deep.equal(["0", "50"]);
    expect(input.l1Kind).to.deep.equal(["1", "3"]);
    expect(() => buildBatch(state, { l1Ops: [...ops, ...ops], txs: [] }, { domain, feeIdx: [] })).to.throw(/at most 2 L1/);
  });
});
