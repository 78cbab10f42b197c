/**
 * Compact decimal floats for calldata (docs/PROTOCOL.md, "Compact amounts"):
 * value = mantissa · 10^exponent. Encoders accept only exactly representable values and
 * pick the smallest exponent; decoders accept any bit pattern of the right width.
 */

export interface FloatFormat {
  name: string;
  mantissaBits: number;
  exponentBits: number;
}

export const FLOAT40: FloatFormat = { name: "float40", mantissaBits: 35, exponentBits: 5 };
export const FLOAT8: FloatFormat = { name: "float8", mantissaBits: 4, exponentBits: 4 };

export class FloatEncodingError extends Error {}

function limits(f: FloatFormat) {
  return { maxMantissa: (1n << BigInt(f.mantissaBits)) - 1n, maxExponent: (1 << f.exponentBits) - 1 };
}

/** Largest value the format can represent. */
export function floatMax(f: FloatFormat): bigint {
  const { maxMantissa, maxExponent } = limits(f);
  return maxMantissa * 10n ** BigInt(maxExponent);
}

/** Encode `value` exactly, or throw FloatEncodingError. */
export function encodeFloat(f: FloatFormat, value: bigint): bigint {
  if (typeof value !== "bigint") throw new FloatEncodingError(`${f.name}: amount must be an integer`);
  if (value < 0n) throw new FloatEncodingError(`${f.name}: negative amount ${value}`);
  const { maxMantissa, maxExponent } = limits(f);
  let m = value;
  let e = 0;
  while (m > maxMantissa) {
    if (m % 10n !== 0n || e === maxExponent) {
      throw new FloatEncodingError(`${f.name}: ${value} is not exactly representable (mantissa ${f.mantissaBits} bits, exponent ${f.exponentBits} bits)`);
    }
    m /= 10n;
    e++;
  }
  return (BigInt(e) << BigInt(f.mantissaBits)) | m;
}

/** Decode a packed float of the format's width. */
export function decodeFloat(f: FloatFormat, packed: bigint): bigint {
  if (packed < 0n || packed >> BigInt(f.mantissaBits + f.exponentBits) !== 0n) {
    throw new FloatEncodingError(`${f.name}: packed value ${packed} out of range`);
  }
  const m = packed & ((1n << BigInt(f.mantissaBits)) - 1n);
  const e = packed >> BigInt(f.mantissaBits);
  return m * 10n ** e;
}

/** True when `value` has an exact encoding. */
export function isRepresentable(f: FloatFormat, value: bigint): boolean {
  try {
    encodeFloat(f, value);
    return true;
  } catch {
    return false;
  }
}
