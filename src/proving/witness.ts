// Witness computation for a compiled circuit, by either of circom's witness calculators:
//   wasm: the WebAssembly calculator compileCircuit builds, run in-process by snarkjs;
//   cpp:  the C++ generator circom writes with --c, built here with make/g++/nasm into a native
//         binary (cached next to the wasm build) and run as a child process.
// Both compute the same witness (the same .wtns bytes) from the same input; the native one is
// faster on large circuits. It is optional: it needs g++, make, nasm, libgmp-dev and
// nlohmann-json3-dev (scripts/ensure-witness-toolchain.sh installs them), and callers fall back
// to wasm when it cannot be built (CppWitnessUnavailable says why).
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import { wtns } from "snarkjs";
import { circuitKey, emitCircuitCpp } from "./circom.js";
import { cacheDir } from "./paths.js";
import { SNARK_FIELD } from "../model/crypto.js";
import { type Log } from "../util/log.js";
import { type BuildRecord, builtRecord, cachedBuild, type CachedBuild, runStep, tail, toolchainProblems } from "./build.js";
import { batchMainSource } from "./setup.js";
import { linkShapeOf, partLabels, partMains } from "./linked.js";
import { type SetupManifest } from "./manifest.js";
import { REPO_ROOT } from "../util/paths.js";

const run = promisify(execFile);

export type WitnessBackend = "wasm" | "cpp";

/** Circuit input: signal name → value or (nested) array of values; bigint, integer number or decimal / 0x string. */
export type WitnessInput = Record<string, unknown>;

/**
 * g++ flags for the generated sources. circom's Makefile says -O3; -O1 builds the one large
 * generated file about twice as fast (prod_d12_b32: make 98 s instead of 181 s, ~2 GB either
 * way) for the same witness speed (880 vs 865 ms), since the field arithmetic is fr.asm's.
 */
const CXXFLAGS = "-std=c++11 -O1 -I.";

/** Bumped when the build (flags, layout) changes: the binary's DONE file must name it. */
const CPP_BUILD_FORMAT = `zkr-witness-cpp-v1 ${CXXFLAGS}`;

/** The C++ witness generator could not be built here; `message` says why. */
export class CppWitnessUnavailable extends Error {}

/** A built C++ witness generator. */
export interface CppWitnessGenerator {
  label: string;
  /** compileCircuit's key of the circuit (the wasm build is cacheDir()/circuits/<label>-<key>). */
  key: string;
  /** cacheDir()/circuits/<label>-<key>.cpp */
  dir: string;
  /** The binary: `<bin> input.json out.wtns`; it reads its data from `<bin>.dat`. */
  bin: string;
  /** True if it was built before (by this or another process) rather than by this call. */
  cached: boolean;
  /** Wall time its build took (s): circom --c, then make. */
  buildS: number;
}

/**
 * What the C++ generator's build lacks here (commands on PATH, headers g++ finds), empty if
 * nothing. Each entry names the Debian package that provides it.
 */
export function cppToolchainProblems(): Promise<string[]> {
  return toolchainProblems(
    [
      { cmd: "make", args: ["--version"], pkg: "make" },
      { cmd: "nasm", args: ["-v"], pkg: "nasm" },
    ],
    [
      { header: "gmp.h", pkg: "libgmp-dev" },
      { header: "nlohmann/json.hpp", pkg: "nlohmann-json3-dev" },
    ],
  );
}

/** What a C++ generator's DONE file records: the build's, and circom's part of its time (s). */
interface CppBuildRecord extends BuildRecord {
  circomS: number;
}

/** The files of a built generator: the binary reads argv[0] + ".dat". */
const CPP_FILES = ["main", "main.dat"];

/**
 * The C++ witness generator of the main `mainSource` (the same label and main as
 * compileCircuit's), built into cacheDir()/circuits/<label>-<key>.cpp or taken from there.
 * Concurrent builds (other processes, or calls in this one) wait for a lock and reuse the
 * result; the directory appears whole (tmp + rename) once the binary is built (build.ts).
 * Throws CppWitnessUnavailable when the toolchain is missing, an Error when the build fails.
 */
