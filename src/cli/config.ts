// Configuration of the zkr command, read and validated here and nowhere else. Each setting
// comes from its flag, else its environment variable, else a default; commands declare the
// settings they use (`withSettings`), which adds the flags and validates the values once.
// The layers below read no environment: they take these values as options (the witness
// calculator, the Groth16 prover, the development ptau), and the cache directory and the crypto engine are set once
// for the process (applyProcessSettings → src/proving/paths.ts setCacheDir, src/model/crypto.ts setCryptoEngine).
// Also here: the wallet file the CLI keeps (an L2 private key, written with mode 0600); the
// deployment file is src/ops/deployment.ts's. No private key has a default.
import { Command } from "commander";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { isHexString } from "ethers";
import { CRYPTO_CHOICES, type CryptoChoice, setCryptoEngine } from "../model/crypto.js";
import { L2Key } from "../model/keys.js";
import { cacheDir, setCacheDir } from "../proving/paths.js";
import { PROVER_CHOICES, type ProverChoice, WITNESS_CHOICES, type WitnessChoice } from "../proving/prover.js";
import { DEFAULT_MAX_LOG_RANGE } from "../chain/logs.js";
import { type Deployment, readDeployment } from "../ops/deployment.js";
import { writeFileAtomic } from "../util/fs.js";

export type Setting = "rpc" | "key" | "sequencer" | "wallet" | "deployment" | "maxLogRange" | "witness" | "prover" | "devPtau";

interface Spec {
  /** The command-line flag; a setting without one comes only from its environment variable. */
  flag?: string;
  env: string;
  help: string;
  /** Default value; rpc's default is the deployment's rpc, then DEFAULT_RPC. */
  default?: string;
  /** Validates a value, returning it normalised. */
  check(value: string, from: string): string;
}

export const DEFAULT_RPC = "http://127.0.0.1:8545";
const DEFAULT_SEQUENCER = "http://127.0.0.1:8080";
/** Where the CLI keeps its files by default (relative to the working directory; gitignored). */
const STATE_DIR = ".zkr";

/** An http(s) URL, without trailing slashes; `from` names where it came from in the error. */
export function httpUrl(value: string, from: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${from} is not a URL: "${value}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`${from} must be an http(s) URL, got "${value}"`);
  return value.replace(/\/+$/, "");
}

function privateKey(value: string, from: string): string {
  const v = value.startsWith("0x") ? value : `0x${value}`;
  // Never echo the value: it is a secret.
  if (!isHexString(v, 32)) throw new Error(`${from} must be a private key of 32 bytes (64 hex digits, optionally 0x-prefixed)`);
  return v.toLowerCase();
}

const file = (value: string) => path.resolve(value);

function witnessChoice(value: string, from: string): string {
  if (!WITNESS_CHOICES.includes(value as WitnessChoice)) throw new Error(`${from} must be ${WITNESS_CHOICES.join(", ")}, got "${value}"`);
  return value;
}

function proverChoice(value: string, from: string): string {
  if (!PROVER_CHOICES.includes(value as ProverChoice)) throw new Error(`${from} must be ${PROVER_CHOICES.join(", ")}, got "${value}"`);
  return value;
}

function blockCount(value: string, from: string): string {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new Error(`${from} must be a number of blocks from 1 to 9999999, got "${value}"`);
  return value;
}

