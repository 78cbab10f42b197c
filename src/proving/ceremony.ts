// Phase 2 of the Groth16 setup as a multi-party ceremony, the workflow production rollups ran
// with snarkjs or its predecessors (Hermez, zkSync and Loopring, Semaphore, MACI):
//
//   init        (coordinator) compile the circuit, compute the initial key (contribution 0, no
//               secret) from the r1cs and a ptau, and write the ceremony directory: the key and
//               ceremony.json, the transcript (circuit, r1cs and ptau hashes, accepted
//               contributions, and at the end the beacon and the final hashes).
//   contribute  (each participant in turn, on any machine, with only the previous zkey) multiply
//               a fresh secret δ_i into the key and append its proof of knowledge; the command
//               prints the contribution hash the participant publishes.
//   verify      (anyone) check the whole chain against the r1cs and the ptau (snarkjs `zkey
//               verify`) and that it extends the accepted transcript (so no contribution was
//               dropped), and list every contribution with its hash; `--record` (coordinator)
//               accepts the new ones into the transcript.
//   finalize    (coordinator) apply a public random beacon announced in advance (e.g. the hash
//               of a future block) as the last contribution, verify again, and export the
//               verification key and the Solidity verifier as a setup directory (src/proving/setup.ts
//               layout, phase2.kind "ceremony") that `zkr deploy --setup`, `zkr sequencer` and
//               `zkr prover --setup` use.
//
// Trust: the final key lets nobody forge proofs as long as at least one contributor generated
// their secret honestly and destroyed it (and phase 1, the ptau, had one honest party too). The
// beacon adds no secrecy: it keeps the last contributor from choosing the final key among many
// tries, since its value was unknown when the contributions closed. The verification here
// recomputes the initial key locally (cached) and never trusts the ceremony's circuit_0000.zkey.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { zKey } from "snarkjs";
import { compileCircuit } from "./circom.js";
import { setupDir } from "./paths.js";
import { type CircuitParams } from "../model/params.js";
import { getInstance } from "./instances.js";
import { sha256FileCached } from "./ptau.js";
import { type PtauInfo } from "./manifest.js";
import { type Log } from "../util/log.js";
import { sha256File, tempPathFor, writeFileAtomic } from "../util/fs.js";
import { snarkjsLogger, withCurve } from "./curve.js";
import { batchMainSource, buildSetupDir, instanceParams, preparePhase1, type SetupOptions, snarkjsVersion } from "./setup.js";
import { readSetupManifest, type SetupBeacon, type SetupManifest } from "./manifest.js";
import { initialZkey, readZkeyChain, sha256Hex, type ZkeyChain, type ZkeyContribution } from "./zkey.js";

export const CEREMONY_FORMAT = "zkr-ceremony-1";
/** The transcript in a ceremony directory. */
export const CEREMONY_FILE = "ceremony.json";
/** The initial key in a ceremony directory. */
export const INITIAL_ZKEY = "circuit_0000.zkey";

/** Bumped when what a finalized setup's key hashes changes. */
const CEREMONY_SETUP_FORMAT = "zkr-ceremony-setup-v1";

/** snarkjs `zkey beacon` accepts 10 ..= 63 (2^10 to 2^63 sha256 iterations). */
export const BEACON_MIN_ITERATIONS_EXP = 10;
export const BEACON_MAX_ITERATIONS_EXP = 63;
/** A beacon of fewer bytes cannot carry enough randomness (a block hash has 32). */
export const BEACON_MIN_BYTES = 16;

/** A contribution accepted into the transcript. */
export interface TranscriptEntry {
  index: number;
  name: string;
  hash: string;
  /** The key (relative to the ceremony directory) it was accepted from; null for one seen only inside a later key. */
  zkey: string | null;
  zkeySha256: string | null;
  recordedAt: string;
}

export interface CeremonyFinal {
  beacon: SetupBeacon;
  zkeySha256: string;
  vkeySha256: string;
  /** The setup directory written and its key. */
  setupKey: string;
  setupDir: string;
  finalizedAt: string;
}

