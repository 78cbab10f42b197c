// Issue 10, section 3: flooding the sequencer's mempool, with the real service (real HTTP, the
// SQLite store, the in-process chain, real proofs for the batches that run):
//  - past the global limit (503 MEMPOOL_FULL) and the per-sender limit (429 SENDER_LIMIT), and a
//    fee-0 spammer against the minimum fee (400 FEE_TOO_LOW): clear codes, nothing stored;
//  - the limits hold for what the database holds after a restart;
//  - what was accepted is batched fairly across senders and ends final with its fees;
//  - the cost of a submission, a nonce lookup, the status and a lookup by public key does not
//    grow with the pool or the history: the same statements, each through an index, reading the
//    same few rows, whether 10 or 2,000 transactions are pending (counted, not timed).
//  - a concurrent flood (300 requests at once, forged signatures among them, checked on worker
//    threads): at most the caps accepted, every 202 stored with consecutive nonces, no forgery in.
// The flood phases run the service with maxInFlight 0 (it accepts but builds nothing), so the
// pool holds exactly what the test sent.
import { expect } from "chai";
import type { RollupDeployment } from "../../src/chain/deploy.js";
import type { L2Key } from "../../src/model/keys.js";
import { signTransfer, transferId, transferToJSON, type Domain, type SignedTransfer, type Transfer } from "../../src/model/tx.js";
import type { ZkrCrypto } from "../../src/model/crypto.js";
import type { SequencerOptions } from "../../src/sequencer/service.js";
import type { SequencerStore } from "../../src/sequencer/store.js";
import { alice, bob, carol, dave, deployer, sequencer as seqSigner } from "../contracts/fixture.js";
import { deployTestRollup, ETH, FEE, keys, mined, params } from "../e2e/helpers.js";
import { ServedSequencer } from "./served.js";
import { SqlSpy, type Executed } from "./sqlspy.js";

const FEES = 4n;
const MIN = 1000n; // minimum fee of ETH in the flood phases (1·10^3: a float8 value)
const LIMITS = { maxPending: 5, maxPendingPerSender: 2, minFee: new Map([[0n, MIN]]), feeIdx: [FEES] } satisfies Partial<SequencerOptions>;

