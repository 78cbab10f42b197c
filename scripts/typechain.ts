// Generates the TypeScript (ethers v6) bindings of the contracts the TypeScript code talks to, from
// their compiled ABI, into typechain-types/ (generated, not committed: bin/lint runs this before it
// type-checks; the code imports only types from it, so nothing at run time needs it). The generator is TypeChain's ethers-v6 target, run on ABI-only copies of the
// Hardhat artifacts: no bytecode goes into the bindings, so a factory only connects, and an edit
// that changes bytecode but not the ABI leaves them as they are.
//
//   npx hardhat build && npx tsx scripts/typechain.ts      (npm run typechain)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runTypeChain } from "typechain";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Where the generated bindings are written (git ignores it). */
export const BINDINGS_DIR = path.join(ROOT, "typechain-types");

/** The contracts bound, by fully qualified name: the Rollup and the interfaces of what it calls. */
export const BOUND_CONTRACTS = [
  "contracts/Rollup.sol:Rollup",
  "contracts/interfaces/IVerifier.sol:IVerifier",
  "contracts/interfaces/IPoseidon.sol:IPoseidon3",
  "contracts/interfaces/IPoseidon.sol:IPoseidon4",
  "contracts/interfaces/IPoseidon.sol:IPoseidon5",
  "contracts/interfaces/IPoseidon.sol:IPoseidon8",
  "contracts/interfaces/IERC20.sol:IERC20",
] as const;

/**
 * Writes the bindings of BOUND_CONTRACTS, from the artifacts in `artifactsDir`, to `outDir`
 * (which should be empty or hold earlier bindings: TypeChain overwrites, it does not delete).
 */
export async function generateBindings(outDir: string = BINDINGS_DIR, artifactsDir: string = path.join(ROOT, "artifacts")): Promise<void> {
  const abiDir = mkdtempSync(path.join(os.tmpdir(), "zkr-abi-"));
  try {
    const files = BOUND_CONTRACTS.map((name) => {
      const [source, contract] = name.split(":") as [string, string];
      const artifactFile = path.join(artifactsDir, source, `${contract}.json`);
      let abi: unknown;
      try {
        abi = (JSON.parse(readFileSync(artifactFile, "utf8")) as { abi: unknown }).abi;
      } catch (e) {
        throw new Error(`cannot read the artifact of ${name} (${artifactFile}): run \`npx hardhat build\``, { cause: e });
      }
      const file = path.join(abiDir, `${contract}.json`);
      writeFileSync(file, JSON.stringify(abi));
      return file;
    });
    await runTypeChain({
      cwd: ROOT,
      filesToProcess: files,
      allFiles: files,
      outDir,
      target: "ethers-v6",
      // .js extensions in relative imports, for module resolution NodeNext.
      flags: { alwaysGenerateOverloads: false, discriminateTypes: false, tsNocheck: false, environment: undefined, node16Modules: true },
    });
  } finally {
    rmSync(abiDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  rmSync(BINDINGS_DIR, { recursive: true, force: true });
  await generateBindings();
  console.log(`wrote ${path.relative(process.cwd(), BINDINGS_DIR) || "."}/ (${BOUND_CONTRACTS.length} contracts)`);
}
