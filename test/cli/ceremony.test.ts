// A phase-2 ceremony of the real batch instance through the real bin/zkr, then deployed: init
// (the initial key comes from the cache `zkr setup` shares), a contribution, the coordinator's
// verify, the beacon, `zkr deploy --setup` recording the ceremony in the deployment file, the
// sequencer proving a batch with the ceremony key on a hardhat node, and `zkr verify` /
// `zkr status --l1` showing which setup the verifier came from. (The mechanics with three
// contributors and every must-fail case run on a tiny circuit in test/proving/ceremony.test.ts.)
import { expect } from "chai";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { JsonRpcProvider, Network, parseEther, Wallet } from "ethers";
import { verifierContractName } from "../../src/proving/verifier.js";
import { TEST_INSTANCE } from "../../src/proving/instances.js";
import { cacheDir } from "../../src/proving/paths.js";
import { buildContracts } from "../../src/proving/setup.js";
import { GENERATED_CONTRACTS_DIR } from "../../src/proving/paths.js";
import { readSetupManifest, type SetupManifest } from "../../src/proving/manifest.js";
import { alive, Background, expectOneLineError, freePort, testChainEnv, zkr, zkrOk } from "./helpers.js";
import { pinned, readConstraintSnapshot } from "../../bench/snapshots.js";
import { type Deployment, devAccount, type LocalChain, readDeployment, startHardhatNode } from "../../src/ops/index.js";

const BEACON = "5d7a0c3e9b1f4a6e8c2d0b7f3a9e1c5d7b3f0a8e6c4d2b9f1e7a5c3d0b8f6e4a";

/** The generated verifiers of the test instance, as found: restored afterwards (other suites prove with the development key). */
function saveGenerated(): () => Promise<void> {
  const files = [`Groth16Verifier_${TEST_INSTANCE}.sol`, `${verifierContractName(TEST_INSTANCE)}.sol`].map((f) => path.join(GENERATED_CONTRACTS_DIR, f));
  const saved = files.map((f) => (existsSync(f) ? readFileSync(f) : undefined));
  return async () => {
    let changed = false;
    for (const [i, f] of files.entries()) {
      const was = saved[i];
      const now = existsSync(f) ? readFileSync(f) : undefined;
      if (was?.equals(now ?? Buffer.alloc(0)) || (!was && !now)) continue;
      changed = true;
      if (was) writeFileSync(f, was);
      else rmSync(f, { force: true });
    }
    if (changed && saved.some(Boolean)) await buildContracts();
  };
}

