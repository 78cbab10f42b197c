import { Contract, type ContractRunner, ContractFactory, getAddress, id, type InterfaceAbi, type Provider, type Signer, type TransactionReceipt } from "ethers";
import { poseidonHasher, SNARK_FIELD } from "../model/crypto.js";
import { poseidon8TableInitcodes } from "./poseidonBytecode.js";
import { type DerivedParams } from "../model/params.js";
import { ARTIFACTS_DIR, readArtifact } from "./artifacts.js";
import type { IRollup, Rollup } from "../../typechain-types/Rollup.js";
import { sendAndWait } from "./send.js";

/** One batch of Rollup.submitBatches (the Rollup's BatchData struct): submitBatch's arguments but the proof. */
export type BatchCalldata = IRollup.BatchDataStruct;

/**
 * Rollup.sol's public surface, typed for ethers v6: the TypeChain binding generated from its ABI
 * (typechain-types/, written by scripts/typechain.ts).
 */
export type RollupContract = Rollup;

/** The Rollup deployed at `address`, called through `runner` (a signer to send transactions). */
export function rollupAt(address: string, runner: ContractRunner | null): RollupContract {
  // Talking to a deployed contract needs only its ABI: an edited source does not matter here
  // (deploying stale bytecode does, so deployment keeps the freshness check).
  return new Contract(getAddress(address), readArtifact("Rollup", ARTIFACTS_DIR, { allowStale: true }).abi, runner) as unknown as RollupContract;
}

/**
 * What the test-only contracts/test/MockVerifier.sol (it accepts any proof) returns as its
 * verifyingKeyHash(), for tests and benchmarks that deploy it (the contract tests check the two agree).
 */
export const MOCK_VERIFIER_KEY_HASH = id("zkr MockVerifier: accepts any proof");

/** Input counts of the Poseidon contracts a Rollup uses: leaves, tree root level, queue chain, tree levels. */
export const POSEIDON_ARITIES = [3, 4, 5, 8] as const;
export type PoseidonArity = (typeof POSEIDON_ARITIES)[number];
export type PoseidonAddresses = Record<PoseidonArity, string>;

// Production defaults of the rollup's immutable parameters (docs/PROTOCOL.md "L1 operations").
/** Escape delay: the oldest L1 operation must have waited a week before escape mode can open. */
export const DEFAULT_ESCAPE_DELAY = 7n * 24n * 3600n;
/** Inactivity delay: and no batch may have been accepted for a day (at most the escape delay). */
export const DEFAULT_INACTIVITY_DELAY = 24n * 3600n;
/** Grace: a batch may leave out only L1 operations queued less than an hour ago. */
export const DEFAULT_L1_GRACE = 3600n;
/** Fee per L1 operation, wei (0.001 ETH): pays a batch slot (a 4-slot batch's ~250k gas fixed cost at ~16 gwei), prices floods. */
export const DEFAULT_L1_OP_FEE = 10n ** 15n;
/** Smallest ETH deposit, wei (0.001 ETH). */
export const DEFAULT_MIN_DEPOSIT = 10n ** 15n;
/**
 * Fallback delay: six hours of sequencer silence (or of an L1 operation's wait) and anyone may
 * submit batches proven with the fallback instance (Rollup.sol fallbackOpenAfter).
 */
export const DEFAULT_FALLBACK_DELAY = 6n * 3600n;
/**
 * Local development chains (`zkr devnet`, the CLI tests): an hour's delays, 5 minutes' grace, the
 * fallback after 15 minutes, a fee of 0.0001 ETH and a minimum deposit of 0.000001 ETH.
 */
export const DEV_POLICY: RollupPolicy = {
  escapeDelay: 3600n,
  inactivityDelay: 3600n,
  l1Grace: 300n,
  fallbackDelay: 900n,
  l1OpFee: 10n ** 14n,
  minDeposit: 10n ** 12n,
};

/** The circomlibjs Poseidon contract over `n` inputs (bytecode generated, not Solidity). */
export function poseidonContractAt(address: string, n: PoseidonArity, runner: ContractRunner | null): Contract {
  return new Contract(getAddress(address), [`function poseidon(uint256[${n}] input) pure returns (uint256)`], runner);
}

/**
 * Throws unless the contract at `address` computes circomlibjs's Poseidon over `n` inputs
 * (checked on one input vector against src/model/crypto.ts): guards against a wrong address or arity.
 */
