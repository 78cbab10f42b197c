// Powers of tau (phase 1 of the Groth16 trusted setup) for zkr, and the iden3 binary-file
// headers and the cached sha256 the setup pipeline shares.
//
// Two kinds of ptau exist. A ceremony ptau comes from a public multi-party ceremony: the
// operator names the file and the sha256 it must have. A development ptau has a single
// contribution whose secret nobody can prove was destroyed: fine for tests and local chains,
// never for a chain holding real value (src/proving/setup.ts refuses it there).
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import { buildBn128 } from "ffjavascript";
import { powersOfTau } from "snarkjs";
import { BN254_BASE_FIELD, SNARK_FIELD } from "../model/crypto.js";
import { cacheDir } from "./paths.js";
import { type FastPtauEngine, generateFastDevPtau } from "./fastptau.js";
import { removeInterruptedBuilds, sha256File, tempPathFor, withFileLock, writeFileAtomic } from "../util/fs.js";
import { snarkjsLogger, withCurve } from "./curve.js";
import type { Log } from "../util/log.js";
import type { PtauInfo } from "./manifest.js";
import { REPO_ROOT } from "../util/paths.js";

/** bn128's scalar field has 2-adicity 28: no FFT domain (and so no circuit) can be larger. */
export const MAX_POWER = 28;

// ---------------------------------------------------------------------------------------------
// iden3 binary files (ptau, r1cs, zkey): "magic" ‖ u32 version ‖ u32 nSections ‖ sections,
// each section u32 type ‖ u64 size ‖ data, all little-endian.

/**
 * Reads the first `bytes` bytes of section `sectionId` of an iden3 binary file, without
 * reading the rest, and returns them with the section's offset in the file and the ids of all
 * sections present.
 */
export async function readBinSectionStart(
  file: string,
  magic: string,
  sectionId: number,
  bytes: number,
): Promise<{ data: Buffer; offset: number; sectionIds: Set<number> }> {
  const fh = await open(file, "r");
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(12);
    await fh.read(head, 0, 12, 0);
    if (head.toString("latin1", 0, 4) !== magic) throw new Error(`${file} is not a ${magic} file`);
    const nSections = head.readUInt32LE(8);
    const sectionIds = new Set<number>();
    let pos = 12;
    let data: Buffer | undefined;
    let offset = 0;
    const sh = Buffer.alloc(12);
    for (let i = 0; i < nSections; i++) {
      if (pos + 12 > size) throw new Error(`${file} is truncated`);
      await fh.read(sh, 0, 12, pos);
      const id = sh.readUInt32LE(0);
      const len = Number(sh.readBigUInt64LE(4));
      pos += 12;
      if (pos + len > size) throw new Error(`${file} is truncated (section ${id})`);
      sectionIds.add(id);
      if (id === sectionId && !data) {
        if (len < bytes) throw new Error(`${file}: section ${id} is too short`);
        data = Buffer.alloc(bytes);
        offset = pos;
        await fh.read(data, 0, bytes, pos);
      }
      pos += len;
    }
    if (!data) throw new Error(`${file} has no section ${sectionId}`);
    return { data, offset, sectionIds };
  } finally {
    await fh.close();
  }
}

export interface PtauHeader {
  power: number;
  ceremonyPower: number;
  /** Whether `powersoftau prepare phase2` has been run (section 12, the Lagrange bases). */
  prepared: boolean;
}

/** Reads the header of a ptau file: its power and whether it is ready for phase 2. */
export async function readPtauHeader(file: string): Promise<PtauHeader> {
  const { data, sectionIds } = await readBinSectionStart(file, "ptau", 1, 4 + 32 + 8);
  const n8 = data.readUInt32LE(0);
  if (n8 !== 32) throw new Error(`${file} is not a bn128 ptau (field size ${n8} bytes)`);
  let q = 0n;
  for (let i = 31; i >= 0; i--) q = (q << 8n) | BigInt(data[4 + i]!);
  if (q !== BN254_BASE_FIELD) throw new Error(`${file} is not a bn128 ptau`);
  return { power: data.readUInt32LE(36), ceremonyPower: data.readUInt32LE(40), prepared: sectionIds.has(12) };
}

export interface R1csInfo {
  nConstraints: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nVars: number;
}

/** Reads the header of a circom .r1cs file (without loading its constraints). */
export async function readR1csInfo(file: string): Promise<R1csInfo> {
  const { data } = await readBinSectionStart(file, "r1cs", 1, 4 + 32 + 4 * 4 + 8 + 4);
  const n8 = data.readUInt32LE(0);
  let prime = 0n;
  for (let i = n8 - 1; i >= 0; i--) prime = (prime << 8n) | BigInt(data[4 + i]!);
  if (n8 !== 32 || prime !== SNARK_FIELD) throw new Error(`${file} is not a bn128 circuit`);
  return {
    nVars: data.readUInt32LE(36),
    nOutputs: data.readUInt32LE(40),
    nPubInputs: data.readUInt32LE(44),
    nPrvInputs: data.readUInt32LE(48),
    nConstraints: data.readUInt32LE(60),
  };
}

