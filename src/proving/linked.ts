// A registered instance of kind "linked" (circuits/instances.json `"linked": true`): its batch
// circuit is BatchShell + N × Transfer linked into one r1cs (link.ts), because circom2 (wasm32,
// 4 GiB) cannot compile Batch(D, N, L, F) whole at production N. This file is what a setup and a
// prover of such an instance need on top of link.ts:
//   - compileLinked: both parts compiled (compileCircuit, cached) and linked once into
//     cacheDir()/circuits/<label>-<key>/ (linked.r1cs and layout.json), keyed by LINK_FORMAT and
//     the two parts' circuit keys (so any change to the sources, compiler, mains or linker format
//     gives a new key, as for a compiled main);
//   - the layout as JSON (layout.json, copied into the setup directory): a prover needs neither
//     the parts' r1cs nor their .sym;
//   - linkedBatchWitness: the linked witness of Batch's circuit input, so that a prover of a
//     linked setup takes exactly the input a monolithic one takes (the proving job, the queue and
//     the sequencer do not know which kind they prove).
//
// The transfers' witnesses are computed in parallel, which needs the root before each
// transaction slot up front. They follow from the input itself: an enabled slot's sender leaf
// and Merkle proof (its old state, which its AccountUpdate checks against exactly that root),
// so the root is rootFromProof of them; padding slots come last (Batch's check 4.) and take the
// root after the last enabled slot (its witness's rootOut), or, when no slot is enabled, the
// batch's newRoot (the fee credits then add 0 and change no leaf). A root derived wrongly, or an
// inconsistent input, cannot give a proof: the chain of roots is checked between the transfers,
// the shell's witness computation checks its own constraints, and linkedWitness checks every
// linked value (a clear error, never a proof). Padding slots with the same input share one
// witness computation (at N = 448 most slots of a batch are padding).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { accountLeaf } from "../model/account.js";
import type { Hasher } from "../model/crypto.js";
import type { CircuitParams } from "../model/params.js";
import { domainHash } from "../model/tx.js";
import { rootFromProof, siblingCount, unflattenProof } from "../model/tree.js";
import { cachedBuild } from "./build.js";
import { compileCircuit, type CompiledCircuit } from "./circom.js";
import {
  type LinkLayout,
  linkedWitness,
  linkLayout,
  linkR1cs,
  type LinkShape,
  partInputs,
  type R1csHeader,
  shellMainSource,
  transferMainSource,
  transferOutputs,
  type TransferOutputs,
} from "./link.js";
import { cacheDir } from "./paths.js";

/** Bumped when the linked r1cs or layout.json change: part of every linked circuit's key. */
export const LINK_FORMAT = "zkr-link-v1";

/** The link shape of an instance. */
export function linkShapeOf(p: Pick<CircuitParams, "depth" | "batchSize" | "l1Slots" | "feeSlots">): LinkShape {
  return { depth: p.depth, batchSize: p.batchSize, l1Slots: p.l1Slots, feeSlots: p.feeSlots };
}

/** The compileCircuit labels of the two parts of a shape (named by shape: instances of one shape share them). */
export function partLabels(p: LinkShape): { shell: string; transfer: string } {
  return { shell: `linkshell_d${p.depth}_n${p.batchSize}_l${p.l1Slots}_f${p.feeSlots}`, transfer: `linktransfer_d${p.depth}_f${p.feeSlots}` };
}

/** The mains of a linked instance's parts. */
export function partMains(p: LinkShape): { shell: string; transfer: string } {
  return { shell: shellMainSource(p), transfer: transferMainSource(p) };
}

export interface LinkedCircuit {
  label: string;
  /** Hash of LINK_FORMAT and both parts' circuit keys. */
  key: string;
  dir: string;
  /** The linked r1cs (Batch's constraint system). */
  r1cs: string;
  /** layout.json (layoutToJson). */
  layoutFile: string;
  layout: LinkLayout;
  shell: CompiledCircuit;
  transfer: CompiledCircuit;
}

/** The key of a linked circuit from its parts' circuit keys. */
export function linkedKey(shellKey: string, transferKey: string): string {
  return createHash("sha256").update(`${LINK_FORMAT}\n${shellKey}\n${transferKey}\n`).digest("hex").slice(0, 16);
}

/**
 * Compiles both parts of `label`'s linked circuit (cached by compileCircuit) and links them into
 * cacheDir()/circuits/<label>-<key>/, or returns that directory if it is complete (build.ts
 * cachedBuild: the directory appears whole, concurrent builds wait for one lock and reuse it).
 */
