// When the fallback opens (Rollup.sol fallbackOpenAfter, submitFallbackBatch's gate), over a
// MockVerifier: fallbackDelay after the earlier of the sequencer's last batch and the oldest waiting
// L1 operation; a sequencer batch moves it, a fallback batch does not; escape mode ends it. The
// fallback batches themselves, with real proofs, are test/e2e/fallback.test.ts.
import { expect } from "chai";
import { alice, bob, carol, deployWithMock, ethers, increaseTime, ModelSequencer, TEST_POLICY } from "./fixture.js";
import { expectRevert, mined } from "./helpers.js";

const latest = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
const DELAY = TEST_POLICY.fallbackDelay;

describe("Rollup fallback: when anyone may submit batches", () => {
  it("opens fallbackDelay after the sequencer's last batch or the oldest waiting L1 operation, whichever is earlier", async () => {
    const f = await deployWithMock();
    const deployedAt = BigInt((await ethers.provider.getBlock(f.d.blockNumber))!.timestamp);
    // Nothing yet: the deployment counts as the sequencer's last batch.
    expect(await f.rollup.lastSequencerBatchAt()).to.equal(deployedAt);
    expect(await f.rollup.fallbackOpenAfter()).to.equal(deployedAt + DELAY);
    await increaseTime(100n);
    await mined(f.as(alice).depositETH(1n, 2n, { value: 5n + f.fee })); // queued after the deployment: changes nothing
    expect(await f.rollup.fallbackOpenAfter()).to.equal(deployedAt + DELAY);

    const seq = await ModelSequencer.create(f);
    await seq.submit();
    const b1 = await latest();
    expect(await f.rollup.lastSequencerBatchAt()).to.equal(b1);
    expect(await f.rollup.fallbackOpenAfter()).to.equal(b1 + DELAY);

    // An operation the sequencer leaves waiting (l1Count 0, inside the grace) while it goes on posting:
    // the operation's wait opens the fallback, not the sequencer's silence.
    await increaseTime(10n);
    await mined(f.as(bob).depositETH(3n, 4n, { value: 7n + f.fee }));
    const queuedAt = await latest();
    await increaseTime(10n);
    await seq.submit({ l1Count: 0 });
    expect((await f.rollup.lastSequencerBatchAt()) > queuedAt).to.equal(true);
    expect(await f.rollup.fallbackOpenAfter()).to.equal(queuedAt + DELAY);

    // Until then a fallback batch is refused, whatever its data; the last second still belongs to the sequencer.
    const noop = () => f.as(carol).submitFallbackBatch(seq.state.root, 0, "0x", "0x00", "0x", 0n, Array(8).fill(0n));
    await expectRevert(noop(), f.rollup, "FallbackNotOpen", [queuedAt + DELAY]);
    await ethers.provider.send("evm_setNextBlockTimestamp", [Number(queuedAt + DELAY - 1n)]);
    await expectRevert(noop(), f.rollup, "FallbackNotOpen", [queuedAt + DELAY]);
  });

  it("is closed for good by escape mode", async () => {
    const f = await deployWithMock();
    await mined(f.as(alice).depositETH(1n, 2n, { value: 5n + f.fee }));
    await increaseTime(TEST_POLICY.escapeDelay + 1n);
    await mined(f.as(bob).activateEscape());
    await expectRevert(f.as(carol).submitFallbackBatch(0n, 0, "0x", "0x00", "0x", 0n, Array(8).fill(0n)), f.rollup, "EscapeMode");
  });
});