export async function buildCppWitness(label: string, mainSource: string, opts: { log?: Log } = {}): Promise<CppWitnessGenerator> {
  const log = opts.log ?? (() => {});
  const key = circuitKey(mainSource);
  const dir = path.join(cacheDir(), "circuits", `${label}-${key}.cpp`);
  const result = ({ record, cached }: CachedBuild<CppBuildRecord>): CppWitnessGenerator => ({
    label,
    key,
    dir,
    bin: path.join(dir, "main"),
    cached,
    buildS: record.buildS,
  });
  const built = builtRecord<CppBuildRecord>(dir, CPP_BUILD_FORMAT, CPP_FILES);
  if (built) return result({ record: built, cached: true });

  const problems = await cppToolchainProblems();
  if (problems.length) {
    throw new CppWitnessUnavailable(
      `C++ witness generator for circuit "${label}" unavailable: missing ${problems.join(", ")} (scripts/ensure-witness-toolchain.sh installs them)`,
    );
  }
  const build = await cachedBuild<CppBuildRecord>(dir, {
    format: CPP_BUILD_FORMAT,
    files: CPP_FILES,
    log,
    build: async (tmp) => {
      const t0 = performance.now();
      log(`${label}: circom --c (C++ witness generator sources)`);
      const src = await emitCircuitCpp(label, mainSource, tmp);
      if (src.key !== key) throw new Error(`circuit sources of ${label} changed during the C++ build; retry`);
      const circomS = (performance.now() - t0) / 1000;
      log(`${label}: building the C++ witness generator (make, g++ ${CXXFLAGS})`);
      await runStep(`building the C++ witness generator of ${label}`, "make", [`-j${os.availableParallelism()}`, `CFLAGS=${CXXFLAGS}`, src.name], src.dir);
      // The binary reads argv[0] + ".dat": keep the two together under fixed names.
      renameSync(path.join(src.dir, src.name), path.join(tmp, "main"));
      renameSync(path.join(src.dir, `${src.name}.dat`), path.join(tmp, "main.dat"));
      rmSync(src.dir, { recursive: true, force: true }); // sources and objects: tens of MB
      return { circomS };
    },
  });
  if (!build.cached) {
    const { buildS, circomS } = build.record;
    log(`${label}: C++ witness generator built in ${buildS.toFixed(0)} s (circom ${circomS.toFixed(0)} s, make ${(buildS - circomS).toFixed(0)} s): ${dir}`);
  }
  return result(build);
}

/**
 * The main source a setup was made from, for building its C++ generator: the batch main for a
 * registered instance, else the main file compileCircuit left in build/mains. Throws
 * CppWitnessUnavailable if it is unknown or if the circuit sources changed since the setup
 * (a generator built now would compute another circuit's witness).
 */
export function setupMainSource(manifest: Pick<SetupManifest, "label" | "params" | "circuitKey">, mainSource?: string): string {
  let main = mainSource ?? (manifest.params ? batchMainSource(manifest.params) : undefined);
  if (main === undefined) {
    const file = path.join(REPO_ROOT, "build", "mains", `${manifest.label}-${manifest.circuitKey}.circom`);
    if (!existsSync(file))
      throw new CppWitnessUnavailable(`C++ witness generator for circuit "${manifest.label}" unavailable: its main source is unknown (${file} is missing)`);
    main = readFileSync(file, "utf8");
  }
  checkSetupKey(manifest.label, main, manifest.circuitKey, "its setup");
  return main;
}

/** Throws CppWitnessUnavailable unless `main` still compiles to the circuit key a setup recorded (the sources did not change since `since`). */
function checkSetupKey(label: string, main: string, key: string, since: string): void {
  const now = circuitKey(main);
  if (now !== key)
    throw new CppWitnessUnavailable(
      `C++ witness generator for circuit "${label}" unavailable: the circuit sources changed since ${since} (circuit key ${key}, now ${now})`,
    );
}

/** The C++ generator of a set-up circuit (see setupMainSource and buildCppWitness). */
export async function buildCppWitnessForSetup(
  manifest: Pick<SetupManifest, "label" | "params" | "circuitKey">,
  opts: { mainSource?: string; log?: Log } = {},
): Promise<CppWitnessGenerator> {
  return buildCppWitness(manifest.label, setupMainSource(manifest, opts.mainSource), { log: opts.log });
}

/** The C++ generators of a linked setup's two parts. */
export interface LinkedCppGenerators {
  shell: CppWitnessGenerator;
  transfer: CppWitnessGenerator;
}

/**
 * The C++ generators of a linked setup's parts (src/proving/linked.ts), built from the mains its
 * instance parameters imply. Throws CppWitnessUnavailable if those are not the mains the setup
 * was made from (the circuit sources changed since).
 */
