import { Command, InvalidArgumentError, Option } from "commander";
import path from "node:path";
import type { Finality } from "../../sequencer/finality.js";
import { Config, withSettings } from "../config.js";
import { openRollup } from "../connect.js";
import { deploymentSetup, signerOf, startSequencer } from "../../ops/index.js";
import { timedLog, untilSignal } from "../services.js";
import { FLOAT8, floatMax } from "../../model/float.js";
import { DEFAULT_MAX_PENDING, DEFAULT_MAX_PENDING_PER_SENDER } from "../../sequencer/mempool.js";
import { DEFAULT_STATE_CACHE } from "../../sequencer/statedb.js";
import { CONFIRMATIONS_HELP, confirmationsArg, intArg, numArg } from "../units.js";

interface Opts {
  db?: string;
  host: string;
  port: number;
  redis?: string;
  queue?: string;
  setup?: string;
  feeAccount: bigint[];
  batchTimeout: number;
  confirmations?: Finality;
  maxInFlight?: number;
  maxAggregate?: number;
  aggregateWait?: number;
  maxPending: number;
  maxPendingPerSender: number;
  minFee: Map<bigint, bigint>;
  stateCache?: number;
  signatureThreads?: number;
}

/** Parses one --min-fee TOKEN=AMOUNT (base units) into the map of the earlier ones. */
function minFeeArg(v: string, acc: Map<bigint, bigint>): Map<bigint, bigint> {
  const m = /^(\d{1,10})=(\d{1,20})$/.exec(v);
  if (!m || BigInt(m[1]!) >> 32n !== 0n)
    throw new InvalidArgumentError(`--min-fee takes TOKEN=AMOUNT, a token id and an amount in base units (e.g. 0=1000000000000), got "${v}"`);
  const fee = BigInt(m[2]!);
  if (fee > floatMax(FLOAT8)) throw new InvalidArgumentError(`--min-fee ${v}: no fee can reach it (a fee is at most ${floatMax(FLOAT8)} base units)`);
  return new Map(acc).set(BigInt(m[1]!), fee);
}

export function sequencerCommand(): Command {
  const cmd = new Command("sequencer")
    .description("run the sequencer: mempool, batches, proofs (in process, or BullMQ workers with --redis) and the HTTP API")
    .option("--db <file>", "SQLite database (default: sequencer.sqlite next to the deployment file)")
    .option("--host <address>", "address the API listens on", "127.0.0.1")
    .option("--port <port>", "API port", numArg("port", 1, 65535), 8080)
    .option("--redis <url>", "prove through BullMQ workers (zkr prover) on this Redis, instead of in this process")
    .option("--queue <name>", "BullMQ queue name (with --redis)")
    .option("--setup <dir>", "setup directory of the deployment's keys (default: the cache)")
    .option("--fee-account <index>", "account credited the fees of its token (repeatable)", (v, acc: bigint[]) => [...acc, intArg("fee account", 1n)(v)], [])
    .option("--batch-timeout <ms>", "build a partial batch when the oldest transaction waited this long", numArg("batch timeout", 1), 2000)
    .option("--confirmations <n|finalized>", CONFIRMATIONS_HELP, confirmationsArg)
    .option("--max-in-flight <n>", "batches built but not yet on L1, at most (default 4)", numArg("max in flight", 1, 64))
    .option(
      "--max-aggregate <k>",
      "proven batches per L1 transaction, at most: a run of k goes in one submitBatches call, one pairing check for all (default 8; 1: one submitBatch each)",
      numArg("max aggregate", 1, 64),
    )
    .option(
      "--aggregate-wait <seconds>",
      "how long a proven batch may wait for the proofs of the next batches, to go to L1 in one transaction with them (default 0: send at once)",
      numArg("aggregate wait", 0, 3600),
    )
    .option("--max-pending <n>", "pending transactions at most (beyond: 503 MEMPOOL_FULL)", numArg("max pending", 1), DEFAULT_MAX_PENDING)
    .option(
      "--max-pending-per-sender <n>",
      "pending transactions of one account at most (beyond: 429 SENDER_LIMIT)",
      numArg("max pending per sender", 1),
      DEFAULT_MAX_PENDING_PER_SENDER,
    )
    .option(
      "--state-cache <entries>",
      `tree nodes the L2 state keeps in memory at most, read from the database (accounts: an eighth as many; default ${DEFAULT_STATE_CACHE.toLocaleString("en-US")})`,
      numArg("state cache", 1024),
    )
    .option(
      "--signature-threads <n>",
      "worker threads that check the submissions' signatures and hash the batches built (default: one per core; 0: both on the service's thread)",
      numArg("signature threads", 0, 256),
    )
    .addOption(
      new Option("--min-fee <token=amount>", "minimum fee of a token in base units, e.g. 0=1000000000000 (repeatable; below: 400 FEE_TOO_LOW)")
        .argParser(minFeeArg)
        .default(new Map<bigint, bigint>(), "0 for every token"),
    );
  withSettings(cmd, "deployment", "key", "rpc", "maxLogRange", "witness", "prover");
  return cmd.action(async (o: Opts & Record<string, unknown>) => {
    const cfg = Config.resolve(o, ["deployment", "key", "rpc", "maxLogRange", "witness", "prover"]);
    if (Boolean(o.redis) !== Boolean(o.queue)) throw new Error("--redis and --queue go together");
    const d = cfg.deployment();
    const manifest = await deploymentSetup(d, o.setup);
    const l1 = await openRollup(cfg, { signer: true });
    const log = timedLog;
    try {
      const running = await startSequencer({
        deployment: d,
        signer: signerOf(l1).signer,
        manifest,
        db: path.resolve(o.db ?? path.join(path.dirname(cfg.need("deployment")), "sequencer.sqlite")),
        host: o.host,
        port: o.port,
        redis: o.redis ? { url: o.redis, queue: o.queue! } : undefined,
        witness: cfg.witness,
        prover: cfg.prover,
        feeIdx: o.feeAccount,
        batchTimeoutMs: o.batchTimeout,
        finality: o.confirmations,
        maxInFlight: o.maxInFlight,
        maxAggregate: o.maxAggregate,
        ...(o.aggregateWait !== undefined && { aggregateWaitMs: o.aggregateWait * 1000 }),
        maxLogRange: cfg.maxLogRange,
        mempool: { maxPending: o.maxPending, maxPendingPerSender: o.maxPendingPerSender, minFee: o.minFee },
        stateCache: o.stateCache,
        signatureThreads: o.signatureThreads,
        log: (m) => log(m),
      });
      log(
        `zkr sequencer: rollup ${d.rollup} on chain ${d.chainId}, API on ${running.url}, proofs ${o.redis ? `by workers on queue ${o.queue}` : "in this process"}, batches final after ${running.sequencer.status().finality}`,
      );
      if (o.minFee.size === 0) log("zkr sequencer: no --min-fee: transactions may pay no fee (fine for development; set one per token in production)");
      const halted = await Promise.race([untilSignal(log).then(() => undefined), running.halted]);
      await running.stop();
      if (halted !== undefined) throw new Error(`the sequencer stopped (${halted.code}): ${halted.message}`);
      log("zkr sequencer: stopped");
    } finally {
      l1.close();
    }
  });
}
