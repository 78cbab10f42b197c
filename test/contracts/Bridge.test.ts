// The L1 bridge of Rollup.sol: deposits (ETH and ERC-20, creating accounts or topping them up),
// forced exits, the Poseidon queue chain against src/model/l1op.ts, readL1Ops, and pull withdrawals, with
// misbehaving tokens and re-entrancy attempts. Batches come from the TypeScript model
// (ModelSequencer), so what the contract credits is checked against src/model/state.ts.
import { expect } from "chai";
import type { Contract, Interface } from "ethers";
import { SNARK_FIELD } from "../../src/model/crypto.js";
import { readL1Ops } from "../../src/chain/events.js";
import { l1ChainStep, L1OpKind, type L1Op } from "../../src/model/l1op.js";
import { L2Key } from "../../src/model/keys.js";
import { deriveParams } from "../../src/model/params.js";
import { signTransfer, type Transfer } from "../../src/model/tx.js";
import { alice, bob, carol, crypto, deployer, deployWithMock, ethers, type Fixture, ModelSequencer, sequencer, type User } from "./fixture.js";
import { expectEvent, expectRevert, mined } from "./helpers.js";

const ONE_ETH = 10n ** 18n;
const MAX_UINT = 2n ** 256n - 1n;
const { hash } = await crypto();

/** A registered TestERC20 (or another test token contract) with `users` funded and approving the rollup. */
async function addToken(f: Fixture, users: User[], contract = "TestERC20", args: unknown[] = ["Token", "TKN"]) {
  const token = await ethers.deployContract(contract, args, deployer);
  const address = await token.getAddress();
  await mined(f.as(deployer).registerToken(address, 1n));
  for (const u of users) {
    await mined(token.getFunction("mint")(u.address, 2n ** 130n));
    await mined((token.connect(u) as Contract).getFunction("approve")(f.d.rollupAddress, MAX_UINT));
  }
  return { token, address, id: await f.rollup.tokenIdOf(address) };
}

const balanceOf = async (token: Contract, who: string): Promise<bigint> => token.getFunction("balanceOf")(who);

/** Asserts the stored operation at `queueIndex`, its event and its chain hash against src/model/l1op.ts. */
async function expectQueued(f: Fixture, queueIndex: number, op: L1Op, receipt: Awaited<ReturnType<typeof mined>>) {
  const prev = await f.rollup.l1ChainHash(queueIndex);
  const h = l1ChainStep(hash, prev, op);
  expect(await f.rollup.l1ChainHash(queueIndex + 1)).to.equal(h);
  const block = await ethers.provider.getBlock(receipt.blockNumber);
  const stored = await f.rollup.l1Ops(queueIndex);
  const owner = ethers.getAddress("0x" + op.owner.toString(16).padStart(40, "0"));
  expect([...stored]).to.deep.equal([BigInt(op.kind), op.accountIdx, op.tokenId, op.amount, BigInt(block!.timestamp), owner, false]);
  expectEvent(receipt, f.rollup, "L1OpQueued", [BigInt(queueIndex), BigInt(op.kind), op.accountIdx, owner, op.tokenId, op.amount, op.ax, op.ay, h]);
}

const addr = (u: User) => BigInt(u.address);

