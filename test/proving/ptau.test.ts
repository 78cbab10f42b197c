import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { buildBn128 } from "ffjavascript";
import { powersOfTau } from "snarkjs";
import { ceremonyPtau, devPtau, generateDevPtau, readPtauHeader, SHARED_DEV_PTAU, sha256FileCached } from "../../src/proving/ptau.js";
import { sha256File, withFileLock } from "../../src/util/fs.js";
import { withCurve } from "../../src/proving/curve.js";
import { setupCircuit } from "../../src/proving/setup.js";
import { rejection, tinyMain, useTempCache } from "./fixtures.js";

const MUL_MAIN = "pragma circom 2.1.6;\ntemplate Mul() { signal input a; signal input b; signal output c; c <== a * b; }\ncomponent main = Mul();\n";

describe("ptau: development ptau generation and selection", function () {
  const cache = useTempCache();
  const noShared = () => path.join(cache(), "no-shared-ptau");
  let work = "";
  let pot6 = "";

  before(function () {
    work = path.join(cache(), "work");
    mkdirSync(work, { recursive: true });
  });

  it("generates a prepared 2^6 ptau at a given location that snarkjs verifies", async function () {
    pot6 = path.join(work, "custom-name.ptau");
    const logs: string[] = [];
    const t0 = Date.now();
    const info = await generateDevPtau(6, pot6, (m) => logs.push(m));
    console.log(`      2^6 development ptau generated in ${Date.now() - t0} ms`);
    expect(info).to.deep.equal({ path: pot6, sha256: await sha256File(pot6), power: 6, kind: "development" });
    expect(await readPtauHeader(pot6)).to.deep.equal({ power: 6, ceremonyPower: 6, prepared: true });
    expect(logs.some((l) => l.includes("prepare phase 2"))).to.equal(true);
    expect(await withCurve(() => powersOfTau.verify(pot6))).to.equal(true);
  });

  it("falls back to generating one into the cache when no development ptau is available", async function () {
    const logs: string[] = [];
    // One constraint: a domain of 2^2, so generating its ptau takes about a second.
    const r = await setupCircuit("zkrtest_ptau_fallback", MUL_MAIN, { sharedPtauDir: noShared(), writeVerifier: false, log: (m) => logs.push(m) });
    const expected = path.join(cache(), "ptau", "pot2_dev.ptau");
    expect(r.manifest.domainPower).to.equal(2);
    expect(r.manifest.ptau).to.deep.include({ path: expected, power: 2, kind: "development" });
    expect(r.manifest.ptau.sha256).to.equal(await sha256File(expected));
    expect(logs.some((l) => l.includes("generating"))).to.equal(true);
    // Found again, not regenerated.
    expect(await devPtau(2, { sharedPtauDir: noShared() })).to.deep.equal(r.manifest.ptau);
    expect(await devPtau(1, { sharedPtauDir: noShared() })).to.deep.equal(r.manifest.ptau);
  });

  it("refuses a ptau smaller than the circuit", async function () {
    // Poseidon(2) needs 240 + 2 rows > 2^6.
    const sha256 = await sha256File(pot6);
    const err = await rejection(setupCircuit("zkrtest_ptau_small", tinyMain(2), { ptau: { path: pot6, sha256 }, writeVerifier: false }));
    expect(err.message).to.match(/has power 6 \(2\^6\), the circuit needs power 8/);
  });

  it("refuses a ceremony ptau that is not prepared for phase 2, or missing", async function () {
    const raw = path.join(work, "raw.ptau");
    await withCurve(async () => powersOfTau.newAccumulator(await buildBn128(), 4, raw));
    expect((await readPtauHeader(raw)).prepared).to.equal(false);
    const err = await rejection(ceremonyPtau(raw, await sha256File(raw), 2));
    expect(err.message).to.match(/not prepared for phase 2/);
    expect((await rejection(ceremonyPtau(path.join(work, "nope.ptau"), "a".repeat(64), 2))).message).to.match(/does not exist/);
    expect((await rejection(ceremonyPtau(raw, "xyz", 2))).message).to.match(/64 hex digits/);
    writeFileSync(path.join(work, "junk.ptau"), "not a ptau file at all");
    expect((await rejection(readPtauHeader(path.join(work, "junk.ptau")))).message).to.match(/is not a ptau file/);
  });

  it("uses the shared development ptau only if it matches its SHA256SUMS", async function () {
    const shared = path.join(work, "shared");
    mkdirSync(shared, { recursive: true });
    const file = path.join(shared, SHARED_DEV_PTAU);
    copyFileSync(pot6, file);
    const sha256 = await sha256File(file);

    writeFileSync(path.join(shared, "SHA256SUMS"), `${sha256}  ${SHARED_DEV_PTAU}\n`);
    expect(await devPtau(6, { sharedPtauDir: shared })).to.deep.equal({ path: file, sha256, power: 6, kind: "development" });

    const logs: string[] = [];
    writeFileSync(path.join(shared, "SHA256SUMS"), `${"1".repeat(64)}  ${SHARED_DEV_PTAU}\n`);
    const r = await devPtau(2, { sharedPtauDir: shared, log: (m) => logs.push(m) });
    expect(r.path).to.equal(path.join(cache(), "ptau", "pot2_dev.ptau")); // the generated one instead
    expect(logs.some((l) => l.startsWith(`ignoring ${file}: sha256`))).to.equal(true);
  });

  it("takes an explicit development ptau (the CLI's $ZKR_DEV_PTAU) as is, but checks its power", async function () {
    expect(await devPtau(5, { devPtau: pot6, sharedPtauDir: noShared() })).to.deep.include({ path: pot6, power: 6, kind: "development" });
    expect((await rejection(devPtau(7, { devPtau: pot6, sharedPtauDir: noShared() }))).message).to.match(/circuit needs power 7/);
    const missing = path.join(work, "missing.ptau");
    expect((await rejection(devPtau(2, { devPtau: missing }))).message).to.contain(`${missing} (ZKR_DEV_PTAU) does not exist`);
  });

  it("caches a file's sha256 by size and mtime, and rehashes after a change", async function () {
    const f = path.join(work, "hashed.bin");
    writeFileSync(f, "first content");
    const h1 = await sha256FileCached(f);
    expect(h1).to.equal(await sha256File(f));
    // Plant a marker in the cache: an unchanged file is answered from it, without reading.
    const cacheFile = path.join(cache(), "ptau", "sha256-cache.json");
    const entries = JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, { sha256: string }>;
    entries[realpathSync(f)]!.sha256 = "cached-marker";
    writeFileSync(cacheFile, JSON.stringify(entries));
    expect(await sha256FileCached(f)).to.equal("cached-marker");
    // Same size, new mtime: hashed again.
    writeFileSync(f, "other content");
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    expect(await sha256FileCached(f))
      .to.equal(await sha256File(f))
      .and.not.equal(h1);
  });

  it("serialises work under a lock file and takes over a lock left by a dead process", async function () {
    const lock = path.join(work, "x.lock");
    const order: string[] = [];
    const job = (name: string) =>
      withFileLock(
        lock,
        () => {},
        async () => {
          order.push(`${name} start`);
          await new Promise((r) => setTimeout(r, 50));
          order.push(`${name} end`);
        },
      );
    await Promise.all([job("a"), job("b")]);
    expect(order).to.deep.equal(["a start", "a end", "b start", "b end"]);
    expect(existsSync(lock)).to.equal(false);

    writeFileSync(lock, `${os.hostname()} 2147483646\n`); // no such process
    expect(
      await withFileLock(
        lock,
        () => {},
        async () => "ran",
      ),
    ).to.equal("ran");
    rmSync(lock, { force: true });
  });
});
