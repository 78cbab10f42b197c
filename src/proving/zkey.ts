// Groth16 proving keys (snarkjs .zkey files) as the phase-2 pipeline needs them: the chain of
// contributions a key carries, and the initial key (contribution 0) of a circuit and a ptau.
//
// A zkey's section 10 holds snarkjs's MPC parameters: the circuit hash (blake2b-512 of the
// initial key, so it names circuit and ptau together) and, in order, every contribution's
// public key (δ after it, a proof of knowledge of its secret, the transcript hash it signed) with
// its name and, for a beacon, the beacon value and iteration exponent. The contribution hash a
// participant publishes is blake2b-512 of that public key, computed here exactly as snarkjs
// (zkey_utils.hashPubKey) does, without curve arithmetic: reading the list needs no worker threads.
//
// The initial key is a deterministic function of the r1cs and the ptau (snarkjs `zkey new`, no
// secret: δ = 1). It is the slow step of a setup (with snarkjs: minutes for 30k constraints, an
// hour for 600k), so it is computed natively when the native prover builds (`zkr-prover
// zkey-new`, the same bytes: native.ts), and once per (circuit, ptau) into the cache and shared by `zkr setup` and
// `zkr ceremony` (init, verify, finalize). A cached initial key is only ever one this machine
// computed itself; a ceremony's published circuit_0000.zkey is never trusted in its place.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { readBinFile, readSection } from "@iden3/binfileutils";
import { blake2b } from "@noble/hashes/blake2";
import { zKey } from "snarkjs";
import { BN254_BASE_FIELD } from "../model/crypto.js";
import { type CompiledCircuit } from "./circom.js";
import { cacheDir } from "./paths.js";
import { readR1csInfo, requiredPower, sha256FileCached, snarkjsPastEndHPoint } from "./ptau.js";
import { type PtauInfo } from "./manifest.js";
import { type Log } from "../util/log.js";
import { removeInterruptedBuilds, sha256File, tempPathFor, withFileLock } from "../util/fs.js";
import { snarkjsLogger, withCurve } from "./curve.js";
import { buildNativeProver, type NativeBuildOptions, nativeZkeyNew } from "./native.js";

/** The coordinates of every point in a zkey are below q. */
const Q = BN254_BASE_FIELD;
/** (2^256)^-1 mod q: zkeys store coordinates in Montgomery form x·2^256 mod q. */
const R_INV = modPow(2n ** 256n % Q, Q - 2n, Q);

/** Bumped when the initial-key cache layout changes. */
const INIT_FORMAT = "zkr-phase2-init-v1";

/** One entry of a zkey's contribution chain. */
export interface ZkeyContribution {
  /** 1-based position in the chain, as snarkjs numbers them ("contribution #n"). */
  index: number;
  /** The name the contributor gave (snarkjs keeps at most 64 characters); "" if none. */
  name: string;
  /** blake2b-512 of the contribution's public key, 128 hex digits: what the contributor publishes. */
  hash: string;
  /** For the beacon contribution: the beacon value (hex) and log2 of its sha256 iterations. */
  beacon?: { hash: string; iterationsExp: number };
}

export interface ZkeyChain {
  /** snarkjs's "circuit hash" (128 hex digits): the same in every key derived from one initial key. */
  circuitHash: string;
  contributions: ZkeyContribution[];
}

