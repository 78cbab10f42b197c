// Deploying a rollup for a circuit instance: its setup (made here, or taken from a setup
// directory such as a ceremony's), the generated verifier compiled, then Poseidon, the verifier
// and the Rollup deployed; the result is the deployment record.
import path from "node:path";
import { getAddress, type Signer } from "ethers";
import { readArtifact } from "../chain/artifacts.js";
import { deployRollup, type RollupPolicy } from "../chain/deploy.js";
import type { DerivedParams } from "../model/params.js";
import { fallbackOf, getInstance } from "../proving/instances.js";
import { assertKeyAllowedForChain, describeProvenance, type SetupManifest } from "../proving/manifest.js";
import { buildContracts, type SetupResult, setupInstance, setupProvenance, writeGeneratedVerifiers } from "../proving/setup.js";
import { setupVerifier, verifierContractName } from "../proving/verifier.js";
import { sha256File } from "../util/fs.js";
import type { Log } from "../util/log.js";
import { assertKeyAllowedOnChain } from "./connect.js";
import { DEPLOYMENT_FORMAT, type Deployment } from "./deployment.js";

export interface DeployOptions {
  /** Sends the deployment transactions (connected to the chain); it becomes the rollup's admin. */
  signer: Signer;
  chainId: bigint;
  /** The chain's JSON-RPC URL, recorded in the deployment. */
  rpc: string;
  instance: string;
  /** The rollup's policy; src/chain/deploy.ts's production defaults for what is not given. */
  policy: Partial<RollupPolicy>;
  /** Address allowed to submit batches (default: the deployer). */
  sequencer?: string;
  /** A setup directory to deploy the verifier of (e.g. from `zkr ceremony finalize`); default: the development setup of the instance, from the cache or made here. */
  setupDir?: string;
  /** Likewise for the fallback verifier (the instance's fallback, src/proving/instances.ts fallbackOf). */
  fallbackSetupDir?: string;
  /** Accept a single-contribution phase 2 on a chain that is not a development chain (assertKeyAllowedForChain). */
  allowSingleContribution?: boolean;
  /** Development ptau of a setup made here (default: the shared or generated one, src/proving/ptau.ts devPtau). */
  devPtau?: string;
  log?: Log;
}

/** The manifest of the setup in `dir` (a copy from another machine works), checked to be for `instance`. */
async function setupFromDir(dir: string, instance: string): Promise<SetupManifest> {
  const { readSetupDir } = await import("../prover/worker.js");
  const manifest = readSetupDir(path.resolve(dir));
  if (manifest.label !== instance) throw new Error(`setup ${dir} is for ${manifest.label}, not for instance ${instance}`);
  return manifest;
}

/** Compiles the contracts if a setup wrote a new verifier or an artifact is missing or stale. */
async function ensureContracts(setups: SetupResult[], log: Log = () => {}): Promise<void> {
  let reason = setups.some((s) => s.verifierChanged) ? "new verifier" : undefined;
  if (!reason) {
    try {
      readArtifact("Rollup");
      for (const s of setups) readArtifact(verifierContractName(s.manifest.label));
    } catch (e) {
      reason = (e as Error).message;
    }
  }
  if (!reason) return;
  log(`compiling the contracts (${reason.split(":")[0]})`);
  await buildContracts();
}

/**
 * Sets up (or takes from the cache, or from `setupDir`) the instance's keys, compiles the
 * contracts if needed, and deploys Poseidon, the verifier and the Rollup; returns what the
 * deployment file records. Refuses a public development key or a single-contribution setup on a
 * chain that is not a development chain before anything is written or sent.
 */
export async function deploy(o: DeployOptions): Promise<Deployment> {
  const log = o.log ?? (() => {});
  const params = getInstance(o.instance);
  const deployer = getAddress(await o.signer.getAddress());
  assertKeyAllowedOnChain(deployer, o.chainId);
  const fallbackParams = fallbackOf(params);
  const setupFor = async (p: DerivedParams, dir: string | undefined) =>
    dir ? await setupFromDir(dir, p.name) : (await setupInstance(p.name, { log, writeVerifier: false, devPtau: o.devPtau })).manifest;
  // Every check before anything is written: a refused key leaves contracts/generated/ as it was. The
  // main key first, before the fallback's setup is made or read.
  const allowed = (m: SetupManifest) => assertKeyAllowedForChain(m, o.chainId, { allowSingleContribution: o.allowSingleContribution });
  const manifest = await setupFor(params, o.setupDir);
  const provenance = await setupProvenance(manifest);
  allowed(manifest);
  const fallbackManifest = await setupFor(fallbackParams, o.fallbackSetupDir);
  const fallbackProvenance = await setupProvenance(fallbackManifest);
  allowed(fallbackManifest);
  log(`setup ${manifest.label}-${manifest.key}: ${describeProvenance(provenance)}`);
  log(`fallback setup ${fallbackManifest.label}-${fallbackManifest.key}: ${describeProvenance(fallbackProvenance)}`);
  const setup: SetupResult = { manifest, cached: true, ...writeGeneratedVerifiers(manifest, log) };
  const fallbackSetup: SetupResult = { manifest: fallbackManifest, cached: true, ...writeGeneratedVerifiers(fallbackManifest, log) };
  await ensureContracts([setup, fallbackSetup], log);
  const verifier = setupVerifier(setup.manifest);
  const fallbackVerifier = setupVerifier(fallbackManifest);
  log(`deploying Poseidon(3, 4, 5, 8), ${verifier.verifierArtifact}, ${fallbackVerifier.verifierArtifact} and Rollup from ${deployer}`);
  const sequencer = getAddress(o.sequencer ?? deployer);
  const d = await deployRollup({ signer: o.signer, ...verifier, fallback: { ...fallbackVerifier, params: fallbackParams }, params, sequencer, ...o.policy });
  return {
    format: DEPLOYMENT_FORMAT,
    chainId: d.chainId.toString(),
    rpc: o.rpc,
    rollup: d.rollupAddress,
    verifier: d.verifierAddress,
    verifyingKeyHash: d.verifyingKeyHash,
    poseidon: { 3: d.poseidon[3], 4: d.poseidon[4], 5: d.poseidon[5], 8: d.poseidon[8] },
    sequencer,
    instance: params.name,
    setupKey: setup.manifest.key,
    vkeySha256: await sha256File(setup.manifest.vkey),
    setupProvenance: provenance,
    escapeDelay: d.policy.escapeDelay.toString(),
    inactivityDelay: d.policy.inactivityDelay.toString(),
    l1Grace: d.policy.l1Grace.toString(),
    fallbackDelay: d.policy.fallbackDelay.toString(),
    l1OpFee: d.policy.l1OpFee.toString(),
    minDeposit: d.policy.minDeposit.toString(),
    fallback: {
      verifier: d.fallbackVerifierAddress,
      verifyingKeyHash: d.fallbackVerifyingKeyHash,
      instance: fallbackParams.name,
      setupKey: fallbackManifest.key,
      vkeySha256: await sha256File(fallbackManifest.vkey),
      setupProvenance: fallbackProvenance,
    },
    deployBlock: d.blockNumber,
    deployedAt: new Date().toISOString(),
  };
}
