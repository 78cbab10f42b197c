// Running the real `bin/zkr` in tests: one-shot commands with their output and exit code, and
// long-running ones (sequencer, devnet) in the background, stopped by signal.
import { expect } from "chai";
import { JsonRpcProvider, Network } from "ethers";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { type LocalChain, startHardhatNode } from "../../src/ops/index.js";
import { cacheDir } from "../../src/proving/paths.js";
import { REPO_ROOT } from "../../src/util/paths.js";

export const ZKR = path.join(REPO_ROOT, "bin", "zkr");

export interface ZkrResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a child zkr: ours without any ZKR_* setting but ZKR_BUNDLE (how bin/zkr
 * starts: ZKR_BUNDLE=0 runs these tests through tsx), with this process's cache directory, plus `vars`.
 */
export function zkrEnv(vars: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ZKR_CACHE: cacheDir() };
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("ZKR_") || k === "ZKR_BUNDLE") env[k] = v;
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) env[k] = v;
  return env;
}

/**
 * The environment of a zkr run against a test chain: its RPC URL, a sequencer API on `apiPort`,
 * the deployment file and wallet `wallet` in `dir`, plus `vars` (which win).
 */
export function testChainEnv(
  o: { rpc: string; apiPort: number; dir: string; wallet?: string },
  vars: Record<string, string | undefined> = {},
): NodeJS.ProcessEnv {
  return zkrEnv({
    ZKR_RPC: o.rpc,
    ZKR_SEQUENCER: `http://127.0.0.1:${o.apiPort}`,
    ZKR_DEPLOYMENT: path.join(o.dir, "deployment.json"),
    ZKR_WALLET: path.join(o.dir, o.wallet ?? "alice.json"),
    ...vars,
  });
}

/** Runs `bin/zkr args` to completion. */
export function zkr(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 300_000): Promise<ZkrResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ZKR, args, { env, cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`zkr ${args.join(" ")} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `bin/zkr args` and returns its stdout; throws with its stderr unless it exits 0. */
export async function zkrOk(args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<string> {
  const r = await zkr(args, env, timeoutMs);
  if (r.code !== 0) throw new Error(`zkr ${args.join(" ")} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A zkr command running in the background. */
export class Background {
  readonly child: ChildProcess;
  output = "";
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(ZKR, args, { env, cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    process.once("exit", this.killNow);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves once the output matches `re`; throws if the process exits first or after timeoutMs. */
  async waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${re}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${re} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Sends `signal` and waits for the exit code (SIGKILL after `graceMs`). */
  async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 60_000): Promise<number | null> {
    process.off("exit", this.killNow);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  private readonly killNow = () => {
    this.child.kill("SIGKILL");
  };
}

/** True if a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The error code of a new TCP connection to `url`'s host and port ("connected" if it is accepted). */
export function connectError(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port), u.hostname);
    s.once("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** A test's own hardhat node (chain 31337) and files: what the CLI suites against a chain start from. */
export interface CliChain {
  dir: string;
  chain: LocalChain;
  provider: JsonRpcProvider;
  /** The port the suite's sequencer API listens on. */
  apiPort: number;
  /** Environment of a zkr run: the suite's files and URLs (testChainEnv), plus `vars`. */
  env: (vars?: Record<string, string>) => NodeJS.ProcessEnv;
}

/** Starts a hardhat node on a free port and makes a temporary directory named from `prefix` (a suite's before hook). */
export async function startCliChain(prefix: string): Promise<CliChain> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const chain = await startHardhatNode(await freePort());
  const provider = new JsonRpcProvider(chain.url, Network.from(31337n), { staticNetwork: true, cacheTimeout: -1 });
  const apiPort = await freePort();
  return { dir, chain, provider, apiPort, env: (vars = {}) => testChainEnv({ rpc: chain.url, apiPort, dir }, vars) };
}

/**
 * Stops what a suite started (its background zkr processes, the provider, the node), removes its
 * directory, and checks no process is left (a suite's after hook; each part may be absent if its
 * before hook failed early).
 */
export async function stopCliChain(c: Partial<CliChain>, ...background: (Background | undefined)[]): Promise<void> {
  for (const b of background) await b?.stop();
  c.provider?.destroy();
  await c.chain?.stop();
  if (c.dir) rmSync(c.dir, { recursive: true, force: true });
  for (const b of background) if (b) expect(alive(b.pid), "zkr process left").to.equal(false);
  if (c.chain) expect(alive(c.chain.pid), "hardhat node left").to.equal(false);
}

/** The one-line error a user mistake must produce: exit code 1, "zkr: …" on stderr, no stack. */
/**
 * Runs the zkr invocations `cases` (each [args, env, pattern]: commands that fail without changing
 * anything) two at a time, and expects each to end with code 1 and one line matching its pattern.
 */
export async function expectOneLineErrors(cases: [args: string[], env: NodeJS.ProcessEnv, pattern: RegExp][]): Promise<void> {
  const failures: string[] = [];
  const run = async (queue: typeof cases) => {
    for (let c = queue.shift(); c; c = queue.shift()) {
      const [args, env, pattern] = c;
      try {
        expectOneLineError(await zkr(args, env), pattern);
      } catch (e) {
        failures.push(`zkr ${args.join(" ")}: ${(e as Error).message}`);
      }
    }
  };
  const queue = [...cases];
  await Promise.all([run(queue), run(queue)]);
  if (failures.length) throw new Error(failures.join("\n"));
}

export function expectOneLineError(r: ZkrResult, pattern: RegExp): string {
  const lines = r.stderr.trim().split("\n");
  const problems = [
    r.code !== 1 && `exit code ${r.code}, expected 1`,
    lines.length !== 1 && `${lines.length} lines on stderr, expected 1`,
    !/^(zkr|error): /.test(lines[0] ?? "") && "no `zkr:` prefix",
    !pattern.test(lines[0] ?? "") && `message does not match ${pattern}`,
  ].filter(Boolean);
  if (problems.length) throw new Error(`${problems.join("; ")}:\n${r.stderr}`);
  return lines[0]!;
}
