import { randomBytes } from "node:crypto";
import type { EdDSA } from "circomlibjs";
import { eddsaImpl } from "./crypto.js";
import { fromHex, toHex } from "./bytes.js";

/** An EdDSA-Poseidon signature on BabyJubJub. */
export interface Signature {
  R8x: bigint;
  R8y: bigint;
  S: bigint;
}

/** An L2 key pair (BabyJubJub, EdDSA-Poseidon via circomlibjs). */
export class L2Key {
  private constructor(
    private readonly eddsa: EdDSA,
    private readonly priv: Uint8Array,
    readonly ax: bigint,
    readonly ay: bigint,
  ) {}

  static async fromPrivateKey(hex: string): Promise<L2Key> {
    const priv = fromHex(hex);
    if (priv.length !== 32) throw new Error("an L2 private key is 32 bytes of hex");
    const eddsa = await eddsaImpl();
    const [x, y] = eddsa.prv2pub(priv);
    return new L2Key(eddsa, priv, eddsa.F.toObject(x), eddsa.F.toObject(y));
  }

  static async random(): Promise<L2Key> {
    return L2Key.fromPrivateKey(toHex(randomBytes(32)));
  }

  get privateKey(): string {
    return toHex(this.priv);
  }

  /** Sign a field element (a Poseidon message hash). */
  sign(message: bigint): Signature {
    const sig = this.eddsa.signPoseidon(this.priv, this.eddsa.F.e(message));
    return { R8x: this.eddsa.F.toObject(sig.R8[0]), R8y: this.eddsa.F.toObject(sig.R8[1]), S: sig.S };
  }
}

/** Verify an EdDSA-Poseidon signature over `message` by public key (ax, ay). */
export function verifySignature(eddsa: EdDSA, message: bigint, sig: Signature, ax: bigint, ay: bigint): boolean {
  const F = eddsa.F;
  try {
    const R8: [Uint8Array, Uint8Array] = [F.e(sig.R8x), F.e(sig.R8y)];
    const A: [Uint8Array, Uint8Array] = [F.e(ax), F.e(ay)];
    if (!eddsa.babyJub.inCurve(R8) || !eddsa.babyJub.inCurve(A)) return false;
    return eddsa.verifyPoseidon(F.e(message), { R8, S: sig.S }, A);
  } catch {
    return false;
  }
}
