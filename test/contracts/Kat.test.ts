// Rollup.sol against the known-answer vectors of test/vectors/kat.json, through its own entry
// points: the L1-operation chain step (the queue events of deposits and a forced exit sent from
// the vectors' owner addresses), the batch public inputs (publicInputs of the Rollup's code placed
// at the vector's rollup address), float40 decoding (exits credited on L1) and the account leaf
// (escapeWithdraw against a root holding the vectors' leaves). The data commitment is not computed
// on L1 (the sequencer posts it): the contract side checks z and y for the vector's commitment.
// The model (test/model/kat.test.ts) and the circuits (test/circuits/kat.test.ts) check the same file.
import { expect } from "chai";
import { toBeHex, zeroPadValue } from "ethers";
import { concatBytes, toBytesBE, toHex } from "../../src/model/bytes.js";
import { rollupAt } from "../../src/chain/deploy.js";
import { AccountTree } from "../../src/model/tree.js";
import { alice, chainId, crypto, deployer, deployWithMock, ethers, increaseTime } from "./fixture.js";
import { expectEvent, expectRevert, mined } from "./helpers.js";
import { big, kat } from "../vectors/kat.js";

/** A signer for `address` (impersonated on the in-process network, with some ETH). */
async function impersonate(address: string) {
  await ethers.provider.send("hardhat_impersonateAccount", [address]);
  await ethers.provider.send("hardhat_setBalance", [address, toBeHex(10n ** 20n)]);
  return ethers.getSigner(address);
}

const [create, deposit, forceExit, create2, forceTransfer] = kat.l1Op.chain;

/** Queues the vectors' L1 operations on `rollup` from their owners; checks each queue event against the vector. */
async function queueChain(rollup: ReturnType<typeof rollupAt>, fee: bigint, ops: typeof kat.l1Op.chain) {
  for (const [n, v] of ops.entries()) {
    const owner = await impersonate(v.owner);
    const r = rollup.connect(owner);
    const tx =
      v === create || v === create2
        ? r.depositETH(big(v.ax), big(v.ay), { value: big(v.amount) + fee })
        : v === deposit
          ? r.depositETHTo(big(v.accountIdx), { value: big(v.amount) + fee })
          : v === forceExit
            ? r.forceExit(big(v.accountIdx), { value: fee })
            : v === forceTransfer
              ? r.forceTransfer(big(v.accountIdx), big(v.ax), big(v.amount), { value: fee })
              : undefined;
    if (!tx) throw new Error(`no L1 entry point for vector ${v.name}`);
    const receipt = await mined(tx);
    expectEvent(receipt, rollup, "L1OpQueued", [
      BigInt(n),
      BigInt(v.kind),
      big(v.accountIdx),
      ethers.getAddress(v.owner),
      big(v.tokenId),
      big(v.amount),
      big(v.ax),
      big(v.ay),
      big(v.hash),
    ]);
    expect(await rollup.l1ChainHash(n + 1), v.name).to.equal(big(v.hash));
  }
}