export async function buildLinkedCppWitness(
  manifest: Pick<SetupManifest, "label" | "params" | "linked">,
  opts: { log?: Log } = {},
): Promise<LinkedCppGenerators> {
  if (!manifest.params || !manifest.linked) throw new Error(`setup ${manifest.label} is not a linked setup`);
  const shape = linkShapeOf(manifest.params);
  const labels = partLabels(shape);
  const mains = partMains(shape);
  const keys = { shell: manifest.linked.shellKey, transfer: manifest.linked.transferKey };
  for (const part of ["shell", "transfer"] as const) checkSetupKey(labels[part], mains[part], keys[part], `the setup of ${manifest.label}`);
  return { shell: await buildCppWitness(labels.shell, mains.shell, opts), transfer: await buildCppWitness(labels.transfer, mains.transfer, opts) };
}

/**
 * The witness (.wtns bytes) of `input` computed by snarkjs with the circuit's wasm (bytes or a
 * file). Throws an Error naming the circuit if the input does not satisfy it.
 */
export async function wasmWitness(label: string, wasm: Uint8Array | string, input: WitnessInput): Promise<Uint8Array> {
  const out: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  try {
    await wtns.calculate(input, wasm, out);
  } catch (e) {
    throw new Error(`witness computation for circuit "${label}" failed: ${(e as Error).message}`, { cause: e });
  }
  if (!out.data) throw new Error(`witness computation for circuit "${label}" failed: snarkjs returned no witness`);
  return out.data;
}

/**
 * The witness (.wtns bytes) of `input` computed by the C++ generator, through an input.json and
 * an output .wtns in a temporary directory (removed afterwards). Throws an Error naming the
 * circuit and the failed assertion if the input does not satisfy it.
 */
export async function cppWitness(gen: CppWitnessGenerator, input: WitnessInput): Promise<Uint8Array> {
  const fail = (why: string) => new Error(`witness computation for circuit "${gen.label}" failed (C++ witness generator): ${why}`);
  const json = JSON.stringify(fieldInput(input, fail));
  const tmp = mkdtempSync(path.join(os.tmpdir(), "zkr-wtns-"));
  try {
    const inFile = path.join(tmp, "input.json");
    const outFile = path.join(tmp, "witness.wtns");
    writeFileSync(inFile, json);
    try {
      await run(gen.bin, [inFile, outFile], { maxBuffer: 64 << 20 });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number | string; signal?: string; message: string };
      throw fail(generatorError(err));
    }
    // The generator prints its usage and exits 0 when it cannot start properly; no file then.
    if (!existsSync(outFile)) throw fail("it wrote no witness file");
    return new Uint8Array(readFileSync(outFile));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The reason a generator run failed, from its output: circom's "Failed assert in template …"
 * line (on stdout) for an unsatisfied constraint, else the C++ error on stderr.
 */
function generatorError(err: { stdout?: string; stderr?: string; code?: number | string; signal?: string; message: string }): string {
  const lines = (s?: string) =>
    (s ?? "")
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  const asserts = lines(err.stdout).filter((l) => l.startsWith("Failed assert"));
  const stderr = lines(err.stderr).filter((l) => !/^Aborted|core dumped/.test(l));
  const parts = asserts.length ? [...asserts.slice(0, 3), ...stderr.slice(0, 2)] : stderr.slice(-4);
  const how = err.signal ? `killed by ${err.signal}` : `exit code ${String(err.code)}`;
  return `${parts.length ? parts.join("; ") : tail(err.stdout || err.message, 1000)} (${how})`;
}

/**
 * `input` with every value reduced into the field and written as a decimal string, as the wasm
 * calculator reduces them (the C++ generator's JSON reader takes only non-negative digits, and
 * JSON numbers lose precision): same input, same witness.
 */
function fieldInput(input: WitnessInput, fail: (why: string) => Error): Record<string, unknown> {
  const conv = (v: unknown, where: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => conv(x, `${where}[${i}]`));
    let n: bigint;
    try {
      if (typeof v !== "bigint" && typeof v !== "number" && typeof v !== "string" && typeof v !== "boolean") throw new Error();
      n = BigInt(v);
    } catch {
      throw fail(`input ${where} is not an integer: ${String(v)}`);
    }
    return (((n % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD).toString();
  };
  return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, conv(v, k)]));
}
