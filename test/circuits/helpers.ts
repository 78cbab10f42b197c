import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import * as snarkjs from "snarkjs";
import { EMPTY_ACCOUNT, MAX_BALANCE, packedState, type Account } from "../../src/model/account.js";
import { circuitInputOf, type LeafInput } from "../../src/model/batch.js";
import { concatBytes, toBytesBE } from "../../src/model/bytes.js";
import { compileCircuit, type CompiledCircuit } from "../../src/proving/circom.js";
import { SNARK_FIELD, type Hasher } from "../../src/model/crypto.js";
import { type BatchPublicData, computePublicInputs } from "../../src/model/publicInputs.js";
import { l1ChainStep, L1OpKind, type L1Op } from "../../src/model/l1op.js";
import { type DerivedParams } from "../../src/model/params.js";
import { forcedTransferApplies, type L2State } from "../../src/model/state.js";
import { REPO_ROOT } from "../../src/util/paths.js";
import { AccountTree, zeroProof } from "../../src/model/tree.js";
import { encodeTransfer, packedAmounts, type Domain, type SignedTransfer } from "../../src/model/tx.js";
import { LenientWitnessCalculator, type LenientWitness } from "./lenient.js";

/**
 * Witness-level circuit testing: compile a main, compute witnesses with snarkjs (whose
 * calculator enforces every `===` as it goes) and check witnesses against the r1cs itself,
 * so hand-edited witnesses (what a cheating prover controls) are judged by the constraints.
 */

/** Sections of an iden3 binary file (r1cs, wtns): magic, version, count, then (type u32, size u64, bytes). */
function binSections(buf: Buffer, magic: string): Map<number, Buffer> {
  if (buf.toString("latin1", 0, 4) !== magic) throw new Error(`not a ${magic} file`);
  const count = buf.readUInt32LE(8);
  const sections = new Map<number, Buffer>();
  let o = 12;
  for (let i = 0; i < count; i++) {
    const type = buf.readUInt32LE(o);
    const size = Number(buf.readBigUInt64LE(o + 4));
    if (sections.has(type)) throw new Error(`${magic}: duplicate section ${type}`);
    sections.set(type, buf.subarray(o + 12, o + 12 + size));
    o += 12 + size;
  }
  return sections;
}

function section(sections: Map<number, Buffer>, type: number): Buffer {
  const s = sections.get(type);
  if (!s) throw new Error(`missing section ${type}`);
  return s;
}

function readLE(buf: Buffer, offset: number, n8: number): bigint {
  let v = 0n;
  for (let i = n8 - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[offset + i]);
  return v;
}

interface Lc {
  wires: number[];
  coefs: bigint[];
}

interface R1cs {
  nWires: number;
  nOutputs: number;
  nPubInputs: number;
  constraints: [Lc, Lc, Lc][];
}

function readR1cs(file: string): R1cs {
  const sections = binSections(readFileSync(file), "r1cs");
  const h = section(sections, 1);
  const n8 = h.readUInt32LE(0);
  if (readLE(h, 4, n8) !== SNARK_FIELD) throw new Error(`${file}: not a BN254 circuit`);
  let o = 4 + n8;
  const nWires = h.readUInt32LE(o);
  const nOutputs = h.readUInt32LE(o + 4);
  const nPubInputs = h.readUInt32LE(o + 8);
  const nConstraints = h.readUInt32LE(o + 24);
  const c = section(sections, 2);
  o = 0;
  const lc = (): Lc => {
    const n = c.readUInt32LE(o);
    o += 4;
    const out: Lc = { wires: [], coefs: [] };
    for (let i = 0; i < n; i++) {
      out.wires.push(c.readUInt32LE(o));
      out.coefs.push(readLE(c, o + 4, n8));
      o += 4 + n8;
    }
    return out;
  };
  const constraints: [Lc, Lc, Lc][] = [];
  for (let i = 0; i < nConstraints; i++) constraints.push([lc(), lc(), lc()]);
  if (o !== c.length) throw new Error(`${file}: constraint section has trailing bytes`);
  return { nWires, nOutputs, nPubInputs, constraints };
}

