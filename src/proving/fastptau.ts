// A fast generator of development powers-of-tau files, in snarkjs 0.7.6's prepared ptau format.
//
// snarkjs builds a development ptau as a new accumulator, one contribution and `prepare phase2`,
// whose inverse FFTs over group elements take about 50 minutes at power 17 on 2 cores. This
// generator instead picks the secrets tau, alpha, beta itself and computes every point directly
// as s·G for a scalar s it knows: the powers tau^i (sections 2-6) and the Lagrange basis
// evaluations L_j(tau) for every domain size (sections 12-15), by fixed-base multiplication
// with precomputed window tables, on worker threads.
//
// INSECURE BY CONSTRUCTION: one party chose the secrets (they live in this process's memory
// while it runs). The single contribution record is named "zkr INSECURE development ptau".
// Use the file for tests and local chains only, never for a chain holding real value.
//
// The result is what snarkjs itself writes for a one-contribution ceremony followed by
// `prepare phase2`: same sections, encodings, contribution record and hashes, so
// `snarkjs powersoftau verify` accepts it (for a seed given by `seed`, the point sections equal
// byte for byte those of `powersoftau beacon` with the beacon whose 2^k-fold sha256 is `seed`).
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, realpathSync, renameSync, rmSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { blake2b } from "@noble/hashes/blake2";
import { buildBn128, ChaCha } from "ffjavascript";
import type { PtauInfo } from "./manifest.js";
import { tempPathFor } from "../util/fs.js";
import type { Log } from "../util/log.js";

/** Name recorded in the file's contribution record. */
export const FAST_PTAU_CONTRIBUTION_NAME = "zkr INSECURE development ptau";

/** Largest power supported: section 12 then needs a domain of 2^28, bn128's 2-adicity. */
export const FAST_PTAU_MAX_POWER = 27;

