import { Command, Option } from "commander";
import { getAddress, Wallet } from "ethers";
import { existsSync } from "node:fs";
import path from "node:path";
import { DEFAULT_ESCAPE_DELAY, deployRollup } from "../../lib/deploy.js";
import { getInstance, TEST_INSTANCE } from "../../lib/params.js";
import {
  assertKeyAllowedForChain,
  describeProvenance,
  type SetupManifest,
  type SetupResult,
  setupInstance,
  setupProvenance,
  writeGeneratedVerifiers,
} from "../../lib/setup.js";
import { Config, DEPLOYMENT_FORMAT, type Deployment, sha256File, withSettings, writeDeployment } from "../config.js";
import { assertKeyAllowedOnChain, connectRpc } from "../l1.js";
import { ensureContracts, type Log } from "../services.js";
import { intArg } from "../units.js";
import { aggregateVerifierName } from "../../lib/aggregate.js";

export interface DeployOptions {
  signer: Wallet;
  chainId: bigint;
  rpc: string;
  instance: string;
  escapeDelay: bigint;
  /** Address allowed to submit batches (default: the deployer). */
  sequencer?: string;
  /** A setup directory to deploy the verifier of (e.g. from `zkr ceremony finalize`); default: `zkr setup`'s, from the cache. */
  setupDir?: string;
  /** Accept a single-contribution phase 2 on a chain that is not a development chain (assertKeyAllowedForChain). */
  allowSingleContribution?: boolean;
  log: Log;
}

/** The manifest of the setup in `dir` (a copy from another machine works), checked to be for `instance`. */
async function setupFromDir(dir: string, instance: string): Promise<SetupManifest> {
  const { readSetupDir } = await import("../../prover/worker.js");
  const manifest = readSetupDir(path.resolve(dir));
  if (manifest.label !== instance) throw new Error(`setup ${dir} is for ${manifest.label}, not for instance ${instance}`);
  return manifest;
}

/**
 * Sets up (or takes from the cache) the instance's keys, compiles the contracts if needed, and
 * deploys Poseidon, the verifier and the Rollup; returns what the deployment file records.
 */
export async function deployInstance(o: DeployOptions): Promise<Deployment> {
  const params = getInstance(o.instance);
  assertKeyAllowedOnChain(o.signer.address, o.chainId);
  const manifest = o.setupDir ? await setupFromDir(o.setupDir, params.name) : (await setupInstance(params.name, { log: o.log, writeVerifier: false })).manifest;
  // Both checks before anything is written: a refused key leaves contracts/generated/ as it was.
  const provenance = await setupProvenance(manifest);
  assertKeyAllowedForChain(manifest, o.chainId, { allowSingleContribution: o.allowSingleContribution });
  o.log(`setup ${manifest.label}-${manifest.key}: ${describeProvenance(provenance)}`);
  const setup: SetupResult = { manifest, cached: true, ...writeGeneratedVerifiers(manifest, o.log) };
  await ensureContracts(setup, o.log);
  o.log(`deploying Poseidon(4, 5, 6), ${setup.manifest.contractName} and Rollup from ${o.signer.address}`);
  const d = await deployRollup({
    signer: o.signer,
    verifierArtifact: setup.manifest.contractName,
    aggregateVerifierArtifact: aggregateVerifierName(setup.manifest.label),
    params,
    sequencer: getAddress(o.sequencer ?? o.signer.address),
    escapeDelay: o.escapeDelay,
  });
  return {
    format: DEPLOYMENT_FORMAT,
    chainId: d.chainId.toString(),
    rpc: o.rpc,
    rollup: d.rollupAddress,
    verifier: d.verifierAddress,
    poseidon: { 3: d.poseidon[3], 4: d.poseidon[4], 5: d.poseidon[5], 8: d.poseidon[8] },
    sequencer: getAddress(o.sequencer ?? o.signer.address),
    instance: params.name,
    setupKey: setup.manifest.key,
    vkeySha256: sha256File(setup.manifest.vkey),
    setupProvenance: provenance,
    escapeDelay: o.escapeDelay.toString(),
    deployBlock: d.blockNumber,
    deployedAt: new Date().toISOString(),
  };
}

