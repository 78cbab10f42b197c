// A phase-2 contribution to a Groth16 key: snarkjs's `zkey contribute` (zkey_contribute.js),
// step for step, with its heavy part natively. snarkjs multiplies every point of the L and H
// sections by δ⁻¹ in its wasm arithmetic (~3,400 points/s here: over an hour for a 2^23 key);
// `zkr-prover zkey-scale` (native/prover/zkey_scale.cpp) does it on both cores. Everything else
// (the secret δ and the contributor's proof of knowledge drawn from snarkjs's own random
// generator, the transcript, δ in the header, the contribution record, the contribution hash)
// is computed by snarkjs's own functions, imported from its sources (the package exports only
// its public API; the same module instances its API uses), so the key is the one snarkjs would
// write for the same draw, and `snarkjs zkey verify` checks it as any other. With "snarkjs" the
// same function scales with snarkjs's applyKeyToSection instead (the test compares the two
// bytes for bytes with one seeded draw).
//
// The secret: δ (and δ⁻¹) lives in this process only while the key is written; δ⁻¹ reaches the
// native program on its stdin, never on a command line. The key is written to <out>.tmp-<pid>
// and renamed when complete: on any error there is no output file.
import { renameSync, rmSync } from "node:fs";
import { blake2b } from "@noble/hashes/blake2b";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../util/paths.js";
import type { Log } from "../util/log.js";
import { buildNativeProver, type NativeBuildOptions, nativeZkeyScale } from "./native.js";

export type ContributeChoice = "snarkjs" | "native" | "auto";

export interface ContributeOptions {
  /** Who scales the L and H sections (default "auto": native where it builds, else snarkjs, the reason logged). */
  scale?: ContributeChoice;
  nativeBuild?: Omit<NativeBuildOptions, "log">;
  /** Tests only: the random generator the secret is drawn from (default snarkjs's getRandomRng(entropy)). */
  rng?: unknown;
  log?: Log;
}