/** ceremony.json: what the ceremony is for, and what it has accepted. */
export interface CeremonyManifest {
  format: typeof CEREMONY_FORMAT;
  label: string;
  /** Instance parameters, for a registered batch instance; null for other circuits. */
  params: CircuitParams | null;
  /** The circom main (verify recompiles it with the verifier's own checkout and compares the r1cs). */
  main: string;
  /** compileCircuit's key where the ceremony was initialised (informative: the r1cs hash decides). */
  circuitKey: string;
  r1csSha256: string;
  constraints: number;
  nPublic: number;
  domainPower: number;
  /** Phase 1: the ptau the initial key was made from (its path on the coordinator's machine). */
  ptau: PtauInfo;
  snarkjs: string;
  /** snarkjs's circuit hash of the initial key: every key of the ceremony carries it. */
  circuitHash: string;
  initialZkeySha256: string;
  /** Accepted contributions, in chain order: every later key must extend them. */
  transcript: TranscriptEntry[];
  final: CeremonyFinal | null;
  createdAt: string;
}

export interface InitCeremonyOptions extends Pick<SetupOptions, "ptau" | "devPtau" | "sharedPtauDir" | "initialZkey" | "log"> {
  /** The ceremony directory to create (must not hold a ceremony yet). */
  out: string;
  params?: CircuitParams;
}

export interface InitCeremonyResult {
  manifest: CeremonyManifest;
  dir: string;
  /** The initial key in the ceremony directory. */
  zkey: string;
}

/** Starts a ceremony for the batch circuit of a registered instance. */
export function initInstanceCeremony(name: string, opts: Omit<InitCeremonyOptions, "params">): Promise<InitCeremonyResult> {
  const p = getInstance(name);
  // The ceremony directory records one main (ceremony.json "main") and finalize recompiles it.
  if (p.linked)
    return Promise.reject(
      new Error(`instance ${name} is a linked circuit: a ceremony of a linked instance is not supported yet (zkr setup makes a development key)`),
    );
  return initCeremony(name, batchMainSource(p), { ...opts, params: instanceParams(name) });
}

/**
 * Starts a ceremony for any circom main: compile (cached), the ptau (phase 1), the initial key
 * (cached: `zkey new` is the slow step), and the ceremony directory with circuit_0000.zkey and
 * ceremony.json.
 */
export async function initCeremony(label: string, mainSource: string, opts: InitCeremonyOptions): Promise<InitCeremonyResult> {
  const log = opts.log ?? (() => {});
  const dir = path.resolve(opts.out);
  if (existsSync(path.join(dir, CEREMONY_FILE))) throw new Error(`${dir} already holds a ceremony (${CEREMONY_FILE}): choose another --out`);
  const { circuit, info, domainPower, ptau, snarkjs } = await preparePhase1(label, mainSource, opts);
  const init = await initialZkey(label, circuit, ptau, snarkjs, log, opts.initialZkey);
  mkdirSync(dir, { recursive: true });
  const zkey = path.join(dir, INITIAL_ZKEY);
  copyFileSync(init.path, zkey);
  const manifest: CeremonyManifest = {
    format: CEREMONY_FORMAT,
    label,
    params: opts.params ?? null,
    main: mainSource,
    circuitKey: circuit.key,
    r1csSha256: init.r1csSha256,
    constraints: info.nConstraints,
    nPublic: info.nOutputs + info.nPubInputs,
    domainPower,
    ptau,
    snarkjs,
    circuitHash: init.circuitHash,
    initialZkeySha256: init.sha256,
    transcript: [],
    final: null,
    createdAt: new Date().toISOString(),
  };
  writeCeremonyManifest(dir, manifest);
  return { manifest, dir, zkey };
}