/**
 * log2 of the FFT domain snarkjs uses for a circuit, i.e. the smallest ptau power that fits it:
 * snarkjs (zkey_new.js) needs 2^power ≥ nConstraints + nPubInputs + nOutputs + 1 (one extra
 * constraint per public signal and one for the constant signal).
 */
export function requiredPower(info: Pick<R1csInfo, "nConstraints" | "nPubInputs" | "nOutputs">): number {
  const rows = info.nConstraints + info.nPubInputs + info.nOutputs + 1;
  let power = 1;
  while (2 ** power < rows) power++;
  if (power > MAX_POWER) throw new Error(`circuit too large for bn128 Groth16: needs a domain of 2^${power} > 2^${MAX_POWER}`);
  return power;
}

/** The part of ffjavascript's curve object this module calls (its thread manager's task queue). */
interface WasmCurve {
  tm: { queueAction(task: object[]): Promise<ArrayBuffer[]> };
}

/**
 * The 64 bytes snarkjs's `zkey new` hashes as the last H point of a circuit whose domain
 * (2^domainPower) fills the ptau's (its hashHPoints chunks of 2^14 then take τ^(2n−1) − τ^(n−1),
 * one point past the end of the τG1 section), or undefined for any other circuit. That "point"
 * is the 64 bytes that follow the section in the file (in a snarkjs ptau, section 3's header and
 * the start of τG2[0]): not reduced field elements, so its difference depends on snarkjs's wasm
 * arithmetic, which is what computes it here (ffjavascript's g1m_subAffine, g1m_batchToAffine,
 * g1m_batchLEMtoU, the calls snarkjs makes). The native zkey new takes it as --h-past-end.
 */
export async function snarkjsPastEndHPoint(file: string, domainPower: number): Promise<Uint8Array | undefined> {
  const h = await readPtauHeader(file);
  if (domainPower < 15 || domainPower !== h.power) return undefined;
  const n = 2 ** domainPower;
  const { offset } = await readBinSectionStart(file, "ptau", 2, 0);
  const last = Buffer.alloc(64);
  const before = Buffer.alloc(64);
  const fh = await open(file, "r");
  try {
    // The bytes past the section's end lie inside the file unless τG1 is its last section.
    if (offset + (2 * n - 1) * 64 + 64 > (await fh.stat()).size) return undefined;
    await fh.read(last, 0, 64, offset + (2 * n - 1) * 64);
    await fh.read(before, 0, 64, offset + (n - 1) * 64);
  } finally {
    await fh.close();
  }
  return withCurve(async () => {
    const curve = (await buildBn128()) as unknown as WasmCurve;
    const res = await curve.tm.queueAction([
      { cmd: "ALLOCSET", var: 0, buff: new Uint8Array(last) },
      { cmd: "ALLOCSET", var: 1, buff: new Uint8Array(before) },
      { cmd: "ALLOC", var: 2, len: 96 },
      { cmd: "CALL", fnName: "g1m_subAffine", params: [{ var: 0 }, { var: 1 }, { var: 2 }] },
      { cmd: "CALL", fnName: "g1m_batchToAffine", params: [{ var: 2 }, { val: 1 }, { var: 2 }] },
      { cmd: "CALL", fnName: "g1m_batchLEMtoU", params: [{ var: 2 }, { val: 1 }, { var: 2 }] },
      { cmd: "GET", out: 0, var: 2, len: 64 },
    ]);
    return new Uint8Array(res[0]!);
  });
}

/** Throws a clear error unless the ptau at `file` can serve a circuit needing 2^minPower. */
async function checkPtauFits(file: string, minPower: number): Promise<number> {
  const h = await readPtauHeader(file);
  if (!h.prepared) {
    throw new Error(`ptau ${file} is not prepared for phase 2: run \`snarkjs powersoftau prepare phase2\` on it first`);
  }
  if (h.power < minPower) {
    throw new Error(`ptau ${file} has power ${h.power} (2^${h.power}), the circuit needs power ${minPower}`);
  }
  return h.power;
}

// ---------------------------------------------------------------------------------------------
// sha256 of large files, cached by (path, size, mtime, inode) so a 150 MB ptau is hashed once.

