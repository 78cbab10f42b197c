// One encoding per batch (issue 10, section 5), with the mock verifier pinned to the model's public
// signals: the contract refuses posted padding (TrailingPadding), the only field of the batch
// calldata that had a second encoding with the same public inputs, and the L1 readers (readBatches,
// decodeBatchCall, rebuildFromL1, which `zkr rebuild` and `zkr escape withdraw` use) rebuild the
// state from every encoding the contract accepts: submitBatch and submitBatches, empty txData,
// full batches, exits at transaction-group boundaries, partial last groups, and ABI-level variants
// of the same arguments (reordered dynamic sections, dirty padding, trailing bytes). The mock
// accepts any proof, so the contract's own check is what rejects the padded encoding here.
import { expect } from "chai";
import { AbiCoder, concat, dataSlice, getBytes, hexlify, toBeHex, type TransactionResponse, zeroPadValue } from "ethers";
import { concatBytes } from "../../src/model/bytes.js";
import { L2Key } from "../../src/model/keys.js";
import { readBatches, rebuildFromL1 } from "../../src/chain/rebuild.js";
import { type DerivedParams, deriveParams } from "../../src/model/params.js";
import { getInstance } from "../../src/proving/instances.js";
import { publicSignalsFor } from "../../src/model/publicInputs.js";
import { signTransfer, type SignedTransfer } from "../../src/model/tx.js";
import { alice, bob, type Built, deployWithMock, type Fixture, ModelSequencer, sequencer } from "./fixture.js";
import { expectRevert, mined } from "./helpers.js";

const ONE_ETH = 10n ** 18n;

/** D = 4 with 7 slots: 3 transactions per group (8 bytes each), groups of 3, 3 and 1. */
const P7 = deriveParams({ name: "d4_b7", description: "3 groups, the last partial", depth: 4, batchSize: 7, l1Slots: 2, feeSlots: 1 });

/** A raw transaction mined successfully. */
async function sent(tx: Promise<TransactionResponse>): Promise<void> {
  const r = await (await tx).wait();
  expect(r?.status, "raw transaction").to.equal(1);
}

/** Transactions per data coefficient (docs/PROTOCOL.md "Public inputs"). */
const perGroup = (p: DerivedParams) => Math.floor(31 / p.txBytes);

interface World {
  f: Fixture;
  seq: ModelSequencer;
  keys: L2Key[];
  nonces: bigint[];
}

/** A rollup of `p` with `n` accounts (1: the fee account), each with 10 ETH, all processed. */
async function world(p: DerivedParams, n: number): Promise<World> {
  const f = await deployWithMock({ params: p });
  const seq = await ModelSequencer.create(f);
  const keys: L2Key[] = [];
  for (let i = 0; i < n; i++) {
    keys.push(await L2Key.random());
    await mined(f.as(i % 2 ? bob : alice).depositETH(keys[i]!.ax, keys[i]!.ay, { value: 10n * ONE_ETH + f.fee }));
  }
  while (seq.processed < n) await seq.submit(); // empty txData, L1 operations only
  return { f, seq, keys, nonces: keys.map(() => 0n) };
}

/** Signed transactions: `exits` holds the slot positions that are exits (to = 0), the rest transfers. */
function txs(w: World, count: number, exits: number[] = []): SignedTransfer[] {
  const n = w.keys.length;
  return Array.from({ length: count }, (_, i) => {
    const from = 2 + (i % (n - 1)); // never the fee account
    const to = exits.includes(i) ? 0n : BigInt(2 + ((i + 1) % (n - 1)));
    const t = { from: BigInt(from), to, amount: 1000n + BigInt(i), fee: 10n, nonce: w.nonces[from - 1]!++ };
    return signTransfer(w.seq.crypto.hash, w.keys[from - 1]!, t, w.f.domain, w.f.params);
  });
}

/** Submits `built` with submitBatches (the mock pinned to exactly their proofs and signals). */
async function submitMany(w: World, built: Built[]) {
  await w.seq.expectBatches(built);
  try {
    const r = await mined(
      w.f.rollup.submitBatches(
        built.map((b) => b.data),
        built.map((b) => b.proof),
      ),
    );
    w.seq.commit(...built);
    return r;
  } catch (e) {
    w.seq.rollback(...built);
    throw e;
  }
}

/** Rebuilds from L1 alone and checks the state, every batch's posted data and the root on L1. */
async function expectRebuilt(w: World) {
  const rebuilt = await rebuildFromL1(w.seq.crypto, w.f.params, w.f.rollup, w.f.d.blockNumber);
  expect(rebuilt.state.root).to.equal(w.seq.state.root);
  expect(rebuilt.onChainRoot).to.equal(w.seq.state.root);
  expect(rebuilt.state.entries()).to.deep.equal(w.seq.state.entries());
  return rebuilt;
}