export function deployCommand(): Command {
  const cmd = new Command("deploy")
    .description("deploy Poseidon, the Groth16 verifier and the Rollup to a chain, and write the deployment file")
    .option("-i, --instance <name>", "circuit instance", TEST_INSTANCE)
    .addOption(
      new Option("--escape-delay <seconds>", "how long an L1 operation may wait before escape mode may be activated")
        .argParser(intArg("escape delay", 1n))
        .default(DEFAULT_ESCAPE_DELAY, `${DEFAULT_ESCAPE_DELAY} (a week)`),
    )
    .option("--sequencer-address <address>", "address allowed to submit batches (default: the deployer)")
    .option("--setup <dir>", "setup directory of the verifier to deploy, e.g. from `zkr ceremony finalize` (default: `zkr setup`'s development key; -i defaults to its instance)")
    .option("--allow-single-contribution", "accept a single-contribution (zkr setup) key with a ceremony ptau on a non-development chain: whoever ran that setup could forge proofs")
    .option("--out <file>", "deployment file to write [env ZKR_DEPLOYMENT, default .zkr/deployment.json]")
    .option("--force", "replace an existing deployment file")
    .option("--json", "print the deployment as JSON");
  withSettings(cmd, "rpc", "key");
  return cmd.action(async (o: { instance: string; escapeDelay: bigint; sequencerAddress?: string; setup?: string; allowSingleContribution?: boolean; out?: string; force?: boolean; json?: boolean; rpc?: string; key?: string }) => {
    const cfg = Config.resolve(o, ["rpc", "key"]); // rpc: flag, env or the local default, never an old deployment's
    const out = Config.resolve({ deployment: o.out }, ["deployment"]).need("deployment");
    const instance = o.setup && cmd.getOptionValueSource("instance") === "default" ? await setupLabel(o.setup) : o.instance;
    getInstance(instance);
    const sequencer = o.sequencerAddress === undefined ? undefined : checkedAddress(o.sequencerAddress, "--sequencer-address");
    const key = cfg.need("key");
    if (existsSync(out) && !o.force) throw new Error(`${out} exists (a previous deployment?): pass --force to replace it, or --out another file`);
    const { provider, chainId } = await connectRpc(cfg.rpc);
    try {
      const signer = new Wallet(key, provider);
      const log = (m: string) => console.error(m);
      const d = await deployInstance({
        signer,
        chainId,
        rpc: cfg.rpc,
        instance,
        escapeDelay: o.escapeDelay,
        sequencer,
        setupDir: o.setup,
        allowSingleContribution: o.allowSingleContribution,
        log,
      });
      writeDeployment(out, d, o.force ?? false);
      if (o.json) return console.log(JSON.stringify(d, null, 2));
      console.log(`rollup       ${d.rollup} (chain ${d.chainId}, block ${d.deployBlock})`);
      console.log(`verifier     ${d.verifier} (setup ${d.instance}-${d.setupKey})`);
      console.log(`setup        ${describeProvenance(d.setupProvenance!)}`);
      console.log(`sequencer    ${d.sequencer}`);
      console.log(`escape delay ${d.escapeDelay} s`);
      console.log(`written to   ${out}`);
    } finally {
      provider.destroy();
    }
  });
}

async function setupLabel(dir: string): Promise<string> {
  const { readSetupDir } = await import("../../prover/worker.js");
  return readSetupDir(path.resolve(dir)).label;
}

function checkedAddress(v: string, what: string): string {
  try {
    return getAddress(v);
  } catch {
    throw new Error(`${what} is not an address: "${v}"`);
  }
}
