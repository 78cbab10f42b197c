// The manifest of a setup directory (setup.json): what the keys are, where they came from and
// on which chains they may be used.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { CircuitParams } from "../model/params.js";

/** Chain ids of local development chains (Hardhat, Ganache / geth --dev). */
export const DEV_CHAIN_IDS: readonly bigint[] = [31337n, 1337n];

export interface SetupManifest {
  label: string;
  /** Instance parameters, for a registered batch instance; null for other circuits. */
  params: CircuitParams | null;
  /** compileCircuit's key: hash of the circuit sources, compiler and main. */
  circuitKey: string;
  /** Key of this setup: hash of circuitKey, the ptau's sha256 and the setup format. */
  key: string;
  constraints: number;
  nPublic: number;
  /** log2 of the circuit's FFT domain (≤ ptau.power). */
  domainPower: number;
  ptau: PtauInfo;
  /**
   * True unless both phases come from multi-party ceremonies (a ceremony ptau, and phase 2 by
   * `zkr ceremony`): a development ptau or a single phase-2 contribution lets its maker forge
   * proofs. (Manifests written before phase2 was recorded set it from the ptau alone: use
   * setupIsInsecure.)
   */
  insecure: boolean;
  /**
   * Phase 2: who contributed, the beacon, the hashes of the key files. Absent in manifests
   * written before zkr recorded it; those all come from `zkr setup` (one contribution).
   */
  phase2?: SetupPhase2;
  contractName: string;
  zkey: string;
  vkey: string;
  verifierSol: string;
  /** The circuit's wasm; for a linked setup the shell's (its witnesses: `linked`). */
  wasm: string;
  r1cs: string;
  /**
   * A linked setup (params.linked, src/proving/linked.ts): the layout and the parts' wasm in
   * this directory and the parts' circuit keys (their C++ generators are built from the mains
   * params imply, checked against these keys).
   */
  linked?: LinkedFiles;
  snarkjs: string;
  createdAt: string;
}

/** The files of a linked setup beyond a monolithic one's. */
export interface LinkedFiles {
  layout: string;
  shellWasm: string;
  transferWasm: string;
  shellKey: string;
  transferKey: string;
}

/** "development": one contribution by whoever ran `zkr setup`; "ceremony": `zkr ceremony`, ending in a public beacon. */
export type Phase2Kind = "development" | "ceremony";

/** The public random beacon a ceremony ends with. */
export interface SetupBeacon {
  /** The beacon value, hex (e.g. the hash of a block named before the ceremony closed). */
  hash: string;
  /** log2 of the number of sha256 iterations applied to it (snarkjs numIterationsExp). */
  iterationsExp: number;
  /** Where the value comes from, as announced (free text), if given. */
  source: string | null;
  /** The beacon contribution's hash (blake2b-512 of its public key). */
  contributionHash: string;
}

/** What phase 2 of a setup consisted of: enough for anyone to recheck it against the zkey. */
export interface SetupPhase2 {
  kind: Phase2Kind;
  /** snarkjs's circuit hash of the initial key (circuit and ptau together). */
  circuitHash: string;
  /** The contributions before the beacon, in order, as `zkr ceremony verify` lists them. */
  contributions: { name: string; hash: string }[];
  beacon: SetupBeacon | null;
  /** sha256 of circuit.zkey and of verification_key.json. */
  zkeySha256: string;
  vkeySha256: string;
  /** For a ceremony: the sha256 of its initial key (contribution 0) and of the r1cs. */
  ceremony?: { initialZkeySha256: string; r1csSha256: string };
}

/**
 * Where a deployed verifier's key came from, as `zkr deploy` records it in the deployment file
 * and `zkr verify` / `zkr status --l1` show it.
 */
export interface SetupProvenance {
  kind: Phase2Kind;
  /** True unless phase 1 and phase 2 both come from ceremonies (see SetupManifest.insecure). */
  insecure: boolean;
  ptau: { kind: PtauInfo["kind"]; sha256: string; power: number };
  circuitHash: string;
  contributions: { name: string; hash: string }[];
  beacon: SetupBeacon | null;
  zkeySha256: string;
  vkeySha256: string;
}

