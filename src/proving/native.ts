// The native Groth16 prover (native/prover/, C++ on ffiasm, GPL-3.0): built at first use into
// cacheDir()/native/prover-<key> (key: a hash of its sources, ffiasm's, the compiler and the
// flags), and run as a separate process — zkr's MIT code never links it. It takes the setup's
// .zkey and a .wtns and writes snarkjs's proof.json and public.json, which it reads back here;
// its subcommand `zkey-new` writes the phase-2 initial key snarkjs's `zkey new` writes (zkey.ts),
// `ptau-new` the point sections of a development ptau and their hashes (fastptau.ts).
//
// Building needs g++ (with OpenMP), nasm and libgmp-dev (scripts/ensure-witness-toolchain.sh
// installs them); NativeProverUnavailable says what is missing, and the Prover then proves with
// snarkjs (prover.ts). The field arithmetic is ffiasm's generated x86-64 assembly: x86-64 only.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { promisify } from "node:util";
import type { Groth16Proof, PublicSignals } from "snarkjs";
import { BN254_BASE_FIELD, SNARK_FIELD } from "../model/crypto.js";
import type { Log } from "../util/log.js";
import { REPO_ROOT } from "../util/paths.js";
import { cachedBuild, type BuildRecord, builtRecord, runStep, toolchainProblems } from "./build.js";
import { cacheDir } from "./paths.js";

const run = promisify(execFile);

/** The prover's sources (GPL-3.0, see its NOTICE). */
export const NATIVE_PROVER_SOURCES = path.join(REPO_ROOT, "native", "prover");

/** g++ flags of every translation unit; OpenMP for both cores. */
const CXXFLAGS = ["-O3", "-std=c++17", "-fopenmp", "-DNDEBUG"];

/** Bumped when the build's layout changes (the key also covers sources, compiler and flags). */
const BUILD_FORMAT = "zkr-native-prover-v2";

const BINARY = "zkr-prover";

/** ffiasm's C++ files the prover compiles (the rest of ffiasm/c is included as headers). */
const FFIASM_UNITS = ["alt_bn128.cpp", "naf.cpp", "misc.cpp", "splitparstr.cpp"];

/** The native prover cannot be built here; `message` says why. */
export class NativeProverUnavailable extends Error {}

/** The native prover ran and refused or failed: `message` is its reason. No proof was written. */
export class NativeProverError extends Error {}

export interface NativeBuildOptions {
  /** C++ compiler command (default "g++"); part of the build key. */
  cxx?: string;
  log?: Log;
}

/** A built native prover. */
export interface NativeProver {
  /** cacheDir()/native/prover-<key> */
  dir: string;
  key: string;
  bin: string;
  /** True if it was built before (by this or another process) rather than by this call. */
  cached: boolean;
  /** Wall time its build took (s). */
  buildS: number;
}

/** What the prover reports with --stats: its threads, peak RSS, CPU time (user + system) and each step's wall time. */
export interface NativeProofStats {
  threads: number;
  maxRssKiB: number;
  cpuMs: number;
  stepsMs: Record<string, number>;
}

export interface NativeProof {
  proof: Groth16Proof;
  publicSignals: PublicSignals;
  /** Wall time of the prover process, start to exit (ms). */
  proveMs: number;
  stats: NativeProofStats;
}

function ffiasmDir(): string {
  // createRequire: this module may run compiled to CommonJS (mocha's tsx hook).
  return path.dirname(createRequire(path.join(REPO_ROOT, "package.json")).resolve("ffiasm/package.json"));
}

/** The build key: sha256 of the build format, compiler, flags and every source file it reads. */
export function nativeProverKey(cxx = "g++"): string {
  const h = createHash("sha256");
  h.update(`${BUILD_FORMAT}\0${cxx}\0${CXXFLAGS.join(" ")}\0`);
  const ffiasm = ffiasmDir();
  const dirs = [NATIVE_PROVER_SOURCES, path.join(ffiasm, "c"), path.join(ffiasm, "src")];
  for (const dir of dirs) {
    for (const f of readdirSync(dir).sort()) {
      if (!/\.(cpp|hpp|ejs|js)$/.test(f)) continue;
      h.update(`${path.basename(dir)}/${f}\0`);
      h.update(readFileSync(path.join(dir, f)));
    }
  }
  return h.digest("hex").slice(0, 16);
}