describe("known-answer vectors: Rollup.sol (test/vectors/kat.json)", () => {
  it("queues the L1-operation vectors with their e1 packing and chain hashes", async () => {
    const f = await deployWithMock();
    expect(kat.l1Op.chain.map((v) => v.kind)).to.deep.equal([1, 2, 3, 1, 4]);
    expect(await f.rollup.l1ChainHash(0)).to.equal(big(create!.prev));
    await queueChain(f.rollup, f.fee, kat.l1Op.chain);
  });

  it("derives the batch vector's challenge and evaluation (publicInputs, at the vector's rollup address and chain)", async () => {
    const v = kat.publicInputs.batch;
    expect(chainId, "the vector's chain is Hardhat's").to.equal(big(v.chainId));
    const f = await deployWithMock(); // the test instance, the vector's
    expect(f.params.name).to.equal(v.instance);
    // The Rollup's runtime code (its immutables included) at the vector's address, with empty
    // storage but the state root, which is written into the slot that holds it.
    const at = ethers.getAddress(v.rollupAddress);
    await ethers.provider.send("hardhat_setCode", [at, await ethers.provider.getCode(f.d.rollupAddress)]);
    const root = await f.rollup.stateRoot();
    const slots: number[] = [];
    for (let s = 0; s < 32; s++) if (BigInt(await ethers.provider.getStorage(f.d.rollupAddress, s)) === root) slots.push(s);
    expect(slots, "the storage slot of stateRoot").to.have.length(1);
    await ethers.provider.send("hardhat_setStorageAt", [at, toBeHex(slots[0]!), zeroPadValue(toBeHex(big(v.oldRoot)), 32)]);
    const copy = rollupAt(at, deployer);
    expect(await copy.stateRoot()).to.equal(big(v.oldRoot));
    // the queue up to l1HashEnd: the first two L1-operation vectors, queued at this address
    expect(v.l1HashEnd).to.equal(deposit!.hash);
    await queueChain(copy, f.fee, [create!, deposit!]);
    const signals = await copy.publicInputs(big(v.newRoot), v.l1Count, v.l1ResultsData, v.feeIdxData, v.txData, big(v.commitment));
    expect([...signals]).to.deep.equal([big(v.evaluation), big(v.challenge)]);
  });

  it("credits exits with the float40 vectors' values, and accepts the leaf vectors' openings in escapeWithdraw", async () => {
    const f = await deployWithMock(); // TEST_POLICY: an hour's escape delay, 10 minutes' grace
    const p = f.params;
    const token = await ethers.deployContract("TestERC20", ["Token", "TKN"], deployer);
    await mined(f.as(deployer).registerToken(await token.getAddress(), 1n)); // token id 1
    await mined(token.getFunction("mint")(alice.address, 10n ** 24n));
    await mined(token.connect(alice).getFunction("approve")(f.d.rollupAddress, 10n ** 24n));
    // The leaf vectors the contract can hold (it assigns token ids 0, 1, ... in order; the
    // vector of token 2^32 - 1 needs 2^32 registered tokens), each alice's account.
    const leaves = kat.accountLeaf.filter((v) => big(v.tokenId) <= 1n);
    expect(kat.accountLeaf.length - leaves.length, "only the token-2^32-1 vector is left out").to.equal(1);
    expect(leaves.map((v) => v.tokenId)).to.include.members(["0", "1"]);
    const a = f.as(alice);
    const index = new Map<(typeof leaves)[number], bigint>();
    for (const [i, v] of leaves.entries()) {
      await mined(v.tokenId === "0" ? a.depositETH(1n, 2n, { value: 1n + f.fee }) : a.depositERC20(1, 1000n, 1n, 2n, { value: f.fee }));
      index.set(v, BigInt(i + 1));
    }
    expect(leaves[0]!.tokenId, "account 1 holds ETH").to.equal("0");

    // One exit from account 1 per batch (the mock verifier accepts every proof; the queued
    // CREATEs are younger than the grace and stay queued): Credited carries the decoded amount.
    const floats = [...kat.float40.encode, ...kat.float40.decode];
    let batches = 0;
    const submit = (newRoot: bigint, txData: Uint8Array) =>
      mined(f.rollup.submitBatch(newRoot, 0, "0x", toHex(new Uint8Array(p.idxBytes)), toHex(txData), 0n, Array(8).fill(0n)));
    for (const v of floats) {
      const exit = concatBytes([toBytesBE(1n, p.idxBytes), toBytesBE(0n, p.idxBytes), toBytesBE(big(v.packed), 5), toBytesBE(0n, 1)]);
      const receipt = await submit(BigInt(++batches), exit);
      const credited = receipt.logs.map((l) => f.rollup.interface.parseLog(l)).filter((e) => e?.name === "Credited");
      if (big(v.value) === 0n) expect(credited, `${v.name}: nothing credited`).to.have.length(0);
      else expectEvent(receipt, f.rollup, "Credited", [alice.address, 0n, big(v.value)]);
    }
    expect(await f.rollup.claimable(alice.address, 0)).to.equal(floats.reduce((s, v) => s + big(v.value), 0n));

    // A root holding the leaf vectors' values (not recomputed) at their accounts' indexes.
    const tree = new AccountTree(p.depth, (await crypto()).hash);
    for (const v of leaves) tree.update(index.get(v)!, big(v.leaf));
    await submit(tree.root, new Uint8Array());
    await increaseTime(3601n);
    await mined(f.as(alice).activateEscape());
    const first = leaves[0]!;
    const args = (v: (typeof leaves)[number], nonce = big(v.nonce)) =>
      [index.get(v)!, big(v.ax), big(v.ay), big(v.balance), nonce, tree.proof(index.get(v)!).flat()] as const;
    await expectRevert(a.escapeWithdraw(...args(first, big(first.nonce) + 1n)), f.rollup, "InvalidMerkleProof");
    for (const v of leaves) {
      const receipt = await mined(a.escapeWithdraw(...args(v)));
      expectEvent(receipt, f.rollup, "EscapeWithdrawal", [index.get(v)!, alice.address, big(v.tokenId), big(v.balance)]);
    }
  });
});
