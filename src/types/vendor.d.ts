// Minimal type declarations for the untyped iden3 packages zkr uses.

declare module "circomlibjs" {
  export interface FieldLike {
    toObject(a: Uint8Array): bigint;
    e(a: bigint | number | string): Uint8Array;
    eq(a: Uint8Array, b: Uint8Array): boolean;
    p: bigint;
  }
  export interface Poseidon {
    (inputs: (bigint | number | string | Uint8Array)[]): Uint8Array;
    F: FieldLike;
  }
  export interface BabyJub {
    F: FieldLike;
    subOrder: bigint;
    order: bigint;
    Base8: [Uint8Array, Uint8Array];
    /** The curve's a and d (a·x² + y² = 1 + d·x²·y²). */
    A: Uint8Array;
    D: Uint8Array;
    inCurve(p: [Uint8Array, Uint8Array]): boolean;
    inSubgroup(p: [Uint8Array, Uint8Array]): boolean;
    packPoint(p: [Uint8Array, Uint8Array]): Uint8Array;
    unpackPoint(b: Uint8Array): [Uint8Array, Uint8Array] | null;
    addPoint(a: [Uint8Array, Uint8Array], b: [Uint8Array, Uint8Array]): [Uint8Array, Uint8Array];
    mulPointEscalar(base: [Uint8Array, Uint8Array], e: bigint): [Uint8Array, Uint8Array];
  }
  export interface EdDSA {
    F: FieldLike;
    babyJub: BabyJub;
    poseidon: Poseidon;
    prv2pub(prv: Uint8Array): [Uint8Array, Uint8Array];
    /** Clears bits 0–2 and 255 and sets bit 254 of the first 32 bytes, in place; returns buff. */
    pruneBuffer<B extends Uint8Array>(buff: B): B;
  }
  export function buildPoseidon(): Promise<Poseidon>;
  export function buildEddsa(): Promise<EdDSA>;
  export function buildBabyjub(): Promise<BabyJub>;
  export const poseidonContract: {
    createCode(nInputs: number): string;
    generateABI(nInputs: number): unknown[];
  };
}

declare module "snarkjs" {
  export interface Groth16Proof {
    pi_a: string[];
    pi_b: string[][];
    pi_c: string[];
    protocol: string;
    curve: string;
  }
  export type PublicSignals = string[];
  export const groth16: {
    fullProve(
      input: Record<string, unknown>,
      wasmFile: string | Uint8Array,
      zkeyFile: string | Uint8Array,
      logger?: unknown,
    ): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    prove(
      zkeyFile: string | Uint8Array,
      witnessFile: string | Uint8Array | { type: string; data?: Uint8Array },
      logger?: unknown,
    ): Promise<{ proof: Groth16Proof; publicSignals: PublicSignals }>;
    verify(vk: unknown, publicSignals: PublicSignals, proof: Groth16Proof, logger?: unknown): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: PublicSignals): Promise<string>;
  };
  export const wtns: {
    calculate(
      input: Record<string, unknown>,
      wasmFile: string | Uint8Array,
      wtnsFile: string | { type: string; data?: Uint8Array },
      options?: unknown,
    ): Promise<void>;
    check(r1csFile: string, wtnsFile: string, logger?: unknown): Promise<boolean>;
  };
  export const zKey: {
    newZKey(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<unknown>;
    contribute(zkeyIn: string, zkeyOut: string, name: string, entropy: string, logger?: unknown): Promise<Uint8Array>;
    beacon(zkeyIn: string, zkeyOut: string, name: string, beaconHash: string, numIterationsExp: number, logger?: unknown): Promise<Uint8Array>;
    verifyFromR1cs(r1cs: string, ptau: string, zkey: string, logger?: unknown): Promise<boolean>;
    verifyFromInit(initZkey: string, ptau: string, zkey: string, logger?: unknown): Promise<boolean>;
    exportVerificationKey(zkey: string, logger?: unknown): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: string, templates: Record<string, string>, logger?: unknown): Promise<string>;
  };
  export const powersOfTau: {
    newAccumulator(curve: unknown, power: number, fileName: string, logger?: unknown): Promise<unknown>;
    contribute(oldPtau: string, newPtau: string, name: string, entropy: string, logger?: unknown): Promise<unknown>;
    beacon(oldPtau: string, newPtau: string, name: string, beaconHash: string, numIterationsExp: number, logger?: unknown): Promise<unknown>;
    preparePhase2(oldPtau: string, newPtau: string, logger?: unknown): Promise<unknown>;
    verify(ptau: string, logger?: unknown): Promise<boolean>;
  };
  export const r1cs: {
    info(r1csFile: string, logger?: unknown): Promise<{ nConstraints: number; nVars: number; nOutputs: number; nPubInputs: number; nPrvInputs: number }>;
  };
}

declare module "ffjavascript" {
  export function buildBn128(singleThread?: boolean): Promise<{ terminate(): Promise<void> }>;
  export function getCurveFromName(name: string, singleThread?: boolean): Promise<{ terminate(): Promise<void> }>;
  /** The ChaCha20-based generator snarkjs draws keys from; seeded with 8 32-bit words. */
  export class ChaCha {
    constructor(seed?: number[]);
    nextU32(): number;
  }
}

declare module "@iden3/binfileutils" {
  export function readBinFile(fileName: string, type: string, maxVersion: number): Promise<{ fd: unknown; sections: unknown[][] }>;
  export function readSection(fd: unknown, sections: unknown[][], idSection: number): Promise<Uint8Array>;
  export function startReadUniqueSection(fd: unknown, sections: unknown[][], idSection: number): Promise<void>;
  export function endReadSection(fd: unknown, noCheck?: boolean): Promise<void>;
}

declare module "circom_runtime" {
  /** snarkjs's witness runtime: a calculator over a circom witness module (test/circuits/lenient.ts). */
  export function WitnessCalculatorBuilder(
    code: WebAssembly.Instance | Uint8Array,
    options?: Record<string, unknown>,
  ): Promise<{
    calculateWitness(input: unknown, sanityCheck: boolean): Promise<bigint[]>;
    calculateWTNSBin(input: unknown, sanityCheck: boolean): Promise<Uint8Array>;
  }>;
}
