// The proof tracker: hands each built batch to the proving backend (src/prover/queue.ts: local
// workers or BullMQ) as a job named after the batch and its commitment, records the proof when it
// comes back (the batch becomes "proven"), and retries a failed job with exponential backoff.
// Consecutive batches are proved concurrently when the backend has several workers; proofs may
// come back in any order, and the submitter takes them in batch order. A proof for a batch that
// was rewound meanwhile is dropped.
import type { Batch } from "../model/batch.js";
import type { ProofQueue, QueuedProof } from "../prover/queue.js";
import { TransientError } from "./errors.js";
import type { Ledger, LiveBatch } from "./ledger.js";
import type { SequencerStore } from "./store.js";

/** The proving job id of batch `number` with `commitment`: another batch at the same number is another job. */
export function proofJobId(number: number, commitment: bigint): string {
  return `batch-${number}-${commitment.toString(16).slice(0, 16)}`;
}

/**
 * One batch through the proving backend as job `id`: submitted (a resubmission of the same job
 * is a no-op), its proof awaited. A failure is a TransientError PROVING (the caller retries).
 */
export async function proveBatch(queue: Pick<ProofQueue, "submit" | "result">, id: string, batch: Batch): Promise<QueuedProof> {
  try {
    await queue.submit({ id, input: batch.circuitInput, expectedPublicSignals: batch.publicSignals });
    return await queue.result(id);
  } catch (e) {
    throw new TransientError("PROVING", (e as Error)?.message ?? String(e), { cause: e });
  }
}

export interface ProofTrackerOptions {
  queue: ProofQueue;
  store: SequencerStore;
  ledger: Ledger;
  /** A failure to show in the status. */
  onError: (message: string) => void;
  log: (m: string) => void;
}

/** The last proof the backend delivered, as the status shows it. */
export interface LastProofView {
  batch: number;
  /** "local" or the remote worker's name. */
  worker: string;
  /** The Groth16 prover ("native" or "snarkjs") and the witness calculator ("wasm" or "cpp"), when the backend says. */
  prover?: string;
  witness?: string;
  witnessMs: number;
  proveMs: number;
  /** ISO time it was recorded. */
  at: string;
}

export class ProofTracker {
  /** The last proof recorded (undefined until one is). */
  last?: LastProofView;

  constructor(private readonly o: ProofTrackerOptions) {}

  /** Hands the batch to the proving backend unless it is proven (a job already queued is the same job); a failure is retried with backoff (retryDue). */
  prove(f: LiveBatch): void {
    const { record, batch } = f;
    if (!batch || f.proof || record.status !== "proving") return;
    const { ledger, store } = this.o;
    f.provingNow = true;
    f.proving.started();
    proveBatch(this.o.queue, proofJobId(record.number, record.commitment), batch)
      .then(
        (proof) => {
          f.provingNow = false;
          if (!ledger.isCurrent(f)) return; // rewound meanwhile
          const stored = store.transaction(() => {
            if (
              !store.setBatchProven(record.number, record.commitment, {
                proof: proof.proof,
                publicSignals: proof.publicSignals,
                proveMs: proof.proveMs,
                witnessMs: proof.witnessMs,
              })
            )
              return false;
            store.setTxStatus(record.txIds, "proven", record.number);
            return true;
          });
          if (!stored) return;
          record.status = "proven";
          f.proof = proof;
          f.provenAt = Date.now();
          f.proving.succeeded();
          this.last = {
            batch: record.number,
            worker: proof.worker,
            ...(proof.proverBackend && { prover: proof.proverBackend }),
            ...(proof.witnessBackend && { witness: proof.witnessBackend }),
            witnessMs: Math.round(proof.witnessMs),
            proveMs: Math.round(proof.proveMs),
            at: new Date().toISOString(),
          };
          this.o.log(`sequencer: batch ${record.number} proven in ${(proof.proveMs / 1000).toFixed(1)} s`);
        },
        (e: TransientError) => {
          f.provingNow = false;
          if (!ledger.isCurrent(f)) return;
          const delay = f.proving.fail(e);
          const msg = `proving batch ${record.number}: ${e.message}`;
          this.o.onError(msg);
          this.o.log(`sequencer: ${msg}; attempt ${f.proving.attempts} failed, retrying in ${(delay / 1000).toFixed(1)} s`);
        },
      )
      .catch((e: Error) => this.o.log(`sequencer: recording the proof of batch ${record.number}: ${e.message}`));
  }

  /** Every live batch without a proof is handed to the backend (at start, after the batches were derived again). */
  proveAll(): void {
    for (const f of this.o.ledger.live.values()) if (!f.proof) this.prove(f);
  }

  /** Proofs that failed and whose backoff has passed are tried again. */
  retryDue(now = Date.now()): void {
    for (const f of this.o.ledger.live.values()) {
      if (f.record.status === "proving" && !f.provingNow && f.proving.failures > 0 && f.proving.due(now)) this.prove(f);
    }
  }
}
