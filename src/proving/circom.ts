import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { tempPathFor, writeFileAtomic } from "../util/fs.js";
import { REPO_ROOT } from "../util/paths.js";
import { cacheDir } from "./paths.js";

const run = promisify(execFile);

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
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".circom"))
    .sort()) {
    h.update(`${f}\n`);
    h.update(readFileSync(path.join(dir, f)));
  }
  return h.digest("hex");
}

/**
 * compileCircuit's cache key of a main: a hash of circuitSourcesHash() (all circuit sources, the
 * compiler and the flags) and the main's text. Builds derived from a compiled circuit (its C++
 * witness generator, its setup) are keyed by it too.
 */
export function circuitKey(mainSource: string): string {
  return createHash("sha256").update(circuitSourcesHash()).update(mainSource).digest("hex").slice(0, 16);
}

/**
 * Writes the main into the repository's build/mains/<label>-<key>.circom and returns its path:
 * circom2 (WebAssembly) only sees the working directory and its parents, so the main file
 * lives there and the compiler runs from the repository root.
 */
function writeMainFile(label: string, key: string, mainSource: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(label)) throw new Error(`bad circuit label "${label}"`);
  const mainDir = path.join(REPO_ROOT, "build", "mains");
  mkdirSync(mainDir, { recursive: true });
  const mainFile = path.join(mainDir, `${label}-${key}.circom`);
  // Written whole (tmp + rename): another process may be compiling the same main right now.
  if (!existsSync(mainFile) || readFileSync(mainFile, "utf8") !== mainSource) writeFileAtomic(mainFile, mainSource);
  return mainFile;
}

/** Runs circom2 --O2 with the given output flags on a main file; throws with the compiler's output. */
async function runCircom(label: string, mainFile: string, outputs: string[], outDir: string): Promise<void> {
  try {
    await run(
      process.execPath,
      [
        path.join(REPO_ROOT, "node_modules", "circom2", "cli.js"),
        path.relative(REPO_ROOT, mainFile),
        ...outputs,
        "--O2",
        "-o",
        outDir,
        "-l",
        "node_modules/circomlib/circuits",
        "-l",
        "circuits",
      ],
      { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`circom compilation of ${label} failed:\n${err.stderr || err.stdout || err.message}`, { cause: e });
  }
}

/**
 * Compile a circom main (its source given as text; it may include circomlib templates and
 * the templates in circuits/ by bare file name) with --O2 into the cache, or return the
 * cached build if the same sources were compiled before.
 */
export async function compileCircuit(label: string, mainSource: string): Promise<CompiledCircuit> {
  if (!/^[A-Za-z0-9_-]+$/.test(label)) throw new Error(`bad circuit label "${label}"`);
  const key = circuitKey(mainSource);
  const dir = path.join(cacheDir(), "circuits", `${label}-${key}`);
  const out = { dir, key, r1cs: path.join(dir, "main.r1cs"), wasm: path.join(dir, "main_js", "main.wasm"), sym: path.join(dir, "main.sym") };
  if (existsSync(path.join(dir, "DONE"))) return out;

  const mainFile = writeMainFile(label, key, mainSource);
  const tmp = tempPathFor(dir);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await runCircom(label, mainFile, ["--r1cs", "--wasm", "--sym"], tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
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

/** The C++ witness generator sources circom wrote for a main (see emitCircuitCpp). */
export interface CircuitCppSources {
  /** compileCircuit's key of the main. */
  key: string;
  /** Directory with the Makefile, main.cpp, fr.asm, <name>.cpp and <name>.dat. */
  dir: string;
  /** Base name of the circuit's files, and of the binary the Makefile builds. */
  name: string;
}

/**
 * Has circom2 write the C++ witness generator (`--c`) of the same main, with the same flags
 * (--O2) and therefore the same witness layout as compileCircuit's wasm, into `outDir`
 * (not cached: src/proving/witness.ts builds and caches the binary). Throws the compiler's output.
 */
export async function emitCircuitCpp(label: string, mainSource: string, outDir: string): Promise<CircuitCppSources> {
  const key = circuitKey(mainSource);
  const mainFile = writeMainFile(label, key, mainSource);
  mkdirSync(outDir, { recursive: true });
  await runCircom(label, mainFile, ["--c"], outDir);
  const name = path.basename(mainFile, ".circom");
  return { key, dir: path.join(outDir, `${name}_cpp`), name };
}
