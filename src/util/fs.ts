// Files written atomically, interrupted builds cleaned up, a cross-process lock file and the
// sha256 of large files: the file plumbing the setup pipeline, the prover and the CLI share.
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Log } from "./log.js";

export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * A new temporary path next to `target`, `<target>.tmp-<pid>-<random>`, to build a file or a
 * directory in and rename onto `target` once complete (removeInterruptedBuilds removes it if
 * the build never finishes).
 */
export function tempPathFor(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/**
 * Writes `file` through a temporary file and a rename, so readers never see a partial file;
 * `mode` sets its permission bits exactly (not masked by the umask).
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { mode?: number } = {}): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    writeFileSync(tmp, data, opts.mode === undefined ? undefined : { mode: opts.mode });
    if (opts.mode !== undefined) chmodSync(tmp, opts.mode);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Removes leftovers (`<target>.tmp-*`) of builds of `target` that were interrupted. Call it
 * only while holding the lock for `target`, so no live build's files are removed.
 */
export function removeInterruptedBuilds(target: string): void {
  const dir = path.dirname(target);
  const prefix = `${path.basename(target)}.tmp-`;
  if (!existsSync(dir)) return;
  for (const f of readdirSync(dir)) if (f.startsWith(prefix)) rmSync(path.join(dir, f), { recursive: true, force: true });
}

function lockIsStale(lockFile: string): boolean {
  let owner: string;
  try {
    owner = readFileSync(lockFile, "utf8");
  } catch {
    return false; // just released, or being written: retry
  }
  const [host, pid] = owner.trim().split(" ");
  if (host !== os.hostname() || !pid) return false; // cannot tell for another machine: wait
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Runs `fn` while holding the lock file `lockFile` (created exclusively; a lock left by a dead
 * process on this host is taken over). Other processes, and other callers in this process,
 * wait for it, so two of them never build the same artifact at once.
 */
export async function withFileLock<T>(lockFile: string, log: Log, fn: () => Promise<T>): Promise<T> {
  mkdirSync(path.dirname(lockFile), { recursive: true });
  let waiting = false;
  for (;;) {
    try {
      const fd = openSync(lockFile, "wx");
      writeSync(fd, `${os.hostname()} ${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (lockIsStale(lockFile)) {
        rmSync(lockFile, { force: true });
        continue;
      }
      if (!waiting) log(`waiting for another setup process to release ${lockFile}`);
      waiting = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
