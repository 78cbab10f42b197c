// Conservation (DESIGN.md property 5) under a seeded random sequence of deposits (ETH, a plain
// ERC-20 and a fee-on-transfer one; account creations and top-ups, some into accounts of another
// token), forced exits by owners and strangers, model-built batches with transfers, exits and fees,
// and withdrawals. After every step, per token:
//   what the contract holds = Σ claimable + unprocessed deposits + Σ L2 balances of the model,
// and the on-chain root is the model's. Finally escape mode pays everything out and leaves 0.
import { expect } from "chai";
import type { Contract } from "ethers";
import { L2Key } from "../../lib/keys.js";
import { L1OpKind } from "../../lib/l1.js";
import { signTransfer, type SignedTransfer } from "../../lib/tx.js";
import {
  alice,
  bob,
  carol,
  dave,
  deployer,
  deployWithMock,
  ethers,
  increaseTime,
  ModelSequencer,
  sequencer,
  type User,
} from "./fixture.js";
import { expectRevert, mined, seededBelow } from "./helpers.js";

const STEPS = 90;
const users = [alice, bob, carol, dave];

describe("Rollup conservation (random sequence, model-driven)", () => {
  it(`holds after each of ${STEPS} random steps and after an escape that pays everything out`, async () => {
    const f = await deployWithMock({ escapeDelay: 3600n });
    const seq = await ModelSequencer.create(f);
    let counter = 0;
    const rand = (n: number | bigint) => seededBelow(`conservation/${counter++}`, BigInt(n));
    const pick = <T>(xs: T[]): T => xs[Number(rand(xs.length))]!;

    // Tokens: 0 = ETH, 1 = plain ERC-20, 2 = fee-on-transfer (1%).
    const tokens: (Contract | undefined)[] = [undefined];
    for (const [name, args] of [["TestERC20", ["Plain", "PLN"]], ["FeeOnTransferERC20", [100]]] as const) {
      const t = await ethers.deployContract(name, [...args], deployer);
      await mined(f.as(deployer).registerToken(await t.getAddress()));
      for (const u of [...users, sequencer]) {
        await mined(t.getFunction("mint")(u.address, 10n ** 30n));
        await mined((t.connect(u) as Contract).getFunction("approve")(f.d.rollupAddress, 2n ** 256n - 1n));
      }
      tokens.push(t);
    }
    const held = async (tokenId: number) =>
      tokenId === 0 ? ethers.provider.getBalance(f.d.rollupAddress) : (tokens[tokenId]!.getFunction("balanceOf")(f.d.rollupAddress) as Promise<bigint>);

    const keys = new Map<bigint, L2Key>();
    const createAccount = async (u: User, tokenId: number, amount: bigint) => {
      const key = await L2Key.random();
      const a = f.as(u);
      await mined(tokenId === 0 ? a.depositETH(key.ax, key.ay, { value: amount }) : a.depositERC20(tokenId, amount, key.ax, key.ay));
      keys.set(await f.rollup.accountCount(), key);
    };
    // The sequencer's ETH fee account is account 1.
    await createAccount(sequencer, 0, 1n);
    await seq.submit();
    const feeIdx = [1n];

    const amount = () => pick([1n + rand(10n ** 6n), 10n ** 15n * (1n + rand(1000n)), 123456789n]);

    const check = async (step: string) => {
      const queue = await seq.queue();
      expect(await f.rollup.stateRoot(), `${step}: root`).to.equal(seq.state.root);
      const l2 = seq.l2Totals();
      for (let t = 0; t < tokens.length; t++) {
        let claimable = 0n;
        for (const u of [...users, sequencer]) claimable += await f.rollup.claimable(u.address, t);
        const pending = queue
          .slice(seq.processed)
          .filter((op) => op.kind !== L1OpKind.FORCE_EXIT && op.tokenId === BigInt(t))
          .reduce((s, op) => s + op.amount, 0n);
        expect(await held(t), `${step}: token ${t} held = claimable ${claimable} + pending ${pending} + L2 ${l2.get(BigInt(t)) ?? 0n}`).to.equal(
          claimable + pending + (l2.get(BigInt(t)) ?? 0n),
        );
      }
    };

    /** Valid transfers and exits from accounts the batch's L1 operations do not touch. */
    const randomTxs = (l1Count: number, queueRest: { kind: L1OpKind; accountIdx: bigint }[]): SignedTransfer[] => {
      const touched = new Set(queueRest.slice(0, l1Count).filter((op) => op.kind === L1OpKind.FORCE_EXIT).map((op) => op.accountIdx));
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
      const action = pick(["create", "create", "topUp", "forceExit", "batch", "batch", "batch", "withdraw"] as const);
      const label = `step ${step} (${action})`;
      if (action === "create" || created < 3) {
        await createAccount(u, Number(rand(tokens.length)), amount());
      } else if (action === "topUp") {
        const t = Number(rand(tokens.length)); // sometimes not the account's token: refunded by the batch
        const idx = 1 + Number(rand(created));
        const a = f.as(u);
        await mined(t === 0 ? a.depositETHTo(idx, { value: amount() }) : a.depositERC20To(idx, t, amount()));
      } else if (action === "forceExit") {
        const idx = 1 + Number(rand(created));
        const owner = (await f.rollup.accounts(idx)).owner;
        if (owner === u.address) await mined(f.as(u).forceExit(idx));
        else await expectRevert(f.as(u).forceExit(idx), f.rollup, "NotAccountOwner"); // only the owner may
      } else if (action === "batch") {
        const queue = await seq.queue();
        const rest = queue.slice(seq.processed);
        const l1Count = Number(rand(Math.min(rest.length, f.params.l1Slots) + 1));
        await seq.submit({ l1Count, txs: randomTxs(l1Count, rest), feeIdx });
      } else {
        const t = Number(rand(tokens.length));
        if ((await f.rollup.claimable(u.address, t)) > 0n) await mined(f.as(u).withdraw(t));
      }
      await check(label);
    }
    expect(seq.processed).to.be.greaterThan(20);

    // Escape: whatever is pending waits past the deadline; every account and deposit is paid out.
    await mined(f.as(alice).depositETHTo(2, { value: 5n }));
    await increaseTime(3601n);
    await mined(f.as(alice).activateEscape());
    for (const [i, a] of seq.state.entries()) {
      const w = seq.state.witness(i);
      const owner = [...users, sequencer].find((x) => BigInt(x.address) === a.owner)!;
      await mined(f.as(owner).escapeWithdraw(i, a.ax, a.ay, a.balance, a.nonce, w.proof.flat()));
    }
    const queue = await seq.queue();
    for (const op of queue.slice(seq.processed)) {
      if (op.kind !== L1OpKind.FORCE_EXIT) await mined(f.as(alice).refundDeposit(op.queueIndex));
    }
    for (const u of [...users, sequencer]) {
      for (let t = 0; t < tokens.length; t++) if ((await f.rollup.claimable(u.address, t)) > 0n) await mined(f.as(u).withdraw(t));
    }
    for (let t = 0; t < tokens.length; t++) expect(await held(t), `token ${t} left in the contract`).to.equal(0n);
  });
});
