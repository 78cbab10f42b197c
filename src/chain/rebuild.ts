// Reading zkr from L1 alone: the batches' calldata and the queued operations are everything
// needed to rebuild the whole L2 state and to re-check every batch's proof (data availability).
import type { JsonRpcApiProvider, Provider } from "ethers";
import { readFileSync } from "node:fs";
import { groth16 } from "snarkjs";
import { type BatchCall, decodeBatchCall, NotABatchCall } from "./calldata.js";
import { applyBatchData } from "../model/batch.js";
import { type BatchData, txCount } from "../model/batchData.js";
import { poseidonHasher, type ZkrCrypto } from "../model/crypto.js";
import { type RollupContract } from "./deploy.js";
import { readL1Ops, type L1OpEvent } from "./events.js";
import { type LogQueryOptions, queryLogs } from "./logs.js";
import type { DerivedParams } from "../model/params.js";
import { batchCoefficients, dataCommitment, signalsOf } from "../model/publicInputs.js";
import { L2State } from "../model/state.js";
import { type SolidityProof, unpackGroth16Proof } from "../proving/proof.js";
import { batchParams } from "../proving/instances.js";
import { verifyingKeyHash } from "../proving/vkey.js";

/** A batch as posted on L1: its BatchSubmitted event (number, old root, block) and its data and proof from the call. */
export interface PostedBatch {
  number: bigint;
  oldRoot: bigint;
  /** Operations consumed before this batch (its first queue index). */
  l1From: bigint;
  txHash: string;
  blockNumber: number;
  blockHash: string;
  data: BatchData;
  /** [a0, a1, b00, b01, b10, b11, c0, c1] as submitted. */
  proof: SolidityProof;
  /** Posted by submitFallbackBatch: the data and proof are of the rollup's fallback instance. */
  fallback?: boolean;
}

/** One frame of a geth-style `callTracer` trace (debug_traceTransaction). */
interface CallFrame {
  type: string;
  to?: string;
  input?: string;
  error?: string;
  calls?: CallFrame[];
}

/**
 * The calldata of every call into the rollup that could have emitted BatchSubmitted events, in
 * execution order: CALL frames to `rollup` that did not revert and whose callers did not revert
 * (a reverted frame's events are discarded; DELEGATECALL and STATICCALL run no rollup state).
 */
function rollupCalls(frame: CallFrame, rollup: string, out: string[] = []): string[] {
  if (frame.error !== undefined) return out;
  if (frame.type === "CALL" && frame.to?.toLowerCase() === rollup && frame.input) out.push(frame.input);
  for (const c of frame.calls ?? []) rollupCalls(c, rollup, out);
  return out;
}

/**
 * The batches a transaction posted, in the order it applied them. A direct call to the rollup is
 * decoded from the transaction's input. A call through another contract (a multisig, a relayer)
 * is decoded from the node's call trace (debug_traceTransaction with the callTracer, which geth,
 * erigon, reth, anvil and Hardhat offer): its successful submitBatch(es) calls into the rollup.
 * Without a trace, or when the trace does not account for the transaction's events, the error
 * names the batch, the transaction and why.
 */
async function postedBatchesOf(
  provider: Provider,
  rollup: RollupContract,
  rollupAddress: string,
  txHash: string,
  firstBatch: bigint,
  events: number,
  traceCall: (txHash: string) => Promise<unknown>,
): Promise<BatchCall[]> {
  const tx = await provider.getTransaction(txHash);
  if (!tx) throw new Error(`transaction ${txHash} (batch ${firstBatch}) not found`);
  const where = `batch ${firstBatch} (transaction ${txHash}) was submitted through contract ${tx.to ?? "(creation)"}, not by a direct call to the rollup`;
  let inputs: string[];
  if (tx.to?.toLowerCase() === rollupAddress) {
    inputs = [tx.data];
  } else {
    let trace: CallFrame;
    try {
      trace = (await traceCall(txHash)) as CallFrame;
    } catch (e) {
      throw new Error(
        `${where}, and the node cannot trace it (debug_traceTransaction with the callTracer: ${(e as Error).message.split("\n")[0]}): read L1 through a node that offers it`,
        { cause: e },
      );
    }
    inputs = rollupCalls(trace, rollupAddress);
    if (inputs.length === 0) throw new Error(`${where}, and its call trace holds no successful call into the rollup`);
  }
  const batches: BatchCall[] = [];
  for (const input of inputs) {
    try {
      batches.push(...decodeBatchCall(rollup.interface, input));
    } catch (e) {
      // Another call into the rollup in the same transaction (a deposit, say) emits no batch.
      if (!(e instanceof NotABatchCall)) throw e;
    }
  }
  if (batches.length !== events) {
    throw new Error(
      `transaction ${txHash} emitted ${events} BatchSubmitted events (from batch ${firstBatch}) but its calls into the rollup post ${batches.length} batches`,
    );
  }
  return batches;
}