export async function checkPoseidonContract(address: string, n: PoseidonArity, runner: ContractRunner): Promise<void> {
  const inputs = Array.from({ length: n }, (_, i) => SNARK_FIELD - 1n - BigInt(i));
  const expected = (await poseidonHasher())(inputs);
  let got: bigint;
  try {
    got = (await poseidonContractAt(address, n, runner).getFunction("poseidon").staticCall(inputs)) as bigint;
  } catch (e) {
    throw new Error(`the contract at ${address} is not a ${n}-input Poseidon (the call failed: ${(e as Error).message})`, { cause: e });
  }
  if (got !== expected) throw new Error(`the contract at ${address} is not a ${n}-input Poseidon (wrong output)`);
}

/** The rollup's immutable policy parameters (docs/PROTOCOL.md "L1 operations"). */
export interface RollupPolicy {
  /** Seconds the oldest L1 operation must wait before escape mode can open (1 ..< 2^64). */
  escapeDelay: bigint;
  /** Seconds without a batch before escape mode can open (1 ..= escapeDelay). */
  inactivityDelay: bigint;
  /** Seconds: a batch may leave out only L1 operations younger than this (< escapeDelay). */
  l1Grace: bigint;
  /**
   * Seconds of sequencer silence, or of an L1 operation's wait, after which anyone may submit
   * fallback batches (1 ..< escapeDelay).
   */
  fallbackDelay: bigint;
  /** Wei every L1 operation pays (< 2^128). */
  l1OpFee: bigint;
  /** Smallest ETH deposit in wei (1 ..< 2^128). */
  minDeposit: bigint;
}

/**
 * The policy with production defaults for what is not given; the inactivity delay defaults to
 * min(a day, escapeDelay), the grace to min(an hour, escapeDelay / 2) and the fallback delay to
 * min(six hours, escapeDelay / 4) (at least 1). Throws on values the contract would refuse,
 * naming them.
 */
export function rollupPolicy(p: Partial<RollupPolicy> = {}): RollupPolicy {
  const escapeDelay = p.escapeDelay ?? DEFAULT_ESCAPE_DELAY;
  const min = (a: bigint, b: bigint) => (a < b ? a : b);
  const policy: RollupPolicy = {
    escapeDelay,
    inactivityDelay: p.inactivityDelay ?? min(DEFAULT_INACTIVITY_DELAY, escapeDelay),
    l1Grace: p.l1Grace ?? min(DEFAULT_L1_GRACE, escapeDelay / 2n),
    fallbackDelay: p.fallbackDelay ?? (min(DEFAULT_FALLBACK_DELAY, escapeDelay / 4n) || 1n),
    l1OpFee: p.l1OpFee ?? DEFAULT_L1_OP_FEE,
    minDeposit: p.minDeposit ?? DEFAULT_MIN_DEPOSIT,
  };
  if (policy.escapeDelay <= 0n || policy.escapeDelay >= 1n << 64n) throw new Error(`escape delay must be 1 ..< 2^64 seconds, got ${policy.escapeDelay}`);
  if (policy.inactivityDelay <= 0n || policy.inactivityDelay > escapeDelay) {
    throw new Error(`inactivity delay must be 1 .. the escape delay (${escapeDelay}) seconds, got ${policy.inactivityDelay}`);
  }
  if (policy.l1Grace < 0n || policy.l1Grace >= escapeDelay)
    throw new Error(`L1 grace must be 0 ..< the escape delay (${escapeDelay}) seconds, got ${policy.l1Grace}`);
  if (policy.fallbackDelay <= 0n || policy.fallbackDelay >= escapeDelay)
    throw new Error(`fallback delay must be 1 ..< the escape delay (${escapeDelay}) seconds, got ${policy.fallbackDelay}`);
  if (policy.l1OpFee < 0n || policy.l1OpFee >= 1n << 128n) throw new Error(`L1-operation fee must be 0 ..< 2^128 wei, got ${policy.l1OpFee}`);
  if (policy.minDeposit <= 0n || policy.minDeposit >= 1n << 128n) throw new Error(`minimum deposit must be 1 ..< 2^128 wei, got ${policy.minDeposit}`);
  return policy;
}

export interface DeployRollupOptions extends Partial<RollupPolicy> {
  /** Sends the deployment transactions; it becomes the admin who registers tokens. */
  signer: Signer;
  /**
   * Contract name of the verifier to deploy, "ZkrVerifier_<label>" (src/proving/verifier.ts
   * setupVerifier gives it with its key hash); or use verifierAddress.
   */
  verifierArtifact?: string;
  /** Address of an already deployed verifier; or use verifierArtifact. */
  verifierAddress?: string;
  /**
   * Hash of the verification key the verifier must check (src/proving/verifier.ts verifyingKeyHash of the
   * setup's verification_key.json): the Rollup's constructor refuses a verifier of another key.
   */
  verifyingKeyHash: string;
  /** Already deployed Poseidon contracts (checked); deployed from circomlibjs bytecode if absent. */
  poseidon?: PoseidonAddresses;
  /** The circuit instance the verifier was generated for. */
  params: DerivedParams;
  /**
   * The fallback verifier (Rollup.sol submitFallbackBatch): its artifact or address and key hash as
   * for the main one, and its instance, of the same depth (src/proving/instances.ts fallbackOf).
   */
  fallback: FallbackVerifier;
  /** Address allowed to submit batches. */
  sequencer: string;
}

