// Rollup fixtures for the contract tests: deployment through src/chain/deploy.ts (the CLI's code) over a
// MockVerifier with a test policy (a non-zero L1-operation fee every deposit and forced exit pays,
// short delays), and a model sequencer that builds every batch with the TypeScript model
// (src/model/state.ts, src/model/batch.ts) and submits it with the mock pinned to the model's input hash, so
// each model-driven batch also checks input-hash parity between src/model and Rollup.sol.
import { Contract, type ContractTransactionReceipt, type Signer } from "ethers";
import { SNARK_FIELD, loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { buildBatch, type Batch } from "../../src/model/batch.js";
import {
  type BatchCalldata,
  deployPoseidonContracts,
  deployRollup,
  type FallbackVerifier,
  MOCK_VERIFIER_KEY_HASH,
  type PoseidonAddresses,
  type RollupContract,
  type RollupDeployment,
  type RollupPolicy,
} from "../../src/chain/deploy.js";
import { batchArgs, batchStruct } from "../../src/chain/calldata.js";
import { type L1OpEvent, readL1Ops } from "../../src/chain/events.js";
import { readArtifact } from "../../src/chain/artifacts.js";
import { l1ChainStep, l1OpsForBatch } from "../../src/model/l1op.js";
import { type DerivedParams } from "../../src/model/params.js";
import { fallbackOf, getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import { L2State } from "../../src/model/state.js";
import type { Domain, SignedTransfer } from "../../src/model/tx.js";
import { hardhat } from "../fixtures.js";
import { mined, seededBelow } from "./helpers.js";

export const { ethers } = await hardhat();
/** A signer of the in-process network (address known synchronously). */
export type User = Signer & { address: string };
const all: User[] = await ethers.getSigners();
if (all.length < 6) throw new Error("the contract tests need 6 funded accounts");
/** The deployer is the admin; the rest are plain users. */
export const [deployer, sequencer, alice, bob, carol, dave] = all as [User, User, User, User, User, User];
export const chainId = (await ethers.provider.getNetwork()).chainId;

let poseidonP: Promise<PoseidonAddresses> | undefined;

/** The Poseidon contracts, deployed once per test run and reused (deployRollup checks them). */
export function sharedPoseidon(): Promise<PoseidonAddresses> {
  return (poseidonP ??= deployPoseidonContracts(deployer).then((d) => d.addresses));
}

export interface Fixture {
  d: RollupDeployment;
  /** The rollup, called by the sequencer. */
  rollup: RollupContract;
  mock: Contract;
  params: DerivedParams;
  domain: Domain;
  /** The L1-operation fee every deposit and forced exit pays (wei). */
  fee: bigint;
  /** The rollup called by `signer`. */
  as(signer: Signer): RollupContract;
}

/**
 * The contract tests' policy: an hour's escape and inactivity delay, 10 minutes' grace, a fee
 * (an odd number of wei, so a fee mistaken for an amount shows) and a 1-wei minimum deposit.
 */
export const TEST_POLICY: RollupPolicy = {
  escapeDelay: 3600n,
  inactivityDelay: 3600n,
  l1Grace: 600n,
  fallbackDelay: 1800n,
  l1OpFee: 7_000_000_011n,
  minDeposit: 1n,
};

/** A batch the model built (ModelSequencer.build), with its calldata and mock proof. */
export interface Built {
  batch: Batch;
  proof: bigint[];
  /** Its submitBatches entry. */
  data: BatchCalldata;
  /** submitBatch's arguments. */
  args: readonly [bigint, number, string, string, string, bigint, bigint[]];
  l1Count: number;
  cp: ReturnType<L2State["checkpoint"]>;
}

export interface FixtureOptions extends Partial<RollupPolicy> {
  params?: DerivedParams;
}

/** A test policy's fallback delay, shrunk below a shorter escape delay (the contract needs it below). */
export function shorterFallback(escapeDelay: bigint, fallbackDelay: bigint): bigint {
  return fallbackDelay < escapeDelay ? fallbackDelay : escapeDelay / 2n || 1n;
}

/**
 * deployRollup's fallback option for tests that do not prove fallback batches: a MockVerifier (it
 * accepts any proof) for `params`'s fallback instance. The fallback tests deploy the real one.
 */
export function mockFallback(params: DerivedParams): FallbackVerifier {
  // An instance made up in a test (another depth than the registered one it was derived from) is its own fallback.
  const f = fallbackOf(params);
  return { verifierArtifact: "MockVerifier", verifyingKeyHash: MOCK_VERIFIER_KEY_HASH, params: f.depth === params.depth ? f : params };
}

/** A fresh Rollup over a fresh MockVerifier, deployed with deployRollup (TEST_POLICY unless overridden). */
export async function deployWithMock(opts: FixtureOptions = {}): Promise<Fixture> {
  const { params: p, ...policy } = opts;
  const params = p ?? getInstance(TEST_INSTANCE);
  const d = await deployRollup({
    signer: deployer,
    verifierArtifact: "MockVerifier",
    verifyingKeyHash: MOCK_VERIFIER_KEY_HASH,
    fallback: mockFallback(params),
    poseidon: await sharedPoseidon(),
    params,
    sequencer: sequencer.address,
    ...TEST_POLICY,
    ...policy,
    fallbackDelay: policy.fallbackDelay ?? shorterFallback(policy.escapeDelay ?? TEST_POLICY.escapeDelay, TEST_POLICY.fallbackDelay),
  });
  const mock = new Contract(d.verifierAddress, readArtifact("MockVerifier").abi, deployer);
  return {
    d,
    rollup: d.rollup.connect(sequencer),
    mock,
    params,
    domain: { chainId, rollupAddress: BigInt(d.rollupAddress) },
    fee: d.policy.l1OpFee,
    as: (signer) => d.rollup.connect(signer),
  };
}

/** A random-looking but deterministic Groth16 proof argument (the mock checks only equality). */
export function proofFor(seed: string): bigint[] {
  return Array.from({ length: 8 }, (_, i) => seededBelow(`${seed}/proof/${i}`, SNARK_FIELD));
}

/** Moves the chain's clock forward by `seconds` and mines a block. */
export async function increaseTime(seconds: bigint): Promise<void> {
  await ethers.provider.send("evm_increaseTime", [Number(seconds)]);
  await ethers.provider.send("evm_mine", []);
}

let cryptoP: Promise<ZkrCrypto> | undefined;
export function crypto(): Promise<ZkrCrypto> {
  return (cryptoP ??= loadCrypto());
}

/**
 * A sequencer driven by the TypeScript model: it reads the queue from L1 events, checks the
 * contract's chain hashes against src/model/l1op.ts, applies operations and transfers to an L2State with
 * buildBatch, and submits each batch with the mock verifier expecting exactly the model's
 * input hash (a mismatch makes the mock reject, so submit() fails).
 */
export class ModelSequencer {
  readonly state: L2State;
  /** L1 operations the model has applied (= the contract's l1Processed after each batch). */
  processed = 0;
  private batches = 0;

  constructor(
    readonly f: Fixture,
    readonly crypto: ZkrCrypto,
  ) {
    this.state = new L2State(crypto, f.params);
  }

  static async create(f: Fixture): Promise<ModelSequencer> {
    return new ModelSequencer(f, await crypto());
  }

  /** Every queued operation, its chain hash recomputed with src/model/l1op.ts and compared to the event's. */
  async queue(): Promise<L1OpEvent[]> {
    const ops = await readL1Ops(this.f.rollup, this.f.d.blockNumber);
    let h = 0n;
    for (const [i, op] of ops.entries()) {
      if (op.queueIndex !== BigInt(i)) throw new Error(`queue index ${op.queueIndex} at position ${i}`);
      h = l1ChainStep(this.crypto.hash, h, op);
      if (h !== op.chainHash) throw new Error(`chain hash of operation ${i}: model ${h}, contract ${op.chainHash}`);
    }
    return ops;
  }

  /**
   * Builds the next batch on the model (the next `l1Count` queued operations, default as many as
   * fit, a forced transfer only first, then `txs`) without submitting it: the model's state and position move on; `rollback`
   * undoes that if the batch is not accepted. The proof is a fresh mock proof.
   */
  async build(opts: { l1Count?: number; txs?: SignedTransfer[]; feeIdx?: bigint[] } = {}): Promise<Built> {
    const queue = await this.queue();
    const pending = queue.slice(this.processed);
    const l1Ops = pending.slice(0, opts.l1Count ?? l1OpsForBatch(pending, this.f.params.l1Slots));
    const l1HashStart = this.processed === 0 ? 0n : queue[this.processed - 1]!.chainHash;
    const cp = this.state.checkpoint();
    const batch = buildBatch(this.state, { l1Ops, txs: opts.txs ?? [] }, { domain: this.f.domain, feeIdx: opts.feeIdx ?? [], l1HashStart });
    if (batch.rejected.length > 0) {
      this.state.revert(cp);
      throw new Error(`model rejected a transfer: ${batch.rejected[0]!.error.message}`);
    }
    this.processed += l1Ops.length;
    const proof = proofFor(`batch/${this.f.d.rollupAddress}/${++this.batches}`);
    const data = batchStruct(batch.data);
    const args = [...batchArgs(batch.data), proof] as const;
    return { batch, proof, data, args, cp, l1Count: l1Ops.length };
  }

  /** Undoes `build`s, the last first. */
  rollback(...built: Built[]): void {
    for (const b of [...built].reverse()) {
      this.state.revert(b.cp);
      this.processed -= b.l1Count;
    }
  }

  /** Keeps what `build`s did (after the L1 accepted them). */
  commit(...built: Built[]): void {
    for (const _ of built) this.state.commit();
  }

  /**
   * Builds the next batch and submits it with submitBatch, the mock pinned to the model's public
   * signals (in a block at `timestamp`, if given). The model is rolled back if the submission fails.
   */
  async submit(opts: { l1Count?: number; txs?: SignedTransfer[]; feeIdx?: bigint[]; timestamp?: bigint } = {}): Promise<{
    batch: Batch;
    receipt: ContractTransactionReceipt;
  }> {
    const b = await this.build(opts);
    try {
      await mined(this.f.mock.expectCall(b.proof, b.batch.publicSignals));
      if (opts.timestamp !== undefined) await ethers.provider.send("evm_setNextBlockTimestamp", [Number(opts.timestamp)]);
      const receipt = await mined(this.f.rollup.submitBatch(...b.args));
      this.commit(b);
      return { batch: b.batch, receipt };
    } catch (e) {
      this.rollback(b);
      throw e;
    }
  }

  /** Pins the mock to exactly these batches' proofs and signals, as submitBatches passes them. */
  async expectBatches(built: Built[]): Promise<void> {
    await mined(
      this.f.mock.expectCalls(
        built.map((b) => b.proof),
        built.map((b) => b.batch.publicSignals),
      ),
    );
  }

  /** Sum of all L2 balances per token id. */
  l2Totals(): Map<bigint, bigint> {
    const totals = new Map<bigint, bigint>();
    for (const [, a] of this.state.entries()) totals.set(a.tokenId, (totals.get(a.tokenId) ?? 0n) + a.balance);
    return totals;
  }
}
