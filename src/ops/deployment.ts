// A rollup deployment: the record `deploy` returns and the deployment file keeps (public
// addresses, the rollup's policy, the setup its verifier came from), read back and checked, and
// the setup (proving and verification key) its verifier was exported from.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { getAddress } from "ethers";
import type { DerivedParams } from "../model/params.js";
import { fallbackOf, getInstance } from "../proving/instances.js";
import { describeProvenance, type SetupManifest, type SetupProvenance } from "../proving/manifest.js";
import { cacheDir } from "../proving/paths.js";
import { verifyingKeyHashOfFile } from "../proving/vkey.js";
import { sha256File, writeFileAtomic } from "../util/fs.js";

// 3: one verifier for single and aggregated proofs with its verifying key hash, and the L1-queue
// policy (fee, minimum deposit, grace, inactivity delay). 4: the fallback verifier and its delay.
export const DEPLOYMENT_FORMAT = "zkr-deployment-4";

/** The rollup's fallback verifier (Rollup.sol submitFallbackBatch): its instance and the setup it came from. */
export interface DeploymentFallback {
  verifier: string;
  verifyingKeyHash: string;
  /** The fallback instance (src/proving/instances.ts fallbackOf of the deployment's instance). */
  instance: string;
  setupKey: string;
  vkeySha256: string;
  setupProvenance?: SetupProvenance;
}

/** What `deploy` records: everything needed to talk to the rollup and check its proofs. */
export interface Deployment {
  format: typeof DEPLOYMENT_FORMAT;
  chainId: string;
  rpc: string;
  rollup: string;
  /** The verifier of single and aggregated proofs (ZkrVerifier_<instance>). */
  verifier: string;
  /** keccak256 of the verification key's points (src/proving/verifier.ts verifyingKeyHash), 0x-hex. */
  verifyingKeyHash: string;
  poseidon: { 3: string; 4: string; 5: string; 8: string };
  sequencer: string;
  instance: string;
  /** Setup (proving key) the verifier was exported from: cacheDir()/setup/<instance>-<setupKey>. */
  setupKey: string;
  /** sha256 of that setup's verification_key.json. */
  vkeySha256: string;
  /**
   * Which setup the verifier came from: development or ceremony, its contributions and beacon,
   * the hashes of its zkey and verification key (src/proving/setup.ts setupProvenance). Absent in files
   * written before zkr recorded it.
   */
  setupProvenance?: SetupProvenance;
  /** The rollup's immutable policy, decimal strings: seconds, and wei for the fee and the minimum. */
  escapeDelay: string;
  inactivityDelay: string;
  l1Grace: string;
  fallbackDelay: string;
  l1OpFee: string;
  minDeposit: string;
  fallback: DeploymentFallback;
  deployBlock: number;
  deployedAt: string;
}