const SPECS: Record<Setting, Spec> = {
  rpc: { flag: "--rpc <url>", env: "ZKR_RPC", help: `L1 JSON-RPC URL (default: the deployment's, else ${DEFAULT_RPC})`, check: httpUrl },
  key: { flag: "--key <hex>", env: "ZKR_KEY", help: "L1 private key that signs L1 transactions (prefer the env var: flags show in ps)", check: privateKey },
  sequencer: { flag: "--sequencer <url>", env: "ZKR_SEQUENCER", help: "sequencer API URL", default: DEFAULT_SEQUENCER, check: httpUrl },
  wallet: { flag: "--wallet <file>", env: "ZKR_WALLET", help: "L2 wallet file", default: `${STATE_DIR}/wallet.json`, check: file },
  deployment: { flag: "--deployment <file>", env: "ZKR_DEPLOYMENT", help: "deployment file", default: `${STATE_DIR}/deployment.json`, check: file },
  maxLogRange: {
    flag: "--max-log-range <blocks>",
    env: "ZKR_MAX_LOG_RANGE",
    help: "largest block range per eth_getLogs request (halved while the node refuses one)",
    default: String(DEFAULT_MAX_LOG_RANGE),
    check: blockCount,
  },
  witness: {
    flag: "--witness <calculator>",
    env: "ZKR_WITNESS",
    help: "witness calculator of the proofs made in this process: wasm, cpp (circom's C++ generator: 3-5x faster, built once per circuit with g++, see scripts/ensure-witness-toolchain.sh) or auto (cpp if it builds, else wasm)",
    default: "wasm",
    check: witnessChoice,
  },
  prover: {
    flag: "--prover <backend>",
    env: "ZKR_PROVER",
    help: "Groth16 prover of the proofs made in this process: snarkjs, native (zkr's C++ prover on ffiasm, GPL-3.0, a separate process: several times faster, built once with g++ and nasm, see scripts/ensure-witness-toolchain.sh) or auto (native if it builds, else snarkjs)",
    default: "auto",
    check: proverChoice,
  },
  devPtau: { env: "ZKR_DEV_PTAU", help: "development ptau file used instead of the shared or generated one", check: file },
};

/** How a user names a setting: its flag, or its env var if it has no flag. */
const flagName = (s: Setting) => SPECS[s].flag?.split(" ")[0] ?? SPECS[s].env;

/** Adds the flags of `settings` to a command (help names the env var and default of each). */
export function withSettings(cmd: Command, ...settings: Setting[]): Command {
  for (const s of settings) {
    const spec = SPECS[s];
    if (spec.flag) cmd.option(spec.flag, `${spec.help} [env ${spec.env}${spec.default ? `, default ${spec.default}` : ""}]`);
  }
  return cmd;
}

/** The settings of the whole process, read once at start-up. */
export interface ProcessSettings {
  /** Where circuits, ptau files and keys are cached ($ZKR_CACHE, default ~/.cache/zkr). */
  cacheDir: string;
  /** Errors show their stack ($ZKR_DEBUG=1). */
  debug: boolean;
  /** Poseidon and signature checks: zkr's native addon, circomlibjs, or native where it builds ($ZKR_CRYPTO, default auto). */
  crypto: CryptoChoice;
}

/**
 * Reads the process-wide settings from `env` and applies them: the cache directory becomes the
 * process's (src/proving/paths.ts setCacheDir; proving child processes get it from their parent),
 * and so does the crypto engine (src/model/crypto.ts setCryptoEngine: the native addon is built
 * and loaded when the model first hashes, src/proving/nativeCrypto.ts).
 * Called once by each entry point before anything else: src/cli/index.ts, the test suite
 * (test/setup.ts) and the benchmarks.
 */
export function applyProcessSettings(env: NodeJS.ProcessEnv = process.env): ProcessSettings {
  const cache = env.ZKR_CACHE;
  setCacheDir(cache === undefined || cache === "" ? undefined : path.resolve(cache));
  const debug = env.ZKR_DEBUG ?? "";
  if (!["", "0", "1"].includes(debug)) throw new Error(`ZKR_DEBUG must be 1 or 0, got "${debug}"`);
  const crypto = (env.ZKR_CRYPTO || "auto") as CryptoChoice;
  if (!CRYPTO_CHOICES.includes(crypto)) throw new Error(`ZKR_CRYPTO must be ${CRYPTO_CHOICES.join(", ")}, got "${crypto}"`);
  const log = (m: string) => console.error(`zkr: ${m}`);
  setCryptoEngine({ engine: crypto, native: async () => (await import("../proving/nativeCrypto.js")).loadNativeCrypto({ log }), log });
  return { cacheDir: cacheDir(), debug: debug === "1", crypto };
}

/** The resolved, validated settings of one command run. */
export class Config {
  private deploymentCache?: Deployment;

  private constructor(private readonly values: Partial<Record<Setting, string>>) {}

