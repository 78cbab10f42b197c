// End to end with real proofs: ETH and ERC-20 deposits create accounts, transfers, exits and a
// forced exit are proven and accepted on L1, owners pull their withdrawals to the wei, the
// contract holds exactly what L2 and the pending withdrawals add up to, and the whole state
// is rebuilt from L1 alone.
import { expect } from "chai";
import type { Contract } from "ethers";
import { readBatches, rebuildFromL1, verifyBatchFromL1, verifyPostedBatch } from "../../src/chain/rebuild.js";
import { signTransfer } from "../../src/model/tx.js";
import { alice, bob, carol, dave, deployer, ethers, sequencer } from "../contracts/fixture.js";
import { closeProver, ETH, FEE, keys, mined, newWorld, params, type World } from "./helpers.js";
import { expectRevert } from "../contracts/helpers.js";

describe("bridge end to end (real verifier, real proofs)", function () {
  let w: World;
  let token: Contract;
  let k: Awaited<ReturnType<typeof keys>>;
  const TST = 10n ** 18n;

  before(async () => {
    w = await newWorld(deployer, sequencer, { feeIdx: [1n] });
    k = await keys(5);
    token = (await ethers.deployContract("TestERC20", ["Test token", "TST"])) as unknown as Contract;
    await mined(w.d.rollup.connect(deployer).registerToken(await token.getAddress(), 1n));
    for (const u of [carol, dave]) {
      await mined(token.connect(u).getFunction("mint")(u.address, 1000n * TST));
      await mined(token.connect(u).getFunction("approve")(w.d.rollupAddress, 1000n * TST));
    }
  });
  after(closeProver);

  const balances = () => [1n, 2n, 3n, 4n, 5n].map((i) => w.state.account(i)?.balance);

  it("deposits of ETH and an ERC-20 create accounts 1..5; a deposit into the wrong token's account is refunded", async () => {
    const r = (s: typeof alice) => w.d.rollup.connect(s);
    await mined(r(sequencer).depositETH(k[0].ax, k[0].ay, { value: ETH / 100n + FEE })); // 1: fee account
    await mined(r(alice).depositETH(k[1].ax, k[1].ay, { value: 5n * ETH + FEE })); // 2
    await mined(r(bob).depositETH(k[2].ax, k[2].ay, { value: ETH + FEE })); // 3
    await mined(r(carol).depositERC20(1, 1000n * TST, k[3].ax, k[3].ay, { value: FEE })); // 4
    await mined(r(dave).depositERC20(1, TST, k[4].ax, k[4].ay, { value: FEE })); // 5
    await mined(r(bob).depositETHTo(4, { value: ETH + FEE })); // ETH into a TST account: refunded
    for (let b = 0; b < 3; b++) await w.submit();
    expect(await w.d.rollup.l1Processed()).to.equal(6n);
    expect(balances()).to.deep.equal([ETH / 100n, 5n * ETH, ETH, 1000n * TST, TST]);
    expect(await w.d.rollup.claimable(bob.address, 0)).to.equal(ETH);
    expect(await w.d.rollup.stateRoot()).to.equal(w.state.root);
  });

  it("transfers in both tokens, then exits, are proven and final", async () => {
    const sign = (i: number, t: { from: bigint; to: bigint; amount: bigint; fee: bigint; nonce: bigint }) =>
      signTransfer(w.crypto.hash, k[i], t, w.domain, params);
    const transfers = await w.submit([
      sign(1, { from: 2n, to: 3n, amount: (3n * ETH) / 2n, fee: 10n ** 15n, nonce: 0n }),
      sign(3, { from: 4n, to: 5n, amount: 100n * TST, fee: 0n, nonce: 0n }),
    ]);
    expect(transfers.batch.rejected).to.deep.equal([]);
    console.log(`      submitBatch with 2 transfers: ${transfers.receipt.gasUsed} gas; proof ${(transfers.proof.proveMs / 1000).toFixed(1)} s`);
    const exits = await w.submit([
      sign(2, { from: 3n, to: 0n, amount: ETH / 2n, fee: 0n, nonce: 0n }),
      sign(4, { from: 5n, to: 0n, amount: 50n * TST, fee: 0n, nonce: 0n }),
    ]);
    expect(exits.batch.txs).to.have.length(2);
    expect(balances()).to.deep.equal([ETH / 100n + 10n ** 15n, 5n * ETH - (3n * ETH) / 2n - 10n ** 15n, 2n * ETH, 900n * TST, 51n * TST]);
    expect(await w.d.rollup.claimable(bob.address, 0)).to.equal(ETH + ETH / 2n);
    expect(await w.d.rollup.claimable(dave.address, 1)).to.equal(50n * TST);
  });

  it("a forced exit by the owner pays out the whole balance; the contract refuses one by anyone else", async () => {
    await mined(w.d.rollup.connect(carol).forceExit(4, { value: FEE }));
    await expectRevert(w.d.rollup.connect(dave).forceExit(2, { value: FEE }), w.d.rollup, "NotAccountOwner"); // alice's account
    const b = await w.submit();
    expect(b.batch.l1Results).to.deep.equal([900n * TST]);
    expect(w.state.account(4n)!.balance).to.equal(0n);
    expect(w.state.account(2n)!.balance).to.equal(5n * ETH - (3n * ETH) / 2n - 10n ** 15n);
    expect(await w.d.rollup.claimable(carol.address, 1)).to.equal(900n * TST);
    expect(await w.d.rollup.claimable(dave.address, 0)).to.equal(0n);
  });

  it("owners pull their withdrawals to the wei; the contract holds exactly L2 balances plus pending withdrawals (the fees among them)", async () => {
    // The sequencer submitted every batch: it was credited the fee of each of the 7 L1 operations.
    expect(await w.d.rollup.claimable(sequencer.address, 0)).to.equal(7n * FEE);
    const before = await ethers.provider.getBalance(bob.address);
    const r = await mined(w.d.rollup.connect(bob).withdraw(0));
    expect(await ethers.provider.getBalance(bob.address)).to.equal(before + ETH + ETH / 2n - r.gasUsed * r.gasPrice);
    for (const [u, amount] of [
      [dave, 50n * TST],
      [carol, 900n * TST],
    ] as const) {
      const t0 = (await token.getFunction("balanceOf")(u.address)) as bigint;
      await mined(w.d.rollup.connect(u).withdraw(1));
      expect(await token.getFunction("balanceOf")(u.address)).to.equal(t0 + amount);
    }
    await w.d.rollup
      .connect(bob)
      .withdraw(0)
      .then(
        () => expect.fail("a second withdrawal paid out"),
        () => {},
      );

    const users = [deployer, sequencer, alice, bob, carol, dave].map((u) => u.address);
    for (const [tokenId, held] of [
      [0n, await ethers.provider.getBalance(w.d.rollupAddress)],
      [1n, (await token.getFunction("balanceOf")(w.d.rollupAddress)) as bigint],
    ] as const) {
      const l2 = w.state
        .entries()
        .filter(([, a]) => a.tokenId === tokenId)
        .reduce((s, [, a]) => s + a.balance, 0n);
      let pending = 0n;
      for (const u of users) pending += await w.d.rollup.claimable(u, tokenId);
      expect(held, `token ${tokenId}`).to.equal(l2 + pending);
    }
  });

  it("rebuilds the whole L2 state from L1 events and calldata alone", async () => {
    const rebuilt = await rebuildFromL1(w.crypto, params, w.d.rollup, w.d.blockNumber);
    expect(rebuilt.batches).to.have.length(6);
    expect(rebuilt.state.root).to.equal(w.state.root);
    expect(rebuilt.state.entries()).to.deep.equal(w.state.entries());
  });

  it("re-verifies a batch's proof from L1 data, and fails on tampered data or proof", async () => {
    const ok = await verifyBatchFromL1(params, w.d.rollup, w.d.blockNumber, 4n, w.manifest.vkey);
    expect(ok.proofValid).to.equal(true);
    expect(ok.rootConsistent).to.equal(true);
    // The same checks of the batch as read from L1, with its data or its proof altered.
    const batches = await readBatches(w.d.rollup, w.d.blockNumber);
    const [b4, b5] = [batches[3]!, batches[4]];
    const same = await verifyPostedBatch(params, w.d.rollup, b4, b5, w.manifest.vkey);
    expect(same).to.deep.include({ proofValid: true, commitmentValid: true, rootConsistent: true });
    const txData = b4.data.txData.slice();
    txData[2] ^= 1;
    const badData = await verifyPostedBatch(params, w.d.rollup, { ...b4, data: { ...b4.data, txData } }, b5, w.manifest.vkey);
    expect(badData.proofValid).to.equal(false);
    const badProof = await verifyPostedBatch(
      params,
      w.d.rollup,
      { ...b4, proof: [b4.proof[0], b4.proof[1], b4.proof[3], b4.proof[2], b4.proof[4], b4.proof[5], b4.proof[6], b4.proof[7]] },
      b5,
      w.manifest.vkey,
    );
    expect(badProof.proofValid).to.equal(false);
  });
});
