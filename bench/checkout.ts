// The benchmarks' "before" code: the sources of an earlier commit, imported from a temporary
// directory (bench/mempool.ts, bench/state-scale.ts compare it with this tree in one run).
import { execFileSync } from "node:child_process";
import { mkdtempSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../src/util/paths.js";

/** The sources of `ref` in a temporary directory that resolves packages from this tree. */
export function checkout(ref: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "zkr-bench-before-"));
  const tar = execFileSync("git", ["archive", ref], { cwd: REPO_ROOT, maxBuffer: 1 << 30 });
  execFileSync("tar", ["-x", "-C", dir], { input: tar });
  symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}
