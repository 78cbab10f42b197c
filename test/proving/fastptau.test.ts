// The fast development ptau generator (src/proving/fastptau.ts): its JS engine writes the point
// sections, key and hashes snarkjs's beacon + prepare phase2 write for the same secrets; with the
// default engine (the native one where it builds) the file is one snarkjs verifies, rejects once
// corrupted, and sets up a circuit whose proofs verify; determinism given a seed, bad arguments,
// and devPtau's use of it. The native engine's own tests: fastptau-native.test.ts.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { buildBn128 } from "ffjavascript";
import { groth16, powersOfTau } from "snarkjs";
import { FAST_PTAU_CONTRIBUTION_NAME, generateFastDevPtau } from "../../src/proving/fastptau.js";
import { devPtau, readPtauHeader } from "../../src/proving/ptau.js";
import { sha256File } from "../../src/util/fs.js";
import { withCurve } from "../../src/proving/curve.js";
import { setupCircuit } from "../../src/proving/setup.js";
import { rejection, tinyMain, useTempCache } from "./fixtures.js";

/** The sections of a ptau file, by id, in file order. */
function ptauSections(file: string): Map<number, Buffer> {
  const b = readFileSync(file);
  expect(b.toString("latin1", 0, 4)).to.equal("ptau");
  const sections = new Map<number, Buffer>();
  let pos = 12;
  for (let i = 0; i < b.readUInt32LE(8); i++) {
    const id = b.readUInt32LE(pos);
    const size = Number(b.readBigUInt64LE(pos + 4));
    sections.set(id, b.subarray(pos + 12, pos + 12 + size));
    pos += 12 + size;
  }
  expect(pos).to.equal(b.length);
  return sections;
}

/** Bytes of a contribution record before its type field: points, key and both hashes. */
const CONTRIBUTION_BODY = 64 + 128 + 64 + 64 + 128 + 768 + 216 + 64;

const verifyPtau = (file: string) => withCurve(() => powersOfTau.verify(file));

