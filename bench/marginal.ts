// The marginal L1 cost of a posted transfer at a batch size, measured with the test-only
// MockVerifier: the pairing check costs the same for any N (two public signals), so
// (gas(N transfers) − gas(nothing posted)) / N is what a transfer adds to a batch at that size.
// The parameters need no compiled circuit: the Rollup takes D, N, L and F as constructor values.
import type { Signer } from "ethers";
import { SNARK_FIELD } from "../src/model/crypto.js";
import type { DerivedParams } from "../src/model/params.js";
import { deployRollup, MOCK_VERIFIER_KEY_HASH } from "../src/chain/deploy.js";

export interface MockBatchGas {
  /** Gas of a batch with nothing posted (no transfers, no L1 operations), after the first batch. */
  empty: bigint;
  /** Gas added per posted transfer at N = p.batchSize (every calldata byte non-zero, no exits). */
  marginal: bigint;
}

export async function mockBatchGas(signer: Signer & { address: string }, p: DerivedParams): Promise<MockBatchGas> {
  const d = await deployRollup({ signer, verifierArtifact: "MockVerifier", verifyingKeyHash: MOCK_VERIFIER_KEY_HASH, params: p, sequencer: signer.address });
  const gas = async (n: number) => {
    // The worst case: every calldata byte non-zero, no exits (an exit adds a credit).
    const tx = Uint8Array.from({ length: n * p.txBytes }, (_, i) => (i % p.txBytes < p.idxBytes ? 0x11 : 0x5a));
    const fee = Uint8Array.from({ length: p.feeSlots * p.idxBytes }, () => 1);
    const r = await (
      await d.rollup.submitBatch(
        1n,
        0,
        "0x",
        "0x" + Buffer.from(fee).toString("hex"),
        "0x" + Buffer.from(tx).toString("hex"),
        SNARK_FIELD - 1n,
        Array(8).fill(1n),
      )
    ).wait();
    return r!.gasUsed;
  };
  await gas(0); // the first batch also initialises storage slots (batchNumber 0 → 1): not a per-batch cost
  const empty = await gas(0);
  const full = await gas(p.batchSize);
  return { empty, marginal: (full - empty) / BigInt(p.batchSize) };
}
