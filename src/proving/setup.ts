// Groth16 trusted setup for zkr circuits: compile, pick and check the ptau (phase 1), run
// phase 2, export the verification key and the Solidity verifier into a setup directory.
// `setupCircuit` (`zkr setup`) is the development path: phase 2 gets ONE random contribution
// made on this machine, so whoever ran it could forge proofs; its manifest says so
// (phase2.kind "development") and assertKeyAllowedForChain refuses it on real chains unless
// forced. Production keys come from a multi-party ceremony (src/proving/ceremony.ts, `zkr ceremony`),
// which writes a setup directory of the same layout (phase2.kind "ceremony").
// Development setups are cached under cacheDir()/setup/<label>-<key>/, where the key hashes the
// circuit build key and the ptau's sha256, so a key made for other sources or another ptau is
// never picked up.
import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { zKey } from "snarkjs";
import { writeVerifier } from "./verifier.js";
import { PUBLIC_SIGNALS } from "./vkey.js";
import { compileCircuit } from "./circom.js";
import { compileLinked, type LinkedCircuit, linkShapeOf } from "./linked.js";
import type { LinkShape } from "./link.js";
import { type CircuitParams, type DerivedParams } from "../model/params.js";
import { getInstance } from "./instances.js";
import {
  contributionCount,
  type Phase2Kind,
  phase2Kind,
  readSetupManifest,
  type SetupBeacon,
  setupIsInsecure,
  type SetupManifest,
  type SetupPhase2,
  type SetupProvenance,
} from "./manifest.js";
import { GENERATED_CONTRACTS_DIR, setupDir } from "./paths.js";
import { REPO_ROOT } from "../util/paths.js";
import { ceremonyPtau, devPtau, readR1csInfo, requiredPower, sha256FileCached } from "./ptau.js";
import { type Log } from "../util/log.js";
import { removeInterruptedBuilds, sha256File, tempPathFor, withFileLock, writeFileAtomic } from "../util/fs.js";
import { withCurve } from "./curve.js";
import { type ContributeChoice, contributeZkey } from "./contribute.js";
import { initialZkey, type InitialZkeyOptions, readZkeyChain, sha256Hex, type ZkeyChain } from "./zkey.js";

/** Solidity version range the generated verifiers are pinned to (like the other contracts). */
const VERIFIER_PRAGMA = "pragma solidity ^0.8.28;";

/** Bumped whenever the artifacts or their post-processing change, to invalidate old setups. */
const SETUP_FORMAT = "zkr-setup-v1";

export interface SetupOptions {
  /** A ceremony ptau and the sha256 it must have. Without it a development ptau is used. */
  ptau?: { path: string; sha256: string };
  /** Development ptau to use instead of the shared / generated one (default: none; the CLI passes $ZKR_DEV_PTAU). */
  devPtau?: string;
  /** Directory of the shared pot17_dev.ptau and its SHA256SUMS (default: <repo>/../shared/ptau). */
  sharedPtauDir?: string;
  /** Write the verifier into contracts/generated/ (default true). */
  writeVerifier?: boolean;
  /** Instance parameters recorded in the manifest. */
  params?: CircuitParams;
  /** How the initial key is computed when it is not cached (default: native zkey new if it builds, else snarkjs). */
  initialZkey?: InitialZkeyOptions;
  /** Who scales the key's L and H sections in the development contribution (default "auto": native if it builds, else snarkjs). */
  contribute?: ContributeChoice;
  log?: Log;
}

export interface SetupResult {
  manifest: SetupManifest;
  /** True if the keys came from the cache. */
  cached: boolean;
  /** contracts/generated/<contract>.sol, if written. */
  verifierPath?: string;
  /** True if that file was created or its content changed: rebuild the contracts (buildContracts). */
  verifierChanged: boolean;
}

export { readR1csInfo, requiredPower, type R1csInfo } from "./ptau.js";

/** The circom main of a registered batch instance. */
export function batchMainSource(p: Pick<CircuitParams, "depth" | "batchSize" | "l1Slots" | "feeSlots">): string {
  return `pragma circom 2.1.6;\ninclude "batch.circom";\ncomponent main {public [challenge]} = Batch(${p.depth}, ${p.batchSize}, ${p.l1Slots}, ${p.feeSlots});\n`;
}

