// Censorship resistance with real proofs: the sequencer ignores a forced exit; after the
// deadline anyone switches the rollup into escape mode; owners withdraw their balance from the
// last proven root with a Merkle proof checked on chain (built from L1 data alone), once;
// unprocessed deposits are refunded; no batch is accepted any more.
import { expect } from "chai";
import { rebuildFromL1 } from "../../lib/l1data.js";
import { signTransfer } from "../../lib/tx.js";
import { expectRevert } from "../contracts/helpers.js";
import { alice, bob, carol, deployer, ethers, increaseTime, sequencer } from "../contracts/fixture.js";
import { closeProver, ETH, FEE, keys, mined, newWorld, params, type World } from "./helpers.js";

describe("censorship: forced exit ignored → escape mode (real proofs)", function () {
  let w: World;
  let k: Awaited<ReturnType<typeof keys>>;

  before(async () => {
    w = await newWorld(deployer, sequencer, { escapeDelay: 3600n });
    k = await keys(2);
    await mined(w.d.rollup.connect(alice).depositETH(k[0].ax, k[0].ay, { value: 3n * ETH + FEE })); // 1
    await mined(w.d.rollup.connect(bob).depositETH(k[1].ax, k[1].ay, { value: ETH + FEE })); // 2
    await w.op.submit();
    await w.op.submit([signTransfer(w.crypto.hash, k[0], { from: 1n, to: 2n, amount: ETH, fee: 0n, nonce: 0n }, w.domain, params)]);
  });
  after(closeProver);

  it("escape cannot start before the deadline of the oldest unprocessed operation", async () => {
    await mined(w.d.rollup.connect(alice).forceExit(1, { value: FEE })); // the sequencer will ignore it
    await mined(w.d.rollup.connect(carol).depositETH(k[1].ax, k[1].ay, { value: ETH / 4n + FEE })); // never processed
    await expectRevert(w.d.rollup.activateEscape(), w.d.rollup, "EscapeTooEarly");
  });

  it("after the deadline anyone activates escape mode, and batches and deposits are refused", async () => {
    await increaseTime(3601n);
    await mined(w.d.rollup.connect(carol).activateEscape());
    expect(await w.d.rollup.escapeMode()).to.equal(true);
    const noop = w.d.rollup.connect(sequencer).submitBatch(w.state.root, 0, "0x", "0x00", "0x", 0n, Array(8).fill(0n));
    await expectRevert(noop, w.d.rollup, "EscapeMode");
    await expectRevert(w.d.rollup.connect(bob).depositETH(k[1].ax, k[1].ay, { value: 1n + FEE }), w.d.rollup, "EscapeMode");
  });

  it("owners withdraw their last proven balance with a Merkle proof rebuilt from L1, exactly once", async () => {
    const { state } = await rebuildFromL1(w.crypto, params, w.d.rollup, w.d.blockNumber);
    const proofArgs = (i: bigint, balanceDelta = 0n) => {
      const a = state.account(i)!;
      return [i, a.ax, a.ay, a.balance + balanceDelta, a.nonce, state.tree.proof(i).flat()] as const;
    };
    await expectRevert(w.d.rollup.connect(alice).escapeWithdraw(...proofArgs(1n, 1n)), w.d.rollup, "InvalidMerkleProof");
    await expectRevert(w.d.rollup.connect(bob).escapeWithdraw(...proofArgs(1n)), w.d.rollup, "NotAccountOwner");
    await mined(w.d.rollup.connect(alice).escapeWithdraw(...proofArgs(1n)));
    await expectRevert(w.d.rollup.connect(alice).escapeWithdraw(...proofArgs(1n)), w.d.rollup, "AlreadyWithdrawn");
    await mined(w.d.rollup.connect(bob).escapeWithdraw(...proofArgs(2n)));
    expect(await w.d.rollup.claimable(alice.address, 0)).to.equal(2n * ETH);
    expect(await w.d.rollup.claimable(bob.address, 0)).to.equal(2n * ETH);
  });

  it("the unprocessed deposit and the ignored forced exit's fee are refunded once, and everything held is paid out", async () => {
    await mined(w.d.rollup.refundL1Op(3)); // carol's deposit, queue index 3, with its fee
    await expectRevert(w.d.rollup.refundL1Op(3), w.d.rollup, "NotRefundable"); // already refunded
    await mined(w.d.rollup.refundL1Op(2)); // the forced exit: only its fee
    await expectRevert(w.d.rollup.refundL1Op(1), w.d.rollup, "NotRefundable"); // processed
    expect(await w.d.rollup.claimable(carol.address, 0)).to.equal(ETH / 4n + FEE);
    expect(await w.d.rollup.claimable(alice.address, 0)).to.equal(2n * ETH + FEE);
    expect(await w.d.rollup.claimable(sequencer.address, 0)).to.equal(2n * FEE); // the two processed deposits
    for (const u of [alice, bob, carol, sequencer]) await mined(w.d.rollup.connect(u).withdraw(0));
    expect(await ethers.provider.getBalance(w.d.rollupAddress)).to.equal(0n);
  });
});