  /** Reads `settings` from the command's options, then `env`, then defaults, and validates them. */
  static resolve(opts: Record<string, unknown>, settings: Setting[], env: NodeJS.ProcessEnv = process.env): Config {
    const values: Partial<Record<Setting, string>> = {};
    for (const s of settings) {
      const spec = SPECS[s];
      const flag = opts[s];
      const fromEnv = env[spec.env];
      if (typeof flag === "string") values[s] = spec.check(flag, flagName(s));
      else if (fromEnv !== undefined && fromEnv !== "") values[s] = spec.check(fromEnv, spec.env);
      else if (spec.default !== undefined) values[s] = spec.check(spec.default, `the default ${flagName(s)}`);
    }
    return new Config(values);
  }

  /** A setting's value, or undefined if it was not given and has no default. */
  get(s: Setting): string | undefined {
    return s === "rpc" ? this.rpc : this.values[s];
  }

  /** The eth_getLogs range limit (the default unless the command declared the setting). */
  get maxLogRange(): number {
    return Number(this.values.maxLogRange ?? DEFAULT_MAX_LOG_RANGE);
  }

  /** The witness calculator of proofs made in this process (wasm unless the command declared the setting). */
  get witness(): WitnessChoice {
    return (this.values.witness ?? "wasm") as WitnessChoice;
  }

  /** The Groth16 prover of proofs made in this process (auto unless the command declared the setting). */
  get prover(): ProverChoice {
    return (this.values.prover ?? "auto") as ProverChoice;
  }

  /** The development ptau to set up with, if one is given ($ZKR_DEV_PTAU). */
  get devPtau(): string | undefined {
    return this.values.devPtau;
  }

  /** A setting that must be given. */
  need(s: Setting): string {
    const v = this.get(s);
    if (v === undefined) throw new Error(`missing ${s === "key" ? "L1 private key" : s}: pass ${flagName(s)} or set ${SPECS[s].env}`);
    return v;
  }

  /** The L1 URL: flag, env, the deployment's, or the default. */
  get rpc(): string {
    if (this.values.rpc) return this.values.rpc;
    const f = this.values.deployment;
    if (f && existsSync(f)) return this.deployment().rpc;
    return DEFAULT_RPC;
  }

  /** The deployment file, read and checked. */
  deployment(): Deployment {
    return (this.deploymentCache ??= readDeployment(this.need("deployment")));
  }

  /** The L2 key in the wallet file. */
  wallet(): Promise<L2Key> {
    return readWallet(this.need("wallet"));
  }
}

// ------------------------------------------------------------------- wallet file

const WALLET_FORMAT = "zkr-l2-wallet-1";

interface WalletFile {
  format: typeof WALLET_FORMAT;
  /** BabyJubJub public key, decimal. */
  ax: string;
  ay: string;
  privateKey: string;
}

/** Creates a wallet file with a new random L2 key (mode 0600; never replaces a file unless `overwrite`). */
export async function createWallet(f: string, overwrite: boolean): Promise<L2Key> {
  if (existsSync(f) && !overwrite) throw new Error(`${f} exists: it may hold the only copy of a key; pass --force to replace it, or --out another file`);
  const key = await L2Key.random();
  const w: WalletFile = { format: WALLET_FORMAT, ax: key.ax.toString(), ay: key.ay.toString(), privateKey: key.privateKey };
  writeFileAtomic(f, JSON.stringify(w, null, 2) + "\n", { mode: 0o600 });
  return key;
}

export async function readWallet(f: string): Promise<L2Key> {
  if (!existsSync(f)) throw new Error(`no wallet file ${f}: run \`zkr wallet new\`, or pass --wallet / set ZKR_WALLET`);
  if ((statSync(f).mode & 0o077) !== 0) {
    console.error(`zkr: warning: wallet ${f} is readable by other users (chmod 600 ${f})`);
  }
  let w: WalletFile;
  try {
    w = JSON.parse(readFileSync(f, "utf8")) as WalletFile;
  } catch (e) {
    throw new Error(`wallet file ${f} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (w.format !== WALLET_FORMAT || typeof w.privateKey !== "string") throw new Error(`${f} is not a zkr wallet (format ${WALLET_FORMAT})`);
  const key = await L2Key.fromPrivateKey(w.privateKey).catch((e: Error) => {
    throw new Error(`wallet file ${f}: ${e.message}`);
  });
  if (w.ax !== key.ax.toString() || w.ay !== key.ay.toString()) throw new Error(`wallet file ${f} is corrupt: its public key does not match its private key`);
  return key;
}
