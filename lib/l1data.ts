// Reading zkr from L1 alone: the batches' calldata and the queued operations are everything
// needed to rebuild the whole L2 state and to re-check every batch's proof (data availability).
import { type Provider } from "ethers";
import { readFileSync } from "node:fs";
import { groth16, type Groth16Proof } from "snarkjs";
import { decodeBatchCall, type PostedBatchCall } from "./aggregate.js";
import { poseidonHasher, type ZkrCrypto } from "./crypto.js";
import { readL1Ops, type L1OpEvent, type RollupContract } from "./deploy.js";
import { type LogQueryOptions, queryLogs } from "./logs.js";
import type { DerivedParams } from "./params.js";
import { batchCoefficients, type BatchPublicData, dataCommitment, signalsOf } from "./publicInputs.js";
import { L2State } from "./state.js";
import type { QueuedL1Op } from "./l1.js";
import { decodeTransfer, type Transfer } from "./tx.js";

/** A batch as posted on L1: its event and its submitBatch calldata. */
export interface PostedBatch {
  number: bigint;
  oldRoot: bigint;
  newRoot: bigint;
  l1Count: number;
  /** Operations consumed before this batch (its first queue index). */
  l1From: bigint;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  l1Results: Uint8Array;
  feeIdx: Uint8Array;
  txData: Uint8Array;
  /** The posted Poseidon commitment to the batch data. */
  commitment: bigint;
  /** [a0, a1, b00, b01, b10, b11, c0, c1] as submitted. */
  proof: bigint[];
}

/**
 * All batches accepted by the rollup, in order, with their calldata (from submitBatch or
 * submitBatches transactions: the j-th BatchSubmitted event of a transaction is its j-th batch).
 * Events are read in chunks the node accepts (lib/logs.ts).
 */
export async function readBatches(rollup: RollupContract, fromBlock: number, opts: LogQueryOptions = {}): Promise<PostedBatch[]> {
  const provider = rollup.runner!.provider as Provider;
  const logs = await queryLogs(rollup, rollup.filters.BatchSubmitted!(), fromBlock, await provider.getBlockNumber(), opts);
  const calls = new Map<string, { batches: PostedBatchCall[]; next: number }>();
  const out: PostedBatch[] = [];
  let l1From = 0n;
  for (const log of logs) {
    if (!("args" in log)) throw new Error(`cannot decode log ${log.transactionHash}`);
    let call = calls.get(log.transactionHash);
    if (!call) {
      const tx = await provider.getTransaction(log.transactionHash);
      if (!tx) throw new Error(`transaction ${log.transactionHash} not found`);
      if (tx.to?.toLowerCase() !== (await rollup.getAddress()).toLowerCase()) {
        throw new Error(`batch ${log.args.batchNumber} was not submitted by a direct call to the rollup (${log.transactionHash})`);
      }
      call = { batches: decodeBatchCall(rollup.interface, tx.data), next: 0 };
      calls.set(log.transactionHash, call);
    }
    const posted = call.batches[call.next++];
    if (!posted) throw new Error(`transaction ${log.transactionHash} emitted more batches than its calldata holds`);
    const b: PostedBatch = {
      ...posted,
      number: log.args.batchNumber as bigint,
      oldRoot: log.args.oldRoot as bigint,
      newRoot: log.args.newRoot as bigint,
      l1From,
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
    };
    if (b.newRoot !== posted.newRoot) throw new Error(`batch ${b.number}: event and calldata disagree on the new root`);
    if (b.number !== BigInt(out.length + 1)) throw new Error(`batch events out of order: got ${b.number}, expected ${out.length + 1}`);
    out.push(b);
    l1From += BigInt(b.l1Count);
  }
  return out;
}

/**
 * Applies one batch as posted on L1 to `state`: its L1 operations (`ops`, the ones it consumed,
 * in queue order) with their posted results, then its posted transfers and exits, then its fees;
 * throws unless it starts from the state's root and ends at its posted root. `onTx` sees each
 * transfer with the nonce it used (the sender's nonce before it).
 */
export function applyPostedBatch(
  state: L2State,
  b: Pick<PostedBatch, "number" | "oldRoot" | "newRoot" | "l1Count" | "l1Results" | "feeIdx" | "txData">,
  ops: readonly QueuedL1Op[],
  onTx?: (t: Transfer) => void,
): void {
  const params = state.params;
  if (b.oldRoot !== state.root) throw new Error(`batch ${b.number} starts from root ${b.oldRoot}, rebuilt state has ${state.root}`);
  for (let i = 0; i < b.l1Count; i++) {
    const op = ops[i];
    if (!op) throw new Error(`batch ${b.number} consumes ${b.l1Count} L1 operations, ${ops.length} have events`);
    const posted = BigInt("0x" + Buffer.from(b.l1Results.subarray(16 * i, 16 * i + 16)).toString("hex"));
    const { result } = state.applyL1Op(op);
    if (result !== posted) throw new Error(`batch ${b.number}: L1 operation ${op.queueIndex} result ${posted} posted, ${result} rebuilt`);
  }
  const fees = new Map<bigint, bigint>();
  for (let o = 0; o < b.txData.length; o += params.txBytes) {
    const t = decodeTransfer(b.txData.subarray(o, o + params.txBytes), params);
    const sender = state.account(t.from);
    onTx?.({ ...t, nonce: sender?.nonce ?? 0n });
    state.applyPosted(t);
    if (sender !== undefined && t.fee > 0n) fees.set(sender.tokenId, (fees.get(sender.tokenId) ?? 0n) + t.fee);
  }
  for (let j = 0; j < params.feeSlots; j++) {
    const idx = BigInt("0x" + (Buffer.from(b.feeIdx.subarray(j * params.idxBytes, (j + 1) * params.idxBytes)).toString("hex") || "0"));
    if (idx === 0n) continue;
    const token = state.account(idx)?.tokenId;
    if (token === undefined) throw new Error(`batch ${b.number}: fee account ${idx} does not exist`);
    state.credit(idx, fees.get(token) ?? 0n);
  }
  if (state.root !== b.newRoot) throw new Error(`batch ${b.number}: rebuilt root ${state.root} differs from the posted root ${b.newRoot}`);
}

