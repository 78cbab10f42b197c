// Shared fixtures of the setup and prover tests: a tiny circuit of our own (not the batch
// circuit) and an isolated cache directory per test file.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { toolchainProblems } from "../../src/proving/build.js";
import { nativeToolchainProblems } from "../../src/proving/native.js";
import { cacheDir, setCacheDir } from "../../src/proving/paths.js";

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

/** A circom main chaining `n` Poseidon(2) hashes (240 constraints each): out = h(h(…h(x, y)…, y), y). */
export function poseidonChainMain(n: number): string {
  return [
    "pragma circom 2.1.6;",
    'include "poseidon.circom";',
    "template Chain(n) {",
    "  signal input x;",
    "  signal input y;",
    "  signal output out;",
    "  signal s[n + 1];",
    "  component h[n];",
    "  s[0] <== x;",
    "  for (var i = 0; i < n; i++) {",
    "    h[i] = Poseidon(2);",
    "    h[i].inputs[0] <== s[i];",
    "    h[i].inputs[1] <== y;",
    "    s[i + 1] <== h[i].out;",
    "  }",
    "  out <== s[n];",
    "}",
    `component main = Chain(${n});`,
    "",
  ].join("\n");
}

/**
 * Makes a fresh temporary directory the process's cache directory (setCacheDir) for the
 * enclosing mocha suite, so setups start cold and the user's cache is untouched (zkr processes
 * the suite starts get it too: test/cli/helpers.ts zkrEnv), and restores the previous one
 * afterwards. Returns a getter for the directory.
 */
export function useTempCache(): () => string {
  let dir = "";
  let saved = "";
  before(function () {
    saved = cacheDir();
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-cache-"));
    setCacheDir(dir);
  });
  after(function () {
    setCacheDir(saved);
    rmSync(dir, { recursive: true, force: true });
  });
  return () => dir;
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

/** Skips the suite whose before hook `ctx` is when the native prover cannot be built here, saying what is missing. */
/** Skips the suite (with the reason) where no C++ compiler is installed: the native crypto addon's only need. */
export async function skipWithoutCxx(ctx: Mocha.Context): Promise<void> {
  const problems = await toolchainProblems([], []);
  if (problems.length) {
    console.log(`      skipped: no C++ compiler for the native crypto: missing ${problems.join(", ")}`);
    ctx.skip();
  }
}

export async function skipWithoutNativeToolchain(ctx: Mocha.Context): Promise<void> {
  const problems = await nativeToolchainProblems();
  if (problems.length) {
    console.log(`      skipped: no toolchain for the native prover: missing ${problems.join(", ")} (run scripts/ensure-witness-toolchain.sh)`);
    ctx.skip();
  }
}