function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  for (b %= m; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
  return r;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/**
 * A point as snarkjs hashes it (toRprUncompressed): each coordinate out of Montgomery form,
 * big-endian; an Fp2 coordinate c0 + c1·u as c1 ‖ c0. `raw` is the stored little-endian
 * Montgomery form: 64 bytes for G1, 128 for G2. The point at infinity (all zero) stays zero.
 */
function uncompressed(raw: Uint8Array): Uint8Array {
  const out = new Uint8Array(raw.length);
  const coordBytes = raw.length / 2; // 32 (Fp) or 64 (Fp2)
  for (let c = 0; c < 2; c++) {
    for (let k = 0; k < coordBytes / 32; k++) {
      const limb = raw.subarray(c * coordBytes + k * 32, c * coordBytes + (k + 1) * 32);
      let x = 0n;
      for (let i = 31; i >= 0; i--) x = (x << 8n) | BigInt(limb[i]!);
      x = (x * R_INV) % Q;
      // Reversing the coordinate's bytes puts its last 32-byte element first (c1 before c0).
      const at = c * coordBytes + (coordBytes / 32 - 1 - k) * 32;
      for (let i = 31; i >= 0; i--, x >>= 8n) out[at + i] = Number(x & 0xffn);
    }
  }
  return out;
}

/** Parses a zkey's section 10 (snarkjs zkey_utils.readMPCParams) into its contribution chain. */
export function parseMpcParams(section: Uint8Array): ZkeyChain {
  const view = new DataView(section.buffer, section.byteOffset, section.byteLength);
  let pos = 0;
  const take = (n: number) => {
    if (pos + n > section.length) throw new Error("truncated contribution list (zkey section 10)");
    const b = section.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const u32 = () => {
    take(4);
    return view.getUint32(pos - 4, true);
  };
  const circuitHash = hex(take(64));
  const n = u32();
  const contributions: ZkeyContribution[] = [];
  for (let i = 0; i < n; i++) {
    const deltaAfter = take(64);
    const g1S = take(64);
    const g1Sx = take(64);
    const g2Spx = take(128);
    const transcript = take(64);
    const type = u32();
    const params = take(u32());
    const c: ZkeyContribution = { index: i + 1, name: "", hash: "" };
    let iterationsExp: number | undefined;
    let beaconHash: string | undefined;
    for (let p = 0, last = 0; p < params.length;) {
      const id = params[p++]!;
      if (id <= last) throw new Error(`contribution #${i + 1}: parameters out of order`);
      last = id;
      if (id === 2) {
        iterationsExp = params[p++];
        continue;
      }
      const len = params[p++];
      if (len === undefined || p + len > params.length || (id !== 1 && id !== 3)) throw new Error(`contribution #${i + 1}: bad parameter ${id}`);
      const value = params.subarray(p, p + len);
      p += len;
      if (id === 1) c.name = new TextDecoder("utf-8", { fatal: false }).decode(value);
      else beaconHash = hex(value);
    }
    if (type === 1) {
      if (beaconHash === undefined || iterationsExp === undefined) throw new Error(`contribution #${i + 1}: a beacon without its parameters`);
      c.beacon = { hash: beaconHash, iterationsExp };
    } else if (type !== 0) {
      throw new Error(`contribution #${i + 1}: unknown type ${type}`);
    }
    c.hash = hex(blake2b(Buffer.concat([uncompressed(deltaAfter), uncompressed(g1S), uncompressed(g1Sx), uncompressed(g2Spx), transcript]), { dkLen: 64 }));
    contributions.push(c);
  }
  if (pos !== section.length) throw new Error("trailing bytes after the contribution list (zkey section 10)");
  return { circuitHash, contributions };
}

/**
 * The contribution chain of a Groth16 zkey (cheap: reads the header and section 10 only).
 * Throws a clear error for a file that is not a Groth16 zkey.
 */
export async function readZkeyChain(file: string): Promise<ZkeyChain> {
  if (!existsSync(file)) throw new Error(`zkey ${file} does not exist`);
  let opened: Awaited<ReturnType<typeof readBinFile>>;
  try {
    opened = await readBinFile(file, "zkey", 2);
  } catch (e) {
    throw new Error(`${file} is not a zkey file (${(e as Error).message})`, { cause: e });
  }
  const fd = opened.fd as { close(): Promise<void> };
  try {
    const header = await readSection(fd, opened.sections, 1);
    if (header.length < 4 || new DataView(header.buffer, header.byteOffset).getUint32(0, true) !== 1) throw new Error(`${file} is not a Groth16 zkey`);
    if (!opened.sections[10]) throw new Error(`${file} has no contribution list (section 10)`);
    return parseMpcParams(await readSection(fd, opened.sections, 10));
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
  } finally {
    await fd.close();
  }
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * What computes an initial key: "snarkjs" (`zkey new` in this process), "native" (the native
 * prover's `zkey-new`, built on first use; the key fails if it cannot be built or refuses the
 * inputs) or "auto" (native if it builds and succeeds, else snarkjs, the reason logged once).
 * Both write the same bytes, so the cache does not depend on the choice.
 */
export type ZkeyNewChoice = "snarkjs" | "native" | "auto";

export const ZKEY_NEW_CHOICES: readonly ZkeyNewChoice[] = ["snarkjs", "native", "auto"];

export interface InitialZkeyOptions {
  /** Default "auto". */
  zkeyNew?: ZkeyNewChoice;
  /** How the native program is built (the compiler; see native.ts). */
  nativeBuild?: Omit<NativeBuildOptions, "log">;
  /** The memory the snarkjs fallback may count on (default os.totalmem(); see snarkjsZkeyNewTooBig). */
  memoryBytes?: number;
}

/** The fallback reasons "auto" has logged in this process (each once). */
const reportedFallbacks = new Set<string>();

export interface InitialZkey {
  /** The cached circuit_0000.zkey (never modify it: copy it). */
  path: string;
  sha256: string;
  circuitHash: string;
  r1csSha256: string;
  /** What computed it (when this call did; undefined for a cached key). */
  computedBy?: "snarkjs" | "native";
}

/**
 * The initial zkey (contribution 0) of `circuit` for `ptau`, from the cache or computed with
 * `zkey new` (snarkjs's or the native one: opts.zkeyNew) into cacheDir()/phase2-init/<label>-<key>/ (file-locked: one process
 * computes it, others wait). The key hashes the circuit key, the ptau's sha256 and the snarkjs
 * version. A cached file whose sha256 no longer matches its record is recomputed.
 */
export async function initialZkey(
  label: string,
  circuit: Pick<CompiledCircuit, "key" | "r1cs">,
  ptau: Pick<PtauInfo, "path" | "sha256">,
  snarkjsVersion: string,
  log: Log = () => {},
  opts: InitialZkeyOptions = {},
): Promise<InitialZkey> {
  const key = sha256Hex(`${INIT_FORMAT}\n${circuit.key}\n${ptau.sha256}\nsnarkjs@${snarkjsVersion}\n`).slice(0, 16);
  const dir = path.join(cacheDir(), "phase2-init", `${label}-${key}`);
  const cached = await readInitialZkey(dir, log);
  if (cached) return cached;
  return withFileLock(`${dir}.lock`, log, async () => {
    const done = await readInitialZkey(dir, log);
    if (done) return done;
    removeInterruptedBuilds(dir);
    rmSync(dir, { recursive: true, force: true });
    const tmp = tempPathFor(dir);
    mkdirSync(tmp, { recursive: true });
    try {
      const file = path.join(tmp, "circuit_0000.zkey");
      const t0 = Date.now();
      const computedBy = await zkeyNew(label, circuit.r1cs, ptau.path, file, log, opts);
      const info: Omit<InitialZkey, "path"> = {
        sha256: await sha256File(file), // streamed: the key and the r1cs of a 2^23 circuit are GBs (readFileSync stops at 2 GiB)
        circuitHash: (await readZkeyChain(file)).circuitHash,
        r1csSha256: await sha256File(circuit.r1cs),
      };
      writeFileSync(
        path.join(tmp, "init.json"),
        JSON.stringify({ label, circuitKey: circuit.key, ptauSha256: ptau.sha256, ...info, computedBy }, null, 2) + "\n",
      );
      renameSync(tmp, dir);
      log(`${label}: initial key (${computedBy} zkey new) in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
      return { path: path.join(dir, "circuit_0000.zkey"), ...info, computedBy };
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

/**
 * Why snarkjs's `zkey new` cannot make the key of an r1cs of `r1csBytes` on this machine, or
 * undefined. It holds the constraints as JS objects, several times the file: on the 6.26 GB r1cs
 * of prod_d12_b448 it passed 24 GB (3.8× the file) at 13 % of the constraints and was killed by
 * the kernel, taking the whole setup with it. So the automatic fallback from the native program is
 * refused when the r1cs is over a tenth of the memory (about 2.4 GB on 24 GiB; prod_d12_b32's
 * is 0.5 GB), instead of running the machine out of memory; `zkeyNew: "snarkjs"` still tries.
 */
export function snarkjsZkeyNewTooBig(r1csBytes: number, memBytes = os.totalmem()): string | undefined {
  if (r1csBytes * 10 <= memBytes) return undefined;
  const gb = (b: number) => (b / 1e9).toFixed(1);
  return `its r1cs is ${gb(r1csBytes)} GB, and snarkjs holds its constraints in memory at several times that (this machine has ${gb(memBytes)} GB)`;
}

/**
 * Writes the initial key of `r1cs` for `ptau` to `file` with the chosen `zkey new`; returns which
 * one wrote it. With "auto", a native program that cannot be built or fails gives way to snarkjs
 * (which then decides about the inputs), the reason logged once per process.
 */
export async function zkeyNew(label: string, r1cs: string, ptau: string, file: string, log: Log, opts: InitialZkeyOptions = {}): Promise<"snarkjs" | "native"> {
  const choice = opts.zkeyNew ?? "auto";
  if (choice !== "snarkjs") {
    try {
      const native = await buildNativeProver({ ...opts.nativeBuild, log });
      log(`${label}: phase 2 initial key (native zkey new)`);
      const hPastEnd = await snarkjsPastEndHPoint(ptau, requiredPower(await readR1csInfo(r1cs)));
      const r = await nativeZkeyNew(native, r1cs, ptau, file, hPastEnd);
      log(`${label}: native zkey new in ${(r.ms / 1000).toFixed(1)} s on ${r.stats.threads} threads, peak RSS ${r.stats.maxRssKiB} KiB`);
      return "native";
    } catch (e) {
      if (choice === "native") throw e;
      const reason = (e as Error).message;
      rmSync(file, { force: true });
      const tooBig = snarkjsZkeyNewTooBig(statSync(r1cs).size, opts.memoryBytes);
      if (tooBig) throw new Error(`${reason}; and snarkjs zkey new cannot take over: ${tooBig}`, { cause: e });
      if (!reportedFallbacks.has(reason)) {
        reportedFallbacks.add(reason);
        log(`${reason}; using snarkjs zkey new`);
      }
    }
  }
  log(`${label}: phase 2 initial key (snarkjs zkey new)`);
  await withCurve(async () => {
    const l = snarkjsLogger(log, `${label} zkey new`);
    const csHash = await zKey.newZKey(r1cs, ptau, file, l.logger);
    if (!(csHash instanceof Uint8Array)) throw new Error(`snarkjs zkey new failed for ${label}: ${l.lastError() ?? "unknown error"}`);
  });
  return "snarkjs";
}

async function readInitialZkey(dir: string, log: Log): Promise<InitialZkey | undefined> {
  const record = path.join(dir, "init.json");
  const file = path.join(dir, "circuit_0000.zkey");
  if (!existsSync(record) || !existsSync(file)) return undefined;
  const info = JSON.parse(readFileSync(record, "utf8")) as Omit<InitialZkey, "path">;
  if ((await sha256FileCached(file, log)) !== info.sha256) {
    log(`${file} does not match its recorded sha256: recomputing it`);
    return undefined;
  }
  return { path: file, sha256: info.sha256, circuitHash: info.circuitHash, r1csSha256: info.r1csSha256 };
}