function readWtns(data: Uint8Array): bigint[] {
  const sections = binSections(Buffer.from(data.buffer, data.byteOffset, data.byteLength), "wtns");
  const h = section(sections, 1);
  const n8 = h.readUInt32LE(0);
  const n = h.readUInt32LE(4 + n8);
  const w = section(sections, 2);
  return Array.from({ length: n }, (_, i) => readLE(w, i * n8, n8));
}

/** Signal name (without the leading "main.") → witness index, for the signals --O2 kept. */
function readSym(file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line) continue;
    const [, varIdx, , name] = line.split(",");
    if (Number(varIdx) >= 0) out.set(name.replace(/^main\./, ""), Number(varIdx));
  }
  return out;
}

/**
 * The component a signal belongs to, with circom's generated names of anonymous components
 * (`AccountUpdate_149_8193`: template, source line, a serial) shortened to `AccountUpdate@149`:
 * "tx[0].AccountUpdate_149_8193.Num2Bits_62_3262.out[3]" → "tx[0].AccountUpdate@149.Num2Bits@62".
 */
export function componentOf(signal: string): string {
  const parts = signal.split(".");
  parts.pop();
  return parts.map((p) => p.replace(/^([A-Za-z0-9]+?)_(\d+)_\d+$/, "$1@$2")).join(".");
}

/**
 * A signal as `violations` reports it: componentOf's path, then the signal's name without its
 * last index ("…Num2Bits_62_3262.out[3]" → "…Num2Bits@62.out", "feeIdxBits[0][1]" → "feeIdxBits[0]").
 */
export function signalSite(signal: string): string {
  const last = signal
    .split(".")
    .pop()!
    .replace(/\[\d+\]$/, "");
  const comp = componentOf(signal);
  return comp ? `${comp}.${last}` : last;
}

function evalLc(lc: Lc, w: bigint[]): bigint {
  let s = 0n;
  for (let i = 0; i < lc.wires.length; i++) s += lc.coefs[i] * w[lc.wires[i]];
  return s % SNARK_FIELD;
}

export type CircuitInput = Record<string, unknown>;

export class CircuitTester {
  private lenientCalc?: Promise<LenientWitnessCalculator>;
  private wireOwner?: string[];

  private constructor(
    readonly label: string,
    readonly compiled: CompiledCircuit,
    private readonly r1cs: R1cs,
    private readonly symbols: Map<string, number>,
  ) {}

  /**
   * Compile (or take from the cache) `component main = <main>;` with the given includes and,
   * optionally, test-only template definitions placed before it.
   */
  static async compile(label: string, includes: string[], main: string, definitions = ""): Promise<CircuitTester> {
    const src = ["pragma circom 2.1.6;", ...includes.map((f) => `include "${f}";`), definitions, `component main = ${main};`, ""].join("\n");
    return CircuitTester.compileSource(label, src);
  }

  /** A tester for a whole circom main source (e.g. src/proving/setup.ts batchMainSource). */
  static async compileSource(label: string, src: string): Promise<CircuitTester> {
    const compiled = await compileCircuit(label, src);
    return new CircuitTester(label, compiled, readR1cs(compiled.r1cs), readSym(compiled.sym));
  }

  /** Every component of the compiled circuit (componentOf of every signal in its .sym, kept or not). */
  components(): Set<string> {
    const out = new Set<string>();
    for (const line of readFileSync(this.compiled.sym, "utf8").split("\n")) {
      if (line) out.add(componentOf(line.split(",")[3].replace(/^main\./, "")));
    }
    return out;
  }

  get nConstraints(): number {
    return this.r1cs.constraints.length;
  }