export interface RebuildResult {
  state: L2State;
  batches: PostedBatch[];
  ops: L1OpEvent[];
  /** The rollup's current root; equal to state.root (rebuild throws otherwise). */
  onChainRoot: bigint;
}

/**
 * Rebuild the L2 state from L1 events and calldata alone: replay every batch (its L1
 * operations with their posted results, then its posted transfers and exits, then its fees)
 * and check each batch's new root, and the final root against the contract.
 */
export async function rebuildFromL1(
  crypto: ZkrCrypto,
  params: DerivedParams,
  rollup: RollupContract,
  fromBlock: number,
  log: (m: string) => void = () => {},
  logs: LogQueryOptions = {},
): Promise<RebuildResult> {
  const [ops, batches] = await Promise.all([readL1Ops(rollup, fromBlock, logs), readBatches(rollup, fromBlock, logs)]);
  const state = new L2State(crypto, params);
  for (const b of batches) {
    applyPostedBatch(state, b, ops.slice(Number(b.l1From), Number(b.l1From) + b.l1Count));
    log(`batch ${b.number}: ${b.l1Count} L1 ops, ${b.txData.length / params.txBytes} txs, root ✓`);
  }
  // Operations queued but not yet consumed are not part of the state.
  const onChainRoot = await rollup.stateRoot();
  if (onChainRoot !== state.root) throw new Error(`rebuilt root ${state.root} differs from the root on L1 ${onChainRoot}`);
  return { state, batches, ops, onChainRoot };
}

export interface BatchVerification {
  batch: PostedBatch;
  /** [evaluation, challenge], recomputed from the L1 data and the posted commitment as the contract did. */
  publicSignals: [bigint, bigint];
  /** The posted commitment is the Poseidon commitment of the posted data (recomputed here). */
  commitmentValid: boolean;
  proofValid: boolean;
  /** The root after this batch equals the root the contract holds now or the next batch starts from. */
  rootConsistent: boolean;
}

/**
 * Re-check batch `number` from L1 data alone: recompute its public signals from the posted
 * calldata and commitment, the queue hash and the chain (as the contract did), check the
 * commitment against the data, and verify the proof with the verification key.
 */
export async function verifyBatchFromL1(
  params: DerivedParams,
  rollup: RollupContract,
  fromBlock: number,
  number: bigint,
  vkeyFile: string,
  tamper?: (b: PostedBatch) => void,
  logs: LogQueryOptions = {},
): Promise<BatchVerification> {
  const batches = await readBatches(rollup, fromBlock, logs);
  const batch = batches[Number(number) - 1];
  if (!batch || batch.number !== number) throw new Error(`no batch ${number} on L1 (there are ${batches.length})`);
  tamper?.(batch);
  const provider = rollup.runner!.provider as Provider;
  const chainId = (await provider.getNetwork()).chainId;
  const l1HashEnd = await rollup.l1ChainHash(batch.l1From + BigInt(batch.l1Count));
  const data: BatchPublicData = {
    oldRoot: batch.oldRoot,
    newRoot: batch.newRoot,
    chainId,
    rollupAddress: BigInt(await rollup.getAddress()),
    l1HashEnd,
    l1Count: batch.l1Count,
    feeIdxData: batch.feeIdx,
    l1ResultsData: batch.l1Results,
    txData: batch.txData,
  };
  const c = batchCoefficients(data, params);
  const publicSignals = signalsOf(c, batch.commitment);
  const commitmentValid = dataCommitment(c, await poseidonHasher()) === batch.commitment;
  const p = batch.proof.map(String);
  const proof: Groth16Proof = {
    pi_a: [p[0], p[1], "1"],
    pi_b: [[p[3], p[2]], [p[5], p[4]], ["1", "0"]],
    pi_c: [p[6], p[7], "1"],
    protocol: "groth16",
    curve: "bn128",
  };
  const vkey = JSON.parse(readFileSync(vkeyFile, "utf8"));
  const proofValid = await groth16.verify(vkey, publicSignals.map(String), proof);
  const next = batches[Number(number)];
  const rootConsistent = next ? next.oldRoot === batch.newRoot : (await rollup.stateRoot()) === batch.newRoot;
  return { batch, publicSignals, commitmentValid, proofValid, rootConsistent };
}
