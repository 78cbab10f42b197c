// The zkr CLI end to end: the real bin/zkr, as separate processes, against a `hardhat node`
// on a free loopback port, with real Groth16 proofs from the sequencer's in-process prover.
import { expect } from "chai";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { type Contract, ContractFactory, type JsonRpcProvider, parseEther, Wallet } from "ethers";
import { SNARK_FIELD } from "../../src/model/crypto.js";
import { readArtifact } from "../../src/chain/artifacts.js";
import { Background, expectOneLineError, expectOneLineErrors, startCliChain, stopCliChain, zkr, zkrOk } from "./helpers.js";
import { type Deployment, devAccount, type LocalChain, readDeployment } from "../../src/ops/index.js";

describe("zkr CLI (bin/zkr against a hardhat node)", function () {
  this.timeout(600_000);

  const operatorKey = devAccount(0).privateKey; // deployer and sequencer
  const aliceKey = devAccount(1).privateKey;
  const bobKey = devAccount(2).privateKey;
  const carolKey = devAccount(3).privateKey; // holds an ERC-20
  const alice = new Wallet(aliceKey).address;

  let dir: string;
  let chain: LocalChain;
  let provider: JsonRpcProvider;
  let sequencer: Background | undefined;
  let apiPort: number;
  let d: Deployment;
  /** Environment of a zkr run: the test's files and URLs, plus `vars`. */
  let env: (vars?: Record<string, string>) => NodeJS.ProcessEnv;

  before(async function () {
    ({ dir, chain, provider, apiPort, env } = await startCliChain("zkr-cli-"));
  });

  after(async function () {
    await stopCliChain({ dir, chain, provider }, sequencer);
  });

  it("wallet new writes a key file readable only by its owner and prints the public key", async function () {
    await Promise.all(
      ["alice", "bob", "carol"].map(async (name) => {
        const out = JSON.parse(await zkrOk(["wallet", "new", "--json"], env({ ZKR_WALLET: path.join(dir, `${name}.json`) })));
        const file = path.join(dir, `${name}.json`);
        expect(out.file).to.equal(file);
        expect(statSync(file).mode & 0o777).to.equal(0o600);
        const saved = JSON.parse(readFileSync(file, "utf8"));
        expect([saved.ax, saved.ay]).to.deep.equal([out.ax, out.ay]);
      }),
    );
    const shown = await zkrOk(["wallet", "show"], env());
    expect(shown).to.include(JSON.parse(readFileSync(path.join(dir, "alice.json"), "utf8")).ax);
    expect(shown).not.to.include(JSON.parse(readFileSync(path.join(dir, "alice.json"), "utf8")).privateKey.slice(2));
    // Never replaces a key silently.
    expectOneLineError(await zkr(["wallet", "new"], env()), /exists.*--force/);
  });

  it("deploy writes the deployment file, with the L1-queue policy", async function () {
    const operator = env({ ZKR_KEY: operatorKey });
    expectOneLineError(
      await zkr(["deploy", "--escape-delay", "60", "--inactivity-delay", "61"], operator),
      /inactivity delay must be 1 \.\. the escape delay \(60\) seconds, got 61/,
    );
    expectOneLineError(await zkr(["deploy", "--l1-op-fee", "1.2.3"], operator), /--l1-op-fee "1\.2\.3" is not a decimal number/);
    const out = JSON.parse(await zkrOk(["deploy", "--escape-delay", "3600", "--l1-op-fee", "0.0001", "--min-deposit", "0.01", "--json"], operator, 600_000));
    d = readDeployment(path.join(dir, "deployment.json"));
    expect(out).to.deep.equal(d);
    expect(d.chainId).to.equal("31337");
    expect(d.rpc).to.equal(chain.url);
    expect(d.sequencer).to.equal(devAccount(0).address);
    expect(d.format).to.equal("zkr-deployment-4");
    // The flags, and the defaults shrunk to the short escape delay (a day and an hour otherwise).
    expect([d.escapeDelay, d.inactivityDelay, d.l1Grace, d.l1OpFee, d.minDeposit]).to.deep.equal([
      "3600",
      "3600",
      "1800",
      parseEther("0.0001").toString(),
      parseEther("0.01").toString(),
    ]);
    expect(d.verifyingKeyHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await provider.getCode(d.rollup)).to.not.equal("0x");
    // The fallback verifier: the instance's fallback, its delay shrunk to a quarter of the escape delay.
    expect([d.fallback.instance, d.fallbackDelay]).to.deep.equal(["test_d4_b1", "900"]);
    expect(d.fallback.verifyingKeyHash)
      .to.match(/^0x[0-9a-f]{64}$/)
      .and.not.equal(d.verifyingKeyHash);
    expect(await provider.getCode(d.fallback.verifier)).to.not.equal("0x");
    expectOneLineError(await zkr(["deploy"], operator), /exists.*--force/);
  });

  it("deposit creates an account for the wallet's key and prints its index; it pays the L1-operation fee on top", async function () {
    expectOneLineError(await zkr(["deposit", "--amount", "0.001"], env({ ZKR_KEY: aliceKey })), /the rollup's minimum deposit of ETH is 0\.01, got 0\.001/);
    const before = await provider.getBalance(alice);
    const out = JSON.parse(await zkrOk(["deposit", "--amount", "2", "--json"], env({ ZKR_KEY: aliceKey })));
    expect(out).to.include({
      account: "1",
      queueIndex: "0",
      token: "0",
      amount: parseEther("2").toString(),
      fee: parseEther("0.0001").toString(),
      batch: null,
    });
    const rc = (await provider.getTransactionReceipt(out.tx))!;
    expect(before - (await provider.getBalance(alice))).to.equal(parseEther("2.0001") + rc.gasUsed * rc.gasPrice);
  });

  it("register-token, then an ERC-20 deposit approves and deposits (amounts in the token's decimals)", async function () {
    const { abi, bytecode } = readArtifact("TestERC20");
    const operator = new Wallet(operatorKey, provider);
    const token = (await new ContractFactory(abi, bytecode, operator).deploy("Test Token", "TST")) as Contract;
    await token.waitForDeployment();
    await (await token.mint!(new Wallet(carolKey).address, parseEther("100"))).wait();
    expectOneLineError(
      await zkr(["register-token", await token.getAddress()], env({ ZKR_KEY: operatorKey })),
      /required option '--min-deposit <amount>' not specified/,
    );
    const reg = JSON.parse(await zkrOk(["register-token", await token.getAddress(), "--min-deposit", "0.5", "--json"], env({ ZKR_KEY: operatorKey })));
    expect(reg).to.include({ token: "1", symbol: "TST", decimals: 18, minDeposit: parseEther("0.5").toString() });
    const carol = env({ ZKR_KEY: carolKey, ZKR_WALLET: path.join(dir, "carol.json") });
    expectOneLineError(await zkr(["deposit", "--token", "2", "--amount", "1"], carol), /token 2 is not registered on the rollup/);
    expectOneLineError(await zkr(["deposit", "--token", "1", "--amount", "0.4"], carol), /the rollup's minimum deposit of TST is 0\.5, got 0\.4/);
    const out = JSON.parse(await zkrOk(["deposit", "--token", "1", "--amount", "5", "--json"], carol));
    expect(out).to.include({ account: "2", queueIndex: "1", token: "1", amount: parseEther("5").toString() });
    expect(await token.balanceOf!(d.rollup)).to.equal(parseEther("5"));
  });

  it("user mistakes end with exit code 1 and one line", async function () {
    await expectOneLineErrors([
      [["deposit", "--amount", "1"], env(), /missing L1 private key: pass --key or set ZKR_KEY/],
      [["deposit", "--amount", "1.2.3"], env({ ZKR_KEY: aliceKey }), /amount "1\.2\.3" is not a decimal number/],
      [["deposit", "--amount", "0.0000000000000000001"], env({ ZKR_KEY: aliceKey }), /has 19 decimals, the token has 18/],
      [["deposit", "--amount", "1"], env({ ZKR_KEY: "0x1234" }), /ZKR_KEY must be a private key of 32 bytes/],
      [["deposit", "--amount", "1", "--to", "7"], env({ ZKR_KEY: aliceKey }), /no account #7 on the rollup \(accounts 1\.\.2\)/],
      [["force-exit", "--account", "1"], env({ ZKR_KEY: bobKey }), /L1 owner is 0x[0-9a-fA-F]{40}, not/],
      [["status"], env(), /cannot reach the sequencer at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/],
      [["status", "--l1"], env({ ZKR_RPC: "http://127.0.0.1:9" }), /cannot reach the L1 node at http:\/\/127\.0\.0\.1:9/],
      [["balance", "--account", "x"], env(), /argument 'x' is invalid/],
      [["sequencer", "--min-fee", "0=1.5"], env(), /--min-fee takes TOKEN=AMOUNT, a token id and an amount in base units/],
      [["sequencer", "--aggregate-wait", "1.5"], env(), /aggregate wait must be an integer from 0 to 3600/],
      [["verify", "1"], env({ ZKR_DEPLOYMENT: path.join(dir, "none.json") }), /no deployment file .*none\.json: run `zkr deploy`/],
    ]);
  });

  it("the sequencer proves the deposits; deposit --wait returns once a batch applied it", async function () {
    sequencer = new Background(
      ["sequencer", "--port", String(apiPort), "--batch-timeout", "500", "--max-pending", "500", "--max-pending-per-sender", "8"],
      env({ ZKR_KEY: operatorKey }),
    );
    await sequencer.waitFor(/API on http:\/\/127\.0\.0\.1:\d+/, 120_000);
    const out = JSON.parse(await zkrOk(["deposit", "--amount", "0.5", "--wait", "--json"], env({ ZKR_KEY: bobKey, ZKR_WALLET: path.join(dir, "bob.json") })));
    expect(out.account).to.equal("3");
    expect(Number(out.batch)).to.be.greaterThan(0);
    expect(await zkrOk(["balance", "--account", "3"], env())).to.match(/^account #3: 0\.5 ETH \(token 0\), nonce 0/);
    expect(await zkrOk(["balance", "--account", "2"], env())).to.match(/^account #2: 5 TST \(token 1\), nonce 0/);
  });

  it("transfer --wait signs with the wallet, submits and returns once final", async function () {
    // The wallet must own the sender.
    await expectOneLineErrors([
      [["transfer", "--from", "3", "--to", "1", "--amount", "0.1"], env(), /account #3 belongs to another L2 key/],
      [["transfer", "--from", "1", "--to", "3", "--amount", "5"], env(), /INSUFFICIENT_BALANCE/],
      [["transfer", "--from", "1", "--to", "2", "--amount", "1"], env(), /TOKEN_MISMATCH/],
      [["transfer", "--from", "1", "--to", "3", "--amount", "1", "--fee", "0.001"], env(), /NO_FEE_ACCOUNT/],
    ]);
    const tx = JSON.parse(await zkrOk(["transfer", "--from", "1", "--to", "3", "--amount", "0.25", "--wait", "--json"], env()));
    expect(tx.status).to.equal("final");
    expect(tx.tx).to.include({ from: "1", to: "3", amount: parseEther("0.25").toString(), nonce: "0" });
    expect(await zkrOk(["balance", "--account", "1"], env())).to.match(/^account #1: 1\.75 ETH \(token 0\), nonce 1/);
  });

  it("withdraw exits through the sequencer and pulls the amount on L1", async function () {
    const before = await provider.getBalance(alice);
    const out = JSON.parse(await zkrOk(["withdraw", "--from", "1", "--amount", "0.5", "--json"], env({ ZKR_KEY: aliceKey })));
    const receipt = (await provider.getTransactionReceipt(out.tx))!;
    const gas = receipt.gasUsed * receipt.gasPrice;
    expect(out.withdrawn).to.equal(parseEther("0.5").toString());
    expect(out.gasCost).to.equal(gas.toString());
    expect((await provider.getBalance(alice)) - before).to.equal(parseEther("0.5") - gas);
    expectOneLineError(await zkr(["withdraw", "--claim"], env({ ZKR_KEY: aliceKey })), /nothing to withdraw/);
  });

  it("balance, status and their errors", async function () {
    expect(await zkrOk(["balance", "--account", "1", "--l1"], env())).to.match(/account #1: 1\.25 ETH .*\[last proven state on L1\]/);
    expect(await zkrOk(["balance", "--address", alice], env())).to.match(/claimable on L1 by 0x[0-9a-fA-F]{40}: nothing/);
    expectOneLineError(await zkr(["balance", "--account", "99"], env()), /no account at index 99 \(UNKNOWN_ACCOUNT\)/);
    const s = JSON.parse(await zkrOk(["status", "--json"], env()));
    expect(s).to.include({ chainId: "31337", rollup: d.rollup.toLowerCase(), accounts: 3 });
    expect(s.batches.final).to.equal(s.batches.total);
    expect(s.mempool).to.deep.include({ pending: 0, senders: 0, maxPending: 500, maxPendingPerSender: 8, minFee: {} }); // the flags reach the service
    expect(s.mempool).to.deep.include({ checking: 0, signatures: "worker threads" }); // zkr sequencer checks signatures on a pool
    expect(s.mempool.groupCommits.txs, "the transfers accepted, stored by group commits").to.be.at.least(2);
    const l1 = JSON.parse(await zkrOk(["status", "--l1", "--json"], env()));
    expect(l1).to.include({ batchNumber: String(s.batches.final), l1OpCount: "3", l1Processed: "3", escapeMode: false });
    expect(l1).to.include({
      verifyingKeyHash: d.verifyingKeyHash,
      verifyingKeyMatches: true,
      l1OpFee: d.l1OpFee,
      minDeposit: d.minDeposit,
      l1Grace: 1800,
      escapeDelay: 3600,
      inactivityDelay: 3600,
      oldestPendingQueuedAt: null,
    });
    expect(l1.stateRoot).to.equal(s.stateRoot);
    expect(await zkrOk(["status", "--l1"], env()))
      .to.match(/L1 policy +fee 0\.0001 ETH per operation, minimum ETH deposit 0\.01, grace 1800 s/)
      .and.match(new RegExp(`verifier key +${d.verifyingKeyHash} \\(the deployment file's\\)`));
  });

  it("verify 1 recomputes the input hash and checks the proof; a missing batch is exit code 1", async function () {
    const v = JSON.parse(await zkrOk(["verify", "1", "--json"], env()));
    expect(v).to.include({
      batch: "1",
      proofValid: true,
      commitmentValid: true,
      rootConsistent: true,
      verifyingKeyHash: d.verifyingKeyHash,
      keyHashMatches: true,
      valid: true,
    });
    expect(v.publicSignals).to.have.length(2);
    for (const x of v.publicSignals) expect(BigInt(x) > 0n && BigInt(x) < SNARK_FIELD, "public signal in the field").to.equal(true);
    expectOneLineError(await zkr(["verify", "99"], env()), /no batch 99 on L1/);
  });

  it("rebuild reconstructs the state from L1 and matches the root on L1", async function () {
    const r = JSON.parse(await zkrOk(["rebuild", "--json"], env()));
    expect(r.matches).to.equal(true);
    expect(r.l1Ops).to.deep.equal({ queued: 3, consumed: 3 });
    expect(r.accounts.map((a: { index: string; tokenId: string; balance: string; nonce: string }) => [a.index, a.tokenId, a.balance, a.nonce])).to.deep.equal([
      ["1", "0", parseEther("1.25").toString(), "2"],
      ["2", "1", parseEther("5").toString(), "0"],
      ["3", "0", parseEther("0.75").toString(), "0"],
    ]);
    const text = await zkrOk(["rebuild"], env());
    expect(text).to.match(/matches the root on L1/);
  });

  it("force-exit --wait: a batch pays the account's whole balance to its owner, withdraw --claim pulls it", async function () {
    const out = JSON.parse(await zkrOk(["force-exit", "--account", "3", "--wait", "--json"], env({ ZKR_KEY: bobKey })));
    expect(out).to.include({ queueIndex: "3", token: "0", claimable: parseEther("0.75").toString() });
    const claimed = JSON.parse(await zkrOk(["withdraw", "--claim", "--json"], env({ ZKR_KEY: bobKey })));
    expect(claimed).to.include({ exit: null, withdrawn: parseEther("0.75").toString() });
  });

  it("the sequencer stops cleanly on SIGTERM", async function () {
    expect(await sequencer!.stop("SIGTERM"), sequencer!.output).to.equal(0);
    expect(sequencer!.output).to.match(/zkr sequencer: stopped/);
  });

  it("escape: activate once an L1 operation is overdue, withdraw with a Merkle proof from the rebuilt state, refund the stuck deposit", async function () {
    const deposit = JSON.parse(await zkrOk(["deposit", "--amount", "0.1", "--json"], env({ ZKR_KEY: bobKey, ZKR_WALLET: path.join(dir, "bob.json") })));
    expect(deposit.queueIndex).to.equal("4");
    expectOneLineError(
      await zkr(["escape", "activate"], env({ ZKR_KEY: bobKey })),
      /too early: escape opens after .* once L1 operation #4 has waited the escape delay and no batch has been accepted for the inactivity delay/,
    );
    await provider.send("evm_increaseTime", [3601]);
    await provider.send("evm_mine", []);
    await zkrOk(["escape", "activate"], env({ ZKR_KEY: bobKey }));

    const before = await provider.getBalance(alice);
    const r = await zkr(["escape", "withdraw", "--account", "1"], env({ ZKR_KEY: aliceKey }));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/withdrew 1\.25 ETH to /);
    // Two L1 transactions: escapeWithdraw (credit) and withdraw (pull).
    const hashes = [...(r.stderr + r.stdout).matchAll(/\(tx (0x[0-9a-f]{64})\)/g)].map((m) => m[1]!);
    expect(hashes).to.have.length(2);
    let gas = 0n;
    for (const h of hashes) {
      const rc = (await provider.getTransactionReceipt(h))!;
      gas += rc.gasUsed * rc.gasPrice;
    }
    expect((await provider.getBalance(alice)) - before).to.equal(parseEther("1.25") - gas);
    expectOneLineError(await zkr(["escape", "withdraw", "--account", "1"], env({ ZKR_KEY: aliceKey })), /already withdrawn/);

    // The deposit comes back with its fee (no batch processed it).
    expect(await zkrOk(["escape", "refund", "--queue-index", "4"], env({ ZKR_KEY: bobKey }))).to.match(/withdrew 0\.1001 ETH to /);
    expectOneLineError(await zkr(["escape", "refund", "--queue-index", "4"], env({ ZKR_KEY: bobKey })), /NotRefundable\(4\)/);
  });
});
