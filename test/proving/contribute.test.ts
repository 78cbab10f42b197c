// The phase-2 contribution (src/proving/contribute.ts): snarkjs's steps with the L and H
// sections scaled natively (zkr-prover zkey-scale) give, for one seeded draw of the secret, the
// very bytes the snarkjs scaling gives; snarkjs's `zkey verify` accepts the native key as a
// contribution to the initial key; a corrupted point is refused with no output file. (Every
// setup of the suite is contributed this way, so every proof the suite checks is one of such a
// key.)
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ChaCha } from "ffjavascript";
import { zKey } from "snarkjs";
import { contributeZkey } from "../../src/proving/contribute.js";
import { withCurve } from "../../src/proving/curve.js";
import { TEST_INSTANCE } from "../../src/proving/instances.js";
import { nativeToolchainProblems } from "../../src/proving/native.js";
import { instanceSource, preparePhase1 } from "../../src/proving/setup.js";
import { initialZkey } from "../../src/proving/zkey.js";
import { terminateCurve } from "../circuits/helpers.js";

after(terminateCurve);

/** The section table of an iden3 binfile: id → [offset of its body, size]. */
function sectionsOf(b: Buffer): Map<number, [number, number]> {
  const m = new Map<number, [number, number]>();
  let o = 12;
  for (let i = 0; i < b.readUInt32LE(8); i++) {
    const size = Number(b.readBigUInt64LE(o + 4));
    m.set(b.readUInt32LE(o), [o + 12, size]);
    o += 12 + size;
  }
  return m;
}

describe("phase-2 contribution with the native L and H scaling", function () {
  let work: string;
  let init: string;
  let ptau: string;

  before(async function () {
    if ((await nativeToolchainProblems()).length) this.skip();
    work = mkdtempSync(path.join(os.tmpdir(), "zkr-contribute-test-"));
    const p1 = await preparePhase1(TEST_INSTANCE, instanceSource(TEST_INSTANCE), {});
    ptau = p1.ptau.path;
    init = (await initialZkey(TEST_INSTANCE, p1.circuit, p1.ptau, p1.snarkjs)).path;
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const seeded = () => new ChaCha([1, 2, 3, 4, 5, 6, 7, 8]);

  it("gives snarkjs's bytes for the same draw, and snarkjs zkey verify accepts it", async () => {
    const viaSnarkjs = path.join(work, "snarkjs.zkey");
    const viaNative = path.join(work, "native.zkey");
    const a = await withCurve(() => contributeZkey(init, viaSnarkjs, "test", "", { scale: "snarkjs", rng: seeded() }));
    const b = await withCurve(() => contributeZkey(init, viaNative, "test", "", { scale: "native", rng: seeded() }));
    expect([a.scaledBy, b.scaledBy]).to.deep.equal(["snarkjs", "native"]);
    expect(Buffer.from(b.hash).toString("hex")).to.equal(Buffer.from(a.hash).toString("hex"));
    const [x, y] = [readFileSync(viaSnarkjs), readFileSync(viaNative)];
    expect(y.equals(x)).to.equal(true);
    // and not the initial key's L and H (the scaling happened)
    const i = readFileSync(init);
    const [l0, n0] = sectionsOf(i).get(8)!;
    const [l1] = sectionsOf(y).get(8)!;
    expect(y.subarray(l1, l1 + n0).equals(i.subarray(l0, l0 + n0))).to.equal(false);
    const quiet = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {}, log: () => {} };
    expect(await withCurve(() => zKey.verifyFromInit(init, ptau, viaNative, quiet) as Promise<boolean>)).to.equal(true);
    console.log(`      L and H sections: snarkjs ${(a.scaleMs / 1000).toFixed(1)} s, native ${(b.scaleMs / 1000).toFixed(1)} s`);
  });

  it("refuses a key with a point off the curve: a clear error and no output", async () => {
    const bad = path.join(work, "bad.zkey");
    const out = path.join(work, "out.zkey");
    copyFileSync(init, bad);
    const buf = readFileSync(bad);
    const [h0] = sectionsOf(buf).get(9)!;
    buf[h0 + 64 * 5 + 3] ^= 0x40; // x of H point 5
    writeFileSync(bad, buf);
    let err: Error | undefined;
    await withCurve(() => contributeZkey(bad, out, "test", "x", { scale: "native" })).catch((e: Error) => (err = e));
    expect(err?.message).to.match(/native zkey contribute failed: .*section 9 point 5 is not on the curve \(corrupted key\)/);
    expect(existsSync(out)).to.equal(false);
    expect(existsSync(`${out}.tmp-${process.pid}`)).to.equal(false);
  });
});