  /** The witness snarkjs computes; throws the calculator's error (e.g. "Assert Failed") if any. */
  async witness(input: CircuitInput): Promise<bigint[]> {
    const out: { type: string; data?: Uint8Array } = { type: "mem" };
    await snarkjs.wtns.calculate(input, this.compiled.wasm, out);
    if (!out.data) throw new Error("snarkjs returned no witness");
    const w = readWtns(out.data);
    if (w.length !== this.r1cs.nWires) throw new Error(`witness has ${w.length} wires, the r1cs ${this.r1cs.nWires}`);
    return w;
  }

  /** Index of the first constraint `w` violates, or -1 if it satisfies them all. */
  firstViolation(w: bigint[]): number {
    if (w[0] !== 1n) return 0; // wire 0 is the constant 1; no constraint can hold without it
    return this.r1cs.constraints.findIndex(([a, b, c]) => (evalLc(a, w) * evalLc(b, w) - evalLc(c, w)) % SNARK_FIELD !== 0n);
  }

  /** Computes the witness and checks it against every constraint; returns it. */
  async expectPass(input: CircuitInput): Promise<bigint[]> {
    const w = await this.witness(input);
    expect(this.firstViolation(w), `${this.label}: first violated constraint`).to.equal(-1);
    return w;
  }

  /**
   * Expects the witness calculator to stop at a failed `===`, and its error (which names the
   * failing templates, innermost first, with lines) to match `where`.
   */
  async expectAssertFail(input: CircuitInput, where: RegExp): Promise<void> {
    // circom_runtime also prints each failed assertion to console.error; the error carries it.
    const consoleError = console.error;
    console.error = () => {};
    let error: Error | undefined;
    try {
      await this.witness(input);
    } catch (e) {
      error = e as Error;
    } finally {
      console.error = consoleError;
    }
    if (!error) expect.fail(`${this.label}: the witness was computed, expected a failed assertion at ${where}`);
    expect(error.message, `${this.label}: witness error`).to.match(/Assert Failed/);
    expect(error.message, `${this.label}: failing template`).to.match(where);
  }

  /**
   * What a malicious prover computes for `input`: circom's witness code run with every `===`
   * skipped (test/circuits/lenient.ts). For an input that breaks no rule it is the honest witness.
   */
  lenient(input: CircuitInput): Promise<LenientWitness> {
    this.lenientCalc ??= LenientWitnessCalculator.load(this.compiled.wasm);
    return this.lenientCalc.then((c) => c.compute(input));
  }

  /**
   * Where `w` breaks the circuit: for every violated constraint, the signal (signalSite) that most
   * of its wires carry, deduplicated and sorted. A wire carries the innermost signal naming it (a
   * signal passed into a sub-component keeps one wire under several names); ties go to the outer
   * one, then to the first in order. So a range check whose input is out of range shows as its
   * bits: "tx[0].AccountUpdate@149.Num2Bits@62.out" (bits a template discards) or
   * "rollupBits" (bits Batch keeps); `root === newRoot` in Batch as "newRoot". Empty for a
   * satisfying witness.
   */
  violations(w: bigint[]): string[] {
    const depth = (x: string) => x.split(".").length;
    if (!this.wireOwner) {
      const names: string[][] = Array.from({ length: this.r1cs.nWires }, () => []);
      for (const [name, i] of this.symbols) names[i].push(signalSite(name));
      this.wireOwner = names.map(
        (sigs) => sigs.reduce((best, x) => (best === undefined || depth(x) > depth(best) ? x : best), undefined as string | undefined) ?? "",
      );
    }
    const sites = new Set<string>();
    for (const [a, b, c] of this.r1cs.constraints) {
      if ((evalLc(a, w) * evalLc(b, w) - evalLc(c, w)) % SNARK_FIELD === 0n) continue;
      const count = new Map<string, number>();
      for (const wire of new Set([a, b, c].flatMap((lc) => lc.wires))) {
        if (wire === 0) continue; // the constant 1
        const owner = this.wireOwner[wire];
        count.set(owner, (count.get(owner) ?? 0) + 1);
      }
      const best = [...count].sort(([x, n], [y, m]) => m - n || depth(x) - depth(y) || (x < y ? -1 : 1))[0];
      sites.add(best ? best[0] : "(constant)");
    }
    return [...sites].sort();
  }

