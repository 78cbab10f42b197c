import { blake512 } from "@noble/hashes/blake1";
import type { EdDSA } from "circomlibjs";
import { eddsaImpl, SNARK_FIELD } from "./circomlib.js";
import { concatBytes, fromBytesBE, fromHex, toBytesBE, toHex } from "./bytes.js";
import { type CryptoOptions, signingPrimitives, type SigningPrimitives } from "./engine.js";

// L2 keys and signatures: Schnorr on BabyJubJub with a 128-bit Poseidon challenge over a
// two-field message (docs/PROTOCOL.md, "Signature"; circuits/schnorr.circom checks the same rule).
// Keys are circomlibjs's EdDSA keys: the same private key gives the same public key A.

/** A Schnorr-128 signature: R8 = k·B8 and S = (k + c·s) mod l. JSON: three decimal strings. */
export interface Signature {
  R8x: bigint;
  R8y: bigint;
  S: bigint;
}

/** What a signature signs: two field elements. */
export interface SignatureMessage {
  domain: bigint;
  word: bigint;
}

/** Bits of the challenge c: the low half of the Poseidon hash. */
export const CHALLENGE_BITS = 128;
const CHALLENGE_MASK = (1n << BigInt(CHALLENGE_BITS)) - 1n;

/** Little-endian integer of a byte string (circomlibjs's leBuff2int). */
function fromBytesLE(bytes: Uint8Array): bigint {
  return fromBytesBE(Uint8Array.from(bytes).reverse());
}

function fieldLE(v: bigint): Uint8Array {
  return toBytesBE(v, 32).reverse();
}

function isField(...vs: bigint[]): boolean {
  return vs.every((v) => v >= 0n && v < SNARK_FIELD);
}

/**
 * The challenge c = Poseidon(R8x, R8y, ax, ay, domain, word) mod 2^128 (every input a field
 * element).
 */
export function signatureChallenge(eddsa: EdDSA, R8x: bigint, R8y: bigint, ax: bigint, ay: bigint, m: SignatureMessage): bigint {
  return eddsa.F.toObject(eddsa.poseidon([R8x, R8y, ax, ay, m.domain, m.word])) & CHALLENGE_MASK;
}

/** An L2 key pair on BabyJubJub: circomlibjs's EdDSA keys, used for Schnorr-128 signatures. */
export class L2Key {
  private constructor(
    private readonly eddsa: EdDSA,
    private readonly priv: Uint8Array,
    /** circomlibjs's pruned secret scalar s (a multiple of 8): 8·A = s·B8. */
    private readonly secret: bigint,
    /** The second half of blake512(priv): the key of the deterministic nonce. */
    private readonly nonceKey: Uint8Array,
    readonly ax: bigint,
    readonly ay: bigint,
    /** The native engine's k·Base8 and Poseidon (crypto.ts signingPrimitives), or circomlibjs's where absent: the same signature. */
    private readonly native?: SigningPrimitives,
  ) {}

  /** The key of a 32-byte private key (hex); signing with the process's crypto engine unless `opts` names one. */
  static async fromPrivateKey(hex: string, opts?: CryptoOptions): Promise<L2Key> {
    const priv = fromHex(hex);
    if (priv.length !== 32) throw new Error("an L2 private key is 32 bytes of hex");
    const eddsa = await eddsaImpl();
    // As circomlibjs: s = blake512(priv)[0..32] pruned by its pruneBuffer (low 3 bits cleared,
    // bit 255 cleared, bit 254 set), little-endian; prv2pub returns A = (s / 8)·B8.
    const h = blake512(priv);
    const s = fromBytesLE(eddsa.pruneBuffer(h.slice(0, 32)));
    const [x, y] = eddsa.prv2pub(priv);
    const native = await signingPrimitives(opts);
    return new L2Key(eddsa, priv, s, h.slice(32), eddsa.F.toObject(x), eddsa.F.toObject(y), native);
  }

  static async random(opts?: CryptoOptions): Promise<L2Key> {
    return L2Key.fromPrivateKey(toHex(globalThis.crypto.getRandomValues(new Uint8Array(32))), opts);
  }

  get privateKey(): string {
    return toHex(this.priv);
  }

  /**
   * Sign a two-field message: k = blake512(nonceKey ‖ domain ‖ word, fields 32 bytes little-endian)
   * mod l (deterministic, as circomlibjs derives its EdDSA nonce), R8 = k·B8,
   * c = signatureChallenge, S = (k + c·s) mod l.
   */
  sign(m: SignatureMessage): Signature {
    if (!isField(m.domain, m.word)) throw new Error("a signed message is two field elements");
    const { babyJub, F } = this.eddsa;
    const l = babyJub.subOrder;
    const k = fromBytesLE(blake512(concatBytes([this.nonceKey, fieldLE(m.domain), fieldLE(m.word)]))) % l;
    let R8x: bigint, R8y: bigint, c: bigint;
    if (this.native) {
      [R8x, R8y] = this.native.mulBase8(k);
      c = this.native.poseidon(R8x, R8y, this.ax, this.ay, m.domain, m.word)! & CHALLENGE_MASK; // all field elements: never undefined
    } else {
      const R8 = babyJub.mulPointEscalar(babyJub.Base8, k);
      R8x = F.toObject(R8[0]);
      R8y = F.toObject(R8[1]);
      c = signatureChallenge(this.eddsa, R8x, R8y, this.ax, this.ay, m);
    }
    return { R8x, R8y, S: (k + c * this.secret) % l };
  }
}

/**
 * Verify a Schnorr-128 signature over `m` by public key A = (ax, ay): every coordinate and
 * message field is a field element, S < l, R8 and A are on the curve, 8·A is not the identity,
 * and S·B8 = R8 + c·(8·A) with c = signatureChallenge (circuits/schnorr.circom, same rule).
 */
export function verifySignature(eddsa: EdDSA, m: SignatureMessage, sig: Signature, ax: bigint, ay: bigint): boolean {
  const { babyJub, F } = eddsa;
  if (!isField(sig.R8x, sig.R8y, ax, ay, m.domain, m.word)) return false;
  if (sig.S < 0n || sig.S >= babyJub.subOrder) return false;
  const R8: [Uint8Array, Uint8Array] = [F.e(sig.R8x), F.e(sig.R8y)];
  const A: [Uint8Array, Uint8Array] = [F.e(ax), F.e(ay)];
  if (!babyJub.inCurve(R8) || !babyJub.inCurve(A)) return false;
  const A8 = babyJub.mulPointEscalar(A, 8n);
  // On the curve, 8·A is in the prime subgroup, whose only point with x = 0 is the identity.
  if (F.toObject(A8[0]) === 0n) return false;
  const c = signatureChallenge(eddsa, sig.R8x, sig.R8y, ax, ay, m);
  const left = babyJub.mulPointEscalar(babyJub.Base8, sig.S);
  const right = babyJub.addPoint(R8, babyJub.mulPointEscalar(A8, c));
  return F.eq(left[0], right[0]) && F.eq(left[1], right[1]);
}
