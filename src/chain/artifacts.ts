// The compiled contracts (Hardhat artifacts) the deployer and the tests read.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { InterfaceAbi } from "ethers";
import { REPO_ROOT } from "../util/paths.js";

/** Where `npx hardhat build` writes its artifacts. */
export const ARTIFACTS_DIR = path.join(REPO_ROOT, "artifacts");

/** The part of a Hardhat 3 artifact (hh3-artifact-1) deployment needs. */
export interface Artifact {
  contractName: string;
  /** Source path relative to the project root, e.g. "contracts/Rollup.sol". */
  sourceName: string;
  abi: InterfaceAbi;
  bytecode: string;
  inputSourceName?: string;
  buildInfoId?: string;
}

/**
 * Reads the compiled artifact of a contract, by bare name ("Rollup") or fully qualified name
 * ("contracts/Rollup.sol:Rollup"). Throws a clear error if it has not been built, is ambiguous,
 * or is older than its source file.
 */
export function readArtifact(name: string, artifactsDir: string = ARTIFACTS_DIR, opts: { allowStale?: boolean } = {}): Artifact {
  let file: string;
  const colon = name.lastIndexOf(":");
  if (colon >= 0) {
    file = path.join(artifactsDir, name.slice(0, colon), `${name.slice(colon + 1)}.json`);
    if (!existsSync(file)) throw new Error(`no artifact for contract ${name} in ${artifactsDir}: ${BUILD_HINT}`);
  } else {
    const found = existsSync(artifactsDir) ? findArtifactFiles(artifactsDir, `${name}.json`) : [];
    if (found.length === 0) throw new Error(`no artifact for contract ${name} in ${artifactsDir}: ${BUILD_HINT}`);
    if (found.length > 1) {
      const names = found.map((f) => `${path.relative(artifactsDir, path.dirname(f))}:${name}`);
      throw new Error(`contract name ${name} is ambiguous, use one of: ${names.join(", ")}`);
    }
    file = found[0]!;
  }
  const artifact = JSON.parse(readFileSync(file, "utf8")) as Artifact;
  if (typeof artifact.bytecode !== "string" || !Array.isArray(artifact.abi)) {
    throw new Error(`${file} is not a Hardhat contract artifact`);
  }
  if (!opts.allowStale) assertFresh(artifact, artifactsDir);
  return artifact;
}

const BUILD_HINT = "run `npx hardhat build` (verifiers in contracts/generated/ are written by the circuit setup first)";

function findArtifactFiles(dir: string, fileName: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "build-info") findArtifactFiles(p, fileName, out);
    } else if (entry.name === fileName) {
      out.push(p);
    }
  }
  return out;
}

/** Throws if the contract's source file changed since the build that produced `artifact`. */
function assertFresh(artifact: Artifact, artifactsDir: string): void {
  if (!artifact.buildInfoId || !artifact.inputSourceName) return;
  const buildInfoFile = path.join(artifactsDir, "build-info", `${artifact.buildInfoId}.json`);
  if (!existsSync(buildInfoFile)) return;
  const buildInfo = JSON.parse(readFileSync(buildInfoFile, "utf8")) as {
    input?: { sources?: Record<string, { content?: string }> };
  };
  const built = buildInfo.input?.sources?.[artifact.inputSourceName]?.content;
  const sourceFile = path.join(REPO_ROOT, artifact.sourceName);
  const current = existsSync(sourceFile) ? readFileSync(sourceFile, "utf8") : undefined;
  if (built !== undefined && built !== current) {
    throw new Error(`the artifact of ${artifact.contractName} is stale (${artifact.sourceName} changed since it was built): ${BUILD_HINT}`);
  }
}
