import type { TransactionReceipt } from "ethers";
import { buildBatch, type Batch } from "../lib/batch.js";
import { toHex } from "../lib/bytes.js";
import { decodeRevert, type RollupContract } from "../lib/deploy.js";
import type { L2State } from "../lib/state.js";
import type { Domain, SignedTransfer } from "../lib/tx.js";
import { toSolidityProof, type Prover, type ProofResult } from "../prover/prover.js";

export interface SubmittedBatch {
  batch: Batch;
  proof: ProofResult;
  receipt: TransactionReceipt;
}

/**
 * Drives one batch through its whole life: build it on the local state, prove it, check the
 * proof, and submit it to the Rollup contract. If any step fails the local state is rolled
 * back, so it always equals the state behind the root on L1.
 */
export class Operator {
  constructor(
    readonly state: L2State,
    readonly rollup: RollupContract,
    readonly prover: Prover,
    readonly domain: Domain,
    /** Fee account indexes named in every batch. */
    readonly feeIdx: bigint[] = [],
  ) {}

  /** Throws unless the local state's root is the root on L1. */
  async checkInSync(): Promise<bigint> {
    const [root, number] = await Promise.all([this.rollup.stateRoot(), this.rollup.batchNumber()]);
    if (root !== this.state.root) {
      throw new Error(`local state root ${this.state.root} differs from the root on L1 ${root} (after batch ${number})`);
    }
    return number;
  }

  /** Build, prove and submit one batch of (at most batchSize of) `txs`. */
  async submit(txs: SignedTransfer[]): Promise<SubmittedBatch> {
    const batchNumber = (await this.checkInSync()) + 1n;
    const cp = this.state.checkpoint();
    try {
      const batch = buildBatch(this.state, txs, { domain: this.domain, batchNumber, feeIdx: this.feeIdx });
      const proof = await this.prover.prove(batch.circuitInput);
      if (BigInt(proof.publicSignals[0]) !== batch.inputHash) {
        throw new Error(`proof public signal ${proof.publicSignals[0]} is not the batch's input hash ${batch.inputHash}`);
      }
      if (!(await this.prover.verify(proof.proof, proof.publicSignals))) throw new Error("the new proof does not verify");
      let receipt: TransactionReceipt | null;
      try {
        const tx = await this.rollup.submitBatch(batch.newRoot, toHex(batch.feeIdxData), toHex(batch.txData), toSolidityProof(proof.proof));
        receipt = await tx.wait();
      } catch (e) {
        const reason = decodeRevert(e, this.rollup.interface);
        throw reason ? new Error(`submitBatch reverted: ${reason}`, { cause: e }) : e;
      }
      if (!receipt || receipt.status !== 1) throw new Error(`submitBatch failed (transaction ${receipt?.hash})`);
      this.state.commit(cp);
      return { batch, proof, receipt };
    } catch (e) {
      this.state.revert(cp);
      throw e;
    }
  }
}