  /**
   * Expects the malicious prover's witness for `input` to break exactly the rules at `sites`
   * (componentOf names, e.g. from `site`), nothing else: the circuit rejects the input there and
   * only there. Returns the witness. `sites` empty: it must satisfy every constraint.
   */
  async expectViolations(input: CircuitInput, sites: string[]): Promise<LenientWitness> {
    const lw = await this.lenient(input);
    expect(this.violations(lw.witness), `${this.label}: violated constraints`).to.deep.equal([...new Set(sites)].sort());
    return lw;
  }

  /** Expects `w` (typically a valid witness a test edited) to violate some constraint. */
  expectUnsatisfied(w: bigint[]): void {
    expect(this.firstViolation(w), `${this.label}: the edited witness satisfies every constraint`).to.not.equal(-1);
  }

  /** Witness index of a signal, e.g. "tx[0].enabled" (the "main." prefix is implied). */
  index(name: string): number {
    const i = this.symbols.get(name);
    if (i === undefined) throw new Error(`${this.label}: no witness wire for signal "${name}" (unknown, or removed by --O2)`);
    return i;
  }

  /**
   * The one kept signal whose name, with anonymous components shortened as componentOf does
   * ("AccountUpdate_124_5321" → "AccountUpdate@124"), matches `re`; throws unless exactly one does.
   */
  nameLike(re: RegExp): string {
    const hits = [...this.symbols.keys()].filter((n) => re.test(n.replace(/([A-Za-z0-9]+?)_(\d+)_\d+(?=\.)/g, "$1@$2")));
    if (hits.length !== 1) throw new Error(`${this.label}: ${hits.length} signals match ${re}: ${hits.slice(0, 5).join(", ")}`);
    return hits[0];
  }

  get(w: bigint[], name: string): bigint {
    return w[this.index(name)];
  }

  /** A copy of `w` with the named signals set to new values (reduced mod r). */
  edit(w: bigint[], edits: Record<string, bigint>): bigint[] {
    const out = [...w];
    for (const [name, v] of Object.entries(edits)) out[this.index(name)] = ((v % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;
    return out;
  }
}

/**
 * One frame of a witness-calculator error: a template name, or a template of circuits/ with
 * a snippet of source that occurs on exactly one line of its file (that line must be the one
 * reported: the failing `===`, or the statement that runs the failing sub-component).
 */
export type Frame = string | [template: string, file: string, snippet: string];

function lineOf(file: string, snippet: string): number {
  const lines = readFileSync(path.join(REPO_ROOT, "circuits", file), "utf8").split("\n");
  const hits = lines.flatMap((l, i) => (l.includes(snippet) ? [i + 1] : []));
  if (hits.length !== 1) throw new Error(`"${snippet}" is on ${hits.length} lines of circuits/${file}, expected 1`);
  return hits[0];
}

/**
 * A pattern for expectAssertFail: consecutive frames of the error, innermost first, e.g.
 * failsAt("Num2Bits", ["Transfer", "transfer.circom", "Num2Bits(128)(senderBalanceNew)"]).
 */
export function failsAt(...frames: Frame[]): RegExp {
  const parts = frames.map((f) => {
    const [name, line] = typeof f === "string" ? [f, "\\d+"] : [f[0], String(lineOf(f[1], f[2]))];
    return `Error in template ${name}_\\d+ line: ${line}\\n`;
  });
  return new RegExp(parts.join(""));
}

/**
 * A component as `violations` names it: path segments, each a named component ("tx[0]") or an
 * anonymous one given as [template, file of its parent, snippet on the line it is created], e.g.
 * site("tx[1]", ["AccountUpdate", "transfer.circom", "signal rootMid <== AccountUpdate(D)"],
 * ["Num2Bits", "account_update.circom", "Num2Bits(128)(oldBalance)"]).
 */
export function site(...segments: (string | [template: string, file: string, snippet: string])[]): string {
  return segments.map((s) => (typeof s === "string" ? s : `${s[0]}@${lineOf(s[1], s[2])}`)).join(".");
}

/** Terminates snarkjs's curve worker threads if something built them (they keep mocha alive). */
export async function terminateCurve(): Promise<void> {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } | null }).curve_bn128?.terminate();
}