export async function compileLinked(label: string, shape: LinkShape, log: (m: string) => void = () => {}): Promise<LinkedCircuit> {
  const labels = partLabels(shape);
  const mains = partMains(shape);
  log(`${label}: compiling the linked parts ${labels.shell} and ${labels.transfer} (cached after the first time)`);
  const shell = await compileCircuit(labels.shell, mains.shell);
  const transfer = await compileCircuit(labels.transfer, mains.transfer);
  const key = linkedKey(shell.key, transfer.key);
  const dir = path.join(cacheDir(), "circuits", `${label}-${key}`);
  const out = { label, key, dir, r1cs: path.join(dir, "linked.r1cs"), layoutFile: path.join(dir, "layout.json"), shell, transfer };
  await cachedBuild(dir, {
    format: LINK_FORMAT,
    files: ["linked.r1cs", "layout.json"],
    log,
    build: async (tmp) => {
      mkdirSync(tmp, { recursive: true });
      const layout = linkLayout(shape, shell, transfer);
      const stats = linkR1cs(layout, shell.r1cs, transfer.r1cs, path.join(tmp, "linked.r1cs"));
      writeFileSync(path.join(tmp, "layout.json"), layoutToJson(layout));
      log(
        `${label}: linked ${layout.linked.nConstraints} constraints = ${layout.shell.nConstraints} + ${shape.batchSize} × ${layout.transfer.nConstraints} ` +
          `in ${stats.seconds.toFixed(1)} s (${(stats.bytes / 2 ** 20).toFixed(0)} MiB)`,
      );
      return {};
    },
  });
  return { ...out, layout: readLayout(out.layoutFile) };
}

// ---------------------------------------------------------------------------------------------
// layout.json

interface HeaderJson extends Omit<R1csHeader, "prime" | "nLabels"> {
  prime: string;
  nLabels: string;
}

const headerToJson = (h: R1csHeader): HeaderJson => ({ ...h, prime: h.prime.toString(), nLabels: h.nLabels.toString() });

/** A layout as JSON (bigints as decimal strings, typed arrays as arrays). */
export function layoutToJson(l: LinkLayout): string {
  return (
    JSON.stringify({
      format: LINK_FORMAT,
      shape: l.shape,
      shell: headerToJson(l.shell),
      transfer: headerToJson(l.transfer),
      linked: headerToJson(l.linked),
      nIface: l.nIface,
      perCopy: l.perCopy,
      ifaceWires: l.ifaceWires.map((a) => Array.from(a)),
      transferOutputs: l.transferOutputs,
    }) + "\n"
  );
}

/** Reads layout.json, checking its format and its internal consistency. */
export function readLayout(file: string): LinkLayout {
  const j = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const bad = (why: string) => new Error(`${file}: not a linked circuit layout of format ${LINK_FORMAT} (${why})`);
  if (j.format !== LINK_FORMAT) throw bad(`format ${String(j.format)}`);
  const header = (h: unknown): R1csHeader => {
    const x = h as HeaderJson;
    if (!x || typeof x.prime !== "string" || typeof x.nLabels !== "string") throw bad("bad header");
    return { ...x, prime: BigInt(x.prime), nLabels: BigInt(x.nLabels) };
  };
  const shape = j.shape as LinkShape;
  const ifaceWires = (j.ifaceWires as number[][]).map((a) => Uint32Array.from(a));
  const l: LinkLayout = {
    shape,
    shell: header(j.shell),
    transfer: header(j.transfer),
    linked: header(j.linked),
    nIface: j.nIface as number,
    perCopy: j.perCopy as number,
    ifaceWires,
    transferOutputs: j.transferOutputs as LinkLayout["transferOutputs"],
  };
  if (ifaceWires.length !== shape.batchSize || ifaceWires.some((a) => a.length !== l.nIface)) throw bad("interface wires");
  if (l.linked.nWires !== l.shell.nWires + shape.batchSize * l.perCopy || l.perCopy !== l.transfer.nWires - 1 - l.nIface) throw bad("wire counts");
  if (l.linked.nConstraints !== l.shell.nConstraints + shape.batchSize * l.transfer.nConstraints) throw bad("constraint counts");
  return l;
}

// ---------------------------------------------------------------------------------------------
// the witness of a batch

/** Computes one part's witness (.wtns bytes) for its input: wasm or C++, the caller's choice. */
export type PartWitness = (part: "shell" | "transfer", input: Record<string, unknown>) => Promise<Uint8Array>;

const big = (v: unknown, what: string): bigint => {
  if (typeof v !== "bigint" && typeof v !== "number" && typeof v !== "string") throw new Error(`batch input ${what} is not an integer: ${String(v)}`);
  return BigInt(v);
};

function slotArray(input: Record<string, unknown>, name: string, n: number): unknown[] {
  const a = input[name];
  if (!Array.isArray(a) || a.length !== n) throw new Error(`batch input ${name} must have ${n} entries (one per transaction slot)`);
  return a;
}

/**
 * The root before each enabled transaction slot, from its sender's leaf and Merkle proof (see
 * the header), and the number of enabled slots k (slots 0..k−1; the rest must be padding).
 */
