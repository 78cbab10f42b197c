// Builds the bundle bin/zkr starts the CLI from: src/ bundled by esbuild into
// build/bundle/<key>/ (gitignored), so that a start loads a few JavaScript files instead of
// tsx's loader hooks resolving and compiling the TypeScript sources module by module (about a
// second of CPU per start). One source of truth: the bundle is made from src/, never edited.
//
//   node scripts/bundle.ts <key>      (bin/zkr runs it when build/bundle/<key>/zkr.mjs is missing)
//
// <key> is bin/zkr's hash of the path, size and mtime of every file the bundle depends on:
// src/, this file, package.json, package-lock.json (esbuild's version) and tsconfig.json; a
// change to any of them names another bundle, built at the next start. The bundle holds
// zkr.mjs (src/cli/index.ts), proving-process.mjs (src/prover/proving-process.ts, the child a
// prover worker forks: src/prover/worker.ts), signature-worker.mjs (src/proving/signatureWorker.ts,
// a thread of src/proving/signaturePool.ts) and the chunks they share; what src/ imports with
// import() stays in chunks of its own, so it (and the packages it imports: bullmq, fastify,
// the sequencer's modules) still loads only when used. npm packages are not bundled: they load
// from node_modules as before. Paths from import.meta.url: src/util/paths.ts.
//
// The build goes to a temporary directory renamed into place, under a lock file, so of the
// processes that start together one builds and the others wait for it, and none runs half a
// bundle. Bundles of other keys are removed a day after they were built (a process still
// running from one older than that may fail to load a chunk it has not loaded yet).
//
// Run by plain node (Node strips the types): it imports only node:, esbuild and src/util/fs.ts,
// whose relative imports are type-only. On failure it prints the reason on one line of stderr
// and exits 1; bin/zkr then runs the CLI from the sources through tsx.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { removeInterruptedBuilds, tempPathFor, withFileLock } from "../src/util/fs.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Where the bundles are, one directory per key. */
export const BUNDLES_DIR = path.join(ROOT, "build", "bundle");

/** The bundle's programs: file name (.mjs) → source entry. */
export const BUNDLE_ENTRIES = {
  zkr: "src/cli/index.ts",
  "proving-process": "src/prover/proving-process.ts",
  "signature-worker": "src/proving/signatureWorker.ts",
};

/** Age after which a bundle of another key (or anything else left in BUNDLES_DIR) is removed. */
const STALE_MS = 24 * 3600_000;

/** Bundles src/ into `outdir` with esbuild. */
async function build(outdir: string): Promise<void> {
  const esbuild = await import("esbuild");
  await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: BUNDLE_ENTRIES,
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node22",
    packages: "external",
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunk-[hash]",
    keepNames: true, // functions and classes keep their names where the bundle renames them
    sourcemap: "linked", // stack traces name the sources with ZKR_DEBUG=1 (bin/zkr turns source maps on)
    logLevel: "silent",
  });
}

/** Builds the bundle `key` unless it exists (waiting for another process building it), then removes stale ones. */
export async function ensureBundle(key: string): Promise<string> {
  if (!/^[0-9a-f]{16}$/.test(key)) throw new Error(`bad bundle key "${key}"`);
  const target = path.join(BUNDLES_DIR, key);
  mkdirSync(BUNDLES_DIR, { recursive: true });
  await withFileLock(
    `${target}.lock`,
    () => {},
    async () => {
      if (existsSync(path.join(target, "zkr.mjs"))) return; // built by the process we waited for
      removeInterruptedBuilds(target);
      rmSync(target, { recursive: true, force: true });
      const tmp = tempPathFor(target);
      try {
        await build(tmp);
        renameSync(tmp, target);
      } catch (e) {
        rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
    },
  );
  for (const f of readdirSync(BUNDLES_DIR)) {
    if (f.startsWith(key)) continue;
    const p = path.join(BUNDLES_DIR, f);
    try {
      if (Date.now() - statSync(p).mtimeMs > STALE_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // removed by another process meanwhile
    }
  }
  return target;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureBundle(process.argv[2] ?? "").catch((e: Error & { errors?: { text: string; location?: { file: string; line: number } | null }[] }) => {
    const first = e.errors?.[0]; // esbuild's: the first error of the build, with its place
    const where = first?.location ? `${first.location.file}:${first.location.line}: ` : "";
    console.error(first ? `${where}${first.text}` : String(e?.message ?? e).split("\n")[0]);
    process.exit(1);
  });
}
