// A fast generator of development powers-of-tau files, in snarkjs 0.7.6's prepared ptau format.
//
// snarkjs builds a development ptau as a new accumulator, one contribution and `prepare phase2`,
// whose inverse FFTs over group elements take about 50 minutes at power 17 on 2 cores. This
// generator instead picks the secrets tau, alpha, beta itself and computes every point directly
// as s·G for a scalar s it knows: the powers tau^i (sections 2-6) and the Lagrange basis
// evaluations L_j(tau) for every domain size (sections 12-15), by fixed-base multiplication
// with precomputed window tables.
//
// Two engines compute the points, the same bytes: "native" (`zkr-prover ptau-new`,
// native/prover/ptau_new.cpp, built at first use like the native prover: native.ts) and "js"
// (ffjavascript's wasm on worker threads). "auto" (the default) takes the native one where it
// builds and runs, else the JS one, the reason logged once. Either way this file lays out the
// ptau, derives the secrets, cuts the sections into jobs (the scalars of a chunk of points) and
// writes everything but the points: the header, the section headers and the contribution record,
// whose hashes the engine returns.
//
// INSECURE BY CONSTRUCTION: one party chose the secrets (they live in this process's memory, and
// in the plan it gives the native program on a pipe, while it runs). The single contribution
// record is named "zkr INSECURE development ptau". Use the file for tests and local chains only,
// never for a chain holding real value.
//
// The result is what snarkjs itself writes for a one-contribution ceremony followed by
// `prepare phase2`: same sections, encodings, contribution record and hashes, so
// `snarkjs powersoftau verify` accepts it (for a seed given by `seed`, the point sections equal
// byte for byte those of `powersoftau beacon` with the beacon whose 2^k-fold sha256 is `seed`).
import { createHash, randomBytes } from "node:crypto";
import { accessSync, constants, mkdirSync, realpathSync, renameSync, rmSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { blake2b } from "@noble/hashes/blake2";
import { buildBn128, ChaCha } from "ffjavascript";
import type { PtauInfo } from "./manifest.js";
import { buildNativeProver, type NativeBuildOptions, type NativeProofStats, type NativeProver, NativePtauNewError, nativePtauNew } from "./native.js";
import { sha256File, tempPathFor } from "../util/fs.js";
import type { Log } from "../util/log.js";

/** Name recorded in the file's contribution record. */
export const FAST_PTAU_CONTRIBUTION_NAME = "zkr INSECURE development ptau";

/** Largest power supported: section 12 then needs a domain of 2^28, bn128's 2-adicity. */
export const FAST_PTAU_MAX_POWER = 27;

/**
 * What computes the points: "native" (`zkr-prover ptau-new`, built on first use; generation
 * fails if it cannot be built or fails), "js" (ffjavascript's wasm on worker threads) or "auto"
 * (native if it builds and succeeds, else js, the reason logged once). The same bytes either way.
 */
export type FastPtauEngine = "auto" | "native" | "js";

export const FAST_PTAU_ENGINES: readonly FastPtauEngine[] = ["auto", "native", "js"];

export interface FastPtauOptions {
  /**
   * 32 bytes seeding the ChaCha generator the secrets (and the key's random points) are drawn
   * from, exactly as snarkjs draws a contribution key. Default: fresh random bytes. Given a
   * seed the file is reproducible, so anyone holding the seed knows the secrets.
   */
  seed?: Uint8Array;
  /** Threads (default: the available parallelism; for the native engine, OpenMP's default). */
  threads?: number;
  /** Default "auto". */
  engine?: FastPtauEngine;
  /** How the native program is built (the compiler; see native.ts). */
  nativeBuild?: Omit<NativeBuildOptions, "log">;
  log?: Log;
}

/** A generated development ptau, and which engine computed its points. */
export interface FastPtau extends PtauInfo {
  engine: "native" | "js";
  /** The native program's threads, peak RSS, CPU time and steps (the native engine only). */
  nativeStats?: NativeProofStats;
}

// ---------------------------------------------------------------------------------------------
// The parts of ffjavascript's bn128 curve used here. Field elements and points are Uint8Arrays
// in ffjavascript's internal (Montgomery) form; points are Jacobian unless called affine.

type Bytes = Uint8Array;
interface Field {
  one: Bytes;
  zero: Bytes;
  /** w[p]: the primitive 2^p-th root of unity ffjavascript's FFTs use for domain 2^p. */
  w: Bytes[];
  e(a: number | bigint): Bytes;
  sub(a: Bytes, b: Bytes): Bytes;
  mul(a: Bytes, b: Bytes): Bytes;
  inv(a: Bytes): Bytes;
  exp(a: Bytes, e: number | bigint): Bytes;
  eq(a: Bytes, b: Bytes): boolean;
  fromRng(rng: ChaCha): Bytes;
  /** The element's value (standard form). */
  toObject(a: Bytes): bigint;
}
interface Group {
  g: Bytes;
  oneAffine: Bytes;
  F: { n8: number };
  fromRng(rng: ChaCha): Bytes;
  toAffine(p: Bytes): Bytes;
  timesFr(p: Bytes, s: Bytes): Bytes;
  toUncompressed(p: Bytes): Bytes;
  toRprUncompressed(buff: Bytes, pos: number, p: Bytes): void;
  toRprLEM(buff: Bytes, pos: number, p: Bytes): void;
}
interface Bn128 {
  Fr: Field;
  G1: Group;
  G2: Group;
  q: bigint;
  /** The wasm module's bytes (kept by a single-threaded curve). */
  tm: { code: Uint8Array<ArrayBuffer> };
}

type GroupName = "G1" | "G2";
/** Bytes of an affine point (LEM or uncompressed). */
const AFFINE = { G1: 64, G2: 128 } as const;

/** bn128's scalar field order is below 2^254: scalars have at most 254 bits. */
const SCALAR_BITS = 254;
/** Points per worker job. */
const CHUNK = 1 << 13;

// ---------------------------------------------------------------------------------------------
// Worker threads. Each instantiates ffjavascript's bn128 wasm (passed as a compiled module) and
// answers two kinds of jobs: compute one row of a fixed-base window table into a
// SharedArrayBuffer (the rows are spread over the workers, so each table is built once), and,
// once the tables are complete, "multiply the generator by these n scalars" using its own
// copy of the tables. The worker is plain JavaScript evaluated as a worker (no TypeScript
// loader needed in the thread). Memory of the wasm module: the u32 at address 0 is the free
// pointer, which the wasm batch functions also allocate their scratch space from.

/**
 * A table for fixed-base multiplication by a group generator G, in w-bit windows: row k holds
 * d·2^(k·w)·G (affine LEM) at index d < 2^w (index 0 unused), so s·G is the sum of one entry
 * per row, selected by the k-th w-bit digit of s.
 */
interface TableSpec {
  gen: Bytes;
  w: number;
  rows: number;
  table: SharedArrayBuffer;
}

type RowJob = { type: "row"; group: GroupName; k: number };

/** n scalars s_i, and the points s_i·G in LEM (plus compressed and uncompressed if `encodings`). */
type PointsJob = { type: "points"; group: GroupName; n: number; encodings: boolean } & (
  | { kind: "geometric"; first: Bytes; inc: Bytes }
  /** s_j = w_j·(c/(tau − w_j) − e) with w_j = w0·omega^j. */
  | { kind: "lagrange"; w0: Bytes; omega: Bytes; tau: Bytes; c: Bytes; e: Bytes }
);

interface JobResult {
  lem: Uint8Array;
  compressed?: Uint8Array;
  uncompressed?: Uint8Array;
}

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require("node:worker_threads");
const memory = new WebAssembly.Memory({ initial: 25, maximum: 32767 });
const wasm = new WebAssembly.Instance(workerData.module, { env: { memory } }).exports;
const SCALAR_BITS = ${SCALAR_BITS};
const groups = {
  G1: { p: "g1m", sA: 64, sJ: 96, ...workerData.G1 },
  G2: { p: "g2m", sA: 128, sJ: 192, ...workerData.G2 },
};

const getFree = () => new DataView(memory.buffer).getUint32(0, true);
const setFree = (p) => new DataView(memory.buffer).setUint32(0, p, true);
function alloc(n) {
  const p = (getFree() + 7) & ~7;
  // Leave room after the block for the scratch space the wasm batch functions take.
  const need = p + 2 * n + (1 << 20);
  if (need > memory.buffer.byteLength) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  setFree(p + n);
  return p;
}
function put(bytes) {
  const p = alloc(bytes.length);
  new Uint8Array(memory.buffer).set(bytes, p);
  return p;
}
const get = (p, n) => new Uint8Array(memory.buffer).slice(p, p + n);

// Row k of group g's table, written into the shared table.
function row(g, k) {
  const mark = getFree();
  const rowLen = 2 ** g.w;
  const entries = 2 ** Math.min(g.w, SCALAR_BITS - k * g.w);
  const base = put(g.gen);
  const jac = alloc(rowLen * g.sJ);
  const aff = alloc(rowLen * g.sA);
  wasm[g.p + "_toJacobian"](base, jac);
  for (let i = 0; i < k * g.w; i++) wasm[g.p + "_double"](jac, jac);
  wasm[g.p + "_toAffine"](jac, base); // 2^(k·w)·gen
  new Uint8Array(memory.buffer).fill(0, jac, jac + g.sJ); // the point at infinity
  for (let d = 1; d < entries; d++) wasm[g.p + "_addMixed"](jac + (d - 1) * g.sJ, base, jac + d * g.sJ);
  wasm[g.p + "_batchToAffine"](jac, entries, aff);
  new Uint8Array(g.table, k * rowLen * g.sA, entries * g.sA).set(new Uint8Array(memory.buffer, aff, entries * g.sA));
  setFree(mark);
}

// The job's scalars, canonical little-endian (32 bytes each).
function scalars(job) {
  const n = job.n;
  const out = alloc(n * 32);
  if (job.kind === "geometric") {
    const inc = put(job.inc);
    new Uint8Array(memory.buffer).set(job.first, out);
    for (let i = 1; i < n; i++) wasm.frm_mul(out + (i - 1) * 32, inc, out + i * 32);
  } else {
    const omega = put(job.omega), tau = put(job.tau), c = put(job.c), e = put(job.e);
    const ws = alloc(n * 32), d = alloc(n * 32), inv = alloc(n * 32), t = alloc(32);
    new Uint8Array(memory.buffer).set(job.w0, ws);
    for (let j = 1; j < n; j++) wasm.frm_mul(ws + (j - 1) * 32, omega, ws + j * 32);
    for (let j = 0; j < n; j++) wasm.frm_sub(tau, ws + j * 32, d + j * 32);
    wasm.frm_batchInverse(d, 32, n, inv, 32);
    for (let j = 0; j < n; j++) {
      wasm.frm_mul(c, inv + j * 32, t);
      wasm.frm_sub(t, e, t);
      wasm.frm_mul(ws + j * 32, t, out + j * 32);
    }
  }
  wasm.frm_batchFromMontgomery(out, n, out);
  return out;
}

function points(job) {
  const g = groups[job.group];
  if (g.local === undefined) g.local = put(new Uint8Array(g.table)); // first use: the finished table
  const mark = getFree();
  const n = job.n, w = g.w, rowBytes = 2 ** w * g.sA;
  const masks = Array.from({ length: g.rows }, (_, k) => 2 ** Math.min(w, SCALAR_BITS - k * w) - 1);
  const s = scalars(job);
  const acc = alloc(n * g.sJ);
  const out = alloc(n * g.sA);
  new Uint8Array(memory.buffer).fill(0, acc, acc + n * g.sJ);
  const add = wasm[g.p + "_addMixed"];
  const dv = new DataView(memory.buffer);
  for (let i = 0; i < n; i++) {
    const a = acc + i * g.sJ, si = s + i * 32;
    for (let k = 0, bit = 0; k < g.rows; k++, bit += w) {
      const d = (dv.getUint32(si + (bit >>> 3), true) >>> (bit & 7)) & masks[k];
      if (d !== 0) add(a, g.local + k * rowBytes + d * g.sA, a);
    }
  }
  wasm[g.p + "_batchToAffine"](acc, n, out);
  const res = { lem: get(out, n * g.sA) };
  if (job.encodings) {
    const c = alloc(n * g.sA / 2), u = alloc(n * g.sA);
    wasm[g.p + "_batchLEMtoC"](out, n, c);
    wasm[g.p + "_batchLEMtoU"](out, n, u);
    res.compressed = get(c, n * g.sA / 2);
    res.uncompressed = get(u, n * g.sA);
  }
  setFree(mark);
  return res;
}

parentPort.on("message", (job) => {
  let res;
  try {
    if (job.type === "row") {
      row(groups[job.group], job.k);
      res = {};
    } else {
      res = points(job);
    }
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.stack) || e) });
    return;
  }
  parentPort.postMessage(res, res.lem ? [res.lem.buffer, ...(res.compressed ? [res.compressed.buffer, res.uncompressed.buffer] : [])] : []);
});
`;

type Task = { job: RowJob | PointsJob; resolve: (r: JobResult) => void; reject: (e: Error) => void };

/** A fixed set of worker threads running jobs, first come first served. */
class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Task[] = [];
  private readonly running = new Map<Worker, Task>();
  private failed: Error | undefined;

  constructor(threads: number, workerData: { module: WebAssembly.Module; G1: TableSpec; G2: TableSpec }) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData });
      w.on("message", (m: JobResult & { error?: string }) => {
        const task = this.running.get(w)!;
        this.running.delete(w);
        if (m.error) task.reject(new Error(`fast ptau worker: ${m.error}`));
        else task.resolve(m);
        this.idle.push(w);
        this.dispatch();
      });
      w.on("error", (e) => this.fail(e));
      w.on("exit", (code) => this.fail(new Error(`fast ptau worker exited with code ${code}`)));
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  run(job: RowJob | PointsJob): Promise<JobResult> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const task = this.queue.shift()!;
      this.running.set(w, task);
      w.postMessage(task.job);
    }
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const t of this.running.values()) t.reject(e);
    for (const t of this.queue.splice(0)) t.reject(e);
    this.running.clear();
  }

  async close(): Promise<void> {
    this.failed ??= new Error("pool closed");
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * A table of w-bit windows for `n` multiplications by `gen` spread over `threads` workers:
 * w minimises the additions per worker, ceil(254/w) per point plus its share of the table
 * (at most 16 bits: the G2 table is then 16 rows × 2^16 × 128 bytes).
 */
function tableSpec(gen: Bytes, pointBytes: number, n: number, threads: number): TableSpec {
  const cost = (w: number) => (Math.ceil(SCALAR_BITS / w) * (n + 2 ** w)) / threads;
  let w = 1;
  for (let c = 2; c <= 16; c++) if (cost(c) < cost(w)) w = c;
  const rows = Math.ceil(SCALAR_BITS / w);
  return { gen, w, rows, table: new SharedArrayBuffer(rows * 2 ** w * pointBytes) };
}

// ---------------------------------------------------------------------------------------------
// snarkjs's ptau conventions (powersoftau_utils.js, keypair.js, misc.js, _contribute.js).

/** 32 seed bytes as the 8 big-endian words snarkjs seeds its ChaCha generators with. */
function chachaFromBytes(seed: Uint8Array): ChaCha {
  if (seed.length !== 32) throw new Error(`ptau seed must be 32 bytes, got ${seed.length}`);
  const v = new DataView(seed.buffer, seed.byteOffset, 32);
  return new ChaCha(Array.from({ length: 8 }, (_, i) => v.getUint32(4 * i, false)));
}

/** Hash of the empty accumulator of 2^power (snarkjs calculateFirstChallengeHash). */
function firstChallengeHash(curve: Bn128, power: number): Uint8Array {
  const h = createHash("blake2b512");
  h.update(createHash("blake2b512").digest());
  const g1 = curve.G1.toUncompressed(curve.G1.g);
  const g2 = curve.G2.toUncompressed(curve.G2.g);
  const repeat = (p: Uint8Array, n: number) => {
    const block = Buffer.alloc(p.length * Math.min(n, 1 << 16));
    for (let i = 0; i < block.length; i += p.length) block.set(p, i);
    for (let done = 0; done < n; done += block.length / p.length) {
      h.update(block.subarray(0, Math.min(n - done, block.length / p.length) * p.length));
    }
  };
  repeat(g1, 2 ** (power + 1) - 1);
  repeat(g2, 2 ** power);
  repeat(g1, 2 ** power);
  repeat(g1, 2 ** power);
  h.update(g2);
  return h.digest();
}

interface KeyPart {
  prv: Bytes;
  g1_s: Bytes;
  g1_sx: Bytes;
  g2_spx: Bytes;
}

/** A contribution key drawn from `rng` like snarkjs keypair.createPTauKey. */
function createKey(curve: Bn128, challenge: Uint8Array, rng: ChaCha): { tau: KeyPart; alpha: KeyPart; beta: KeyPart } {
  const { Fr, G1, G2 } = curve;
  const prv = [Fr.fromRng(rng), Fr.fromRng(rng), Fr.fromRng(rng)];
  const [tau, alpha, beta] = prv.map((k, personalization) => {
    const g1_s = G1.toAffine(G1.fromRng(rng));
    const g1_sx = G1.toAffine(G1.timesFr(g1_s, k));
    const h = blake2b
      .create({ dkLen: 64 })
      .update(Uint8Array.of(personalization))
      .update(challenge)
      .update(G1.toUncompressed(g1_s))
      .update(G1.toUncompressed(g1_sx))
      .digest();
    const g2_sp = G2.toAffine(G2.fromRng(chachaFromBytes(h.subarray(0, 32))));
    return { prv: k, g1_s, g1_sx, g2_spx: G2.toAffine(G2.timesFr(g2_sp, k)) };
  }) as [KeyPart, KeyPart, KeyPart];
  return { tau, alpha, beta };
}

/** The public key as snarkjs serialises it (LEM in the file, uncompressed for hashing). */
function pubKeyBytes(curve: Bn128, key: ReturnType<typeof createKey>, lem: boolean): Uint8Array {
  const out = new Uint8Array(6 * 64 + 3 * 128);
  let pos = 0;
  const put = (G: Group, p: Bytes) => {
    if (lem) G.toRprLEM(out, pos, p);
    else G.toRprUncompressed(out, pos, p);
    pos += G.F.n8 * 2;
  };
  for (const k of [key.tau, key.alpha, key.beta]) {
    put(curve.G1, k.g1_s);
    put(curve.G1, k.g1_sx);
  }
  for (const k of [key.tau, key.alpha, key.beta]) put(curve.G2, k.g2_spx);
  return out;
}

/** The state of a running blake2b, in snarkjs's 216-byte "partialHash" layout (misc.toPartialHash). */
function partialHashOf(h: ReturnType<typeof blake2b.create>): Uint8Array {
  const s = h as unknown as { buffer: Uint8Array; pos: number; length: number; get(): number[] };
  const out = new Uint8Array(216);
  const v = new DataView(out.buffer);
  out.set(s.buffer);
  s.get().forEach((word, i) => v.setUint32(128 + 4 * i, word >>> 0, true));
  v.setUint32(128 + 64, s.length - s.pos, true);
  v.setUint32(128 + 72, s.pos, true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The file: its layout, written here whichever engine computes the points.

/** A point section (2-6 and 12-15): where its points go and how they are computed, chunk by chunk. */
interface PointSection {
  id: number;
  group: GroupName;
  /** Its points, the sum of its jobs' n. */
  points: number;
  /** Whether its points enter the contribution's hashes (sections 2-6). */
  hashed: boolean;
  jobs: PointsJob[];
  /** Byte offset of its data (after its 12-byte section header) in the file. */
  offset: number;
}

/** The contribution's two hashes that depend on the points (what section 7 needs from them). */
interface PointHashes {
  /** The response hash's state after the challenge and the compressed points (snarkjs's 216-byte layout). */
  partialHash: Uint8Array;
  /** blake2b-512 of the response hash and the uncompressed points. */
  nextChallenge: Uint8Array;
}

/**
 * Computes the points of `sections` into the open file at their offsets and returns their
 * hashes: the response hash starts with `challenge`, takes each hashed job's compressed points
 * as one update (in section and job order) and ends with `pubKeyU`.
 */
type PointFiller = (
  fh: FileHandle,
  file: string,
  sections: PointSection[],
  challenge: Uint8Array,
  pubKeyU: Uint8Array,
) => Promise<PointHashes & { engine: "native" | "js" }>;

/** The JS engine: ffjavascript's wasm on `threads` worker threads. */
function workerFiller(curve: Bn128, threads: number, log: Log, what: string, elapsed: () => string): PointFiller {
  return async (fh, _file, sections, challenge, pubKeyU) => {
    const count = (g: GroupName) => sections.filter((s) => s.group === g).reduce((n, s) => n + s.points, 0);
    const tables = {
      G1: tableSpec(curve.G1.oneAffine, AFFINE.G1, count("G1"), threads),
      G2: tableSpec(curve.G2.oneAffine, AFFINE.G2, count("G2"), threads),
    };
    const pool = new WorkerPool(threads, { module: await WebAssembly.compile(curve.tm.code), ...tables });
    try {
      const rows = (["G1", "G2"] as const).flatMap((group) => Array.from({ length: tables[group].rows }, (_, k) => pool.run({ type: "row", group, k })));
      await Promise.all(rows);
      log(`${what}: tables of ${tables.G1.w}-bit (G1) and ${tables.G2.w}-bit (G2) windows built (${elapsed()})`);

      // All point jobs are queued at once; results are written as they arrive, in order.
      const results = sections.map((s) => s.jobs.map((j) => pool.run(j)));
      for (const r of results.flat()) r.catch(() => {}); // awaited below, in order
      const response = blake2b.create({ dkLen: 64 }).update(challenge);
      const uncompressed: Uint8Array[] = [];
      const lastHashed = sections.map((s) => s.hashed).lastIndexOf(true);
      let hashes: PointHashes | undefined;
      for (const [i, s] of sections.entries()) {
        let pos = s.offset;
        for (const r of results[i]!) {
          const res = await r;
          await fh.write(res.lem, 0, res.lem.length, pos);
          pos += res.lem.length;
          if (s.hashed) {
            response.update(res.compressed!);
            uncompressed.push(res.uncompressed!);
          }
        }
        log(`${what}: section ${s.id} written (${elapsed()})`);
        if (i === lastHashed) {
          const partialHash = partialHashOf(response);
          const next = createHash("blake2b512").update(response.update(pubKeyU).digest());
          for (const u of uncompressed.splice(0)) next.update(u);
          hashes = { partialHash, nextChallenge: next.digest() };
        }
      }
      return { ...hashes!, engine: "js" };
    } finally {
      await pool.close();
    }
  };
}

const frHex = (Fr: Field, x: Bytes) => Fr.toObject(x).toString(16).padStart(64, "0");

/**
 * The plan `zkr-prover ptau-new` reads (native/prover/ptau_new.cpp): the hashes' two ends, then
 * each section's place, size and jobs, one line each, field elements in hex.
 */
function nativePlan(Fr: Field, sections: PointSection[], challenge: Uint8Array, pubKeyU: Uint8Array): string {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const lines = ["zkr-ptau-plan 1", `challenge ${hex(challenge)}`, `pubkey ${hex(pubKeyU)}`];
  for (const s of sections) {
    lines.push(`section ${s.group} ${s.offset} ${s.points} ${s.hashed ? 1 : 0}`);
    for (const j of s.jobs) {
      const values = j.kind === "geometric" ? [j.first, j.inc] : [j.w0, j.omega, j.tau, j.c, j.e];
      lines.push(`${j.kind} ${j.n} ${values.map((v) => frHex(Fr, v)).join(" ")}`);
    }
  }
  lines.push("end", "");
  return lines.join("\n");
}

/** The native engine: `zkr-prover ptau-new` writes the points into the file itself. */
function nativeFiller(prover: NativeProver, curve: Bn128, threads: number | undefined, log: Log, what: string): PointFiller {
  return async (_fh, file, sections, challenge, pubKeyU) => {
    const r = await nativePtauNew(prover, file, nativePlan(curve.Fr, sections, challenge, pubKeyU), { threads });
    log(
      `${what}: native point sections in ${(r.ms / 1000).toFixed(1)} s on ${r.stats.threads} threads ` +
        `(${r.windows[0]}-bit (G1) and ${r.windows[1]}-bit (G2) windows, peak RSS ${Math.round(r.stats.maxRssKiB / 1024)} MiB; ` +
        `steps ${Object.entries(r.stats.stepsMs)
          .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s`)
          .join(", ")})`,
    );
    return { partialHash: r.partialHash, nextChallenge: r.nextChallenge, engine: "native", nativeStats: r.stats };
  };
}

