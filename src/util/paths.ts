// Where the repository is: every other path is derived from it by the module that owns it.
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * True when this code runs from the bundle bin/zkr starts (build/bundle/<key>/*.mjs, made from
 * src/ by scripts/bundle.ts), false when it runs from its TypeScript sources (tsx, mocha).
 */
export const BUNDLED = !import.meta.url.endsWith(".ts");

/** Root of the repository (this file is src/util/paths.ts, or part of a bundle file build/bundle/<key>/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), ...(BUNDLED ? ["..", "..", ".."] : ["..", ".."]));
