// Groth16 trusted setup for zkr circuits: compile, pick and check the ptau (phase 1), run
// phase 2 (one random contribution), export the verification key and the Solidity verifier.
// Everything is cached under cacheDir()/setup/<label>-<key>/, where the key hashes the circuit
// build key and the ptau's sha256, so a key made for other sources or another ptau is never
// picked up.
import { createHash, randomBytes } from "node:crypto";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { zKey } from "snarkjs";
import { PUBLIC_SIGNALS, writeVerifier } from "./aggregate.js";
import { cacheDir, compileCircuit } from "./circom.js";
import { SNARK_FIELD } from "./crypto.js";
import { type CircuitParams, type DerivedParams, getInstance, REPO_ROOT } from "./params.js";
import {
  ceremonyPtau,
  devPtau,
  type Log,
  MAX_POWER,
  type PtauInfo,
  readBinSectionStart,
  removeInterruptedBuilds,
  snarkjsLogger,
  withCurve,
  withFileLock,
  writeFileAtomic,
} from "./ptau.js";

export { holdCurve, type Log, type PtauInfo } from "./ptau.js";

/** Chain ids of local development chains (Hardhat, Ganache / geth --dev). */
export const DEV_CHAIN_IDS: readonly bigint[] = [31337n, 1337n];

/** Solidity version range the generated verifiers are pinned to (like the other contracts). */
const VERIFIER_PRAGMA = "pragma solidity ^0.8.28;";

/** Bumped whenever the artifacts or their post-processing change, to invalidate old setups. */
const SETUP_FORMAT = "zkr-setup-v1";

/** Where the generated verifiers go for Hardhat to compile (gitignored). */
export const GENERATED_CONTRACTS_DIR = path.join(REPO_ROOT, "contracts", "generated");

export interface SetupManifest {
  label: string;
  /** Instance parameters, for a registered batch instance; null for other circuits. */
  params: CircuitParams | null;
  /** compileCircuit's key: hash of the circuit sources, compiler and main. */
  circuitKey: string;
  /** Key of this setup: hash of circuitKey, the ptau's sha256 and the setup format. */
  key: string;
  constraints: number;
  nPublic: number;
  /** log2 of the circuit's FFT domain (≤ ptau.power). */
  domainPower: number;
  ptau: PtauInfo;
  /** True for keys from a development ptau: never acceptable on a chain with real value. */
  insecure: boolean;
  contractName: string;
  zkey: string;
  vkey: string;
  verifierSol: string;
  wasm: string;
  r1cs: string;
  snarkjs: string;
  createdAt: string;
}

