// Configuration of the zkr command, read and validated here and nowhere else. Each setting
// comes from its flag, else its environment variable, else a default; commands declare the
// settings they use (`withSettings`), which adds the flags and validates the values once.
// Also here: the two files the CLI keeps, the deployment record (public addresses) and the
// wallet (an L2 private key, written with mode 0600). No private key has a default.
import { Command } from "commander";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { getAddress, isHexString } from "ethers";
import { L2Key } from "../model/keys.js";
import { type DerivedParams } from "../model/params.js";
import { getInstance } from "../proving/instances.js";
import { DEFAULT_MAX_LOG_RANGE } from "../chain/logs.js";
import { describeProvenance, type SetupManifest, type SetupProvenance } from "../proving/manifest.js";
import { verifyingKeyHashOfFile } from "../proving/vkey.js";
import { writeFileAtomic } from "../util/fs.js";

export type Setting = "rpc" | "key" | "sequencer" | "wallet" | "deployment" | "maxLogRange";

interface Spec {
  flag: string;
  env: string;
  help: string;
  /** Default value; rpc's default is the deployment's rpc, then DEFAULT_RPC. */
  default?: string;
  /** Validates a value, returning it normalised. */
  check(value: string, from: string): string;
}

export const DEFAULT_RPC = "http://127.0.0.1:8545";
export const DEFAULT_SEQUENCER = "http://127.0.0.1:8080";
/** Where the CLI keeps its files by default (relative to the working directory; gitignored). */
export const STATE_DIR = ".zkr";

function httpUrl(value: string, from: string): string {
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
};

const flagName = (s: Setting) => SPECS[s].flag.split(" ")[0]!;

