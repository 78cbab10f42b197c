// Groth16 prover for a circuit set up by lib/setup.ts: witness (circuit wasm) and proof in
// memory with snarkjs, verification with the exported verification key, and conversion of a
// proof to the arguments of the generated Solidity verifier.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { type Groth16Proof, groth16, type PublicSignals, wtns } from "snarkjs";
import {
  holdCurve,
  readSetupManifest,
  type SetupManifest,
  type SetupOptions,
  setupInstance,
} from "../lib/setup.js";

export type { Groth16Proof, PublicSignals } from "snarkjs";

export interface ProofResult {
  proof: Groth16Proof;
  publicSignals: PublicSignals;
  /** Wall time of the witness computation (ms). */
  witnessMs: number;
  /** Wall time of the Groth16 proof from the witness (ms). */
  proveMs: number;
}

/** Proof as the snarkjs Solidity verifier takes it, flattened: [a0, a1, b00, b01, b10, b11, c0, c1]. */
export type SolidityProof = [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];

/**
 * Proves and verifies for one set-up circuit. Holds snarkjs's bn128 worker threads from
 * construction to close(): call close() when done or the process will not exit.
 */
export class Prover {
  readonly manifest: SetupManifest;
  private readonly vkey: unknown;
  private zkey?: Uint8Array;
  private wasm?: Uint8Array;
  private release?: () => Promise<void>;

  constructor(manifest: SetupManifest) {
    this.manifest = manifest;
    this.vkey = JSON.parse(readFileSync(manifest.vkey, "utf8"));
    this.release = holdCurve();
  }

  /** A prover for the setup in `dir` (a cacheDir()/setup/<label>-<key> directory or its setup.json). */
  static fromSetupDir(dir: string): Prover {
    return new Prover(readSetupManifest(dir));
  }

  /** A prover for a registered instance, running its setup first unless it is cached. */
  static async forInstance(name: string, opts: Omit<SetupOptions, "params"> = {}): Promise<Prover> {
    return new Prover((await setupInstance(name, opts)).manifest);
  }

  /**
   * Computes the witness for `input` (signal name → value(s); bigint, number or decimal string)
   * and a Groth16 proof of it. Throws if the input does not satisfy the circuit.
   */
  async prove(input: Record<string, unknown>): Promise<ProofResult> {
    if (!this.release) throw new Error("prover is closed");
    this.zkey ??= readFileSync(this.manifest.zkey);
    this.wasm ??= readFileSync(this.manifest.wasm);

    const t0 = performance.now();
    const witness: { type: "mem"; data?: Uint8Array } = { type: "mem" };
    try {
      await wtns.calculate(input, this.wasm, witness);
    } catch (e) {
      throw new Error(`witness computation for circuit "${this.manifest.label}" failed: ${(e as Error).message}`);
    }
    const t1 = performance.now();
    const { proof, publicSignals } = await groth16.prove(this.zkey, witness);
    const t2 = performance.now();
    return { proof, publicSignals, witnessMs: t1 - t0, proveMs: t2 - t1 };
  }

  /** Checks a proof against this circuit's verification key. */
  async verify(proof: Groth16Proof, publicSignals: PublicSignals): Promise<boolean> {
    if (!this.release) throw new Error("prover is closed");
    return groth16.verify(this.vkey, publicSignals, proof);
  }

  /** Releases the bn128 worker threads (once no other prover or setup holds them). */
  async close(): Promise<void> {
    const release = this.release;
    this.release = undefined;
    this.zkey = undefined;
    this.wasm = undefined;
    await release?.();
  }
}

/**
 * The proof in the order the snarkjs Solidity verifier reads it: `_pA = [a0, a1]`,
 * `_pB = [[b00, b01], [b10, b11]]`, `_pC = [c0, c1]`. The G2 point B is stored by snarkjs as
 * [[x.c0, x.c1], [y.c0, y.c1]] while the EVM pairing precompile wants each Fp2 coordinate as
 * (c1, c0), so b00 = pi_b[0][1], b01 = pi_b[0][0], b10 = pi_b[1][1], b11 = pi_b[1][0] (the
 * swap exportSolidityCallData does).
 */
export function toSolidityProof(proof: Groth16Proof): SolidityProof {
  const { pi_a: a, pi_b: b, pi_c: c } = proof;
  const v = [a[0], a[1], b[0]?.[1], b[0]?.[0], b[1]?.[1], b[1]?.[0], c[0], c[1]];
  if (v.some((x) => x === undefined)) throw new Error("malformed Groth16 proof");
  return v.map((x) => BigInt(x!)) as SolidityProof;
}

/** Arguments of the generated verifier's `verifyProof(_pA, _pB, _pC, _pubSignals)`. */
export function verifierCallArgs(
  proof: Groth16Proof,
  publicSignals: PublicSignals,
): [[bigint, bigint], [[bigint, bigint], [bigint, bigint]], [bigint, bigint], bigint[]] {
  const p = toSolidityProof(proof);
  return [[p[0], p[1]], [[p[2], p[3]], [p[4], p[5]]], [p[6], p[7]], publicSignals.map((s) => BigInt(s))];
}
