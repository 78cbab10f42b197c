// A local development network: a `hardhat node` started as a child process, and the whole devnet
// on it (the rollup deployed with the development policy, a sequencer with its API and an
// in-process prover).
import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { Wallet } from "ethers";
import { DEV_POLICY } from "../chain/deploy.js";
import type { ProverChoice, WitnessChoice } from "../proving/prover.js";
import type { Finality } from "../sequencer/finality.js";
import type { Log } from "../util/log.js";
import { REPO_ROOT } from "../util/paths.js";
import { connectRpc, devAccount } from "./connect.js";
import { deploy } from "./deploy.js";
import { type Deployment, deploymentSetup, writeDeployment } from "./deployment.js";
import { type RunningSequencer, startSequencer } from "./sequencer.js";

/** One JSON-RPC call with plain fetch (before any ethers provider exists). */
async function rpcCall(url: string, method: string, params: unknown[]): Promise<unknown> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await r.json()) as { result?: unknown; error?: { message?: string } };
  if (!r.ok || body.error) throw new Error(`${method}: ${body.error?.message ?? `HTTP ${r.status}`}`);
  return body.result;
}

export interface LocalChain {
  url: string;
  pid: number;
  /** Resolves when the node process exits (for whatever reason). */
  exited: Promise<void>;
  stop(): Promise<void>;
}

/** Throws unless `port` can be bound on `host` (so we never talk to someone else's node). */
function assertPortFree(host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new Error(
          e.code === "EADDRINUSE"
            ? `port ${port} on ${host} is in use (another ${what}?): choose another port`
            : `cannot listen on ${host}:${port}: ${e.message}`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** Block interval of a local chain unless told otherwise: blocks keep coming, as on a real chain. */
export const DEFAULT_BLOCK_TIME_MS = 1000;

/**
 * Starts `hardhat node` (the repository's Hardhat, as a child process whose pid is the server's)
 * on host:port (with `chainId` instead of 31337, to try what non-development chains get) and waits
 * until it answers JSON-RPC. Its output is kept only to explain a failure. Transactions are mined
 * at once (automine) and, unless `blockTimeMs` is 0, an empty block is mined every `blockTimeMs`
 * too: without them an included batch on a quiet chain would never gather the confirmations that
 * make it final.
 */
export async function startHardhatNode(port: number, host = "127.0.0.1", opts: { blockTimeMs?: number; chainId?: number } = {}): Promise<LocalChain> {
  const { chainId } = opts;
  const blockTimeMs = opts.blockTimeMs ?? DEFAULT_BLOCK_TIME_MS;
  await assertPortFree(host, port, "node");
  const cli = path.join(REPO_ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  const args = [cli, "node", "--hostname", host, "--port", String(port), ...(chainId === undefined ? [] : ["--chain-id", String(chainId)])];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop the node last.
    detached: true,
  });
  let output = "";
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const stop = async () => {
    process.off("exit", kill);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(kill, 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const url = `http://${host}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`hardhat node exited (${child.signalCode ?? `code ${child.exitCode}`}): ${output.trim().split("\n").slice(-3).join(" | ")}`);
    }
    const ok = await rpcCall(url, "eth_chainId", []).then(
      () => true,
      () => false,
    );
    if (ok) {
      if (blockTimeMs > 0) await rpcCall(url, "evm_setIntervalMining", [blockTimeMs]);
      return { url, pid: child.pid!, exited, stop };
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`hardhat node did not answer on ${url} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface DevnetOptions {
  /** Address the chain and the API listen on (default 127.0.0.1). */
  host?: string;
  /** L1 JSON-RPC port. */
  port: number;
  /** Sequencer API port. */
  apiPort: number;
  instance: string;
  /** Where deployment.json and the sequencer database go (the database is replaced: the chain is new). */
  dir: string;
  /** Escape delay of the rollup, in seconds; the rest of the policy is DEV_POLICY's. */
  escapeDelay: bigint;
  /** See startHardhatNode (default DEFAULT_BLOCK_TIME_MS). */
  blockTimeMs?: number;
  finality?: Finality;
  witness?: WitnessChoice;
  prover?: ProverChoice;
  devPtau?: string;
  log?: Log;
}

export interface Devnet {
  chain: LocalChain;
  deployment: Deployment;
  /** dir/deployment.json, written. */
  deploymentFile: string;
  sequencer: RunningSequencer;
  /** Resolves with the reason if the chain or the sequencer stops by itself. */
  stopped: Promise<string>;
  /** Stops the sequencer (and its prover), then the chain. */
  stop(): Promise<void>;
}

/**
 * Starts a local chain on host:port, deploys the instance's rollup on it from development account
 * #0 (which also runs the sequencer), writes dir/deployment.json, and starts the sequencer, its
 * API on host:apiPort and an in-process prover.
 */
export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  const host = o.host ?? "127.0.0.1";
  const log = o.log ?? (() => {});
  const dir = path.resolve(o.dir);
  await assertPortFree(host, o.apiPort, "sequencer");
  log(`starting hardhat node on ${host}:${o.port}`);
  const chain = await startHardhatNode(o.port, host, { blockTimeMs: o.blockTimeMs });
  let running: RunningSequencer | undefined;
  let provider: Awaited<ReturnType<typeof connectRpc>>["provider"] | undefined;
  const stop = async () => {
    await running?.stop().catch((e: Error) => log(`stopping the sequencer: ${e.message}`));
    provider?.destroy();
    await chain.stop();
  };
  try {
    const rpc = await connectRpc(chain.url);
    provider = rpc.provider;
    // A fresh chain: whatever an earlier devnet left is meaningless now.
    const deploymentFile = path.join(dir, "deployment.json");
    const db = path.join(dir, "devnet.sqlite");
    for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });

    const operator = new Wallet(devAccount(0).privateKey, provider);
    const l1Grace = DEV_POLICY.l1Grace < o.escapeDelay / 2n ? DEV_POLICY.l1Grace : o.escapeDelay / 2n;
    // Development fee and minimum; the inactivity delay defaults to the escape delay (< a day).
    const policy = { escapeDelay: o.escapeDelay, l1Grace, l1OpFee: DEV_POLICY.l1OpFee, minDeposit: DEV_POLICY.minDeposit };
    const deployment = await deploy({ signer: operator, chainId: rpc.chainId, rpc: chain.url, instance: o.instance, policy, devPtau: o.devPtau, log });
    writeDeployment(deploymentFile, deployment, true);
    log(`rollup ${deployment.rollup} deployed; ${deploymentFile} written`);
    running = await startSequencer({
      deployment,
      signer: operator,
      manifest: await deploymentSetup(deployment),
      db,
      host,
      port: o.apiPort,
      finality: o.finality,
      witness: o.witness,
      prover: o.prover,
      log,
    });
    const sequencer = running;
    const stopped = Promise.race([
      chain.exited.then(() => "the hardhat node exited"),
      sequencer.halted.then((e) => `the sequencer stopped (${e.code}): ${e.message}`),
    ]);
    return { chain, deployment, deploymentFile, sequencer, stopped, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
