// Where the proving pipeline keeps its files: the cache outside the repository and the
// generated contracts inside it.
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../util/paths.js";

/** Where the generated verifiers go for Hardhat to compile (gitignored). */
export const GENERATED_CONTRACTS_DIR = path.join(REPO_ROOT, "contracts", "generated");

/** Where compiled circuits, ptau files and keys are cached (never inside the repository). */
export function cacheDir(): string {
  return process.env.ZKR_CACHE ?? path.join(os.homedir(), ".cache", "zkr");
}

/** Where the setups (proving and verification keys, verifier) are kept: cacheDir()/setup. */
export function setupsDir(): string {
  return path.join(cacheDir(), "setup");
}

/** The directory of the setup of circuit `label` with setup key `key`: setupsDir()/<label>-<key>. */
export function setupDir(label: string, key: string): string {
  return path.join(setupsDir(), `${label}-${key}`);
}
