// The committed snapshots of constraint counts and L1 gas (snapshots/*.json): what `bin/bench
// --update-snapshots` writes (bench/bench.ts), what the tests compare against (the pinned-count
// tests in test/circuits/ and test/cli/ceremony.test.ts, test/contracts/Gas.test.ts) and what
// scripts/readme-tables.ts renders into README.md. No test writes them.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { compileCircuit } from "../src/proving/circom.js";
import { deriveParams, type DerivedParams } from "../src/model/params.js";
import { REPO_ROOT } from "../src/util/paths.js";
import { coefficientCount } from "../src/model/publicInputs.js";
import { batchMainSource, readR1csInfo } from "../src/proving/setup.js";
import { treeLevels } from "../src/model/tree.js";

export const SNAPSHOT_DIR = path.join(REPO_ROOT, "snapshots");
export const CONSTRAINTS_SNAPSHOT = path.join(SNAPSHOT_DIR, "constraints.json");
export const GAS_SNAPSHOT = path.join(SNAPSHOT_DIR, "gas.json");

/** One line of an instance's constraint breakdown: `count` copies of a part of `each` constraints. */
export interface Component {
  part: ComponentPart;
  count: number;
  each: number;
}

/** The parts bench/bench.ts splits a batch circuit into (README's "Constraints per transfer"). */
export type ComponentPart =
  "signature" | "merkle" | "leaves" | "leafRanges" | "transferRest" | "l1Slot" | "forcedTransfer" | "feeSlot" | "publicInputs" | "glue";

export interface ConstraintSnapshot {
  about: string;
  /** Constraints of the batch circuit of each instance of circuits/instances.json. */
  instances: Record<string, number>;
  /** Per instance, its constraints split into parts (each part's template compiled on its own). */
  components: Record<string, Component[]>;
  /** Constraints of the templates the circuit tests pin, by their main (TEMPLATE_MAINS). */
  templates: Record<string, number>;
}

export interface GasSnapshot {
  about: string;
  /** gasUsed (or the noted share) of each figure test/contracts/Gas.test.ts reports, by its name. */
  figures: Record<string, number>;
}

const read = <T>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;
const write = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value, null, 2) + "\n");

export const readConstraintSnapshot = (): ConstraintSnapshot => read(CONSTRAINTS_SNAPSHOT);
export const readGasSnapshot = (): GasSnapshot => read(GAS_SNAPSHOT);

/** A pinned count: throws (naming the fix) when the snapshot has no entry. */
export function pinned(section: Record<string, number>, key: string): number {
  const n = section[key];
  if (n === undefined) throw new Error(`snapshots: no entry for "${key}" (bin/bench --update-snapshots records it)`);
  return n;
}

/** Merges measured entries into snapshots/constraints.json; entries not measured keep their recorded values. */
export function updateConstraintSnapshot(measured: Pick<ConstraintSnapshot, "instances" | "components" | "templates">): ConstraintSnapshot {
  const s = readConstraintSnapshot();
  const next: ConstraintSnapshot = {
    about: s.about,
    instances: { ...s.instances, ...measured.instances },
    components: { ...s.components, ...measured.components },
    templates: { ...s.templates, ...measured.templates },
  };
  write(CONSTRAINTS_SNAPSHOT, next);
  return next;
}

/** Replaces the figures of snapshots/gas.json with one complete measurement. */
export function updateGasSnapshot(figures: Record<string, number>): GasSnapshot {
  const next: GasSnapshot = { about: readGasSnapshot().about, figures };
  write(GAS_SNAPSHOT, next);
  return next;
}

/** The templates whose constraint counts the circuit tests pin, as `component main = <name>`. */
export const TEMPLATE_MAINS: { name: string; include: string }[] = [
  { name: "FloatDecode(5, 35)", include: "float_decode.circom" },
  { name: "FloatDecode(4, 4)", include: "float_decode.circom" },
  { name: "AccountLeaf()", include: "account_leaf.circom" },
  { name: "AccountUpdate(2)", include: "account_update.circom" },
  ...[2, 3, 4, 8, 12, 16].map((D) => ({ name: `MerkleUpdate(${D})`, include: "merkle_update.circom" })),
  { name: "L1Op(2, 0)", include: "l1_op.circom" },
  { name: "L1Op(2, 1)", include: "l1_op.circom" },
  { name: "SchnorrVerifier128()", include: "schnorr.circom" },
];

/** Batch circuits of shapes that are no registered instance, pinned by test/circuits/batch.test.ts. */
export const BATCH_SHAPES: DerivedParams[] = [deriveParams({ name: "test_d2_b1_l1_f2", description: "", depth: 2, batchSize: 1, l1Slots: 1, feeSlots: 2 })];

/** Its key in the snapshot's templates: "Batch(D, N, L, F)". */
export const batchShapeName = (p: Pick<DerivedParams, "depth" | "batchSize" | "l1Slots" | "feeSlots">) =>
  `Batch(${p.depth}, ${p.batchSize}, ${p.l1Slots}, ${p.feeSlots})`;

