import { Command } from "commander";
import path from "node:path";
import { DEFAULT_BLOCK_TIME_MS, devAccount, type Devnet, startDevnet } from "../../ops/index.js";
import { REPO_ROOT } from "../../util/paths.js";
import { TEST_INSTANCE } from "../../proving/instances.js";
import type { Finality } from "../../sequencer/finality.js";
import { Config, withSettings } from "../config.js";
import { timedLog, untilSignal } from "../services.js";
import { CONFIRMATIONS_HELP, confirmationsArg, numArg } from "../units.js";

interface Opts {
  port: number;
  apiPort: number;
  instance: string;
  dir: string;
  escapeDelay: number;
  blockTime: number;
  confirmations?: Finality;
}

export function devnetCommand(): Command {
  const cmd = new Command("devnet")
    .description("a local chain (hardhat node), the rollup deployed on it, the sequencer and an in-process prover, in one command; Ctrl-C stops everything")
    .option("--port <port>", "L1 JSON-RPC port", numArg("port", 1, 65535), 8545)
    .option("--api-port <port>", "sequencer API port", numArg("port", 1, 65535), 8080)
    .option("-i, --instance <name>", "circuit instance", TEST_INSTANCE)
    .option("--dir <dir>", "directory for deployment.json and the sequencer database (replaced)", ".zkr")
    .option("--escape-delay <seconds>", "escape delay of the rollup", numArg("escape delay", 1), 3600)
    .option("--block-time <ms>", "mine a block this often besides each transaction's (0: only on transactions)", numArg("block time", 0), DEFAULT_BLOCK_TIME_MS)
    .option("--confirmations <n|finalized>", CONFIRMATIONS_HELP, confirmationsArg);
  withSettings(cmd, "witness", "prover", "devPtau");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["witness", "prover", "devPtau"]);
    const dir = path.resolve(o.dir);
    const log = timedLog;
    let net: Devnet | undefined;
    try {
      net = await startDevnet({
        port: o.port,
        apiPort: o.apiPort,
        instance: o.instance,
        dir,
        escapeDelay: BigInt(o.escapeDelay),
        blockTimeMs: o.blockTime,
        finality: o.confirmations,
        witness: cfg.witness,
        prover: cfg.prover,
        devPtau: cfg.devPtau,
        log,
      });
      printNextSteps({
        rpc: net.chain.url,
        api: net.sequencer.url,
        deploymentFile: net.deploymentFile,
        dir,
        rollup: net.deployment.rollup,
        instance: net.deployment.instance,
      });
      const why = await Promise.race([untilSignal(log), net.stopped]);
      if (why !== "SIGINT" && why !== "SIGTERM") {
        log(`zkr devnet: ${why}; stopping`);
        process.exitCode = 1;
      }
    } finally {
      await net?.stop();
      log("zkr devnet: stopped");
    }
  });
}

function printNextSteps(s: { rpc: string; api: string; deploymentFile: string; dir: string; rollup: string; instance: string }): void {
  const zkr = path.relative(process.cwd(), path.join(REPO_ROOT, "bin", "zkr")) || "bin/zkr";
  const user = devAccount(1);
  const lines = [
    "",
    `zkr devnet is running: chain ${s.rpc}, rollup ${s.rollup} (instance ${s.instance}), sequencer API ${s.api}.`,
    "",
    "In another shell, as development account #1 (its key is public: for this local chain only):",
    "",
    `  export ZKR_RPC=${s.rpc} ZKR_SEQUENCER=${s.api} ZKR_DEPLOYMENT=${s.deploymentFile}`,
    `  export ZKR_KEY=${user.privateKey} ZKR_WALLET=${path.join(s.dir, "alice.json")}`,
    `  ${zkr} wallet new                                  # your L2 key`,
    `  ${zkr} deposit --amount 10 --wait                  # prints your new account index: #1`,
    `  ZKR_WALLET=${path.join(s.dir, "bob.json")} ${zkr} wallet new`,
    `  ZKR_WALLET=${path.join(s.dir, "bob.json")} ${zkr} deposit --amount 1 --wait     # account #2`,
    `  ${zkr} transfer --from 1 --to 2 --amount 1.5 --wait`,
    `  ${zkr} withdraw --from 1 --amount 2                # exit on L2, then pull on L1`,
    `  ${zkr} balance --account 1`,
    `  ${zkr} status`,
    `  ${zkr} verify 1 && ${zkr} rebuild`,
    "",
    "Ctrl-C stops the chain, the sequencer and the prover.",
    "",
  ];
  console.log(lines.join("\n"));
}