/** Setup (or cached setup) of the batch circuit of the instance registered as `name` (monolithic or linked). */
export async function setupInstance(name: string, opts: Omit<SetupOptions, "params"> = {}): Promise<SetupResult> {
  return setupCircuit(name, instanceSource(name), { ...opts, params: instanceParams(name) });
}

/** What a registered instance's setup is made from: Batch's main, or the shape of its linked circuit. */
export function instanceSource(name: string): string | LinkShape {
  const p = getInstance(name);
  return p.linked ? linkShapeOf(p) : batchMainSource(p);
}

/** The instance parameters recorded in a manifest, for a registered instance. */
export function instanceParams(name: string): CircuitParams {
  const p: DerivedParams = getInstance(name);
  return {
    name: p.name,
    description: p.description,
    depth: p.depth,
    batchSize: p.batchSize,
    l1Slots: p.l1Slots,
    feeSlots: p.feeSlots,
    ...(p.linked && { linked: true }),
  };
}

/** The circuit a setup is made of: a compiled main (compileCircuit) or a linked circuit (compileLinked; `wasm` is then the shell's). */
export interface SetupCircuit {
  key: string;
  r1cs: string;
  wasm: string;
  linked?: LinkedCircuit;
}

/** Compiles (or takes from the cache) a main, or the linked circuit of a shape. */
export async function compileSetupCircuit(label: string, source: string | LinkShape, log: Log = () => {}): Promise<SetupCircuit> {
  if (typeof source === "string") return compileCircuit(label, source);
  const linked = await compileLinked(label, source, log);
  return { key: linked.key, r1cs: linked.r1cs, wasm: linked.shell.wasm, linked };
}

/** The compiled circuit of a main (or a linked shape), its r1cs header, domain and ptau (phase 1), checked. */
export async function preparePhase1(label: string, source: string | LinkShape, opts: Pick<SetupOptions, "ptau" | "devPtau" | "sharedPtauDir" | "log">) {
  if (!/^[A-Za-z0-9_]+$/.test(label)) throw new Error(`setup label must be letters, digits and _ (it names a contract), got "${label}"`);
  const log = opts.log ?? (() => {});
  const circuit = await compileSetupCircuit(label, source, log);
  const info = await readR1csInfo(circuit.r1cs);
  const domainPower = requiredPower(info);
  log(`${label}: ${info.nConstraints} constraints, domain 2^${domainPower}`);
  const ptau = opts.ptau
    ? await ceremonyPtau(opts.ptau.path, opts.ptau.sha256, domainPower, log)
    : await devPtau(domainPower, { devPtau: opts.devPtau, sharedPtauDir: opts.sharedPtauDir, log });
  log(`${label}: ${ptau.kind} ptau ${ptau.path} (power ${ptau.power})`);
  return { circuit, info, domainPower, ptau, snarkjs: snarkjsVersion() };
}

/**
 * Setup of any circom main (or of the linked circuit of a shape: linked.ts): compile (cached),
 * choose and check the ptau, then phase 2 with ONE random contribution (development only: see
 * the header), unless a setup for the same circuit and ptau is cached. `label` names the cache
 * entry and the verifier contract `Groth16Verifier_<label>`.
 */
