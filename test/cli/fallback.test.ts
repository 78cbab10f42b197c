// `zkr fallback` end to end: the real bin/zkr as separate processes against a hardhat node, real
// proofs of the fallback instance. The sequencer never runs until the end: deposits wait; before
// the fallback delay `zkr fallback` refuses, saying when it opens; after it, a user with nothing
// but the deployment file and an L1 key processes the queue (fees paid to that key), another adds
// a transfer of theirs; `zkr rebuild` and `zkr verify` read the fallback batches from L1; then the
// sequencer starts on a fresh database, follows the fallback batches and proves the next deposit.
import { expect } from "chai";
import path from "node:path";
import { type JsonRpcProvider, parseEther, Wallet } from "ethers";
import { Background, expectOneLineError, startCliChain, stopCliChain, zkr, zkrOk } from "./helpers.js";
import { rollupAt } from "../../src/chain/deploy.js";
import { devAccount, type LocalChain, readDeployment } from "../../src/ops/index.js";

describe("zkr fallback (bin/zkr against a hardhat node, real proofs)", function () {
  this.timeout(600_000);

  const operatorKey = devAccount(0).privateKey;
  const aliceKey = devAccount(1).privateKey;
  const carolKey = devAccount(3).privateKey; // a stranger keeping the rollup going
  const carol = new Wallet(carolKey).address;

  let dir: string;
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  let sequencer: Background | undefined;
  let apiPort: number;
  let env: (vars?: Record<string, string>) => NodeJS.ProcessEnv;

  before(async function () {
    ({ dir, chain, provider, apiPort, env } = await startCliChain("zkr-fallback-"));
  });

  after(async function () {
    await stopCliChain({ dir, chain, provider }, sequencer);
  });

  it("before the fallback delay it refuses, saying when the fallback opens", async function () {
    await zkrOk(["wallet", "new"], env());
    await zkrOk(["deploy", "--escape-delay", "7200", "--fallback-delay", "1200"], env({ ZKR_KEY: operatorKey }), 900_000);
    await zkrOk(["deposit", "--amount", "2"], env({ ZKR_KEY: aliceKey })); // account 1
    await zkrOk(["deposit", "--amount", "1"], env({ ZKR_KEY: aliceKey })); // account 2
    expectOneLineError(await zkr(["fallback"], env({ ZKR_KEY: carolKey })), /the fallback is not open yet: it opens at .* \(in \d+ s\)/);
  });

  it("after it, a stranger's zkr fallback proves and submits the waiting deposits, one fallback batch each, and is paid their fees", async function () {
    await provider.send("evm_increaseTime", [1201]);
    await provider.send("evm_mine", []);
    const d = readDeployment(path.join(dir, "deployment.json"));
    const rollup = rollupAt(d.rollup, provider);
    const out = JSON.parse(await zkrOk(["fallback", "--json"], env({ ZKR_KEY: carolKey })));
    expect(out.batches.map((b: { number: number; l1Count: number }) => [b.number, b.l1Count])).to.deep.equal([
      [1, 1],
      [2, 1],
    ]);
    expect(out.waiting).to.equal(0);
    expect(await rollup.claimable(carol, 0)).to.equal(2n * BigInt(d.l1OpFee));
    // Nothing left to do: no batch.
    expect(await zkrOk(["fallback"], env({ ZKR_KEY: carolKey }))).to.match(/^0 fallback batch\(es\) submitted; 0 L1 operation\(s\) still waiting$/m);
  });

  it("a user adds a transfer of their own (signed with the wallet against the state rebuilt from L1)", async function () {
    const out = JSON.parse(await zkrOk(["fallback", "--from", "1", "--to", "2", "--amount", "0.5", "--json"], env({ ZKR_KEY: aliceKey })));
    expect(out.batches.map((b: { txs: number }) => b.txs)).to.deep.equal([1]);
    expect(out.leftOut).to.equal(0);
    // A transfer that does not apply (more than the balance) is left out: no batch, exit code 1.
    const refused = await zkr(["fallback", "--from", "1", "--to", "2", "--amount", "100", "--json"], env({ ZKR_KEY: aliceKey }));
    expect(refused.code).to.equal(1);
    expect(JSON.parse(refused.stdout)).to.deep.include({ batches: [], leftOut: 1, waiting: 0 });
  });

  it("zkr rebuild and zkr verify read the fallback batches from L1", async function () {
    const r = JSON.parse(await zkrOk(["rebuild", "--json"], env()));
    expect(r.matches).to.equal(true);
    expect(r.batches).to.equal(3);
    const balances = Object.fromEntries(r.accounts.map((a: { index: string; balance: string }) => [a.index, a.balance]));
    expect(balances).to.deep.equal({ "1": parseEther("1.5").toString(), "2": parseEther("1.5").toString() });
    const v = JSON.parse(await zkrOk(["verify", "3", "--json"], env()));
    expect(v).to.include({ valid: true, proofValid: true, fallback: true });
  });

  it("the sequencer started afterwards follows the fallback batches and proves the next deposit on top of them", async function () {
    sequencer = new Background(["sequencer", "--port", String(apiPort), "--batch-timeout", "500"], env({ ZKR_KEY: operatorKey }));
    await sequencer.waitFor(/API on http:\/\/127\.0\.0\.1:\d+/, 120_000);
    const dep = JSON.parse(await zkrOk(["deposit", "--amount", "1", "--wait", "--json"], env({ ZKR_KEY: aliceKey })));
    expect(Number(dep.batch)).to.equal(4);
    const r = JSON.parse(await zkrOk(["rebuild", "--json"], env()));
    expect([r.matches, r.batches, r.accounts.length]).to.deep.equal([true, 4, 3]);
    await sequencer.stop();
  });
});
