// zkr's native crypto (native/crypto/, C++, MIT): Poseidon and the Schnorr-128 signature check
// as a Node-API addon, built at first use into cacheDir()/native/crypto-<key> (key: a hash of
// its sources, the compiler, the flags and the Node version and ABI), loaded into this process
// (and into each worker of signaturePool.ts) and given circomlibjs's constants, so that it
// computes exactly what circomlibjs computes. src/model/crypto.ts uses it where it loads and
// circomlibjs where it does not; NativeCryptoUnavailable says why.
//
// This lives in src/proving, not src/model, because building is I/O (a compiler, the cache
// directory): the model is handed loadNativeCrypto as a function (setCryptoEngine, by
// src/cli/config.ts applyProcessSettings) and never imports this module.
//
// Building needs g++ and Node's own headers (node_api.h, in <node>/include/node next to the
// running node); no node-gyp. The arithmetic is x86-64 assembly with BMI2 and ADX, which the
// addon checks when it is initialised, and Poseidon of 2 to 8 inputs uses AVX-512 IFMA where the
// CPU has it (native/crypto/poseidon_avx512.hpp).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { eddsaImpl, type NativeCryptoFunctions, SNARK_FIELD } from "../model/crypto.js";
import type { Log } from "../util/log.js";
import { REPO_ROOT } from "../util/paths.js";
import { type BuildRecord, builtRecord, cachedBuild, runStep, toolchainProblems } from "./build.js";
import { cacheDir } from "./paths.js";

/** The addon's sources (MIT, zkr's own). */
export const NATIVE_CRYPTO_SOURCES = path.join(REPO_ROOT, "native", "crypto");

/**
 * g++ flags of the addon (one translation unit, addon.cpp). -fno-tree-slp-vectorize: g++ -O3
 * otherwise packs the four limbs of a field addition or of a reduction's last steps into SSE
 * registers, stored as 8-byte words and read back as 16-byte ones, a failed store-to-load
 * forwarding on every addition (measured: a dependent addition 7.8 → 3.4 ns, a wide product and
 * its reduction 24.7 → 18.2 ns, Poseidon(8) 13.2 → 10.3 µs from JavaScript).
 */
const CXXFLAGS = ["-O3", "-std=c++17", "-fno-tree-slp-vectorize", "-shared", "-fPIC", "-fvisibility=hidden", "-DNDEBUG"];

/** Bumped when the build's layout changes (the key also covers sources, compiler, flags and Node). */
const BUILD_FORMAT = "zkr-native-crypto-v1";

const ADDON = "zkr_crypto.node";

/** The native crypto cannot be built or loaded here; `message` says why. */
export class NativeCryptoUnavailable extends Error {}

export interface NativeCryptoBuildOptions {
  /** C++ compiler command (default "g++"); part of the build key. */
  cxx?: string;
  log?: Log;
}

/** A built addon. */
export interface NativeCryptoBuild {
  /** cacheDir()/native/crypto-<key> */
  dir: string;
  key: string;
  /** The addon file (.node). */
  addon: string;
  /** True if it was built before (by this or another process) rather than by this call. */
  cached: boolean;
  /** Wall time its build took (s). */
  buildS: number;
}

/** What the addon exports (native/crypto/addon.cpp). */
export interface NativeCryptoAddon extends NativeCryptoFunctions {
  /** Takes circomlibjs's constants (cryptoConstants), once per process; a later call must pass the same bytes. */
  init(constants: Uint8Array): void;
  /** Poseidon without AVX-512: what a CPU without IFMA computes with (the tests compare it too). */
  poseidonScalar(...inputs: bigint[]): bigint | undefined;
  /** Whether poseidon uses AVX-512 IFMA on this CPU (for 2 to 8 inputs). */
  readonly avx512: boolean;
}

/** A loaded, initialised addon and what a worker thread needs to load it too. */
export interface NativeCrypto extends NativeCryptoAddon {
  file: string;
  constants: Uint8Array;
}

/** Node's headers for addons: <node>/include/node next to the running node's bin/. */
export function nodeApiHeaders(): string {
  return path.join(path.dirname(process.execPath), "..", "include", "node");
}

