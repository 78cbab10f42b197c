import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  type BaseContract,
  type BaseContractMethod,
  type BigNumberish,
  type BytesLike,
  Contract,
  type ContractRunner,
  type ContractTransactionResponse,
  ContractFactory,
  getAddress,
  type Interface,
  type InterfaceAbi,
  type Signer,
  type TransactionReceipt,
} from "ethers";
import { SNARK_FIELD } from "./crypto.js";
import { type DerivedParams, REPO_ROOT } from "./params.js";

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

/**
 * Reads the compiled artifact of a contract, by bare name ("Rollup") or fully qualified name
 * ("contracts/Rollup.sol:Rollup"). Throws a clear error if it has not been built, is ambiguous,
 * or is older than its source file.
 */
export function readArtifact(name: string, artifactsDir: string = ARTIFACTS_DIR): Artifact {
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
  assertFresh(artifact, artifactsDir);
  return artifact;
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

/** Rollup.sol's public surface, typed for ethers v6. */
export interface RollupContract extends BaseContract {
  SNARK_FIELD: BaseContractMethod<[], bigint, bigint>;
  verifier: BaseContractMethod<[], string, string>;
  depth: BaseContractMethod<[], bigint, bigint>;
  batchSize: BaseContractMethod<[], bigint, bigint>;
  feeSlots: BaseContractMethod<[], bigint, bigint>;
  idxBytes: BaseContractMethod<[], bigint, bigint>;
  txBytes: BaseContractMethod<[], bigint, bigint>;
  genesisRoot: BaseContractMethod<[], bigint, bigint>;
  stateRoot: BaseContractMethod<[], bigint, bigint>;
  sequencer: BaseContractMethod<[], string, string>;
  batchNumber: BaseContractMethod<[], bigint, bigint>;
  inputHash: BaseContractMethod<[newRoot: BigNumberish, feeIdx: BytesLike, txData: BytesLike], bigint, bigint>;
  submitBatch: BaseContractMethod<
    [newRoot: BigNumberish, feeIdx: BytesLike, txData: BytesLike, proof: BigNumberish[]],
    void,
    ContractTransactionResponse
  >;
  setSequencer: BaseContractMethod<[newSequencer: string], void, ContractTransactionResponse>;
  connect(runner: ContractRunner | null): RollupContract;
}

/** The Rollup deployed at `address`, called through `runner` (a signer to send transactions). */
export function rollupAt(address: string, runner: ContractRunner | null): RollupContract {
  return new Contract(getAddress(address), readArtifact("Rollup").abi, runner) as unknown as RollupContract;
}

export interface DeployRollupOptions {
  /** Sends the deployment transactions. */
  signer: Signer;
  /** Contract name of the verifier to deploy, e.g. "Groth16Verifier_<label>"; or use verifierAddress. */
  verifierArtifact?: string;
  /** Address of an already deployed verifier; or use verifierArtifact. */
  verifierAddress?: string;
  /** The circuit instance the verifier was generated for. */
  params: DerivedParams;
  /** Root of the initial account tree. */
  genesisRoot: bigint;
  /** Address allowed to submit batches. */
  sequencer: string;
}

export interface RollupDeployment {
  rollup: RollupContract;
  rollupAddress: string;
  verifierAddress: string;
  chainId: bigint;
  /** Block holding the Rollup deployment: where an indexer starts reading events. */
  blockNumber: number;
  /** Receipt of the verifier deployment, absent when an existing verifier was used. */
  verifierReceipt?: TransactionReceipt;
  rollupReceipt: TransactionReceipt;
}

async function deployArtifact(
  artifact: Artifact,
  signer: Signer,
  args: unknown[],
  nonce: number,
): Promise<{ address: string; receipt: TransactionReceipt }> {
  const factory = new ContractFactory(artifact.abi, artifact.bytecode, signer);
  let contract: BaseContract;
  try {
    contract = await factory.deploy(...args, { nonce });
  } catch (err) {
    const reason = decodeRevert(err, factory.interface);
    if (reason) throw new Error(`deploying ${artifact.contractName} reverted: ${reason}`, { cause: err });
    throw err;
  }
  const receipt = await contract.deploymentTransaction()!.wait();
  if (!receipt || receipt.status !== 1 || !receipt.contractAddress) {
    throw new Error(`deploying ${artifact.contractName} failed (transaction ${receipt?.hash})`);
  }
  return { address: receipt.contractAddress, receipt };
}

/**
 * Deploys the verifier (unless an address is given) and a Rollup for `params`, from the
 * artifacts `npx hardhat build` wrote. Works with any ethers v6 signer: Hardhat's in-process
 * network or a JSON-RPC node. Nonces are assigned explicitly, so a provider's request cache
 * cannot make the second deployment reuse the first one's nonce.
 */
export async function deployRollup(opts: DeployRollupOptions): Promise<RollupDeployment> {
  const { signer, params } = opts;
  if ((opts.verifierArtifact === undefined) === (opts.verifierAddress === undefined)) {
    throw new Error("give exactly one of verifierArtifact and verifierAddress");
  }
  if (opts.genesisRoot < 0n || opts.genesisRoot >= SNARK_FIELD) {
    throw new Error(`genesis root ${opts.genesisRoot} is not a field element`);
  }
  const sequencer = getAddress(opts.sequencer);
  const provider = signer.provider;
  if (!provider) throw new Error("the signer must be connected to a provider");
  const rollupArtifact = readArtifact("Rollup");
  const verifierArtifact = opts.verifierArtifact !== undefined ? readArtifact(opts.verifierArtifact) : undefined;

  let nonce = await signer.getNonce("pending");
  let verifierAddress: string;
  let verifierReceipt: TransactionReceipt | undefined;
  if (verifierArtifact) {
    const deployed = await deployArtifact(verifierArtifact, signer, [], nonce++);
    verifierAddress = deployed.address;
    verifierReceipt = deployed.receipt;
  } else {
    verifierAddress = getAddress(opts.verifierAddress!);
    if ((await provider.getCode(verifierAddress)) === "0x") {
      throw new Error(`no contract at verifier address ${verifierAddress}`);
    }
  }

  const { address: rollupAddress, receipt: rollupReceipt } = await deployArtifact(
    rollupArtifact,
    signer,
    [verifierAddress, opts.genesisRoot, sequencer, params.depth, params.batchSize, params.feeSlots],
    nonce,
  );
  return {
    rollup: rollupAt(rollupAddress, signer),
    rollupAddress,
    verifierAddress,
    chainId: (await provider.getNetwork()).chainId,
    blockNumber: rollupReceipt.blockNumber,
    verifierReceipt,
    rollupReceipt,
  };
}

/** Revert data (0x-prefixed hex) carried by an error from ethers or a JSON-RPC provider, if any. */
export function revertData(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): string | undefined => {
    if (e === null || typeof e !== "object" || seen.has(e) || depth > 6) return undefined;
    seen.add(e);
    const o = e as Record<string, unknown>;
    if (typeof o.data === "string" && /^0x([0-9a-fA-F]{2})*$/.test(o.data) && o.data.length >= 10) return o.data;
    for (const key of ["data", "error", "info", "cause", "revert"]) {
      const found = visit(o[key], depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return visit(err, 0);
}

/**
 * The custom error (or Error(string)/Panic) in an error's revert data, decoded with `iface`,
 * formatted as `Name(arg, ...)`; undefined if the error carries no revert data it knows.
 */
export function decodeRevert(err: unknown, iface: Interface): string | undefined {
  const data = revertData(err);
  if (!data) return undefined;
  const parsed = iface.parseError(data);
  if (!parsed) return undefined;
  return `${parsed.name}(${parsed.args.map((a) => String(a)).join(", ")})`;
}
