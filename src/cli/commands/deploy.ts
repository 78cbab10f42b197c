import { Command, Option } from "commander";
import { getAddress, Wallet } from "ethers";
import { existsSync } from "node:fs";
import path from "node:path";
import {
  DEFAULT_ESCAPE_DELAY,
  DEFAULT_INACTIVITY_DELAY,
  DEFAULT_FALLBACK_DELAY,
  DEFAULT_L1_GRACE,
  DEFAULT_L1_OP_FEE,
  DEFAULT_MIN_DEPOSIT,
  rollupPolicy,
  type RollupPolicy,
} from "../../chain/deploy.js";
import { getInstance, TEST_INSTANCE } from "../../proving/instances.js";
import { describeProvenance } from "../../proving/manifest.js";
import { connectRpc, deploy, writeDeployment } from "../../ops/index.js";
import { formatAmount } from "../../util/amounts.js";
import { Config, withSettings } from "../config.js";
import { ethArg, intArg } from "../units.js";

export function deployCommand(): Command {
  const cmd = new Command("deploy")
    .description("deploy Poseidon, the Groth16 verifier and the Rollup to a chain, and write the deployment file")
    .option("-i, --instance <name>", "circuit instance", TEST_INSTANCE)
    .addOption(
      new Option(
        "--escape-delay <seconds>",
        "escape mode may open once the oldest L1 operation has waited this long (and the sequencer has been inactive, see --inactivity-delay)",
      )
        .argParser(intArg("escape delay", 1n))
        .default(DEFAULT_ESCAPE_DELAY, `${DEFAULT_ESCAPE_DELAY} (a week)`),
    )
    .addOption(
      new Option("--inactivity-delay <seconds>", "escape mode may open only after this long without an accepted batch (at most the escape delay)")
        .argParser(intArg("inactivity delay", 1n))
        .default(undefined, `${DEFAULT_INACTIVITY_DELAY} (a day), or the escape delay if shorter`),
    )
    .addOption(
      new Option("--l1-grace <seconds>", "a batch may leave out only L1 operations younger than this (less than the escape delay)")
        .argParser(intArg("L1 grace", 0n))
        .default(undefined, `${DEFAULT_L1_GRACE} (an hour), or half the escape delay if that is shorter`),
    )
    .addOption(
      new Option(
        "--fallback-delay <seconds>",
        "anyone may submit batches proven with the fallback instance once the sequencer has been silent this long, or an L1 operation has waited this long (less than the escape delay)",
      )
        .argParser(intArg("fallback delay", 1n))
        .default(undefined, `${DEFAULT_FALLBACK_DELAY} (six hours), or a quarter of the escape delay if that is shorter`),
    )
    .addOption(
      new Option("--l1-op-fee <eth>", "fee every deposit and forced exit pays, credited to the sequencer that processes it")
        .argParser(ethArg("--l1-op-fee"))
        .default(DEFAULT_L1_OP_FEE, formatAmount(DEFAULT_L1_OP_FEE, 18)),
    )
    .addOption(
      new Option("--min-deposit <eth>", "smallest ETH deposit (ERC-20 minimums: zkr register-token --min-deposit)")
        .argParser(ethArg("--min-deposit"))
        .default(DEFAULT_MIN_DEPOSIT, formatAmount(DEFAULT_MIN_DEPOSIT, 18)),
    )
    .option("--sequencer-address <address>", "address allowed to submit batches (default: the deployer)")
    .option(
      "--setup <dir>",
      "setup directory of the verifier to deploy, e.g. from `zkr ceremony finalize` (default: `zkr setup`'s development key; -i defaults to its instance)",
    )
    .option("--fallback-setup <dir>", "setup directory of the fallback verifier, likewise (default: the development key of the instance's fallback)")
    .option(
      "--allow-single-contribution",
      "accept a single-contribution (zkr setup) key with a ceremony ptau on a non-development chain: whoever ran that setup could forge proofs",
    )
    .option("--out <file>", "deployment file to write [env ZKR_DEPLOYMENT, default .zkr/deployment.json]")
    .option("--force", "replace an existing deployment file")
    .option("--json", "print the deployment as JSON");
  withSettings(cmd, "rpc", "key");
  type Opts = {
    instance: string;
    escapeDelay: bigint;
    inactivityDelay?: bigint;
    l1Grace?: bigint;
    fallbackDelay?: bigint;
    l1OpFee: bigint;
    minDeposit: bigint;
  };
  return cmd.action(
    async (
      o: Opts & {
        sequencerAddress?: string;
        setup?: string;
        fallbackSetup?: string;
        allowSingleContribution?: boolean;
        out?: string;
        force?: boolean;
        json?: boolean;
        rpc?: string;
        key?: string;
      },
    ) => {
      const cfg = Config.resolve(o, ["rpc", "key", "devPtau"]); // rpc: flag, env or the local default, never an old deployment's
      const out = Config.resolve({ deployment: o.out }, ["deployment"]).need("deployment");
      const instance = o.setup && cmd.getOptionValueSource("instance") === "default" ? await setupLabel(o.setup) : o.instance;
      getInstance(instance);
      const policy: Partial<RollupPolicy> = {
        escapeDelay: o.escapeDelay,
        inactivityDelay: o.inactivityDelay,
        l1Grace: o.l1Grace,
        fallbackDelay: o.fallbackDelay,
        l1OpFee: o.l1OpFee,
        minDeposit: o.minDeposit,
      };
      rollupPolicy(policy); // a bad combination is one clear error before anything is set up or sent
      const sequencer = o.sequencerAddress === undefined ? undefined : checkedAddress(o.sequencerAddress, "--sequencer-address");
      const key = cfg.need("key");
      if (existsSync(out) && !o.force) throw new Error(`${out} exists (a previous deployment?): pass --force to replace it, or --out another file`);
      const { provider, chainId } = await connectRpc(cfg.rpc);
      try {
        const signer = new Wallet(key, provider);
        const log = (m: string) => console.error(m);
        const d = await deploy({
          signer,
          chainId,
          rpc: cfg.rpc,
          instance,
          policy,
          sequencer,
          setupDir: o.setup,
          fallbackSetupDir: o.fallbackSetup,
          allowSingleContribution: o.allowSingleContribution,
          devPtau: cfg.devPtau,
          log,
        });
        writeDeployment(out, d, o.force ?? false);
        if (o.json) return console.log(JSON.stringify(d, null, 2));
        console.log(`rollup       ${d.rollup} (chain ${d.chainId}, block ${d.deployBlock})`);
        console.log(`verifier     ${d.verifier} (setup ${d.instance}-${d.setupKey}, verifying key hash ${d.verifyingKeyHash})`);
        console.log(`setup        ${describeProvenance(d.setupProvenance!)}`);
        const f = d.fallback;
        console.log(
          `fallback     ${f.verifier} (setup ${f.instance}-${f.setupKey}, verifying key hash ${f.verifyingKeyHash}), open to anyone after ${d.fallbackDelay} s`,
        );
        console.log(`             of sequencer silence or of an L1 operation's wait; ${describeProvenance(f.setupProvenance!)}`);
        console.log(`sequencer    ${d.sequencer}`);
        console.log(`L1 op fee    ${formatAmount(BigInt(d.l1OpFee), 18)} ETH, min deposit ${formatAmount(BigInt(d.minDeposit), 18)} ETH`);
        console.log(`escape       after ${d.escapeDelay} s of waiting and ${d.inactivityDelay} s without a batch; grace ${d.l1Grace} s`);
        console.log(`written to   ${out}`);
      } finally {
        provider.destroy();
      }
    },
  );
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