const mod = (x: bigint) => ((x % SNARK_FIELD) + SNARK_FIELD) % SNARK_FIELD;

/** What an L1 operation did: whether its effect was applied, and the result posted for it. */
export interface L1Outcome {
  applied: boolean;
  result: bigint;
}

export interface UncheckedContents {
  l1Ops?: L1Op[];
  txs: SignedTransfer[];
}

export interface UncheckedContext {
  domain: Domain;
  /** Exactly feeSlots indexes (0 = unused slot). */
  feeIdx: bigint[];
  l1HashStart?: bigint;
  /** Per L1 operation, an outcome that overrides the rules (e.g. a valid deposit "refunded"); a CREATE takes only its result. */
  l1Outcomes?: (L1Outcome | undefined)[];
  /**
   * A malicious prover's opening of a leaf it reads: given where the leaf is read and the account
   * stored there, the fields it claims instead (as field elements, each in [0, r)), or undefined
   * for the true ones. A claim packing to the same field value passes the Merkle check; the
   * transition is then computed from the claimed fields, as the circuit does. "fee" is asked once
   * for the slot's token (before the transactions) and once when the fee leaf is credited.
   */
  openAs?: (at: LeafSite, account: Account) => Account | undefined;
}

/** Where a batch reads a leaf: L1 slot j (l1To: its forced transfer's receiver), transaction slot i's sender or receiver, fee slot j. */
export interface LeafSite {
  kind: "l1" | "l1To" | "sender" | "receiver" | "fee";
  slot: number;
}

/** Fields (ax, ay, tokenId, balance, nonce) whose packed state word equals `a`'s mod r: a second opening of its leaf. */
export function aliasOf(a: Account, shift: { tokenId?: bigint; balance?: bigint; nonce?: bigint }): Account {
  const t = mod(a.tokenId + (shift.tokenId ?? 0n));
  const b = mod(a.balance + (shift.balance ?? 0n));
  const n = mod(a.nonce + (shift.nonce ?? 0n));
  if (mod(packedState({ tokenId: t, balance: b, nonce: n })) !== mod(packedState(a))) throw new Error("aliasOf: the shift changes the packed state word");
  return { ...a, tokenId: t, balance: b, nonce: n };
}

export interface UncheckedBatch {
  circuitInput: CircuitInput;
  /** The public data of the claimed transition (what the contract would take from L1). */
  data: BatchPublicData;
  commitment: bigint;
  /** [evaluation, challenge] for that data. */
  publicSignals: [bigint, bigint];
}

/**
 * Circuit input of Batch(D, N, L, F) for `l1Ops` then `txs` applied to `accounts` WITHOUT
 * checking any rule of the protocol: an internally consistent witness of a possibly invalid
 * transition, so a must-fail test sees exactly the circuit check that guards the broken rule.
 *   - transfers: balances wrap mod r, tokens and nonces are not compared, fees without a
 *     matching slot vanish; to = 0 is an exit (no receiver update);
 *   - L1 operations: CREATE overwrites whatever is at its index (its leaf witness is the empty
 *     account, as the protocol says); DEPOSIT, FORCE_EXIT and FORCE_TRANSFER read the leaf there
 *     (the empty account if none) and follow the rules unless `ctx.l1Outcomes` forces an
 *     outcome (a FORCE_TRANSFER in any slot; the circuit takes its receiver for slot 0 only).
 * Everything else follows docs/PROTOCOL.md as src/model/batch.ts does (tested equal on valid
 * batches). Padding slots are all zeros, signature included.
 */
