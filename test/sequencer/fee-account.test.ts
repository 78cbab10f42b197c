// Issue 10, section 2, with the real service: the sequencer over HTTP on its SQLite store, the
// in-process chain, the real verifier and real proofs. An ERC-20 deposit fills the fee account
// of that token to 2^128 − 1 while a transaction paying a fee in it waits: before the fix the
// batch builder threw BALANCE_OVERFLOW on the fee credit and the service retried the same batch
// forever (no deposit or transfer was processed again). Now that transaction is rejected with
// FEE_ACCOUNT_FULL, the next ones are refused at the door with the same code (503), and honest
// transfers and deposits keep becoming final. Every wait is bounded.
import { expect } from "chai";
import type { Contract } from "ethers";
import { MAX_BALANCE } from "../../src/model/account.js";
import type { RollupDeployment } from "../../src/chain/deploy.js";
import type { L2Key } from "../../src/model/keys.js";
import { signTransfer, transferToJSON, type Domain, type Transfer } from "../../src/model/tx.js";
import type { Sequencer } from "../../src/sequencer/service.js";
import { alice, bob, carol, dave, deployer, ethers, sequencer as seqSigner } from "../contracts/fixture.js";
import { deployTestRollup, ETH, FEE, keys, mined, params } from "../e2e/helpers.js";
import { ServedSequencer } from "./served.js";

const TST = 10n ** 18n;
const A = 1n; // alice, ETH
const B = 2n; // bob, ETH
const FEES = 3n; // the fee account of TST
const U = 4n; // TST
const V = 5n; // TST

