// src/model/float.ts: float amounts.
import { expect } from "chai";
import { decodeFloat, encodeFloat, FLOAT40, FLOAT8, FloatEncodingError, floatMax } from "../../src/model/float.js";

describe("float amounts", () => {
  it("round-trips exactly representable values with the smallest exponent", () => {
    for (const v of [0n, 1n, 34359738367n, 34359738360n * 10n, 10n ** 18n, 123456789n * 10n ** 20n, floatMax(FLOAT40)]) {
      const packed = encodeFloat(FLOAT40, v);
      expect(decodeFloat(FLOAT40, packed)).to.equal(v);
      expect(packed >> 40n).to.equal(0n);
    }
    expect(encodeFloat(FLOAT40, 34359738367n)).to.equal(34359738367n); // e = 0
    expect(encodeFloat(FLOAT40, 10n ** 18n) >> 35n).to.equal(8n); // 10^18 = 10^10 · 10^8 → e = 8
    expect(encodeFloat(FLOAT8, 15n * 10n ** 15n)).to.equal(0xffn);
    expect(decodeFloat(FLOAT8, 0x23n)).to.equal(300n);
  });

  it("rejects values it cannot represent exactly, never rounding", () => {
    for (const v of [34359738369n * 10n + 1n, floatMax(FLOAT40) + 1n, floatMax(FLOAT40) * 10n, -1n]) {
      expect(() => encodeFloat(FLOAT40, v)).to.throw(FloatEncodingError);
    }
    expect(() => encodeFloat(FLOAT8, 16n * 10n ** 15n)).to.throw(FloatEncodingError);
    expect(() => encodeFloat(FLOAT8, 17n)).to.throw(FloatEncodingError);
    expect(() => decodeFloat(FLOAT40, 1n << 40n)).to.throw(FloatEncodingError);
  });
});