export interface FastPtauOptions {
  /**
   * 32 bytes seeding the ChaCha generator the secrets (and the key's random points) are drawn
   * from, exactly as snarkjs draws a contribution key. Default: fresh random bytes. Given a
   * seed the file is reproducible, so anyone holding the seed knows the secrets.
   */
  seed?: Uint8Array;
  /** Worker threads (default: the available parallelism). */
  threads?: number;
  log?: Log;
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
function partialHash(h: ReturnType<typeof blake2b.create>): Uint8Array {
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
// Generation.

interface Section {
  id: number;
  size: number;
  jobs: PointsJob[];
}

/**
 * Writes a prepared (phase-2-ready) development ptau of 2^power to `outFile`, through a
 * temporary file and a rename (creating its directory). On a 2-core machine: 1 s at power 10,
 * 18 s at 16, 34 s at 17 (a minute when the cores are busy), peak memory about 750 MB.
 * Insecure by construction: see the head of this file.
 */
export async function generateFastDevPtau(power: number, outFile: string, opts: FastPtauOptions = {}): Promise<PtauInfo> {
  if (!Number.isInteger(power) || power < 1 || power > FAST_PTAU_MAX_POWER) {
    throw new Error(`fast development ptau power must be 1..${FAST_PTAU_MAX_POWER}, got ${power}`);
  }
  const log = opts.log ?? (() => {});
  const threads = Math.max(1, opts.threads ?? os.availableParallelism());
  const t0 = Date.now();
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;

  // Single-threaded (no worker threads to terminate): the heavy work runs in our own workers.
  const curve = (await buildBn128(true)) as unknown as Bn128;
  const { Fr, G1, G2 } = curve;
  const challenge = firstChallengeHash(curve, power);
  const key = createKey(curve, challenge, chachaFromBytes(opts.seed ?? randomBytes(32)));
  const [tau, alpha, beta] = [key.tau.prv, key.alpha.prv, key.beta.prv];
  // tau in a domain used below would make a Lagrange denominator tau − ω^j zero.
  if (Fr.eq(Fr.exp(tau, 2n ** BigInt(power + 1)), Fr.one)) throw new Error("degenerate secret tau (a root of unity): use another seed");

  const N = 2 ** power;
  const geometric = (group: GroupName, first: Bytes, count: number, encodings: boolean): PointsJob[] => {
    const jobs: PointsJob[] = [];
    for (let i = 0; i < count; i += CHUNK) {
      const f = Fr.mul(first, Fr.exp(tau, i));
      jobs.push({ type: "points", group, n: Math.min(CHUNK, count - i), encodings, kind: "geometric", first: f, inc: tau });
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
  const one = Fr.one;
  const { G1: g1, G2: g2 } = AFFINE;
  const phase1: Section[] = [
    { id: 2, size: (2 * N - 1) * g1, jobs: geometric("G1", one, 2 * N - 1, true) },
    { id: 3, size: N * g2, jobs: geometric("G2", one, N, true) },
    { id: 4, size: N * g1, jobs: geometric("G1", alpha, N, true) },
    { id: 5, size: N * g1, jobs: geometric("G1", beta, N, true) },
    { id: 6, size: g2, jobs: geometric("G2", beta, 1, true) },
  ];
  const phase2: Section[] = [
    { id: 12, size: (4 * N - 1) * g1, jobs: lagrange("G1", one, power + 1, true) },
    { id: 13, size: (2 * N - 1) * g2, jobs: lagrange("G2", one, power, false) },
    { id: 14, size: (2 * N - 1) * g1, jobs: lagrange("G1", alpha, power, false) },
    { id: 15, size: (2 * N - 1) * g1, jobs: lagrange("G1", beta, power, false) },
  ];

  mkdirSync(path.dirname(outFile), { recursive: true });
  const tmp = tempPathFor(outFile);
  // Tables sized for the number of points of each group (12N − 4 in G1, 3N − 1 in G2).
  const tables = {
    G1: tableSpec(G1.oneAffine, g1, 12 * N, threads),
    G2: tableSpec(G2.oneAffine, g2, 3 * N, threads),
  };
  const pool = new WorkerPool(threads, { module: await WebAssembly.compile(curve.tm.code), ...tables });
  const fileHash = createHash("sha256");
  let fh: FileHandle | undefined;
  let complete = false;
  try {
    fh = await open(tmp, "wx");
    const write = async (data: Uint8Array) => {
      fileHash.update(data);
      await fh!.write(data);
    };
    const sectionHeader = (id: number, size: number) => {
      const b = Buffer.alloc(12);
      b.writeUInt32LE(id, 0);
      b.writeBigUInt64LE(BigInt(size), 4);
      return b;
    };
    const rows = (["G1", "G2"] as const).flatMap((group) => Array.from({ length: tables[group].rows }, (_, k) => pool.run({ type: "row", group, k })));
    await Promise.all(rows);
    log(`fast ptau 2^${power}: tables of ${tables.G1.w}-bit (G1) and ${tables.G2.w}-bit (G2) windows built (${elapsed()})`);

    // All point jobs are queued at once; results are written in order as they arrive.
    const results = [...phase1, ...phase2].map((s) => s.jobs.map((j) => pool.run(j)));
    for (const r of results.flat()) r.catch(() => {}); // awaited below, in order
    let next = 0;
    const writeSection = async (s: Section, onChunk?: (r: JobResult) => void) => {
      await write(sectionHeader(s.id, s.size));
      for (const r of results[next++]!) {
        const res = await r;
        await write(res.lem);
        onChunk?.(res);
      }
      log(`fast ptau 2^${power}: section ${s.id} written (${elapsed()})`);
    };

    const fileHead = Buffer.alloc(12);
    fileHead.write("ptau", 0, "latin1");
    fileHead.writeUInt32LE(1, 4); // version
    fileHead.writeUInt32LE(11, 8); // sections 1-7 and 12-15
    await write(fileHead);
    // Section 1: field size, base field modulus, power, ceremony power.
    const header = Buffer.alloc(44);
    header.writeUInt32LE(32, 0);
    let q = curve.q;
    for (let i = 0; i < 32; i++, q >>= 8n) header[4 + i] = Number(q & 0xffn);
    header.writeUInt32LE(power, 36);
    header.writeUInt32LE(power, 40);
    await write(sectionHeader(1, header.length));
    await write(header);

    // Sections 2-6, hashed as snarkjs contribute does: the response hash covers the previous
    // challenge, the compressed points and the public key; the next challenge covers the
    // response hash and the uncompressed points.
    const response = blake2b.create({ dkLen: 64 }).update(challenge);
    const uncompressed: Uint8Array[] = [];
    for (const s of phase1) {
      await writeSection(s, (r) => {
        response.update(r.compressed!);
        uncompressed.push(r.uncompressed!);
      });
    }
    const partial = partialHash(response);
    const responseHash = response.update(pubKeyBytes(curve, key, false)).digest();
    const nextChallenge = createHash("blake2b512").update(responseHash);
    for (const u of uncompressed.splice(0)) nextChallenge.update(u);

    // Section 7: the single contribution record (snarkjs powersoftau_utils writeContribution).
    const name = new TextEncoder().encode(FAST_PTAU_CONTRIBUTION_NAME);
    const rec = Buffer.alloc(4 + 3 * 64 + 2 * 128 + 768 + 216 + 64 + 4 + 4 + 2 + name.length);
    let pos = 0;
    rec.writeUInt32LE(1, pos); // one contribution
    pos += 4;
    const putPoint = (G: Group, p: Bytes) => {
      G.toRprLEM(rec, pos, p);
      pos += G.F.n8 * 2;
    };
    putPoint(G1, G1.timesFr(G1.g, tau));
    putPoint(G2, G2.timesFr(G2.g, tau));
    putPoint(G1, G1.timesFr(G1.g, alpha));
    putPoint(G1, G1.timesFr(G1.g, beta));
    putPoint(G2, G2.timesFr(G2.g, beta));
    for (const b of [pubKeyBytes(curve, key, true), partial, nextChallenge.digest()]) {
      rec.set(b, pos);
      pos += b.length;
    }
    rec.writeUInt32LE(0, pos); // type: a contribution (1 would be a beacon)
    rec.writeUInt32LE(2 + name.length, pos + 4); // parameters: 1 = name
    rec[pos + 8] = 1;
    rec[pos + 9] = name.length;
    rec.set(name, pos + 10);
    await write(sectionHeader(7, rec.length));
    await write(rec);

    for (const s of phase2) await writeSection(s);
    await fh.sync();
    complete = true;
  } finally {
    await fh?.close();
    await pool.close();
    if (!complete) rmSync(tmp, { force: true });
  }
  renameSync(tmp, outFile);
  log(`fast development ptau 2^${power} written to ${outFile} in ${elapsed()}`);
  return { path: realpathSync(outFile), sha256: fileHash.digest("hex"), power, kind: "development" };
}
