// The long-running parts the `sequencer` and `devnet` commands share: the sequencer service
// with its HTTP API and proving backend, a local `hardhat node`, the setup a deployment's
// verifier came from, and waiting for Ctrl-C.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { getAddress, type Wallet } from "ethers";
import { setupDir as setupDirOf } from "../proving/paths.js";
import { rollupAt } from "../chain/deploy.js";
import { readArtifact } from "../chain/artifacts.js";
import { REPO_ROOT } from "../util/paths.js";
import { buildContracts, type SetupResult } from "../proving/setup.js";
import { type SetupManifest } from "../proving/manifest.js";
import type { ProofQueue } from "../prover/queue.js";
import type { FastifyInstance } from "fastify";
import type { Sequencer } from "../sequencer/service.js";
import type { Finality } from "../sequencer/finality.js";
import { checkSetupMatches, type Deployment, deploymentParams } from "./config.js";
import { verifierContractName } from "../proving/verifier.js";

export type Log = (m: string) => void;

/** A log line on stderr with the time, for long-running commands. */
export const timedLog: Log = (m) => console.error(`${new Date().toISOString()} ${m}`);

/** The setup (proving and verification key) a deployment's verifier was exported from. */
export async function deploymentSetup(d: Deployment, setupDir?: string): Promise<SetupManifest> {
  const dir = setupDir ? path.resolve(setupDir) : setupDirOf(d.instance, d.setupKey);
  if (!existsSync(path.join(dir, "setup.json"))) {
    throw new Error(
      setupDir
        ? `${dir} is not a setup directory (no setup.json)`
        : `the keys of this deployment (setup ${d.instance}-${d.setupKey}) are not in ${path.dirname(dir)}: pass --setup DIR with a copy of the deployer's setup directory`,
    );
  }
  const { readSetupDir } = await import("../prover/worker.js");
  const manifest = readSetupDir(dir);
  checkSetupMatches(d, manifest, dir);
  return manifest;
}

/** Compiles the contracts if the setup wrote a new verifier or an artifact is missing or stale. */
export async function ensureContracts(setup: SetupResult, log: Log): Promise<void> {
  let reason = setup.verifierChanged ? "new verifier" : undefined;
  if (!reason) {
    try {
      readArtifact("Rollup");
      readArtifact(verifierContractName(setup.manifest.label));
    } catch (e) {
      reason = (e as Error).message;
    }
  }
  if (!reason) return;
  log(`compiling the contracts (${reason.split(":")[0]})`);
  await buildContracts();
}

export interface SequencerServiceOptions {
  deployment: Deployment;
  /** The sequencer's L1 key, connected to the provider. */
  signer: Wallet;
  manifest: SetupManifest;
  db: string;
  host: string;
  port: number;
  /** Prove through BullMQ workers instead of in this process. */
  redis?: { url: string; queue: string };
  feeIdx?: bigint[];
  batchTimeoutMs?: number;
  /** When a batch is final (default: src/sequencer/finality.ts defaultFinality for the chain). */
  finality?: Finality;
  maxInFlight?: number;
  maxLogRange?: number;
  /** Mempool limits and minimum fees (the Sequencer's defaults where absent). */
  mempool?: { maxPending?: number; maxPendingPerSender?: number; minFee?: ReadonlyMap<bigint, bigint> };
  log: Log;
}

export interface RunningSequencer {
  /** Base URL of the API. */
  url: string;
  sequencer: Sequencer;
  /** Resolves with the reason if the sequencer stopped on a fatal error (configuration). */
  halted: Promise<string>;
  /** Stops the API, the batch loop, the prover (waiting for a proof in progress) and the database. */
  stop(): Promise<void>;
}

/** Starts the sequencer (state rebuilt from its database, checked against L1) and its API. */
export async function startSequencer(o: SequencerServiceOptions): Promise<RunningSequencer> {
  const rollup = rollupAt(o.deployment.rollup, o.signer);
  const onChain = getAddress(await rollup.sequencer());
  if (onChain !== o.signer.address) throw new Error(`the L1 key's address ${o.signer.address} is not the rollup's sequencer ${onChain}`);
  // Loaded here, not at start-up: most commands never run a sequencer.
  const [{ loadCrypto }, { LocalProofQueue }, { buildApi }, { Sequencer }, { SequencerStore }, { defaultFinality }] = await Promise.all([
    import("../model/crypto.js"),
    import("../prover/queue.js"),
    import("../sequencer/api.js"),
    import("../sequencer/service.js"),
    import("../sequencer/store.js"),
    import("../sequencer/finality.js"),
  ]);

  const store = new SequencerStore(o.db);
  let prover: ProofQueue | undefined;
  let sequencer: Sequencer | undefined;
  let app: FastifyInstance | undefined;
  const stop = async () => {
    await app?.close();
    await sequencer?.stop();
    await prover?.close();
    await new Promise((r) => setImmediate(r)); // let a just-finished proof record itself
    store.close();
  };
  try {
    if (o.redis) {
      const { BullMQProofQueue } = await import("../prover/bullmq.js");
      prover = new BullMQProofQueue(o.manifest, { redis: o.redis.url, queue: o.redis.queue, log: o.log });
    } else {
      prover = new LocalProofQueue(o.manifest);
    }
    sequencer = new Sequencer({
      crypto: await loadCrypto(),
      params: deploymentParams(o.deployment),
      store,
      rollup,
      fromBlock: o.deployment.deployBlock,
      prover,
      // Unset options stay absent: the Sequencer's defaults apply.
      ...(o.feeIdx && { feeIdx: o.feeIdx }),
      ...(o.batchTimeoutMs !== undefined && { batchTimeoutMs: o.batchTimeoutMs }),
      ...(o.maxInFlight !== undefined && { maxInFlight: o.maxInFlight }),
      ...(o.maxLogRange !== undefined && { maxLogRange: o.maxLogRange }),
      ...o.mempool,
      finality: o.finality ?? defaultFinality(BigInt(o.deployment.chainId)),
      log: o.log,
    });
    await sequencer.start();
    app = buildApi(sequencer, store);
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return { url: `http://${host}:${o.port}`, sequencer, halted: sequencer.halted, stop };
}

/** Resolves on the first SIGINT or SIGTERM; a second one exits at once. */
export function untilSignal(log: Log): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (sig: NodeJS.Signals) => {
      log(`${sig}: shutting down (again to force)`);
      process.off("SIGINT", first);
      process.off("SIGTERM", first);
      const force = () => {
        log("forced exit");
        process.exit(130);
      };
      process.once("SIGINT", force);
      process.once("SIGTERM", force);
      resolve(sig);
    };
    process.on("SIGINT", first);
    process.on("SIGTERM", first);
  });
}

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
export function assertPortFree(host: string, port: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === "EADDRINUSE" ? `port ${port} on ${host} is in use (another ${what}?): choose another port` : `cannot listen on ${host}:${port}: ${e.message}`)),
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
    const ok = await rpcCall(url, "eth_chainId", []).then(() => true, () => false);
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