export interface SetupOptions {
  /** A ceremony ptau and the sha256 it must have. Without it a development ptau is used. */
  ptau?: { path: string; sha256: string };
  /** Development ptau to use instead of the shared / generated one (default: $ZKR_DEV_PTAU). */
  devPtau?: string;
  /** Directory of the shared pot17_dev.ptau and its SHA256SUMS (default: <repo>/../shared/ptau). */
  sharedPtauDir?: string;
  /** Write the verifier into contracts/generated/ (default true). */
  writeVerifier?: boolean;
  /** Instance parameters recorded in the manifest. */
  params?: CircuitParams;
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

export interface R1csInfo {
  nConstraints: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nVars: number;
}

/** Reads the header of a circom .r1cs file (without loading its constraints). */
export async function readR1csInfo(file: string): Promise<R1csInfo> {
  const { data } = await readBinSectionStart(file, "r1cs", 1, 4 + 32 + 4 * 4 + 8 + 4);
  const n8 = data.readUInt32LE(0);
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(data[4 + i]!);
  if (n8 !== 32 || prime !== SNARK_FIELD) throw new Error(`${file} is not a bn128 circuit`);
  return {
    nVars: data.readUInt32LE(36),
    nOutputs: data.readUInt32LE(40),
    nPubInputs: data.readUInt32LE(44),
    nPrvInputs: data.readUInt32LE(48),
    nConstraints: data.readUInt32LE(60),
  };
}

/**
 * log2 of the FFT domain snarkjs uses for a circuit, i.e. the smallest ptau power that fits it:
 * snarkjs (zkey_new.js) needs 2^power ≥ nConstraints + nPubInputs + nOutputs + 1 (one extra
 * constraint per public signal and one for the constant signal).
 */
export function requiredPower(info: Pick<R1csInfo, "nConstraints" | "nPubInputs" | "nOutputs">): number {
  const rows = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
  let power = 1;
  while (2 ** power < rows) power++;
  if (power > MAX_POWER) throw new Error(`circuit too large for bn128 Groth16: needs a domain of 2^${power} > 2^${MAX_POWER}`);
  return power;
}

/** The circom main of a registered batch instance. */
export function batchMainSource(p: Pick<CircuitParams, "depth" | "batchSize" | "l1Slots" | "feeSlots">): string {
  return `pragma circom 2.1.6;\ninclude "batch.circom";\ncomponent main {public [challenge]} = Batch(${p.depth}, ${p.batchSize}, ${p.l1Slots}, ${p.feeSlots});\n`;
}

/** Setup (or cached setup) of the batch circuit of the instance registered as `name`. */
export async function setupInstance(name: string, opts: Omit<SetupOptions, "params"> = {}): Promise<SetupResult> {
  const p: DerivedParams = getInstance(name);
  const params: CircuitParams = { name: p.name, description: p.description, depth: p.depth, batchSize: p.batchSize, l1Slots: p.l1Slots, feeSlots: p.feeSlots };
  return setupCircuit(name, batchMainSource(p), { ...opts, params });
}

/**
 * Setup of any circom main: compile (cached), choose and check the ptau, then phase 2 with one
 * random contribution, unless a setup for the same circuit and ptau is cached. `label` names
 * the cache entry and the verifier contract `Groth16Verifier_<label>`.
 */
export async function setupCircuit(label: string, mainSource: string, opts: SetupOptions = {}): Promise<SetupResult> {
  if (!/^[A-Za-z0-9_]+$/.test(label)) throw new Error(`setup label must be letters, digits and _ (it names a contract), got "${label}"`);
  const log = opts.log ?? (() => {});

  const circuit = await compileCircuit(label, mainSource);
  const info = await readR1csInfo(circuit.r1cs);
  const domainPower = requiredPower(info);
  log(`${label}: ${info.nConstraints} constraints, domain 2^${domainPower}`);
  const ptau = opts.ptau
    ? await ceremonyPtau(opts.ptau.path, opts.ptau.sha256, domainPower, log)
    : await devPtau(domainPower, { devPtau: opts.devPtau, sharedPtauDir: opts.sharedPtauDir, log });
  log(`${label}: ${ptau.kind} ptau ${ptau.path} (power ${ptau.power})`);

  const snarkjsVersion = packageVersion("snarkjs");
  const key = createHash("sha256")
    .update(`${SETUP_FORMAT}\n${circuit.key}\n${ptau.sha256}\nsnarkjs@${snarkjsVersion}\n`)
    .digest("hex")
    .slice(0, 16);
  const dir = path.join(cacheDir(), "setup", `${label}-${key}`);

  let manifest = readManifestIfPresent(dir);
  let cached = true;
  if (!manifest) {
    manifest = await withFileLock(`${dir}.lock`, log, async () => {
      const done = readManifestIfPresent(dir); // made by whoever held the lock before us
      if (done) return done;
      removeInterruptedBuilds(dir);
      cached = false;
      return runPhase2(dir, {
        label,
        params: opts.params ?? null,
        circuitKey: circuit.key,
        key,
        constraints: info.nConstraints,
        nPublic: info.nOutputs + info.nPubInputs,
        domainPower,
        ptau,
        insecure: ptau.kind !== "ceremony",
        contractName: `Groth16Verifier_${label}`,
        r1cs: circuit.r1cs,
        snarkjs: snarkjsVersion,
        wasmSource: circuit.wasm,
        log,
      });
    });
  }
  if (cached) log(`${label}: using cached setup ${dir}`);

  if (opts.writeVerifier === false) return { manifest, cached, verifierChanged: false };
  const verifierPath = path.join(GENERATED_CONTRACTS_DIR, `${manifest.contractName}.sol`);
  const sol = readFileSync(manifest.verifierSol, "utf8");
  let verifierChanged = !existsSync(verifierPath) || readFileSync(verifierPath, "utf8") !== sol;
  if (verifierChanged) {
    writeFileAtomic(verifierPath, sol);
    log(`${label}: wrote ${path.relative(REPO_ROOT, verifierPath)} (rebuild the contracts)`);
  }
  if (manifest.nPublic === PUBLIC_SIGNALS) {
    // The Rollup's verifier (submitBatch and submitBatches), generated from the verification key.
    const v = writeVerifier(manifest);
    if (v.changed) log(`${label}: wrote ${path.relative(REPO_ROOT, v.path)} (rebuild the contracts)`);
    verifierChanged ||= v.changed;
  }
  return { manifest, cached, verifierPath, verifierChanged };
}

type Phase2Input = Omit<SetupManifest, "zkey" | "vkey" | "verifierSol" | "wasm" | "createdAt"> & {
  wasmSource: string;
  log: Log;
};

async function runPhase2(dir: string, inp: Phase2Input): Promise<SetupManifest> {
  const { wasmSource, log, ...fields } = inp;
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  mkdirSync(tmp, { recursive: true });
  const t0 = Date.now();
  try {
    const zkey0 = path.join(tmp, "circuit_0000.zkey");
    const zkeyFile = path.join(tmp, "circuit.zkey");
    const { vkey, sol } = await withCurve(async () => {
      log(`${fields.label}: phase 2 new zkey`);
      const l0 = snarkjsLogger(log, `${fields.label} zkey new`);
      const csHash = await zKey.newZKey(fields.r1cs, fields.ptau.path, zkey0, l0.logger);
      if (!(csHash instanceof Uint8Array)) throw new Error(`snarkjs zkey new failed for ${fields.label}: ${l0.lastError() ?? "unknown error"}`);
      log(`${fields.label}: phase 2 contribution`);
      await zKey.contribute(zkey0, zkeyFile, "zkr setup", randomBytes(32).toString("hex"), snarkjsLogger(log, `${fields.label} zkey contribute`).logger);
      rmSync(zkey0);
      const vkey = await zKey.exportVerificationKey(zkeyFile);
      const template = readFileSync(path.join(REPO_ROOT, "node_modules", "snarkjs", "templates", "verifier_groth16.sol.ejs"), "utf8");
      const sol = await zKey.exportSolidityVerifier(zkeyFile, { groth16: template });
      return { vkey, sol };
    });
    if (vkey.nPublic !== fields.nPublic) throw new Error(`verification key has ${String(vkey.nPublic)} public signals, expected ${fields.nPublic}`);
    writeFileSync(path.join(tmp, "verification_key.json"), JSON.stringify(vkey, null, 2) + "\n");
    writeFileSync(path.join(tmp, `${fields.contractName}.sol`), adaptVerifier(sol, fields));
    copyFileSync(wasmSource, path.join(tmp, "circuit.wasm"));
    const manifest: SetupManifest = {
      ...fields,
      zkey: path.join(dir, "circuit.zkey"),
      vkey: path.join(dir, "verification_key.json"),
      verifierSol: path.join(dir, `${fields.contractName}.sol`),
      wasm: path.join(dir, "circuit.wasm"),
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

/** Renames the snarkjs verifier contract, pins its pragma and heads it with its provenance. */
function adaptVerifier(sol: string, m: Pick<SetupManifest, "label" | "key" | "contractName" | "ptau" | "circuitKey">): string {
  const contractRe = /^contract Groth16Verifier \{/m;
  const pragmaRe = /^pragma solidity [^;]+;/m;
  if (!contractRe.test(sol) || !pragmaRe.test(sol)) throw new Error("unexpected snarkjs verifier template: no `contract Groth16Verifier {` or pragma");
  const header = [
    `// Generated by zkr setup for circuit "${m.label}" (setup key ${m.key}, circuit key ${m.circuitKey}). Do not edit.`,
    m.ptau.kind === "ceremony"
      ? `// Phase 1: ceremony ptau sha256 ${m.ptau.sha256}.`
      : `// INSECURE DEVELOPMENT KEY (ptau sha256 ${m.ptau.sha256}): for local chains only.`,
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

/** Reads and checks the manifest of a setup directory (or of its setup.json). */
export function readSetupManifest(dirOrFile: string): SetupManifest {
  const file = dirOrFile.endsWith(".json") ? dirOrFile : path.join(dirOrFile, "setup.json");
  const m = JSON.parse(readFileSync(file, "utf8")) as SetupManifest;
  for (const f of [m.zkey, m.vkey, m.verifierSol, m.wasm]) {
    if (typeof f !== "string" || !existsSync(f)) throw new Error(`setup ${file} is incomplete: missing ${f}`);
  }
  return m;
}

/**
 * Refuses keys made from a development ptau for any chain but a local development chain
 * (31337, 1337): whoever made that ptau can forge proofs.
 */
export function assertKeyAllowedForChain(manifest: Pick<SetupManifest, "label" | "ptau">, chainId: number | bigint): void {
  if (manifest.ptau.kind === "ceremony") return;
  if (DEV_CHAIN_IDS.includes(BigInt(chainId))) return;
  throw new Error(
    `refusing the "${manifest.label}" key on chain ${chainId}: it was made from a development ptau ` +
      `(${manifest.ptau.path}), whose single contributor could forge proofs. Development keys are only ` +
      `allowed on chains ${DEV_CHAIN_IDS.join(", ")}; run the setup with a ceremony ptau and its sha256.`,
  );
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
    throw new Error(`hardhat build failed:\n${[err.stdout, err.stderr].filter(Boolean).join("\n") || err.message}`);
  }
}