/** Adds the flags of `settings` to a command (help names the env var and default of each). */
export function withSettings(cmd: Command, ...settings: Setting[]): Command {
  for (const s of settings) {
    const spec = SPECS[s];
    cmd.option(spec.flag, `${spec.help} [env ${spec.env}${spec.default ? `, default ${spec.default}` : ""}]`);
  }
  return cmd;
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

// ------------------------------------------------------------------- deployment file

// 3: one verifier for single and aggregated proofs with its verifying key hash, and the L1-queue
// policy (fee, minimum deposit, grace, inactivity delay).
export const DEPLOYMENT_FORMAT = "zkr-deployment-3";

/** What `zkr deploy` records: everything needed to talk to the rollup and check its proofs. */
export interface Deployment {
  format: typeof DEPLOYMENT_FORMAT;
  chainId: string;
  rpc: string;
  rollup: string;
  /** The verifier of single and aggregated proofs (ZkrVerifier_<instance>). */
  verifier: string;
  /** keccak256 of the verification key's points (src/proving/verifier.ts verifyingKeyHash), 0x-hex. */
  verifyingKeyHash: string;
  poseidon: { 3: string; 4: string; 5: string; 8: string };
  sequencer: string;
  instance: string;
  /** Setup (proving key) the verifier was exported from: cacheDir()/setup/<instance>-<setupKey>. */
  setupKey: string;
  /** sha256 of that setup's verification_key.json. */
  vkeySha256: string;
  /**
   * Which setup the verifier came from: development or ceremony, its contributions and beacon,
   * the hashes of its zkey and verification key (src/proving/setup.ts setupProvenance). Absent in files
   * written before zkr recorded it.
   */
  setupProvenance?: SetupProvenance;
  /** The rollup's immutable policy, decimal strings: seconds, and wei for the fee and the minimum. */
  escapeDelay: string;
  inactivityDelay: string;
  l1Grace: string;
  l1OpFee: string;
  minDeposit: string;
  deployBlock: number;
  deployedAt: string;
}

/** Reads and checks a deployment file; the error says how to make one. */
export function readDeployment(f: string): Deployment {
  if (!existsSync(f)) throw new Error(`no deployment file ${f}: run \`zkr deploy\` or \`zkr devnet\`, or pass --deployment / set ZKR_DEPLOYMENT`);
  let d: Deployment;
  try {
    d = JSON.parse(readFileSync(f, "utf8")) as Deployment;
  } catch (e) {
    throw new Error(`deployment file ${f} is not JSON: ${(e as Error).message}`);
  }
  const bad = (why: string) => new Error(`deployment file ${f} is invalid: ${why}`);
  if (d.format !== DEPLOYMENT_FORMAT) throw bad(`format is ${JSON.stringify(d.format)}, expected "${DEPLOYMENT_FORMAT}"`);
  try {
    for (const a of [d.rollup, d.verifier, d.sequencer, d.poseidon?.[3], d.poseidon?.[4], d.poseidon?.[5], d.poseidon?.[8]]) getAddress(a ?? "");
    getInstance(d.instance);
    httpUrl(d.rpc, "rpc");
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (!/^[1-9]\d*$/.test(d.chainId)) throw bad("chainId");
  if (!Number.isSafeInteger(d.deployBlock) || d.deployBlock < 0) throw bad("deployBlock");
  if (!/^[0-9a-f]{16}$/.test(d.setupKey) || !/^[0-9a-f]{64}$/.test(d.vkeySha256)) throw bad("setupKey / vkeySha256");
  const p = d.setupProvenance;
  if (p !== undefined && (!["ceremony", "development"].includes(p?.kind) || p.vkeySha256 !== d.vkeySha256 || !Array.isArray(p.contributions))) {
    throw bad("setupProvenance (its kind, contributions, or a verification key sha256 other than vkeySha256)");
  }
  if (!/^0x[0-9a-f]{64}$/.test(d.verifyingKeyHash ?? "")) throw bad("verifyingKeyHash");
  for (const f of ["escapeDelay", "inactivityDelay", "l1Grace", "l1OpFee", "minDeposit"] as const) {
    if (typeof d[f] !== "string" || !/^\d+$/.test(d[f])) throw bad(f);
  }
  return d;
}

/** One line on the setup the deployment's verifier came from (zkr verify, zkr status --l1). */
export function describeDeploymentSetup(d: Deployment): string {
  return d.setupProvenance ? describeProvenance(d.setupProvenance) : `not recorded (deployment file from before zkr recorded it), vkey sha256 ${d.vkeySha256}`;
}

export function deploymentParams(d: Deployment): DerivedParams {
  return getInstance(d.instance);
}

/** Writes a deployment file (atomically); refuses to replace one unless `overwrite`. */
export function writeDeployment(f: string, d: Deployment, overwrite: boolean): void {
  if (existsSync(f) && !overwrite) throw new Error(`${f} exists (a previous deployment?): pass --force to replace it, or --out another file`);
  writeFileAtomic(f, JSON.stringify(d, null, 2) + "\n", { mode: 0o644 });
}

export function sha256File(f: string): string {
  return createHash("sha256").update(readFileSync(f)).digest("hex");
}

/** Checks that `manifest` is the setup a deployment's verifier was exported from. */
export function checkSetupMatches(d: Deployment, manifest: SetupManifest, where: string): void {
  if (manifest.label !== d.instance || manifest.key !== d.setupKey || sha256File(manifest.vkey) !== d.vkeySha256 || verifyingKeyHashOfFile(manifest.vkey) !== d.verifyingKeyHash) {
    throw new Error(
      `${where} holds setup ${manifest.label}-${manifest.key}, but the rollup's verifier comes from setup ${d.instance}-${d.setupKey} ` +
        `(verification key sha256 ${d.vkeySha256}): pass --setup with a copy of the deployer's setup directory`,
    );
  }
}

// ------------------------------------------------------------------- wallet file

export const WALLET_FORMAT = "zkr-l2-wallet-1";

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
    throw new Error(`wallet file ${f} is not JSON: ${(e as Error).message}`);
  }
  if (w.format !== WALLET_FORMAT || typeof w.privateKey !== "string") throw new Error(`${f} is not a zkr wallet (format ${WALLET_FORMAT})`);
  const key = await L2Key.fromPrivateKey(w.privateKey).catch((e: Error) => {
    throw new Error(`wallet file ${f}: ${e.message}`);
  });
  if (w.ax !== key.ax.toString() || w.ay !== key.ay.toString()) throw new Error(`wallet file ${f} is corrupt: its public key does not match its private key`);
  return key;
}

