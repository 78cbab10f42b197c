import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { REPO_ROOT } from "./params.js";

const run = promisify(execFile);

/** Where compiled circuits, ptau files and keys are cached (never inside the repository). */
export function cacheDir(): string {
  return process.env.ZKR_CACHE ?? path.join(os.homedir(), ".cache", "zkr");
}

export interface CompiledCircuit {
  /** Directory holding the outputs. */
  dir: string;
  r1cs: string;
  wasm: string;
  sym: string;
  /** Content hash of everything the compilation depends on. */
  key: string;
}

function pkgVersion(name: string): string {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
}

/**
 * Hash of all circuit sources zkr ships (circuits/*.circom), the compiler and circomlib
 * versions: any change to them yields a new key, so a stale build can never be used.
 */
export function circuitSourcesHash(): string {
  const h = createHash("sha256");
  h.update(`circom2@${pkgVersion("circom2")} circomlib@${pkgVersion("circomlib")} --O2\n`);
  const dir = path.join(REPO_ROOT, "circuits");
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".circom")).sort()) {
    h.update(`${f}\n`);
    h.update(readFileSync(path.join(dir, f)));
  }
  return h.digest("hex");
}

/**
 * Compile a circom main (its source given as text; it may include circomlib templates and
 * the templates in circuits/ by bare file name) with --O2 into the cache, or return the
 * cached build if the same sources were compiled before.
 */
export async function compileCircuit(label: string, mainSource: string): Promise<CompiledCircuit> {
  if (!/^[A-Za-z0-9_-]+$/.test(label)) throw new Error(`bad circuit label "${label}"`);
  const key = createHash("sha256").update(circuitSourcesHash()).update(mainSource).digest("hex").slice(0, 16);
  const dir = path.join(cacheDir(), "circuits", `${label}-${key}`);
  const out = { dir, key, r1cs: path.join(dir, "main.r1cs"), wasm: path.join(dir, "main_js", "main.wasm"), sym: path.join(dir, "main.sym") };
  if (existsSync(path.join(dir, "DONE"))) return out;

  // circom2 (WebAssembly) only sees the working directory and its parents: the main file
  // lives in the repository's build/ folder and the compiler runs from the repository root.
  const mainDir = path.join(REPO_ROOT, "build", "mains");
  mkdirSync(mainDir, { recursive: true });
  const mainFile = path.join(mainDir, `${label}-${key}.circom`);
  writeFileSync(mainFile, mainSource);
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await run(
      process.execPath,
      [
        path.join(REPO_ROOT, "node_modules", "circom2", "cli.js"),
        path.relative(REPO_ROOT, mainFile),
        "--r1cs", "--wasm", "--sym", "--O2",
        "-o", tmp,
        "-l", "node_modules/circomlib/circuits",
        "-l", "circuits",
      ],
      { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`circom compilation of ${label} failed:\n${err.stderr || err.stdout || err.message}`);
  }
  const base = path.basename(mainFile, ".circom");
  renameSync(path.join(tmp, `${base}.r1cs`), path.join(tmp, "main.r1cs"));
  renameSync(path.join(tmp, `${base}.sym`), path.join(tmp, "main.sym"));
  renameSync(path.join(tmp, `${base}_js`), path.join(tmp, "main_js"));
  renameSync(path.join(tmp, "main_js", `${base}.wasm`), path.join(tmp, "main_js", "main.wasm"));
  writeFileSync(path.join(tmp, "DONE"), new Date().toISOString());
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return out;
}
