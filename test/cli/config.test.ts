// The CLI's configuration (flags > env > defaults, validated once) and amount conversion.
import { expect } from "chai";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { applyProcessSettings, Config, createWallet, DEFAULT_RPC, readWallet } from "../../src/cli/config.js";
import { loadCrypto } from "../../src/model/crypto.js";
import { cacheDir, DEFAULT_CACHE_DIR, setCacheDir } from "../../src/proving/paths.js";
import { parseL2Amounts } from "../../src/cli/units.js";
import { DEPLOYMENT_FORMAT, describeDeploymentSetup, readDeployment } from "../../src/ops/index.js";
import { formatAmount, parseAmount } from "../../src/util/amounts.js";

describe("zkr CLI configuration and amounts", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), "zkr-config-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("takes a flag over its env var over the default", () => {
    const env = { ZKR_SEQUENCER: "http://env:1", ZKR_WALLET: "env.json" };
    expect(Config.resolve({ sequencer: "http://flag:2/" }, ["sequencer"], env).get("sequencer")).to.equal("http://flag:2");
    expect(Config.resolve({}, ["sequencer", "wallet"], env).get("wallet")).to.equal(path.resolve("env.json"));
    expect(Config.resolve({}, ["sequencer"], {}).get("sequencer")).to.equal("http://127.0.0.1:8080");
    expect(Config.resolve({}, ["deployment"], {}).get("deployment")).to.equal(path.resolve(".zkr/deployment.json"));
  });

  it("rpc defaults to the deployment's, then to the local node", () => {
    const f = path.join(dir, "deployment.json");
    writeFileSync(f, JSON.stringify(sampleDeployment()));
    expect(Config.resolve({}, ["rpc", "deployment"], { ZKR_DEPLOYMENT: f }).rpc).to.equal("http://10.0.0.1:8545");
    expect(Config.resolve({ rpc: "https://node.example" }, ["rpc", "deployment"], { ZKR_DEPLOYMENT: f }).rpc).to.equal("https://node.example");
    expect(Config.resolve({}, ["rpc"], {}).rpc).to.equal(DEFAULT_RPC);
  });

  it("rejects malformed values naming where they came from, and never echoes a key", () => {
    expect(() => Config.resolve({}, ["key"], { ZKR_KEY: "0xsecretvalue" }))
      .to.throw(/^ZKR_KEY must be a private key of 32 bytes/)
      .and.not.match(/secretvalue/);
    expect(() => Config.resolve({ rpc: "ftp://x" }, ["rpc"], {})).to.throw(/--rpc must be an http\(s\) URL/);
    expect(() => Config.resolve({}, ["sequencer"], { ZKR_SEQUENCER: "not a url" })).to.throw(/ZKR_SEQUENCER is not a URL/);
    expect(() => Config.resolve({}, ["key"], {}).need("key")).to.throw("missing L1 private key: pass --key or set ZKR_KEY");
    const k = "ab".repeat(32);
    expect(Config.resolve({ key: k }, ["key"], {}).need("key")).to.equal(`0x${k}`);
  });

  it("reads the proving settings once, here, and hands them down as values", () => {
    expect(Config.resolve({}, ["witness"], {}).witness).to.equal("wasm");
    expect(Config.resolve({}, ["witness"], { ZKR_WITNESS: "auto" }).witness).to.equal("auto");
    expect(Config.resolve({ witness: "cpp" }, ["witness"], { ZKR_WITNESS: "auto" }).witness).to.equal("cpp");
    expect(() => Config.resolve({}, ["witness"], { ZKR_WITNESS: "gpu" })).to.throw(/^ZKR_WITNESS must be wasm, cpp, auto, got "gpu"/);
    expect(() => Config.resolve({ witness: "gpu" }, ["witness"], {})).to.throw(/^--witness must be/);
    // The Groth16 prover: native where it builds unless told otherwise.
    expect(Config.resolve({}, ["prover"], {}).prover).to.equal("auto");
    expect(Config.resolve({}, ["prover"], { ZKR_PROVER: "snarkjs" }).prover).to.equal("snarkjs");
    expect(Config.resolve({ prover: "native" }, ["prover"], { ZKR_PROVER: "snarkjs" }).prover).to.equal("native");
    expect(() => Config.resolve({}, ["prover"], { ZKR_PROVER: "rapidsnark" })).to.throw(/^ZKR_PROVER must be snarkjs, native, auto, got "rapidsnark"/);
    expect(() => Config.resolve({ prover: "gpu" }, ["prover"], {})).to.throw(/^--prover must be snarkjs, native, auto, got "gpu"/);
    // The development ptau has no flag: only its env var, as a resolved path.
    expect(Config.resolve({}, ["devPtau"], {}).devPtau).to.equal(undefined);
    expect(Config.resolve({}, ["devPtau"], { ZKR_DEV_PTAU: "pot.ptau" }).devPtau).to.equal(path.resolve("pot.ptau"));
    expect(Config.resolve({}, ["devPtau"], { ZKR_DEV_PTAU: "pot.ptau" }).get("devPtau")).to.equal(path.resolve("pot.ptau"));
  });

  it("applies the process-wide settings: the cache directory, ZKR_DEBUG, ZKR_CRYPTO", async () => {
    const saved = cacheDir();
    try {
      expect(applyProcessSettings({ ZKR_CACHE: "rel/cache", ZKR_DEBUG: "1", ZKR_CRYPTO: "js" })).to.deep.equal({
        cacheDir: path.resolve("rel/cache"),
        debug: true,
        crypto: "js",
      });
      expect(cacheDir()).to.equal(path.resolve("rel/cache"));
      expect((await loadCrypto()).engine).to.equal("js");
      expect(applyProcessSettings({})).to.deep.equal({ cacheDir: DEFAULT_CACHE_DIR, debug: false, crypto: "auto" });
      expect(cacheDir()).to.equal(DEFAULT_CACHE_DIR);
      expect(() => applyProcessSettings({ ZKR_DEBUG: "yes" })).to.throw(/ZKR_DEBUG must be 1 or 0/);
      expect(() => applyProcessSettings({ ZKR_CRYPTO: "gpu" })).to.throw(/ZKR_CRYPTO must be auto, native, js, got "gpu"/);
    } finally {
      applyProcessSettings(); // this process's settings again (test/setup.ts)
      setCacheDir(saved);
    }
  });

  it("checks a deployment file", () => {
    const f = path.join(dir, "bad.json");
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), rollup: "0x1234" }));
    expect(() => readDeployment(f)).to.throw(/bad\.json is invalid/);
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), instance: "nope" }));
    expect(() => readDeployment(f)).to.throw(/unknown circuit instance "nope"/);
    // A file of the previous format (no key hash, no L1-queue policy) is refused, naming it.
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), format: "zkr-deployment-2" }));
    expect(() => readDeployment(f)).to.throw(/format is "zkr-deployment-2", expected "zkr-deployment-4"/);
    // One of the format before the fallback verifier likewise.
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), format: "zkr-deployment-3" }));
    expect(() => readDeployment(f)).to.throw(/format is "zkr-deployment-3", expected "zkr-deployment-4"/);
    // The fallback: another instance than the deployment's fallback, or a malformed key hash, is refused.
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), fallback: { ...sampleDeployment().fallback, instance: "test_d4_b2" } }));
    expect(() => readDeployment(f)).to.throw(/invalid: fallback\.instance is test_d4_b2, test_d4_b2's fallback is test_d4_b1/);
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), fallback: { ...sampleDeployment().fallback, verifyingKeyHash: "0x12" } }));
    expect(() => readDeployment(f)).to.throw(/invalid: fallback \(verifyingKeyHash/);
    const { fallbackDelay: _d, ...noDelay } = sampleDeployment();
    writeFileSync(f, JSON.stringify(noDelay));
    expect(() => readDeployment(f)).to.throw(/invalid: fallbackDelay/);
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), verifyingKeyHash: "0x12" }));
    expect(() => readDeployment(f)).to.throw(/invalid: verifyingKeyHash/);
    const { l1OpFee: _, ...noFee } = sampleDeployment();
    writeFileSync(f, JSON.stringify(noFee));
    expect(() => readDeployment(f)).to.throw(/invalid: l1OpFee/);
    writeFileSync(f, JSON.stringify(sampleDeployment()));
    expect(readDeployment(f).l1OpFee).to.equal("100000000000000");
    expect(() => readDeployment(path.join(dir, "missing.json"))).to.throw(/no deployment file .*run `zkr deploy`/);
  });

  it("checks the setup record of a deployment file and describes it in one line", () => {
    const f = path.join(dir, "setup.json");
    const provenance = {
      kind: "ceremony",
      insecure: false,
      ptau: { kind: "ceremony", sha256: "cd".repeat(32), power: 20 },
      circuitHash: "ef".repeat(64),
      contributions: [
        { name: "alice", hash: "01".repeat(64) },
        { name: "bob", hash: "02".repeat(64) },
      ],
      beacon: { hash: "03".repeat(32), iterationsExp: 10, source: "block 1", contributionHash: "04".repeat(64) },
      zkeySha256: "05".repeat(32),
      vkeySha256: "ab".repeat(32),
    };
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), setupProvenance: provenance }));
    expect(describeDeploymentSetup(readDeployment(f))).to.equal(`ceremony, 2 contributions + beacon, ceremony ptau, vkey sha256 ${"ab".repeat(32)}`);
    // The record must name the verification key the deployment names.
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), setupProvenance: { ...provenance, vkeySha256: "99".repeat(32) } }));
    expect(() => readDeployment(f)).to.throw(/setup\.json is invalid: setupProvenance/);
    writeFileSync(f, JSON.stringify({ ...sampleDeployment(), setupProvenance: { ...provenance, kind: "trusted" } }));
    expect(() => readDeployment(f)).to.throw(/setupProvenance/);
    // A file from before the record: still readable, and says so.
    writeFileSync(f, JSON.stringify(sampleDeployment()));
    expect(describeDeploymentSetup(readDeployment(f))).to.match(/^not recorded/);
  });

  it("writes a wallet with mode 0600, reads it back, and refuses to overwrite it", async () => {
    const f = path.join(dir, "w", "wallet.json");
    const key = await createWallet(f, false);
    expect(statSync(f).mode & 0o777).to.equal(0o600);
    const back = await readWallet(f);
    expect([back.ax, back.ay]).to.deep.equal([key.ax, key.ay]);
    let err: Error | undefined;
    await createWallet(f, false).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/exists.*--force/);
  });

  it("converts amounts exactly or not at all", () => {
    expect(parseAmount("1.5", 18)).to.equal(1_500_000_000_000_000_000n);
    expect(parseAmount("0.000000000000000001", 18)).to.equal(1n);
    expect(parseAmount("7", 0)).to.equal(7n);
    for (const bad of ["", "1.", ".5", "-1", "1e18", "1,5", " 1", "0x10"]) expect(() => parseAmount(bad, 18), bad).to.throw(/is not a decimal number/);
    expect(() => parseAmount("0.0000000000000000001", 18)).to.throw(/has 19 decimals, the token has 18/);
    expect(() => parseAmount("1.5", 0)).to.throw(/has 1 decimals, the token has 0/);
    expect(formatAmount(1_500_000_000_000_000_000n, 18)).to.equal("1.5");
    expect(formatAmount(0n, 18)).to.equal("0");
    expect(formatAmount(1n, 18)).to.equal("0.000000000000000001");
    expect(formatAmount(42n, 0)).to.equal("42");
  });

  it("accepts only L2 amounts and fees with an exact compact encoding", () => {
    expect(parseL2Amounts("1.5", "0.0001", 18)).to.deep.equal({ amount: 15n * 10n ** 17n, fee: 10n ** 14n });
    expect(() => parseL2Amounts("0", "0", 18)).to.throw(/amount must be more than 0/);
    expect(() => parseL2Amounts("1.234567890123456789", "0", 18)).to.throw(/amount 1\.234567890123456789 cannot be posted exactly as a float40/);
    expect(() => parseL2Amounts("1", "0.000123", 18)).to.throw(/fee 0\.000123 cannot be posted exactly as a float8/);
    expect(() => parseL2Amounts("1", "0.016", 18)).to.throw(/at most 0\.015/);
  });
});

function sampleDeployment() {
  const a = "0x" + "11".repeat(20);
  return {
    format: DEPLOYMENT_FORMAT,
    chainId: "31337",
    rpc: "http://10.0.0.1:8545",
    rollup: a,
    verifier: a,
    poseidon: { 3: a, 4: a, 5: a, 8: a },
    sequencer: a,
    instance: "test_d4_b2",
    setupKey: "0123456789abcdef",
    vkeySha256: "ab".repeat(32),
    verifyingKeyHash: "0x" + "cd".repeat(32),
    escapeDelay: "3600",
    inactivityDelay: "3600",
    l1Grace: "600",
    fallbackDelay: "900",
    l1OpFee: "100000000000000",
    minDeposit: "1",
    fallback: { verifier: a, verifyingKeyHash: "0x" + "ef".repeat(32), instance: "test_d4_b1", setupKey: "fedcba9876543210", vkeySha256: "cd".repeat(32) },
    deployBlock: 1,
    deployedAt: "2026-01-01T00:00:00.000Z",
  };
}
