// Conservation (DESIGN.md property 5) under a seeded random sequence of deposits (ETH, a plain
// ERC-20 and a fee-on-transfer one; account creations and top-ups, some into accounts of another
// token), forced exits by owners and strangers, L1 operations paying a wrong fee or below the
// minimum deposit (refused, changing nothing), model-built batches with transfers, exits and fees
// (each consuming at least what the full-capacity rule demands, some after the grace has passed),
// and withdrawals. After every step, per token:
//   what the contract holds = Σ claimable + unprocessed deposits + Σ L2 balances of the model
//                             (+ for ETH: l1OpFee × unprocessed operations, the fees not yet earned),
// the on-chain root is the model's, and the submitter was credited exactly l1OpFee × operations
// consumed. Finally escape mode pays everything out (deposits and fees refunded) and leaves 0.
import { expect } from "chai";
import type { Contract } from "ethers";
import { L2Key } from "../../src/model/keys.js";
import { L1OpKind } from "../../src/model/l1op.js";
import { signTransfer, type SignedTransfer } from "../../src/model/tx.js";
import { alice, bob, carol, dave, deployer, deployWithMock, ethers, increaseTime, ModelSequencer, sequencer, type User } from "./fixture.js";
import { expectEvent, expectRevert, mined, seededBelow } from "./helpers.js";

const STEPS = 90;
const users = [alice, bob, carol, dave];