/** What the native prover's build lacks here, empty if nothing (each with its Debian package). */
export function nativeToolchainProblems(cxx = "g++"): Promise<string[]> {
  return toolchainProblems(
    [{ cmd: "nasm", args: ["-v"], pkg: "nasm" }],
    [
      { header: "gmp.h", pkg: "libgmp-dev" },
      { header: "omp.h", pkg: "g++ (libgomp)", flags: ["-fopenmp"] },
    ],
    cxx,
  );
}

/**
 * The native prover, built into cacheDir()/native/prover-<key> or taken from there (a lock, a
 * DONE record, an atomic rename: build.ts). Throws NativeProverUnavailable when the toolchain is
 * missing or this is not x86-64 Linux, an Error when the build itself fails.
 */
export async function buildNativeProver(opts: NativeBuildOptions = {}): Promise<NativeProver> {
  const cxx = opts.cxx ?? "g++";
  const log = opts.log ?? (() => {});
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new NativeProverUnavailable(`native prover unavailable: it needs x86-64 Linux (this is ${process.platform}-${process.arch})`);
  const key = nativeProverKey(cxx);
  const dir = path.join(cacheDir(), "native", `prover-${key}`);
  const result = (record: BuildRecord, cached: boolean): NativeProver => ({ dir, key, bin: path.join(dir, BINARY), cached, buildS: record.buildS });
  const built = builtRecord(dir, BUILD_FORMAT, [BINARY]);
  if (built) return result(built, true);

  const problems = await nativeToolchainProblems(cxx);
  if (problems.length)
    throw new NativeProverUnavailable(`native prover unavailable: missing ${problems.join(", ")} (scripts/ensure-witness-toolchain.sh installs them)`);
  const build = await cachedBuild(dir, { format: BUILD_FORMAT, files: [BINARY], log, build: (tmp) => compile(tmp, cxx, log) });
  if (!build.cached) log(`native prover built in ${build.record.buildS.toFixed(0)} s: ${dir}`);
  return result(build.record, build.cached);
}

/** Generates ffiasm's fields, assembles them, compiles every unit (as many at once as cores) and links. */
async function compile(tmp: string, cxx: string, log: Log): Promise<Record<string, never>> {
  const ffiasm = ffiasmDir();
  mkdirSync(tmp, { recursive: true });
  log(`native prover: generating the BN254 fields (ffiasm), g++ ${CXXFLAGS.join(" ")}`);
  const gen = path.join(ffiasm, "src", "buildzqfield.js");
  for (const [name, q] of [
    ["Fq", BN254_BASE_FIELD],
    ["Fr", SNARK_FIELD],
  ] as const) {
    await runStep(`generating ffiasm's ${name}`, process.execPath, [gen, "-q", q.toString(), "-n", name], tmp);
    await runStep(`assembling ${name.toLowerCase()}.asm`, "nasm", ["-felf64", `${name.toLowerCase()}.asm`, "-o", `${name.toLowerCase()}_asm.o`], tmp);
  }
  const units = [
    path.join(NATIVE_PROVER_SOURCES, "prover.cpp"),
    path.join(NATIVE_PROVER_SOURCES, "zkey_new.cpp"),
    path.join(NATIVE_PROVER_SOURCES, "ptau_new.cpp"),
    path.join(NATIVE_PROVER_SOURCES, "zkey_scale.cpp"),
    path.join(tmp, "fq.cpp"),
    path.join(tmp, "fr.cpp"),
    ...FFIASM_UNITS.map((u) => path.join(ffiasm, "c", u)),
  ];
  const include = ["-I", tmp, "-I", path.join(ffiasm, "c"), "-I", NATIVE_PROVER_SOURCES];
  const objects = units.map((u, i) => path.join(tmp, `${i}-${path.basename(u, ".cpp")}.o`));
  const queue = units.map((u, i) => () => runStep(`compiling ${path.basename(u)} (${cxx})`, cxx, [...CXXFLAGS, ...include, "-c", u, "-o", objects[i]!], tmp));
  // As many compilers at once as cores; after a failure no new one starts, and all have exited
  // before the error is thrown (the build directory is removed then).
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(os.availableParallelism(), queue.length) }, async () => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        try {
          await job();
        } catch (e) {
          queue.length = 0;
          throw e;
        }
      }
    }),
  );
  const failed = results.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  await runStep(`linking the native prover (${cxx})`, cxx, [...CXXFLAGS, ...objects, "fq_asm.o", "fr_asm.o", "-lgmp", "-Wl,-z,noexecstack", "-o", BINARY], tmp);
  for (const f of readdirSync(tmp)) if (f !== BINARY) rmSync(path.join(tmp, f), { force: true });
  return {};
}

