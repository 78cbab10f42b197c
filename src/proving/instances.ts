// The circuit instances registered by name in circuits/instances.json.
import { readFileSync } from "node:fs";
import path from "node:path";
import { type CircuitParams, type DerivedParams, deriveParams } from "../model/params.js";
import { REPO_ROOT } from "../util/paths.js";

let registry: Record<string, DerivedParams> | undefined;

/** All circuit instances registered in circuits/instances.json. */
export function instances(): Record<string, DerivedParams> {
  if (!registry) {
    const raw = JSON.parse(readFileSync(path.join(REPO_ROOT, "circuits", "instances.json"), "utf8")) as Record<string, Omit<CircuitParams, "name">>;
    registry = {};
    const all: Record<string, DerivedParams> = {};
    for (const [name, p] of Object.entries(raw)) all[name] = deriveParams({ name, ...p });
    for (const p of Object.values(all)) checkFallback(p, all);
    registry = all;
  }
  return registry;
}

/** Largest transaction count of a fallback instance: anyone must be able to prove it on a laptop. */
export const MAX_FALLBACK_BATCH_SIZE = 4;

function checkFallback(p: DerivedParams, all: Record<string, DerivedParams>): void {
  const f = all[p.fallback ?? p.name];
  if (!f) throw new Error(`instance ${p.name}: its fallback instance "${p.fallback}" is not registered`);
  if (f.depth !== p.depth) throw new Error(`instance ${p.name}: its fallback ${f.name} has depth ${f.depth}, not ${p.depth} (the same tree)`);
  if (f.linked) throw new Error(`instance ${p.name}: its fallback ${f.name} must be a monolithic circuit`);
  if (f.batchSize > MAX_FALLBACK_BATCH_SIZE || f.l1Slots < 1)
    throw new Error(`instance ${p.name}: its fallback ${f.name} must have 1..${MAX_FALLBACK_BATCH_SIZE} transaction slots and at least one L1 slot`);
}

/** The instance a posted batch of the rollup of `p` is of: the fallback's if it came from submitFallbackBatch. */
export function batchParams(p: DerivedParams, fallback: boolean | undefined): DerivedParams {
  return fallback ? fallbackOf(p) : p;
}

/**
 * The fallback instance of `p` (CircuitParams.fallback, or `p` itself): what the rollup's second
 * verifier checks, for batches anyone may submit once the sequencer is silent.
 */
export function fallbackOf(p: DerivedParams): DerivedParams {
  if (p.fallback === undefined) return p;
  const f = instances()[p.fallback];
  if (!f) throw new Error(`instance ${p.name}: its fallback instance "${p.fallback}" is not registered`);
  return f;
}

/** The instance registered under `name`; throws a clear error for an unknown name. */
export function getInstance(name: string): DerivedParams {
  const p = instances()[name];
  if (!p) throw new Error(`unknown circuit instance "${name}" (known: ${Object.keys(instances()).join(", ")})`);
  return p;
}

/** The instance tests and the local devnet use. */
export const TEST_INSTANCE = "test_d4_b2";
