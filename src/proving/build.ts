// Native programs built at first use into the cache directory: circom's C++ witness generators
// (witness.ts) and the native Groth16 prover (native.ts). What they share: checking the
// toolchain (commands on PATH, headers the compiler finds, each with the Debian package that
// provides it), running a build step with its error output kept, and the cached build itself:
// a directory that appears whole (built in a temporary directory, then renamed) with a DONE
// record naming its build format, built by one process at a time (a file lock) and reused by
// every later one.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import type { Log } from "../util/log.js";
import { removeInterruptedBuilds, tempPathFor, withFileLock } from "../util/fs.js";

const run = promisify(execFile);

/** A command a build runs, and the Debian package that provides it. */
export interface ToolCheck {
  cmd: string;
  /** Arguments of a harmless run that succeeds when the command works (e.g. --version). */
  args: string[];
  pkg: string;
}

/** A header the C++ compiler must find (with `flags`, e.g. -fopenmp), and its Debian package. */
export interface HeaderCheck {
  header: string;
  pkg: string;
  flags?: string[];
}

/**
 * What a build lacks here, empty if nothing: each missing command or header with the Debian
 * package that provides it. Headers are checked by preprocessing an #include with `cxx`
 * (default g++), so they are looked for where the real build looks.
 */
export async function toolchainProblems(tools: ToolCheck[], headers: HeaderCheck[], cxx = "g++"): Promise<string[]> {
  const problems: string[] = [];
  const works = async (cmd: string, args: string[]) => {
    try {
      await run(cmd, args, { timeout: 30_000 });
      return true;
    } catch {
      return false;
    }
  };
  for (const t of tools) if (!(await works(t.cmd, t.args))) problems.push(`${t.cmd} (Debian package ${t.pkg})`);
  if (!(await works(cxx, ["--version"]))) return [...problems, `${cxx} (Debian package g++)`];
  for (const h of headers) {
    const child = execFile(cxx, [...(h.flags ?? []), "-x", "c++", "-E", "-o", "/dev/null", "-"], { timeout: 30_000 });
    const ok = await new Promise<boolean>((resolve) => {
      child.on("error", () => resolve(false));
      child.on("exit", (code) => resolve(code === 0));
      child.stdin?.end(`#include <${h.header}>\n`);
    });
    if (!ok) problems.push(`<${h.header}> (Debian package ${h.pkg})`);
  }
  return problems;
}

/** Runs one build step; on failure throws an Error `what` with the end of its error output. */
export async function runStep(what: string, cmd: string, args: string[], cwd: string): Promise<void> {
  try {
    await run(cmd, args, { cwd, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${what} failed:\n${tail(err.stderr || err.stdout || err.message, 4000)}`, { cause: e });
  }
}

/** What a cached build's DONE file records (plus whatever its builder adds). */
export interface BuildRecord {
  /** The build format (flags, layout): a DONE of another format is not a build of this one. */
  format: string;
  builtAt: string;
  /** Wall time of the whole build (s). */
  buildS: number;
}

/** The DONE record of a complete build of `format` in `dir` holding `files`, else undefined. */
export function builtRecord<R extends BuildRecord>(dir: string, format: string, files: string[]): R | undefined {
  const done = path.join(dir, "DONE");
  if (!existsSync(done) || files.some((f) => !existsSync(path.join(dir, f)))) return undefined;
  try {
    const info = JSON.parse(readFileSync(done, "utf8")) as R;
    return info.format === format ? info : undefined;
  } catch {
    return undefined;
  }
}

export interface CachedBuild<R extends BuildRecord> {
  record: R;
  /** True if it was built before (by this or another process) rather than by this call. */
  cached: boolean;
}

/**
 * The build in `dir` of `format` (its `files` present), made by `build` unless it is there.
 * `build` gets a temporary directory to fill and returns what DONE records besides the format
 * and times; the directory is renamed onto `dir` once it is complete. Concurrent builds (other
 * processes, or calls in this one) wait for a lock (`<dir>.lock`) and reuse the result.
 */
export async function cachedBuild<R extends BuildRecord>(
  dir: string,
  spec: { format: string; files: string[]; log: Log; build(tmp: string): Promise<Omit<R, keyof BuildRecord>> },
): Promise<CachedBuild<R>> {
  const existing = builtRecord<R>(dir, spec.format, spec.files);
  if (existing) return { record: existing, cached: true };
  return withFileLock(`${dir}.lock`, spec.log, async () => {
    const again = builtRecord<R>(dir, spec.format, spec.files); // built by whoever held the lock before us
    if (again) return { record: again, cached: true };
    removeInterruptedBuilds(dir);
    const t0 = performance.now();
    const tmp = tempPathFor(dir);
    try {
      const extra = await spec.build(tmp);
      const missing = spec.files.filter((f) => !existsSync(path.join(tmp, f)));
      if (missing.length) throw new Error(`the build of ${dir} left no ${missing.join(", ")}`);
      const record = { ...extra, format: spec.format, builtAt: new Date().toISOString(), buildS: (performance.now() - t0) / 1000 } as R;
      writeFileSync(path.join(tmp, "DONE"), JSON.stringify(record) + "\n");
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      return { record, cached: false };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

export function tail(s: string, n: number): string {
  return s.length > n ? `…${s.slice(-n)}` : s;
}
