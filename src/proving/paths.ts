// Where the proving pipeline keeps its files: the cache outside the repository and the
// generated contracts inside it.
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "../util/paths.js";

/** Where the generated verifiers go for Hardhat to compile (gitignored). */
export const GENERATED_CONTRACTS_DIR = path.join(REPO_ROOT, "contracts", "generated");

/** The cache directory when none is set: ~/.cache/zkr. */
export const DEFAULT_CACHE_DIR = path.join(os.homedir(), ".cache", "zkr");

let cacheRoot: string | undefined;

/**
 * Sets the process's cache directory (every pipeline stage and every proving child process
 * this process starts uses it); undefined restores DEFAULT_CACHE_DIR. Entry points set it at
 * start-up from their configuration: src/cli/config.ts applyProcessSettings ($ZKR_CACHE).
 */
export function setCacheDir(dir: string | undefined): void {
  cacheRoot = dir === undefined ? undefined : path.resolve(dir);
}

/** Where compiled circuits, ptau files and keys are cached (never inside the repository). */
export function cacheDir(): string {
  return cacheRoot ?? DEFAULT_CACHE_DIR;
}

/** Where the setups (proving and verification keys, verifier) are kept: cacheDir()/setup. */
export function setupsDir(): string {
  return path.join(cacheDir(), "setup");
}

/** The directory of the setup of circuit `label` with setup key `key`: setupsDir()/<label>-<key>. */
export function setupDir(label: string, key: string): string {
  return path.join(setupsDir(), `${label}-${key}`);
}
