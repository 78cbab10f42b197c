// A private redis-server for tests: loopback only, a free port, no persistence, its own temp
// directory; stopped (and the directory removed) by stop() or when the test process exits.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "../src/util/paths.js";
import { freePort } from "./cli/helpers.js";

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** Installs redis-server if missing (scripts/ensure-redis.sh) and starts a private one. */
export async function startRedis(): Promise<RedisServer> {
  await promisify(execFile)("bash", [path.join(REPO_ROOT, "scripts", "ensure-redis.sh")], { timeout: 300_000 });
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort());
    } catch (e) {
      // Another process may take the port between freePort() and redis binding it.
      if (attempt >= 3) throw e;
    }
  }
}

/** startRedis() before the enclosing mocha suite and stop() after it; returns a getter. */
export function useRedis(): () => RedisServer {
  let server: RedisServer | undefined;
  before(async function () {
    server = await startRedis();
  });
  after(async function () {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error("redis is not running (useRedis() outside a started suite?)");
    return server;
  };
}

async function startOn(port: number): Promise<RedisServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-redis-"));
  const args = ["--bind", "127.0.0.1", "--port", String(port), "--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"];
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForPing(port, child, () => output);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid!, stop };
}

/** Polls PING until the server answers PONG (redis starts in well under a second). */
async function waitForPing(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}: ${output().trim()}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not answer on port ${port} within 10 s: ${output().trim()}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let reply = "";
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      reply += d.toString();
      if (reply.includes("\r\n")) socket.end();
    });
    socket.on("close", () => resolve(reply.startsWith("+PONG")));
    socket.on("error", () => {});
  });
}
