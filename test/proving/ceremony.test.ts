// The phase-2 ceremony workflow (src/proving/ceremony.ts, `zkr ceremony`) on a tiny circuit, so the
// mechanics cost seconds: init, three contributors as separate `bin/zkr ceremony contribute`
// processes that see nothing but the key, the coordinator's `verify --record` after each, the
// beacon, and the exported Solidity verifier on the in-process Hardhat network. Then every way
// a key can be wrong: a tampered point, a forged contribution record, dropped contributions, a
// key of another circuit, another ptau, other circuit sources. (test/cli/ceremony.test.ts runs a
// ceremony of the real batch instance through deploy, the sequencer and `zkr verify`.)
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ContractFactory } from "ethers";
import { network } from "hardhat";
import { zKey } from "snarkjs";
import {
  type CeremonyManifest,
  checkBeacon,
  contribute,
  finalizeCeremony,
  type FinalizeResult,
  initCeremony,
  type InitCeremonyResult,
  INITIAL_ZKEY,
  readCeremonyManifest,
  verifyCeremonyZkey,
} from "../../src/proving/ceremony.js";
import { compileCircuit } from "../../src/proving/circom.js";
import { readArtifact } from "../../src/chain/artifacts.js";
import { generateFastDevPtau } from "../../src/proving/fastptau.js";
import { type PtauInfo } from "../../src/proving/manifest.js";
import { holdCurve } from "../../src/proving/curve.js";
import { buildContracts, setupCircuit, setupProvenance, writeGeneratedVerifiers } from "../../src/proving/setup.js";
import { assertKeyAllowedForChain, describeProvenance, type SetupManifest } from "../../src/proving/manifest.js";
import { GENERATED_CONTRACTS_DIR } from "../../src/proving/paths.js";
import { readZkeyChain, sha256Hex } from "../../src/proving/zkey.js";
import { Prover } from "../../src/proving/prover.js";
import { verifierCallArgs } from "../../src/proving/proof.js";
import { readSetupDir } from "../../src/prover/worker.js";
import { expectOneLineError, zkr, zkrEnv, zkrOk } from "../cli/helpers.js";
import { rejection, tinyMain, useTempCache } from "./fixtures.js";

const LABEL = "zkrtest_ceremony_tiny";
const BEACON = "a3f1c0de".repeat(8); // 32 bytes, as a block hash
const PEOPLE = ["alice", "bob", "carol"];

/** Byte range [start, end) of section `id` of an iden3 binary file (ptau, r1cs, zkey). */
function sectionRange(bytes: Buffer, id: number): [number, number] {
  let pos = 12;
  for (let i = 0; i < bytes.readUInt32LE(8); i++) {
    const type = bytes.readUInt32LE(pos);
    const size = Number(bytes.readBigUInt64LE(pos + 4));
    if (type === id) return [pos + 12, pos + 12 + size];
    pos += 12 + size;
  }
  throw new Error(`no section ${id}`);
}

/** A copy of `src` at `dst` with `edit` applied to its bytes. */
function tamper(src: string, dst: string, edit: (b: Buffer) => void): string {
  const b = readFileSync(src);
  edit(b);
  writeFileSync(dst, b);
  return dst;
}