/** "3 contributions + beacon", "1 contribution". */
export function contributionCount(p: Pick<SetupPhase2, "contributions" | "beacon">): string {
  const n = p.contributions.length;
  return `${n} contribution${n === 1 ? "" : "s"}${p.beacon ? " + beacon" : ""}`;
}

/** Reads and checks the manifest of a setup directory (or of its setup.json). */
export function readSetupManifest(dirOrFile: string): SetupManifest {
  const file = dirOrFile.endsWith(".json") ? dirOrFile : path.join(dirOrFile, "setup.json");
  const m = JSON.parse(readFileSync(file, "utf8")) as SetupManifest;
  for (const f of [m.zkey, m.vkey, m.verifierSol, m.wasm]) {
    if (typeof f !== "string" || !existsSync(f)) throw new Error(`setup ${file} is incomplete: missing ${f}`);
  }
  return m;
}

/** The kind of a setup's phase 2 ("development" for manifests that predate the record). */
export function phase2Kind(m: Pick<SetupManifest, "phase2">): Phase2Kind {
  return m.phase2?.kind ?? "development";
}

/** True unless phase 1 and phase 2 both come from ceremonies. */
export function setupIsInsecure(m: Pick<SetupManifest, "ptau" | "phase2">): boolean {
  return m.ptau.kind !== "ceremony" || phase2Kind(m) !== "ceremony";
}

export interface KeyPolicy {
  /**
   * Accept a single-contribution (`zkr setup`) phase 2 with a ceremony ptau on a chain that is
   * not a development chain: trusting whoever ran the setup (a testnet, say).
   */
  allowSingleContribution?: boolean;
}

/**
 * Refuses, on any chain but a local development chain (31337, 1337), the keys whose maker could
 * forge proofs: keys from a development ptau (always), and keys whose phase 2 is a single
 * contribution (`zkr setup`) unless `allowSingleContribution`. A single contribution's secret
 * is known to the machine that made it, and nobody else can check it was destroyed; a ceremony
 * is sound if any one of its contributors was honest.
 */
export function assertKeyAllowedForChain(manifest: Pick<SetupManifest, "label" | "ptau" | "phase2">, chainId: number | bigint, policy: KeyPolicy = {}): void {
  if (DEV_CHAIN_IDS.includes(BigInt(chainId))) return;
  if (manifest.ptau.kind !== "ceremony") {
    throw new Error(
      `refusing the "${manifest.label}" key on chain ${chainId}: it was made from a development ptau ` +
        `(${manifest.ptau.path}), whose single contributor could forge proofs. Development keys are only ` +
        `allowed on chains ${DEV_CHAIN_IDS.join(", ")}; use a ceremony ptau and its sha256.`,
    );
  }
  if (phase2Kind(manifest) !== "ceremony" && !policy.allowSingleContribution) {
    throw new Error(
      `refusing the "${manifest.label}" key on chain ${chainId}: its phase 2 is a single contribution (zkr setup), ` +
        `so whoever ran that setup could forge proofs. Run a ceremony (zkr ceremony init/contribute/finalize) and ` +
        `deploy its setup with --setup, or pass --allow-single-contribution to accept that trust.`,
    );
  }
}

/**
 * One line for people: "ceremony, 3 contributions + beacon, vkey sha256 …" or
 * "DEVELOPMENT (single contribution, insecure), vkey sha256 …".
 */
export function describeProvenance(p: SetupProvenance): string {
  const vkey = `vkey sha256 ${p.vkeySha256}`;
  if (p.kind === "development") return `DEVELOPMENT (single contribution, insecure), ${p.ptau.kind} ptau, ${vkey}`;
  const ptau = p.ptau.kind === "ceremony" ? "ceremony ptau" : "DEVELOPMENT ptau (insecure)";
  return `ceremony, ${contributionCount(p)}, ${ptau}, ${vkey}`;
}

export type PtauKind = "ceremony" | "development";

export interface PtauInfo {
  path: string;
  sha256: string;
  /** log2 of the largest circuit domain this ptau supports. */
  power: number;
  kind: PtauKind;
}