/**
 * The prover's environment: this process's, with OpenMP's idle threads sleeping rather than
 * spinning (OMP_WAIT_POLICY=PASSIVE) unless the caller's environment says otherwise. On a machine
 * whose cores other processes share, a spinning thread burns the time slice the thread it waits
 * for needs (measured: 4.1–5.1 s instead of 5.8–7.0 s for bench_d12_b1 at load 5 on 2 cores).
 */
function childEnv(): NodeJS.ProcessEnv {
  return { OMP_WAIT_POLICY: "PASSIVE", ...process.env };
}

/**
 * Runs the native program with `args` (and `input` on its stdin, `env` added to its environment):
 * its stdout, or the error `fail` makes of its reason (its stderr lines without the program's
 * prefix, and its exit code or signal) when it fails.
 */
async function runNative(
  prover: NativeProver,
  args: string[],
  what: string,
  fail: (why: string, e: unknown, code: number | string | undefined) => Error,
  opts: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ stdout: string }> {
  try {
    const running = run(prover.bin, args, { maxBuffer: 16 << 20, env: { ...childEnv(), ...opts.env } });
    const stdin = running.child.stdin!;
    stdin.on("error", () => {}); // a program that exits before reading it all: its exit code says why
    stdin.end(opts.input ?? "");
    return await running;
  } catch (e) {
    const err = e as { stderr?: string; code?: number | string; signal?: string; message: string };
    const why = (err.stderr ?? "")
      .split("\n")
      .map((l) => l.replace(/^zkr-prover( zkey-new| ptau-new| zkey-scale)?: /, "").trim())
      .filter(Boolean);
    // Without stderr (a crash, a kill) the signal or code is the reason: execFile's message names
    // the command over lines, and the CLI shows an error's first line only.
    const how = err.signal ? `killed by ${err.signal}` : `exit code ${String(err.code)}`;
    throw fail(`${what} failed: ${why.length ? why.join("; ") : err.signal ? "no message" : err.message.split("\n")[0]} (${how})`, e, err.code);
  }
}

/**
 * A Groth16 proof by the native prover of the witness `wtns` (.wtns bytes) with the proving key
 * `zkey` (a .zkey file): the witness and the outputs go through a private temporary directory,
 * removed afterwards. Throws NativeProverError with the prover's reason if it refuses the
 * inputs (a key or witness that is corrupt, truncated or of another circuit) or fails.
 */
