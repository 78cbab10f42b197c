// What a posted transfer and an empty batch cost the Rollup at a batch size, measured with the
// test-only MockVerifier (its check costs the same for any N: two public signals). The parameters
// need no compiled circuit: the Rollup takes D, N, L and F as constructor values.
import type { Provider, Signer, TransactionReceipt } from "ethers";
import { SNARK_FIELD } from "../src/model/crypto.js";
import type { DerivedParams } from "../src/model/params.js";
import { deployRollup, MOCK_VERIFIER_KEY_HASH } from "../src/chain/deploy.js";
import { fallbackOf } from "../src/proving/instances.js";

/** Calldata bytes of a transaction: zero and non-zero ones (their gas: 4 and 16 each; EIP-7623 tokens: 1 and 4). */
export interface CalldataBytes {
  zero: number;
  nonZero: number;
}

export function calldataBytes(data: Uint8Array): CalldataBytes {
  const zero = data.reduce((n, b) => n + (b === 0 ? 1 : 0), 0);
  return { zero, nonZero: data.length - zero };
}

export const calldataGas = (c: CalldataBytes) => 4 * c.zero + 16 * c.nonZero;

/**
 * Execution gas of a mined transaction: gas used − 21,000 − calldata gas. Exact on a chain
 * without EIP-7623's calldata floor (Cancun) and for transactions without refunds.
 */
export async function executionGas(provider: Provider, receipt: TransactionReceipt): Promise<number> {
  const tx = await provider.getTransaction(receipt.hash);
  const data = Uint8Array.from(Buffer.from(tx!.data.slice(2), "hex"));
  return Number(receipt.gasUsed) - 21_000 - calldataGas(calldataBytes(data));
}

/** `n` posted transfers, every calldata byte non-zero and no exit (`to` never 0): the costliest data. */
export function worstCaseTxData(p: DerivedParams, n: number): Uint8Array {
  return Uint8Array.from({ length: n * p.txBytes }, (_, i) => (i % p.txBytes < p.idxBytes ? 0x11 : 0x5a));
}

export interface MockBatchGas {
  /** Gas of a batch with nothing posted (no transfers, no L1 operations), after the first batch. */
  empty: bigint;
  /** Gas added per posted transfer at N = p.batchSize (every calldata byte non-zero, no exits). */
  marginal: bigint;
  /** Execution gas (without 21,000 and calldata) of the empty batch, and added per posted transfer. */
  emptyExecution: number;
  marginalExecution: number;
}

export async function mockBatchGas(signer: Signer & { address: string }, p: DerivedParams): Promise<MockBatchGas> {
  const d = await deployRollup({
    signer,
    verifierArtifact: "MockVerifier",
    verifyingKeyHash: MOCK_VERIFIER_KEY_HASH,
    fallback: { verifierArtifact: "MockVerifier", verifyingKeyHash: MOCK_VERIFIER_KEY_HASH, params: fallbackOf(p) },
    params: p,
    sequencer: signer.address,
  });
  const batch = async (n: number) => {
    const tx = worstCaseTxData(p, n); // an exit would add a credit
    const fee = Uint8Array.from({ length: p.feeSlots * p.idxBytes }, () => 1);
    const r = (await (
      await d.rollup.submitBatch(
        1n,
        0,
        "0x",
        "0x" + Buffer.from(fee).toString("hex"),
        "0x" + Buffer.from(tx).toString("hex"),
        SNARK_FIELD - 1n,
        Array(8).fill(1n),
      )
    ).wait())!;
    return { gas: r.gasUsed, execution: await executionGas(signer.provider!, r) };
  };
  await batch(0); // the first batch also initialises storage slots (batchNumber 0 → 1): not a per-batch cost
  const empty = await batch(0);
  const full = await batch(p.batchSize);
  return {
    empty: empty.gas,
    marginal: (full.gas - empty.gas) / BigInt(p.batchSize),
    emptyExecution: empty.execution,
    marginalExecution: (full.execution - empty.execution) / p.batchSize,
  };
}
