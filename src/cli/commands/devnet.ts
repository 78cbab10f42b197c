import { Command } from "commander";
import { rmSync } from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { DEV_POLICY } from "../../chain/deploy.js";
import { REPO_ROOT } from "../../util/paths.js";
import { TEST_INSTANCE } from "../../proving/instances.js";
import { writeDeployment } from "../config.js";
import { connectRpc, devAccount } from "../connect.js";
import type { Finality } from "../../sequencer/finality.js";
import { assertPortFree, DEFAULT_BLOCK_TIME_MS, deploymentSetup, type RunningSequencer, startHardhatNode, startSequencer, timedLog, untilSignal } from "../services.js";
import { numArg } from "../units.js";
import { deployInstance } from "./deploy.js";
import { CONFIRMATIONS_HELP, confirmationsArg } from "./sequencer.js";

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
  return new Command("devnet")
    .description("a local chain (hardhat node), the rollup deployed on it, the sequencer and an in-process prover, in one command; Ctrl-C stops everything")
    .option("--port <port>", "L1 JSON-RPC port", numArg("port", 1, 65535), 8545)
    .option("--api-port <port>", "sequencer API port", numArg("port", 1, 65535), 8080)
    .option("-i, --instance <name>", "circuit instance", TEST_INSTANCE)
    .option("--dir <dir>", "directory for deployment.json and the sequencer database (replaced)", ".zkr")
    .option("--escape-delay <seconds>", "escape delay of the rollup", numArg("escape delay", 1), 3600)
    .option("--block-time <ms>", "mine a block this often besides each transaction's (0: only on transactions)", numArg("block time", 0), DEFAULT_BLOCK_TIME_MS)
    .option("--confirmations <n|finalized>", CONFIRMATIONS_HELP, confirmationsArg)
    .action(async (o: Opts) => {
      const host = "127.0.0.1";
      const dir = path.resolve(o.dir);
      const log = timedLog;
      await assertPortFree(host, o.apiPort, "sequencer");
      log(`starting hardhat node on ${host}:${o.port}`);
      const chain = await startHardhatNode(o.port, host, { blockTimeMs: o.blockTime });
      let running: RunningSequencer | undefined;
      let provider: Awaited<ReturnType<typeof connectRpc>>["provider"] | undefined;
      try {
        const rpc = await connectRpc(chain.url);
        provider = rpc.provider;
        // A fresh chain: whatever an earlier devnet left is meaningless now.
        const deploymentFile = path.join(dir, "deployment.json");
        const db = path.join(dir, "devnet.sqlite");
        for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });

        const operator = new Wallet(devAccount(0).privateKey, provider);
        const escapeDelay = BigInt(o.escapeDelay);
        const l1Grace = DEV_POLICY.l1Grace < escapeDelay / 2n ? DEV_POLICY.l1Grace : escapeDelay / 2n;
        // Development fee and minimum; the inactivity delay defaults to the escape delay (< a day).
        const policy = { escapeDelay, l1Grace, l1OpFee: DEV_POLICY.l1OpFee, minDeposit: DEV_POLICY.minDeposit };
        const d = await deployInstance({ signer: operator, chainId: rpc.chainId, rpc: chain.url, instance: o.instance, policy, log });
        writeDeployment(deploymentFile, d, true);
        log(`rollup ${d.rollup} deployed; ${deploymentFile} written`);
        running = await startSequencer({ deployment: d, signer: operator, manifest: await deploymentSetup(d), db, host, port: o.apiPort, finality: o.confirmations, log });
        printNextSteps({ rpc: chain.url, api: running.url, deploymentFile, dir, rollup: d.rollup, instance: d.instance });

        const why = await Promise.race([untilSignal(log), chain.exited.then(() => "the hardhat node exited"), running.halted.then((r) => `the sequencer stopped: ${r}`)]);
        if (why !== "SIGINT" && why !== "SIGTERM") {
          log(`zkr devnet: ${why}; stopping`);
          process.exitCode = 1;
        }
      } finally {
        await running?.stop().catch((e: Error) => log(`stopping the sequencer: ${e.message}`));
        provider?.destroy();
        await chain.stop();
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