describe("zkr ceremony of the test instance, deployed: the verifier's setup on record (bin/zkr against a hardhat node)", function () {
  this.timeout(900_000);

  const operatorKey = devAccount(0).privateKey;
  const aliceKey = devAccount(1).privateKey;

  let dir: string;
  let ceremony: string;
  let chain: LocalChain;
  let sequencer: Background | undefined;
  let apiPort: number;
  let restore: () => Promise<void>;
  let setup: SetupManifest;
  let setupDir: string;
  /** The development setup `zkr deploy` uses without --setup. */
  let devSetupDir: string;
  let devFallbackSetupDir: string;
  let contributionHash: string;
  let d: Deployment;
  let env: (vars?: Record<string, string>) => NodeJS.ProcessEnv;

  before(async function () {
    restore = saveGenerated();
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-cli-ceremony-"));
    ceremony = path.join(dir, "ceremony");
    chain = await startHardhatNode(await freePort());
    apiPort = await freePort();
    // The development ptau this run's other setups use, so the initial key is shared.
    env = (vars = {}) => testChainEnv({ rpc: chain.url, apiPort, dir }, { ZKR_DEV_PTAU: process.env.ZKR_DEV_PTAU, ...vars });
  });

  after(async function () {
    await sequencer?.stop();
    await chain?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (setupDir) rmSync(setupDir, { recursive: true, force: true }); // this run's ceremony key, in the cache
    await restore?.();
    if (sequencer) expect(alive(sequencer.pid), "sequencer process left").to.equal(false);
  });

  it("init, one contribution, the coordinator's verify --record, finalize: a ceremony setup directory in the cache", async function () {
    const init = JSON.parse(await zkrOk(["ceremony", "init", "-i", TEST_INSTANCE, "--out", ceremony, "--json"], env(), 900_000));
    expect(init).to.include({ label: TEST_INSTANCE, constraints: pinned(readConstraintSnapshot().instances, TEST_INSTANCE), nPublic: 2 });
    const c1 = path.join(ceremony, "circuit_0001.zkey");
    const r = JSON.parse(await zkrOk(["ceremony", "contribute", path.join(ceremony, "circuit_0000.zkey"), c1, "--name", "alice", "--json"], env()));
    contributionHash = r.hash;
    const text = await zkrOk(["ceremony", "verify", c1, "--record"], env());
    expect(text).to.include(`#1 alice\n     ${contributionHash}`);
    expect(text).to.match(/result +VALID/);
    expect(text).to.match(/recorded +#1 alice/);
    setup = JSON.parse(
      await zkrOk(
        ["ceremony", "finalize", c1, "--beacon", BEACON, "--iterations", "10", "--beacon-source", "hardhat block announced in the test", "--json"],
        env(),
      ),
    ) as SetupManifest;
    setupDir = path.dirname(setup.zkey);
    expect(readSetupManifest(setupDir).key).to.equal(setup.key);
    expect(setup.phase2).to.deep.include({ kind: "ceremony", contributions: [{ name: "alice", hash: contributionHash }] });
    expect(setup.phase2!.beacon).to.include({ hash: BEACON, iterationsExp: 10, source: "hardhat block announced in the test" });
  });

  it("deploy --setup deploys its verifier and records the ceremony in the deployment file", async function () {
    const out = JSON.parse(await zkrOk(["deploy", "--setup", setupDir, "--escape-delay", "3600", "--json"], env({ ZKR_KEY: operatorKey }), 600_000));
    d = readDeployment(path.join(dir, "deployment.json"));
    expect(out).to.deep.equal(d);
    expect(d).to.include({ instance: TEST_INSTANCE, setupKey: setup.key, vkeySha256: setup.phase2!.vkeySha256 });
    expect(d.setupProvenance).to.deep.include({
      kind: "ceremony",
      insecure: true, // the development ptau
      contributions: [{ name: "alice", hash: contributionHash }],
      zkeySha256: setup.phase2!.zkeySha256,
      vkeySha256: setup.phase2!.vkeySha256,
    });
    expect(d.setupProvenance!.beacon).to.include({ hash: BEACON, iterationsExp: 10 });
    const generated = readFileSync(path.join(GENERATED_CONTRACTS_DIR, `Groth16Verifier_${TEST_INSTANCE}.sol`), "utf8");
    expect(generated).to.equal(readFileSync(setup.verifierSol, "utf8"));
    expectOneLineError(await zkr(["deploy", "--setup", dir, "--out", path.join(dir, "x.json")], env({ ZKR_KEY: operatorKey })), /is not a setup directory/);
  });

  it("the sequencer proves with the ceremony key; zkr verify checks the batch on L1 and shows the setup", async function () {
    await zkrOk(["wallet", "new"], env());
    sequencer = new Background(["sequencer", "--port", String(apiPort), "--batch-timeout", "500"], env({ ZKR_KEY: operatorKey }));
    await sequencer.waitFor(/API on http:\/\/127\.0\.0\.1:\d+/, 120_000);
    const dep = JSON.parse(await zkrOk(["deposit", "--amount", "1", "--wait", "--json"], env({ ZKR_KEY: aliceKey })));
    expect(Number(dep.batch)).to.equal(1);

    const v = JSON.parse(await zkrOk(["verify", "1", "--json"], env()));
    expect(v).to.include({ valid: true, proofValid: true });
    expect(v.setup).to.deep.equal(d.setupProvenance);
    const text = await zkrOk(["verify", "1"], env());
    expect(text).to.include(`setup          ceremony, 1 contribution + beacon, DEVELOPMENT ptau (insecure), vkey sha256 ${setup.phase2!.vkeySha256}`);
    expect(text).to.include(`  #1 alice ${contributionHash}`);
    expect(text).to.include(`  beacon ${BEACON} (hardhat block announced in the test)`);
    expect(await zkrOk(["status", "--l1"], env())).to.match(/^setup +ceremony, 1 contribution \+ beacon, /m);
  });

  it("a deployment of the development setup says DEVELOPMENT", async function () {
    const devFile = path.join(dir, "dev.json");
    await zkrOk(["deploy", "--out", devFile, "--escape-delay", "3600"], env({ ZKR_KEY: operatorKey }), 900_000);
    const dev = readDeployment(devFile);
    devSetupDir = path.join(cacheDir(), "setup", `${TEST_INSTANCE}-${dev.setupKey}`);
    devFallbackSetupDir = path.join(cacheDir(), "setup", `${dev.fallback.instance}-${dev.fallback.setupKey}`);
    expect(dev.fallback.setupProvenance).to.deep.include({ kind: "development", insecure: true });
    expect(dev.setupProvenance).to.deep.include({ kind: "development", insecure: true, beacon: null });
    expect(dev.setupProvenance!.contributions).to.have.length(1);
    const status = await zkrOk(["status", "--l1"], env({ ZKR_DEPLOYMENT: devFile }));
    expect(status).to.match(/^setup +DEVELOPMENT \(single contribution, insecure\), development ptau, vkey sha256 [0-9a-f]{64}$/m);
  });

  it("on a chain that is not a development chain, deploy refuses a development ptau, and a single contribution unless --allow-single-contribution", async function () {
    const chain7 = await startHardhatNode(await freePort(), "127.0.0.1", { chainId: 7 });
    const provider = new JsonRpcProvider(chain7.url, Network.from(7n), { staticNetwork: true, cacheTimeout: -1 });
    try {
      // The development accounts are refused off development chains: a fresh key, funded by one.
      const operator = Wallet.createRandom();
      await (
        await devAccount(0)
          .connect(provider)
          .sendTransaction({ to: operator.address, value: parseEther("100") })
      ).wait();
      const out = path.join(dir, "chain7.json");
      const env7 = env({ ZKR_RPC: chain7.url, ZKR_KEY: operator.privateKey, ZKR_DEPLOYMENT: out });
      const generated = path.join(GENERATED_CONTRACTS_DIR, `Groth16Verifier_${TEST_INSTANCE}.sol`);
      const before = readFileSync(generated, "utf8");

      expectOneLineError(await zkr(["deploy", "--setup", setupDir], env7), /refusing the "test_d4_b2" key on chain 7: it was made from a development ptau/);
      // What `zkr setup --ptau <file> --ptau-sha256 <hex>` writes: the development setup's files with
      // its ptau declared a ceremony's (setups are cached by the ptau's sha256, so for this very
      // file zkr setup would return the development entry: hence a copy).
      const singleCopy = (from: string, name: string) => {
        const to = path.join(dir, name);
        cpSync(from, to, { recursive: true });
        const single = JSON.parse(readFileSync(path.join(to, "setup.json"), "utf8")) as SetupManifest;
        writeFileSync(path.join(to, "setup.json"), JSON.stringify({ ...single, ptau: { ...single.ptau, kind: "ceremony" } }));
        return to;
      };
      const singleDir = singleCopy(devSetupDir, "single-contribution-setup");
      const singleFallbackDir = singleCopy(devFallbackSetupDir, "single-contribution-fallback-setup");
      expectOneLineError(await zkr(["deploy", "--setup", singleDir], env7), /its phase 2 is a single contribution \(zkr setup\).*--allow-single-contribution/);
      // The fallback verifier's key is held to the same rule: the development fallback setup is refused here too.
      expectOneLineError(
        await zkr(["deploy", "--setup", singleDir, "--fallback-setup", devFallbackSetupDir, "--allow-single-contribution"], env7),
        /refusing the "test_d4_b1" key on chain 7: it was made from a development ptau/,
      );
      expect(existsSync(out), "nothing deployed").to.equal(false);
      expect(readFileSync(generated, "utf8"), "a refused deploy leaves the generated verifier alone").to.equal(before);

      const forced = JSON.parse(
        await zkrOk(["deploy", "--setup", singleDir, "--fallback-setup", singleFallbackDir, "--allow-single-contribution", "--json"], env7, 600_000),
      ) as Deployment;
      expect(forced.fallback.setupProvenance!.ptau).to.deep.include({ kind: "ceremony" });
      expect(forced.chainId).to.equal("7");
      expect(forced.setupProvenance).to.deep.include({ kind: "development", insecure: true });
      expect(forced.setupProvenance!.ptau).to.deep.include({ kind: "ceremony", sha256: setup.ptau.sha256 });
      expect(await zkrOk(["status", "--l1"], env7)).to.match(/^setup +DEVELOPMENT \(single contribution, insecure\), ceremony ptau, /m);
    } finally {
      provider.destroy();
      await chain7.stop();
    }
  });
});
