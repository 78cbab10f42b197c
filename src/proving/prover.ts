// Groth16 prover for a circuit set up by setup.ts: witness (circuit wasm, or circom's C++
// witness generator, witness.ts), proof with snarkjs in memory or with the native prover in a
// child process (native.ts), and verification with the exported verification key (the proof's
// Solidity form: proof.ts).
import { readFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { type Groth16Proof, groth16, type PublicSignals } from "snarkjs";
import type { Log } from "../util/log.js";
import { holdCurve } from "./curve.js";
import { type SetupOptions, setupInstance } from "./setup.js";
import { readSetupManifest, type SetupManifest } from "./manifest.js";
import {
  buildCppWitnessForSetup,
  buildLinkedCppWitness,
  type CppWitnessGenerator,
  cppWitness,
  type LinkedCppGenerators,
  type WitnessBackend,
  wasmWitness,
} from "./witness.js";
import { type Hasher, poseidonHasher } from "../model/crypto.js";
import { type LinkLayout, reusingWasmCalculator, type WitnessCalc } from "./link.js";
import { linkedBatchWitness, type LinkedWitnessStats, type PartWitness, readLayout } from "./linked.js";
import { buildNativeProver, type NativeBuildOptions, type NativeProofStats, type NativeProver, nativeProve } from "./native.js";

export type { Groth16Proof, PublicSignals } from "snarkjs";
export type { WitnessBackend } from "./witness.js";
export type { NativeBuildOptions, NativeProofStats } from "./native.js";

/**
 * Which witness calculator a Prover uses: "wasm" (snarkjs with the circuit's wasm), "cpp"
 * (circom's C++ generator, built on first use, cached; proving fails if it cannot be built),
 * or "auto" (cpp if it builds here, else wasm, with the reason logged once).
 */
export type WitnessChoice = WitnessBackend | "auto";

export const WITNESS_CHOICES: readonly WitnessChoice[] = ["wasm", "cpp", "auto"];

/** What computes the proof from the witness: snarkjs (in this process) or the native prover (native.ts). */
export type ProverBackend = "snarkjs" | "native";

/**
 * Which Groth16 prover a Prover uses: "snarkjs", "native" (built on first use, cached; proving
 * fails if it cannot be built) or "auto" (native if it builds here, else snarkjs, with the
 * reason logged once).
 */
export type ProverChoice = ProverBackend | "auto";

export const PROVER_CHOICES: readonly ProverChoice[] = ["snarkjs", "native", "auto"];

export interface ProverOptions {
  /** Witness calculator (default "wasm"; the CLI passes --witness / $ZKR_WITNESS, src/cli/config.ts). */
  witness?: WitnessChoice;
  /**
   * The circuit's main source, to build its C++ generator; only needed for a setup that is not a
   * registered batch instance and whose main is not in build/mains (see src/proving/witness.ts).
   */
  mainSource?: string;
  /**
   * Groth16 prover (default "snarkjs"; the CLI passes --prover / $ZKR_PROVER, default "auto",
   * src/cli/config.ts).
   */
  prover?: ProverChoice;
  /** How the native prover is built (the compiler; see native.ts). */
  nativeBuild?: Omit<NativeBuildOptions, "log">;
  /** Progress of the C++ builds and why "auto" fell back (default: the fallback reasons on stderr). */
  log?: Log;
}

export interface ProofResult {
  proof: Groth16Proof;
  publicSignals: PublicSignals;
  /** Wall time of the witness computation (ms). */
  witnessMs: number;
  /** Wall time of the Groth16 proof from the witness (ms). */
  proveMs: number;
  /** The witness calculator that computed the witness (always set by Prover.prove). */
  witnessBackend?: WitnessBackend;
  /** The prover that computed the proof (always set by Prover.prove). */
  proverBackend?: ProverBackend;
  /** The native prover's own report (threads, steps, peak RSS), when it proved. */
  nativeStats?: NativeProofStats;
  /** For a linked setup: the enabled slots and the transfer witnesses computed. */
  linkedStats?: LinkedWitnessStats;
}

/** A setup's C++ generators: its main's, or a linked setup's two parts'. */
type CppGenerators = { main: CppWitnessGenerator } | LinkedCppGenerators;

/**
 * Proves and verifies for one set-up circuit. Holds snarkjs's bn128 worker threads from
 * construction to close(): call close() when done or the process will not exit.
 */
export class Prover {
  readonly manifest: SetupManifest;
  private readonly vkey: unknown;
  private zkey?: Uint8Array;
  private wasm?: Uint8Array;
  /** A linked setup's layout, Poseidon and wasm calculator (loaded on its first witness). */
  private linked?: { layout: LinkLayout; hash: Hasher; wasm: WitnessCalc };
  private release?: () => Promise<void>;
  private readonly opts: ProverOptions;
  /** The witness calculator chosen (see WitnessChoice). */
  readonly witnessChoice: WitnessChoice;
  /** The C++ generator(s), unless wasm is used. */
  private readonly cpp: NativeBackend<CppGenerators>;
  /** The Groth16 prover chosen (see ProverChoice). */
  readonly proverChoice: ProverChoice;
  /** The native prover, unless snarkjs is used. */
  private readonly native: NativeBackend<NativeProver>;

  constructor(manifest: SetupManifest, opts: ProverOptions = {}) {
    const choice = opts.witness ?? "wasm";
    if (!WITNESS_CHOICES.includes(choice)) throw new Error(`unknown witness calculator "${choice}": use ${WITNESS_CHOICES.join(", ")}`);
    const prover = opts.prover ?? "snarkjs";
    if (!PROVER_CHOICES.includes(prover)) throw new Error(`unknown prover "${prover}": use ${PROVER_CHOICES.join(", ")}`);
    this.manifest = manifest;
    this.opts = opts;
    this.witnessChoice = choice;
    this.proverChoice = prover;
    const mode = (c: string, off: string, required: string) => (c === off ? "off" : c === required ? "required" : "optional");
    this.cpp = new NativeBackend(
      mode(choice, "wasm", "cpp"),
      async () =>
        manifest.linked
          ? buildLinkedCppWitness(manifest, { log: opts.log })
          : { main: await buildCppWitnessForSetup(manifest, { mainSource: opts.mainSource, log: opts.log }) },
      (reason) => this.say(`${reason}; computing witnesses with wasm`),
    );
    this.native = new NativeBackend(
      mode(prover, "snarkjs", "native"),
      () => buildNativeProver({ ...opts.nativeBuild, log: opts.log }),
      (reason) => this.say(`${reason}; proving with snarkjs`),
    );
    this.vkey = JSON.parse(readFileSync(manifest.vkey, "utf8"));
    this.release = holdCurve();
  }

  /** A prover for the setup in `dir` (a cacheDir()/setup/<label>-<key> directory or its setup.json). */
  static fromSetupDir(dir: string, opts: ProverOptions = {}): Prover {
    return new Prover(readSetupManifest(dir), opts);
  }

  /** A prover for a registered instance, running its setup first unless it is cached. */
  static async forInstance(name: string, opts: Omit<SetupOptions, "params"> & ProverOptions = {}): Promise<Prover> {
    const { witness, mainSource, prover, nativeBuild, ...setupOpts } = opts;
    return new Prover((await setupInstance(name, setupOpts)).manifest, { witness, mainSource, prover, nativeBuild, log: opts.log });
  }

  /**
   * The witness calculator prove() uses, building the C++ generator first if it is chosen and
   * not built yet (minutes for a large circuit, then cached): call it to build ahead of the
   * first proof. With "auto", a generator that cannot be built means "wasm"; with "cpp" it throws.
   */
  async witnessBackend(): Promise<WitnessBackend> {
    return (await this.cpp.get()) ? "cpp" : "wasm";
  }

  /** Why "auto" proves with wasm (undefined while it uses the C++ generator or has not decided). */
  get witnessFallbackReason(): string | undefined {
    return this.cpp.fallbackReason;
  }

  private say(message: string): void {
    (this.opts.log ?? ((m: string) => console.error(`zkr: ${m}`)))(message);
  }

  /**
   * The prover prove() uses, building the native one first if it is chosen and not built yet
   * (seconds, then cached): call it to build ahead of the first proof. With "auto", a native
   * prover that cannot be built means "snarkjs"; with "native" it throws.
   */
  async proverBackend(): Promise<ProverBackend> {
    return (await this.native.get()) ? "native" : "snarkjs";
  }

  /** Why "auto" proves with snarkjs (undefined while it uses the native prover or has not decided). */
  get proverFallbackReason(): string | undefined {
    return this.native.fallbackReason;
  }

  /**
   * Computes the witness for `input` (signal name → value(s); bigint, number or decimal string)
   * and a Groth16 proof of it. Throws if the input does not satisfy the circuit.
   */
  async prove(input: Record<string, unknown>): Promise<ProofResult> {
    if (!this.release) throw new Error("prover is closed");
    const cpp = await this.cpp.get();
    const native = await this.native.get();

    const t0 = performance.now();
    const { data, backend: witnessBackend, linkedStats } = await this.witnessWith(cpp, input);
    const t1 = performance.now();
    const witnessMs = t1 - t0;
    if (native) {
      try {
        const r = await nativeProve(native, this.manifest.zkey, data);
        return {
          proof: r.proof,
          publicSignals: r.publicSignals,
          witnessMs,
          proveMs: r.proveMs,
          witnessBackend,
          proverBackend: "native",
          nativeStats: r.stats,
          ...(linkedStats && { linkedStats }),
        };
      } catch (e) {
        if (this.proverChoice === "native") throw e;
        // "auto" never fails where snarkjs would not: snarkjs decides (and throws for a bad key).
        this.native.fallBack((e as Error).message);
      }
    }
    const t2 = performance.now();
    this.zkey ??= readFileSync(this.manifest.zkey);
    const { proof, publicSignals } = await groth16.prove(this.zkey, { type: "mem", data });
    return { proof, publicSignals, witnessMs, proveMs: performance.now() - t2, witnessBackend, proverBackend: "snarkjs", ...(linkedStats && { linkedStats }) };
  }

  /**
   * The witness (.wtns bytes) of `input` with the chosen calculator (a linked setup's: assembled
   * from its parts'), and which one computed it. Throws if the input does not satisfy the circuit.
   */
  async witness(input: Record<string, unknown>): Promise<{ data: Uint8Array; backend: WitnessBackend; linkedStats?: LinkedWitnessStats }> {
    if (!this.release) throw new Error("prover is closed");
    return this.witnessWith(await this.cpp.get(), input);
  }

  private async witnessWith(cpp: CppGenerators | undefined, input: Record<string, unknown>) {
    if (cpp) {
      try {
        return { ...(await this.cppWitness(cpp, input)), backend: "cpp" as const };
      } catch (e) {
        if (this.witnessChoice === "cpp") throw e;
        // "auto" never fails where wasm would not: wasm decides (and throws for a bad input).
        const w = await this.wasmWitness(input);
        this.cpp.fallBack(`the C++ witness generator failed where wasm did not: ${(e as Error).message}`);
        return { ...w, backend: "wasm" as const };
      }
    }
    return { ...(await this.wasmWitness(input)), backend: "wasm" as const };
  }

  private async wasmWitness(input: Record<string, unknown>): Promise<{ data: Uint8Array; linkedStats?: LinkedWitnessStats }> {
    if (this.manifest.linked) {
      const l = await this.loadLinked();
      const wasm = { shell: this.manifest.linked.shellWasm, transfer: this.manifest.linked.transferWasm };
      return this.linkedWitness(input, (part, inp) => l.wasm(`${this.manifest.label} ${part}`, wasm[part], inp), 1);
    }
    this.wasm ??= readFileSync(this.manifest.wasm);
    return { data: await wasmWitness(this.manifest.label, this.wasm, input) };
  }

  private async cppWitness(cpp: CppGenerators, input: Record<string, unknown>): Promise<{ data: Uint8Array; linkedStats?: LinkedWitnessStats }> {
    if ("main" in cpp) return { data: await cppWitness(cpp.main, input) };
    // One generator process per transfer witness, as many at once as cores.
    return this.linkedWitness(input, (part, inp) => cppWitness(cpp[part], inp), os.availableParallelism());
  }

  private async loadLinked(): Promise<NonNullable<Prover["linked"]>> {
    if (!this.manifest.linked) throw new Error(`setup ${this.manifest.label} is not linked`);
    this.linked ??= { layout: readLayout(this.manifest.linked.layout), hash: await poseidonHasher(), wasm: reusingWasmCalculator() };
    return this.linked;
  }

  /** A linked setup's witness of Batch's input (linked.ts), its parts' witnesses by `calc`. */
  private async linkedWitness(input: Record<string, unknown>, calc: PartWitness, concurrency: number) {
    const l = await this.loadLinked();
    const { wtns, stats } = await linkedBatchWitness(l.layout, l.hash, input, calc, { concurrency });
    return { data: wtns, linkedStats: stats };
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
    this.linked = undefined;
    await release?.();
  }
}

/**
 * A native program a Prover uses instead of its JavaScript default, built on first use: "off"
 * (never), "required" (a build error throws, and the next call tries again, e.g. after the
 * toolchain was installed) or "optional" (the first failure switches it off for good, with the
 * reason reported once through onFallback).
 */
class NativeBackend<T> {
  private built?: Promise<T | undefined>;
  /** Why an optional backend is off, once it fell back. */
  fallbackReason?: string;

  constructor(
    private readonly mode: "off" | "required" | "optional",
    private readonly build: () => Promise<T>,
    private readonly onFallback: (reason: string) => void,
  ) {}

  /** The built program, or undefined when it is off or fell back. */
  get(): Promise<T | undefined> {
    if (this.mode === "off") return Promise.resolve(undefined);
    return (this.built ??= this.build().catch((e: Error) => {
      if (this.mode === "required") {
        this.built = undefined;
        throw e;
      }
      this.fallBack(e.message);
      return undefined;
    }));
  }

  /** Switches an optional backend off (it failed where the default may not), saying why. */
  fallBack(reason: string): void {
    this.fallbackReason = reason;
    this.built = Promise.resolve(undefined);
    this.onFallback(reason);
  }
}
