// The linked form of the batch circuit: BatchShell(D, N, L, F) and one Transfer(D, F) compiled
// apart and linked into a single r1cs with Batch(D, N, L, F)'s constraint system and public
// signals, so that batches too large for circom2 (wasm32, 4 GiB) never have to be compiled whole.
// Every production instance is linked (prod_d12_b448, the production profile, at 2^23; README,
// "Linked instances"), set up, proven and verified like any other.
//
// What. Batch (circuits/batch.circom) is BatchHead, N Transfer(D, F) components and BatchTail;
// the transfers meet the rest only through their interface: inputs rootIn, domain, feeEnabled[F],
// feeToken[F]; outputs enabled, rootOut, feeAdd[F], txWord. BatchShell
// (circuits/batch_shell.circom) is the same head and tail with that interface as link inputs
// (lnkRootIn, lnkDomain, lnkFeeEnabled, feeToken; txEnabled, txRootOut, txFeeAdd, txWord).
// linkR1cs writes one r1cs: the shell's wires first (same indices), then for each transaction i
// the transfer's wires other than its interface; its constraints are the shell's, then N copies
// of the transfer's with each interface wire renamed to the shell wire it is identified with
// (interfaceMap: copy i's rootIn is lnkRootIn for i = 0 and txRootOut[i − 1] after, so the chain
// of roots costs no constraint). linkedWitness assembles the witness in that numbering from the
// shell's witness and the N transfers' witnesses.
//
// Soundness: circuits/batch_shell.circom's header (the linked system is Batch's up to the names
// of wires). Every index is looked up by name in the .sym files, never assumed, and linkLayout
// refuses parts that are not BatchShell and Transfer of the shape (by their array lengths).
//
// Why the link signals are declared PUBLIC in both mains (shellMainSource, transferMainSource):
// circom 2.2.3's --O2 eliminates private main inputs that linear constraints define (measured on
// the prototype: Transfer's feeF, substituted by its bits; the shell's link inputs that only met
// each other), and the .sym then has no wire for them. Public signals are never eliminated. The
// linked header demotes them: only the shell's output and its first public input (Batch's
// `challenge`, which the shell declares first) stay public; the demoted ones are the wires right
// after them, so they become private inputs without any renumbering.
//
// Format (iden3 binfile "r1cs" v1): sections 1 header (n8, prime, nWires, nOutputs, nPubInputs,
// nPrvInputs, nLabels u64, nConstraints), 2 constraints (per constraint 3 linear combinations:
// nTerms u32, then (wire u32, coefficient n8 bytes LE, standard form) each), 3 wire → label
// (u64 per wire). Wire 0 is the constant 1, then outputs, public inputs, private inputs.
// The shell's sections are copied in chunks, the transfer's (a few MB) are held in memory, and
// the output is written copy by copy, so memory stays bounded by the transfer plus one chunk.
// (circom does not write a linear combination's terms in wire order and readers, snarkjs's
// r1csfile among them, key the terms by wire: the renamed terms stay where they are.)
import { closeSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { WitnessCalculatorBuilder } from "circom_runtime";
import { TX_SLOT_INPUTS } from "../model/batch.js";

/** Instance shape (a subset of CircuitParams). */
export interface LinkShape {
  depth: number;
  batchSize: number;
  l1Slots: number;
  feeSlots: number;
}

/** Batch's own public inputs, in its order (they stay public in the linked r1cs). */
const BATCH_PUBLIC_INPUTS = ["challenge"];
/** Batch's outputs (the shell's only output). */
const BATCH_OUTPUTS = ["evaluation"];

/** The shell's link inputs (declared public by its main, demoted by the linker). */
const SHELL_LINK_SIGNALS = ["feeToken", "lnkRootIn", "lnkDomain", "lnkFeeEnabled", "txEnabled", "txRootOut", "txFeeAdd", "txWord"];

/** The transfer's link inputs (its outputs are public anyway). */
const TRANSFER_LINK_INPUTS = ["rootIn", "domain", "feeEnabled", "feeToken"];

const shapeName = (p: LinkShape) => `BatchShell(${p.depth}, ${p.batchSize}, ${p.l1Slots}, ${p.feeSlots})`;

/** The main of the shell part. */
export function shellMainSource(p: LinkShape): string {
  const pub = [...BATCH_PUBLIC_INPUTS, ...SHELL_LINK_SIGNALS].join(", ");
  return `pragma circom 2.1.6;\ninclude "batch_shell.circom";\ncomponent main {public [${pub}]} = ${shapeName(p)};\n`;
}

/** The main of the transfer part. */
export function transferMainSource(p: Pick<LinkShape, "depth" | "feeSlots">): string {
  return `pragma circom 2.1.6;\ninclude "transfer.circom";\ncomponent main {public [${TRANSFER_LINK_INPUTS.join(", ")}]} = Transfer(${p.depth}, ${p.feeSlots});\n`;
}

/**
 * The transfer's interface signal → the shell signal it is identified with, for transaction i
 * (circuits/batch_shell.circom's header). Every public wire of the transfer must be named here
 * and every demoted wire of the shell used (checked by linkLayout).
 */
export function interfaceMap(i: number, F: number): [transfer: string, shell: string][] {
  const out: [string, string][] = [
    ["enabled", `txEnabled[${i}]`],
    ["rootOut", `txRootOut[${i}]`],
    ["txWord", `txWord[${i}]`],
    ["rootIn", i === 0 ? "lnkRootIn" : `txRootOut[${i - 1}]`],
    ["domain", "lnkDomain"],
  ];
  for (let j = 0; j < F; j++) {
    out.push([`feeAdd[${j}]`, `txFeeAdd[${i}][${j}]`], [`feeEnabled[${j}]`, `lnkFeeEnabled[${j}]`], [`feeToken[${j}]`, `feeToken[${j}]`]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// r1cs / wtns / sym reading

export interface R1csHeader {
  n8: number;
  prime: bigint;
  nWires: number;
  nOutputs: number;
  nPubInputs: number;
  nPrvInputs: number;
  nLabels: bigint;
  nConstraints: number;
}

interface SectionRef {
  offset: number;
  size: number;
}

/** An r1cs file's header and where its sections 2 and 3 lie (read by section headers only). */
export interface R1csFile {
  file: string;
  header: R1csHeader;
  constraints: SectionRef;
  map: SectionRef;
}

function readAt(fd: number, offset: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, b, done, size - done, offset + done);
    if (n === 0) throw new Error(`unexpected end of file at ${offset + done}`);
    done += n;
  }
  return b;
}

/** The n8-byte little-endian integer at `offset`: 8 bytes at a time when n8 allows (4× fewer steps). */
function readLE(buf: Buffer, offset: number, n8: number): bigint {
  let v = 0n;
  if (n8 % 8 === 0) for (let k = n8 - 8; k >= 0; k -= 8) v = (v << 64n) | buf.readBigUInt64LE(offset + k);
  else for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[offset + i]);
  return v;
}

function writeLE(v: bigint, n8: number): Buffer {
  const b = Buffer.alloc(n8);
  for (let i = 0; i < n8; i++) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return b;
}

/** An iden3 binfile's file head (magic, version, section count) or a section head (type, size). */
function fileHead(magic: string, version: number, sections: number): Buffer {
  const b = Buffer.alloc(12);
  b.write(magic, 0, "latin1");
  b.writeUInt32LE(version, 4);
  b.writeUInt32LE(sections, 8);
  return b;
}

function sectionHead(type: number, size: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(type, 0);
  b.writeBigUInt64LE(BigInt(size), 4);
  return b;
}

/** Reads the section table of an iden3 binfile: type → (offset of its body, size). */
function binSections(fd: number, magic: string): Map<number, SectionRef> {
  const head = readAt(fd, 0, 12);
  if (head.toString("latin1", 0, 4) !== magic) throw new Error(`not a ${magic} file`);
  const count = head.readUInt32LE(8);
  const out = new Map<number, SectionRef>();
  let o = 12;
  for (let i = 0; i < count; i++) {
    const s = readAt(fd, o, 12);
    const type = s.readUInt32LE(0);
    const size = Number(s.readBigUInt64LE(4));
    if (out.has(type)) throw new Error(`${magic}: duplicate section ${type}`);
    out.set(type, { offset: o + 12, size });
    o += 12 + size;
  }
  return out;
}

export function openR1cs(file: string): R1csFile {
  const fd = openSync(file, "r");
  try {
    const secs = binSections(fd, "r1cs");
    const get = (t: number) => {
      const s = secs.get(t);
      if (!s) throw new Error(`${file}: missing section ${t}`);
      return s;
    };
    for (const t of secs.keys()) if (t > 3) throw new Error(`${file}: section ${t} (custom gates) is not supported`);
    const h = readAt(fd, get(1).offset, get(1).size);
    const n8 = h.readUInt32LE(0);
    const o = 4 + n8;
    const header: R1csHeader = {
      n8,
      prime: readLE(h, 4, n8),
      nWires: h.readUInt32LE(o),
      nOutputs: h.readUInt32LE(o + 4),
      nPubInputs: h.readUInt32LE(o + 8),
      nPrvInputs: h.readUInt32LE(o + 12),
      nLabels: h.readBigUInt64LE(o + 16),
      nConstraints: h.readUInt32LE(o + 24),
    };
    if (get(3).size !== 8 * header.nWires) throw new Error(`${file}: wire map of ${get(3).size} bytes for ${header.nWires} wires`);
    return { file, header, constraints: get(2), map: get(3) };
  } finally {
    closeSync(fd);
  }
}

function headerBytes(h: R1csHeader): Buffer {
  const b = Buffer.alloc(4 + h.n8 + 28);
  b.writeUInt32LE(h.n8, 0);
  writeLE(h.prime, h.n8).copy(b, 4);
  const o = 4 + h.n8;
  b.writeUInt32LE(h.nWires, o);
  b.writeUInt32LE(h.nOutputs, o + 4);
  b.writeUInt32LE(h.nPubInputs, o + 8);
  b.writeUInt32LE(h.nPrvInputs, o + 12);
  b.writeBigUInt64LE(h.nLabels, o + 16);
  b.writeUInt32LE(h.nConstraints, o + 24);
  return b;
}

/** A .sym file: signal name (without "main.") → wire for the signals --O2 kept; `all` lists every name. */
export interface SymTable {
  wires: Map<string, number>;
  all: Set<string>;
}

export function readSym(file: string): SymTable {
  const wires = new Map<string, number>();
  const all = new Set<string>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const [, varIdx, , full] = line.split(",");
    const name = full.replace(/^main\./, "");
    all.add(name);
    if (Number(varIdx) >= 0) wires.set(name, Number(varIdx));
  }
  return { wires, all };
}