export async function setupCircuit(label: string, source: string | LinkShape, opts: SetupOptions = {}): Promise<SetupResult> {
  const log = opts.log ?? (() => {});
  const { circuit, info, domainPower, ptau, snarkjs: snarkjsVersion } = await preparePhase1(label, source, opts);
  const key = createHash("sha256").update(`${SETUP_FORMAT}\n${circuit.key}\n${ptau.sha256}\nsnarkjs@${snarkjsVersion}\n`).digest("hex").slice(0, 16);
  const dir = setupDir(label, key);

  let manifest = readManifestIfPresent(dir);
  let cached = true;
  if (!manifest) {
    manifest = await withFileLock(`${dir}.lock`, log, async () => {
      const done = readManifestIfPresent(dir); // made by whoever held the lock before us
      if (done) return done;
      removeInterruptedBuilds(dir);
      cached = false;
      const init = await initialZkey(label, circuit, ptau, snarkjsVersion, log, opts.initialZkey);
      const fields: SetupDirFields = {
        label,
        params: opts.params ?? null,
        circuitKey: circuit.key,
        key,
        constraints: info.nConstraints,
        nPublic: info.nOutputs + info.nPubInputs,
        domainPower,
        ptau,
        insecure: true, // one contribution, made here
        contractName: `Groth16Verifier_${label}`,
        r1cs: circuit.r1cs,
        snarkjs: snarkjsVersion,
      };
      return buildSetupDir(dir, fields, circuit, log, async (zkeyFile) => {
        log(`${label}: phase 2 contribution (development: one contributor)`);
        const c = await contributeZkey(init.path, zkeyFile, "zkr setup (development)", randomBytes(32).toString("hex"), { scale: opts.contribute, log });
        log(
          `${label}: contribution ${Buffer.from(c.hash).toString("hex").slice(0, 16)}… (L and H sections by ${c.scaledBy} in ${(c.scaleMs / 1000).toFixed(1)} s)`,
        );
        return { kind: "development" };
      });
    });
  }
  if (cached) log(`${label}: using cached setup ${dir}`);

  if (opts.writeVerifier === false) return { manifest, cached, verifierChanged: false };
  return { manifest, cached, ...writeGeneratedVerifiers(manifest, log) };
}

/**
 * Writes a setup's verifiers where Hardhat compiles them: contracts/generated/<contractName>.sol
 * and, for the batch circuit, the aggregate verifier of the same key. The files hold the setup
 * used last for each label. `verifierChanged`: rebuild the contracts (buildContracts).
 */
export function writeGeneratedVerifiers(manifest: SetupManifest, log: Log = () => {}): { verifierPath: string; verifierChanged: boolean } {
  const verifierPath = path.join(GENERATED_CONTRACTS_DIR, `${manifest.contractName}.sol`);
  const sol = readFileSync(manifest.verifierSol, "utf8");
  let verifierChanged = !existsSync(verifierPath) || readFileSync(verifierPath, "utf8") !== sol;
  if (verifierChanged) {
    writeFileAtomic(verifierPath, sol);
    log(`${manifest.label}: wrote ${path.relative(REPO_ROOT, verifierPath)} (rebuild the contracts)`);
  }
  if (manifest.nPublic === PUBLIC_SIGNALS) {
    // The Rollup's verifier (submitBatch and submitBatches), generated from the verification key.
    const v = writeVerifier(manifest);
    if (v.changed) log(`${manifest.label}: wrote ${path.relative(REPO_ROOT, v.path)} (rebuild the contracts)`);
    verifierChanged ||= v.changed;
  }
  return { verifierPath, verifierChanged };
}

/** The manifest fields a setup directory's maker provides (the rest: files, phase2, date). */
export type SetupDirFields = Omit<SetupManifest, "zkey" | "vkey" | "verifierSol" | "wasm" | "linked" | "createdAt" | "phase2">;

/** What a setup directory's zkey maker reports beyond what the zkey itself records. */
export interface MadeZkey {
  kind: Phase2Kind;
  beaconSource?: string | null;
  ceremony?: SetupPhase2["ceremony"];
}

/**
 * Builds the setup directory `dir` in a temporary directory renamed into place when complete:
 * `makeZkey` writes the final proving key to the path it is given; then its contribution chain
 * is read (phase2), the verification key and the Solidity verifier are exported, the wasm (a
 * linked circuit's: both parts' wasm and its layout) copied and setup.json written. If another
 * process completed `dir` first, its manifest is returned.
 */
