// src/model/crypto.ts: the choice of crypto engine (the native addon's parity with circomlibjs
// is test/proving/nativeCrypto.test.ts). The process's engine is what setCryptoEngine set
// (test/setup.ts, through applyProcessSettings); explicit options choose another; without a
// native loader "auto" computes with circomlibjs and "native" fails.
import { expect } from "chai";
import { applyProcessSettings } from "../../src/cli/config.js";
import { loadCrypto, type NativeCryptoFunctions, poseidonHasher, setCryptoEngine } from "../../src/model/crypto.js";
import { L2Key } from "../../src/model/keys.js";
import { rejection } from "../proving/fixtures.js";

describe("crypto engines", () => {
  after(() => applyProcessSettings()); // the process's engine again

  it("without a native loader: auto and js compute with circomlibjs, native fails and says why", async () => {
    expect((await loadCrypto({ engine: "auto" })).engine).to.equal("js");
    expect((await loadCrypto({ engine: "js" })).engine).to.equal("js");
    expect((await rejection(loadCrypto({ engine: "native" }))).message).to.equal(
      "native crypto unavailable: this process has no native crypto loader (src/cli/config.ts applyProcessSettings sets it)",
    );
    expect((await rejection(loadCrypto({ engine: "gpu" as "js" }))).message).to.equal('the crypto engine is auto, native or js, got "gpu"');
  });

  it("the process's engine is setCryptoEngine's, resolved once; explicit options bypass it", async () => {
    // A stand-in native engine that counts its loads and answers what circomlibjs does.
    const js = await loadCrypto({ engine: "js" });
    let loads = 0;
    const stub: NativeCryptoFunctions = {
      poseidon: (...inputs) => js.hash(inputs),
      verify: (domain, word, R8x, R8y, S, ax, ay) => js.verify({ domain, word }, { R8x, R8y, S }, ax, ay),
      mulBase8: (k) => {
        const { babyJub, F } = js.eddsa;
        const R = babyJub.mulPointEscalar(babyJub.Base8, k);
        return [F.toObject(R[0]), F.toObject(R[1])];
      },
    };
    setCryptoEngine({ engine: "auto", native: async () => (loads++, stub) });
    const c = await loadCrypto();
    expect(c.engine).to.equal("native");
    expect((await poseidonHasher())([1n, 2n])).to.equal(js.hash([1n, 2n]));
    expect(loads).to.equal(1);
    const key = await L2Key.random();
    const m = { domain: 1n, word: 2n };
    expect(c.verify(m, key.sign(m), key.ax, key.ay)).to.equal(true);
    expect(c.verify({ ...m, word: 3n }, key.sign(m), key.ax, key.ay)).to.equal(false);
    // The wrapper keeps circomlibjs's refusals whatever the engine answers.
    expect(() => c.hash([])).to.throw("Poseidon takes 1 to 16 inputs, got 0");
    expect((await loadCrypto({ engine: "js" })).engine).to.equal("js");
    expect(loads).to.equal(1);
    setCryptoEngine({ engine: "js", native: async () => (loads++, stub) });
    expect((await loadCrypto()).engine).to.equal("js");
    expect(loads).to.equal(1);
  });
});