/** Constraints of `main` compiled on its own (every input private), after `include`. */
export async function templateConstraints(include: string, main: string): Promise<number> {
  const label = `part_${main.replace(/[^A-Za-z0-9]+/g, "_")}`;
  const c = await compileCircuit(label, `pragma circom 2.1.6;\ninclude "${include}";\ncomponent main = ${main};\n`);
  return (await readR1csInfo(c.r1cs)).nConstraints;
}

/** Constraints of TEMPLATE_MAINS and BATCH_SHAPES, compiled (cached) one by one. */
export async function measureTemplates(log: (m: string) => void = () => {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TEMPLATE_MAINS) {
    log(`compiling ${t.name} …`);
    out[t.name] = await templateConstraints(t.include, t.name);
  }
  for (const p of BATCH_SHAPES) {
    log(`compiling ${batchShapeName(p)} …`);
    const c = await compileCircuit(`batch_d${p.depth}_n${p.batchSize}_l${p.l1Slots}_f${p.feeSlots}`, batchMainSource(p)); // the label test/circuits/batch.test.ts uses
    out[batchShapeName(p)] = (await readR1csInfo(c.r1cs)).nConstraints;
  }
  return out;
}

/**
 * The parts of instance `p`'s batch circuit of `total` constraints, each template compiled on its
 * own; the glue (domain, range checks, flags, slot order, net of --O2 merges across templates) is
 * what the parts leave of the total.
 */
export async function componentBreakdown(p: DerivedParams, total: number): Promise<Component[]> {
  const D = p.depth;
  const transfer = await templateConstraints("transfer.circom", `Transfer(${D}, ${p.feeSlots})`);
  const signature = await templateConstraints("schnorr.circom", "SchnorrVerifier128()");
  const merkle = await templateConstraints("merkle_update.circom", `MerkleUpdate(${D})`);
  const leaf = await templateConstraints("account_leaf.circom", "AccountLeaf()");
  // standalone its oldEmpty is an input (one selection product); in Transfer it is the constant 0
  const update = (await templateConstraints("account_update.circom", `AccountUpdate(${D})`)) - 1;
  const leafRanges = update - merkle - 2 * leaf;
  const l1 = await templateConstraints("l1_op.circom", `L1Op(${D}, 0)`);
  // slot 0 can hold a forced transfer: the receiver's update and its checks
  const forced = p.l1Slots === 0 ? 0 : (await templateConstraints("l1_op.circom", `L1Op(${D}, 1)`)) - l1;
  const fee = await templateConstraints("fee_credit.circom", `FeeCredit(${D})`);
  const pub = await templateConstraints("public_inputs.circom", `PublicInputs(${coefficientCount(p)})`);
  const parts: Component[] = [
    { part: "signature", count: p.batchSize, each: signature },
    { part: "merkle", count: p.batchSize, each: 2 * merkle },
    { part: "leaves", count: p.batchSize, each: 4 * leaf },
    { part: "leafRanges", count: p.batchSize, each: 2 * leafRanges },
    { part: "transferRest", count: p.batchSize, each: transfer - signature - 2 * update },
    { part: "l1Slot", count: p.l1Slots, each: l1 },
    { part: "forcedTransfer", count: Math.min(p.l1Slots, 1), each: forced },
    { part: "feeSlot", count: p.feeSlots, each: fee },
    { part: "publicInputs", count: 1, each: pub },
  ];
  const counted = parts.reduce((a, x) => a + x.count * x.each, 0);
  parts.push({ part: "glue", count: 1, each: total - counted });
  return parts;
}

/** What each part is, for the bench's output (README's labels are scripts/readme-tables.ts's). */
export function describePart(p: DerivedParams, part: ComponentPart): string {
  const shape = treeLevels(p.depth)
    .map((l) => l.arity)
    .join("·");
  return {
    signature: "transfer: Schnorr-128 signature (challenge hash included)",
    merkle: `transfer: 2 Merkle updates (sender, receiver), 4^${p.depth} leaves, arities ${shape}`,
    leaves: "transfer: 4 account leaves (old/new sender and receiver)",
    leafRanges: "transfer: range checks of the 4 leaves' token, balance, nonce (AccountUpdate)",
    transferRest: "transfer: index range checks, floats, fee slot match, flags",
    l1Slot: `L1-operation slot (L=${p.l1Slots})`,
    forcedTransfer: "slot 0's forced transfer: the receiver's update, balance and token checks",
    feeSlot: `fee credit slot (F=${p.feeSlots})`,
    publicInputs: `public inputs: Poseidon commitment + evaluation of m=${coefficientCount(p)} coefficients`,
    glue: "batch glue: domain, chainId/rollup range checks, fee-slot flags, slot order (net of --O2 merges)",
  }[part];
}