/** The build key: sha256 of the build format, compiler, flags, Node's version and ABIs, and every source file. */
export function nativeCryptoKey(cxx = "g++"): string {
  const h = createHash("sha256");
  h.update(`${BUILD_FORMAT}\0${cxx}\0${CXXFLAGS.join(" ")}\0${process.version}\0${process.versions.modules}\0${process.versions.napi}\0`);
  for (const f of readdirSync(NATIVE_CRYPTO_SOURCES).sort()) {
    if (!/\.(cpp|hpp)$/.test(f)) continue;
    h.update(`${f}\0`);
    h.update(readFileSync(path.join(NATIVE_CRYPTO_SOURCES, f)));
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * The addon, built into cacheDir()/native/crypto-<key> or taken from there (a lock, a DONE
 * record, an atomic rename: build.ts). Throws NativeCryptoUnavailable when the compiler or
 * Node's headers are missing or this is not x86-64 Linux, an Error when the build itself fails.
 */
export async function buildNativeCrypto(opts: NativeCryptoBuildOptions = {}): Promise<NativeCryptoBuild> {
  const cxx = opts.cxx ?? "g++";
  const log = opts.log ?? (() => {});
  if (process.platform !== "linux" || process.arch !== "x64")
    throw new NativeCryptoUnavailable(`native crypto unavailable: it needs x86-64 Linux (this is ${process.platform}-${process.arch})`);
  const key = nativeCryptoKey(cxx);
  const dir = path.join(cacheDir(), "native", `crypto-${key}`);
  const result = (record: BuildRecord, cached: boolean): NativeCryptoBuild => ({ dir, key, addon: path.join(dir, ADDON), cached, buildS: record.buildS });
  const built = builtRecord(dir, BUILD_FORMAT, [ADDON]);
  if (built) return result(built, true);

  const headers = nodeApiHeaders();
  const problems = await toolchainProblems([], [], cxx);
  if (!existsSync(path.join(headers, "node_api.h"))) problems.push(`Node's headers (node_api.h in ${headers})`);
  if (problems.length) throw new NativeCryptoUnavailable(`native crypto unavailable: missing ${problems.join(", ")}`);
  const build = await cachedBuild(dir, {
    format: BUILD_FORMAT,
    files: [ADDON],
    log,
    build: async (tmp) => {
      mkdirSync(tmp, { recursive: true });
      log(`native crypto: compiling the addon, ${cxx} ${CXXFLAGS.join(" ")}`);
      await runStep(
        `compiling the native crypto addon (${cxx})`,
        cxx,
        [...CXXFLAGS, "-I", headers, "addon.cpp", "-o", path.join(tmp, ADDON)],
        NATIVE_CRYPTO_SOURCES,
      );
      return {};
    },
  });
  if (!build.cached) log(`native crypto built in ${build.record.buildS.toFixed(0)} s: ${dir}`);
  return result(build.record, build.cached);
}

function le32(v: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

let constantsP: Promise<Uint8Array> | undefined;

/**
 * circomlibjs's constants in the addon's format (addon.cpp): the Poseidon constants of every
 * width from the file circomlibjs's own Poseidon reads (src/poseidon_constants_opt.js, loaded by
 * path: the package exports only its main module), and BabyJubJub's a, d, Base8 and subgroup
 * order from its babyJub. Circomlibjs fixes 8 full rounds; the partial rounds of width t are
 * what its round constants leave (8t + partial).
 */
export function cryptoConstants(): Promise<Uint8Array> {
  return (constantsP ??= (async () => {
    // createRequire: this module may run compiled to CommonJS (mocha's tsx hook).
    const main = createRequire(path.join(REPO_ROOT, "package.json")).resolve("circomlibjs"); // <package>/build/main.cjs
    const file = path.join(path.dirname(path.dirname(main)), "src", "poseidon_constants_opt.js");
    const { default: k } = (await import(pathToFileURL(file).href)) as { default: { C: string[][]; S: string[][]; M: string[][][]; P: string[][][] } };
    const { babyJub, F } = await eddsaImpl();
    const parts: Uint8Array[] = [u32(k.C.length)];
    const ints = (xs: string[]) => xs.map((x) => le32(BigInt(x)));
    k.C.forEach((C, i) => {
      const t = i + 2;
      parts.push(u32(t), u32(C.length - 8 * t), ...ints(C), ...ints(k.S[i]!), ...ints(k.M[i]!.flat()), ...ints(k.P[i]!.flat()));
    });
    const curve = [F.toObject(babyJub.A), F.toObject(babyJub.D), F.toObject(babyJub.Base8[0]), F.toObject(babyJub.Base8[1]), babyJub.subOrder];
    if (curve.some((v) => v >= SNARK_FIELD)) throw new Error("circomlibjs's BabyJubJub parameters are not field elements");
    parts.push(...curve.map(le32));
    return Buffer.concat(parts);
  })());
}

/**
 * Loads the addon `file` into this thread and initialises it with `constants` (once per
 * process; the workers of a pool pass the same bytes). Throws NativeCryptoUnavailable if it does
 * not load or refuses (a CPU without BMI2 and ADX).
 */
export function loadAddon(file: string, constants: Uint8Array): NativeCryptoAddon {
  try {
    const addon = createRequire(import.meta.url)(file) as NativeCryptoAddon;
    addon.init(constants);
    return addon;
  } catch (e) {
    throw new NativeCryptoUnavailable(`native crypto unavailable: ${(e as Error).message}`, { cause: e });
  }
}

const loaded = new Map<string, Promise<NativeCrypto>>();

/** The native crypto of this process: built (or taken from the cache), loaded and initialised once per compiler. */
export function loadNativeCrypto(opts: NativeCryptoBuildOptions = {}): Promise<NativeCrypto> {
  const cxx = opts.cxx ?? "g++";
  let p = loaded.get(cxx);
  if (!p) {
    p = (async () => {
      const [build, constants] = await Promise.all([buildNativeCrypto(opts), cryptoConstants()]);
      return { ...loadAddon(build.addon, constants), file: build.addon, constants };
    })();
    loaded.set(cxx, p);
    p.catch(() => loaded.delete(cxx)); // a failed build is tried again by the next call
  }
  return p;
}