describe("Rollup bridge: deposits, forced exits, withdrawals", () => {
  describe("deposits", () => {
    it("ETH deposits create accounts 1, 2, 3 in order and top them up; each is queued and chained like src/model/l1op.ts", async () => {
      const f = await deployWithMock();
      expect(await f.as(alice).depositETH.staticCall(11n, 12n, { value: 5n + f.fee })).to.equal(1n);
      let r = await mined(f.as(alice).depositETH(11n, 12n, { value: 5n + f.fee }));
      await expectQueued(f, 0, { kind: L1OpKind.CREATE, accountIdx: 1n, tokenId: 0n, amount: 5n, owner: addr(alice), ax: 11n, ay: 12n }, r);
      r = await mined(f.as(bob).depositETH(SNARK_FIELD - 1n, 0n, { value: ONE_ETH + f.fee }));
      await expectQueued(f, 1, { kind: L1OpKind.CREATE, accountIdx: 2n, tokenId: 0n, amount: ONE_ETH, owner: addr(bob), ax: SNARK_FIELD - 1n, ay: 0n }, r);
      // Anyone may top up any created (even not yet processed) account.
      r = await mined(f.as(carol).depositETHTo(1, { value: 7n + f.fee }));
      await expectQueued(f, 2, { kind: L1OpKind.DEPOSIT, accountIdx: 1n, tokenId: 0n, amount: 7n, owner: addr(carol), ax: 0n, ay: 0n }, r);
      r = await mined(f.as(alice).depositETH(1n, 1n, { value: 1n + f.fee }));
      await expectQueued(f, 3, { kind: L1OpKind.CREATE, accountIdx: 3n, tokenId: 0n, amount: 1n, owner: addr(alice), ax: 1n, ay: 1n }, r);

      expect([await f.rollup.accountCount(), await f.rollup.l1OpCount(), await f.rollup.l1Processed()]).to.deep.equal([3n, 4n, 0n]);
      expect([...(await f.rollup.accounts(1))]).to.deep.equal([alice.address, 0n]);
      expect([...(await f.rollup.accounts(2))]).to.deep.equal([bob.address, 0n]);
      // The deposits and the four operations' fees, held until a batch consumes them.
      expect(await ethers.provider.getBalance(f.d.rollupAddress)).to.equal(5n + ONE_ETH + 7n + 1n + 4n * f.fee);
    });

    it("ERC-20 deposits pull the tokens and queue CREATE / DEPOSIT in the token's id", async () => {
      const f = await deployWithMock();
      const t = await addToken(f, [alice, bob]);
      expect(t.id).to.equal(1n);
      let r = await mined(f.as(alice).depositERC20(t.id, 1000n, 21n, 22n, { value: f.fee }));
      await expectQueued(f, 0, { kind: L1OpKind.CREATE, accountIdx: 1n, tokenId: 1n, amount: 1000n, owner: addr(alice), ax: 21n, ay: 22n }, r);
      r = await mined(f.as(bob).depositERC20To(1, t.id, 2n ** 128n - 1n, { value: f.fee }));
      await expectQueued(f, 1, { kind: L1OpKind.DEPOSIT, accountIdx: 1n, tokenId: 1n, amount: 2n ** 128n - 1n, owner: addr(bob), ax: 0n, ay: 0n }, r);
      expect(await balanceOf(t.token, f.d.rollupAddress)).to.equal(1000n + 2n ** 128n - 1n);
      expect([...(await f.rollup.accounts(1))]).to.deep.equal([alice.address, 1n]);
    });

    it("rejects zero and >= 2^128 amounts, unregistered tokens, keys outside the field and unknown accounts", async () => {
      const f = await deployWithMock();
      const t = await addToken(f, [alice]);
      const a = f.as(alice);
      await expectRevert(a.depositETH(1n, 2n, { value: 0n + f.fee }), f.rollup, "DepositTooSmall", [0n, 1n]);
      await expectRevert(a.depositERC20(t.id, 0n, 1n, 2n, { value: f.fee }), f.rollup, "DepositTooSmall", [0n, 1n]);
      await expectRevert(a.depositERC20(t.id, 2n ** 128n, 1n, 2n, { value: f.fee }), f.rollup, "BadAmount", [2n ** 128n]);
      const balance = await ethers.provider.getBalance(alice.address);
      await ethers.provider.send("hardhat_setBalance", [alice.address, ethers.toQuantity(2n ** 130n)]);
      await expectRevert(a.depositETH(1n, 2n, { value: 2n ** 128n + f.fee }), f.rollup, "BadAmount", [2n ** 128n]);
      await ethers.provider.send("hardhat_setBalance", [alice.address, ethers.toQuantity(balance)]);
      await expectRevert(a.depositERC20(0, 5n, 1n, 2n, { value: f.fee }), f.rollup, "TokenNotRegistered", [0n]);
      await expectRevert(a.depositERC20(2, 5n, 1n, 2n, { value: f.fee }), f.rollup, "TokenNotRegistered", [2n]);
      await expectRevert(a.depositETH(SNARK_FIELD, 2n, { value: 1n + f.fee }), f.rollup, "NotInField", [SNARK_FIELD]);
      await expectRevert(a.depositERC20(t.id, 5n, 1n, MAX_UINT, { value: f.fee }), f.rollup, "NotInField", [MAX_UINT]);
      await expectRevert(a.depositETHTo(1, { value: 1n + f.fee }), f.rollup, "UnknownAccount", [1n]);
      await expectRevert(a.forceExit(1, { value: f.fee }), f.rollup, "UnknownAccount", [1n]);
      await mined(a.depositETH(1n, 2n, { value: 1n + f.fee }));
      await expectRevert(a.depositETHTo(0, { value: 1n + f.fee }), f.rollup, "UnknownAccount", [0n]);
      await expectRevert(a.depositETHTo(2, { value: 1n + f.fee }), f.rollup, "UnknownAccount", [2n]);
      await expectRevert(a.depositERC20To(2, t.id, 1n, { value: f.fee }), f.rollup, "UnknownAccount", [2n]);
      await expectRevert(a.depositERC20To(1, 7, 1n, { value: f.fee }), f.rollup, "TokenNotRegistered", [7n]);
      expect(await f.rollup.l1OpCount()).to.equal(1n);
    });

    it("stops creating accounts when the tree is full (4^D - 1 accounts; index 0 is never one)", async () => {
      const params = deriveParams({ name: "d1", description: "", depth: 1, batchSize: 1, l1Slots: 1, feeSlots: 1 });
      const f = await deployWithMock({ params });
      for (let i = 0; i < 3; i++) await mined(f.as(alice).depositETH(1n, 2n, { value: 1n + f.fee }));
      await expectRevert(f.as(alice).depositETH(1n, 2n, { value: 1n + f.fee }), f.rollup, "TreeFull");
      await mined(f.as(alice).depositETHTo(3, { value: 1n + f.fee }));
      expect(await f.rollup.accountCount()).to.equal(3n);
    });

    it("credits a fee-on-transfer token's deposit with what the contract actually received", async () => {
      const f = await deployWithMock();
      const t = await addToken(f, [alice], "FeeOnTransferERC20", [100]); // 1% burnt per transfer
      const r = await mined(f.as(alice).depositERC20(t.id, 10_000n, 1n, 2n, { value: f.fee }));
      await expectQueued(f, 0, { kind: L1OpKind.CREATE, accountIdx: 1n, tokenId: t.id, amount: 9_900n, owner: addr(alice), ax: 1n, ay: 2n }, r);
      expect(await balanceOf(t.token, f.d.rollupAddress)).to.equal(9_900n);
      // A token that delivers nothing (here: burns 100%) credits nothing and is refused.
      const all = await addToken(f, [alice], "FeeOnTransferERC20", [10_000]);
      await expectRevert(f.as(alice).depositERC20To(1, all.id, 500n, { value: f.fee }), f.rollup, "DepositTooSmall", [0n, 1n]);
    });

    it("handles tokens that return false, return nothing, or re-enter during transferFrom", async () => {
      const f = await deployWithMock();
      const t = await addToken(f, [alice], "MisbehavingERC20", []);
      const bad = t.token;
      await mined(bad.getFunction("setReturnMode")(1)); // false
      await expectRevert(f.as(alice).depositERC20(t.id, 5n, 1n, 2n, { value: f.fee }), f.rollup, "TransferFailed", [t.address]);
      await mined(bad.getFunction("setReturnMode")(2)); // no return data
      await mined(f.as(alice).depositERC20(t.id, 5n, 1n, 2n, { value: f.fee }));
      expect((await f.rollup.l1Ops(0)).amount).to.equal(5n);

      // The token calls back into depositERC20To in the middle of the transfer: the guard stops the
      // inner deposit, so the outer one is credited only the tokens it brought.
      await mined(bad.getFunction("setReturnMode")(0));
      const inner = f.rollup.interface.encodeFunctionData("depositERC20To", [1, t.id, 1000n]);
      await mined(bad.getFunction("setHook")(f.d.rollupAddress, inner));
      await mined(f.as(alice).depositERC20To(1, t.id, 10n, { value: f.fee }));
      expect(await bad.getFunction("hookCalled")()).to.equal(true);
      expect(await bad.getFunction("hookSucceeded")()).to.equal(false);
      expect(await bad.getFunction("hookReturnData")()).to.equal(f.rollup.interface.getError("Reentrancy")!.selector);
      expect(await f.rollup.l1OpCount()).to.equal(2n);
      expect((await f.rollup.l1Ops(1)).amount).to.equal(10n);
      expect(await balanceOf(bad, f.d.rollupAddress)).to.equal(15n);
    });
  });

  describe("forceExit", () => {
    it("queues FORCE_EXIT with the owner and the account's token; refuses anyone else", async () => {
      const f = await deployWithMock();
      const t = await addToken(f, [alice]);
      await mined(f.as(alice).depositETH(1n, 2n, { value: 5n + f.fee }));
      await mined(f.as(alice).depositERC20(t.id, 5n, 1n, 2n, { value: f.fee }));
      await mined(f.as(bob).depositETH(1n, 2n, { value: 5n + f.fee }));
      let r = await mined(f.as(alice).forceExit(2, { value: f.fee }));
      await expectQueued(f, 3, { kind: L1OpKind.FORCE_EXIT, accountIdx: 2n, tokenId: t.id, amount: 0n, owner: addr(alice), ax: 0n, ay: 0n }, r);
      r = await mined(f.as(bob).forceExit(3, { value: f.fee }));
      await expectQueued(f, 4, { kind: L1OpKind.FORCE_EXIT, accountIdx: 3n, tokenId: 0n, amount: 0n, owner: addr(bob), ax: 0n, ay: 0n }, r);
      await expectRevert(f.as(bob).forceExit(1, { value: f.fee }), f.rollup, "NotAccountOwner");
      await expectRevert(f.as(alice).forceExit(3, { value: f.fee }), f.rollup, "NotAccountOwner");
      expect(await f.rollup.l1OpCount()).to.equal(5n);
    });
  });

  describe("readL1Ops", () => {
    it("returns the queue from events, in order, from any block, in block-range chunks", async () => {
      const f = await deployWithMock();
      await mined(f.as(alice).depositETH(3n, 4n, { value: 9n + f.fee }));
      const middle = await ethers.provider.getBlockNumber();
      await mined(f.as(bob).depositETHTo(1, { value: 8n + f.fee }));
      await mined(f.as(alice).forceExit(1, { value: f.fee }));
      const ops = await readL1Ops(f.rollup, f.d.blockNumber);
      expect(ops.map((o) => [o.queueIndex, o.kind, o.accountIdx, o.tokenId, o.amount, o.owner, o.ax, o.ay])).to.deep.equal([
        [0n, L1OpKind.CREATE, 1n, 0n, 9n, addr(alice), 3n, 4n],
        [1n, L1OpKind.DEPOSIT, 1n, 0n, 8n, addr(bob), 0n, 0n],
        [2n, L1OpKind.FORCE_EXIT, 1n, 0n, 0n, addr(alice), 0n, 0n],
      ]);
      for (const [i, o] of ops.entries()) {
        expect(o.chainHash).to.equal(await f.rollup.l1ChainHash(i + 1));
        expect((await ethers.provider.getTransactionReceipt(o.transactionHash))!.blockNumber).to.equal(o.blockNumber);
      }
      expect(await readL1Ops(f.rollup, f.d.blockNumber, { maxBlockRange: 1 })).to.deep.equal(ops);
      expect((await readL1Ops(f.rollup, middle + 1)).map((o) => o.queueIndex)).to.deep.equal([1n, 2n]);
      expect(await readL1Ops(f.rollup, f.d.blockNumber, { toBlock: middle })).to.deep.equal(ops.slice(0, 1));
      let error: unknown;
      await readL1Ops(f.rollup, 0, { maxBlockRange: 0 }).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/maxBlockRange/);
    });
  });

  describe("withdrawals", () => {
    it("pays L1 results and exits proven by model batches, to the wei, once", async () => {
      const f = await deployWithMock();
      const seq = await ModelSequencer.create(f);
      const t = await addToken(f, [bob]);
      const key = await L2Key.random();
      await mined(f.as(alice).depositETH(key.ax, key.ay, { value: 3n * ONE_ETH + f.fee })); // account 1
      await mined(f.as(bob).depositERC20(t.id, 1000n, 5n, 6n, { value: f.fee })); // account 2
      await seq.submit();
      await mined(f.as(bob).depositETHTo(2, { value: 4n + f.fee })); // wrong token: the model refunds it
      await mined(f.as(bob).forceExit(2, { value: f.fee })); // bob's whole token balance
      const exit: Transfer = { from: 1n, to: 0n, amount: ONE_ETH, fee: 0n, nonce: 0n };
      const { batch, receipt } = await seq.submit({ txs: [signTransfer(hash, key, exit, f.domain, f.params)] });
      expect(batch.l1Results).to.deep.equal([4n, 1000n]);
      expectEvent(receipt, f.rollup, "BatchSubmitted", [2n, batch.oldRoot, batch.data.newRoot, 2n, 1n]);
      expect(await f.rollup.stateRoot()).to.equal(seq.state.root);
      expect(seq.state.account(1n)!.balance).to.equal(2n * ONE_ETH);
      expect(seq.state.account(2n)!.balance).to.equal(0n);
      expect(await f.rollup.claimable(alice.address, 0)).to.equal(ONE_ETH);
      expect(await f.rollup.claimable(bob.address, 0)).to.equal(4n);
      expect(await f.rollup.claimable(bob.address, t.id)).to.equal(1000n);

      const before = await ethers.provider.getBalance(alice.address);
      const r = await mined(f.as(alice).withdraw(0));
      expectEvent(r, f.rollup, "Withdrawn", [alice.address, 0n, ONE_ETH]);
      expect(await ethers.provider.getBalance(alice.address)).to.equal(before + ONE_ETH - r.gasUsed * r.gasPrice);
      await expectRevert(f.as(alice).withdraw(0), f.rollup, "NothingToWithdraw", [0n]);

      const tokensBefore = await balanceOf(t.token, bob.address);
      expectEvent(await mined(f.as(bob).withdraw(t.id)), f.rollup, "Withdrawn", [bob.address, t.id, 1000n]);
      expect(await balanceOf(t.token, bob.address)).to.equal(tokensBefore + 1000n);
      await mined(f.as(bob).withdraw(0));
      expect(await f.rollup.claimable(bob.address, t.id)).to.equal(0n);
      // Left: account 1's 2 ETH on L2 and the fees of the 4 operations, credited to the submitter.
      expect(await f.rollup.claimable(sequencer.address, 0)).to.equal(4n * f.fee);
      expect(await ethers.provider.getBalance(f.d.rollupAddress)).to.equal(2n * ONE_ETH + 4n * f.fee);
      expect(await balanceOf(t.token, f.d.rollupAddress)).to.equal(0n);
    });

    it("a contract re-entering withdraw from its receive hook is paid once", async () => {
      const f = await deployWithMock();
      const seq = await ModelSequencer.create(f);
      const attacker = await ethers.deployContract("ReentrantCaller", [], carol);
      const attackerAddress = await attacker.getAddress();
      const call = (fn: string, args: unknown[], value = 0n) =>
        mined(attacker.getFunction("execute")(f.d.rollupAddress, value, (f.rollup.interface as Interface).encodeFunctionData(fn, args), { value }));
      await call("depositETH", [1n, 2n], 5n * ONE_ETH + f.fee);
      await mined(f.as(alice).depositETH(1n, 2n, { value: 3n * ONE_ETH + f.fee })); // someone else's funds in the contract
      await call("forceExit", [1], f.fee);
      while ((await f.rollup.l1Processed()) < 3n) await seq.submit();
      expect(await f.rollup.claimable(attackerAddress, 0)).to.equal(5n * ONE_ETH);

      await mined(attacker.getFunction("setReentry")(f.d.rollupAddress, f.rollup.interface.encodeFunctionData("withdraw", [0])));
      await call("withdraw", [0]);
      expect(await attacker.getFunction("reentered")()).to.equal(true);
      expect(await attacker.getFunction("reentrySucceeded")()).to.equal(false);
      expect(await attacker.getFunction("reentryReturnData")()).to.equal(f.rollup.interface.getError("Reentrancy")!.selector);
      expect(await ethers.provider.getBalance(attackerAddress)).to.equal(5n * ONE_ETH);
      expect(await ethers.provider.getBalance(f.d.rollupAddress)).to.equal(3n * ONE_ETH + 3n * f.fee); // alice's deposit, the fees
      expect(await f.rollup.claimable(attackerAddress, 0)).to.equal(0n);
    });

    it("keeps the credit when a token transfer fails", async () => {
      const f = await deployWithMock();
      const t = await addToken(f, [alice], "MisbehavingERC20", []);
      await mined(f.as(alice).depositERC20(t.id, 50n, 1n, 2n, { value: f.fee }));
      await mined(f.as(alice).forceExit(1, { value: f.fee }));
      const seq = await ModelSequencer.create(f);
      await seq.submit();
      expect(await f.rollup.claimable(alice.address, t.id)).to.equal(50n);
      await mined(t.token.getFunction("setReturnMode")(1));
      await expectRevert(f.as(alice).withdraw(t.id), f.rollup, "TransferFailed", [t.address]);
      expect(await f.rollup.claimable(alice.address, t.id)).to.equal(50n);
      await mined(t.token.getFunction("setReturnMode")(2));
      await mined(f.as(alice).withdraw(t.id));
      expect(await balanceOf(t.token, f.d.rollupAddress)).to.equal(0n);
    });
  });
});