export interface ReadBatchesOptions {
  /**
   * The call trace (geth `callTracer` format) of a transaction that reached the rollup through
   * another contract. Default: debug_traceTransaction on the rollup's provider.
   */
  traceCall?: (txHash: string) => Promise<unknown>;
  /** Last block to read (default: the latest). */
  toBlock?: number;
  /**
   * The first batch expected from `fromBlock` on and the queue index of its first L1 operation,
   * for a reader that goes on from where it stopped (default: batch 1 and index 0, reading from the
   * deployment block).
   */
  start?: { number: bigint; l1From: bigint };
}

/**
 * All batches accepted by the rollup, in order, with their calldata (from submitBatch or
 * submitBatches calls: the j-th BatchSubmitted event of a transaction is its j-th posted batch),
 * whether the transaction called the rollup directly or through another contract (postedBatchesOf).
 * Events are read in chunks the node accepts (src/chain/logs.ts). From a later block, `start`
 * names the first batch expected there (the numbering must go on from it without a gap).
 */
export async function readBatches(rollup: RollupContract, fromBlock: number, opts: ReadBatchesOptions & LogQueryOptions = {}): Promise<PostedBatch[]> {
  const provider = rollup.runner!.provider as Provider;
  const traceCall = opts.traceCall ?? ((hash: string) => (provider as JsonRpcApiProvider).send("debug_traceTransaction", [hash, { tracer: "callTracer" }]));
  const rollupAddress = (await rollup.getAddress()).toLowerCase();
  const toBlock = opts.toBlock ?? (await provider.getBlockNumber());
  const logs = await queryLogs(rollup, rollup.filters.BatchSubmitted!(), fromBlock, toBlock, opts);
  const perTx = new Map<string, number>();
  for (const log of logs) perTx.set(log.transactionHash, (perTx.get(log.transactionHash) ?? 0) + 1);
  const calls = new Map<string, { batches: BatchCall[]; next: number }>();
  const out: PostedBatch[] = [];
  const first = opts.start?.number ?? 1n;
  let l1From = opts.start?.l1From ?? 0n;
  for (const log of logs) {
    if (!("args" in log)) throw new Error(`cannot decode log ${log.transactionHash}`);
    let call = calls.get(log.transactionHash);
    if (!call) {
      const batches = await postedBatchesOf(
        provider,
        rollup,
        rollupAddress,
        log.transactionHash,
        log.args.batchNumber as bigint,
        perTx.get(log.transactionHash)!,
        traceCall,
      );
      call = { batches, next: 0 };
      calls.set(log.transactionHash, call);
    }
    const posted = call.batches[call.next++]!;
    const b: PostedBatch = {
      number: log.args.batchNumber as bigint,
      oldRoot: log.args.oldRoot as bigint,
      l1From,
      txHash: log.transactionHash,
      blockNumber: log.blockNumber,
      blockHash: log.blockHash,
      ...posted,
    };
    if ((log.args.newRoot as bigint) !== posted.data.newRoot) throw new Error(`batch ${b.number}: event and calldata disagree on the new root`);
    if (BigInt(posted.data.l1Count) !== (log.args.l1Count as bigint))
      throw new Error(`batch ${b.number}: event and calldata disagree on the L1 operations consumed`);
    const expected = first + BigInt(out.length);
    if (b.number !== expected) throw new Error(`batch events out of order: got ${b.number}, expected ${expected}`);
    out.push(b);
    l1From += BigInt(b.data.l1Count);
  }
  return out;
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
    const p = batchParams(params, b.fallback);
    applyBatchData(state, b, ops.slice(Number(b.l1From), Number(b.l1From) + b.data.l1Count), undefined, p);
    log(`${b.fallback ? "fallback " : ""}batch ${b.number}: ${b.data.l1Count} L1 ops, ${txCount(b.data, p)} txs, root ✓`);
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
  /** The rollup's verifyingKeyHash (its fallbackVerifyingKeyHash for a fallback batch): its verifier checks proofs against this key. */
  onChainKeyHash: string;
  /** The verification key used here has the rollup's verifyingKeyHash (else proofValid says nothing about L1). */
  keyHashMatches: boolean;
}

