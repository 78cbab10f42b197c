import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { batchMainSource, readR1csInfo, requiredPower, type SetupResult, setupCircuit, setupProvenance } from "../../src/proving/setup.js";
import { assertKeyAllowedForChain, describeProvenance, readSetupManifest } from "../../src/proving/manifest.js";
import { GENERATED_CONTRACTS_DIR } from "../../src/proving/paths.js";
import { compileCircuit } from "../../src/proving/circom.js";
import { readZkeyChain, sha256Hex } from "../../src/proving/zkey.js";
import { rejection, tinyMain, useTempCache } from "./fixtures.js";

/** Keeps contracts/generated/ to the verifiers other tests compile. */
const NO_SOL = { writeVerifier: false };

describe("setup: trusted setup pipeline (tiny Poseidon circuit)", function () {
  const cache = useTempCache();
  const label = "zkrtest_setup_tiny";
  let cold: SetupResult;
  let coldMs = 0;

  before(async function () {
    const t0 = Date.now();
    cold = await setupCircuit(label, tinyMain(2));
    coldMs = Date.now() - t0;
  });

  it("produces a zkey, a verification key, the wasm and a renamed, pinned Solidity verifier", function () {
    const m = cold.manifest;
    expect(cold.cached).to.equal(false);
    for (const f of [m.zkey, m.vkey, m.verifierSol, m.wasm, m.r1cs]) expect(existsSync(f), f).to.equal(true);
    expect(path.dirname(m.zkey)).to.equal(path.join(cache(), "setup", `${label}-${m.key}`));
    expect(m.label).to.equal(label);
    expect(m.params).to.equal(null);
    expect(m.nPublic).to.equal(1);
    expect(m.contractName).to.equal(`Groth16Verifier_${label}`);

    const vkey = JSON.parse(readFileSync(m.vkey, "utf8")) as { protocol: string; curve: string; nPublic: number; IC: unknown[] };
    expect(vkey).to.include({ protocol: "groth16", curve: "bn128", nPublic: 1 });
    expect(vkey.IC).to.have.length(2);

    const sol = readFileSync(m.verifierSol, "utf8");
    expect(sol).to.match(new RegExp(`^contract Groth16Verifier_${label} \\{`, "m"));
    expect(sol).not.to.match(/^contract Groth16Verifier \{/m);
    expect(sol).to.match(/^pragma solidity \^0\.8\.28;$/m);
    expect(sol).to.contain("INSECURE DEVELOPMENT KEY");
    expect(cold.verifierPath).to.equal(path.join(GENERATED_CONTRACTS_DIR, `${m.contractName}.sol`));
    expect(readFileSync(cold.verifierPath!, "utf8")).to.equal(sol);
    expect(readSetupManifest(path.dirname(m.zkey))).to.deep.equal(m);
  });

  it("records the constraint count, the domain and the development ptau in the manifest", async function () {
    const m = cold.manifest;
    const info = await readR1csInfo(m.r1cs);
    expect(m.constraints).to.equal(info.nConstraints);
    expect(m.constraints).to.be.within(240, 260); // Poseidon(2) is 240 constraints with --O2
    expect(m.domainPower).to.equal(8);
    expect(m.ptau.kind).to.equal("development");
    expect(m.insecure).to.equal(true);
    expect(m.ptau.power).to.be.at.least(m.domainPower);
    expect(m.ptau.sha256).to.match(/^[0-9a-f]{64}$/);
    expect(Date.parse(m.createdAt)).to.be.greaterThan(0);
  });

  it("hits the cache on a second call: same files, untouched, fast", async function () {
    const before = statSync(cold.manifest.zkey).mtimeMs;
    const t0 = Date.now();
    const again = await setupCircuit(label, tinyMain(2));
    const cachedMs = Date.now() - t0;
    console.log(`      setup of the tiny circuit: cold ${coldMs} ms, cached ${cachedMs} ms`);
    expect(again.cached).to.equal(true);
    expect(again.manifest).to.deep.equal(cold.manifest);
    expect(again.verifierChanged).to.equal(false);
    expect(statSync(again.manifest.zkey).mtimeMs).to.equal(before);
    expect(cachedMs).to.be.below(2000);
    expect(readdirSync(path.join(cache(), "setup")).filter((d) => d.startsWith(label))).to.deep.equal([`${label}-${cold.manifest.key}`]);
  });

  it("derives a new key, directory and verifier when the circuit source changes", async function () {
    const changed = await setupCircuit(label, tinyMain(3));
    expect(changed.cached).to.equal(false);
    expect(changed.manifest.circuitKey).not.to.equal(cold.manifest.circuitKey);
    expect(changed.manifest.key).not.to.equal(cold.manifest.key);
    expect(path.dirname(changed.manifest.zkey)).not.to.equal(path.dirname(cold.manifest.zkey));
    expect(changed.verifierChanged).to.equal(true);
    expect(readFileSync(changed.verifierPath!, "utf8")).to.equal(readFileSync(changed.manifest.verifierSol, "utf8"));
    // Both setups stay cached side by side; going back rewrites the verifier.
    const back = await setupCircuit(label, tinyMain(2));
    expect(back.cached).to.equal(true);
    expect(back.manifest.key).to.equal(cold.manifest.key);
    expect(back.verifierChanged).to.equal(true);
  });

  it("runs phase 2 once when two setups of the same circuit race", async function () {
    await compileCircuit("zkrtest_setup_race", tinyMain(4)); // the race under test is the setup's
    const [a, b] = await Promise.all([setupCircuit("zkrtest_setup_race", tinyMain(4), NO_SOL), setupCircuit("zkrtest_setup_race", tinyMain(4), NO_SOL)]);
    expect(a.manifest).to.deep.equal(b.manifest);
    expect([a.cached, b.cached].sort()).to.deep.equal([false, true]);
    expect(readdirSync(path.join(cache(), "setup")).filter((d) => d.startsWith("zkrtest_setup_race"))).to.have.length(1);
  });

  it("refuses a ceremony ptau whose sha256 is not the expected one", async function () {
    const ptau = cold.manifest.ptau.path;
    const wrong = "0".repeat(64);
    const err = await rejection(setupCircuit("zkrtest_setup_ceremony", tinyMain(2), { ...NO_SOL, ptau: { path: ptau, sha256: wrong } }));
    expect(err.message).to.contain(`has sha256 ${cold.manifest.ptau.sha256}, expected ${wrong}`);
    expect(readdirSync(path.join(cache(), "setup")).some((d) => d.startsWith("zkrtest_setup_ceremony"))).to.equal(false);
  });

  it("accepts a ceremony ptau with the right sha256, but its single phase-2 contribution stays a development key", async function () {
    const { path: p, sha256 } = cold.manifest.ptau;
    const r = await setupCircuit("zkrtest_setup_ceremony", tinyMain(2), { ...NO_SOL, ptau: { path: p, sha256: sha256.toUpperCase() } });
    expect(r.manifest.ptau).to.deep.include({ kind: "ceremony", sha256 });
    expect(r.manifest.phase2!.kind).to.equal("development");
    expect(r.manifest.insecure).to.equal(true);
    const sol = readFileSync(r.manifest.verifierSol, "utf8");
    expect(sol).to.contain(`// Phase 1: ceremony ptau sha256 ${sha256}.`);
    expect(sol).to.contain("// Phase 2: INSECURE DEVELOPMENT KEY, a single contribution (zkr setup)");
    // Whoever ran this setup knows its secret: refused on a real chain unless explicitly accepted.
    expect(() => assertKeyAllowedForChain(r.manifest, 1)).to.throw(/refusing .* on chain 1: its phase 2 is a single contribution/);
    expect(() => assertKeyAllowedForChain(r.manifest, 1, { allowSingleContribution: true })).not.to.throw();
    expect(() => assertKeyAllowedForChain(r.manifest, 31337)).not.to.throw();
    // A manifest written before phase 2 was recorded counts as a development one.
    const { phase2: _, ...legacy } = r.manifest;
    expect(() => assertKeyAllowedForChain(legacy, 1)).to.throw(/single contribution/);
  });

  it("records phase 2 in the manifest: one development contribution, with the zkey's and vkey's hashes", async function () {
    const m = cold.manifest;
    const chain = await readZkeyChain(m.zkey);
    expect(chain.contributions).to.have.length(1);
    expect(m.phase2).to.deep.equal({
      kind: "development",
      circuitHash: chain.circuitHash,
      contributions: [{ name: "zkr setup (development)", hash: chain.contributions[0]!.hash }],
      beacon: null,
      zkeySha256: sha256Hex(readFileSync(m.zkey)),
      vkeySha256: sha256Hex(readFileSync(m.vkey)),
    });
    expect(readFileSync(m.verifierSol, "utf8")).to.contain("// Phase 2: INSECURE DEVELOPMENT KEY");
    const p = await setupProvenance(m);
    expect(p).to.deep.include({ kind: "development", insecure: true, beacon: null, zkeySha256: m.phase2!.zkeySha256 });
    expect(describeProvenance(p)).to.equal(`DEVELOPMENT (single contribution, insecure), development ptau, vkey sha256 ${m.phase2!.vkeySha256}`);
  });

  it("phase 2 starts from the cached initial key, which zkr ceremony shares", function () {
    const dir = path.join(cache(), "phase2-init");
    const records = readdirSync(dir)
      .filter((d) => d.startsWith(`${label}-`) && !d.includes("."))
      .map((d) => JSON.parse(readFileSync(path.join(dir, d, "init.json"), "utf8")) as { circuitKey: string; ptauSha256: string; circuitHash: string });
    const mine = records.filter((r) => r.circuitKey === cold.manifest.circuitKey);
    expect(mine).to.have.length(1);
    expect(mine[0]).to.include({ ptauSha256: cold.manifest.ptau.sha256, circuitHash: cold.manifest.phase2!.circuitHash });
  });

  it("refuses development keys on chain 1 and accepts them on 31337 and 1337", function () {
    expect(() => assertKeyAllowedForChain(cold.manifest, 1)).to.throw(/refusing .* on chain 1: .*development ptau/);
    expect(() => assertKeyAllowedForChain(cold.manifest, 11155111n)).to.throw(/refusing/);
    expect(() => assertKeyAllowedForChain(cold.manifest, 31337)).not.to.throw();
    expect(() => assertKeyAllowedForChain(cold.manifest, 1337n)).not.to.throw();
  });

  it("rejects a label that cannot name a contract and reports circom errors", async function () {
    expect((await rejection(setupCircuit("bad-label", tinyMain(2)))).message).to.match(/setup label/);
    const err = await rejection(setupCircuit("zkrtest_setup_broken", "pragma circom 2.1.6;\ncomponent main = Missing();\n"));
    expect(err.message).to.match(/circom compilation of zkrtest_setup_broken failed/);
  });
});

describe("setup: domain size", function () {
  it("needs 2^power >= constraints + public inputs + outputs + 1, as snarkjs zkey new", function () {
    expect(requiredPower({ nConstraints: 254, nPubInputs: 0, nOutputs: 1 })).to.equal(8); // 256 rows
    expect(requiredPower({ nConstraints: 255, nPubInputs: 0, nOutputs: 1 })).to.equal(9); // 257 rows
    expect(requiredPower({ nConstraints: 252, nPubInputs: 2, nOutputs: 1 })).to.equal(8);
    expect(requiredPower({ nConstraints: 0, nPubInputs: 0, nOutputs: 1 })).to.equal(1);
    expect(requiredPower({ nConstraints: 131_070, nPubInputs: 0, nOutputs: 1 })).to.equal(17);
    expect(() => requiredPower({ nConstraints: 2 ** 28, nPubInputs: 0, nOutputs: 1 })).to.throw(/too large/);
  });

  it("builds the batch instance main from its parameters", function () {
    expect(batchMainSource({ depth: 4, batchSize: 2, l1Slots: 3, feeSlots: 1 })).to.equal(
      'pragma circom 2.1.6;\ninclude "batch.circom";\ncomponent main {public [challenge]} = Batch(4, 2, 3, 1);\n',
    );
  });
});