export function uncheckedBatchInput(
  hash: Hasher,
  p: DerivedParams,
  accounts: [bigint, Account][],
  contents: UncheckedContents,
  ctx: UncheckedContext,
): UncheckedBatch {
  const l1Ops = contents.l1Ops ?? [];
  const { txs } = contents;
  const { feeIdx, domain } = ctx;
  if (l1Ops.length > p.l1Slots || txs.length > p.batchSize || feeIdx.length !== p.feeSlots) {
    throw new Error("batch shape does not match the instance");
  }
  const tree = new AccountTree(p.depth, hash);
  const state = new Map<bigint, Account>();
  // src/model/account.ts accountLeaf, but packing the fields in the field as the circuit does: a
  // wrapped balance (mod r) makes the packed integer exceed r
  const leafOf = (a: Account) => hash([a.ax, a.ay, mod(packedState(a))]);
  const set = (i: bigint, a: Account) => {
    state.set(i, a);
    tree.update(i, leafOf(a));
  };
  const leafWitness = (i: bigint) => ({ account: state.get(i) ?? EMPTY_ACCOUNT, proof: tree.proof(i) });
  const open = (at: LeafSite, i: bigint) => {
    const w = leafWitness(i);
    return { account: ctx.openAs?.(at, w.account) ?? w.account, proof: w.proof };
  };
  for (const [i, a] of accounts) set(i, { ...a });
  const oldRoot = tree.root;
  const padding = { account: EMPTY_ACCOUNT, proof: zeroProof(p.depth) };

  let l1Hash = ctx.l1HashStart ?? 0n;
  const l1Results: bigint[] = [];
  let l1To: LeafInput = padding;
  const l1Leaves = l1Ops.map((op, j) => {
    l1Hash = l1ChainStep(hash, l1Hash, op);
    if (op.kind === L1OpKind.FORCE_TRANSFER) {
      // The receiver first, from the tree before the operation, then the sender (l1_op.circom 9.).
      const to = open({ kind: "l1To", slot: j }, op.ax);
      const from = state.get(op.accountIdx) ?? EMPTY_ACCOUNT;
      const valid = forcedTransferApplies(from, to.account, op);
      const { applied, result } = ctx.l1Outcomes?.[j] ?? { applied: valid, result: 0n };
      if (applied) set(op.ax, { ...to.account, balance: mod(to.account.balance + op.amount) });
      const w = open({ kind: "l1", slot: j }, op.accountIdx);
      if (applied) set(op.accountIdx, { ...w.account, balance: mod(w.account.balance - op.amount) });
      if (j === 0) l1To = to;
      l1Results.push(result);
      return w;
    }
    if (op.kind === L1OpKind.CREATE) {
      const w = { account: EMPTY_ACCOUNT, proof: tree.proof(op.accountIdx) };
      set(op.accountIdx, { ax: op.ax, ay: op.ay, owner: op.owner, tokenId: op.tokenId, balance: op.amount, nonce: 0n });
      l1Results.push(ctx.l1Outcomes?.[j]?.result ?? 0n);
      return w;
    }
    const w = open({ kind: "l1", slot: j }, op.accountIdx);
    const a = w.account;
    const deposit = op.kind === L1OpKind.DEPOSIT;
    // A FORCE_EXIT is always valid (the contract queues it only from the account's owner, who
    // is not in the leaf): it withdraws the whole balance, whoever op.owner says.
    const valid = !deposit || (a.tokenId === op.tokenId && a.balance + op.amount <= MAX_BALANCE);
    const { applied, result } = ctx.l1Outcomes?.[j] ?? { applied: valid, result: deposit ? (valid ? 0n : op.amount) : a.balance };
    if (applied) set(op.accountIdx, { ...a, balance: deposit ? a.balance + op.amount : 0n });
    l1Results.push(result);
    return w;
  });
  const noOp: L1Op = { kind: 0 as L1OpKind, accountIdx: 0n, tokenId: 0n, amount: 0n, owner: 0n, ax: 0n, ay: 0n };
  const l1Slots = Array.from({ length: p.l1Slots }, (_, j) => l1Ops[j] ?? noOp);
  while (l1Leaves.length < p.l1Slots) l1Leaves.push(padding);

  const feeTokens = feeIdx.map((i, j) => (i === 0n ? undefined : open({ kind: "fee", slot: j }, i).account.tokenId));
  const collected = feeIdx.map(() => 0n);
  const slots = Array.from({ length: p.batchSize }, (_, i) => {
    const t = txs[i];
    if (!t) return { from: 0n, to: 0n, amountF: 0n, feeF: 0n, sig: { R8x: 0n, R8y: 0n, S: 0n }, sender: padding, receiver: padding };
    const sender = open({ kind: "sender", slot: i }, t.from);
    set(t.from, { ...sender.account, balance: mod(sender.account.balance - t.amount - t.fee), nonce: mod(sender.account.nonce + 1n) });
    let receiver = padding;
    if (t.to !== 0n) {
      receiver = open({ kind: "receiver", slot: i }, t.to);
      set(t.to, { ...receiver.account, balance: mod(receiver.account.balance + t.amount) });
    }
    const j = feeTokens.indexOf(sender.account.tokenId);
    if (j >= 0) collected[j] += t.fee;
    return { from: t.from, to: t.to, ...packedAmounts(t), sig: t.signature, sender, receiver };
  });
  const fees = feeIdx.map((i, j) => {
    if (i === 0n) return padding;
    const w = open({ kind: "fee", slot: j }, i);
    set(i, { ...w.account, balance: mod(w.account.balance + collected[j]) });
    return w;
  });

  const data: BatchPublicData = {
    oldRoot,
    newRoot: tree.root,
    chainId: domain.chainId,
    rollupAddress: domain.rollupAddress,
    l1HashEnd: l1Hash,
    l1Count: l1Ops.length,
    feeIdx: concatBytes(feeIdx.map((i) => toBytesBE(i, p.idxBytes))),
    l1Results: concatBytes(l1Results.map((r) => toBytesBE(r, 16))),
    txData: concatBytes(txs.map((t) => encodeTransfer(t, p))),
  };
  const pub = computePublicInputs(data, p, hash);
  const circuitInput = circuitInputOf({
    challenge: pub.challenge,
    oldRoot,
    newRoot: tree.root,
    domain,
    l1HashStart: ctx.l1HashStart ?? 0n,
    l1Count: l1Ops.length,
    l1Slots,
    l1Leaves,
    l1To,
    feeIdx,
    slots,
    feeLeaves: fees,
  });
  return { circuitInput, data, commitment: pub.commitment, publicSignals: pub.signals };
}

/**
 * The input of the L1Op(D, T) template for `op` applied to `s` by the model (which it mutates):
 * the roots and chain hash around it, the opened leaf with its Merkle proof and the forced
 * transfer's receiver leaf (all zeros for another kind, as a T = 0 slot takes).
 */
export function l1OpInput(s: L2State, hashIn: bigint, op: L1Op) {
  const rootIn = s.root;
  const { result, leaf, to } = s.applyL1Op(op);
  const a = leaf.account;
  const t = to ?? { account: EMPTY_ACCOUNT, proof: zeroProof(s.params.depth) };
  const input = {
    toAx: t.account.ax,
    toAy: t.account.ay,
    toToken: t.account.tokenId,
    toBalance: t.account.balance,
    toNonce: t.account.nonce,
    toSiblings: t.proof.flat(),
    rootIn,
    hashIn,
    ...op,
    kind: BigInt(op.kind),
    leafAx: a.ax,
    leafAy: a.ay,
    leafToken: a.tokenId,
    leafBalance: a.balance,
    leafNonce: a.nonce,
    siblings: leaf.proof.flat(),
  };
  return { input, result };
}