interface HashCacheEntry {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

function hashCacheFile(): string {
  return path.join(cacheDir(), "ptau", "sha256-cache.json");
}

function readHashCache(): Record<string, HashCacheEntry> {
  try {
    return JSON.parse(readFileSync(hashCacheFile(), "utf8")) as Record<string, HashCacheEntry>;
  } catch {
    return {};
  }
}

/**
 * sha256 of `file`, from the cache when its size, mtime and inode are those recorded when it
 * was last hashed. (Rewriting a file changes its mtime; an edit that forges size, mtime and
 * inode is outside what this guards against.)
 */
export async function sha256FileCached(file: string, log: Log = () => {}): Promise<string> {
  const real = realpathSync(file);
  const st = statSync(real);
  const hit = readHashCache()[real];
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino) return hit.sha256;
  if (st.size > 16 << 20) log(`hashing ${real} (${Math.round(st.size / (1 << 20))} MB)`);
  const sha256 = await sha256File(real);
  recordSha256(real, sha256);
  return sha256;
}

/** Records the sha256 of `file` (as it is now) for sha256FileCached, e.g. one computed while writing it. */
function recordSha256(file: string, sha256: string): void {
  const real = realpathSync(file);
  const st = statSync(real);
  // Re-read just before writing to keep other processes' entries; a concurrent writer may
  // still drop one entry, which only costs a re-hash later.
  const cache = readHashCache();
  for (const f of Object.keys(cache)) if (!existsSync(f)) delete cache[f];
  cache[real] = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, sha256 };
  writeFileAtomic(hashCacheFile(), JSON.stringify(cache, null, 2) + "\n");
}

// ---------------------------------------------------------------------------------------------
// Obtaining a ptau.

/** A ceremony ptau given by path: its sha256 must be `expectedSha256`, its power ≥ minPower. */
export async function ceremonyPtau(file: string, expectedSha256: string, minPower: number, log: Log = () => {}): Promise<PtauInfo> {
  if (!/^[0-9a-f]{64}$/i.test(expectedSha256)) throw new Error(`expected ptau sha256 must be 64 hex digits, got "${expectedSha256}"`);
  if (!existsSync(file)) throw new Error(`ceremony ptau ${file} does not exist`);
  const sha256 = await sha256FileCached(file, log);
  if (sha256 !== expectedSha256.toLowerCase()) {
    throw new Error(`ceremony ptau ${file} has sha256 ${sha256}, expected ${expectedSha256.toLowerCase()}: wrong or corrupted file, refusing it`);
  }
  const power = await checkPtauFits(file, minPower);
  return { path: realpathSync(file), sha256, power, kind: "ceremony" };
}

/** The shared development ptau that CI machines carry next to the repository. */
export function defaultSharedPtauDir(): string {
  return path.resolve(REPO_ROOT, "..", "shared", "ptau");
}

export const SHARED_DEV_PTAU = "pot17_dev.ptau";

/** Where generated development ptaus are cached. */
export function devPtauDir(): string {
  return path.join(cacheDir(), "ptau");
}

export interface DevPtauOptions {
  /** An explicit development ptau (default: none; the CLI passes $ZKR_DEV_PTAU, src/cli/config.ts). */
  devPtau?: string;
  /** Directory holding pot17_dev.ptau and its SHA256SUMS (default: <repo>/../shared/ptau). */
  sharedPtauDir?: string;
  /**
   * How a missing development ptau is generated: "fast" (src/proving/fastptau.ts, secrets chosen
   * directly; with its native engine about 8.5 s of CPU at power 16 and 108 s at 20, with its JS
   * engine 35 s at 17 on 2 cores) or "snarkjs" (new accumulator, contribution,
   * prepare phase2; about 50 minutes at power 17). Default "fast".
   */
  generator?: "fast" | "snarkjs";
  /** The fast generator's engine (fastptau.ts FastPtauEngine; default "auto": native where it builds). */
  fastEngine?: FastPtauEngine;
  log?: Log;
}

/**
 * A development ptau for a circuit that needs 2^minPower, in this order: `devPtau` (the CLI's
 * $ZKR_DEV_PTAU); the shared pot17_dev.ptau if it matches its SHA256SUMS and is large enough;
 * a previously generated one in the cache; else a new one generated for exactly minPower
 * into the cache (see DevPtauOptions.generator).
 */
