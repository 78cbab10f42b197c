// L1 reorganisations at each point of the pipeline, on real processes: a `hardhat node` that
// mines only on transactions (so a batch stays "included" until the test mines blocks), a real
// `zkr sequencer` with its in-process prover and real proofs, `zkr deploy` / `zkr deposit` /
// `zkr rebuild`. A reorganisation is evm_snapshot … evm_revert, then blocks on the new branch.
// After each one the sequencer must recover by itself: every accepted transaction that is still
// valid ends final, the others are rejected with a reason, the root matches L1, and
// `zkr rebuild` (L1 data alone) agrees.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { L2Key } from "../../src/model/keys.js";
import { alive, type Background, freePort } from "../cli/helpers.js";
import { accountIn, Chain, expectConsistent, newWorld, outputAfter, pollUntil, type World } from "./world.js";
import { devAccount, type LocalChain, startHardhatNode } from "../../src/ops/index.js";

const MILLI = 10n ** 15n;

describe("L1 reorganisations (hardhat node, evm_snapshot / evm_revert, real sequencer and proofs)", function () {
  this.timeout(900_000);
  let dir: string;
  let local: LocalChain;
  let chain: Chain;
  const services: Background[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-reorg-"));
    local = await startHardhatNode(await freePort(), "127.0.0.1", { blockTimeMs: 0 });
    chain = new Chain(local);
  });
  after(async () => {
    for (const s of services) await s.stop("SIGKILL");
    chain?.close();
    await local?.stop();
    for (const s of services) expect(alive(s.pid), `process ${s.pid} left running`).to.equal(false);
    rmSync(dir, { recursive: true, force: true });
  });

  const world = (name: string, args: string[] = []) => newWorld(chain, dir, name, ["--confirmations", "3", ...args], (b) => services.push(b));

  /** Reverts to `snap` and mines past the highest block seen before, as a longer branch does. */
  async function reorg(snap: string): Promise<void> {
    const before = await chain.head();
    await chain.provider.send("evm_revert", [snap]);
    await chain.mine(before - (await chain.head()) + 2);
  }

  const consistent = (w: World) => expectConsistent(chain, w);

  it("an L1 deposit seen but not batched yet: L1 loses it, the sequencer drops it and takes the deposit L1 now holds at its place", async function () {
    const w = await world("seen", ["--max-in-flight", "1"]);
    // Batch K (a transfer) is proving and fills the one in-flight slot: a deposit now is seen, not batched.
    let mark = w.sequencer.output.length;
    const t1 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    await outputAfter(w.sequencer, mark, /built batch \d+ \(1 txs/, 60_000);
    const snap = await chain.snapshot();
    mark = w.sequencer.output.length;
    await w.deposit(3, await L2Key.random(), "1"); // carol
    await outputAfter(w.sequencer, mark, /1 new L1 operation/, 30_000);
    const seen = (await w.status()) as unknown as { l1OpsKnown: number; l1OpsConsumed: number };
    expect(seen).to.include({ l1OpsKnown: 3, l1OpsConsumed: 2 });

    await reorg(snap);
    await outputAfter(w.sequencer, mark, /1 L1 operation\(s\) dropped/, 60_000);
    // Dave's deposit takes queue index 2 and account #3 on the new branch.
    const dave = await L2Key.random();
    const daves = await w.deposit(4, dave, "2");
    await w.waitTx(t1, "final", { mine: true });
    const r = await consistent(w);
    expect(accountIn(r, 3)).to.include({ ax: dave.ax.toString(), balance: daves.toString() });
    expect(r.accounts).to.have.length(3);
  });

  it("batches proving on a deposit and a forced exit that L1 then loses: rewound, their transfers re-checked (the one to the lost account rejected), the rest final", async function () {
    const w = await world("proving");
    const snap = await chain.snapshot();
    const mark = w.sequencer.output.length;
    await w.deposit(3, await L2Key.random(), "1"); // carol: account #3, L1 operation 2
    await w.forceExit(2, 2n); // bob: L1 operation 3
    await pollUntil(
      async () => ((await w.status()) as unknown as { l1OpsConsumed: number }).l1OpsConsumed === 4,
      60_000,
      () => w.sequencer.output,
    );
    const n = Number((await outputAfter(w.sequencer, mark, /built batch (\d+) \(\d+ txs, [12] L1 ops/, 60_000))[1]);
    // Accepted against the state with carol's account and bob's balance paid out, while batch n is being proven.
    const toBob = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    const toCarol = await w.send(w.keys.alice, { from: 1n, to: 3n, amount: MILLI, nonce: 1n });
    expect(((await (await fetch(`${w.api}/v1/batches/${n}`)).json()) as { status: string }).status).to.equal("proving");

    await reorg(snap);
    await outputAfter(w.sequencer, mark, new RegExp(`rewound batch\\(es\\) ${n}\\.\\.`), 60_000);
    const rejected = await pollTx(w, toCarol, "rejected");
    expect(rejected.reason).to.match(/^ACCOUNT_REORGED: account #3 /);
    await w.waitTx(toBob, "final", { mine: true });
    const dave = await L2Key.random();
    const daves = await w.deposit(4, dave, "2");
    const r = await consistent(w);
    expect(accountIn(r, 3)).to.include({ ax: dave.ax.toString(), balance: daves.toString() });
    // Bob's forced exit is gone with the branch: he keeps his balance, and nothing is claimable on L1.
    expect(accountIn(r, 2)!.balance).to.equal((w.funded.bob + MILLI).toString());
    expect(await w.rollup.claimable(devAccount(2).address, 0n)).to.equal(0n);
    expect((await w.status()).reconciliations.last).to.include({ rewoundFrom: n, l1OpsFrom: 2, l1OpsDropped: 2 });
  });

  it("a batch included but not final: L1 loses it, the sequencer submits it again with its proof, and only then is it final", async function () {
    const w = await world("included");
    const snap = await chain.snapshot();
    const t1 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    const inc = await w.waitTx(t1, "included");
    await chain.mine(1); // 2 of the 3 confirmations
    await new Promise((r) => setTimeout(r, 1500));
    expect((await w.tx(t1)).status, "2 confirmations are not final").to.equal("included");
    const mark = w.sequencer.output.length;

    await reorg(snap);
    await outputAfter(w.sequencer, mark, /1 batch\(es\) to submit again/, 60_000);
    expect((await w.status()).reconciliations.last).to.deep.include({ resubmitted: [inc.batch], finalLost: [] });
    await w.waitTx(t1, "final", { mine: true });
    const t2 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 1n });
    await w.waitTx(t2, "final", { mine: true });
    const r = await consistent(w);
    expect(accountIn(r, 2)!.balance).to.equal((w.funded.bob + 2n * MILLI).toString());
    // Proven once: the batch L1 lost was not proven again.
    expect(w.sequencer.output.match(new RegExp(`batch ${inc.batch} proven`, "g"))).to.have.length(1);
  });

  it("a revert deeper than the confirmations (a final batch lost, the chain left shorter): detected, logged loudly, recovered", async function () {
    const w = await world("deep");
    const snap = await chain.snapshot();
    const t1 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 0n });
    const fin = await w.waitTx(t1, "final", { mine: true });
    const mark = w.sequencer.output.length;
    // No new block after the revert: the node's head stays below what the sequencer saw, which
    // it takes for a lagging node at first, then (after l1LagToleranceMs) for the chain.
    await chain.revert(snap, 0);
    await outputAfter(w.sequencer, mark, /L1 REORGANISATION DEEPER THAN THE FINALITY RULE \(3 confirmations\): batch\(es\) \d+/, 90_000);
    expect((await w.status()).reconciliations.last).to.deep.include({ finalLost: [fin.batch] });
    // The stored state included the lost final batch: stale, built again from the stored batches.
    await outputAfter(w.sequencer, mark, /the stored L2 state is stale \(a final batch is no longer final\): building it again/, 30_000);
    await w.waitTx(t1, "final", { mine: true });
    const t2 = await w.send(w.keys.alice, { from: 1n, to: 2n, amount: MILLI, nonce: 1n });
    await w.waitTx(t2, "final", { mine: true });
    const r = await consistent(w);
    expect(accountIn(r, 1)).to.include({ balance: (w.funded.alice - 2n * MILLI).toString() });
  });
});

/** Polls a transaction until it has `status` (rejected included), without mining. */
async function pollTx(w: World, id: string, status: string) {
  let t = await w.tx(id);
  await pollUntil(
    async () => (t = await w.tx(id)).status === status,
    120_000,
    () => `${JSON.stringify(t)}\n${w.sequencer.output}`,
  );
  return t;
}
