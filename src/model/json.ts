// The field parsers of the model's JSON codecs (src/model/account.ts, tx.ts, l1op.ts,
// batchData.ts): untrusted JSON in, a typed value or an error naming the field out.
import { fromHex } from "./bytes.js";

/** JSON that is not the form a model codec writes. */
export class JsonFormatError extends Error {}

type ErrorClass = new (message: string) => Error;

/** `j` as an object (not null, not an array), or throws naming `what`. */
export function jsonObject(j: unknown, what: string, E: ErrorClass = JsonFormatError): Record<string, unknown> {
  if (typeof j !== "object" || j === null || Array.isArray(j)) throw new E(`${what} must be a JSON object`);
  return j as Record<string, unknown>;
}

/** A non-negative integer written as a decimal string (or a JSON number), at most 78 digits (any uint256). */
export function decimal(v: unknown, name: string, E: ErrorClass = JsonFormatError): bigint {
  if (typeof v !== "string" && typeof v !== "number") throw new E(`${name} must be a decimal string`);
  const s = String(v);
  if (!/^[0-9]{1,78}$/.test(s)) throw new E(`${name} must be a non-negative integer, got "${s}"`);
  return BigInt(s);
}

/** Bytes written as 0x-prefixed hex. */
export function hexBytes(v: unknown, name: string, E: ErrorClass = JsonFormatError): Uint8Array {
  if (typeof v !== "string" || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw new E(`${name} must be 0x-prefixed hex bytes`);
  return fromHex(v);
}
