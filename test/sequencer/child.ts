// A child process of a kill -9 test (test/sequencer/commitloop.ts, acceptloop.ts): a TypeScript
// script run through tsx from the repository root, its stdout and stderr collected, started
// once it printed a line that begins with "ready".
import { type ChildProcess, spawn } from "node:child_process";
import { REPO_ROOT } from "../../src/util/paths.js";

export interface TestChild {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when it has exited. */
  exited: Promise<unknown>;
}

/** Runs `script` with `args` and `env` added to this process's, and waits (up to 120 s) for its "ready" line. */
export async function startChild(script: string, args: string[], env: Record<string, string>): Promise<TestChild> {
  const child = spawn(process.execPath, ["--import", "tsx", "--disable-warning=ExperimentalWarning", script, ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const t0 = Date.now();
  while (!/^ready/m.test(out)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the child exited: ${out}`);
    if (Date.now() - t0 > 120_000) {
      child.kill("SIGKILL");
      throw new Error(`the child is not ready: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { child, output: () => out, exited };
}
