// Where the repository is: every other path is derived from it by the module that owns it.
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository (this file is src/util/paths.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