describe("flooding the mempool (real HTTP, real proofs)", function () {
  let d: RollupDeployment;
  let crypto: ZkrCrypto;
  let served: ServedSequencer;
  let store: SequencerStore;
  let spy: SqlSpy;
  let k: L2Key[];
  let domain: Domain;

  /** Starts the service with `opts` on the database as it is (after stopping the one running). */
  const run = (opts: Partial<SequencerOptions>) => served.serve(opts);
  const tx = (who: number, t: Omit<Transfer, "from">): SignedTransfer => signTransfer(crypto.hash, k[who - 1], { from: BigInt(who), ...t }, domain, params);
  const idOf = (t: SignedTransfer) => "0x" + transferId(crypto.hash, t, domain, params).toString(16).padStart(64, "0");
  const post = (t: SignedTransfer) =>
    fetch(`${served.url}/v1/txs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(transferToJSON(t)) });
  async function expectAnswer(t: SignedTransfer, status: number, code?: string): Promise<void> {
    const r = await post(t);
    const body = (await r.json()) as { error?: { code: string; message: string }; status?: string };
    expect(r.status, JSON.stringify(body)).to.equal(status);
    if (code) {
      expect(body.error!.code).to.equal(code);
      expect(body.error!.message).to.be.a("string").and.not.equal("");
      expect((await fetch(`${served.url}/v1/txs/${idOf(t)}`)).status, "a refused transaction is not stored").to.equal(404);
    }
  }
  const nextNonce = async (i: number) => ((await (await fetch(`${served.url}/v1/accounts/${i}`)).json()) as { nextNonce: string }).nextNonce;

  before(async () => {
    const w = await deployTestRollup(deployer, seqSigner);
    ({ d, domain, crypto } = w);
    k = await keys(4);
    for (const [who, i] of [
      [alice, 0],
      [bob, 1],
      [carol, 2],
      [dave, 3],
    ] as const) {
      await mined(d.rollup.connect(who).depositETH(k[i].ax, k[i].ay, { value: (i === 3 ? ETH / 100n : ETH) + FEE })); // 1..3 users, 4 the fee account
    }
    served = ServedSequencer.create(w);
    store = served.store;
    spy = new SqlSpy(store.db);
    const s = await run({ feeIdx: [FEES] });
    await s.seq.drain(120_000);
    expect(s.seq.state.size).to.equal(4);
  });

  after(() => served?.close());

  it("refuses fee-0 spam (400 FEE_TOO_LOW), a sender past its limit (429 SENDER_LIMIT) and anyone past the global limit (503 MEMPOOL_FULL), storing nothing", async () => {
    const { seq } = await run({ ...LIMITS, maxInFlight: 0 });
    const root = seq.state.root;
    await expectAnswer(tx(1, { to: 1n, amount: 1n, fee: 0n, nonce: 0n }), 400, "FEE_TOO_LOW"); // the fee-0 self-transfer spammer
    await expectAnswer(tx(1, { to: 2n, amount: 1n, fee: 900n, nonce: 0n }), 400, "FEE_TOO_LOW");
    await expectAnswer(tx(1, { to: 2n, amount: 1n, fee: MIN, nonce: 0n }), 202);
    await expectAnswer(tx(1, { to: 2n, amount: 1n, fee: 2n * MIN, nonce: 1n }), 202);
    await expectAnswer(tx(1, { to: 2n, amount: 1n, fee: 3n * MIN, nonce: 2n }), 429, "SENDER_LIMIT"); // a higher fee does not lift the limit
    expect(await nextNonce(1)).to.equal("2");
    await expectAnswer(tx(2, { to: 3n, amount: 1n, fee: MIN, nonce: 0n }), 202);
    await expectAnswer(tx(2, { to: 3n, amount: 1n, fee: MIN, nonce: 1n }), 202);
    await expectAnswer(tx(3, { to: 1n, amount: 1n, fee: MIN, nonce: 0n }), 202); // 5 pending: the limit
    await expectAnswer(tx(3, { to: 1n, amount: 1n, fee: MIN, nonce: 1n }), 503, "MEMPOOL_FULL");
    await expectAnswer(tx(2, { to: 1n, amount: 1n, fee: MIN, nonce: 2n }), 503, "MEMPOOL_FULL");
    expect(store.countTxs()).to.deep.equal({ pending: 5, batched: 0, proven: 0, included: 0, final: 0, rejected: 0 });
    expect(seq.status().mempool).to.deep.include({ pending: 5, senders: 3, maxPending: 5, maxPendingPerSender: 2, minFee: { "0": "1000" } });
    expect(seq.state.root).to.equal(root);
  });

  it("keeps the limits across a restart: the pool is what the database holds", async () => {
    const { seq } = await run({ ...LIMITS, maxInFlight: 0 });
    expect(seq.status().mempool.pending).to.equal(5);
    await expectAnswer(tx(3, { to: 1n, amount: 1n, fee: MIN, nonce: 1n }), 503, "MEMPOOL_FULL");
    expect(await nextNonce(1)).to.equal("2");
    expect(await nextNonce(3)).to.equal("1");
  });

  it("batches what was accepted fairly across senders (one per sender per round, higher fee first within a round), and finalizes it with its fees", async () => {
    const feesBefore = served.seq.state.account(FEES)!.balance;
    const lastBefore = store.lastBatch()!.number;
    const { seq } = await run(LIMITS);
    await seq.drain(180_000);
    const senders = (n: number) => store.txsByIds(store.batch(n)!.txIds).map((r) => Number(r.tx.from));
    // round 0: 1, 2, 3 (same fee, arrival order); round 1: 1 (fee 2·MIN) before 2 — never 1, 1 first
    expect([senders(lastBefore + 1), senders(lastBefore + 2), senders(lastBefore + 3)]).to.deep.equal([[1, 2], [3, 1], [2]]);
    expect(store.countTxs()).to.include({ pending: 0, final: 5 });
    expect(seq.state.account(FEES)!.balance - feesBefore).to.equal(6n * MIN);
    expect(await d.rollup.stateRoot()).to.equal(seq.state.root);
  });

  it("answers a submission, a nonce, the status and a lookup by key with the same few indexed reads at 10 and at 2,000 pending", async () => {
    let fake = 0;
    /** Stored as pending by an earlier run (no signature needed: nothing here verifies them again). */
    const fill = (n: number) =>
      store.transaction(() => {
        for (let i = 0; i < n; i++, fake++) {
          const t = { from: 1000n + BigInt(fake), to: 1n, amount: 1n, fee: 0n, nonce: 0n, signature: { R8x: 0n, R8y: 1n, S: 0n } };
          store.addTx("0x" + (0xf00000 + fake).toString(16).padStart(64, "0"), t);
        }
      });
    /** Starts the service on the database as it is, then records what each request runs. */
    async function measure() {
      await served.stop();
      spy.recording = true;
      const r = await run({ feeIdx: [FEES], maxInFlight: 0, maxPending: 100_000 });
      spy.recording = false;
      const startup = spy.executed.splice(0);
      const body = transferToJSON(tx(1, { to: 2n, amount: 1n, fee: MIN, nonce: r.seq.nextNonce(1n)! }));
      await r.seq.stop(); // the loop's reads stay out of the window below; the API and admission still run
      const submit = (await spy.duringAsync(() => r.seq.submitTx(body))).executed; // admission, then its group commit
      const nonceOf = spy.during(() => r.seq.nextNonce(1n)).executed;
      const status = spy.during(() => r.seq.status()).executed;
      let scans = 0;
      const entries = r.seq.state.entries.bind(r.seq.state);
      r.seq.state.entries = () => (scans++, entries());
      const byKey = (await (await fetch(`${r.url}/v1/accounts?ax=${k[0].ax}&ay=${k[0].ay}`)).json()) as { accounts: { index: string }[] };
      return { pending: store.countTxs().pending, startup, submit, nonceOf, status, byKey: byKey.accounts.map((a) => a.index), scans };
    }
    fill(10);
    const small = await measure();
    fill(2000 - small.pending);
    const big = await measure();
    expect([small.pending, big.pending], "pending after each submission").to.deep.equal([11, 2001]);

    const shape = (xs: Executed[]) => xs.map((x) => `${x.rows} ← ${x.sql}`);
    for (const what of ["submit", "nonceOf", "status"] as const) {
      expect(shape(big[what]), `${what}: the same statements and rows at 2,000 pending as at 10`).to.deep.equal(shape(small[what]));
      for (const x of big[what]) {
        expect(spy.scans(x.sql), `${what} runs ${x.sql}`).to.deep.equal([]);
        expect(x.rows, `${what}: ${x.sql}`).to.be.at.most(5);
      }
    }
    expect(big.nonceOf, "a nonce lookup needs no SQL").to.deep.equal([]);
    for (const m of [small, big]) {
      expect(m.byKey).to.deep.equal(["1"]);
      expect(m.scans, "a lookup by key does not walk the accounts").to.equal(0);
    }
    // start-up: the stored state, then the batches after it (none: all are final, nothing is
    // replayed), and one pass over the pending transactions
    for (const s of [small.startup, big.startup]) {
      expect(
        s.filter((x) => /^SELECT \* FROM batches WHERE number >= \? ORDER BY number$/.test(x.sql)).map((x) => x.rows),
        "the batches after the stored state read once at start, none of them",
      ).to.deep.equal([0]);
      expect(
        s.filter((x) => /FROM txs WHERE status = 'pending'/.test(x.sql)),
        "pending read once at start",
      ).to.have.length(1);
    }
  });

  it("holds its limits under a concurrent flood with the signatures checked on worker threads: 300 requests at once, at most the caps accepted, each 202 stored, the rest refused with a code, the service answering throughout", async () => {
    const { SignatureVerifierPool } = await import("../../src/proving/signaturePool.js");
    const sigPool = await SignatureVerifierPool.create({ threads: 2 });
    try {
      // The pending transactions the case before left (10 + 1990 of unknown senders, 1 of sender 1) count against the limit: above it.
      const before = store.countTxs().pending;
      const { seq } = await run({ feeIdx: [FEES], maxInFlight: 0, maxPending: before + 40, maxPendingPerSender: 16, signaturePool: sigPool });
      // The checks wait until the flood is being checked (10 waiting, or 5 s), so that their answers
      // come back together as under load, whatever this machine's speed: the group commit's sharing
      // asserted below does not then depend on how fast the requests are read.
      let open!: () => void;
      const gate = new Promise<void>((r) => (open = r));
      const verify = sigPool.verify.bind(sigPool);
      sigPool.verify = async (c) => (await gate, verify(c));
      const t0 = Date.now();
      const poll = setInterval(() => {
        if (seq.status().mempool.checking >= 10 || Date.now() - t0 > 5000) {
          clearInterval(poll);
          open();
        }
      }, 5);
      const nonces = [1n, 2n, 3n].map((who) => seq.nextNonce(who)!);
      const flushes = store.commits.flushes;
      // Senders 1..3, 100 consecutive nonces each, interleaved, plus bad signatures; all sent at once.
      const flood: SignedTransfer[] = [];
      for (let n = 0n; n < 100n; n++)
        for (const who of [1, 2, 3]) flood.push(tx(who, { to: (BigInt(who) % 3n) + 1n, amount: 1n, fee: 0n, nonce: nonces[who - 1]! + n }));
      const forged = flood.slice(0, 30).map((t) => ({ ...t, amount: t.amount + 1n })); // same nonces, signatures of other amounts
      const answers = await Promise.all(
        [...flood, ...forged].map(async (t) => {
          const r = await post(t);
          const b = (await r.json()) as { error?: { code: string } };
          return { t, status: r.status, code: b.error?.code };
        }),
      );
      const status = await fetch(`${served.url}/v1/status`);
      expect(status.status, "the service still answers").to.equal(200);
      const accepted = answers.filter((a) => a.status === 202);
      const codes = new Set(answers.filter((a) => a.status !== 202).map((a) => a.code));
      for (const c of codes) expect(["MEMPOOL_FULL", "SENDER_LIMIT", "BAD_NONCE", "BAD_SIGNATURE", "DUPLICATE"], `refusal code ${c}`).to.include(c);
      expect(accepted.length, "at most maxPending accepted").to.be.within(1, 40);
      for (const who of [1n, 2n, 3n]) expect(accepted.filter((a) => a.t.from === who).length, `sender ${who}: at most 16`).to.be.at.most(16);
      expect(
        accepted.filter((a) => forged.includes(a.t)),
        "no forged transfer accepted",
      ).to.deep.equal([]);
      expect(codes.has("SENDER_LIMIT") || codes.has("MEMPOOL_FULL"), "the caps were reached").to.equal(true);
      // Every 202 is in the database, pending, and nothing else is.
      expect(store.countTxs().pending).to.equal(before + accepted.length);
      expect(seq.status().mempool.pending).to.equal(before + accepted.length);
      for (const a of answers)
        expect(Boolean(store.tx(idOf(a.t))) && store.tx(idOf(a.t))!.tx.amount === a.t.amount, `stored: ${a.status}`).to.equal(a.status === 202);
      // each sender's accepted nonces are consecutive from its next nonce: no gap was admitted
      for (const who of [1n, 2n, 3n]) {
        const ns = accepted
          .filter((a) => a.t.from === who)
          .map((a) => a.t.nonce)
          .sort((x, y) => (x < y ? -1 : 1));
        expect(ns, `sender ${who}`).to.deep.equal(ns.map((_, i) => nonces[Number(who) - 1]! + BigInt(i)));
      }
      expect(seq.status().mempool.groupCommits!.flushes - flushes, "commits shared among transfers").to.be.below(accepted.length);
      await served.stop();
    } finally {
      await sigPool.close();
    }
  });
});