/** Reads and checks a deployment file; the error says how to make one. */
export function readDeployment(f: string): Deployment {
  if (!existsSync(f)) throw new Error(`no deployment file ${f}: run \`zkr deploy\` or \`zkr devnet\`, or pass --deployment / set ZKR_DEPLOYMENT`);
  let d: Deployment;
  try {
    d = JSON.parse(readFileSync(f, "utf8")) as Deployment;
  } catch (e) {
    throw new Error(`deployment file ${f} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  const bad = (why: string) => new Error(`deployment file ${f} is invalid: ${why}`);
  if (d.format !== DEPLOYMENT_FORMAT) throw bad(`format is ${JSON.stringify(d.format)}, expected "${DEPLOYMENT_FORMAT}"`);
  try {
    for (const a of [d.rollup, d.verifier, d.sequencer, d.poseidon?.[3], d.poseidon?.[4], d.poseidon?.[5], d.poseidon?.[8], d.fallback?.verifier])
      getAddress(a ?? "");
    const f = fallbackOf(getInstance(d.instance));
    if (d.fallback.instance !== f.name) throw new Error(`fallback.instance is ${d.fallback.instance}, ${d.instance}'s fallback is ${f.name}`);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (!URL.canParse(d.rpc)) throw bad(`rpc is not a URL: "${d.rpc}"`);
  if (!["http:", "https:"].includes(new URL(d.rpc).protocol)) throw bad(`rpc must be an http(s) URL, got "${d.rpc}"`);
  if (!/^[1-9]\d*$/.test(d.chainId)) throw bad("chainId");
  if (!Number.isSafeInteger(d.deployBlock) || d.deployBlock < 0) throw bad("deployBlock");
  if (!/^[0-9a-f]{16}$/.test(d.setupKey) || !/^[0-9a-f]{64}$/.test(d.vkeySha256)) throw bad("setupKey / vkeySha256");
  const p = d.setupProvenance;
  if (p !== undefined && (!["ceremony", "development"].includes(p?.kind) || p.vkeySha256 !== d.vkeySha256 || !Array.isArray(p.contributions))) {
    throw bad("setupProvenance (its kind, contributions, or a verification key sha256 other than vkeySha256)");
  }
  if (!/^0x[0-9a-f]{64}$/.test(d.verifyingKeyHash ?? "")) throw bad("verifyingKeyHash");
  const fb = d.fallback;
  if (!/^0x[0-9a-f]{64}$/.test(fb.verifyingKeyHash ?? "") || !/^[0-9a-f]{16}$/.test(fb.setupKey ?? "") || !/^[0-9a-f]{64}$/.test(fb.vkeySha256 ?? ""))
    throw bad("fallback (verifyingKeyHash, setupKey, vkeySha256)");
  for (const f of ["escapeDelay", "inactivityDelay", "l1Grace", "fallbackDelay", "l1OpFee", "minDeposit"] as const) {
    if (typeof d[f] !== "string" || !/^\d+$/.test(d[f])) throw bad(f);
  }
  return d;
}

/** Writes a deployment file (atomically); refuses to replace one unless `overwrite`. */
export function writeDeployment(f: string, d: Deployment, overwrite: boolean): void {
  if (existsSync(f) && !overwrite) throw new Error(`${f} exists (a previous deployment?): pass --force to replace it, or --out another file`);
  writeFileAtomic(f, JSON.stringify(d, null, 2) + "\n", { mode: 0o644 });
}

/** One line on the setup the deployment's verifier came from (zkr verify, zkr status --l1). */
export function describeDeploymentSetup(d: Deployment): string {
  return d.setupProvenance ? describeProvenance(d.setupProvenance) : `not recorded (deployment file from before zkr recorded it), vkey sha256 ${d.vkeySha256}`;
}

export function deploymentParams(d: Deployment): DerivedParams {
  return getInstance(d.instance);
}

/** Checks that `manifest` is the setup a deployment's verifier was exported from. */
async function checkSetupMatches(
  d: Pick<Deployment, "instance" | "setupKey" | "vkeySha256" | "verifyingKeyHash">,
  manifest: SetupManifest,
  where: string,
): Promise<void> {
  if (
    manifest.label !== d.instance ||
    manifest.key !== d.setupKey ||
    (await sha256File(manifest.vkey)) !== d.vkeySha256 ||
    verifyingKeyHashOfFile(manifest.vkey) !== d.verifyingKeyHash
  ) {
    throw new Error(
      `${where} holds setup ${manifest.label}-${manifest.key}, but the rollup's verifier comes from setup ${d.instance}-${d.setupKey} ` +
        `(verification key sha256 ${d.vkeySha256}): pass --setup with a copy of the deployer's setup directory`,
    );
  }
}

/** The setup (proving and verification key) a deployment's verifier was exported from: in `setupDir`, else in the cache. */
export async function deploymentSetup(d: Deployment, setupDir?: string): Promise<SetupManifest> {
  return setupOf(d, setupDir);
}

/** The setup of the deployment's fallback verifier (its d.fallback record), likewise. */
export async function deploymentFallbackSetup(d: Deployment, setupDir?: string): Promise<SetupManifest> {
  const f = d.fallback;
  return setupOf({ ...d, instance: f.instance, setupKey: f.setupKey, vkeySha256: f.vkeySha256, verifyingKeyHash: f.verifyingKeyHash }, setupDir);
}

async function setupOf(d: Pick<Deployment, "instance" | "setupKey" | "vkeySha256" | "verifyingKeyHash">, setupDir?: string): Promise<SetupManifest> {
  const dir = setupDir ? path.resolve(setupDir) : path.join(cacheDir(), "setup", `${d.instance}-${d.setupKey}`);
  if (!existsSync(path.join(dir, "setup.json"))) {
    throw new Error(
      setupDir
        ? `${dir} is not a setup directory (no setup.json)`
        : `the keys of this deployment (setup ${d.instance}-${d.setupKey}) are not in ${path.dirname(dir)}: pass --setup DIR with a copy of the deployer's setup directory`,
    );
  }
  const { readSetupDir } = await import("../prover/worker.js");
  const manifest = readSetupDir(dir);
  await checkSetupMatches(d, manifest, dir);
  return manifest;
}