describe("fastptau: fast development ptau generator", function () {
  // The default engine is "auto": the native one where it builds (its own tests:
  // fastptau-native.test.ts), else the JS one; the comparison with snarkjs runs the JS one.
  const cache = useTempCache();
  let work = "";
  let pot10 = "";

  before(function () {
    work = path.join(cache(), "work");
    mkdirSync(work, { recursive: true });
  });

  it("writes the same point sections, key and hashes as snarkjs beacon + prepare phase2", async function () {
    // A snarkjs beacon draws its key from a ChaCha seeded with the 2^k-fold sha256 of the
    // beacon hash: with that value as our seed, both draw the same tau, alpha and beta.
    const beacon = "7a6b72206661737420707461752074657374";
    let seed: Buffer = Buffer.from(beacon, "hex");
    for (let i = 0; i < 2 ** 10; i++) seed = createHash("sha256").update(seed).digest();

    const ref = path.join(work, "ref5.ptau");
    await withCurve(async () => {
      await powersOfTau.newAccumulator(await buildBn128(), 5, path.join(work, "ref5_0.ptau"));
      await powersOfTau.beacon(path.join(work, "ref5_0.ptau"), path.join(work, "ref5_1.ptau"), "ref", beacon, 10);
      await powersOfTau.preparePhase2(path.join(work, "ref5_1.ptau"), ref);
    });
    const fast = path.join(work, "fast5.ptau");
    await generateFastDevPtau(5, fast, { seed, engine: "js" }); // the native engine writes the same bytes: fastptau-native.test.ts

    const a = ptauSections(ref);
    const b = ptauSections(fast);
    expect([...b.keys()])
      .to.deep.equal([...a.keys()])
      .and.deep.equal([1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]);
    for (const id of [1, 2, 3, 4, 5, 6, 12, 13, 14, 15]) expect(b.get(id)!.equals(a.get(id)!), `section ${id}`).to.equal(true);
    // Section 7: one contribution each, equal but for type (beacon vs contribution) and name.
    const body = (s: Buffer) => s.subarray(0, 4 + CONTRIBUTION_BODY);
    expect(body(b.get(7)!).equals(body(a.get(7)!))).to.equal(true);
    expect(a.get(7)!.readUInt32LE(4 + CONTRIBUTION_BODY)).to.equal(1);
    expect(b.get(7)!.readUInt32LE(4 + CONTRIBUTION_BODY)).to.equal(0);
    expect(
      b
        .get(7)!
        .subarray(4 + CONTRIBUTION_BODY + 10)
        .toString("utf8"),
    ).to.equal(FAST_PTAU_CONTRIBUTION_NAME);
  });

  it("writes a 2^10 file that snarkjs verifies, atomically, labelled insecure (the default engine)", async function () {
    pot10 = path.join(work, "fast10.ptau");
    const logs: string[] = [];
    const t0 = Date.now();
    const info = await generateFastDevPtau(10, pot10, { log: (m) => logs.push(m) });
    console.log(`      2^10 fast development ptau generated in ${Date.now() - t0} ms`);
    expect(info).to.deep.include({ path: pot10, sha256: await sha256File(pot10), power: 10, kind: "development" });
    expect(info.engine).to.be.oneOf(["native", "js"]); // "auto": native where it builds
    expect(await readPtauHeader(pot10)).to.deep.equal({ power: 10, ceremonyPower: 10, prepared: true });
    expect(readdirSync(work).filter((f) => f.includes(".tmp-"))).to.deep.equal([]);
    expect(logs.at(-1)).to.match(/fast development ptau 2\^10 written to/);
    expect(ptauSections(pot10).get(7)!.toString("utf8")).to.contain(FAST_PTAU_CONTRIBUTION_NAME);
    const t1 = Date.now();
    expect(await verifyPtau(pot10)).to.equal(true);
    console.log(`      snarkjs verify of it: ${Date.now() - t1} ms`);
  });

  it("yields a file snarkjs rejects after corruption of a Lagrange point or a power of tau", async function () {
    const raw = readFileSync(pot10);
    const secs = ptauSections(pot10);
    const offset = (id: number) => secs.get(id)!.byteOffset - raw.byteOffset;

    // Two valid points of section 12 (level 10, at its start) swapped.
    const swapped = Buffer.from(raw);
    const lvl10 = offset(12) + (2 ** 10 - 1) * 64;
    raw.copy(swapped, lvl10, lvl10 + 64, lvl10 + 128);
    raw.copy(swapped, lvl10 + 64, lvl10, lvl10 + 64);
    writeFileSync(path.join(work, "swapped.ptau"), swapped);
    expect(await verifyPtau(path.join(work, "swapped.ptau"))).to.equal(false);

    // tauG1[3] replaced by tauG1[4]: a valid point, but the hashes and ratios break.
    const replaced = Buffer.from(raw);
    raw.copy(replaced, offset(2) + 3 * 64, offset(2) + 4 * 64, offset(2) + 5 * 64);
    writeFileSync(path.join(work, "replaced.ptau"), replaced);
    expect(await verifyPtau(path.join(work, "replaced.ptau"))).to.equal(false);
  });

  it("gives a zkey whose proofs verify, at the exact power of the circuit", async function () {
    // Poseidon(2): 240 constraints, a domain of 2^8 = the ptau's power, so newZKey reads the
    // top Lagrange level of section 12 (the one with the zeroed last power).
    const pot8 = path.join(work, "fast8.ptau");
    await generateFastDevPtau(8, pot8);
    const r = await setupCircuit("zkrtest_fastptau", tinyMain(2), { devPtau: pot8, writeVerifier: false });
    expect(r.manifest.domainPower).to.equal(8);
    expect(r.manifest.ptau).to.deep.include({ path: pot8, power: 8, kind: "development" });
    const vkey = JSON.parse(readFileSync(r.manifest.vkey, "utf8")) as unknown;
    await withCurve(async () => {
      const { proof, publicSignals } = await groth16.fullProve({ x0: 1, x1: 2 }, r.manifest.wasm, r.manifest.zkey);
      expect(await groth16.verify(vkey, publicSignals, proof)).to.equal(true);
      expect(await groth16.verify(vkey, [(BigInt(publicSignals[0]!) + 1n).toString()], proof)).to.equal(false);
    });
  });

  it("is deterministic given the seed, and random without one", async function () {
    const seed = new Uint8Array(32).fill(7);
    const a = await generateFastDevPtau(3, path.join(work, "s1.ptau"), { seed, threads: 1 });
    const b = await generateFastDevPtau(3, path.join(work, "s2.ptau"), { seed, threads: 2 });
    const c = await generateFastDevPtau(3, path.join(work, "s3.ptau"));
    expect(a.sha256).to.equal(b.sha256);
    expect(c.sha256).not.to.equal(a.sha256);
    expect(await verifyPtau(c.path)).to.equal(true);
  });

  it("rejects bad arguments without leaving a file, and creates missing directories", async function () {
    const bad = path.join(work, "bad.ptau");
    for (const p of [0, 28, 2.5]) {
      expect((await rejection(generateFastDevPtau(p, bad))).message).to.match(/power must be 1\.\.27, got/);
    }
    expect((await rejection(generateFastDevPtau(2, bad, { seed: new Uint8Array(31) }))).message).to.match(/seed must be 32 bytes/);
    expect(existsSync(bad)).to.equal(false);
    expect(readdirSync(work).filter((f) => f.includes(".tmp-"))).to.deep.equal([]);
    const nested = path.join(work, "new", "dir", "x.ptau");
    expect((await generateFastDevPtau(1, nested)).path).to.equal(nested);
    expect(await verifyPtau(nested)).to.equal(true);
  });

  it("is what devPtau generates into the cache when no development ptau is available", async function () {
    const logs: string[] = [];
    const info = await devPtau(4, { sharedPtauDir: path.join(cache(), "no-shared"), log: (m) => logs.push(m) });
    const expected = path.join(cache(), "ptau", "pot4_dev.ptau");
    expect(info).to.deep.equal({ path: expected, sha256: await sha256File(expected), power: 4, kind: "development" });
    expect(logs.some((l) => l.includes("generating"))).to.equal(true);
    expect(ptauSections(expected).get(7)!.toString("utf8")).to.contain(FAST_PTAU_CONTRIBUTION_NAME);
    // Found again (a regenerated file would differ: its secrets are random).
    expect(await devPtau(3, { sharedPtauDir: path.join(cache(), "no-shared") })).to.deep.equal(info);
  });
});