export async function devPtau(minPower: number, opts: DevPtauOptions = {}): Promise<PtauInfo> {
  const log = opts.log ?? (() => {});
  const explicit = opts.devPtau;
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`development ptau ${explicit} (ZKR_DEV_PTAU) does not exist`);
    const power = await checkPtauFits(explicit, minPower);
    return { path: realpathSync(explicit), sha256: await sha256FileCached(explicit, log), power, kind: "development" };
  }

  const shared = await sharedDevPtau(opts.sharedPtauDir ?? defaultSharedPtauDir(), minPower, log);
  if (shared) return shared;

  // A previously generated one (of the smallest sufficient power), or a new one.
  const dir = devPtauDir();
  const generated = existsSync(dir)
    ? readdirSync(dir)
        .map((f) => /^pot(\d+)_dev\.ptau$/.exec(f))
        .filter((m): m is RegExpExecArray => m !== null && Number(m[1]) >= minPower)
        .sort((a, b) => Number(a[1]) - Number(b[1]))
    : [];
  let file = generated[0] && path.join(dir, generated[0][0]);
  if (!file) {
    file = path.join(dir, `pot${minPower}_dev.ptau`);
    const out = file;
    log(`no development ptau of power >= ${minPower} found: generating ${out}`);
    await withFileLock(`${out}.lock`, log, async () => {
      removeInterruptedBuilds(out);
      if (existsSync(out)) return;
      if (opts.generator === "snarkjs") await generateDevPtau(minPower, out, log);
      else recordSha256(out, (await generateFastDevPtau(minPower, out, { log, engine: opts.fastEngine })).sha256);
    });
  }
  const power = await checkPtauFits(file, minPower);
  return { path: realpathSync(file), sha256: await sha256FileCached(file, log), power, kind: "development" };
}

async function sharedDevPtau(dir: string, minPower: number, log: Log): Promise<PtauInfo | undefined> {
  const file = path.join(dir, SHARED_DEV_PTAU);
  const sums = path.join(dir, "SHA256SUMS");
  if (!existsSync(file)) return undefined;
  const line = existsSync(sums)
    ? readFileSync(sums, "utf8")
        .split("\n")
        .find((l) => l.trim().split(/\s+/)[1]?.replace(/^\*/, "") === SHARED_DEV_PTAU)
    : undefined;
  const expected = line?.trim().split(/\s+/)[0]?.toLowerCase();
  if (!expected) {
    log(`ignoring ${file}: no entry for it in ${sums}`);
    return undefined;
  }
  const sha256 = await sha256FileCached(file, log);
  if (sha256 !== expected) {
    log(`ignoring ${file}: sha256 ${sha256} does not match ${sums} (${expected})`);
    return undefined;
  }
  const h = await readPtauHeader(file);
  if (!h.prepared || h.power < minPower) {
    log(`ignoring ${file}: power ${h.power}${h.prepared ? "" : ", not prepared"}; the circuit needs power ${minPower}`);
    return undefined;
  }
  return { path: realpathSync(file), sha256, power: h.power, kind: "development" };
}

/**
 * Generates a development ptau of 2^power with snarkjs into `outFile`: a new accumulator, one
 * contribution with random entropy, then `prepare phase2`. Insecure by construction (one
 * party). The file appears only when complete. Time grows steeply with the power (power 8:
 * seconds; 17: about 50 minutes on 2 cores, almost all of it in prepare phase2). devPtau uses
 * the much faster generateFastDevPtau (src/proving/fastptau.ts) unless told otherwise.
 */
export async function generateDevPtau(power: number, outFile: string, log: Log = () => {}): Promise<PtauInfo> {
  if (!Number.isInteger(power) || power < 1 || power > MAX_POWER) throw new Error(`ptau power must be 1..${MAX_POWER}, got ${power}`);
  const tmp = tempPathFor(outFile);
  mkdirSync(tmp, { recursive: true });
  const t0 = Date.now();
  try {
    await withCurve(async () => {
      const curve = await buildBn128();
      const p0 = path.join(tmp, "0000.ptau");
      const p1 = path.join(tmp, "0001.ptau");
      const p2 = path.join(tmp, "final.ptau");
      log(`development ptau 2^${power}: new accumulator`);
      await powersOfTau.newAccumulator(curve, power, p0, snarkjsLogger(log, "ptau new").logger);
      log(`development ptau 2^${power}: random contribution`);
      await powersOfTau.contribute(p0, p1, "zkr development contribution", randomBytes(32).toString("hex"), snarkjsLogger(log, "ptau contribute").logger);
      rmSync(p0);
      log(`development ptau 2^${power}: prepare phase 2 (the slow step)`);
      await powersOfTau.preparePhase2(p1, p2, snarkjsLogger(log, "ptau phase2").logger);
      rmSync(p1);
      const h = await readPtauHeader(p2);
      if (!h.prepared || h.power !== power) throw new Error(`snarkjs produced an unexpected ptau (power ${h.power})`);
      renameSync(p2, outFile);
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`development ptau 2^${power} written to ${outFile} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { path: realpathSync(outFile), sha256: await sha256FileCached(outFile, log), power, kind: "development" };
}