export function enabledRootsIn(hash: Hasher, shape: LinkShape, input: Record<string, unknown>): { roots: bigint[]; enabled: number } {
  const N = shape.batchSize;
  const from = slotArray(input, "from", N).map((v, i) => big(v, `from[${i}]`));
  const k = from.findIndex((f) => f === 0n);
  const enabled = k < 0 ? N : k;
  for (let i = enabled; i < N; i++)
    if (from[i] !== 0n) throw new Error(`transaction slot ${i} is enabled after padding slot ${enabled}: enabled slots come first`);
  const field = (name: string) => slotArray(input, name, N);
  const [ax, ay, token, balance, nonce, siblings] = ["senderAx", "senderAy", "senderToken", "senderBalance", "senderNonce", "senderSiblings"].map(field);
  const roots: bigint[] = [];
  for (let i = 0; i < enabled; i++) {
    const leaf = accountLeaf(hash, {
      ax: big(ax[i], `senderAx[${i}]`),
      ay: big(ay[i], `senderAy[${i}]`),
      owner: 0n,
      tokenId: big(token[i], `senderToken[${i}]`),
      balance: big(balance[i], `senderBalance[${i}]`),
      nonce: big(nonce[i], `senderNonce[${i}]`),
    });
    const flat = siblings[i];
    const want = siblingCount(shape.depth);
    if (!Array.isArray(flat) || flat.length !== want) throw new Error(`batch input senderSiblings[${i}] must have ${want} entries`);
    const proof = unflattenProof(
      shape.depth,
      flat.map((v, j) => big(v, `senderSiblings[${i}][${j}]`)),
    );
    roots.push(rootFromProof(hash, shape.depth, leaf, from[i], proof));
  }
  return { roots, enabled };
}

export interface LinkedWitnessOptions {
  /** Transfer witnesses computed at once (default 1; the C++ generator runs one process each). */
  concurrency?: number;
}

/** What linkedBatchWitness computed (for reports). */
export interface LinkedWitnessStats {
  /** Enabled transaction slots. */
  enabled: number;
  /** Transfer witness computations (enabled slots plus one per distinct padding input). */
  transferRuns: number;
}

/**
 * The linked witness (.wtns bytes of the linked r1cs's numbering) of Batch's circuit input
 * (src/model/batch.ts circuitInput), with `calc` computing the parts' witnesses. Throws a clear
 * error for an input the circuit does not accept (see the header): no witness then.
 */
export async function linkedBatchWitness(
  layout: LinkLayout,
  hash: Hasher,
  input: Record<string, unknown>,
  calc: PartWitness,
  opts: LinkedWitnessOptions = {},
): Promise<{ wtns: Uint8Array; stats: LinkedWitnessStats }> {
  const shape = layout.shape;
  const N = shape.batchSize;
  const dh = domainHash(hash, { chainId: big(input.chainId, "chainId"), rollupAddress: big(input.rollupAddress, "rollupAddress") });
  const parts = partInputs(input, dh, shape.feeSlots);
  const { roots, enabled } = enabledRootsIn(hash, shape, input);

  // Enabled slots, `concurrency` at a time, each from its own root.
  const tw = new Array<Uint8Array>(N);
  const outs = new Array<TransferOutputs>(N);
  const width = Math.max(1, Math.min(opts.concurrency ?? 1, enabled || 1));
  let next = 0;
  const run = async () => {
    for (let i = next++; i < enabled; i = next++) {
      tw[i] = await calc("transfer", parts.transfer(i, roots[i]));
      outs[i] = transferOutputs(layout, tw[i]);
    }
  };
  await Promise.all(Array.from({ length: width }, run));
  for (let i = 0; i + 1 < enabled; i++)
    if (outs[i].rootOut !== roots[i + 1])
      throw new Error(`transaction ${i}: its new root is not the root transaction ${i + 1}'s sender proof is for (inconsistent input)`);

  // Padding slots: the root after the last enabled slot (or newRoot), one computation per distinct input.
  const padRoot = enabled > 0 ? outs[enabled - 1].rootOut : big(input.newRoot, "newRoot");
  const padRuns = new Map<string, Promise<Uint8Array>>();
  for (let i = enabled; i < N; i++) {
    const pin = parts.transfer(i, padRoot);
    const id = JSON.stringify(pin, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    let w = padRuns.get(id);
    if (!w) padRuns.set(id, (w = calc("transfer", pin)));
    tw[i] = await w;
    outs[i] = transferOutputs(layout, tw[i]);
  }

  const sw = await calc("shell", parts.shell(enabled > 0 ? roots[0] : padRoot, outs));
  return { wtns: linkedWitness(layout, sw, tw), stats: { enabled, transferRuns: enabled + padRuns.size } };
}
