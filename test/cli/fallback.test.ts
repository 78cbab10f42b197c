// `zkr fallback` end to end: the real bin/zkr as separate processes against a hardhat node, real
// proofs of the fallback instance. The sequencer proves two deposits and is killed (SIGKILL); a
// forced transfer (`zkr transfer --force`), a forced exit and a deposit wait; before the fallback
// delay `zkr fallback` refuses, saying when it opens; after it, a user with nothing but the
// deployment file and an L1 key processes the queue (fees paid to that key), the transfer applied
// and the exit paying it out; another adds a transfer of theirs; `zkr rebuild` and `zkr verify`
// read the fallback batches from L1; then the sequencer restarts on its own database, follows the
// fallback batches and proves the next deposit.
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

  it("the sequencer proves the first deposits and is killed; a forced transfer, a forced exit and a deposit wait; before the fallback delay zkr fallback refuses, saying when it opens", async function () {
    await zkrOk(["wallet", "new"], env());
    await zkrOk(["deploy", "--escape-delay", "7200", "--fallback-delay", "1200"], env({ ZKR_KEY: operatorKey }), 900_000);
    sequencer = new Background(["sequencer", "--port", String(apiPort), "--batch-timeout", "500"], env({ ZKR_KEY: operatorKey }));
    await sequencer.waitFor(/API on http:\/\/127\.0\.0\.1:\d+/, 120_000);
    await zkrOk(["deposit", "--amount", "2", "--wait"], env({ ZKR_KEY: aliceKey })); // account 1
    await zkrOk(["deposit", "--amount", "1", "--wait"], env({ ZKR_KEY: aliceKey })); // account 2
    await sequencer.stop("SIGKILL");
    sequencer = undefined;
    const forced = JSON.parse(await zkrOk(["transfer", "--force", "--from", "1", "--to", "2", "--amount", "0.5", "--json"], env({ ZKR_KEY: aliceKey })));
    expect(forced).to.include({ from: "1", to: "2", amount: parseEther("0.5").toString(), batch: null });
    // only the sender's L1 owner may force a transfer, and only in one token
    expectOneLineError(
      await zkr(["transfer", "--force", "--from", "1", "--to", "2", "--amount", "0.5"], env({ ZKR_KEY: carolKey })),
      /account #1's L1 owner is .*, not .*: only the owner may force a transfer from it/,
    );
    expectOneLineError(
      await zkr(["transfer", "--force", "--from", "1", "--to", "2", "--amount", "0.5", "--fee", "0.1"], env({ ZKR_KEY: aliceKey })),
      /--fee is for L2 transfers/,
    );
    await zkrOk(["force-exit", "--account", "2"], env({ ZKR_KEY: aliceKey }));
    await zkrOk(["deposit", "--amount", "1"], env({ ZKR_KEY: aliceKey })); // account 3
    expectOneLineError(await zkr(["fallback"], env({ ZKR_KEY: carolKey })), /the fallback is not open yet: it opens at .* \(in \d+ s\)/);
  });

  it("after it, a stranger's zkr fallback processes them in queue order, one fallback batch each (the transfer applied, then the exit paying it out), and is paid their fees", async function () {
    await provider.send("evm_increaseTime", [1201]);
    await provider.send("evm_mine", []);
    const d = readDeployment(path.join(dir, "deployment.json"));
    const rollup = rollupAt(d.rollup, provider);
    const alice = new Wallet(aliceKey).address;
    const before = await rollup.claimable(alice, 0);
    const out = JSON.parse(await zkrOk(["fallback", "--json"], env({ ZKR_KEY: carolKey })));
    expect(out.batches.map((b: { number: number; l1Count: number }) => [b.number, b.l1Count])).to.deep.equal([
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
    expect(out.waiting).to.equal(0);
    expect(await rollup.claimable(carol, 0)).to.equal(3n * BigInt(d.l1OpFee));
    // account 2's forced exit paid its 1 ETH and the 0.5 ETH forced to it
    expect((await rollup.claimable(alice, 0)) - before).to.equal(parseEther("1.5"));
    // Nothing left to do: no batch.
    expect(await zkrOk(["fallback"], env({ ZKR_KEY: carolKey }))).to.match(/^0 fallback batch\(es\) submitted; 0 L1 operation\(s\) still waiting$/m);
  });

  it("a user adds a transfer of their own (signed with the wallet against the state rebuilt from L1)", async function () {
    const out = JSON.parse(await zkrOk(["fallback", "--from", "1", "--to", "3", "--amount", "0.5", "--json"], env({ ZKR_KEY: aliceKey })));
    expect(out.batches.map((b: { txs: number }) => b.txs)).to.deep.equal([1]);
    expect(out.leftOut).to.equal(0);
    // A transfer that does not apply (more than the balance) is left out: no batch, exit code 1.
    const refused = await zkr(["fallback", "--from", "1", "--to", "3", "--amount", "100", "--json"], env({ ZKR_KEY: aliceKey }));
    expect(refused.code).to.equal(1);
    expect(JSON.parse(refused.stdout)).to.deep.include({ batches: [], leftOut: 1, waiting: 0 });
  });

  it("zkr rebuild and zkr verify read the fallback batches from L1", async function () {
    const r = JSON.parse(await zkrOk(["rebuild", "--json"], env()));
    expect(r.matches).to.equal(true);
    expect(r.batches).to.equal(6);
    const balances = Object.fromEntries(r.accounts.map((a: { index: string; balance: string }) => [a.index, a.balance]));
    expect(balances).to.deep.equal({ "1": parseEther("1").toString(), "2": "0", "3": parseEther("1.5").toString() });
    const v = JSON.parse(await zkrOk(["verify", "3", "--json"], env()));
    expect(v).to.include({ valid: true, proofValid: true, fallback: true });
  });

  it("the sequencer restarted on its database follows the fallback batches and proves the next deposit on top of them", async function () {
    sequencer = new Background(["sequencer", "--port", String(apiPort), "--batch-timeout", "500"], env({ ZKR_KEY: operatorKey }));
    await sequencer.waitFor(/API on http:\/\/127\.0\.0\.1:\d+/, 120_000);
    const dep = JSON.parse(await zkrOk(["deposit", "--amount", "1", "--wait", "--json"], env({ ZKR_KEY: aliceKey })));
    expect(Number(dep.batch)).to.equal(7);
    const r = JSON.parse(await zkrOk(["rebuild", "--json"], env()));
    expect([r.matches, r.batches, r.accounts.length]).to.deep.equal([true, 7, 4]);
    await sequencer.stop();
  });
});
