// Shared fixtures of the setup and prover tests: a tiny circuit of our own (not the batch
// circuit) and an isolated cache directory per test file.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** A circom main hashing `n` private inputs with Poseidon into one public output `out`. */
export function tinyMain(n: number): string {
  const names = Array.from({ length: n }, (_, i) => `x${i}`);
  return [
    "pragma circom 2.1.6;",
    'include "poseidon.circom";',
    "template Tiny() {",
    ...names.map((x) => `  signal input ${x};`),
    "  signal output out;",
    `  component h = Poseidon(${n});`,
    ...names.map((x, i) => `  h.inputs[${i}] <== ${x};`),
    "  out <== h.out;",
    "}",
    "component main = Tiny();",
    "",
  ].join("\n");
}

/**
 * Points $ZKR_CACHE at a fresh temporary directory for the enclosing mocha suite (so setups
 * start cold and the user's cache is untouched) and restores it afterwards. Returns a getter
 * for the directory.
 */
export function useTempCache(): () => string {
  let dir = "";
  let saved: { cache?: string; devPtau?: string } = {};
  before(function () {
    saved = { cache: process.env.ZKR_CACHE, devPtau: process.env.ZKR_DEV_PTAU };
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-cache-"));
    process.env.ZKR_CACHE = dir;
    delete process.env.ZKR_DEV_PTAU;
  });
  after(function () {
    restore("ZKR_CACHE", saved.cache);
    restore("ZKR_DEV_PTAU", saved.devPtau);
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
}

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** The error `p` rejects with; fails the test if it resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}
