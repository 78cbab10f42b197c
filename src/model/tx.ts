import { MAX_NONCE, NONCE_BITS } from "./account.js";
import { concatBytes, fromBytesBE, toBytesBE } from "./bytes.js";
import type { Hasher } from "./crypto.js";
import { decodeFloat, encodeFloat, FLOAT40, FLOAT8 } from "./float.js";
import { decimal, jsonObject } from "./json.js";
import type { L2Key, Signature, SignatureMessage } from "./keys.js";
import type { DerivedParams } from "./params.js";

/** What a transaction is bound to: one rollup contract on one chain. */
export interface Domain {
  chainId: bigint;
  rollupAddress: bigint;
}

/** Poseidon(chainId, rollupAddress). */
export function domainHash(hash: Hasher, d: Domain): bigint {
  // A sequencer hashes the same domain for every transaction (several times each): the last one
  // per hasher is kept.
  const last = lastDomain.get(hash);
  if (last && last.chainId === d.chainId && last.rollupAddress === d.rollupAddress) return last.h;
  const h = hash([d.chainId, d.rollupAddress]);
  lastDomain.set(hash, { chainId: d.chainId, rollupAddress: d.rollupAddress, h });
  return h;
}

const lastDomain = new WeakMap<Hasher, Domain & { h: bigint }>();

/** An L2 transfer (docs/PROTOCOL.md, "L2 transfer"). Amounts in base units. */
export interface Transfer {
  from: bigint;
  to: bigint;
  amount: bigint;
  fee: bigint;
  /** The sender's nonce this transfer consumes. */
  nonce: bigint;
}

export interface SignedTransfer extends Transfer {
  signature: Signature;
}

export class TxFormatError extends Error {}

/** Compact float fields of a transfer; throws TxFormatError for non-representable amounts. */
export function packedAmounts(t: Transfer): { amountF: bigint; feeF: bigint } {
  try {
    return { amountF: encodeFloat(FLOAT40, t.amount), feeF: encodeFloat(FLOAT8, t.fee) };
  } catch (e) {
    throw new TxFormatError((e as Error).message);
  }
}

/** Calldata of one transfer: from ‖ to ‖ amount float40 ‖ fee float8 (txBytes bytes). */
export function encodeTransfer(t: Transfer, p: DerivedParams): Uint8Array {
  for (const [k, v] of [
    ["from", t.from],
    ["to", t.to],
  ] as const) {
    if (v < 0n || v >= p.capacity) throw new TxFormatError(`${k} index ${v} out of range [0, ${p.capacity})`);
  }
  const { amountF, feeF } = packedAmounts(t);
  return concatBytes([toBytesBE(t.from, p.idxBytes), toBytesBE(t.to, p.idxBytes), toBytesBE(amountF, 5), toBytesBE(feeF, 1)]);
}

/** Decode one transfer's calldata (without nonce and signature, which are not posted). */
export function decodeTransfer(bytes: Uint8Array, p: DerivedParams): Omit<Transfer, "nonce"> {
  if (bytes.length !== p.txBytes) throw new TxFormatError(`a transfer is ${p.txBytes} bytes, got ${bytes.length}`);
  const i = p.idxBytes;
  return {
    from: fromBytesBE(bytes.subarray(0, i)),
    to: fromBytesBE(bytes.subarray(i, 2 * i)),
    amount: decodeFloat(FLOAT40, fromBytesBE(bytes.subarray(2 * i, 2 * i + 5))),
    fee: decodeFloat(FLOAT8, fromBytesBE(bytes.subarray(2 * i + 5, 2 * i + 6))),
  };
}

function packedWithNonce(hash: Hasher, t: Transfer, domain: Domain, p: DerivedParams): { domain: bigint; txPacked: bigint } {
  if (t.nonce < 0n || t.nonce > MAX_NONCE) throw new TxFormatError(`nonce must be in [0, 2^${NONCE_BITS}), got ${t.nonce}`);
  return { domain: domainHash(hash, domain), txPacked: fromBytesBE(encodeTransfer(t, p)) };
}

/**
 * The message a sender signs (docs/PROTOCOL.md, "L2 transfer"): (domain, txPacked·2^32 + nonce),
 * txPacked = the transfer's calldata as a big-endian integer. Throws TxFormatError for a
 * transfer that has no calldata encoding or a nonce ≥ 2^32.
 */
export function transferMessage(hash: Hasher, t: Transfer, domain: Domain, p: DerivedParams): SignatureMessage {
  const m = packedWithNonce(hash, t, domain, p);
  return { domain: m.domain, word: (m.txPacked << BigInt(NONCE_BITS)) + t.nonce };
}

/**
 * A transfer's id (the sequencer's key for it): Poseidon(domain, txPacked, nonce), the message
 * signed before the Schnorr-128 signature, kept so that ids stay the same.
 */
export function transferId(hash: Hasher, t: Transfer, domain: Domain, p: DerivedParams): bigint {
  const m = packedWithNonce(hash, t, domain, p);
  return hash([m.domain, m.txPacked, t.nonce]);
}

export function signTransfer(hash: Hasher, key: L2Key, t: Transfer, domain: Domain, p: DerivedParams): SignedTransfer {
  return { ...t, signature: key.sign(transferMessage(hash, t, domain, p)) };
}

/** JSON form of a signed transfer: every number a decimal string. */
export interface TransferJSON {
  from: string;
  to: string;
  amount: string;
  fee: string;
  nonce: string;
  signature: { R8x: string; R8y: string; S: string };
}

/** JSON form used by the API, the CLI and the database. */
export function transferToJSON(t: SignedTransfer): TransferJSON {
  return {
    from: t.from.toString(),
    to: t.to.toString(),
    amount: t.amount.toString(),
    fee: t.fee.toString(),
    nonce: t.nonce.toString(),
    signature: { R8x: t.signature.R8x.toString(), R8y: t.signature.R8y.toString(), S: t.signature.S.toString() },
  };
}

const uint = (v: unknown, name: string) => decimal(v, name, TxFormatError);

/** Parse an untrusted JSON transfer; throws TxFormatError with the offending field. */
export function transferFromJSON(j: unknown): SignedTransfer {
  const o = jsonObject(j, "transfer", TxFormatError);
  if (typeof o.signature !== "object" || o.signature === null) throw new TxFormatError("signature is missing");
  const sig = jsonObject(o.signature, "signature", TxFormatError);
  return {
    from: uint(o.from, "from"),
    to: uint(o.to, "to"),
    amount: uint(o.amount, "amount"),
    fee: uint(o.fee, "fee"),
    nonce: uint(o.nonce, "nonce"),
    signature: { R8x: uint(sig.R8x, "signature.R8x"), R8y: uint(sig.R8y, "signature.R8y"), S: uint(sig.S, "signature.S") },
  };
}