export interface FallbackVerifier {
  verifierArtifact?: string;
  verifierAddress?: string;
  verifyingKeyHash: string;
  params: DerivedParams;
}

export interface RollupDeployment {
  rollup: RollupContract;
  rollupAddress: string;
  verifierAddress: string;
  /** The verifying key hash the Rollup stores. */
  verifyingKeyHash: string;
  fallbackVerifierAddress: string;
  fallbackVerifyingKeyHash: string;
  /** The policy the Rollup was deployed with. */
  policy: RollupPolicy;
  poseidon: PoseidonAddresses;
  chainId: bigint;
  /** Block holding the Rollup deployment: where an indexer starts reading events. */
  blockNumber: number;
  /** Receipt of the verifier deployment, absent when an existing verifier was used. */
  verifierReceipt?: TransactionReceipt;
  /** Receipt of the fallback verifier's deployment, likewise. */
  fallbackVerifierReceipt?: TransactionReceipt;
  /** Receipts of the Poseidon deployments, absent when existing ones were used. */
  poseidonReceipts?: TransactionReceipt[];
  rollupReceipt: TransactionReceipt;
}

async function deployCode(
  name: string,
  abi: InterfaceAbi,
  bytecode: string,
  signer: Signer,
  args: unknown[],
  nonce: number,
): Promise<{ address: string; receipt: TransactionReceipt }> {
  const factory = new ContractFactory(abi, bytecode, signer);
  const receipt = await sendAndWait(async () => (await factory.deploy(...args, { nonce })).deploymentTransaction()!, factory.interface, {
    what: `deploying ${name}`,
  });
  if (!receipt.contractAddress) throw new Error(`deploying ${name} failed (transaction ${receipt.hash})`);
  return { address: receipt.contractAddress, receipt };
}

async function checkHasCode(provider: Provider, address: string, what: string): Promise<void> {
  if ((await provider.getCode(address)) === "0x") throw new Error(`no contract at ${what} address ${address}`);
}

/**
 * Deploys the Poseidon contracts for 3, 4, 5 (circomlibjs bytecode) and 8 inputs
 * (contracts/Poseidon8.sol and its two constants tables), with consecutive nonces from `nonce`
 * (default: the signer's pending nonce). Returns every deployment's receipt.
 */
export async function deployPoseidonContracts(signer: Signer, nonce?: number): Promise<{ addresses: PoseidonAddresses; receipts: TransactionReceipt[] }> {
  let next = nonce ?? (await signer.getNonce("pending"));
  const deployed: { address: string; receipt: TransactionReceipt }[] = [];
  const receipts: TransactionReceipt[] = [];
  for (const n of POSEIDON_ARITIES) {
    if (n === 8) {
      // circomlibjs's generator stops at 6 inputs: contracts/Poseidon8.sol over a constants table.
      const tables = [];
      for (const [i, code] of poseidon8TableInitcodes().entries()) {
        tables.push(await deployCode(`Poseidon(8) constants ${i}`, [], code, signer, [], next++));
        receipts.push(tables[i]!.receipt);
      }
      const art = readArtifact("Poseidon8");
      deployed.push(
        await deployCode(
          "Poseidon(8)",
          art.abi,
          art.bytecode,
          signer,
          tables.map((t) => t.address),
          next++,
        ),
      );
    } else {
      const { poseidonContract } = await import("circomlibjs"); // loaded when deploying only: it takes seconds
      deployed.push(await deployCode(`Poseidon(${n})`, [], poseidonContract.createCode(n), signer, [], next++));
    }
    receipts.push(deployed[deployed.length - 1]!.receipt);
  }
  return {
    addresses: Object.fromEntries(POSEIDON_ARITIES.map((n, i) => [n, deployed[i]!.address])) as PoseidonAddresses,
    receipts,
  };
}

type VerifierOption = Pick<FallbackVerifier, "verifierArtifact" | "verifierAddress" | "verifyingKeyHash">;