/**
 * Re-check batch `number` from L1 data alone: recompute its public signals from the posted
 * calldata and commitment, the queue hash and the chain (as the contract did), check the
 * commitment against the data, verify the proof with the verification key, and check that the
 * key is the one the rollup's verifier checks (its verifyingKeyHash).
 */
export async function verifyBatchFromL1(
  params: DerivedParams,
  rollup: RollupContract,
  fromBlock: number,
  number: bigint,
  vkeyFile: string,
  logs: LogQueryOptions = {},
  fallbackVkeyFile?: string,
): Promise<BatchVerification> {
  const batches = await readBatches(rollup, fromBlock, logs);
  const batch = batches[Number(number) - 1];
  if (!batch || batch.number !== number) throw new Error(`no batch ${number} on L1 (there are ${batches.length})`);
  return verifyPostedBatch(params, rollup, batch, batches[Number(number)], vkeyFile, fallbackVkeyFile);
}

/**
 * verifyBatchFromL1's checks of one posted batch (as readBatches returns it); `next` is the batch
 * after it, if there is one (its old root must be this batch's new root, else the rollup's root
 * as of block `blockTag`, default the latest: the block read up to, for a reader that goes on
 * while batches land). A fallback batch is checked as a batch of the fallback instance, with
 * `fallbackVkeyFile` (its setup's key; an error saying so if it is not given) against the
 * rollup's fallbackVerifyingKeyHash.
 */
export async function verifyPostedBatch(
  rollupParams: DerivedParams,
  rollup: RollupContract,
  batch: PostedBatch,
  next: PostedBatch | undefined,
  mainVkeyFile: string,
  fallbackVkeyFile?: string,
  blockTag?: number,
): Promise<BatchVerification> {
  const params = batchParams(rollupParams, batch.fallback);
  const vkeyFile = batch.fallback ? fallbackVkeyFile : mainVkeyFile;
  if (vkeyFile === undefined)
    throw new Error(
      `batch ${batch.number} is a fallback batch: its proof is checked with the verification key of the fallback setup (${params.name}), which was not given`,
    );
  const provider = rollup.runner!.provider as Provider;
  const chainId = (await provider.getNetwork()).chainId;
  const l1HashEnd = await rollup.l1ChainHash(batch.l1From + BigInt(batch.data.l1Count));
  const c = batchCoefficients({ ...batch.data, oldRoot: batch.oldRoot, chainId, rollupAddress: BigInt(await rollup.getAddress()), l1HashEnd }, params);
  const publicSignals = signalsOf(c, batch.data.commitment);
  const commitmentValid = dataCommitment(c, await poseidonHasher()) === batch.data.commitment;
  const proof = unpackGroth16Proof(batch.proof);
  const vkey = JSON.parse(readFileSync(vkeyFile, "utf8"));
  const proofValid = await groth16.verify(vkey, publicSignals.map(String), proof);
  const rootConsistent = next ? next.oldRoot === batch.data.newRoot : (await rollup.stateRoot({ blockTag })) === batch.data.newRoot;
  const onChainKeyHash = (await (batch.fallback ? rollup.fallbackVerifyingKeyHash() : rollup.verifyingKeyHash())).toLowerCase();
  return { batch, publicSignals, commitmentValid, proofValid, rootConsistent, onChainKeyHash, keyHashMatches: onChainKeyHash === verifyingKeyHash(vkey) };
}
