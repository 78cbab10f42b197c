// Running a sequencer for a deployment: the service (state rebuilt from its database and checked
// against L1), its proving backend (in this process, or BullMQ workers) and its HTTP API.
import { getAddress, type Signer } from "ethers";
import type { FastifyInstance } from "fastify";
import { rollupAt } from "../chain/deploy.js";
import type { SetupManifest } from "../proving/manifest.js";
import type { ProverChoice, WitnessChoice } from "../proving/prover.js";
import type { ProofQueue } from "../prover/queue.js";
import type { SignatureVerifierPool } from "../proving/signaturePool.js";
import type { Finality } from "../sequencer/finality.js";
import type { FatalError } from "../sequencer/errors.js";
import type { Sequencer } from "../sequencer/service.js";
import type { Log } from "../util/log.js";
import { type Deployment, deploymentParams } from "./deployment.js";

export interface SequencerServiceOptions {
  deployment: Deployment;
  /** The sequencer's L1 key, connected to the provider. */
  signer: Signer;
  manifest: SetupManifest;
  db: string;
  host: string;
  port: number;
  /** Prove through BullMQ workers instead of in this process. */
  redis?: { url: string; queue: string };
  /** Witness calculator of the in-process prover (default "wasm"). */
  witness?: WitnessChoice;
  /** Groth16 prover of the in-process prover (default "auto": native where it builds, else snarkjs). */
  prover?: ProverChoice;
  feeIdx?: bigint[];
  batchTimeoutMs?: number;
  /** When a batch is final (default: src/sequencer/finality.ts defaultFinality for the chain). */
  finality?: Finality;
  maxInFlight?: number;
  /** Proven batches per submitBatches transaction, at most (the Sequencer's default where absent). */
  maxAggregate?: number;
  /** How long a proven batch may wait for the next proofs to share its transaction (the Sequencer's default, 0, where absent). */
  aggregateWaitMs?: number;
  maxLogRange?: number;
  /** Mempool limits and minimum fees (the Sequencer's defaults where absent). */
  mempool?: { maxPending?: number; maxPendingPerSender?: number; minFee?: ReadonlyMap<bigint, bigint> };
  /** Bound of the L2 state's caches in entries (the Sequencer's default where absent). */
  stateCache?: number;
  /**
   * Worker threads that check the submissions' signatures (default: the cores,
   * os.availableParallelism()); 0 checks them on the service's thread.
   */
  signatureThreads?: number;
  log?: Log;
}

export interface RunningSequencer {
  /** Base URL of the API. */
  url: string;
  sequencer: Sequencer;
  /** Resolves with the error (code and reason) if the sequencer stopped on a fatal error. */
  halted: Promise<FatalError>;
  /** Stops the API, the batch loop, the prover (waiting for a proof in progress) and the database. */
  stop(): Promise<void>;
}

/** Starts the sequencer (state rebuilt from its database, checked against L1) and its API. */
export async function startSequencer(o: SequencerServiceOptions): Promise<RunningSequencer> {
  const rollup = rollupAt(o.deployment.rollup, o.signer);
  const onChain = getAddress(await rollup.sequencer());
  const address = getAddress(await o.signer.getAddress());
  if (onChain !== address) throw new Error(`the L1 key's address ${address} is not the rollup's sequencer ${onChain}`);
  // Loaded here, not at start-up: most commands never run a sequencer.
  const [{ loadCrypto }, signaturePool, { Prover }, { LocalProofQueue }, { buildApi }, { Sequencer }, { SequencerStore }, { defaultFinality }] =
    await Promise.all([
      import("../model/crypto.js"),
      import("../proving/signaturePool.js"),
      import("../proving/prover.js"),
      import("../prover/queue.js"),
      import("../sequencer/api.js"),
      import("../sequencer/service.js"),
      import("../sequencer/store.js"),
      import("../sequencer/finality.js"),
    ]);

  const store = new SequencerStore(o.db);
  let prover: ProofQueue | undefined;
  let sequencer: Sequencer | undefined;
  let app: FastifyInstance | undefined;
  let signatures: SignatureVerifierPool | undefined;
  const stop = async () => {
    await app?.close(); // waits for the requests in progress: their transactions are stored
    await sequencer?.stop();
    await signatures?.close();
    await prover?.close();
    await new Promise((r) => setImmediate(r)); // let a just-finished proof record itself
    store.close();
  };
  try {
    if (o.redis) {
      const { BullMQProofQueue } = await import("../prover/bullmq.js");
      prover = new BullMQProofQueue(o.manifest, { redis: o.redis.url, queue: o.redis.queue, ...(o.log && { log: o.log }) });
    } else {
      prover = new LocalProofQueue(o.manifest, { prover: new Prover(o.manifest, { witness: o.witness, prover: o.prover ?? "auto" }) });
    }
    const crypto = await loadCrypto();
    if (o.signatureThreads !== 0) {
      signatures = await signaturePool.SignatureVerifierPool.create({ threads: o.signatureThreads, engine: crypto.engine, ...(o.log && { log: o.log }) });
    }
    sequencer = new Sequencer({
      crypto,
      signaturePool: signatures,
      params: deploymentParams(o.deployment),
      store,
      rollup,
      fromBlock: o.deployment.deployBlock,
      prover,
      // Unset options stay absent: the Sequencer's defaults apply.
      ...(o.feeIdx && { feeIdx: o.feeIdx }),
      ...(o.batchTimeoutMs !== undefined && { batchTimeoutMs: o.batchTimeoutMs }),
      ...(o.maxInFlight !== undefined && { maxInFlight: o.maxInFlight }),
      ...(o.maxAggregate !== undefined && { maxAggregate: o.maxAggregate }),
      ...(o.aggregateWaitMs !== undefined && { aggregateWaitMs: o.aggregateWaitMs }),
      ...(o.maxLogRange !== undefined && { maxLogRange: o.maxLogRange }),
      ...o.mempool,
      ...(o.stateCache !== undefined && { stateCache: o.stateCache }),
      finality: o.finality ?? defaultFinality(BigInt(o.deployment.chainId)),
      ...(o.log && { log: o.log }),
    });
    await sequencer.start();
    app = buildApi(sequencer, store);
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return { url: `http://${host}:${o.port}`, sequencer, halted: sequencer.halted, stop };
}
