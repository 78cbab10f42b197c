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
    for (const [name, p] of Object.entries(raw)) registry[name] = deriveParams({ name, ...p });
  }
  return registry;
}

/** The instance registered under `name`; throws a clear error for an unknown name. */
export function getInstance(name: string): DerivedParams {
  const p = instances()[name];
  if (!p) throw new Error(`unknown circuit instance "${name}" (known: ${Object.keys(instances()).join(", ")})`);
  return p;
}

/** The instance tests and the local devnet use. */
export const TEST_INSTANCE = "test_d4_b2";