function checkVerifierOption(v: Partial<VerifierOption>, what: string): void {
  if ((v.verifierArtifact === undefined) === (v.verifierAddress === undefined)) {
    throw new Error(`give exactly one of the ${what}verifier's artifact and address`);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(v.verifyingKeyHash ?? "")) throw new Error(`the ${what}verifyingKeyHash must be 32 bytes of hex, got ${v.verifyingKeyHash}`);
}

/** Deploys the verifier of `v.verifierArtifact` with `nonce` (then a receipt), or checks the code at `v.verifierAddress`. */
async function deployVerifier(v: VerifierOption, signer: Signer, nonce: number, what: string): Promise<{ address: string; receipt?: TransactionReceipt }> {
  if (v.verifierArtifact !== undefined) {
    const { abi, bytecode, contractName } = readArtifact(v.verifierArtifact);
    return deployCode(contractName, abi, bytecode, signer, [], nonce);
  }
  const address = getAddress(v.verifierAddress!);
  await checkHasCode(signer.provider!, address, what);
  return { address };
}

/**
 * Deploys the Poseidon contracts and the verifier (unless addresses are given) and a Rollup for
 * `params`, from the artifacts `npx hardhat build` wrote. Works with any ethers v6 signer:
 * Hardhat's in-process network or a JSON-RPC node. Nonces are assigned explicitly, so a
 * provider's request cache cannot make a deployment reuse the previous one's nonce.
 */
export async function deployRollup(opts: DeployRollupOptions): Promise<RollupDeployment> {
  const { signer, params, fallback } = opts;
  checkVerifierOption(opts, "");
  if (!fallback) throw new Error("a rollup needs its fallback verifier (the fallback option: Rollup.sol submitFallbackBatch)");
  checkVerifierOption(fallback, "fallback ");
  if (fallback.params.depth !== params.depth)
    throw new Error(`the fallback instance ${fallback.params.name} has depth ${fallback.params.depth}, the rollup's ${params.name} ${params.depth}`);
  const policy = rollupPolicy(opts);
  const sequencer = getAddress(opts.sequencer);
  const provider = signer.provider;
  if (!provider) throw new Error("the signer must be connected to a provider");
  const rollupArtifact = readArtifact("Rollup");

  let nonce = await signer.getNonce("pending");
  let poseidon: PoseidonAddresses;
  let poseidonReceipts: TransactionReceipt[] | undefined;
  if (opts.poseidon) {
    poseidon = { ...opts.poseidon };
    for (const n of POSEIDON_ARITIES) {
      poseidon[n] = getAddress(poseidon[n]);
      await checkHasCode(provider, poseidon[n], `Poseidon(${n})`);
      await checkPoseidonContract(poseidon[n], n, provider);
    }
  } else {
    ({ addresses: poseidon, receipts: poseidonReceipts } = await deployPoseidonContracts(signer, nonce));
    nonce += poseidonReceipts.length; // one transaction per receipt
  }

  const main = await deployVerifier(opts, signer, nonce, "verifier");
  if (main.receipt) nonce++;
  const fb = await deployVerifier(fallback, signer, nonce, "fallback verifier");
  if (fb.receipt) nonce++;
  const verifierAddress = main.address;

  const { address: rollupAddress, receipt: rollupReceipt } = await deployCode(
    "Rollup",
    rollupArtifact.abi,
    rollupArtifact.bytecode,
    signer,
    [
      verifierAddress,
      fb.address,
      poseidon[3],
      poseidon[4],
      poseidon[5],
      poseidon[8],
      {
        sequencer,
        depth: params.depth,
        batchSize: params.batchSize,
        l1Slots: params.l1Slots,
        feeSlots: params.feeSlots,
        ...policy,
        verifyingKeyHash: opts.verifyingKeyHash,
        fallbackBatchSize: fallback.params.batchSize,
        fallbackL1Slots: fallback.params.l1Slots,
        fallbackFeeSlots: fallback.params.feeSlots,
        fallbackVerifyingKeyHash: fallback.verifyingKeyHash,
      },
    ],
    nonce,
  );
  const rollup = rollupAt(rollupAddress, signer);
  return {
    rollup,
    rollupAddress,
    verifierAddress,
    verifyingKeyHash: opts.verifyingKeyHash.toLowerCase(),
    fallbackVerifierAddress: fb.address,
    fallbackVerifyingKeyHash: fallback.verifyingKeyHash.toLowerCase(),
    policy,
    poseidon,
    chainId: (await provider.getNetwork()).chainId,
    blockNumber: rollupReceipt.blockNumber,
    verifierReceipt: main.receipt,
    fallbackVerifierReceipt: fb.receipt,
    poseidonReceipts,
    rollupReceipt,
  };
}
