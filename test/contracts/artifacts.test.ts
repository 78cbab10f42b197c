// src/chain/deploy.ts readArtifact: lookup by name, and clear errors for missing, ambiguous and stale
// artifacts. Uses throw-away artifact folders, never the project's own.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { readArtifact } from "../../src/chain/artifacts.js";
import { REPO_ROOT } from "../../src/util/paths.js";

describe("readArtifact", () => {
  let dir: string;
  const rollupSource = readFileSync(path.join(REPO_ROOT, "contracts", "Rollup.sol"), "utf8");

  /** Writes a minimal hh3 artifact whose build info recorded `builtContent` for its source. */
  function writeArtifact(sourceName: string, contractName: string, builtContent: string): void {
    const buildInfoId = `solc-test-${contractName}-${sourceName.replace(/\W/g, "_")}`;
    const artifactDir = path.join(dir, sourceName);
    mkdirSync(artifactDir, { recursive: true });
    mkdirSync(path.join(dir, "build-info"), { recursive: true });
    const inputSourceName = `project/${sourceName}`;
    const artifact = { _format: "hh3-artifact-1", contractName, sourceName, abi: [], bytecode: "0x00", inputSourceName, buildInfoId };
    writeFileSync(path.join(artifactDir, `${contractName}.json`), JSON.stringify(artifact));
    const buildInfo = { input: { sources: { [inputSourceName]: { content: builtContent } } } };
    writeFileSync(path.join(dir, "build-info", `${buildInfoId}.json`), JSON.stringify(buildInfo));
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "zkr-artifacts-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds an artifact by bare or fully qualified name", () => {
    writeArtifact("contracts/Rollup.sol", "Rollup", rollupSource);
    expect(readArtifact("Rollup", dir).sourceName).to.equal("contracts/Rollup.sol");
    expect(readArtifact("contracts/Rollup.sol:Rollup", dir).contractName).to.equal("Rollup");
  });

  it("says how to build a missing artifact", () => {
    expect(() => readArtifact("Rollup", path.join(dir, "nothing-here"))).to.throw(/no artifact for contract Rollup.*npx hardhat build/);
    writeArtifact("contracts/Rollup.sol", "Rollup", rollupSource);
    expect(() => readArtifact("Verifier", dir)).to.throw(/no artifact for contract Verifier/);
    expect(() => readArtifact("contracts/Other.sol:Rollup", dir)).to.throw(/no artifact for contract contracts\/Other.sol:Rollup/);
  });

  it("asks for a fully qualified name when a bare name is ambiguous", () => {
    writeArtifact("contracts/Rollup.sol", "Rollup", rollupSource);
    writeArtifact("contracts/test/Rollup.sol", "Rollup", "");
    expect(() => readArtifact("Rollup", dir)).to.throw(
      /ambiguous, use one of: (contracts\/Rollup.sol:Rollup, contracts\/test\/Rollup.sol:Rollup|contracts\/test\/Rollup.sol:Rollup, contracts\/Rollup.sol:Rollup)/,
    );
    expect(readArtifact("contracts/Rollup.sol:Rollup", dir).sourceName).to.equal("contracts/Rollup.sol");
  });

  it("rejects a stale artifact (source changed since the build)", () => {
    writeArtifact("contracts/Rollup.sol", "Rollup", rollupSource + "\n// an older version\n");
    expect(() => readArtifact("Rollup", dir)).to.throw(/stale \(contracts\/Rollup.sol changed.*npx hardhat build/);
  });

  it("reads the project's built Rollup artifact", () => {
    const artifact = readArtifact("Rollup");
    expect(artifact.bytecode).to.match(/^0x[0-9a-f]{100,}$/);
    expect(JSON.stringify(artifact.abi)).to.include("submitBatch");
  });
});