export interface Contribution {
  /** snarkjs's contribution hash (what `zkey contribute` prints). */
  hash: Uint8Array;
  /** Who scaled the L and H sections. */
  scaledBy: "snarkjs" | "native";
  /** Wall time of the scaling (ms). */
  scaleMs: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- snarkjs's internal modules are untyped JavaScript */
type Untyped = any;

/** One of snarkjs's source modules (node_modules/snarkjs/src/<file>), the instance its API uses. */
async function snarkjsSource(file: string): Promise<Untyped> {
  return import(pathToFileURL(path.join(REPO_ROOT, "node_modules", "snarkjs", "src", file)).href);
}

const reportedFallbacks = new Set<string>();

/**
 * Contributes to the phase-2 key `oldFile` (entropy mixed with the system's randomness, as
 * snarkjs does), writing `newFile`. `name` is recorded in the contribution.
 */
export async function contributeZkey(oldFile: string, newFile: string, name: string, entropy: string, opts: ContributeOptions = {}): Promise<Contribution> {
  const log = opts.log ?? (() => {});
  const choice = opts.scale ?? "auto";
  let native: Awaited<ReturnType<typeof buildNativeProver>> | undefined;
  if (choice !== "snarkjs") {
    try {
      native = await buildNativeProver({ ...opts.nativeBuild, log });
    } catch (e) {
      if (choice === "native") throw e;
      const reason = (e as Error).message;
      if (!reportedFallbacks.has(reason)) {
        reportedFallbacks.add(reason);
        log(`${reason}; the contribution's L and H sections with snarkjs`);
      }
    }
  }
  const [binFileUtils, zkeyUtils, misc, keypair, curves, applyKey] = await Promise.all([
    import("@iden3/binfileutils") as Promise<Untyped>,
    snarkjsSource("zkey_utils.js"),
    snarkjsSource("misc.js"),
    snarkjsSource("keypair.js"),
    snarkjsSource("curves.js"),
    snarkjsSource("mpc_applykey.js"),
  ]);
  const tmp = `${newFile}.tmp-${process.pid}`;
  let fdOld: Untyped;
  let fdNew: Untyped;
  try {
    const old = await binFileUtils.readBinFile(oldFile, "zkey", 2);
    fdOld = old.fd;
    const sections = old.sections;
    const zkey = await zkeyUtils.readHeader(fdOld, sections);
    if (zkey.protocol != "groth16") throw new Error(`${oldFile} is not a Groth16 key`);
    const curve = await curves.getCurveFromQ(zkey.q);
    const mpcParams = await zkeyUtils.readMPCParams(fdOld, curve, sections);
    fdNew = await binFileUtils.createBinFile(tmp, "zkey", 1, 10);

    // snarkjs's phase2contribute, step for step.
    const rng = opts.rng ?? (await misc.getRandomRng(entropy));
    const transcriptHasher = blake2b.create({ dkLen: 64 });
    transcriptHasher.update(mpcParams.csHash);
    for (const c of mpcParams.contributions) zkeyUtils.hashPubKey(transcriptHasher, curve, c);
    const cur: Untyped = { delta: {} };
    cur.delta.prvKey = curve.Fr.fromRng(rng);
    cur.delta.g1_s = curve.G1.toAffine(curve.G1.fromRng(rng));
    cur.delta.g1_sx = curve.G1.toAffine(curve.G1.timesFr(cur.delta.g1_s, cur.delta.prvKey));
    zkeyUtils.hashG1(transcriptHasher, curve, cur.delta.g1_s);
    zkeyUtils.hashG1(transcriptHasher, curve, cur.delta.g1_sx);
    cur.transcript = transcriptHasher.digest();
    cur.delta.g2_sp = keypair.hashToG2(curve, cur.transcript);
    cur.delta.g2_spx = curve.G2.toAffine(curve.G2.timesFr(cur.delta.g2_sp, cur.delta.prvKey));
    zkey.vk_delta_1 = curve.G1.timesFr(zkey.vk_delta_1, cur.delta.prvKey);
    zkey.vk_delta_2 = curve.G2.timesFr(zkey.vk_delta_2, cur.delta.prvKey);
    cur.deltaAfter = zkey.vk_delta_1;
    cur.type = 0;
    if (name) cur.name = name;
    mpcParams.contributions.push(cur);

    await zkeyUtils.writeHeader(fdNew, zkey);
    for (const s of [3, 4, 5, 6, 7]) await binFileUtils.copySection(fdOld, sections, fdNew, s);
    const invDelta = curve.Fr.inv(cur.delta.prvKey);
    const t0 = performance.now();
    if (native) {
      for (const s of [8, 9]) await binFileUtils.copySection(fdOld, sections, fdNew, s); // scaled in place below
    } else {
      await applyKey.applyKeyToSection(fdOld, sections, fdNew, 8, curve, "G1", invDelta, curve.Fr.e(1), "L Section");
      await applyKey.applyKeyToSection(fdOld, sections, fdNew, 9, curve, "G1", invDelta, curve.Fr.e(1), "H Section");
    }
    await zkeyUtils.writeMPCParams(fdNew, curve, mpcParams);
    await fdOld.close();
    fdOld = undefined;
    await fdNew.close();
    fdNew = undefined;
    if (native) {
      const r = await nativeZkeyScale(native, tmp, BigInt(curve.Fr.toObject(invDelta)));
      log(`native zkey contribute: L and H sections in ${(r.ms / 1000).toFixed(1)} s on ${r.stats.threads} threads, peak RSS ${r.stats.maxRssKiB} KiB`);
    }
    const scaleMs = performance.now() - t0;
    const contributionHasher = blake2b.create({ dkLen: 64 });
    zkeyUtils.hashPubKey(contributionHasher, curve, cur);
    renameSync(tmp, newFile);
    return { hash: contributionHasher.digest(), scaledBy: native ? "native" : "snarkjs", scaleMs };
  } finally {
    await fdOld?.close().catch(() => {});
    await fdNew?.close().catch(() => {});
    rmSync(tmp, { force: true });
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */
