// README.md's constraint and gas tables, generated from the snapshots (snapshots/constraints.json,
// snapshots/gas.json; bench/snapshots.ts). Each table sits between `<!-- snapshot:NAME -->` and
// `<!-- /snapshot -->`; only those lines are rewritten.
//
//   node --import tsx scripts/readme-tables.ts           rewrite the tables in README.md
//   node --import tsx scripts/readme-tables.ts --check   exit 1 if a table differs from the snapshots
//
// `bin/bench --update-snapshots` runs the rewrite after it records new numbers;
// test/scripts/readme-tables.test.ts fails while README.md is stale.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type ComponentPart, type ConstraintSnapshot, type GasSnapshot, pinned, readConstraintSnapshot, readGasSnapshot } from "../bench/snapshots.js";
import { getInstance, instances } from "../src/proving/instances.js";
import { REPO_ROOT } from "../src/util/paths.js";
import { coefficientCount } from "../src/model/publicInputs.js";
import { requiredPower } from "../src/proving/setup.js";
import { treeLevels } from "../src/model/tree.js";

export const README = path.join(REPO_ROOT, "README.md");

const n = (x: number) => x.toLocaleString("en-US");
/** 4^depth to three significant digits, cut (not rounded): 256, 16.7M, 4.29G. */
function accounts(depth: number): string {
  const a = 4 ** depth;
  if (a < 1e6) return n(a);
  const [unit, x] = a < 1e9 ? ["M", a / 1e6] : ["G", a / 1e9];
  const digits = 3 - String(Math.floor(x)).length;
  return `${Math.floor(x * 10 ** digits) / 10 ** digits}${unit}`;
}
const SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹";
const sup = (k: number) => [...String(k)].map((d) => SUPERSCRIPT[Number(d)]).join("");
/** The tree's levels as a product of arities: 8⁸, 8¹⁰·4. */
function arities(depth: number): string {
  const levels = treeLevels(depth);
  const eights = levels.filter((l) => l.arity === 8).length;
  return [eights ? `8${eights > 1 ? sup(eights) : ""}` : "", ...levels.filter((l) => l.arity === 4).map(() => "4")].filter(Boolean).join("·");
}

/** The circuit instances of circuits/instances.json with their constraints and the ptau they need. */
function instancesTable(s: ConstraintSnapshot): string {
  const lines = [
    "| instance | D (accounts) | N transfers | L L1 ops | F fee slots | circuit | constraints | ptau |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const p of Object.values(instances())) {
    const c = pinned(s.instances, p.name);
    // the batch circuit's public signals: one output (evaluation), one public input (challenge)
    const power = requiredPower({ nConstraints: c, nPubInputs: 1, nOutputs: 1 });
    const form = p.linked ? "linked" : "Batch";
    lines.push(`| \`${p.name}\` | ${p.depth} (${accounts(p.depth)}) | ${p.batchSize} | ${p.l1Slots} | ${p.feeSlots} | ${form} | ${n(c)} | 2^${power} |`);
  }
  return lines.join("\n");
}

/** The instances README.md's per-component table compares. */
export const COMPONENT_TABLE_INSTANCES = ["prod_d12_b32", "prod_d16_b32"];

function componentsTable(s: ConstraintSnapshot): string {
  const ps = COMPONENT_TABLE_INSTANCES.map(getInstance);
  const p0 = ps[0]!;
  if (ps.some((p) => p.batchSize !== p0.batchSize || p.l1Slots !== p0.l1Slots || p.feeSlots !== p0.feeSlots))
    throw new Error("the component table compares instances of one batch shape");
  const parts = ps.map((p) => {
    const c = s.components[p.name];
    if (!c) throw new Error(`snapshots/constraints.json: no components of ${p.name}`);
    return new Map(c.map((x) => [x.part, x]));
  });
  const part = (i: number, k: ComponentPart) => {
    const x = parts[i]!.get(k);
    if (!x) throw new Error(`snapshots/constraints.json: no part "${k}" of ${ps[i]!.name}`);
    return x;
  };
  const perTransfer = (i: number, k: ComponentPart) => n(Math.round((part(i, k).count * part(i, k).each) / ps[i]!.batchSize));
  const slash = (f: (i: number) => string) => [...new Set(ps.map((_, i) => f(i)))].join(" / ");
  const rows: [string, ComponentPart][] = [
    ["Schnorr-128 signature, its challenge hash over the message included, per transfer", "signature"],
    [`2 Merkle updates (sender, receiver; tree arities ${slash((i) => arities(ps[i]!.depth))}), per transfer`, "merkle"],
    ["4 account leaves Poseidon(3) (old/new sender and receiver), per transfer", "leaves"],
    ["range checks of token, balance and nonce of the 4 leaves read and written (`AccountUpdate`), per transfer", "leafRanges"],
    ["index range checks, floats, fee-slot match, flags, per transfer", "transferRest"],
    [`L1-operation slots (${slash((i) => `${part(i, "l1Slot").count} × ${n(part(i, "l1Slot").each)}`)}), per transfer`, "l1Slot"],
    ["forced transfer in L1 slot 0 (the receiver's update, balance and token checks), per transfer", "forcedTransfer"],
    [`fee credits (${slash((i) => `${part(i, "feeSlot").count} × ${n(part(i, "feeSlot").each)}`)}), per transfer`, "feeSlot"],
    [`public inputs (commitment + evaluation, m = ${slash((i) => String(coefficientCount(ps[i]!)))}), per transfer`, "publicInputs"],
    ["batch glue (domain, range checks, flags, transaction-slot order), per transfer", "glue"],
  ];
  const lines = [
    `| component (per batch: N = ${p0.batchSize}, L = ${p0.l1Slots}, F = ${p0.feeSlots}) | ${ps.map((p) => `D = ${p.depth} (${accounts(p.depth)} accounts)`).join(" | ")} |`,
    `|---|${ps.map(() => "---|").join("")}`,
    ...rows.map(([label, k]) => `| ${label} | ${ps.map((_, i) => perTransfer(i, k)).join(" | ")} |`),
  ];
  for (const [i, p] of ps.entries()) {
    const sum = [...parts[i]!.values()].reduce((a, x) => a + x.count * x.each, 0);
    if (sum !== pinned(s.instances, p.name))
      throw new Error(`snapshots/constraints.json: the parts of ${p.name} add up to ${sum}, not its ${pinned(s.instances, p.name)}`);
  }
  lines.push(`| **total per batch** | ${ps.map((p) => `**${n(pinned(s.instances, p.name))}**`).join(" | ")} |`);
  lines.push(`| **per transfer** | ${ps.map((p) => `**${n(Math.round(pinned(s.instances, p.name) / p.batchSize))}**`).join(" | ")} |`);
  return lines.join("\n");
}

/** The instances of the gas figures ("[instance] what"), in the order Gas.test.ts reports them. */
function gasInstances(g: GasSnapshot): string[] {
  return [...new Set(Object.keys(g.figures).flatMap((k) => k.match(/^\[([a-z0-9_]+)\] /)?.[1] ?? []))];
}
const perInstance = (g: GasSnapshot, what: (name: string) => string) =>
  gasInstances(g)
    .map((i) => `${n(pinned(g.figures, `[${i}] ${what(i)}`))} (D = ${getInstance(i).depth})`)
    .join(", ");