function wireOf(sym: SymTable, name: string, part: string): number {
  const w = sym.wires.get(name);
  if (w !== undefined) return w;
  if (sym.all.has(name)) throw new Error(`${part}: signal "${name}" has no wire: --O2 eliminated it (a link signal must be public in the part's main)`);
  throw new Error(`${part}: no signal "${name}" in its .sym (not the part linkLayout expects)`);
}

/** The length of the array `name` of a .sym (names `name[k]`, kept or not); 0 if there is none. */
function arrayLength(sym: SymTable, name: string): number {
  const prefix = `${name}[`;
  let n = 0;
  for (const s of sym.all) {
    if (!s.startsWith(prefix)) continue;
    const m = /^(\d+)\]/.exec(s.slice(prefix.length));
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/** Throws unless every listed array of the part has the length its shape implies. */
function checkShape(sym: SymTable, part: string, want: string, lengths: [name: string, length: number, what: string][]): void {
  for (const [name, length, what] of lengths) {
    const got = arrayLength(sym, name);
    if (got !== length) throw new Error(`${part} is not ${want}: ${name} has ${got} entries, ${what} = ${length}`);
  }
}

// ---------------------------------------------------------------------------------------------
// linking

export interface LinkLayout {
  shape: LinkShape;
  shell: R1csHeader;
  transfer: R1csHeader;
  linked: R1csHeader;
  /** Transfer wires 1..nIface are its interface (its outputs and public inputs). */
  nIface: number;
  /** Transfer wires that each copy adds (nWires − 1 − nIface). */
  perCopy: number;
  /** Per transaction, per transfer interface wire k (1..nIface, index k−1): the shell wire. */
  ifaceWires: Uint32Array[];
  /** Transfer wires of its outputs (in the transfer's numbering). */
  transferOutputs: { enabled: number; rootOut: number; txWord: number; feeAdd: number[] };
}

/**
 * Checks the two compiled parts (their r1cs and .sym) against the shape and each other, by name,
 * and returns the linked numbering. Throws a message naming the part and the signal when a part
 * is of another shape, not the expected template, or lost a link signal to --O2.
 */
export function linkLayout(shape: LinkShape, shell: { r1cs: string; sym: string }, transfer: { r1cs: string; sym: string }): LinkLayout {
  const S = openR1cs(shell.r1cs).header;
  const T = openR1cs(transfer.r1cs).header;
  if (S.n8 !== T.n8 || S.prime !== T.prime) throw new Error("shell and transfer are over different fields");
  const ssym = readSym(shell.sym);
  const tsym = readSym(transfer.sym);
  const { depth: D, batchSize: N, l1Slots: L, feeSlots: F } = shape;
  checkShape(tsym, "transfer", `Transfer(${D}, ${F})`, [
    ["fromBits", 2 * D, "2D"],
    ["feeAdd", F, "F"],
  ]);
  checkShape(ssym, "shell", shapeName(shape), [
    ["head.feeIdxBits[0]", 2 * D, "2D"],
    ["txWord", N, "N"],
    ["l1Kind", L, "L"],
    ["feeIdx", F, "F"],
  ]);

  // The transfer's public wires are exactly its interface.
  const nIface = T.nOutputs + T.nPubInputs;
  const iface0 = interfaceMap(0, F);
  if (iface0.length !== nIface) throw new Error(`transfer: ${nIface} public wires, the interface has ${iface0.length} signals`);
  const tIdx = iface0.map(([t]) => wireOf(tsym, t, "transfer"));
  if ([...tIdx].sort((a, b) => a - b).some((w, k) => w !== k + 1)) throw new Error(`transfer: interface wires are not 1..${nIface}: ${tIdx.join(",")}`);

  // The shell keeps Batch's output and public inputs first; its link inputs are the public wires after them.
  BATCH_OUTPUTS.forEach((n, k) => {
    if (wireOf(ssym, n, "shell") !== 1 + k || S.nOutputs !== BATCH_OUTPUTS.length) throw new Error(`shell: ${n} is not its only output`);
  });
  BATCH_PUBLIC_INPUTS.forEach((n, k) => {
    if (wireOf(ssym, n, "shell") !== 1 + S.nOutputs + k) throw new Error(`shell: ${n} is not public input ${k}`);
  });
  const pubLo = 1 + S.nOutputs + BATCH_PUBLIC_INPUTS.length;
  const pubHi = 1 + S.nOutputs + S.nPubInputs;
  const ifaceWires: Uint32Array[] = [];
  const used = new Set<number>();
  for (let i = 0; i < N; i++) {
    const a = new Uint32Array(nIface);
    for (const [t, s] of interfaceMap(i, F)) {
      const w = wireOf(ssym, s, "shell");
      if (w < pubLo || w >= pubHi) throw new Error(`shell: link signal ${s} is wire ${w}, not a demotable public input (${pubLo}..${pubHi - 1})`);
      a[wireOf(tsym, t, "transfer") - 1] = w;
      used.add(w);
    }
    ifaceWires.push(a);
  }
  // Every demoted public wire is a link wire (nothing else is made private).
  if (used.size !== pubHi - pubLo) throw new Error(`shell: ${pubHi - pubLo} public link wires, the interface uses ${used.size}`);

  // Private inputs of the linked circuit: the demoted link wires and the shell's kept private
  // inputs, which follow them. circom's nPrvInputs counts the declared ones, eliminated ones too,
  // so they are recounted from the .sym: the main's own signals (BatchShell declares no others
  // than its inputs and its output) that are not public, checked to number nPrvInputs.
  const own = [...ssym.all].filter((n) => !n.includes("."));
  const prvNames = own.filter((n) => {
    const w = ssym.wires.get(n);
    return w === undefined || w >= pubHi;
  });
  if (prvNames.length !== S.nPrvInputs)
    throw new Error(`shell: ${prvNames.length} private signals of the main, its header declares ${S.nPrvInputs} private inputs`);
  const prv = prvNames.flatMap((n) => ssym.wires.get(n) ?? []).sort((a, b) => a - b);
  prv.forEach((w, k) => {
    if (w !== pubHi + k) throw new Error(`shell: kept private inputs are not contiguous after the public wires (wire ${w}, expected ${pubHi + k})`);
  });

  const perCopy = T.nWires - 1 - nIface;
  const linked: R1csHeader = {
    n8: S.n8,
    prime: S.prime,
    nWires: S.nWires + N * perCopy,
    nOutputs: S.nOutputs,
    nPubInputs: BATCH_PUBLIC_INPUTS.length,
    nPrvInputs: pubHi - pubLo + prv.length,
    nLabels: S.nLabels + BigInt(N) * T.nLabels,
    nConstraints: S.nConstraints + N * T.nConstraints,
  };
  const transferOutputs = {
    enabled: wireOf(tsym, "enabled", "transfer"),
    rootOut: wireOf(tsym, "rootOut", "transfer"),
    txWord: wireOf(tsym, "txWord", "transfer"),
    feeAdd: Array.from({ length: F }, (_, j) => wireOf(tsym, `feeAdd[${j}]`, "transfer")),
  };
  return { shape, shell: S, transfer: T, linked, nIface, perCopy, ifaceWires, transferOutputs };
}

const CHUNK = 64 << 20;

/** Copies `size` bytes at `offset` of `inFd` to the current end of `outFd`, in chunks. */
function copyRange(inFd: number, offset: number, size: number, outFd: number): void {
  const buf = Buffer.alloc(Math.min(CHUNK, Math.max(size, 1)));
  for (let done = 0; done < size;) {
    const n = readSync(inFd, buf, 0, Math.min(buf.length, size - done), offset + done);
    if (n === 0) throw new Error("unexpected end of file");
    writeAll(outFd, buf.subarray(0, n));
    done += n;
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let o = 0; o < b.length;) o += writeSync(fd, b, o, b.length - o);
}

/** The transfer's constraint section as a template: the byte offset of every term's wire id, and the wire. */
function constraintTemplate(c: Buffer, n8: number, nConstraints: number) {
  const offs: number[] = [];
  const wires: number[] = [];
  let o = 0;
  for (let k = 0; k < 3 * nConstraints; k++) {
    const n = c.readUInt32LE(o);
    o += 4;
    for (let t = 0; t < n; t++) {
      offs.push(o);
      wires.push(c.readUInt32LE(o));
      o += 4 + n8;
    }
  }
  if (o !== c.length) throw new Error("transfer r1cs: constraint section has trailing bytes");
  return { offs: Uint32Array.from(offs), wires: Uint32Array.from(wires) };
}

export interface LinkStats {
  bytes: number;
  seconds: number;
}

/**
 * Writes the linked r1cs of `layout` to `out`: header, the shell's constraints then copy i of
 * the transfer's for i = 0..N−1, the shell's wire map then each copy's (labels offset by the
 * shell's and the previous copies' label counts).
 */
export function linkR1cs(layout: LinkLayout, shellFile: string, transferFile: string, out: string): LinkStats {
  const t0 = performance.now();
  const sh = openR1cs(shellFile);
  const tr = openR1cs(transferFile);
  if (sh.header.nConstraints !== layout.shell.nConstraints || tr.header.nConstraints !== layout.transfer.nConstraints)
    throw new Error("linkR1cs: the r1cs files are not the ones of the layout");
  const { n8 } = layout.linked;
  const N = layout.shape.batchSize;
  const S = layout.shell.nWires;
  const M = layout.perCopy;
  const K = layout.nIface;
  const tfd = openSync(transferFile, "r");
  const sfd = openSync(shellFile, "r");
  const ofd = openSync(out, "w");
  const hdr = headerBytes(layout.linked);
  const cSize = sh.constraints.size + N * tr.constraints.size;
  const mSize = 8 * layout.linked.nWires;
  const bytes = 12 + 12 + hdr.length + 12 + cSize + 12 + mSize;
  try {
    const tc = readAt(tfd, tr.constraints.offset, tr.constraints.size);
    const tmap = readAt(tfd, tr.map.offset, tr.map.size);
    const tpl = constraintTemplate(tc, n8, tr.header.nConstraints);
    writeAll(ofd, fileHead("r1cs", 1, 3));
    writeAll(ofd, sectionHead(1, hdr.length));
    writeAll(ofd, hdr);
    writeAll(ofd, sectionHead(2, cSize));
    copyRange(sfd, sh.constraints.offset, sh.constraints.size, ofd);
    for (let i = 0; i < N; i++) {
      const base = S + i * M - (K + 1); // transfer wire w > K → S + i·M + (w − K − 1)
      const iw = layout.ifaceWires[i];
      const c = Buffer.from(tc);
      for (let k = 0; k < tpl.offs.length; k++) {
        const w = tpl.wires[k];
        c.writeUInt32LE(w === 0 ? 0 : w <= K ? iw[w - 1] : base + w, tpl.offs[k]);
      }
      writeAll(ofd, c);
    }
    writeAll(ofd, sectionHead(3, mSize));
    copyRange(sfd, sh.map.offset, sh.map.size, ofd);
    const labels = new BigUint64Array(M);
    for (let i = 0; i < N; i++) {
      const off = layout.shell.nLabels + BigInt(i) * layout.transfer.nLabels;
      for (let w = K + 1, k = 0; k < M; w++, k++) labels[k] = tmap.readBigUInt64LE(8 * w) + off;
      writeAll(ofd, new Uint8Array(labels.buffer));
    }
  } finally {
    closeSync(ofd);
    closeSync(sfd);
    closeSync(tfd);
  }
  return { bytes, seconds: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// witness

/** A .wtns file's values (n8 bytes each, standard form LE) and its header. */
export interface Wtns {
  n8: number;
  prime: bigint;
  n: number;
  values: Buffer;
}

export function readWtns(data: Uint8Array): Wtns {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.toString("latin1", 0, 4) !== "wtns") throw new Error("not a wtns file");
  const count = buf.readUInt32LE(8);
  let o = 12;
  let n8 = 0;
  let prime = 0n;
  let n = 0;
  let values: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    const type = buf.readUInt32LE(o);
    const size = Number(buf.readBigUInt64LE(o + 4));
    const body = buf.subarray(o + 12, o + 12 + size);
    if (type === 1) {
      n8 = body.readUInt32LE(0);
      prime = readLE(body, 4, n8);
      n = body.readUInt32LE(4 + n8);
    } else if (type === 2) values = body;
    o += 12 + size;
  }
  if (!values || values.length !== n * n8) throw new Error("wtns: bad witness section");
  return { n8, prime, n, values };
}

export function wtnsValue(w: Pick<Wtns, "n8" | "values">, wire: number): bigint {
  return readLE(w.values, wire * w.n8, w.n8);
}

/** The .wtns bytes of `values` (n8 bytes per wire, in wire order). */
function wtnsBytes(n8: number, prime: bigint, nWires: number, values: Uint8Array[]): Buffer {
  const hdr = Buffer.alloc(4 + n8 + 4);
  hdr.writeUInt32LE(n8, 0);
  writeLE(prime, n8).copy(hdr, 4);
  hdr.writeUInt32LE(nWires, 4 + n8);
  return Buffer.concat([fileHead("wtns", 2, 2), sectionHead(1, hdr.length), hdr, sectionHead(2, nWires * n8), ...values]);
}

/**
 * The linked witness (.wtns bytes): the shell's witness, then each transfer's non-interface
 * wires. Throws if a transfer's interface value differs from the shell wire it is linked to
 * (the inputs of the parts were inconsistent), unless `unchecked` (tests: a cheating prover's
 * witness, which the constraints must then reject).
 */
export function linkedWitness(layout: LinkLayout, shellWtns: Uint8Array, transferWtns: Uint8Array[], opts: { unchecked?: boolean } = {}): Uint8Array {
  const s = readWtns(shellWtns);
  const { n8, prime } = layout.linked;
  if (s.n !== layout.shell.nWires) throw new Error(`shell witness has ${s.n} wires, its r1cs ${layout.shell.nWires}`);
  if (transferWtns.length !== layout.shape.batchSize) throw new Error(`${transferWtns.length} transfer witnesses for ${layout.shape.batchSize} slots`);
  const parts: Buffer[] = [s.values];
  transferWtns.forEach((data, i) => {
    const t = readWtns(data);
    if (t.n !== layout.transfer.nWires) throw new Error(`transfer ${i} witness has ${t.n} wires, its r1cs ${layout.transfer.nWires}`);
    for (let k = 1; k <= layout.nIface && !opts.unchecked; k++) {
      const a = t.values.subarray(k * n8, (k + 1) * n8);
      const sw = layout.ifaceWires[i][k - 1];
      if (!a.equals(s.values.subarray(sw * n8, (sw + 1) * n8))) throw new Error(`transaction ${i}: transfer wire ${k} differs from shell wire ${sw}`);
    }
    parts.push(t.values.subarray((layout.nIface + 1) * n8));
  });
  return wtnsBytes(n8, prime, layout.linked.nWires, parts);
}

/** The outputs of one transfer part (its interface values the shell takes). */
export interface TransferOutputs {
  enabled: bigint;
  rootOut: bigint;
  feeAdd: bigint[];
  txWord: bigint;
}

/** A transfer witness's outputs. */
export function transferOutputs(layout: LinkLayout, transferWtns: Uint8Array): TransferOutputs {
  const r = readWtns(transferWtns);
  const o = layout.transferOutputs;
  return { enabled: wtnsValue(r, o.enabled), rootOut: wtnsValue(r, o.rootOut), txWord: wtnsValue(r, o.txWord), feeAdd: o.feeAdd.map((x) => wtnsValue(r, x)) };
}

/**
 * Inputs of the parts for a batch, from Batch's circuit input (src/model/batch.ts circuitInput)
 * and the domain hash (src/model/tx.ts domainHash). `transfer(i, rootIn)` is transaction i's
 * input (rootIn: the root before it, Batch.txRootsIn[i]); `shell(rootIn0, outputs)` the shell's,
 * from the root before the first transaction and the transfers' outputs.
 */
export function partInputs(batchInput: Record<string, unknown>, domainHash: bigint, F: number) {
  const s = (v: bigint) => v.toString();
  const feeIdx = batchInput.feeIdx as string[];
  if (feeIdx.length !== F) throw new Error(`${feeIdx.length} fee slots, expected ${F}`);
  const feeEnabled = feeIdx.map((x) => (BigInt(x) === 0n ? "0" : "1"));
  const transfer = (i: number, rootIn: bigint): Record<string, unknown> => ({
    rootIn: s(rootIn),
    domain: s(domainHash),
    feeEnabled,
    feeToken: batchInput.feeToken,
    ...Object.fromEntries(TX_SLOT_INPUTS.map((f) => [f, (batchInput[f] as unknown[])[i]])),
  });
  const shell = (rootIn0: bigint, outs: TransferOutputs[]): Record<string, unknown> => ({
    ...Object.fromEntries(Object.entries(batchInput).filter(([k]) => !TX_SLOT_INPUTS.includes(k))),
    lnkRootIn: s(rootIn0),
    lnkDomain: s(domainHash),
    lnkFeeEnabled: feeEnabled,
    txEnabled: outs.map((o) => s(o.enabled)),
    txRootOut: outs.map((o) => s(o.rootOut)),
    txFeeAdd: outs.map((o) => o.feeAdd.map(s)),
    txWord: outs.map((o) => s(o.txWord)),
  });
  return { transfer, shell };
}

/** A witness calculator: src/proving/witness.ts wasmWitness, reusingWasmCalculator, or any of the same witness layout. */
export type WitnessCalc = (label: string, wasm: Uint8Array | string, input: Record<string, unknown>) => Promise<Uint8Array>;

/**
 * Computes the linked witness of a batch with the parts' calculators: transfer i from the root
 * before it (Batch.txRootsIn[i]; each checked to be the previous transfer's rootOut), then the
 * shell from their outputs, then linkedWitness.
 */
export async function computeLinkedWitness(
  layout: LinkLayout,
  wasm: { shell: Uint8Array | string; transfer: Uint8Array | string },
  batchInput: Record<string, unknown>,
  txRootsIn: bigint[],
  domainHash: bigint,
  calc: WitnessCalc,
): Promise<Uint8Array> {
  const N = layout.shape.batchSize;
  if (txRootsIn.length !== N) throw new Error(`${txRootsIn.length} roots for ${N} transaction slots`);
  const parts = partInputs(batchInput, domainHash, layout.shape.feeSlots);
  const tw: Uint8Array[] = [];
  const outs: TransferOutputs[] = [];
  for (let i = 0; i < N; i++) {
    const w = await calc(`transfer[${i}]`, wasm.transfer, parts.transfer(i, txRootsIn[i]));
    outs.push(transferOutputs(layout, w));
    if (i + 1 < N && outs[i].rootOut !== txRootsIn[i + 1])
      throw new Error(`transaction ${i}: the transfer's rootOut is not the root before transaction ${i + 1}`);
    tw.push(w);
  }
  const sw = await calc("shell", wasm.shell, parts.shell(txRootsIn[0], outs));
  return linkedWitness(layout, sw, tw);
}

/**
 * A witness calculator for computeLinkedWitness that instantiates each wasm once and reuses it
 * (snarkjs's wtns.calculate, which wasmWitness calls, compiles the wasm on every call: ~1 s a
 * transfer at D = 12, too slow for hundreds of them). Same runtime as snarkjs, same .wtns bytes.
 * Calls on one instance run one at a time: an instance holds one witness's state, and
 * overlapping calls (Promise.all) would mix two witnesses.
 */
export function reusingWasmCalculator(): WitnessCalc {
  const built = new Map<Uint8Array | string, { wc: ReturnType<typeof WitnessCalculatorBuilder>; last: Promise<unknown> }>();
  return (label, wasm, input) => {
    let b = built.get(wasm);
    if (!b) {
      b = { wc: WitnessCalculatorBuilder(typeof wasm === "string" ? readFileSync(wasm) : wasm), last: Promise.resolve() };
      built.set(wasm, b);
    }
    const { wc } = b;
    const run = b.last.then(async () => {
      try {
        return await (await wc).calculateWTNSBin(input, true);
      } catch (e) {
        throw new Error(`witness computation for circuit "${label}" failed: ${(e as Error).message}`, { cause: e });
      }
    });
    b.last = run.catch(() => {});
    return run;
  };
}

// ---------------------------------------------------------------------------------------------
// checking

/**
 * Index of the first constraint of `r1csFile` that the witness (values n8 bytes LE each, wire
 * order) violates, or −1: the constraints are streamed in chunks (a linked batch r1cs is GBs,
 * more than snarkjs's `wtns check` reads into one buffer) and evaluated with bigints.
 */
export function firstViolation(r1csFile: string, witness: Pick<Wtns, "n8" | "n" | "values">, log: (m: string) => void = () => {}): number {
  const r = openR1cs(r1csFile);
  const { n8, prime: p, nWires, nConstraints } = r.header;
  if (witness.n !== nWires || witness.n8 !== n8) throw new Error(`witness has ${witness.n} wires of ${witness.n8} bytes, the r1cs ${nWires} of ${n8}`);
  if (n8 % 8 !== 0) throw new Error(`firstViolation: field elements of ${n8} bytes`);
  const le = (b: Buffer, o: number) => readLE(b, o, n8);
  const w = new Array<bigint>(nWires);
  for (let i = 0; i < nWires; i++) w[i] = le(witness.values, i * n8);
  if (w[0] !== 1n) return 0;
  const fd = openSync(r1csFile, "r");
  try {
    let buf = Buffer.alloc(0);
    let pos = 0; // in buf
    let fileOff = r.constraints.offset;
    const end = r.constraints.offset + r.constraints.size;
    const ensure = (n: number) => {
      if (pos + n <= buf.length) return;
      const take = Math.min(Math.max(n, CHUNK), end - fileOff);
      const rest = buf.subarray(pos);
      const next = Buffer.alloc(rest.length + take);
      rest.copy(next, 0);
      if (take > 0) readAt(fd, fileOff, take).copy(next, rest.length);
      fileOff += take;
      buf = next;
      pos = 0;
      if (buf.length < n) throw new Error("r1cs: constraint section ends early");
    };
    const lc = (): bigint => {
      ensure(4);
      const n = buf.readUInt32LE(pos);
      pos += 4;
      ensure(n * (4 + n8));
      let s = 0n;
      for (let t = 0; t < n; t++) {
        s += le(buf, pos + 4) * w[buf.readUInt32LE(pos)];
        pos += 4 + n8;
      }
      return s % p;
    };
    for (let i = 0; i < nConstraints; i++) {
      if (i % 1_000_000 === 0 && i) log(`checked ${i}/${nConstraints} constraints`);
      const a = lc();
      const b = lc();
      const c = lc();
      if ((a * b - c) % p !== 0n) return i;
    }
    return -1;
  } finally {
    closeSync(fd);
  }
}