export async function buildSetupDir(
  dir: string,
  fields: SetupDirFields,
  circuit: Pick<SetupCircuit, "wasm" | "linked">,
  log: Log,
  makeZkey: (zkeyFile: string) => Promise<MadeZkey>,
): Promise<SetupManifest> {
  const tmp = tempPathFor(dir);
  mkdirSync(tmp, { recursive: true });
  const t0 = Date.now();
  try {
    const zkeyFile = path.join(tmp, "circuit.zkey");
    const { made, vkey, sol } = await withCurve(async () => {
      const made = await makeZkey(zkeyFile);
      const vkey = await zKey.exportVerificationKey(zkeyFile);
      const template = readFileSync(path.join(REPO_ROOT, "node_modules", "snarkjs", "templates", "verifier_groth16.sol.ejs"), "utf8");
      const sol = await zKey.exportSolidityVerifier(zkeyFile, { groth16: template });
      return { made, vkey, sol };
    });
    if (vkey.nPublic !== fields.nPublic) throw new Error(`verification key has ${String(vkey.nPublic)} public signals, expected ${fields.nPublic}`);
    const vkeyText = JSON.stringify(vkey, null, 2) + "\n";
    writeFileSync(path.join(tmp, "verification_key.json"), vkeyText);
    // streamed: a 2^23 key is several GB, more than readFileSync reads (2 GiB)
    const phase2 = phase2Record(made, await readZkeyChain(zkeyFile), await sha256File(zkeyFile), sha256Hex(vkeyText));
    writeFileSync(path.join(tmp, `${fields.contractName}.sol`), adaptVerifier(sol, { ...fields, phase2 }));
    const l = circuit.linked;
    copyFileSync(l ? l.shell.wasm : circuit.wasm, path.join(tmp, l ? "shell.wasm" : "circuit.wasm"));
    if (l) {
      copyFileSync(l.transfer.wasm, path.join(tmp, "transfer.wasm"));
      copyFileSync(l.layoutFile, path.join(tmp, "layout.json"));
    }
    const manifest: SetupManifest = {
      ...fields,
      phase2,
      zkey: path.join(dir, "circuit.zkey"),
      vkey: path.join(dir, "verification_key.json"),
      verifierSol: path.join(dir, `${fields.contractName}.sol`),
      wasm: path.join(dir, l ? "shell.wasm" : "circuit.wasm"),
      ...(l && {
        linked: {
          layout: path.join(dir, "layout.json"),
          shellWasm: path.join(dir, "shell.wasm"),
          transferWasm: path.join(dir, "transfer.wasm"),
          shellKey: l.shell.key,
          transferKey: l.transfer.key,
        },
      }),
      createdAt: new Date().toISOString(),
    };
    writeFileSync(path.join(tmp, "setup.json"), JSON.stringify(manifest, null, 2) + "\n");
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another process finished the same setup first (without seeing our lock): use theirs.
      const theirs = readManifestIfPresent(dir);
      if (!theirs) throw e;
      return theirs;
    }
    log(`${fields.label}: setup done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
    return manifest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function phase2Record(made: MadeZkey, chain: ZkeyChain, zkeySha256: string, vkeySha256: string): SetupPhase2 {
  const last = chain.contributions.at(-1);
  const beacon: SetupBeacon | null = last?.beacon
    ? { hash: last.beacon.hash, iterationsExp: last.beacon.iterationsExp, source: made.beaconSource ?? null, contributionHash: last.hash }
    : null;
  return {
    kind: made.kind,
    circuitHash: chain.circuitHash,
    contributions: chain.contributions.filter((c) => !c.beacon).map((c) => ({ name: c.name, hash: c.hash })),
    beacon,
    zkeySha256,
    vkeySha256,
    ...(made.ceremony && { ceremony: made.ceremony }),
  };
}

/** Renames the snarkjs verifier contract, pins its pragma and heads it with its provenance. */
export function adaptVerifier(sol: string, m: Pick<SetupManifest, "label" | "key" | "contractName" | "ptau" | "circuitKey"> & { phase2: SetupPhase2 }): string {
  const contractRe = /^contract Groth16Verifier \{/m;
  const pragmaRe = /^pragma solidity [^;]+;/m;
  if (!contractRe.test(sol) || !pragmaRe.test(sol)) throw new Error("unexpected snarkjs verifier template: no `contract Groth16Verifier {` or pragma");
  const header = [
    `// Generated by zkr for circuit "${m.label}" (setup key ${m.key}, circuit key ${m.circuitKey}). Do not edit.`,
    m.ptau.kind === "ceremony"
      ? `// Phase 1: ceremony ptau sha256 ${m.ptau.sha256}.`
      : `// INSECURE DEVELOPMENT KEY (ptau sha256 ${m.ptau.sha256}): for local chains only.`,
    m.phase2.kind === "ceremony"
      ? `// Phase 2: ceremony, ${contributionCount(m.phase2)} (zkey sha256 ${m.phase2.zkeySha256}).`
      : `// Phase 2: INSECURE DEVELOPMENT KEY, a single contribution (zkr setup): for local chains only.`,
  ].join("\n");
  return sol
    .replace(/^(\/\/ SPDX-License-Identifier: [^\n]*\n)/, `$1${header}\n`)
    .replace(pragmaRe, VERIFIER_PRAGMA)
    .replace(contractRe, `contract ${m.contractName} {`);
}

function readManifestIfPresent(dir: string): SetupManifest | undefined {
  const file = path.join(dir, "setup.json");
  return existsSync(file) ? readSetupManifest(dir) : undefined;
}

/**
 * The provenance of a setup's key as a deployment records it, read from the key files
 * themselves: the contribution chain from the zkey, the sha256 of zkey and verification key,
 * and a check that the verification key is the zkey's. Throws if the manifest's phase2 record
 * disagrees with the files (a manifest edited or copied next to other keys).
 */
export async function setupProvenance(m: SetupManifest): Promise<SetupProvenance> {
  const chain = await readZkeyChain(m.zkey);
  const zkeySha256 = await sha256FileCached(m.zkey);
  const vkeyText = readFileSync(m.vkey, "utf8");
  const exported = await withCurve(() => zKey.exportVerificationKey(m.zkey));
  if (JSON.stringify(exported) !== JSON.stringify(JSON.parse(vkeyText))) {
    throw new Error(`setup ${m.label}-${m.key}: ${m.vkey} is not the verification key of ${m.zkey}`);
  }
  const fromFiles = phase2Record({ kind: phase2Kind(m), beaconSource: m.phase2?.beacon?.source ?? null }, chain, zkeySha256, sha256Hex(vkeyText));
  const recorded = m.phase2;
  if (recorded) {
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const problem = [
      recorded.zkeySha256 !== fromFiles.zkeySha256 && "zkey sha256",
      recorded.vkeySha256 !== fromFiles.vkeySha256 && "verification key sha256",
      recorded.circuitHash !== fromFiles.circuitHash && "circuit hash",
      !same(recorded.contributions, fromFiles.contributions) && "contributions",
      !same(recorded.beacon, fromFiles.beacon) && "beacon",
    ].filter(Boolean);
    if (problem.length) throw new Error(`setup ${m.label}-${m.key}: its manifest does not match its key files (${problem.join(", ")})`);
  }
  if (fromFiles.kind === "ceremony" && (!fromFiles.beacon || fromFiles.contributions.length === 0)) {
    throw new Error(`setup ${m.label}-${m.key} claims a ceremony but its zkey has no contribution or no final beacon`);
  }
  const { kind, circuitHash, contributions, beacon, vkeySha256 } = fromFiles;
  return {
    kind,
    insecure: setupIsInsecure(m),
    ptau: { kind: m.ptau.kind, sha256: m.ptau.sha256, power: m.ptau.power },
    circuitHash,
    contributions,
    beacon,
    zkeySha256,
    vkeySha256,
  };
}

/** The installed snarkjs's version (setups and initial keys are keyed by it). */
export function snarkjsVersion(): string {
  return packageVersion("snarkjs");
}

function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
}

const run = promisify(execFile);

/**
 * Compiles the Solidity contracts with Hardhat (`hardhat build --quiet`) from the repository
 * root, e.g. after a setup wrote a new verifier. `files` limits the build to those sources.
 * Throws with the compiler output on failure.
 */
export async function buildContracts(files: string[] = []): Promise<void> {
  const cli = path.join(REPO_ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  try {
    await run(process.execPath, [cli, "build", "--quiet", ...files.map((f) => path.relative(REPO_ROOT, path.resolve(f)))], {
      cwd: REPO_ROOT,
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`hardhat build failed:\n${[err.stdout, err.stderr].filter(Boolean).join("\n") || err.message}`, { cause: e });
  }
}
