// Entry of the child process a prover worker (worker.ts) proves in. Proving blocks its thread
// for long stretches (the witness computation, parts of snarkjs's prover); in a child process
// that leaves the worker's event loop free to renew its job locks in Redis, however large the
// circuit. (snarkjs cannot run in a worker_thread: its web-worker dependency takes any
// non-main thread for one of its own workers.) The child exits when its parent goes away,
// including when the worker is killed.
import { performance } from "node:perf_hooks";
import { type CryptoChoice, setCryptoEngine } from "../model/crypto.js";
import type { SetupManifest } from "../proving/manifest.js";
import { setCacheDir } from "../proving/paths.js";
import {
  type Groth16Proof,
  Prover,
  type ProverBackend,
  type ProverChoice,
  type PublicSignals,
  type WitnessBackend,
  type WitnessChoice,
} from "../proving/prover.js";
import { sharedCurveReady } from "../proving/curve.js";
import type { ProvingPhase } from "./queue.js";

export type ProvingRequest =
  /** `cacheDir`, `witness`, `prover` and `crypto`: the parent's (this process reads no configuration of its own). */
  | {
      type: "prove";
      id: number;
      manifest: SetupManifest;
      input: Record<string, unknown>;
      cacheDir: string;
      witness: WitnessChoice;
      prover: ProverChoice;
      /** The crypto engine of the linked witness's hashes (absent: circomlibjs). */
      crypto?: CryptoChoice;
    }
  | { type: "close" };

export type ProvingReply =
  | { type: "phase"; id: number; phase: ProvingPhase }
  | {
      type: "done";
      id: number;
      proof: Groth16Proof;
      publicSignals: PublicSignals;
      witnessMs: number;
      proveMs: number;
      /** The prover that computed the proof, and the witness calculator of its witness. */
      proverBackend?: ProverBackend;
      witnessBackend?: WitnessBackend;
      /** The proof checked against the setup's verification key. */
      verified: boolean;
      verifyMs: number;
    }
  | { type: "error"; id: number; message: string };

if (process.send) {
  const provers = new Map<string, Prover>();
  let crypto: CryptoChoice | undefined;
  const send = (m: ProvingReply) => process.send?.(m);

  process.on("message", async (m: ProvingRequest) => {
    if (m.type === "close") {
      await Promise.all([...provers.values()].map((p) => p.close()));
      process.disconnect();
      return;
    }
    try {
      setCacheDir(m.cacheDir);
      if (m.crypto && m.crypto !== crypto) {
        crypto = m.crypto;
        setCryptoEngine({ engine: m.crypto, native: async () => (await import("../proving/nativeCrypto.js")).loadNativeCrypto() });
      }
      let prover = provers.get(m.manifest.zkey);
      if (!prover) provers.set(m.manifest.zkey, (prover = new Prover(m.manifest, { witness: m.witness, prover: m.prover })));
      send({ type: "phase", id: m.id, phase: "proving" });
      await sharedCurveReady();
      const r = await prover.prove(m.input);
      send({ type: "phase", id: m.id, phase: "verifying" });
      const t0 = performance.now();
      const verified = await prover.verify(r.proof, r.publicSignals);
      const { nativeStats: _stats, ...result } = r; // the stats stay here: only what the worker uses crosses the channel
      send({ type: "done", id: m.id, ...result, verified, verifyMs: performance.now() - t0 });
    } catch (e) {
      send({ type: "error", id: m.id, message: (e as Error).message });
    }
  });
  // The worker closed the channel or died: nothing can receive a proof any more.
  process.on("disconnect", () => process.exit(0));
}