describe("ceremony: multi-party phase 2 (tiny circuit, contributors as separate zkr processes)", function () {
  this.timeout(300_000);
  useTempCache();
  let work: string;
  let cer: InitCeremonyResult;
  /** The key after contributor i (0-based), and the hash each published. */
  const keys: string[] = [];
  const published: string[] = [];
  let final: FinalizeResult;
  /** A second ceremony, of another circuit, with no contribution yet. */
  let other: InitCeremonyResult;
  let release: () => Promise<void>;

  const manifest = (): CeremonyManifest => readCeremonyManifest(cer.dir).manifest;
  const env = () => zkrEnv({});

  before(async function () {
    release = holdCurve(); // one set of snarkjs worker threads for the whole suite
    work = mkdtempSync(path.join(os.tmpdir(), "zkr-ceremony-"));
    cer = await initCeremony(LABEL, tinyMain(2), { out: path.join(work, "ceremony") });
  });

  after(async function () {
    rmSync(path.join(GENERATED_CONTRACTS_DIR, `Groth16Verifier_${LABEL}.sol`), { force: true });
    if (work) rmSync(work, { recursive: true, force: true });
    await release?.();
  });

  it("init writes the initial key and a manifest of the circuit, r1cs, ptau and key hashes", async function () {
    const m = manifest();
    const circuit = await compileCircuit(LABEL, tinyMain(2));
    expect(m).to.include({ label: LABEL, main: tinyMain(2), params: null, nPublic: 1, domainPower: 8, final: null });
    expect(m.transcript).to.deep.equal([]);
    expect(m.r1csSha256).to.equal(sha256Hex(readFileSync(circuit.r1cs)));
    expect(m.ptau.kind).to.equal("development");
    expect(m.ptau.sha256).to.equal(sha256Hex(readFileSync(m.ptau.path)));
    expect(m.initialZkeySha256).to.equal(sha256Hex(readFileSync(cer.zkey)));
    const chain = await readZkeyChain(cer.zkey);
    expect(chain).to.deep.equal({ circuitHash: m.circuitHash, contributions: [] });
    expect(path.basename(cer.zkey)).to.equal(INITIAL_ZKEY);
    expectOneLineError(await zkr(["ceremony", "init", "--out", cer.dir], env()), /already holds a ceremony/);
  });

  it("caches the initial key: snarkjs `zkey new` is deterministic, a second init gives the same bytes", async function () {
    const again = await initCeremony(LABEL, tinyMain(2), { out: path.join(work, "ceremony-again") });
    expect(readFileSync(again.zkey).equals(readFileSync(cer.zkey))).to.equal(true);
    const fresh = path.join(work, "fresh_0000.zkey");
    const circuit = await compileCircuit(LABEL, tinyMain(2));
    await zKey.newZKey(circuit.r1cs, manifest().ptau.path, fresh);
    expect(sha256Hex(readFileSync(fresh))).to.equal(manifest().initialZkeySha256);
  });

  it("three contributors, each a separate `zkr ceremony contribute` seeing only the key; the coordinator verifies and records each", async function () {
    let prev = cer.zkey;
    for (const [i, name] of PEOPLE.entries()) {
      // The contributor's machine: a copy of the key, an empty cache that must stay unused.
      const mine = mkdtempSync(path.join(work, `${name}-`));
      const given = path.join(mine, path.basename(prev));
      copyFileSync(prev, given);
      const untouched = path.join(mine, "no-cache");
      const out = path.join(mine, `circuit_000${i + 1}.zkey`);
      const r = JSON.parse(
        await zkrOk(["ceremony", "contribute", given, out, "--name", name, "--entropy", `${name} typed this`, "--json"], zkrEnv({ ZKR_CACHE: untouched })),
      );
      expect(r).to.include({ index: i + 1, name });
      expect(r.hash).to.match(/^[0-9a-f]{128}$/);
      expect(existsSync(untouched), "the contributor needs no zkr cache").to.equal(false);
      published.push(r.hash);

      // The coordinator receives the key into the ceremony directory and accepts it.
      const received = path.join(cer.dir, path.basename(out));
      copyFileSync(out, received);
      const v = JSON.parse(await zkrOk(["ceremony", "verify", received, "--record", "--json"], env()));
      expect(v).to.include({ valid: true, recorded: i });
      expect(v.contributions.map((c: { name: string; hash: string }) => [c.name, c.hash])).to.deep.equal(
        PEOPLE.slice(0, i + 1).map((p, j) => [p, published[j]]),
      );
      expect(v.recordedNow.map((t: { index: number }) => t.index)).to.deep.equal([i + 1]);
      keys.push(received);
      prev = received;
    }
    expect(manifest().transcript.map((t) => [t.index, t.name, t.hash, t.zkey])).to.deep.equal(
      PEOPLE.map((p, i) => [i + 1, p, published[i], `circuit_000${i + 1}.zkey`]),
    );
    expect(new Set(published).size).to.equal(3);

    // What a contributor reads to find their own hash: every name and the full hash, exit code 0.
    const text = await zkrOk(["ceremony", "verify", keys[2]!], env());
    for (const [i, p] of PEOPLE.entries()) expect(text).to.include(`#${i + 1} ${p}\n     ${published[i]}`);
    expect(text).to.match(/result +VALID/);
  });

  it("lists the same contribution hashes that snarkjs's own `zkey verify` prints", async function () {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), debug: () => {}, warn: () => {}, error: (m: string) => lines.push(m) };
    const circuit = await compileCircuit(LABEL, tinyMain(2));
    expect(await zKey.verifyFromR1cs(circuit.r1cs, manifest().ptau.path, keys[2]!, logger)).to.equal(true);
    const fromSnarkjs = [...lines.join("\n").matchAll(/contribution #(\d+) (\w+):\n((?:\s*[0-9a-f]{8}){16})/g)].map((m) => [
      Number(m[1]),
      m[2],
      m[3]!.replace(/\s+/g, ""),
    ]);
    expect(fromSnarkjs.sort()).to.deep.equal(PEOPLE.map((p, i) => [i + 1, p, published[i]]));
  });

  it("a key whose L section was tampered with (two points swapped) is INVALID, exit code 1", async function () {
    const bad = tamper(keys[2]!, path.join(cer.dir, "tampered_L.zkey"), (b) => {
      const [start] = sectionRange(b, 8);
      const p0 = Buffer.from(b.subarray(start, start + 64));
      b.copy(b, start, start + 64, start + 128);
      p0.copy(b, start + 64);
    });
    const v = await verifyCeremonyZkey(bad);
    expect(v.valid).to.equal(false);
    expect(v.problem).to.match(/L section/);
    const r = await zkr(["ceremony", "verify", bad], env());
    expect(r.code).to.equal(1);
    expect(r.stdout).to.match(/result +INVALID: .*L section/);
  });

  it("a contribution record that does not match its proof of knowledge is INVALID", async function () {
    const bad = tamper(keys[2]!, path.join(cer.dir, "tampered_record.zkey"), (b) => {
      // Section 10: circuit hash, count, then each contribution: δ after, g1_s, g1_sx, g2_spx, transcript, type, params.
      const [start] = sectionRange(b, 10);
      let pos = start + 64 + 4;
      pos += 64 * 3 + 128 + 64 + 4;
      pos += 4 + b.readUInt32LE(pos); // skip #1's parameters
      b[pos + 64 * 3 + 128 + 5]! ^= 0x01; // a bit of #2's transcript hash
    });
    const v = await verifyCeremonyZkey(bad);
    expect(v.valid).to.equal(false);
    expect(v.problem).to.match(/INVALID\(1\): Inconsistent transcript/);
  });

  it("a contributor who restarts from the initial key, dropping the others, passes snarkjs but not the transcript", async function () {
    const dropped = path.join(cer.dir, "dropped.zkey");
    await contribute(cer.zkey, dropped, { name: "mallory" });
    const v = await verifyCeremonyZkey(dropped);
    expect(v.contributions.map((c) => c.name)).to.deep.equal(["mallory"]);
    expect(v.valid).to.equal(false);
    expect(v.problem).to.match(/transcript already accepted 3|does not extend the accepted chain/);
    expect(v.recorded).to.equal(0);
    // A sibling of bob's key (built on alice's, not on bob's) fails the same way.
    const sibling = path.join(cer.dir, "sibling.zkey");
    await contribute(keys[0]!, sibling, { name: "eve" });
    const s = await verifyCeremonyZkey(sibling);
    expect(s.valid).to.equal(false);
    expect(s.problem).to.match(/contribution #2 is eve .* but the transcript accepted bob/);
  });

  it("a key of another circuit is INVALID against this ceremony", async function () {
    other = await initCeremony("zkrtest_ceremony_other", tinyMain(3), { out: path.join(work, "other") });
    const foreign = path.join(cer.dir, "foreign.zkey");
    await contribute(other.zkey, foreign, { name: "alice" });
    const v = await verifyCeremonyZkey(foreign);
    expect(v.valid).to.equal(false);
    expect(v.problem).to.match(/Different circuit parameters|Circuit does not match/);
    const r = await zkr(["ceremony", "verify", foreign], env());
    expect(r.code).to.equal(1);
  });

  it("another ptau: a file with other bytes is refused, and a ceremony recorded for another ptau fails the check", async function () {
    const otherPtau: PtauInfo = await generateFastDevPtau(8, path.join(work, "other.ptau"));
    expectOneLineError(
      await zkr(["ceremony", "verify", keys[2]!, "--ptau", otherPtau.path], env()),
      /has sha256 [0-9a-f]{64}, but the ceremony was initialised with/,
    );
    // The coordinator's manifest claims the other ptau (and its hash): the keys were not made from it.
    const m = { ...manifest(), ptau: otherPtau };
    writeFileSync(path.join(work, "lying.json"), JSON.stringify(m));
    const v = await verifyCeremonyZkey(keys[2]!, { ceremony: path.join(work, "lying.json") });
    expect(v.valid).to.equal(false);
    expect(v.problem).to.match(/circuit hash|Invalid alpha1|H section|snarkjs/);
  });

  it("refuses to check against circuit sources that compile to another r1cs", async function () {
    const m = { ...manifest(), main: tinyMain(3) };
    writeFileSync(path.join(work, "othersrc.json"), JSON.stringify(m));
    const err = await rejection(verifyCeremonyZkey(keys[2]!, { ceremony: path.join(work, "othersrc.json") }));
    expect(err.message).to.match(/compiles "zkrtest_ceremony_tiny" to an r1cs with sha256 [0-9a-f]{64}, but the ceremony is for/);
  });

  it("contribute refuses a bad name, an existing output, the input as output, and no ceremony manifest for verify", async function () {
    const out = path.join(work, "x.zkey");
    expect((await rejection(contribute(keys[2]!, out, { name: "" }))).message).to.match(/1 to 64 bytes/);
    expect((await rejection(contribute(keys[2]!, out, { name: "x".repeat(65) }))).message).to.match(/1 to 64 bytes/);
    expect((await rejection(contribute(keys[2]!, out, { name: "a\nb" }))).message).to.match(/control characters/);
    expect((await rejection(contribute(keys[2]!, keys[2]!, { name: "a" }))).message).to.match(/must be a new file/);
    expect((await rejection(contribute(keys[2]!, keys[1]!, { name: "a" }))).message).to.match(/exists/);
    expect((await rejection(contribute(path.join(work, "none.zkey"), out, { name: "a" }))).message).to.match(/does not exist/);
    expect((await rejection(contribute(manifest().ptau.path, out, { name: "a" }))).message).to.match(/not a zkey/);
    expect(existsSync(out)).to.equal(false);
    expectOneLineError(await zkr(["ceremony", "contribute", keys[2]!, out], env()), /required option '--name <who>'/);
    expectOneLineError(
      await zkr(["ceremony", "verify", out.replace("x.zkey", "ceremony/circuit_0003.zkey"), "--ceremony", work], env()),
      /no ceremony manifest/,
    );
  });

  it("finalize refuses a bad beacon, and a key with no contribution", async function () {
    expect(() => checkBeacon("abc", 10)).to.throw(/even number/);
    expect(() => checkBeacon("ab".repeat(15), 10)).to.throw(/16 to 255 bytes/);
    expect(() => checkBeacon(BEACON, 9)).to.throw(/from 10 to 63/);
    expect(() => checkBeacon(BEACON, 64)).to.throw(/from 10 to 63/);
    expect(checkBeacon(`0x${BEACON.toUpperCase()}`, 10)).to.equal(BEACON);
    expectOneLineError(
      await zkr(["ceremony", "finalize", keys[2]!, "--beacon", BEACON, "--iterations", "9"], env()),
      /--iterations must be an integer from 10 to 63/,
    );
    const err = await rejection(finalizeCeremony(other.zkey, { beacon: BEACON, iterationsExp: 10 }));
    expect(err.message).to.match(/has no contribution: a ceremony needs at least one before the beacon/);
    const behind = await rejection(finalizeCeremony(cer.zkey, { beacon: BEACON, iterationsExp: 10 }));
    expect(behind.message).to.match(/does not verify: the key has 0 contribution\(s\), but the transcript already accepted 3/);
    const dropped = await rejection(finalizeCeremony(path.join(cer.dir, "dropped.zkey"), { beacon: BEACON, iterationsExp: 10 }));
    expect(dropped.message).to.match(/does not verify: .*transcript/);
    expect(manifest().final).to.equal(null);
  });

  it("finalize applies the beacon, verifies, and writes a setup directory with the ceremony record", async function () {
    const out = JSON.parse(
      await zkrOk(
        [
          "ceremony",
          "finalize",
          keys[2]!,
          "--beacon",
          BEACON,
          "--iterations",
          "10",
          "--beacon-source",
          "test chain block 1234",
          "--out",
          path.join(work, "setup"),
          "--json",
        ],
        env(),
      ),
    ) as SetupManifest;
    final = { manifest: out, dir: path.join(work, "setup"), cached: false };
    const m = out;
    expect(m.label).to.equal(LABEL);
    expect(m.phase2!.kind).to.equal("ceremony");
    expect(m.phase2!.contributions).to.deep.equal(PEOPLE.map((name, i) => ({ name, hash: published[i] })));
    expect(m.phase2!.beacon).to.include({ hash: BEACON, iterationsExp: 10, source: "test chain block 1234" });
    expect(m.phase2!.zkeySha256).to.equal(sha256Hex(readFileSync(m.zkey)));
    expect(m.phase2!.vkeySha256).to.equal(sha256Hex(readFileSync(m.vkey)));
    expect(m.insecure).to.equal(true); // a development ptau: phase 1 is still one party's
    expect(readFileSync(m.verifierSol, "utf8")).to.contain("// Phase 2: ceremony, 3 contributions + beacon");

    const chain = await readZkeyChain(m.zkey);
    expect(chain.contributions.map((c) => c.name)).to.deep.equal([...PEOPLE, "zkr final beacon"]);
    expect(chain.contributions[3]!.beacon).to.deep.equal({ hash: BEACON, iterationsExp: 10 });
    expect(m.phase2!.beacon!.contributionHash).to.equal(chain.contributions[3]!.hash);

    const c = manifest();
    expect(c.final).to.include({ zkeySha256: m.phase2!.zkeySha256, vkeySha256: m.phase2!.vkeySha256, setupKey: m.key, setupDir: final.dir });
    // The final key verifies against the ceremony too, beacon included.
    const v = await verifyCeremonyZkey(m.zkey, { ceremony: cer.dir });
    expect(v.valid).to.equal(true);
    expect(v.contributions).to.have.length(4);
    expect((await rejection(finalizeCeremony(keys[2]!, { beacon: BEACON, iterationsExp: 10 }))).message).to.match(/already finalized/);
    expect((await rejection(contribute(m.zkey, path.join(work, "after.zkey"), { name: "late" }))).message).to.match(/finalized/);
  });

  it("setupProvenance reads the record back from the key files and refuses a manifest that disagrees with them", async function () {
    const m = final.manifest;
    const p = await setupProvenance(m);
    expect(p).to.deep.include({
      kind: "ceremony",
      insecure: true,
      contributions: m.phase2!.contributions,
      zkeySha256: m.phase2!.zkeySha256,
      vkeySha256: m.phase2!.vkeySha256,
    });
    expect(describeProvenance(p)).to.equal(`ceremony, 3 contributions + beacon, DEVELOPMENT ptau (insecure), vkey sha256 ${m.phase2!.vkeySha256}`);
    const claimed = { ...m, phase2: { ...m.phase2!, contributions: m.phase2!.contributions.slice(1) } };
    expect((await rejection(setupProvenance(claimed))).message).to.match(/does not match its key files \(contributions\)/);
    const otherVkey = path.join(work, "other_vkey.json");
    const vk = JSON.parse(readFileSync(m.vkey, "utf8"));
    vk.vk_delta_2 = vk.vk_gamma_2;
    writeFileSync(otherVkey, JSON.stringify(vk));
    expect((await rejection(setupProvenance({ ...m, vkey: otherVkey }))).message).to.match(/is not the verification key of/);
  });

  it("the key policy: development ptau or a single contribution refused on chain 1, a full ceremony allowed", async function () {
    const m = final.manifest;
    expect(() => assertKeyAllowedForChain(m, 1)).to.throw(/development ptau/);
    const ceremonyPtau = { ...m.ptau, kind: "ceremony" as const };
    expect(() => assertKeyAllowedForChain({ ...m, ptau: ceremonyPtau }, 1)).not.to.throw();
    const dev = (await setupCircuit(LABEL, tinyMain(2), { writeVerifier: false })).manifest;
    expect(() => assertKeyAllowedForChain({ ...dev, ptau: ceremonyPtau }, 1)).to.throw(/single contribution \(zkr setup\).*--allow-single-contribution/);
    expect(() => assertKeyAllowedForChain({ ...dev, ptau: ceremonyPtau }, 1, { allowSingleContribution: true })).not.to.throw();
    expect(() => assertKeyAllowedForChain(dev, 31337)).not.to.throw();
  });

  it("a proof from the finalized key verifies with its exported Solidity verifier on Hardhat; one from the development key does not", async function () {
    const { verifierPath } = writeGeneratedVerifiers(final.manifest);
    await buildContracts([verifierPath]);
    // As a prover on another machine gets it: a copy of the setup directory (zkr prover --setup).
    const copy = path.join(work, "setup-copy");
    cpSync(final.dir, copy, { recursive: true });
    const prover = new Prover(readSetupDir(copy));
    expect(prover.manifest.zkey).to.equal(path.join(copy, "circuit.zkey"));
    const devProver = new Prover((await setupCircuit(LABEL, tinyMain(2), { writeVerifier: false })).manifest);
    const connection = await network.connect();
    try {
      const proof = await prover.prove({ x0: 7n, x1: 11n });
      expect(await prover.verify(proof.proof, proof.publicSignals)).to.equal(true);
      const artifact = readArtifact(final.manifest.contractName);
      const [signer] = await connection.ethers.getSigners();
      const verifier = await new ContractFactory(artifact.abi, artifact.bytecode, signer).deploy();
      await verifier.waitForDeployment();
      expect(await verifier.getFunction("verifyProof")(...verifierCallArgs(proof.proof, proof.publicSignals))).to.equal(true);
      const dev = await devProver.prove({ x0: 7n, x1: 11n });
      expect(dev.publicSignals).to.deep.equal(proof.publicSignals);
      expect(await verifier.getFunction("verifyProof")(...verifierCallArgs(dev.proof, dev.publicSignals))).to.equal(false);
    } finally {
      await connection.close();
      await prover.close();
      await devProver.close();
    }
  });
});