/** The 12-byte header of section `id`. */
function sectionHeader(id: number, size: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(id, 0);
  b.writeBigUInt64LE(BigInt(size), 4);
  return b;
}

/**
 * Writes the whole file to `tmp` (created, never overwritten): the file header, section 1, every
 * section header, the points (by `fill`), the contribution record (section 7, snarkjs
 * powersoftau_utils writeContribution) between sections 6 and 12; synced to disk.
 */
async function writePtau(
  tmp: string,
  curve: Bn128,
  power: number,
  key: ReturnType<typeof createKey>,
  challenge: Uint8Array,
  phase1: Omit<PointSection, "offset">[],
  phase2: Omit<PointSection, "offset">[],
  fill: PointFiller,
): Promise<Pick<FastPtau, "engine" | "nativeStats">> {
  const { G1, G2 } = curve;
  const fh = await open(tmp, "wx");
  try {
    const fileHead = Buffer.alloc(12);
    fileHead.write("ptau", 0, "latin1");
    fileHead.writeUInt32LE(1, 4); // version
    fileHead.writeUInt32LE(11, 8); // sections 1-7 and 12-15
    // Section 1: field size, base field modulus, power, ceremony power.
    const header = Buffer.alloc(44);
    header.writeUInt32LE(32, 0);
    let q = curve.q;
    for (let i = 0; i < 32; i++, q >>= 8n) header[4 + i] = Number(q & 0xffn);
    header.writeUInt32LE(power, 36);
    header.writeUInt32LE(power, 40);
    const name = new TextEncoder().encode(FAST_PTAU_CONTRIBUTION_NAME);
    const rec = Buffer.alloc(4 + 3 * 64 + 2 * 128 + 768 + 216 + 64 + 4 + 4 + 2 + name.length);

    // The layout: every section's header written now, its data's offset noted.
    let pos = 0;
    const put = async (data: Uint8Array) => {
      await fh.write(data, 0, data.length, pos);
      pos += data.length;
    };
    await put(fileHead);
    await put(sectionHeader(1, header.length));
    await put(header);
    const place = async (s: Omit<PointSection, "offset">): Promise<PointSection> => {
      const size = s.points * AFFINE[s.group];
      await put(sectionHeader(s.id, size));
      const placed = { ...s, offset: pos };
      pos += size;
      return placed;
    };
    const sections: PointSection[] = [];
    for (const s of phase1) sections.push(await place(s));
    await put(sectionHeader(7, rec.length));
    const recAt = pos;
    pos += rec.length;
    for (const s of phase2) sections.push(await place(s));

    const { partialHash, nextChallenge, ...computed } = await fill(fh, tmp, sections, challenge, pubKeyBytes(curve, key, false));

    // Section 7: the single contribution record.
    let at = 4;
    rec.writeUInt32LE(1, 0); // one contribution
    const putPoint = (G: Group, p: Bytes) => {
      G.toRprLEM(rec, at, p);
      at += G.F.n8 * 2;
    };
    putPoint(G1, G1.timesFr(G1.g, key.tau.prv));
    putPoint(G2, G2.timesFr(G2.g, key.tau.prv));
    putPoint(G1, G1.timesFr(G1.g, key.alpha.prv));
    putPoint(G1, G1.timesFr(G1.g, key.beta.prv));
    putPoint(G2, G2.timesFr(G2.g, key.beta.prv));
    for (const b of [pubKeyBytes(curve, key, true), partialHash, nextChallenge]) {
      rec.set(b, at);
      at += b.length;
    }
    rec.writeUInt32LE(0, at); // type: a contribution (1 would be a beacon)
    rec.writeUInt32LE(2 + name.length, at + 4); // parameters: 1 = name
    rec[at + 8] = 1;
    rec[at + 9] = name.length;
    rec.set(name, at + 10);
    await fh.write(rec, 0, rec.length, recAt);
    await fh.sync();
    return computed;
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Generation.

/** The fallback reasons "auto" has logged in this process (each once). */
const reportedFallbacks = new Set<string>();

/**
 * Writes a prepared (phase-2-ready) development ptau of 2^power to `outFile`, through a
 * temporary file and a rename (creating its directory). On a 2-core machine, the JS engine: 1 s
 * at power 10, 18 s at 16, 34 s at 17 (a minute when the cores are busy), peak memory about
 * 750 MB; the native one: see README.md's "Development setup and services" table. Insecure by
 * construction: see the head of this file.
 */
export async function generateFastDevPtau(power: number, outFile: string, opts: FastPtauOptions = {}): Promise<FastPtau> {
  if (!Number.isInteger(power) || power < 1 || power > FAST_PTAU_MAX_POWER) {
    throw new Error(`fast development ptau power must be 1..${FAST_PTAU_MAX_POWER}, got ${power}`);
  }
  const engine = opts.engine ?? "auto";
  if (!FAST_PTAU_ENGINES.includes(engine)) throw new Error(`fast ptau engine must be ${FAST_PTAU_ENGINES.join(", ")}, got "${String(engine)}"`);
  const log = opts.log ?? (() => {});
  const threads = Math.max(1, opts.threads ?? os.availableParallelism());
  // The output's directory first: a path that cannot be written fails before any work.
  try {
    mkdirSync(path.dirname(outFile), { recursive: true });
    accessSync(path.dirname(outFile), constants.W_OK);
  } catch (e) {
    throw new Error(`cannot write the development ptau ${outFile}: ${(e as Error).message}`, { cause: e });
  }
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const what = `fast ptau 2^${power}`;
  const fallBack = (reason: string) => {
    if (reportedFallbacks.has(reason)) return;
    reportedFallbacks.add(reason);
    log(`${reason}; using the JS fast ptau`);
  };

  let native: NativeProver | undefined;
  if (engine !== "js") {
    try {
      native = await buildNativeProver({ ...opts.nativeBuild, log });
    } catch (e) {
      if (engine === "native") throw e;
      fallBack((e as Error).message);
    }
  }

  // Single-threaded (no worker threads to terminate): the heavy work runs in our own workers or natively.
  const curve = (await buildBn128(true)) as unknown as Bn128;
  const { Fr } = curve;
  const challenge = firstChallengeHash(curve, power);
  const key = createKey(curve, challenge, chachaFromBytes(opts.seed ?? randomBytes(32)));
  const [tau, alpha, beta] = [key.tau.prv, key.alpha.prv, key.beta.prv];
  // tau in a domain used below would make a Lagrange denominator tau − ω^j zero.
  if (Fr.eq(Fr.exp(tau, 2n ** BigInt(power + 1)), Fr.one)) throw new Error("degenerate secret tau (a root of unity): use another seed");

  const N = 2 ** power;
  const geometric = (group: GroupName, first: Bytes, count: number): PointsJob[] => {
    const jobs: PointsJob[] = [];
    for (let i = 0; i < count; i += CHUNK) {
      const f = Fr.mul(first, Fr.exp(tau, i));
      jobs.push({ type: "points", group, n: Math.min(CHUNK, count - i), encodings: false, kind: "geometric", first: f, inc: tau });
    }
    return jobs;
  };
  // Level p (domain n = 2^p, root ω) of a Lagrange section: f·L_j(tau) for j < n, where
  // L_j(tau) = (tau^n − 1)/n · ω^j/(tau − ω^j). snarkjs computes it as the inverse FFT of
  // the points f·tau^i (i < n); for the top level of section 12 the last of them, beyond
  // tauG1, is taken as zero, which subtracts f·tau^(n−1)·ω^j/n.
  const lagrange = (group: GroupName, f: Bytes, maxLevel: number, lastIsZero: boolean): PointsJob[] => {
    const jobs: PointsJob[] = [];
    for (let p = 0; p <= maxLevel; p++) {
      const n = 2 ** p;
      const invN = Fr.inv(Fr.e(n));
      const c = Fr.mul(f, Fr.mul(Fr.sub(Fr.exp(tau, n), Fr.one), invN));
      const e = lastIsZero && p === maxLevel ? Fr.mul(f, Fr.mul(Fr.exp(tau, n - 1), invN)) : Fr.zero;
      const omega = Fr.w[p]!;
      for (let j = 0; j < n; j += CHUNK) {
        const m = Math.min(CHUNK, n - j);
        jobs.push({ type: "points", group, n: m, encodings: false, kind: "lagrange", w0: Fr.exp(omega, j), omega, tau, c, e });
      }
    }
    return jobs;
  };
  // A hashed section's jobs return their points' encodings too (for the JS engine's hashes).
  const section = (id: number, group: GroupName, hashed: boolean, jobs: PointsJob[]): Omit<PointSection, "offset"> => ({
    id,
    group,
    hashed,
    jobs: jobs.map((j) => ({ ...j, encodings: hashed })),
    points: jobs.reduce((n, j) => n + j.n, 0),
  });
  const one = Fr.one;
  const phase1 = [
    section(2, "G1", true, geometric("G1", one, 2 * N - 1)),
    section(3, "G2", true, geometric("G2", one, N)),
    section(4, "G1", true, geometric("G1", alpha, N)),
    section(5, "G1", true, geometric("G1", beta, N)),
    section(6, "G2", true, geometric("G2", beta, 1)),
  ];
  const phase2 = [
    section(12, "G1", false, lagrange("G1", one, power + 1, true)),
    section(13, "G2", false, lagrange("G2", one, power, false)),
    section(14, "G1", false, lagrange("G1", alpha, power, false)),
    section(15, "G1", false, lagrange("G1", beta, power, false)),
  ];

  type Written = { tmp: string } & Pick<FastPtau, "engine" | "nativeStats">;
  const attempt = async (fill: PointFiller): Promise<Written> => {
    const tmp = tempPathFor(outFile);
    try {
      return { tmp, ...(await writePtau(tmp, curve, power, key, challenge, phase1, phase2, fill)) };
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  };
  const js = () => attempt(workerFiller(curve, threads, log, what, elapsed));
  let done: Written;
  if (native) {
    try {
      done = await attempt(nativeFiller(native, curve, opts.threads, log, what));
    } catch (e) {
      if (engine === "native" || !(e instanceof NativePtauNewError)) throw e;
      fallBack(e.message);
      done = await js();
    }
  } else {
    done = await js();
  }
  let sha256: string;
  try {
    sha256 = await sha256File(done.tmp);
    renameSync(done.tmp, outFile);
  } catch (e) {
    rmSync(done.tmp, { force: true });
    throw e;
  }
  log(`fast development ptau 2^${power} written to ${outFile} in ${elapsed()} (${done.engine})`);
  return { path: realpathSync(outFile), sha256, power, kind: "development", engine: done.engine, ...(done.nativeStats && { nativeStats: done.nativeStats }) };
}