/** Reads ceremony.json from a ceremony directory (or the file itself). */
export function readCeremonyManifest(dirOrFile: string): { manifest: CeremonyManifest; dir: string } {
  const file = dirOrFile.endsWith(".json") ? path.resolve(dirOrFile) : path.resolve(dirOrFile, CEREMONY_FILE);
  if (!existsSync(file))
    throw new Error(`no ceremony manifest ${file}: pass --ceremony with the ceremony directory (where \`zkr ceremony init\` wrote ${CEREMONY_FILE})`);
  let m: CeremonyManifest;
  try {
    m = JSON.parse(readFileSync(file, "utf8")) as CeremonyManifest;
  } catch (e) {
    throw new Error(`${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (m.format !== CEREMONY_FORMAT)
    throw new Error(`${file} is not a zkr ceremony manifest (format ${JSON.stringify(m.format)}, expected "${CEREMONY_FORMAT}")`);
  if (
    typeof m.main !== "string" ||
    !/^[A-Za-z0-9_]+$/.test(m.label) ||
    !/^[0-9a-f]{64}$/.test(m.r1csSha256 ?? "") ||
    !/^[0-9a-f]{64}$/.test(m.ptau?.sha256 ?? "") ||
    !Array.isArray(m.transcript)
  ) {
    throw new Error(`${file} is not a complete ceremony manifest`);
  }
  return { manifest: m, dir: path.dirname(file) };
}

function writeCeremonyManifest(dir: string, m: CeremonyManifest): void {
  writeFileAtomic(path.join(dir, CEREMONY_FILE), JSON.stringify(m, null, 2) + "\n");
}

// ---------------------------------------------------------------------------------------------
// Contributing: needs nothing but the previous key.

export interface ContributeOptions {
  /** Who contributes (published with the hash; snarkjs keeps up to 64 bytes). */
  name: string;
  /** Extra entropy mixed in; the secret always includes 64 fresh bytes from the OS (snarkjs). */
  entropy?: string;
  /** Replace `out` if it exists. */
  force?: boolean;
  log?: Log;
}

export interface ContributeResult {
  /** The new contribution: what the participant publishes is its `hash`. */
  contribution: ZkeyContribution;
  /** The contributions the input key already had. */
  previous: ZkeyContribution[];
  circuitHash: string;
  outSha256: string;
}

/** Checks a contributor name: 1 to 64 bytes of UTF-8, no control characters. */
export function checkContributorName(name: string): string {
  if (name.length === 0 || Buffer.byteLength(name, "utf8") > 64)
    throw new Error(`contributor name must be 1 to 64 bytes, got ${Buffer.byteLength(name, "utf8")}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new Error("contributor name must not contain control characters");
  return name;
}

/**
 * One contribution: reads `inZkey`, multiplies a fresh secret into it (snarkjs `zkey
 * contribute`) and writes `outZkey` (complete or not at all). No circuit, ptau or cache is
 * needed. Refuses a key that already ends with a beacon (finalized).
 */
export async function contribute(inZkey: string, outZkey: string, opts: ContributeOptions): Promise<ContributeResult> {
  const log = opts.log ?? (() => {});
  const name = checkContributorName(opts.name);
  const src = path.resolve(inZkey);
  const dst = path.resolve(outZkey);
  if (src === dst) throw new Error("the output key must be a new file, not the input key");
  if (existsSync(dst) && !opts.force) throw new Error(`${dst} exists: choose another output file (or --force to replace it)`);
  const before = await readZkeyChain(src);
  if (before.contributions.at(-1)?.beacon) throw new Error(`${src} is finalized (its last contribution is the beacon): contribute to the key before it`);
  const tmp = tempPathFor(dst);
  try {
    // snarkjs hashes 64 bytes from the OS with this text, so the secret is fresh even without --entropy.
    const entropy = `${randomBytes(32).toString("hex")}${opts.entropy ?? ""}`;
    const returned = await withCurve(() => zKey.contribute(src, tmp, name, entropy, snarkjsLogger(log, "zkey contribute").logger));
    const after = await readZkeyChain(tmp);
    const added = after.contributions.at(-1);
    if (!added || after.contributions.length !== before.contributions.length + 1 || added.hash !== Buffer.from(returned).toString("hex")) {
      throw new Error("snarkjs wrote a key whose contribution list is not the input's plus the new contribution");
    }
    renameSync(tmp, dst);
    // Not sha256FileCached: a contributor's machine keeps no zkr cache.
    return { contribution: added, previous: before.contributions, circuitHash: after.circuitHash, outSha256: await sha256File(dst) };
  } finally {
    rmSync(tmp, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Verifying.

export interface VerifyCeremonyOptions {
  /** The ceremony directory or its ceremony.json (default: the key's directory). */
  ceremony?: string;
  /** The ptau file, if not at the path the manifest records; its sha256 must be the manifest's. */
  ptau?: string;
  log?: Log;
}

export interface CeremonyCheck {
  valid: boolean;
  /** Why the key is invalid. */
  problem?: string;
  circuitHash: string | null;
  /** The key's contributions in chain order (the beacon last, once finalized). */
  contributions: ZkeyContribution[];
  zkeySha256: string;
  /** How many of them the transcript had already accepted. */
  recorded: number;
  manifest: CeremonyManifest;
  /** The ceremony directory. */
  dir: string;
}

/** The verifier's side of a ceremony: this machine's r1cs, ptau and initial key, checked against the manifest. */
interface CeremonyInputs {
  manifest: CeremonyManifest;
  dir: string;
  circuit: Awaited<ReturnType<typeof compileCircuit>>;
  ptau: PtauInfo;
  initialZkey: string;
  /** Why this machine cannot vouch for the manifest's circuit hash, if it cannot. */
  circuitHashProblem?: string;
}

async function ceremonyInputs(opts: VerifyCeremonyOptions & { ceremony: string }, log: Log): Promise<CeremonyInputs> {
  const { manifest: m, dir } = readCeremonyManifest(opts.ceremony);
  const ptauPath = path.resolve(opts.ptau ?? m.ptau.path);
  if (!existsSync(ptauPath)) throw new Error(`the ceremony's ptau ${ptauPath} does not exist here: pass --ptau with a copy (sha256 ${m.ptau.sha256})`);
  const ptauSha = await sha256FileCached(ptauPath, log);
  if (ptauSha !== m.ptau.sha256) throw new Error(`ptau ${ptauPath} has sha256 ${ptauSha}, but the ceremony was initialised with ${m.ptau.sha256}: wrong file`);
  const circuit = await compileCircuit(m.label, m.main);
  const r1csSha = await sha256FileCached(circuit.r1cs, log);
  if (r1csSha !== m.r1csSha256) {
    throw new Error(
      `this checkout compiles "${m.label}" to an r1cs with sha256 ${r1csSha}, but the ceremony is for ${m.r1csSha256}: check out the ceremony's circuit sources`,
    );
  }
  const ptau: PtauInfo = { ...m.ptau, path: ptauPath };
  const snarkjs = snarkjsVersion();
  if (snarkjs !== m.snarkjs) log(`note: the ceremony was initialised with snarkjs ${m.snarkjs}, this is ${snarkjs}`);
  const init = await initialZkey(m.label, circuit, ptau, snarkjs, log);
  const circuitHashProblem =
    init.circuitHash === m.circuitHash
      ? undefined
      : `the manifest's circuit hash ${m.circuitHash} is not the ${init.circuitHash} this machine computes from the r1cs and the ptau`;
  return { manifest: m, dir, circuit, ptau, initialZkey: init.path, circuitHashProblem };
}

/**
 * snarkjs `zkey verify` from the initial key: every contribution's proof of knowledge and
 * transcript, the beacon's derivation, δ, and the key's sections against the initial key and
 * the ptau. Returns why it fails, or undefined. snarkjs reports some failures only on
 * console.log: those lines go to `log` here (and the last one becomes the reason).
 */
async function snarkjsChainProblem(initZkey: string, ptau: string, zkey: string, log: Log): Promise<string | undefined> {
  const l = snarkjsLogger(log, "zkey verify");
  let lastConsole: string | undefined;
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lastConsole = args.map(String).join(" ").trim();
    log(`zkey verify: ${lastConsole}`);
  };
  try {
    const ok = await withCurve(() => zKey.verifyFromInit(initZkey, ptau, zkey, l.logger));
    return ok === true ? undefined : `snarkjs zkey verify: ${l.lastError() ?? lastConsole ?? "invalid"}`.replace(/\s+/g, " ");
  } catch (e) {
    return `snarkjs zkey verify failed: ${(e as Error).message}`;
  } finally {
    console.log = original;
  }
}

/** Why `contributions` do not extend the accepted transcript, or undefined. */
function transcriptProblem(m: CeremonyManifest, contributions: ZkeyContribution[]): string | undefined {
  for (const [i, t] of m.transcript.entries()) {
    const c = contributions[i];
    if (!c)
      return `the key has ${contributions.length} contribution(s), but the transcript already accepted ${m.transcript.length}: contribution #${t.index} (${t.name} ${t.hash.slice(0, 16)}…) is missing`;
    if (c.hash !== t.hash)
      return `contribution #${t.index} is ${c.name} ${c.hash.slice(0, 16)}…, but the transcript accepted ${t.name} ${t.hash.slice(0, 16)}… there: the key does not extend the accepted chain`;
  }
  return undefined;
}

/**
 * Verifies a key of a ceremony: the chain against this machine's r1cs (compiled from the
 * manifest's main; its sha256 must be the manifest's) and the ptau (sha256 checked), and that it
 * extends the accepted transcript. Problems with the key give `valid: false`; problems with the
 * inputs (no manifest, wrong ptau file, other circuit sources) throw.
 */
export async function verifyCeremonyZkey(zkey: string, opts: VerifyCeremonyOptions = {}): Promise<CeremonyCheck> {
  const log = opts.log ?? (() => {});
  const file = path.resolve(zkey);
  if (!existsSync(file) || !statSync(file).isFile()) throw new Error(`zkey ${file} does not exist`);
  const inputs = await ceremonyInputs({ ...opts, ceremony: opts.ceremony ?? path.dirname(file) }, log);
  return checkAgainst(inputs, file, log);
}

async function checkAgainst(inputs: CeremonyInputs, file: string, log: Log): Promise<CeremonyCheck> {
  const { manifest: m, dir } = inputs;
  const base = { manifest: m, dir, zkeySha256: await sha256FileCached(file, log) };
  let chain: ZkeyChain;
  try {
    chain = await readZkeyChain(file);
  } catch (e) {
    return { ...base, valid: false, problem: (e as Error).message, circuitHash: null, contributions: [], recorded: 0 };
  }
  const problem =
    inputs.circuitHashProblem ?? (await snarkjsChainProblem(inputs.initialZkey, inputs.ptau.path, file, log)) ?? transcriptProblem(m, chain.contributions);
  const recorded = m.transcript.filter((t, i) => chain.contributions[i]?.hash === t.hash).length;
  return {
    ...base,
    valid: problem === undefined,
    ...(problem !== undefined && { problem }),
    circuitHash: chain.circuitHash,
    contributions: chain.contributions,
    recorded,
  };
}

/**
 * Accepts a verified key's new contributions into the transcript (the coordinator, after each
 * participant): later keys must extend them. Returns the entries added.
 */
export function recordContributions(check: CeremonyCheck, zkey: string): TranscriptEntry[] {
  if (!check.valid) throw new Error(`refusing to record an invalid key: ${check.problem}`);
  const { manifest: current } = readCeremonyManifest(check.dir); // reread: it may have changed since the check
  if (current.transcript.length !== check.recorded || transcriptProblem(current, check.contributions)) {
    throw new Error(`${CEREMONY_FILE} changed while the key was verified: verify it again`);
  }
  if (current.final) throw new Error("the ceremony is finalized: no more contributions can be recorded");
  const fresh = check.contributions.slice(current.transcript.length).filter((c) => !c.beacon);
  const rel = path.relative(check.dir, path.resolve(zkey));
  const now = new Date().toISOString();
  const added = fresh.map((c, i): TranscriptEntry => {
    const lastOne = i === fresh.length - 1 && c.index === check.contributions.length;
    return { index: c.index, name: c.name, hash: c.hash, zkey: lastOne ? rel : null, zkeySha256: lastOne ? check.zkeySha256 : null, recordedAt: now };
  });
  writeCeremonyManifest(check.dir, { ...current, transcript: [...current.transcript, ...added] });
  return added;
}

// ---------------------------------------------------------------------------------------------
// Finalizing.

export interface FinalizeOptions extends VerifyCeremonyOptions {
  /** The beacon value, hex (at least BEACON_MIN_BYTES bytes), named before the contributions closed. */
  beacon: string;
  /** log2 of the sha256 iterations applied to the beacon (10 ..= 63). */
  iterationsExp: number;
  /** Where the beacon comes from, as announced (recorded, e.g. "Ethereum block 21000000 hash"). */
  beaconSource?: string;
  /** Setup directory to write (default cacheDir()/setup/<label>-<key>, where zkr deploy / sequencer look). */
  out?: string;
}

export interface FinalizeResult {
  manifest: SetupManifest;
  dir: string;
  /** True if that setup directory already held this finalization. */
  cached: boolean;
}

/** Checks a beacon value and iteration exponent; returns the value in lowercase hex. */
export function checkBeacon(beacon: string, iterationsExp: number): string {
  const hex = beacon.replace(/^0x/, "");
  if (!/^([0-9a-fA-F]{2})+$/.test(hex)) throw new Error(`the beacon must be hex digits (an even number), got "${beacon}"`);
  const bytes = hex.length / 2;
  if (bytes < BEACON_MIN_BYTES || bytes > 255) throw new Error(`the beacon must be ${BEACON_MIN_BYTES} to 255 bytes, got ${bytes}`);
  if (!Number.isInteger(iterationsExp) || iterationsExp < BEACON_MIN_ITERATIONS_EXP || iterationsExp > BEACON_MAX_ITERATIONS_EXP) {
    throw new Error(
      `the beacon's iteration exponent must be an integer from ${BEACON_MIN_ITERATIONS_EXP} to ${BEACON_MAX_ITERATIONS_EXP} (2^n sha256 rounds), got ${iterationsExp}`,
    );
  }
  return hex.toLowerCase();
}

/**
 * Ends a ceremony: verifies `zkey` (it must extend the transcript and hold at least one
 * contribution, and no beacon yet), applies the beacon (snarkjs `zkey beacon`), verifies the
 * result, and writes a setup directory with the verification key, the Solidity verifier and the
 * wasm; records the beacon and the final hashes in ceremony.json.
 */
export async function finalizeCeremony(zkey: string, opts: FinalizeOptions): Promise<FinalizeResult> {
  const log = opts.log ?? (() => {});
  const beacon = checkBeacon(opts.beacon, opts.iterationsExp);
  const file = path.resolve(zkey);
  if (!existsSync(file)) throw new Error(`zkey ${file} does not exist`);
  const inputs = await ceremonyInputs({ ...opts, ceremony: opts.ceremony ?? path.dirname(file) }, log);
  const { manifest: m, circuit, ptau } = inputs;
  if (m.final) throw new Error(`the ceremony is already finalized (setup ${m.label}-${m.final.setupKey})`);
  const check = await checkAgainst(inputs, file, log);
  if (!check.valid) throw new Error(`${file} does not verify: ${check.problem}`);
  if (check.contributions.some((c) => c.beacon)) throw new Error(`${file} already ends with a beacon`);
  if (check.contributions.length === 0) throw new Error(`${file} has no contribution: a ceremony needs at least one before the beacon`);

  const snarkjs = snarkjsVersion();
  const key = sha256Hex(
    `${CEREMONY_SETUP_FORMAT}\n${circuit.key}\n${ptau.sha256}\nsnarkjs@${snarkjs}\n${check.zkeySha256}\n${beacon}\n${opts.iterationsExp}\n`,
  ).slice(0, 16);
  const dir = path.resolve(opts.out ?? setupDir(m.label, key));
  let manifest: SetupManifest;
  let cached = false;
  if (existsSync(path.join(dir, "setup.json")) && readSetupManifest(dir).key === key) {
    manifest = readSetupManifest(dir); // the same finalization again (deterministic): keep it
    cached = true;
  } else {
    if (existsSync(dir)) throw new Error(`${dir} exists: choose another --out`);
    mkdirSync(path.dirname(dir), { recursive: true });
    manifest = await buildSetupDir(
      dir,
      {
        label: m.label,
        params: m.params,
        circuitKey: circuit.key,
        key,
        constraints: m.constraints,
        nPublic: m.nPublic,
        domainPower: m.domainPower,
        ptau,
        insecure: ptau.kind !== "ceremony",
        contractName: `Groth16Verifier_${m.label}`,
        r1cs: circuit.r1cs,
        snarkjs,
      },
      circuit,
      log,
      async (out) => {
        log(`${m.label}: applying the beacon (2^${opts.iterationsExp} sha256 rounds)`);
        const l = snarkjsLogger(log, "zkey beacon");
        const h = await zKey.beacon(file, out, "zkr final beacon", beacon, opts.iterationsExp, l.logger);
        if (!(h instanceof Uint8Array)) throw new Error(`snarkjs zkey beacon failed: ${l.lastError() ?? "unknown error"}`);
        log(`${m.label}: verifying the final key`);
        const final = await checkAgainst(inputs, out, log);
        if (!final.valid) throw new Error(`the key after the beacon does not verify: ${final.problem}`);
        return { kind: "ceremony", beaconSource: opts.beaconSource ?? null, ceremony: { initialZkeySha256: m.initialZkeySha256, r1csSha256: m.r1csSha256 } };
      },
    );
  }
  recordFinal(inputs.dir, check, file, manifest, dir);
  return { manifest, dir, cached };
}

function recordFinal(ceremonyDir: string, check: CeremonyCheck, zkey: string, setup: SetupManifest, setupDir: string): void {
  const { manifest: current } = readCeremonyManifest(ceremonyDir);
  const phase2 = setup.phase2!;
  const rel = path.relative(ceremonyDir, zkey);
  const now = new Date().toISOString();
  const missing = check.contributions.slice(current.transcript.length).map((c): TranscriptEntry => ({
    index: c.index,
    name: c.name,
    hash: c.hash,
    zkey: c.index === check.contributions.length ? rel : null,
    zkeySha256: c.index === check.contributions.length ? check.zkeySha256 : null,
    recordedAt: now,
  }));
  writeCeremonyManifest(ceremonyDir, {
    ...current,
    transcript: [...current.transcript, ...missing],
    final: { beacon: phase2.beacon!, zkeySha256: phase2.zkeySha256, vkeySha256: phase2.vkeySha256, setupKey: setup.key, setupDir, finalizedAt: now },
  });
}