describe("Rollup conservation (random sequence, model-driven)", () => {
  it(`holds after each of ${STEPS} random steps and after an escape that pays everything out`, async () => {
    const f = await deployWithMock({ escapeDelay: 3600n, minDeposit: 100n });
    const seq = await ModelSequencer.create(f);
    let counter = 0;
    const rand = (n: number | bigint) => seededBelow(`conservation/${counter++}`, BigInt(n));
    const pick = <T>(xs: T[]): T => xs[Number(rand(xs.length))]!;

    // Tokens: 0 = ETH, 1 = plain ERC-20, 2 = fee-on-transfer (1%).
    const tokens: (Contract | undefined)[] = [undefined];
    for (const [name, args] of [
      ["TestERC20", ["Plain", "PLN"]],
      ["FeeOnTransferERC20", [100]],
    ] as const) {
      const t = await ethers.deployContract(name, [...args], deployer);
      await mined(f.as(deployer).registerToken(await t.getAddress(), 50n));
      for (const u of [...users, sequencer]) {
        await mined(t.getFunction("mint")(u.address, 10n ** 30n));
        await mined((t.connect(u) as Contract).getFunction("approve")(f.d.rollupAddress, 2n ** 256n - 1n));
      }
      tokens.push(t);
    }
    const held = async (tokenId: number) =>
      tokenId === 0 ? ethers.provider.getBalance(f.d.rollupAddress) : (tokens[tokenId]!.getFunction("balanceOf")(f.d.rollupAddress) as Promise<bigint>);

    const keys = new Map<bigint, L2Key>();
    const opFee = f.fee;
    const createAccount = async (u: User, tokenId: number, amount: bigint) => {
      const key = await L2Key.random();
      const a = f.as(u);
      await mined(tokenId === 0 ? a.depositETH(key.ax, key.ay, { value: amount + opFee }) : a.depositERC20(tokenId, amount, key.ax, key.ay, { value: opFee }));
      keys.set(await f.rollup.accountCount(), key);
    };
    // The sequencer's ETH fee account is account 1.
    await createAccount(sequencer, 0, 100n);
    const { receipt: firstBatch } = await seq.submit();
    expectEvent(firstBatch, f.rollup, "Credited", [sequencer.address, 0n, opFee]);
    const feeIdx = [1n];

    // At least both minimums (ETH 100, tokens 50; the fee-on-transfer token delivers 99 %).
    const amount = () => pick([200n + rand(10n ** 6n), 10n ** 15n * (1n + rand(1000n)), 123456789n]);
    /** Fees credited to the submitter so far: l1OpFee for every operation a batch consumed. */
    let feesEarned = opFee; // the first batch's

    const check = async (step: string) => {
      const queue = await seq.queue();
      expect(await f.rollup.stateRoot(), `${step}: root`).to.equal(seq.state.root);
      expect(BigInt(seq.processed) * opFee, `${step}: fees earned`).to.equal(feesEarned);
      const l2 = seq.l2Totals();
      for (let t = 0; t < tokens.length; t++) {
        let claimable = 0n;
        for (const u of [...users, sequencer]) claimable += await f.rollup.claimable(u.address, t);
        const unprocessed = queue.slice(seq.processed);
        const pending = unprocessed.filter((op) => op.kind !== L1OpKind.FORCE_EXIT && op.tokenId === BigInt(t)).reduce((s, op) => s + op.amount, 0n);
        const pendingFees = t === 0 ? BigInt(unprocessed.length) * opFee : 0n;
        expect(
          await held(t),
          `${step}: token ${t} held = claimable ${claimable} + pending ${pending} + fees ${pendingFees} + L2 ${l2.get(BigInt(t)) ?? 0n}`,
        ).to.equal(claimable + pending + pendingFees + (l2.get(BigInt(t)) ?? 0n));
      }
    };

    /**
     * The fewest operations the next batch may consume: all it has slots for, unless the first it
     * leaves out is younger than the grace (the contract's L1OpSkipped rule, from its queue times).
     */
    const minL1Count = async (pending: number): Promise<number> => {
      const max = Math.min(pending, f.params.l1Slots);
      const next = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 1n; // automine: the batch's block
      for (let k = 0; k < max; k++) {
        if (next - (await f.rollup.l1Ops(seq.processed + k)).queuedAt < f.d.policy.l1Grace) return k;
      }
      return max;
    };

    /** Valid transfers and exits from accounts the batch's L1 operations do not touch. */
    const randomTxs = (l1Count: number, queueRest: { kind: L1OpKind; accountIdx: bigint }[]): SignedTransfer[] => {
      const touched = new Set(
        queueRest
          .slice(0, l1Count)
          .filter((op) => op.kind === L1OpKind.FORCE_EXIT)
          .map((op) => op.accountIdx),
      );
      const spent = new Map<bigint, { balance: bigint; nonce: bigint }>();
      const txs: SignedTransfer[] = [];
      const accounts = seq.state.entries().filter(([i, a]) => i !== 1n && !touched.has(i) && a.balance > 0n);
      for (let k = 0; k < f.params.batchSize && accounts.length > 0; k++) {
        const [from, a] = pick(accounts);
        const s = spent.get(from) ?? { balance: a.balance, nonce: a.nonce };
        const fee = a.tokenId === 0n && s.balance > 15n ? rand(16n) : 0n;
        const value = s.balance - fee === 0n ? 0n : rand(s.balance - fee + 1n) % (1n << 35n); // < 2^35: always a float40
        const sameToken = seq.state.entries().filter(([i, b]) => i !== 1n && b.tokenId === a.tokenId && !touched.has(i));
        const to = rand(3n) === 0n ? 0n : pick(sameToken)[0];
        txs.push(signTransfer(seq.crypto.hash, keys.get(from)!, { from, to, amount: value, fee, nonce: s.nonce }, f.domain, f.params));
        spent.set(from, { balance: s.balance - value - fee, nonce: s.nonce + 1n });
      }
      return txs;
    };

    for (let step = 0; step < STEPS; step++) {
      const u = pick(users);
      const created = Number(await f.rollup.accountCount());
      const action = pick(["create", "create", "topUp", "forceExit", "refused", "batch", "batch", "batch", "withdraw", "wait"] as const);
      const label = `step ${step} (${action})`;
      if (action === "create" || created < 3) {
        await createAccount(u, Number(rand(tokens.length)), amount());
      } else if (action === "topUp") {
        const t = Number(rand(tokens.length)); // sometimes not the account's token: refunded by the batch
        const idx = 1 + Number(rand(created));
        const a = f.as(u);
        await mined(t === 0 ? a.depositETHTo(idx, { value: amount() + opFee }) : a.depositERC20To(idx, t, amount(), { value: opFee }));
      } else if (action === "forceExit") {
        const idx = 1 + Number(rand(created));
        const owner = (await f.rollup.accounts(idx)).owner;
        if (owner === u.address) await mined(f.as(u).forceExit(idx, { value: opFee }));
        else await expectRevert(f.as(u).forceExit(idx, { value: opFee }), f.rollup, "NotAccountOwner"); // only the owner may
      } else if (action === "refused") {
        // A wrong fee, or a deposit below the minimum: refused with its custom error, nothing changes.
        const a = f.as(u);
        const t = 1 + Number(rand(2));
        const cases: [() => Promise<unknown>, string][] = [
          [() => a.depositETH(1n, 2n, { value: opFee - 1n }), "WrongFee"],
          [() => a.depositETH(1n, 2n, { value: opFee + 99n }), "DepositTooSmall"],
          [() => a.depositETHTo(1, { value: opFee + 99n }), "DepositTooSmall"],
          [() => a.depositERC20(t, 1000n, 1n, 2n, { value: opFee + 1n }), "WrongFee"],
          [() => a.depositERC20To(1, t, 1000n, { value: 0n }), "WrongFee"],
          [() => a.depositERC20To(1, 1, 49n, { value: opFee }), "DepositTooSmall"],
          [() => a.forceExit(1, { value: opFee * 2n }), "WrongFee"],
        ];
        const [tx, error] = pick(cases);
        await expectRevert(tx(), f.rollup, error);
      } else if (action === "batch") {
        const queue = await seq.queue();
        const rest = queue.slice(seq.processed);
        const max = Math.min(rest.length, f.params.l1Slots);
        const min = await minL1Count(rest.length);
        const l1Count = min + Number(rand(max - min + 1));
        const { receipt } = await seq.submit({ l1Count, txs: randomTxs(l1Count, rest), feeIdx });
        // The batch's last credit: the fees of the operations it consumed, to its submitter.
        const credits = receipt.logs.map((l) => f.rollup.interface.parseLog(l)).filter((e) => e?.name === "Credited");
        if (l1Count > 0) expect([...credits.at(-1)!.args], `${label}: fee credit`).to.deep.equal([sequencer.address, 0n, BigInt(l1Count) * opFee]);
        feesEarned += BigInt(l1Count) * opFee;
      } else if (action === "wait") {
        await increaseTime(f.d.policy.l1Grace + 1n); // what is queued now must be consumed by the next batch
      } else {
        const t = Number(rand(tokens.length));
        if ((await f.rollup.claimable(u.address, t)) > 0n) await mined(f.as(u).withdraw(t));
      }
      await check(label);
    }
    expect(seq.processed).to.be.greaterThan(20);

    // Escape: whatever is pending waits past the deadline; every account and deposit is paid out.
    await mined(f.as(alice).depositETHTo(2, { value: 500n + opFee }));
    await mined(f.as(sequencer).forceExit(1, { value: opFee }));
    await increaseTime(3601n);
    await mined(f.as(alice).activateEscape());
    for (const [i, a] of seq.state.entries()) {
      const w = seq.state.witness(i);
      const owner = [...users, sequencer].find((x) => BigInt(x.address) === a.owner)!;
      await mined(f.as(owner).escapeWithdraw(i, a.ax, a.ay, a.balance, a.nonce, w.proof.flat()));
    }
    const queue = await seq.queue();
    // Every unprocessed operation: its deposit and its fee (a forced exit: only the fee) go back.
    for (const op of queue.slice(seq.processed)) await mined(f.as(alice).refundL1Op(op.queueIndex));
    for (const u of [...users, sequencer]) {
      for (let t = 0; t < tokens.length; t++) if ((await f.rollup.claimable(u.address, t)) > 0n) await mined(f.as(u).withdraw(t));
    }
    for (let t = 0; t < tokens.length; t++) expect(await held(t), `token ${t} left in the contract`).to.equal(0n);
  });
});
