// The escape hatch of Rollup.sol: activation only by the deadline rule, everything but
// withdrawals frozen afterwards, escapeWithdraw with real Merkle proofs from the model's
// AccountTree (the roots on chain are the model's, put there by mock-verified batches), and
// refunds of unprocessed deposits.
import { expect } from "chai";
import { L2Key } from "../../src/model/keys.js";
import { signTransfer } from "../../src/model/tx.js";
import { alice, bob, carol, dave, deployer, deployWithMock, ethers, type Fixture, increaseTime, ModelSequencer, proofFor, sequencer } from "./fixture.js";
import { expectEvent, expectRevert, mined } from "./helpers.js";

const ONE_ETH = 10n ** 18n;
const DELAY = 3600n;

async function latestTimestamp(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/** escapeWithdraw arguments for account `index` from the model's current state. */
function escapeArgs(seq: ModelSequencer, index: bigint) {
  const w = seq.state.witness(index);
  const a = w.account;
  return [index, a.ax, a.ay, a.balance, a.nonce, w.proof.flat()] as const;
}

/**
 * Accounts 1 (alice, ETH), 2 (bob, token), 3 (carol, ETH) created and processed, an L2 transfer
 * from alice to carol (so leaves carry nonces and changed balances), then pending: a top-up of
 * account 1 by dave, a forced exit of 3, a CREATE by dave.
 */
async function scenario() {
  const f = await deployWithMock({ escapeDelay: DELAY });
  const seq = await ModelSequencer.create(f);
  const token = await ethers.deployContract("TestERC20", ["Token", "TKN"], deployer);
  await mined(f.as(deployer).registerToken(await token.getAddress(), 1n));
  await mined(token.getFunction("mint")(bob.address, 10n ** 24n));
  await mined(token.connect(bob).getFunction("approve")(f.d.rollupAddress, 10n ** 24n));
  const key = await L2Key.random();
  await mined(f.as(alice).depositETH(key.ax, key.ay, { value: 5n * ONE_ETH + f.fee }));
  await mined(f.as(bob).depositERC20(1, 700n, 7n, 8n, { value: f.fee }));
  await mined(f.as(carol).depositETH(9n, 10n, { value: 2n * ONE_ETH + f.fee }));
  while ((await f.rollup.l1Processed()) < 3n) await seq.submit();
  const t = { from: 1n, to: 3n, amount: ONE_ETH, fee: 0n, nonce: 0n };
  await seq.submit({ txs: [signTransfer(seq.crypto.hash, key, t, f.domain, f.params)] });
  expect(await f.rollup.stateRoot()).to.equal(seq.state.root);

  const pendingFrom = Number(await f.rollup.l1OpCount());
  await mined(f.as(dave).depositETHTo(1, { value: 11n + f.fee }));
  await mined(f.as(carol).forceExit(3, { value: f.fee }));
  await mined(f.as(dave).depositETH(1n, 2n, { value: 13n + f.fee }));
  return { f, seq, token, pendingFrom };
}

async function activate(f: Fixture) {
  await increaseTime(DELAY + 1n);
  return mined(f.as(dave).activateEscape());
}

describe("Rollup escape hatch", () => {
  describe("activateEscape", () => {
    it("needs a waiting L1 operation older than escapeDelay", async () => {
      const f = await deployWithMock({ escapeDelay: DELAY });
      await expectRevert(f.as(alice).activateEscape(), f.rollup, "NoPendingL1Op");
      await mined(f.as(alice).depositETH(1n, 2n, { value: 1n + f.fee }));
      const deadline = (await latestTimestamp()) + DELAY;
      expect(await f.rollup.escapeAllowedAfter()).to.equal(deadline);
      await expectRevert(f.as(alice).activateEscape(), f.rollup, "EscapeTooEarly", [deadline]);
      // The last second of the deadline still belongs to the sequencer.
      await ethers.provider.send("evm_setNextBlockTimestamp", [Number(deadline)]);
      await expectRevert(f.as(alice).activateEscape(), f.rollup, "EscapeTooEarly", [deadline]);
      expect(await f.rollup.escapeMode()).to.equal(false);
      await ethers.provider.send("evm_setNextBlockTimestamp", [Number(deadline + 1n)]);
      const r = await mined(f.as(bob).activateEscape());
      expectEvent(r, f.rollup, "EscapeActivated", [await f.rollup.genesisRoot(), 0n]);
      expect(await f.rollup.escapeMode()).to.equal(true);
      await expectRevert(f.as(bob).activateEscape(), f.rollup, "EscapeMode");
    });

    it("is not reachable while the sequencer processes the queue in time", async () => {
      const f = await deployWithMock({ escapeDelay: DELAY });
      const seq = await ModelSequencer.create(f);
      await mined(f.as(alice).depositETH(1n, 2n, { value: 1n + f.fee }));
      await increaseTime(DELAY / 2n);
      await seq.submit(); // the first operation is processed: its deadline no longer counts
      await mined(f.as(bob).depositETH(1n, 2n, { value: 1n + f.fee }));
      const second = await latestTimestamp();
      expect(await f.rollup.escapeAllowedAfter()).to.equal(second + DELAY);
      await increaseTime(DELAY / 2n + 10n);
      await expectRevert(f.as(carol).activateEscape(), f.rollup, "EscapeTooEarly", [second + DELAY]);
      await seq.submit();
      await increaseTime(10n * DELAY);
      await expectRevert(f.as(carol).activateEscape(), f.rollup, "NoPendingL1Op");
    });

    it("freezes batches, deposits and forced exits, but not withdrawals", async () => {
      const { f, seq, pendingFrom } = await scenario();
      expect(pendingFrom).to.equal(3);
      await seq.submit({ l1Count: 2 }); // processes dave's top-up and carol's forced exit
      expect(await f.rollup.claimable(carol.address, 0)).to.equal(3n * ONE_ETH);
      await activate(f);
      const e = "EscapeMode";
      await expectRevert(f.rollup.submitBatch(1n, 0, "0x", new Uint8Array(1), "0x", 0n, proofFor("x")), f.rollup, e);
      await expectRevert(f.as(alice).depositETH(1n, 2n, { value: 1n + f.fee }), f.rollup, e);
      await expectRevert(f.as(alice).depositETHTo(1, { value: 1n + f.fee }), f.rollup, e);
      await expectRevert(f.as(bob).depositERC20(1, 1n, 1n, 2n, { value: f.fee }), f.rollup, e);
      await expectRevert(f.as(bob).depositERC20To(2, 1, 1n, { value: f.fee }), f.rollup, e);
      await expectRevert(f.as(alice).forceExit(1, { value: f.fee }), f.rollup, e);
      expectEvent(await mined(f.as(carol).withdraw(0)), f.rollup, "Withdrawn", [carol.address, 0n, 3n * ONE_ETH]);
    });
  });

  describe("escapeWithdraw", () => {
    it("credits an owner's proven balance once; wrong proofs, wrong callers and replays are rejected", async () => {
      const { f, seq } = await scenario();
      const args = escapeArgs(seq, 1n);
      await expectRevert(f.as(alice).escapeWithdraw(...args), f.rollup, "NotInEscapeMode");
      await activate(f);
      expect(seq.state.account(1n)!.balance).to.equal(4n * ONE_ETH);
      expect(seq.state.account(1n)!.nonce).to.equal(1n);

      // The owner is the one the contract recorded at creation, whoever calls.
      await expectRevert(f.as(bob).escapeWithdraw(...args), f.rollup, "NotAccountOwner");
      const [idx, ax, ay, balance, nonce, proof] = args;
      // D = 4: two 8-ary levels (7 siblings each) and a 4-ary root level (3).
      expect(proof.length).to.equal(17);
      for (const at of [0, 6, 7, 13, 14, 16]) {
        const tampered = proof.map((s, k) => (k === at ? s + 1n : s));
        await expectRevert(f.as(alice).escapeWithdraw(idx, ax, ay, balance, nonce, tampered), f.rollup, "InvalidMerkleProof");
      }
      const bad: [string, typeof args][] = [
        ["balance", [idx, ax, ay, balance + 1n, nonce, proof]],
        ["nonce", [idx, ax, ay, balance, nonce - 1n, proof]],
        ["key", [idx, ax + 1n, ay, balance, nonce, proof]],
      ];
      for (const [what, a] of bad) {
        await expectRevert(f.rollup.connect(alice).getFunction("escapeWithdraw")(...a), f.rollup, "InvalidMerkleProof").catch((e: unknown) => {
          throw new Error(`wrong ${what} accepted or rejected for another reason: ${e}`);
        });
      }
      // Claiming someone else's leaf for one's own index does not verify (carol's index, bob's
      // leaf: another key, token and position), nor does someone else's index.
      const bobs = escapeArgs(seq, 2n);
      await expectRevert(f.as(carol).escapeWithdraw(3n, bobs[1], bobs[2], bobs[3], bobs[4], bobs[5]), f.rollup, "InvalidMerkleProof");
      await expectRevert(f.as(carol).escapeWithdraw(...bobs), f.rollup, "NotAccountOwner");
      await expectRevert(f.as(alice).escapeWithdraw(idx, ax, ay, balance, nonce, proof.slice(1)), f.rollup, "BadProofLength", [16n, 17n]);
      await expectRevert(f.as(alice).escapeWithdraw(idx, ax, ay, balance, nonce, [...proof, 0n]), f.rollup, "BadProofLength", [18n, 17n]);
      await expectRevert(f.as(alice).escapeWithdraw(0, ax, ay, balance, nonce, proof), f.rollup, "UnknownAccount", [0n]);
      await expectRevert(f.as(alice).escapeWithdraw(256, ax, ay, balance, nonce, proof), f.rollup, "UnknownAccount", [256n]);
      // Account 4 (dave's pending CREATE) has an index but no leaf in the proven root.
      const empty = seq.state.tree.proof(4n).flat();
      await expectRevert(f.as(dave).escapeWithdraw(4, 1n, 2n, 13n, 0, empty), f.rollup, "InvalidMerkleProof");

      const r = await mined(f.as(alice).escapeWithdraw(...args));
      expectEvent(r, f.rollup, "EscapeWithdrawal", [1n, alice.address, 0n, 4n * ONE_ETH]);
      expectEvent(r, f.rollup, "Credited", [alice.address, 0n, 4n * ONE_ETH]);
      expect(await f.rollup.escapeWithdrawn(1)).to.equal(true);
      await expectRevert(f.as(alice).escapeWithdraw(...args), f.rollup, "AlreadyWithdrawn", [1n]);

      // Bob's token balance and carol's (received by transfer) come out the same way.
      await mined(f.as(bob).escapeWithdraw(...escapeArgs(seq, 2n)));
      await mined(f.as(carol).escapeWithdraw(...escapeArgs(seq, 3n)));
      expect(await f.rollup.claimable(bob.address, 1)).to.equal(700n);
      expect(await f.rollup.claimable(carol.address, 0)).to.equal(3n * ONE_ETH);

      const before = await ethers.provider.getBalance(alice.address);
      const w = await mined(f.as(alice).withdraw(0));
      expect(await ethers.provider.getBalance(alice.address)).to.equal(before + 4n * ONE_ETH - w.gasUsed * w.gasPrice);
    });
  });

  describe("refundL1Op", () => {
    it("credits each unprocessed operation back to whoever queued it once, the deposit and the fee (a forced exit: the fee); not processed operations", async () => {
      const { f, pendingFrom } = await scenario();
      await expectRevert(f.as(dave).refundL1Op(pendingFrom), f.rollup, "NotInEscapeMode");
      await activate(f);
      const [topUp, forced, create] = [pendingFrom, pendingFrom + 1, pendingFrom + 2];
      const r = await mined(f.as(alice).refundL1Op(topUp)); // anyone may trigger it; dave is credited
      expectEvent(r, f.rollup, "L1OpRefunded", [BigInt(topUp), dave.address, 0n, 11n, f.fee]);
      const credited = r.logs.map((l) => f.rollup.interface.parseLog(l)).filter((e) => e?.name === "Credited");
      expect(credited.map((e) => [...e!.args])).to.deep.equal([
        [dave.address, 0n, 11n],
        [dave.address, 0n, f.fee],
      ]);
      await mined(f.as(dave).refundL1Op(create));
      expect(await f.rollup.claimable(dave.address, 0)).to.equal(24n + 2n * f.fee);
      expect((await f.rollup.l1Ops(create)).refunded).to.equal(true);
      // The ignored forced exit: its fee back to carol, nothing else.
      const fr = await mined(f.as(dave).refundL1Op(forced));
      expectEvent(fr, f.rollup, "L1OpRefunded", [BigInt(forced), carol.address, 0n, 0n, f.fee]);
      expectEvent(fr, f.rollup, "Credited", [carol.address, 0n, f.fee]);
      for (const i of [topUp, create, forced, 0, 2, pendingFrom + 3, 2 ** 40]) {
        await expectRevert(f.as(dave).refundL1Op(i), f.rollup, "NotRefundable", [BigInt(i)]);
      }
      await mined(f.as(dave).withdraw(0));
      expect(await f.rollup.claimable(dave.address, 0)).to.equal(0n);
    });

    it("refunds an unprocessed forced transfer's fee, never its amount (which it never brought in)", async () => {
      const f = await deployWithMock({ escapeDelay: DELAY });
      await mined(f.as(alice).depositETH(1n, 2n, { value: 5n + f.fee }));
      await mined(f.as(bob).depositETH(3n, 4n, { value: 5n + f.fee }));
      await mined(f.as(alice).forceTransfer(1, 2, 10n ** 20n, { value: f.fee }));
      await activate(f);
      const r = await mined(f.as(dave).refundL1Op(2));
      expectEvent(r, f.rollup, "L1OpRefunded", [2n, alice.address, 0n, 0n, f.fee]);
      expect(await f.rollup.claimable(alice.address, 0)).to.equal(f.fee);
      await expectRevert(f.as(dave).refundL1Op(2), f.rollup, "NotRefundable", [2n]);
      await expectRevert(f.as(alice).forceTransfer(1, 2, 1n, { value: f.fee }), f.rollup, "EscapeMode");
    });

    it("refuses a forced exit when there is no fee to refund", async () => {
      const f = await deployWithMock({ l1OpFee: 0n });
      await mined(f.as(alice).depositETH(1n, 2n, { value: 3n }));
      await mined(f.as(alice).forceExit(1));
      await activate(f);
      await expectRevert(f.as(alice).refundL1Op(1), f.rollup, "NotRefundable", [1n]);
      expectEvent(await mined(f.as(alice).refundL1Op(0)), f.rollup, "L1OpRefunded", [0n, alice.address, 0n, 3n, 0n]);
      expect(await f.rollup.claimable(alice.address, 0)).to.equal(3n);
    });
  });

  it("ends with everything withdrawable: the contract holds exactly the unclaimed amounts (fees included)", async () => {
    const { f, seq, token, pendingFrom } = await scenario();
    await activate(f);
    for (const i of [1n, 2n, 3n]) {
      const owner = [alice, bob, carol][Number(i) - 1]!;
      await mined(f.as(owner).escapeWithdraw(...escapeArgs(seq, i)));
    }
    for (const i of [pendingFrom, pendingFrom + 1, pendingFrom + 2]) await mined(f.as(dave).refundL1Op(i));
    for (const [u, t] of [
      [alice, 0],
      [bob, 1],
      [carol, 0],
      [dave, 0],
      [sequencer, 0],
    ] as const)
      await mined(f.as(u).withdraw(t));
    expect(await ethers.provider.getBalance(f.d.rollupAddress)).to.equal(0n);
    expect(await token.getFunction("balanceOf")(f.d.rollupAddress)).to.equal(0n);
  });
});