describe("canonical batch data: one encoding per batch, and the L1 readers rebuild every accepted one", () => {
  for (const p of [P7, getInstance("prod_d12_b32")]) {
    const k = perGroup(p);
    it(`${p.name} (${k} transactions per group): submitBatch and submitBatches; empty, full, exits at group boundaries, partial last groups`, async () => {
      const w = await world(p, 5);
      const fee = [1n];
      // submitBatch: a full batch, then exits at the end of group 0 and the start of group 1 with
      // a partial last group (k + 1 transactions), then a single exit (a partial first group).
      await w.seq.submit({ txs: txs(w, p.batchSize), feeIdx: fee });
      await w.seq.submit({ txs: txs(w, k + 1, [k - 1, k]), feeIdx: fee });
      await w.seq.submit({ txs: txs(w, 1, [0]), feeIdx: fee });
      // submitBatches: an operation with empty txData, a full batch of exits, and a partial group.
      await mined(w.f.as(alice).depositETHTo(2, { value: ONE_ETH + w.f.fee }));
      const b1 = await w.seq.build({ feeIdx: fee });
      const b2 = await w.seq.build({ txs: txs(w, p.batchSize, [...Array(p.batchSize).keys()]), feeIdx: fee });
      const b3 = await w.seq.build({ txs: txs(w, 2 * k - 1, [2 * k - 2]), feeIdx: fee });
      await submitMany(w, [b1, b2, b3]);
      // submitBatches with one batch.
      await submitMany(w, [await w.seq.build({ txs: txs(w, 2), feeIdx: fee })]);

      const rebuilt = await expectRebuilt(w);
      const counts = rebuilt.batches.map((b) => b.data.txData.length / p.txBytes);
      expect(counts.slice(-7)).to.deep.equal([p.batchSize, k + 1, 1, 0, p.batchSize, 2 * k - 1, 2]);
      expect(rebuilt.batches.at(-2)!.data.txData).to.deep.equal(getBytes(b3.data.txData as string));
      // Every exit was credited to its owner by the contract (the readers agree with it).
      expect((await w.f.rollup.claimable(alice.address, 0)) + (await w.f.rollup.claimable(bob.address, 0)) > 0n).to.equal(true);
    });
  }

  it("the readers decode ABI-level variants of the same submitBatch arguments (reordered sections, dirty padding, trailing bytes)", async () => {
    const w = await world(P7, 3);
    const b = await w.seq.build({ txs: txs(w, 4, [3]), feeIdx: [1n] });
    await mined(w.f.mock.expectCall(b.proof, b.batch.publicSignals));
    const selector = w.f.rollup.interface.getFunction("submitBatch")!.selector;
    // Head: newRoot, l1Count, three offsets, commitment, proof[8]; then the dynamic sections, here
    // in reverse order, each padded with 0xff bytes instead of zeros, and 32 junk bytes at the end.
    const word = (x: bigint | number) => zeroPadValue(toBeHex(x), 32);
    const section = (hex: string) => {
      const bytes = getBytes(hex);
      const padded = new Uint8Array(Math.ceil(bytes.length / 32) * 32).fill(0xff);
      padded.set(bytes);
      return concat([word(bytes.length), padded]);
    };
    const [l1Results, feeIdx, txData] = [b.data.l1Results as string, b.data.feeIdx as string, b.data.txData as string].map(section) as [string, string, string];
    const headBytes = 32 * (6 + 8);
    const offTx = headBytes;
    const offFee = offTx + getBytes(txData).length;
    const offL1 = offFee + getBytes(feeIdx).length;
    const data = concat([
      selector,
      word(b.batch.data.newRoot),
      word(b.l1Count),
      word(offL1),
      word(offFee),
      word(offTx),
      word(b.batch.data.commitment),
      ...b.proof.map(word),
      txData,
      feeIdx,
      l1Results,
      "0x" + "ab".repeat(32),
    ]);
    // The contract decodes exactly the canonical arguments from it.
    const canonical = w.f.rollup.interface.encodeFunctionData("submitBatch", [...b.args]);
    expect(hexlify(data)).to.not.equal(canonical);
    expect(
      AbiCoder.defaultAbiCoder().decode(["uint256", "uint8", "bytes", "bytes", "bytes", "uint256", "uint256[8]"], dataSlice(data, 4)).toArray().map(String),
    ).to.deep.equal(
      AbiCoder.defaultAbiCoder()
        .decode(["uint256", "uint8", "bytes", "bytes", "bytes", "uint256", "uint256[8]"], dataSlice(canonical, 4))
        .toArray()
        .map(String),
    );
    await sent(sequencer.sendTransaction({ to: w.f.d.rollupAddress, data }));
    w.seq.commit(b);
    // submitBatches with trailing junk after its arguments.
    const c = await w.seq.build({ txs: txs(w, 1), feeIdx: [1n] });
    await w.seq.expectBatches([c]);
    await sent(
      sequencer.sendTransaction({
        to: w.f.d.rollupAddress,
        data: concat([w.f.rollup.interface.encodeFunctionData("submitBatches", [[c.data], [c.proof]]), "0x" + "cd".repeat(7)]),
      }),
    );
    w.seq.commit(c);

    const rebuilt = await expectRebuilt(w);
    const posted = rebuilt.batches.slice(-2);
    expect(posted.map((x) => hexlify(x.data.txData))).to.deep.equal([b.data.txData, c.data.txData]);
    expect(posted.map((x) => hexlify(x.data.feeIdx))).to.deep.equal([b.data.feeIdx, c.data.feeIdx]);
    expect(posted[0]!.proof).to.deep.equal(b.proof);
  });

  describe("posted padding is refused (it would be a second encoding with the same public inputs)", () => {
    for (const p of [P7, getInstance("prod_d12_b32")]) {
      it(`${p.name}: submitBatch and submitBatches with trailing zero transactions revert with TrailingPadding and change nothing`, async () => {
        const w = await world(p, 3);
        const b = await w.seq.build({ txs: txs(w, 2), feeIdx: [1n] });
        const zeros = (n: number) => new Uint8Array(n * p.txBytes);
        const realTx = getBytes(b.data.txData as string);
        for (const extra of [1, p.batchSize - 2]) {
          const padded = concatBytes([realTx, zeros(extra)]);
          // The same coefficients, hence the same public signals: the mock would accept the proof.
          const data = {
            ...b.batch.data,
            oldRoot: b.batch.oldRoot,
            chainId: w.f.domain.chainId,
            rollupAddress: w.f.domain.rollupAddress,
            l1HashEnd: b.batch.l1HashEnd,
          };
          expect(publicSignalsFor({ ...data, txData: padded }, p, b.batch.data.commitment)).to.deep.equal(b.batch.publicSignals);
          const args = [b.batch.data.newRoot, b.l1Count, b.data.l1Results, b.data.feeIdx, padded, b.batch.data.commitment, b.proof] as const;
          await mined(w.f.mock.expectCall(b.proof, b.batch.publicSignals));
          const last = BigInt(2 + extra - 1);
          const before = [await w.f.rollup.stateRoot(), await w.f.rollup.batchNumber()];
          await expectRevert(w.f.rollup.submitBatch(...args), w.f.rollup, "TrailingPadding", [last]);
          await expectRevert(
            w.f.rollup.publicInputs(b.batch.data.newRoot, b.l1Count, b.data.l1Results, b.data.feeIdx, padded, b.batch.data.commitment),
            w.f.rollup,
            "TrailingPadding",
            [last],
          );
          await w.seq.expectBatches([b]);
          await expectRevert(w.f.rollup.submitBatches([{ ...b.data, txData: padded }], [b.proof]), w.f.rollup, "TrailingPadding", [last]);
          expect([await w.f.rollup.stateRoot(), await w.f.rollup.batchNumber()]).to.deep.equal(before);
        }
        // Only padding, no transaction at all.
        await expectRevert(
          w.f.rollup.submitBatch(b.batch.data.newRoot, b.l1Count, b.data.l1Results, b.data.feeIdx, zeros(p.batchSize), b.batch.data.commitment, b.proof),
          w.f.rollup,
          "TrailingPadding",
          [BigInt(p.batchSize - 1)],
        );
        // The canonical encoding is accepted.
        await mined(w.f.mock.expectCall(b.proof, b.batch.publicSignals));
        await mined(w.f.rollup.submitBatch(...b.args));
        w.seq.commit(b);
        await expectRebuilt(w);
      });
    }

    it("a padding slot before a real transaction is left to the circuit (which puts padding last): the readers name it", async () => {
      // The contract checks only the last posted transaction (O(1)); with the circuit's rule that
      // padding slots come after every real one, no proof exists for this data. The mock accepts
      // anything, so here it lands on L1, and rebuild refuses to read it as state.
      const w = await world(P7, 3);
      const b = await w.seq.build({ txs: txs(w, 1), feeIdx: [1n] });
      const inner = concatBytes([new Uint8Array(P7.txBytes), getBytes(b.data.txData as string)]);
      const signals = await w.f.rollup.publicInputs(b.batch.data.newRoot, b.l1Count, b.data.l1Results, b.data.feeIdx, inner, b.batch.data.commitment);
      await mined(w.f.mock.expectCall(b.proof, [...signals]));
      await mined(w.f.rollup.submitBatch(b.batch.data.newRoot, b.l1Count, b.data.l1Results, b.data.feeIdx, inner, b.batch.data.commitment, b.proof));
      let error: unknown;
      await rebuildFromL1(w.seq.crypto, P7, w.f.rollup, w.f.d.blockNumber).catch((e: unknown) => (error = e));
      expect(String(error)).to.match(/batch 3: posted transaction 0 is padding \(from = 0\), which no valid batch posts/);
      expect((await readBatches(w.f.rollup, w.f.d.blockNumber)).at(-1)!.data.txData).to.deep.equal(inner);
    });
  });
});
