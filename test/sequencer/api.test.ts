// The sequencer over real HTTP on loopback, with the in-process chain, the real verifier and
// real proofs: a valid transfer goes pending → final on L1; every kind of bad request gets a
// clear 4xx and changes nothing.
import { expect } from "chai";
import type { RollupDeployment } from "../../src/chain/deploy.js";
import type { L2Key } from "../../src/model/keys.js";
import { signTransfer, transferToJSON, type Domain } from "../../src/model/tx.js";
import type { Sequencer } from "../../src/sequencer/service.js";
import type { SequencerStore } from "../../src/sequencer/store.js";
import { alice, bob, deployer, sequencer as seqSigner } from "../contracts/fixture.js";
import { deployTestRollup, ETH, FEE, keys, mined, params } from "../e2e/helpers.js";
import { ServedSequencer } from "./served.js";

describe("sequencer HTTP API (real HTTP, real proofs)", function () {
  let d: RollupDeployment;
  let served: ServedSequencer;
  let store: SequencerStore;
  let seq: Sequencer;
  let url: string;
  let k: L2Key[];
  let domain: Domain;

  const post = (body: string, type = "application/json") => fetch(`${url}/v1/txs`, { method: "POST", headers: { "content-type": type }, body });
  const get = (p: string) => fetch(`${url}${p}`);
  const sign = (i: number, t: { from: bigint; to: bigint; amount: bigint; fee: bigint; nonce: bigint }) =>
    JSON.stringify(transferToJSON(signTransfer(seq.state.crypto.hash, k[i], t, domain, params)));
  async function waitFor(id: string, status: string, ms = 120_000) {
    const t0 = Date.now();
    for (;;) {
      const r = (await (await get(`/v1/txs/${id}`)).json()) as { status: string; reason?: string };
      if (r.status === status) return r;
      if (r.status === "rejected" || Date.now() - t0 > ms) throw new Error(`tx ${id}: ${JSON.stringify(r)}`);
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  before(async () => {
    const w = await deployTestRollup(deployer, seqSigner);
    ({ d, domain } = w);
    k = await keys(2);
    await mined(d.rollup.connect(alice).depositETH(k[0].ax, k[0].ay, { value: 2n * ETH + FEE })); // 1
    await mined(d.rollup.connect(bob).depositETH(k[1].ax, k[1].ay, { value: ETH + FEE })); // 2
    served = ServedSequencer.create(w);
    store = served.store;
    ({ seq, url } = await served.serve());
    await seq.drain(); // the two deposits
    expect(seq.state.size).to.equal(2);
  });

  after(() => served?.close());

  it("accepts a valid transfer (202 pending) that ends final on L1", async () => {
    const r = await post(sign(0, { from: 1n, to: 2n, amount: ETH / 2n, fee: 0n, nonce: 0n }));
    expect(r.status).to.equal(202);
    const body = (await r.json()) as { id: string; status: string };
    expect(body.status).to.equal("pending");
    await waitFor(body.id, "final");
    expect(await d.rollup.stateRoot()).to.equal(seq.state.root);
    const a = (await (await get("/v1/accounts/1")).json()) as { balance: string; nonce: string; nextNonce: string };
    expect(a).to.include({ balance: ((3n * ETH) / 2n).toString(), nonce: "1", nextNonce: "1" });
    const byKey = (await (await get(`/v1/accounts?ax=${k[1].ax}&ay=${k[1].ay}`)).json()) as { accounts: { index: string }[] };
    expect(byKey.accounts.map((x) => x.index)).to.deep.equal(["2"]);
    const byOwner = (await (await get(`/v1/accounts?owner=${(await alice.getAddress()).toLowerCase()}`)).json()) as {
      accounts: { index: string; owner: string }[];
    };
    expect(byOwner.accounts.map((x) => [x.index, x.owner])).to.deep.equal([["1", (await alice.getAddress()).toLowerCase()]]);
    expect(((await (await get(`/v1/accounts?owner=0x${"0".repeat(39)}7`)).json()) as { accounts: unknown[] }).accounts).to.deep.equal([]);
    const batch = (await (await get("/v1/batches/2")).json()) as { status: string; txs: string[] };
    expect(batch).to.include({ status: "final" });
    expect(batch.txs).to.deep.equal([body.id]);
    const status = (await (await get("/v1/status")).json()) as { lastProof: { batch: number; worker: string; prover: string; witness: string } };
    expect(status.lastProof).to.include({ batch: 2, worker: "local", prover: "snarkjs", witness: "wasm" });
  });

  it("rejects bad requests with a clear 4xx and changes nothing", async () => {
    const root = seq.state.root;
    const counts = JSON.stringify(store.countTxs());
    const valid = sign(1, { from: 2n, to: 1n, amount: 1n, fee: 0n, nonce: 0n });
    const cases: [Promise<Response>, number, string][] = [
      [post("{not json"), 400, "BAD_REQUEST"],
      [post(JSON.stringify({ from: "1" })), 400, "BAD_FORMAT"],
      [post(JSON.stringify({ ...JSON.parse(valid), amount: "2" })), 400, "BAD_SIGNATURE"],
      [post(sign(0, { from: 1n, to: 2n, amount: 1n, fee: 0n, nonce: 0n })), 400, "BAD_NONCE"], // nonce 0 was used
      [post(sign(0, { from: 1n, to: 2n, amount: 2n * ETH, fee: 0n, nonce: 1n })), 400, "INSUFFICIENT_BALANCE"],
      [post(sign(0, { from: 1n, to: 77n, amount: 1n, fee: 0n, nonce: 1n })), 404, "UNKNOWN_ACCOUNT"],
      [post(JSON.stringify({ ...JSON.parse(valid), amount: "123456789012345678901" })), 400, "BAD_FORMAT"], // not a float40
      [post(JSON.stringify({ pad: "x".repeat(20_000) })), 413, "BODY_TOO_LARGE"],
      [post(valid, "text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"],
      [get("/v1/txs/0x1234"), 400, "BAD_REQUEST"],
      [get(`/v1/txs/0x${"ab".repeat(32)}`), 404, "NOT_FOUND"],
      [get("/v1/accounts/99"), 404, "UNKNOWN_ACCOUNT"],
      [get("/v1/accounts?owner=0x1234"), 400, "BAD_REQUEST"],
      [get(`/v1/accounts?ax=1&ay=2&owner=0x${"0".repeat(40)}`), 400, "BAD_REQUEST"],
      [get("/v1/accounts?ax=1"), 400, "BAD_REQUEST"],
      [get("/v1/batches/99"), 404, "NOT_FOUND"],
    ];
    for (const [req, status, code] of cases) {
      const r = await req;
      const body = (await r.json()) as { error: { code: string; message: string } };
      expect(r.status, JSON.stringify(body)).to.equal(status);
      expect(body.error.code).to.equal(code);
      expect(body.error.message).to.be.a("string").and.not.equal("");
    }
    expect(JSON.stringify(store.countTxs())).to.equal(counts);
    expect(seq.state.root).to.equal(root);
  });

  it("a replayed transaction is refused (409), and the original still goes final", async () => {
    const tx = sign(1, { from: 2n, to: 1n, amount: ETH / 10n, fee: 0n, nonce: 0n });
    const first = await post(tx);
    expect(first.status).to.equal(202);
    const again = await post(tx);
    expect(again.status).to.equal(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).to.equal("DUPLICATE");
    await waitFor(((await first.json()) as { id: string }).id, "final");
  });
});
