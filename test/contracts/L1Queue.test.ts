// The L1 queue cannot be flooded into escape mode (issue 10, section 4), with the mock verifier and
// model-built batches: every L1 operation pays l1OpFee (credited to whoever submits the batch
// that consumes it), deposits have minimums, a batch must consume min(pending, l1Slots)
// operations unless the first one it leaves out is younger than l1Grace (L1OpSkipped otherwise),
// and escape mode opens only when an operation has waited escapeDelay and no batch has been
// accepted for inactivityDelay. Both sides are tried: a flood far faster than L per batch against
// a sequencer that keeps submitting full batches never opens escape mode and the queue drains; a
// sequencer that stops, or can only censor, lets it open.
import { expect } from "chai";
import type { Contract } from "ethers";
import { toHex } from "../../src/model/bytes.js";
import {
  alice,
  bob,
  carol,
  crypto,
  dave,
  deployer,
  deployWithMock,
  ethers,
  type Fixture,
  increaseTime,
  ModelSequencer,
  proofFor,
  sequencer,
  type User,
} from "./fixture.js";
import { expectEvent, expectRevert, mined } from "./helpers.js";

const MAX_UINT = 2n ** 256n - 1n;

async function now(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/** Makes the next block's timestamp exactly `t` (a call that reverts in gas estimation mines none). */
async function at(t: bigint): Promise<void> {
  await ethers.provider.send("evm_setNextBlockTimestamp", [Number(t)]);
}

/** Mines an empty block at `t` (or the next second, if the last block is that late already): calls and estimates from then on see a time of at least `t`. */
async function mineAt(t: bigint): Promise<void> {
  const next = (await now()) + 1n;
  await ethers.provider.send("evm_mine", [Number(t > next ? t : next)]);
}

/** A registered TestERC20 (minimum deposit `min`) with `u` funded and approving the rollup. */
/** Escape mode cannot be activated at `deadline` (escapeAllowedAfter says so) and can one second later, with the event's `args`. */
async function expectEscapeOpensAfter(f: Fixture, deadline: bigint, args: unknown[]): Promise<void> {
  expect(await f.rollup.escapeAllowedAfter()).to.equal(deadline);
  await at(deadline);
  await expectRevert(f.as(carol).activateEscape(), f.rollup, "EscapeTooEarly", [deadline]);
  await at(deadline + 1n);
  expectEvent(await mined(f.as(carol).activateEscape()), f.rollup, "EscapeActivated", args);
}

async function addToken(
  f: Fixture,
  u: User,
  min: bigint,
  contract = "TestERC20",
  args: unknown[] = ["Token", "TKN"],
): Promise<{ token: Contract; id: bigint }> {
  const token = await ethers.deployContract(contract, args, deployer);
  await mined(f.as(deployer).registerToken(await token.getAddress(), min));
  await mined(token.getFunction("mint")(u.address, 10n ** 24n));
  await mined((token.connect(u) as Contract).getFunction("approve")(f.d.rollupAddress, MAX_UINT));
  return { token, id: await f.rollup.tokenIdOf(await token.getAddress()) };
}

/** Everything an L1 operation could change: the queue, the accounts, what the contract holds. */
async function queueState(f: Fixture, token?: Contract) {
  return {
    ops: await f.rollup.l1OpCount(),
    accounts: await f.rollup.accountCount(),
    eth: await ethers.provider.getBalance(f.d.rollupAddress),
    tokens: token ? ((await token.getFunction("balanceOf")(f.d.rollupAddress)) as bigint) : 0n,
  };
}

/** submitBatches's data of an empty batch (no transaction, fee slot 0 unused) consuming `l1Count` operations (the mock accepts it). */
const emptyBatchData = (l1Count: number) => ({
  newRoot: 1n,
  l1Count,
  l1Results: toHex(new Uint8Array(16 * l1Count)),
  feeIdx: "0x00",
  txData: "0x",
  commitment: 0n,
});

/** An empty batch (no transaction) consuming `l1Count` operations, submitted by `by` (the mock accepts it). */
const emptyBatch = (f: Fixture, l1Count: number, by: User = sequencer) =>
  f.as(by).submitBatch(1n, l1Count, new Uint8Array(16 * l1Count), new Uint8Array(f.params.feeSlots * f.params.idxBytes), "0x", 0n, proofFor("queue"));

describe("L1 queue: fees, minimum deposits, full-capacity batches, an escape a working sequencer cannot trigger", () => {
  describe("the L1-operation fee", () => {
    it("every L1 operation pays exactly l1OpFee in msg.value; a wrong value reverts with WrongFee and changes nothing", async () => {
      const f = await deployWithMock({ minDeposit: 1000n });
      const fee = f.fee;
      const t = await addToken(f, alice, 1n);
      const a = f.as(alice);
      const refused: [string, () => Promise<unknown>, bigint][] = [
        ["depositETH, nothing", () => a.depositETH(1n, 2n, { value: 0n }), 0n],
        ["depositETH, less than the fee", () => a.depositETH(1n, 2n, { value: fee - 1n }), fee - 1n],
        ["depositERC20, no fee", () => a.depositERC20(t.id, 5n, 1n, 2n), 0n],
        ["depositERC20, one wei short", () => a.depositERC20(t.id, 5n, 1n, 2n, { value: fee - 1n }), fee - 1n],
        ["depositERC20, one wei over", () => a.depositERC20(t.id, 5n, 1n, 2n, { value: fee + 1n }), fee + 1n],
      ];
      for (const [what, tx, value] of refused) {
        const before = await queueState(f, t.token);
        await expectRevert(tx(), f.rollup, "WrongFee", [value, fee]).catch((e: unknown) => expect.fail(`${what}: ${e}`));
        expect(await queueState(f, t.token), what).to.deep.equal(before);
      }
      await mined(a.depositETH(1n, 2n, { value: 1000n + fee })); // account 1
      await mined(a.depositERC20(t.id, 5n, 1n, 2n, { value: fee })); // account 2
      for (const [what, tx, value] of [
        ["depositETHTo, short", () => a.depositETHTo(1, { value: fee - 1n }), fee - 1n],
        ["depositERC20To, no fee", () => a.depositERC20To(2, t.id, 5n), 0n],
        ["depositERC20To, twice the fee", () => a.depositERC20To(2, t.id, 5n, { value: 2n * fee }), 2n * fee],
        ["forceExit, no fee", () => a.forceExit(1), 0n],
        ["forceExit, over", () => a.forceExit(1, { value: fee + 1n }), fee + 1n],
      ] as [string, () => Promise<unknown>, bigint][]) {
        const before = await queueState(f, t.token);
        await expectRevert(tx(), f.rollup, "WrongFee", [value, fee]).catch((e: unknown) => expect.fail(`${what}: ${e}`));
        expect(await queueState(f, t.token), what).to.deep.equal(before);
      }
      // The fee is held with the deposit, and never counted as part of it.
      const r = await mined(a.depositETHTo(1, { value: 1234n + fee }));
      expectEvent(r, f.rollup, "L1OpQueued", [2n, 2n, 1n, alice.address, 0n, 1234n, 0n, 0n, await f.rollup.l1ChainHash(3)]);
      await mined(a.forceExit(2, { value: fee }));
      expect(await ethers.provider.getBalance(f.d.rollupAddress)).to.equal(1000n + 1234n + 4n * fee);
    });

    it("credits l1OpFee × consumed operations to whoever submits the batch, with submitBatch and submitBatches", async () => {
      const f = await deployWithMock();
      for (let i = 0; i < 5; i++) await mined(f.as(alice).depositETH(1n, 2n, { value: 100n + f.fee }));
      const r1 = await mined(emptyBatch(f, 2));
      expectEvent(r1, f.rollup, "Credited", [sequencer.address, 0n, 2n * f.fee]);
      // An empty batch (nothing pending would be skipped: the operations are young) credits nothing.
      const r0 = await mined(emptyBatch(f, 0));
      expect(r0.logs.filter((l) => f.rollup.interface.parseLog(l)?.name === "Credited")).to.have.length(0);
      await mined(f.rollup.setSequencer(carol.address));
      const r2 = await mined(emptyBatch(f, 1, carol));
      expectEvent(r2, f.rollup, "Credited", [carol.address, 0n, f.fee]);
      // submitBatches: each batch credits its own operations' fees, as submitBatch would.
      const data = emptyBatchData;
      const rk = await mined(f.as(carol).submitBatches([data(1), data(1)], [proofFor("a"), proofFor("b")]));
      const credits = rk.logs.map((l) => f.rollup.interface.parseLog(l)).filter((e) => e?.name === "Credited");
      expect(credits.map((e) => [...e!.args])).to.deep.equal([
        [carol.address, 0n, f.fee],
        [carol.address, 0n, f.fee],
      ]);
      expect(await f.rollup.claimable(sequencer.address, 0)).to.equal(2n * f.fee);
      expect(await f.rollup.claimable(carol.address, 0)).to.equal(3n * f.fee);
      // The submitters withdraw their fees; what is left is exactly the five deposits.
      await mined(f.as(carol).withdraw(0));
      await mined(f.as(sequencer).withdraw(0));
      expect(await ethers.provider.getBalance(f.d.rollupAddress)).to.equal(5n * 100n);
    });
  });

  describe("minimum deposits", () => {
    it("refuses ETH deposits below minDeposit and ERC-20 deposits below the token's minimum (what arrives), changing nothing", async () => {
      const f = await deployWithMock({ minDeposit: 10n ** 6n });
      const fee = f.fee;
      const t = await addToken(f, alice, 500n);
      const burn = await addToken(f, alice, 500n, "FeeOnTransferERC20", [100]); // 1 % burnt per transfer
      const a = f.as(alice);
      const refused: [string, () => Promise<unknown>, bigint[], Contract?][] = [
        ["ETH, the fee alone", () => a.depositETH(1n, 2n, { value: fee }), [0n, 10n ** 6n]],
        ["ETH, 1 wei below", () => a.depositETH(1n, 2n, { value: fee + 10n ** 6n - 1n }), [10n ** 6n - 1n, 10n ** 6n]],
        ["ERC-20, 1 below", () => a.depositERC20(t.id, 499n, 1n, 2n, { value: fee }), [499n, 500n], t.token],
        ["ERC-20, 0", () => a.depositERC20(t.id, 0n, 1n, 2n, { value: fee }), [0n, 500n], t.token],
        // 504 sent, 499 arrive: below the minimum although the amount asked for is not.
        ["fee-on-transfer ERC-20", () => a.depositERC20(burn.id, 504n, 1n, 2n, { value: fee }), [499n, 500n], burn.token],
      ];
      for (const [what, tx, args, token] of refused) {
        const before = await queueState(f, token);
        await expectRevert(tx(), f.rollup, "DepositTooSmall", args).catch((e: unknown) => expect.fail(`${what}: ${e}`));
        expect(await queueState(f, token), what).to.deep.equal(before);
      }
      await mined(a.depositETH(1n, 2n, { value: fee + 10n ** 6n }));
      await mined(a.depositERC20(t.id, 500n, 1n, 2n, { value: fee }));
      await mined(a.depositERC20(burn.id, 506n, 1n, 2n, { value: fee })); // 501 arrive
      await expectRevert(a.depositETHTo(1, { value: fee + 10n ** 6n - 1n }), f.rollup, "DepositTooSmall", [10n ** 6n - 1n, 10n ** 6n]);
      await expectRevert(a.depositERC20To(2, t.id, 499n, { value: fee }), f.rollup, "DepositTooSmall", [499n, 500n]);
      expect([await f.rollup.accountCount(), await f.rollup.l1OpCount()]).to.deep.equal([3n, 3n]);
      expect((await f.rollup.l1Ops(2)).amount).to.equal(501n);
    });

    it("makes every account of a full tree cost at least the fee plus the minimum (D = 1: three accounts)", async () => {
      const { deriveParams } = await import("../../src/model/params.js");
      const params = deriveParams({ name: "d1", description: "", depth: 1, batchSize: 1, l1Slots: 1, feeSlots: 1 });
      const f = await deployWithMock({ params, minDeposit: 10n ** 15n });
      const a = f.as(dave);
      for (let i = 0; i < 3; i++) {
        await expectRevert(a.depositETH(1n, 2n, { value: f.fee + 1n }), f.rollup, "DepositTooSmall", [1n, 10n ** 15n]); // dust takes no index
        await mined(a.depositETH(1n, 2n, { value: f.fee + 10n ** 15n }));
      }
      await expectRevert(a.depositETH(1n, 2n, { value: f.fee + 10n ** 15n }), f.rollup, "TreeFull");
      expect(await ethers.provider.getBalance(f.d.rollupAddress)).to.equal(3n * (f.fee + 10n ** 15n));
    });
  });

  describe("batches consume the queue at full capacity", () => {
    it("a batch leaving out an operation l1Grace old or older reverts with L1OpSkipped and changes nothing", async () => {
      const f = await deployWithMock(); // L = 2, grace 600 s
      const grace = f.d.policy.l1Grace;
      for (let i = 0; i < 3; i++) {
        await mined(f.as(alice).depositETH(1n, 2n, { value: 100n + f.fee }));
        await increaseTime(10n);
      }
      const queuedAt = await Promise.all([0, 1, 2].map(async (i) => (await f.rollup.l1Ops(i)).queuedAt));
      // Operation 0 turns l1Grace old: leaving it out is refused (the view refuses the same data).
      await mineAt(queuedAt[0]! + grace);
      await expectRevert(emptyBatch(f, 0), f.rollup, "L1OpSkipped", [0n, queuedAt[0]]);
      await expectRevert(f.rollup.publicInputs(1n, 0, "0x", "0x00", "0x", 0n), f.rollup, "L1OpSkipped", [0n, queuedAt[0]]);
      // Taking one of the two slots leaves out operation 1, younger by a second or two: accepted.
      await at(queuedAt[1]! + grace - 1n);
      await mined(emptyBatch(f, 1));
      // Now operation 1 is due, and a batch with two slots must take 1 and 2.
      await mineAt(queuedAt[2]! + grace);
      const before = [await f.rollup.batchNumber(), await f.rollup.l1Processed(), await f.rollup.lastBatchAt()];
      await expectRevert(emptyBatch(f, 0), f.rollup, "L1OpSkipped", [1n, queuedAt[1]]);
      await expectRevert(emptyBatch(f, 1), f.rollup, "L1OpSkipped", [2n, queuedAt[2]]);
      expect([await f.rollup.batchNumber(), await f.rollup.l1Processed(), await f.rollup.lastBatchAt()]).to.deep.equal(before);
      await mined(emptyBatch(f, 2));
      expect(await f.rollup.l1Processed()).to.equal(3n);
      // Nothing pending: an empty batch leaves nothing out.
      await increaseTime(10n * grace);
      await mined(emptyBatch(f, 0));
    });

    it("a batch skipping only operations younger than l1Grace is accepted (one queued while the batch was proven)", async () => {
      const f = await deployWithMock();
      const seq = await ModelSequencer.create(f);
      await mined(f.as(alice).depositETH(1n, 2n, { value: 100n + f.fee }));
      // The sequencer builds a batch with the one operation it has seen; a deposit lands before it.
      await mined(f.as(bob).depositETH(3n, 4n, { value: 100n + f.fee }));
      const queuedAt = (await f.rollup.l1Ops(1)).queuedAt;
      await seq.submit({ l1Count: 1, timestamp: queuedAt + f.d.policy.l1Grace - 1n }); // the last second it may be left out
      expect(await f.rollup.l1Processed()).to.equal(1n);
      await seq.submit({ l1Count: 1 });
      expect(await f.rollup.stateRoot()).to.equal(seq.state.root);
    });

    it("submitBatches checks each batch against the queue the batches before it left", async () => {
      const f = await deployWithMock();
      for (let i = 0; i < 3; i++) await mined(f.as(alice).depositETH(1n, 2n, { value: 100n + f.fee }));
      await increaseTime(f.d.policy.l1Grace);
      const data = emptyBatchData;
      // The second batch leaves out operation 2, which is overdue: the whole call reverts.
      await expectRevert(f.rollup.submitBatches([data(2), data(0)], [proofFor("a"), proofFor("b")]), f.rollup, "L1OpSkipped", [
        2n,
        (await f.rollup.l1Ops(2)).queuedAt,
      ]);
      expect(await f.rollup.l1Processed()).to.equal(0n);
      await mined(f.rollup.submitBatches([data(2), data(1)], [proofFor("a"), proofFor("b")]));
      expect(await f.rollup.l1Processed()).to.equal(3n);
    });

    it("with no grace, every batch takes all it has slots for", async () => {
      const f = await deployWithMock({ l1Grace: 0n });
      await mined(f.as(alice).depositETH(1n, 2n, { value: 100n + f.fee }));
      await expectRevert(emptyBatch(f, 0), f.rollup, "L1OpSkipped", [0n, (await f.rollup.l1Ops(0)).queuedAt]);
      await mined(emptyBatch(f, 1));
    });
  });

  describe("forced transfers", () => {
    /** Accounts 1 (alice, ETH), 2 (bob, ETH), 3 (carol, an ERC-20). */
    async function threeAccounts() {
      const f = await deployWithMock(); // L = 2, grace 600 s
      await mined(f.as(alice).depositETH(1n, 2n, { value: 100n + f.fee }));
      await mined(f.as(bob).depositETH(3n, 4n, { value: 100n + f.fee }));
      const { token, id } = await addToken(f, carol, 1n);
      await mined(f.as(carol).depositERC20(id, 50n, 5n, 6n, { value: f.fee }));
      return { f, token, tokenId: id };
    }

    it("are queued from the sender's owner to another existing account of its token; anything else reverts and changes nothing", async () => {
      const { f, token, tokenId } = await threeAccounts();
      const a = f.as(alice);
      const refused: [string, () => Promise<unknown>, string, unknown[]?][] = [
        ["not the owner", () => f.as(bob).forceTransfer(1, 2, 5n, { value: f.fee }), "NotAccountOwner"],
        ["to itself", () => a.forceTransfer(1, 1, 5n, { value: f.fee }), "SelfTransfer", [1n]],
        ["another token", () => a.forceTransfer(1, 3, 5n, { value: f.fee }), "TokenMismatch", [3n, tokenId, 0n]],
        ["an unknown receiver", () => a.forceTransfer(1, 4, 5n, { value: f.fee }), "UnknownAccount", [4n]],
        ["an unknown sender", () => a.forceTransfer(0, 2, 5n, { value: f.fee }), "UnknownAccount", [0n]],
        ["nothing", () => a.forceTransfer(1, 2, 0n, { value: f.fee }), "BadAmount", [0n]],
        ["no fee", () => a.forceTransfer(1, 2, 5n), "WrongFee", [0n, f.fee]],
        ["too much fee", () => a.forceTransfer(1, 2, 5n, { value: f.fee + 1n }), "WrongFee", [f.fee + 1n, f.fee]],
      ];
      const before = await queueState(f, token);
      for (const [what, call, error, args] of refused) {
        await expectRevert(call(), f.rollup, error, args).catch((e: unknown) => {
          throw new Error(`${what}: ${e}`);
        });
      }
      expect(await queueState(f, token)).to.deep.equal(before);
      // More than the balance is queued: whether it moves is decided when a batch applies it.
      const r = await mined(a.forceTransfer(1, 2, 10n ** 30n, { value: f.fee }));
      const n = before.ops;
      const hash = await f.rollup.l1ChainHash(n + 1n);
      expectEvent(r, f.rollup, "L1OpQueued", [n, 4n, 1n, alice.address, 0n, 10n ** 30n, 2n, 0n, hash]);
      const e1 = (4n << 192n) | (1n << 160n) | (10n ** 30n);
      expect(hash).to.equal((await crypto()).hash([await f.rollup.l1ChainHash(n), e1, BigInt(alice.address), 2n, 0n]));
      expect((await f.rollup.l1Ops(n)).kind).to.equal(4n);
      expect(await f.rollup.FORCE_TRANSFER()).to.equal(4n);
    });

    it("start their batch: a batch may stop just before one, however old, but not consume nothing", async () => {
      const { f } = await threeAccounts();
      await mined(emptyBatch(f, 2));
      await mined(emptyBatch(f, 1)); // the three deposits processed
      await mined(f.as(alice).depositETHTo(1, { value: 100n + f.fee })); // 3
      await mined(f.as(alice).forceTransfer(1, 2, 5n, { value: f.fee })); // 4
      await mined(f.as(bob).forceTransfer(2, 1, 5n, { value: f.fee })); // 5
      await increaseTime(f.d.policy.l1Grace);
      // 3 then 4 would put the forced transfer in slot 1: the batch stops after 3.
      await mined(emptyBatch(f, 1));
      // Nothing consumed is no batch that stops before it: refused once it is l1Grace old.
      await expectRevert(emptyBatch(f, 0), f.rollup, "L1OpSkipped", [4n, (await f.rollup.l1Ops(4)).queuedAt]);
      // 4 first, then the batch stops before 5.
      await mined(emptyBatch(f, 1));
      expect(await f.rollup.l1Processed()).to.equal(5n);
      await mined(emptyBatch(f, 1));
      expect(await f.rollup.l1Processed()).to.equal(6n);
    });

    it("a deposit left out before a forced transfer is still refused once it is l1Grace old", async () => {
      const { f } = await threeAccounts();
      await increaseTime(f.d.policy.l1Grace);
      await expectRevert(emptyBatch(f, 1), f.rollup, "L1OpSkipped", [1n, (await f.rollup.l1Ops(1)).queuedAt]);
    });
  });

  describe("escape mode", () => {
    for (const policy of [
      { what: "inactivity delay = escape delay (the brief's rule)", escapeDelay: 600n, inactivityDelay: 600n },
      { what: "inactivity delay shorter than the escape delay", escapeDelay: 600n, inactivityDelay: 300n },
    ]) {
      it(`a flood far faster than L per batch against a sequencer submitting full batches never opens it; the queue drains (${policy.what})`, async () => {
        const f = await deployWithMock({ escapeDelay: policy.escapeDelay, inactivityDelay: policy.inactivityDelay, l1Grace: 60n });
        const seq = await ModelSequencer.create(f);
        const L = f.params.l1Slots;
        const flooders = [alice, bob, carol, dave];
        let queued = 0;
        const flood = async (n: number) => {
          for (let i = 0; i < n; i++) await mined(f.as(flooders[queued++ % flooders.length]!).depositETH(1n, 2n, { value: 1n + f.fee }));
        };
        // 20 rounds of 250 s: 3 operations queued per round (L = 2 per batch), one full batch each.
        let overdue = 0;
        for (let round = 0; round < 20; round++) {
          await flood(L + 1);
          await increaseTime(250n);
          await seq.submit(); // min(pending, L): the full-capacity batch
          const oldest = (await f.rollup.l1Ops(seq.processed)).queuedAt;
          if ((await now()) > oldest + policy.escapeDelay) overdue++;
          await expectRevert(f.as(alice).activateEscape(), f.rollup, "EscapeTooEarly");
        }
        expect((await f.rollup.l1OpCount()) - (await f.rollup.l1Processed()) === 20n, "backlog of 20").to.equal(true);
        expect(overdue, "rounds in which the oldest operation had waited past the escape delay").to.be.greaterThan(10);
        // The flood stops; the sequencer keeps going and works the backlog off.
        while ((await f.rollup.l1Processed()) < (await f.rollup.l1OpCount())) {
          await increaseTime(250n);
          await seq.submit();
          if ((await f.rollup.l1Processed()) < (await f.rollup.l1OpCount())) await expectRevert(f.as(alice).activateEscape(), f.rollup, "EscapeTooEarly");
        }
        expect(await f.rollup.stateRoot()).to.equal(seq.state.root);
        expect(seq.state.size).to.equal(queued);
        await increaseTime(10n * policy.escapeDelay);
        await expectRevert(f.as(alice).activateEscape(), f.rollup, "NoPendingL1Op");
        expect(await f.rollup.claimable(sequencer.address, 0)).to.equal(BigInt(queued) * f.fee);
      });
    }

    it("a sequencer that stops opens it once an operation has waited escapeDelay and no batch came for inactivityDelay", async () => {
      const f = await deployWithMock({ escapeDelay: 600n, inactivityDelay: 300n, l1Grace: 60n });
      const seq = await ModelSequencer.create(f);
      await mined(f.as(alice).depositETH(1n, 2n, { value: 1n + f.fee }));
      await seq.submit();
      await mined(f.as(bob).depositETH(1n, 2n, { value: 1n + f.fee })); // never processed
      const queuedAt = (await f.rollup.l1Ops(1)).queuedAt;
      // The operation's wait is the later bound here: max(queuedAt + 600, lastBatchAt + 300).
      await expectEscapeOpensAfter(f, queuedAt + 600n, [seq.state.root, 1n]);
    });

    it("a sequencer that stops in the middle of a flood (an operation already overdue) opens it after inactivityDelay", async () => {
      const f = await deployWithMock({ escapeDelay: 600n, inactivityDelay: 300n, l1Grace: 60n });
      const seq = await ModelSequencer.create(f);
      for (let i = 0; i < 10; i++) await mined(f.as(alice).depositETH(1n, 2n, { value: 1n + f.fee }));
      for (let round = 0; round < 3; round++) {
        await increaseTime(290n);
        await seq.submit(); // 2 of 10, 8, 6: the 4 left have waited ~870 s, past the escape delay
      }
      const last = await f.rollup.lastBatchAt();
      const oldest = (await f.rollup.l1Ops(seq.processed)).queuedAt;
      expect(oldest + 600n < last, "overdue already: the inactivity bound decides").to.equal(true);
      await expectEscapeOpensAfter(f, last + 300n, [seq.state.root, 6n]);
    });

    it("a sequencer that only censors (empty batches) is refused once the operation is l1Grace old, and escape opens after escapeDelay", async () => {
      const f = await deployWithMock({ escapeDelay: 600n, inactivityDelay: 600n, l1Grace: 60n });
      await mined(f.as(alice).depositETH(1n, 2n, { value: 10n + f.fee }));
      await mined(emptyBatch(f, 1));
      await mined(f.as(alice).forceExit(1, { value: f.fee })); // the operation the sequencer wants to ignore
      const queuedAt = (await f.rollup.l1Ops(1)).queuedAt;
      await mined(emptyBatch(f, 0)); // young: it may still wait for the next batch
      const lastBatch = await f.rollup.lastBatchAt();
      await mineAt(queuedAt + 60n);
      await expectRevert(emptyBatch(f, 0), f.rollup, "L1OpSkipped", [1n, queuedAt]);
      // The censoring batches cannot go on, so the inactivity bound runs from the last one accepted.
      expect(await f.rollup.escapeAllowedAfter()).to.equal(lastBatch + 600n);
      await at(lastBatch + 601n);
      await mined(f.as(bob).activateEscape());
      expect(await f.rollup.escapeMode()).to.equal(true);
    });
  });
});
