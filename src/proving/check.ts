// The one check a proof passes before anything relies on it — a proving queue handing it out,
// the Operator or the sequencer submitting it to L1: its public signals are the expected ones and
// it verifies against the verification key.
import { groth16, type Groth16Proof, type PublicSignals } from "snarkjs";
import { sharedCurveReady } from "./curve.js";

/** Checks Groth16 proofs against one verification key: a Prover, or verifierFor(vkey). */
export interface ProofVerifier {
  verify(proof: Groth16Proof, publicSignals: PublicSignals): Promise<boolean>;
}

/** A verifier for the parsed verification key `vkey` (snarkjs's verification_key.json). */
export function verifierFor(vkey: unknown): ProofVerifier {
  return { verify: (proof, publicSignals) => groth16.verify(vkey, publicSignals, proof) };
}

/**
 * Why `r` is not an acceptable proof for `expected` (undefined if it is): the public signals
 * must be canonical decimal strings, as many as the circuit has (`nPublic`) and equal to the
 * expected ones, and the proof must verify. `r` may come from an untrusted worker or a database:
 * any shape is handled.
 */
export async function proofProblem(
  verifier: ProofVerifier,
  nPublic: number,
  r: { proof?: unknown; publicSignals?: unknown },
  expected?: readonly (bigint | string)[],
): Promise<string | undefined> {
  const signals = r.publicSignals;
  if (!Array.isArray(signals) || signals.length !== nPublic || !signals.every((s) => typeof s === "string" && /^(0|[1-9]\d*)$/.test(s))) {
    return `malformed public signals (the circuit has ${nPublic}): ${JSON.stringify(signals)?.slice(0, 200)}`;
  }
  const want = expected?.map((e) => BigInt(e).toString());
  if (want && (want.length !== signals.length || want.some((e, i) => e !== signals[i]))) {
    return `public signals ${JSON.stringify(signals)} differ from the expected ${JSON.stringify(want)}`;
  }
  try {
    await sharedCurveReady();
    if (await verifier.verify(r.proof as Groth16Proof, signals as PublicSignals)) return undefined;
  } catch (e) {
    return `malformed proof (${(e as Error).message})`;
  }
  return "the proof does not verify against the verification key";
}