export async function nativeProve(prover: NativeProver, zkey: string, wtns: Uint8Array): Promise<NativeProof> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "zkr-native-")); // mode 0700
  try {
    const wtnsFile = path.join(tmp, "witness.wtns");
    const proofFile = path.join(tmp, "proof.json");
    const publicFile = path.join(tmp, "public.json");
    writeFileSync(wtnsFile, wtns);
    const t0 = performance.now();
    const { stdout } = await runNative(
      prover,
      ["--stats", zkey, wtnsFile, proofFile, publicFile],
      "native prover",
      (why, e) => new NativeProverError(why, { cause: e }),
    );
    const proveMs = performance.now() - t0;
    const proof = JSON.parse(readFileSync(proofFile, "utf8")) as Groth16Proof;
    const publicSignals = JSON.parse(readFileSync(publicFile, "utf8")) as PublicSignals;
    return { proof, publicSignals, proveMs, stats: JSON.parse(stdout) as NativeProofStats };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The native `zkey new` refused its inputs or failed; no key was written. `unsupported`: the
 * inputs are valid but outside what it reproduces (a circuit filling the ptau's whole domain of
 * 2^15 or more), snarkjs can make that key.
 */
export class NativeZkeyNewError extends Error {
  constructor(
    message: string,
    readonly unsupported: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface NativeZkeyNew {
  /** Wall time of the process, start to exit (ms). */
  ms: number;
  stats: NativeProofStats;
}

/**
 * snarkjs's `zkey new` natively (`zkr-prover zkey-new`, native/prover/zkey_new.cpp): the phase-2
 * initial key of the circuit `r1cs` for the prepared ptau `ptau`, byte-identical to snarkjs's,
 * written to `zkey` (it appears whole or not at all). For a circuit that fills the ptau's whole
 * domain, `hPastEnd` is the last H point snarkjs hashes (ptau.ts snarkjsPastEndHPoint); without
 * it the program refuses such a circuit (exit code 3). Throws NativeZkeyNewError with the reason
 * if it refuses the inputs (corrupt, truncated, a ptau too small or not prepared) or fails.
 */
export async function nativeZkeyNew(prover: NativeProver, r1cs: string, ptau: string, zkey: string, hPastEnd?: Uint8Array): Promise<NativeZkeyNew> {
  const t0 = performance.now();
  const past = hPastEnd ? ["--h-past-end", Buffer.from(hPastEnd).toString("hex")] : [];
  const { stdout } = await runNative(
    prover,
    ["zkey-new", "--stats", ...past, r1cs, ptau, zkey],
    "native zkey new",
    (why, e, code) => new NativeZkeyNewError(why, code === 3, { cause: e }),
  );
  return { ms: performance.now() - t0, stats: JSON.parse(stdout) as NativeProofStats };
}

/** The native `zkey scale` refused the key or failed (the caller removes the file it was changing). */
export class NativeZkeyScaleError extends Error {}

/**
 * A phase-2 contribution's heavy part natively (`zkr-prover zkey-scale`,
 * native/prover/zkey_scale.cpp): every point of the L and H sections of `zkey` times `scalar`
 * (δ⁻¹), in place; the scalar goes on stdin, never on the command line. Throws
 * NativeZkeyScaleError with the reason if the key is corrupt or the program fails (the file is
 * then partly changed: work on a copy).
 */
export async function nativeZkeyScale(prover: NativeProver, zkey: string, scalar: bigint): Promise<{ ms: number; stats: NativeProofStats }> {
  const t0 = performance.now();
  const { stdout } = await runNative(
    prover,
    ["zkey-scale", "--stats", zkey],
    "native zkey contribute",
    (why, e) => new NativeZkeyScaleError(why, { cause: e }),
    {
      input: scalar.toString(16).padStart(64, "0") + "\n",
    },
  );
  return { ms: performance.now() - t0, stats: JSON.parse(stdout) as NativeProofStats };
}

/** The native `ptau new` refused its plan or failed (the caller removes the file it was filling). */
export class NativePtauNewError extends Error {}

export interface NativePtauNew {
  /** The response hash's state after the compressed points (snarkjs's 216-byte partial hash). */
  partialHash: Uint8Array;
  /** blake2b-512 of the response hash and the uncompressed points. */
  nextChallenge: Uint8Array;
  /** The fixed-base tables' window bits in G1 and G2 (0 for a group without points). */
  windows: [number, number];
  /** Wall time of the process, start to exit (ms). */
  ms: number;
  stats: NativeProofStats;
}

/**
 * The point sections of a development ptau natively (`zkr-prover ptau-new`,
 * native/prover/ptau_new.cpp): `plan` (fastptau.ts nativePlan) says where in the existing `file`
 * each section goes and the scalars of its chunks; the program writes the points there and
 * returns the contribution's hashes over them. `threads` sets OpenMP's thread count. Throws
 * NativePtauNewError with the program's reason if it refuses the plan or fails.
 */
export async function nativePtauNew(prover: NativeProver, file: string, plan: string, opts: { threads?: number } = {}): Promise<NativePtauNew> {
  const t0 = performance.now();
  const { stdout } = await runNative(prover, ["ptau-new", "--stats", file], "native ptau new", (why, e) => new NativePtauNewError(why, { cause: e }), {
    input: plan,
    env: opts.threads === undefined ? {} : { OMP_NUM_THREADS: String(opts.threads) },
  });
  const [hashes, stats] = stdout.trim().split("\n");
  const h = JSON.parse(hashes!) as { partialHash: string; nextChallenge: string; windows: [number, number] };
  return {
    partialHash: Buffer.from(h.partialHash, "hex"),
    nextChallenge: Buffer.from(h.nextChallenge, "hex"),
    windows: h.windows,
    ms: performance.now() - t0,
    stats: JSON.parse(stats!) as NativeProofStats,
  };
}