describe("a fee account filled to 2^128 − 1 does not stop the sequencer (real HTTP, real proofs)", function () {
  let d: RollupDeployment;
  let token: Contract;
  let served: ServedSequencer;
  let seq: Sequencer;
  let url: string;
  let k: L2Key[];
  let domain: Domain;

  const post = (body: string) => fetch(`${url}/v1/txs`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const sign = (who: bigint, t: Omit<Transfer, "from">) =>
    JSON.stringify(transferToJSON(signTransfer(seq.state.crypto.hash, k[Number(who) - 1], { from: who, ...t }, domain, params)));
  async function accepted(body: string): Promise<string> {
    const r = await post(body);
    const j = (await r.json()) as { id: string };
    expect(r.status, JSON.stringify(j)).to.equal(202);
    return j.id;
  }
  /** Polls the transaction until it has `status` (and fails at once on another end state); at most `ms`. */
  async function until(id: string, status: "final" | "rejected", ms = 90_000): Promise<{ status: string; reason: string | null }> {
    const t0 = Date.now();
    for (;;) {
      const r = (await (await fetch(`${url}/v1/txs/${id}`)).json()) as { status: string; reason: string | null };
      if (r.status === status) return r;
      if (r.status === (status === "final" ? "rejected" : "final")) throw new Error(`tx ${id} ended ${r.status}: ${r.reason}`);
      if (Date.now() - t0 > ms)
        throw new Error(`tx ${id} still ${r.status} after ${ms} ms; sequencer: ${JSON.stringify(seq.status().lastError ?? "no error")}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  async function untilTrue(what: string, ok: () => Promise<boolean> | boolean, ms = 90_000) {
    const t0 = Date.now();
    while (!(await ok())) {
      if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms; sequencer: ${JSON.stringify(seq.status().lastError ?? "no error")}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
  const l2 = (i: bigint) => seq.state.account(i)!.balance;

  before(async () => {
    const w = await deployTestRollup(deployer, seqSigner);
    ({ d, domain } = w);
    token = (await ethers.deployContract("TestERC20", ["Test token", "TST"])) as unknown as Contract;
    await mined(d.rollup.connect(deployer).registerToken(await token.getAddress(), 1n)); // token 1
    for (const u of [carol, dave]) {
      await mined(token.connect(u).getFunction("mint")(u.address, 2n ** 129n));
      await mined(token.connect(u).getFunction("approve")(d.rollupAddress, 2n ** 129n));
    }
    k = await keys(5);
    const r = (s: typeof alice) => d.rollup.connect(s);
    await mined(r(alice).depositETH(k[0].ax, k[0].ay, { value: 2n * ETH + FEE })); // 1
    await mined(r(bob).depositETH(k[1].ax, k[1].ay, { value: ETH + FEE })); // 2
    await mined(r(carol).depositERC20(1, TST, k[2].ax, k[2].ay, { value: FEE })); // 3: fee account of TST
    await mined(r(carol).depositERC20(1, 100n * TST, k[3].ax, k[3].ay, { value: FEE })); // 4
    await mined(r(dave).depositERC20(1, TST, k[4].ax, k[4].ay, { value: FEE })); // 5
    served = ServedSequencer.create(w);
    // A long batch timeout: a lone transaction waits for a second one or an L1 operation, so the
    // fee-paying transaction below is still pending when the filling deposit arrives.
    ({ seq, url } = await served.serve({ feeIdx: [FEES], batchTimeoutMs: 60_000 }));
    await seq.drain(120_000);
    expect(seq.state.size).to.equal(5);
    expect(seq.state.account(FEES)).to.include({ tokenId: 1n, balance: TST });
  });

  after(() => served?.close());

  it("rejects the transaction whose fee overflows with FEE_ACCOUNT_FULL, refuses the next ones (503), and finalizes honest transfers and deposits", async () => {
    const finalBefore = seq.status().batches.final;
    // 1. a TST transfer paying a fee, accepted while the fee account has room
    const paying = await accepted(sign(U, { to: V, amount: 10n * TST, fee: 1n, nonce: 0n }));
    // 2. an L1 deposit fills the fee account: it applies before the transaction in the next batch
    await mined(d.rollup.connect(dave).depositERC20To(Number(FEES), 1, MAX_BALANCE - TST, { value: FEE }));
    // 3. the batch builds without the transaction, which ends rejected with a clear reason
    const r = await until(paying, "rejected", 60_000);
    expect(r.reason).to.match(/^FEE_ACCOUNT_FULL: fee account 3 cannot take this batch's fees/);
    await untilTrue("the filling deposit final on L1", async () => (await d.rollup.l1Processed()) === 6n && seq.status().batches.inFlight.length === 0);
    expect(l2(FEES)).to.equal(MAX_BALANCE);
    expect(seq.state.account(U)).to.include({ balance: 100n * TST, nonce: 0n });

    // 4. the next fee-paying transaction of that token is refused at the door
    const refused = await post(sign(U, { to: V, amount: 9n * TST, fee: 1n, nonce: 0n }));
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(refused.status, JSON.stringify(body)).to.equal(503);
    expect(body.error.code).to.equal("FEE_ACCOUNT_FULL");
    expect(body.error.message).to.match(/fee account 3 \(token 1\) has no room/);

    // 5. honest transfers (ETH, and TST without a fee) and an honest deposit become final
    const eth = await accepted(sign(A, { to: B, amount: ETH / 2n, fee: 0n, nonce: 0n }));
    const tst = await accepted(sign(U, { to: V, amount: 10n * TST, fee: 0n, nonce: 0n }));
    await mined(d.rollup.connect(bob).depositETHTo(Number(B), { value: ETH + FEE }));
    await until(eth, "final");
    await until(tst, "final");
    await untilTrue("bob's deposit applied and final", async () => (await d.rollup.l1Processed()) === 7n && seq.status().batches.inFlight.length === 0);
    expect([l2(A), l2(B), l2(U), l2(V)]).to.deep.equal([2n * ETH - ETH / 2n, ETH + ETH / 2n + ETH, 90n * TST, 11n * TST]);
    const s = seq.status();
    expect(s.lastError, "no batch failed to build").to.equal(undefined);
    expect(s.batches.final).to.be.greaterThan(finalBefore + 1);
    expect(s.batches.final).to.equal(s.batches.total);
    expect(await d.rollup.stateRoot()).to.equal(seq.state.root);
  });

  it("once the operator takes fees out of the full account, fee-paying transactions of its token are accepted and credited again", async () => {
    const exit = await accepted(sign(FEES, { to: 0n, amount: TST, fee: 0n, nonce: 0n }));
    const companion = await accepted(sign(A, { to: B, amount: 1n, fee: 0n, nonce: 1n })); // two pending: a batch is due
    await until(exit, "final");
    await until(companion, "final");
    expect(await d.rollup.claimable(carol.address, 1)).to.equal(TST);
    const paying = await accepted(sign(U, { to: V, amount: TST, fee: 1n, nonce: 1n }));
    await accepted(sign(A, { to: B, amount: 1n, fee: 0n, nonce: 2n }));
    await until(paying, "final");
    expect(l2(FEES)).to.equal(MAX_BALANCE - TST + 1n);
    expect(await d.rollup.stateRoot()).to.equal(seq.state.root);
  });
});
