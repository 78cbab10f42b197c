// Shared set-up of the end-to-end tests: a Rollup with the real generated verifier of the test
// instance, deployed through src/chain/deploy.ts, and the one-batch path over the sequencer's
// components (src/sequencer/oneshot.ts) proving with snarkjs in this process.
import type { ContractTransactionResponse, Signer } from "ethers";
import { loadCrypto, type ZkrCrypto } from "../../src/model/crypto.js";
import { deployRollup, type FallbackVerifier, type RollupDeployment, type RollupPolicy } from "../../src/chain/deploy.js";
import { L2Key } from "../../src/model/keys.js";
import type { DerivedParams } from "../../src/model/params.js";
import { fallbackOf, getInstance, TEST_INSTANCE } from "../../src/proving/instances.js";
import type { SetupManifest } from "../../src/proving/manifest.js";
import { L2State } from "../../src/model/state.js";
import type { Domain } from "../../src/model/tx.js";
import { Prover } from "../../src/proving/prover.js";
import type { QueuedL1Op } from "../../src/model/l1op.js";
import type { SignedTransfer } from "../../src/model/tx.js";
import { LocalProofQueue } from "../../src/prover/queue.js";
import { type OneShotContext, pendingL1Ops, submitNextBatch, type SubmittedBatch } from "../../src/sequencer/oneshot.js";
import { sharedPoseidon, shorterFallback } from "../contracts/fixture.js";
import { fallbackSetup, testSetup } from "../fixtures.js";
import { setupVerifier } from "../../src/proving/verifier.js";

export const params = getInstance(TEST_INSTANCE);
export const ETH = 10n ** 18n;

export interface World {
  crypto: ZkrCrypto;
  manifest: SetupManifest;
  d: RollupDeployment;
  domain: Domain;
  state: L2State;
  /** The sequencer's signer, the state, the proof queue: what submit and pendingL1Ops work on. */
  oneShot: OneShotContext;
  /** Builds, proves and submits the next batch (the next L1 operations and `txs`) on `state`. */
  submit(txs?: SignedTransfer[]): Promise<SubmittedBatch>;
  /** The queued L1 operations not yet consumed, oldest first. */
  pendingL1Ops(): Promise<QueuedL1Op[]>;
}

let shared: Promise<{ crypto: ZkrCrypto; manifest: SetupManifest; prover: Prover; proofs: LocalProofQueue }> | undefined;

/** Setup of the test instance and one prover (and a proof queue over it) for the whole run (closed by closeProver). */
export function proving() {
  return (shared ??= (async () => {
    const manifest = (await testSetup()).manifest;
    const prover = new Prover(manifest);
    return { crypto: await loadCrypto(), manifest, prover, proofs: new LocalProofQueue(manifest, { prover }) };
  })());
}

export async function closeProver(): Promise<void> {
  if (shared) await (await shared).proofs.close(); // closes the prover too
  shared = undefined;
}

/**
 * The end-to-end tests' policy: an hour's delays, 10 minutes' grace, a fee of 0.0001 ETH per L1
 * operation (every deposit and forced exit here pays it) and a 1-wei minimum deposit.
 */
export const E2E_POLICY: RollupPolicy = {
  escapeDelay: 3600n,
  inactivityDelay: 3600n,
  l1Grace: 600n,
  fallbackDelay: 1800n,
  l1OpFee: 10n ** 14n,
  minDeposit: 1n,
};
/** The L1-operation fee of every newWorld rollup. */
export const FEE = E2E_POLICY.l1OpFee;

/** deployRollup's fallback option with the real verifier of the test instance's fallback (test_d4_b1). */
export async function realFallback(params: DerivedParams): Promise<FallbackVerifier> {
  const { manifest } = await fallbackSetup();
  const f = fallbackOf(params);
  if (manifest.label !== f.name) throw new Error(`the fallback setup is for ${manifest.label}, ${params.name}'s fallback is ${f.name}`);
  return { ...setupVerifier(manifest), params: f };
}

/** A fresh rollup of the test instance with its real verifier, E2E_POLICY (overridden by `policy`) and `sequencer` as its sequencer. */
export async function deployTestRollup(
  deployer: Signer & { address: string },
  sequencer: { address: string },
  policy: Partial<RollupPolicy> = {},
): Promise<{ crypto: ZkrCrypto; manifest: SetupManifest; d: RollupDeployment; domain: Domain }> {
  const { crypto, manifest } = await proving();
  const d = await deployRollup({
    signer: deployer,
    ...setupVerifier(manifest),
    fallback: await realFallback(params),
    poseidon: await sharedPoseidon(),
    params,
    sequencer: sequencer.address,
    ...E2E_POLICY,
    ...policy,
    fallbackDelay: policy.fallbackDelay ?? shorterFallback(policy.escapeDelay ?? E2E_POLICY.escapeDelay, E2E_POLICY.fallbackDelay),
  });
  return { crypto, manifest, d, domain: { chainId: d.chainId, rollupAddress: BigInt(d.rollupAddress) } };
}

/** A fresh rollup with the real verifier; `feeIdx` are the fee accounts named in every batch. */
export async function newWorld(
  deployer: Signer & { address: string },
  sequencer: Signer & { address: string },
  opts: Partial<RollupPolicy> & { feeIdx?: bigint[] } = {},
): Promise<World> {
  const { proofs } = await proving();
  const { feeIdx, ...policy } = opts;
  const { crypto, manifest, d, domain } = await deployTestRollup(deployer, sequencer, policy);
  const state = new L2State(crypto, params);
  const oneShot: OneShotContext = { state, rollup: d.rollup.connect(sequencer), proofs, domain, feeIdx: feeIdx ?? [], fromBlock: d.blockNumber };
  return { crypto, manifest, d, domain, state, oneShot, submit: (txs) => submitNextBatch(oneShot, txs), pendingL1Ops: () => pendingL1Ops(oneShot) };
}

export async function mined(tx: Promise<ContractTransactionResponse>) {
  const r = await (await tx).wait();
  if (!r || r.status !== 1) throw new Error("transaction failed");
  return r;
}

export const keys = (n: number) => Promise.all(Array.from({ length: n }, () => L2Key.random()));