function l1OpsTable(g: GasSnapshot): string {
  const f = (k: string) => n(pinned(g.figures, k));
  return [
    "| L1 operation (`test/contracts/Gas.test.ts`) | gas |",
    "|---|---|",
    `| \`depositETH\` (creates an account; pays the L1-operation fee on top) | ${f("depositETH (CREATE)")} |`,
    `| \`depositETHTo\` (existing account) | ${f("depositETHTo (DEPOSIT)")} |`,
    `| \`depositERC20\` (creates an account) / \`depositERC20To\` | ${f("depositERC20 (CREATE)")} / ${f("depositERC20To (DEPOSIT)")} |`,
    `| \`forceExit\` (only the account's owner; pays the fee) | ${f("forceExit")} |`,
    `| \`forceTransfer\` (only the sender's owner, to an account of its token; pays the fee) | ${f("forceTransfer")} |`,
    `| \`withdraw\` (ETH / ERC-20) | ${f("withdraw (ETH)")} / ${f("withdraw (ERC-20)")} |`,
    `| an exit in a batch (credit to the owner, not its first) | ${perInstance(g, () => "per exit (to = 0), repeat credit")} |`,
    `| \`escapeWithdraw\` (on-chain Merkle proof: Poseidon(3) leaf, Poseidon(8) per 8-ary level ~249k, Poseidon(4) root level ~71k) | ${perInstance(g, (i) => `escapeWithdraw (D = ${getInstance(i).depth})`)} |`,
  ].join("\n");
}

function batchGasTable(g: GasSnapshot): string {
  const is = gasInstances(g).map(getInstance);
  const row = (label: string, what: (batchSize: number) => string) =>
    `| ${label} | ${is.map((p) => n(pinned(g.figures, `[${p.name}] ${what(p.batchSize)}`))).join(" | ")} |`;
  return [
    `| \`submitBatch\` (\`test/contracts/Gas.test.ts\`; the MockVerifier unless noted) | ${is.map((p) => `${p.name} (D = ${p.depth}, N = ${p.batchSize})`).join(" | ")} |`,
    `|---|${is.map(() => "---|").join("")}`,
    row("nothing posted", () => "submitBatch, nothing posted"),
    row("N transfers posted (random non-zero bytes)", (N) => `submitBatch, ${N} transfers`),
    row("marginal gas per posted transfer", () => "marginal gas per transfer"),
    row("consuming 1 L1 operation with result 0, over the empty batch (its fee credited)", () => "batch consuming 1 L1 operation, result 0"),
    row("per L1 operation whose result is credited (first credit of its owner and token)", () => "per L1 operation, result credited"),
    row("nothing posted, with the test instance's generated verifier instead of the mock", () => "submitBatch fixed, real verifier"),
  ].join("\n");
}

/** Every generated table by its marker name. */
export function readmeTables(s = readConstraintSnapshot(), g = readGasSnapshot()): Record<string, string> {
  return { instances: instancesTable(s), components: componentsTable(s), "l1-ops-gas": l1OpsTable(g), "batch-gas": batchGasTable(g) };
}

/** `text` with every marked table replaced; throws on a marker without a table of that name or one left unclosed. */
export function renderReadme(text: string, tables = readmeTables()): string {
  const seen = new Set<string>();
  const out = text.replace(/^<!-- snapshot:([a-z0-9-]+) -->\n[\s\S]*?^<!-- \/snapshot -->$/gm, (_, name: string) => {
    const table = tables[name];
    if (table === undefined) throw new Error(`README.md: no table named "${name}"`);
    seen.add(name);
    return `<!-- snapshot:${name} -->\n${table}\n<!-- /snapshot -->`;
  });
  const missing = Object.keys(tables).filter((k) => !seen.has(k));
  if (missing.length) throw new Error(`README.md: no <!-- snapshot:NAME --> … <!-- /snapshot --> section for ${missing.join(", ")}`);
  return out;
}

/** Rewrites README.md's tables; returns whether anything changed. */
export function updateReadme(): boolean {
  const text = readFileSync(README, "utf8");
  const next = renderReadme(text);
  if (next !== text) writeFileSync(README, next);
  return next !== text;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (process.argv.includes("--check")) {
    const text = readFileSync(README, "utf8");
    const stale = renderReadme(text) !== text;
    console.log(
      stale ? "README.md's snapshot tables are stale (node --import tsx scripts/readme-tables.ts)" : "README.md's snapshot tables match the snapshots",
    );
    process.exit(stale ? 1 : 0);
  }
  console.log(updateReadme() ? "rewrote README.md's snapshot tables" : "README.md's snapshot tables were up to date");
}
