// The permissionless fallback from L1 data alone (Rollup.sol submitFallbackBatch): once the
// sequencer has been silent for the fallback delay, or an L1 operation has waited that long,
// anyone rebuilds the state from L1, proves batches of the rollup's fallback instance locally
// (the oldest waiting L1 operations, and transfers of their own) and submits them, until nothing
// waits or a limit. The consumed operations' fees are paid to the submitter.
import { rebuildFromL1 } from "../chain/rebuild.js";
import { loadCrypto } from "../model/crypto.js";
import type { Domain, SignedTransfer } from "../model/tx.js";
import { fallbackOf } from "../proving/instances.js";
import type { SetupManifest } from "../proving/manifest.js";
import { type ProverOptions, Prover } from "../proving/prover.js";
import { LocalProofQueue } from "../prover/queue.js";
import { type OneShotContext, submitNextBatch } from "../sequencer/oneshot.js";
import type { Log } from "../util/log.js";
import { type RollupConnection, signerOf } from "./connect.js";
import type { L2State } from "../model/state.js";

export interface FallbackOptions {
  /** The setup of the deployment's fallback verifier (deploymentFallbackSetup): its proving key. */
  setup: SetupManifest;
  /**
   * Transfers to include, in order, built on the state rebuilt from L1 (`sign` gets it: a
   * transfer signed now, for the sender's nonce there) or signed before; those that do not apply
   * when their batch is built are left out and returned.
   */
  txs?: SignedTransfer[] | ((state: L2State) => SignedTransfer[]);
  /** At most this many batches (default: until no L1 operation waits and every transfer is in). */
  maxBatches?: number;
  prover?: Pick<ProverOptions, "witness" | "prover">;
  log?: Log;
}

export interface FallbackBatch {
  number: number;
  l1Count: number;
  txs: number;
  txHash: string;
  gasUsed: bigint;
  /** Seconds to build, prove (witness and proof) and submit it, until its receipt. */
  seconds: number;
}

export interface FallbackResult {
  batches: FallbackBatch[];
  /** Transfers given that no batch took (they did not apply). */
  leftOut: SignedTransfer[];
  /** L1 operations still waiting after the last batch. */
  waiting: number;
}

/** When the fallback opens on `c`'s rollup, and the latest block's time. */
export async function fallbackWindow(c: RollupConnection): Promise<{ openAfter: bigint; now: bigint }> {
  const [openAfter, block] = await Promise.all([c.rollup.fallbackOpenAfter(), c.provider.getBlock("latest")]);
  return { openAfter, now: BigInt(block!.timestamp) };
}

/**
 * Keeps the rollup going without its sequencer: checks the fallback is open (an error saying
 * when it opens otherwise), rebuilds the state from L1, then proves and submits fallback batches
 * with the connection's signer until no L1 operation waits and every transfer is in, or
 * `maxBatches`. A batch another submitter lands first makes the next one fail (the state moved):
 * run it again.
 */
export async function runFallback(c: RollupConnection, o: FallbackOptions): Promise<FallbackResult> {
  const log = o.log ?? (() => {});
  const { rollup, deployment: d } = c;
  signerOf(c); // throws unless the connection can send
  if (await rollup.escapeMode()) throw new Error("the rollup is in escape mode: no batches any more (see zkr escape)");
  const { openAfter, now } = await fallbackWindow(c);
  if (now < openAfter) {
    throw new Error(
      `the fallback is not open yet: it opens at ${new Date(Number(openAfter) * 1000).toISOString()} (in ${openAfter - now} s), ` +
        `the fallback delay after the sequencer's last batch or the oldest waiting L1 operation`,
    );
  }
  const fallback = fallbackOf(c.params);
  if (o.setup.label !== fallback.name) throw new Error(`the setup is for ${o.setup.label}, the rollup's fallback instance is ${fallback.name}`);
  log("rebuilding the state from L1");
  const { state } = await rebuildFromL1(await loadCrypto(), c.params, rollup, d.deployBlock, log, c.logs);
  let txs = typeof o.txs === "function" ? o.txs(state) : [...(o.txs ?? [])];
  const proofs = new LocalProofQueue(o.setup, { prover: new Prover(o.setup, { witness: o.prover?.witness, prover: o.prover?.prover ?? "auto" }) });
  const ctx: OneShotContext = {
    state,
    rollup,
    proofs,
    domain: { chainId: c.chainId, rollupAddress: BigInt(d.rollup) },
    feeIdx: [],
    fromBlock: d.deployBlock,
    fallback,
  };
  const batches: FallbackBatch[] = [];
  try {
    for (;;) {
      const waiting = Number((await rollup.l1OpCount()) - (await rollup.l1Processed()));
      if ((waiting === 0 && txs.length === 0) || (o.maxBatches !== undefined && batches.length >= o.maxBatches)) {
        return { batches, leftOut: txs, waiting };
      }
      // Without an L1 operation a batch is worth its gas only if a transfer applies (checked with no
      // fee token: a fallback batch names no fee account, so a transfer paying a fee does not apply).
      if (waiting === 0 && !txs.some((t) => applies(state, t, ctx.domain))) return { batches, leftOut: txs, waiting };
      const t0 = performance.now();
      const { batch, receipt } = await submitNextBatch(ctx, txs);
      const took = new Set(batch.txs);
      txs = txs.filter((t) => !took.has(t));
      const number = Number(await rollup.batchNumber());
      const seconds = (performance.now() - t0) / 1000;
      batches.push({ number, l1Count: batch.data.l1Count, txs: batch.txs.length, txHash: receipt.hash, gasUsed: receipt.gasUsed, seconds });
      log(`fallback batch ${number}: ${batch.data.l1Count} L1 operation(s), ${batch.txs.length} transfer(s), tx ${receipt.hash}`);
    }
  } finally {
    await proofs.close();
  }
}

/** Whether `t` applies to `state` now (L2State.validateTransfer's rules: signature, nonce, balance, accounts). */
function applies(state: L2State, t: SignedTransfer, domain: Domain): boolean {
  try {
    state.validateTransfer(t, domain, []);
    return true;
  } catch {
    return false;
  }
}
