import type { Hasher } from "./crypto.js";

export const BALANCE_BITS = 128;
export const MAX_BALANCE = (1n << BigInt(BALANCE_BITS)) - 1n;
export const TOKEN_BITS = 32;
export const NONCE_BITS = 32;
export const MAX_NONCE = (1n << BigInt(NONCE_BITS)) - 1n;

/** An L2 account: the data behind one leaf of the state tree (docs/PROTOCOL.md). */
export interface Account {
  /** BabyJubJub public key. */
  ax: bigint;
  ay: bigint;
  /**
   * L1 owner address as an integer (160 bits). Recorded by the contract when the account is
   * created (it receives exits and may force exits); not part of the leaf.
   */
  owner: bigint;
  tokenId: bigint;
  balance: bigint;
  nonce: bigint;
}

export function checkAccount(a: Account): void {
  if (a.owner < 0n || a.owner >> 160n !== 0n) throw new Error("owner must be a 160-bit address");
  if (a.tokenId < 0n || a.tokenId >> BigInt(TOKEN_BITS) !== 0n) throw new Error(`tokenId must fit ${TOKEN_BITS} bits`);
  if (a.balance < 0n || a.balance > MAX_BALANCE) throw new Error(`balance must be in [0, 2^${BALANCE_BITS})`);
  if (a.nonce < 0n || a.nonce > MAX_NONCE) throw new Error(`nonce must fit ${NONCE_BITS} bits`);
}

/**
 * The leaf's third input: tokenId ‖ balance ‖ nonce as one 192-bit integer,
 * tokenId·2^160 + balance·2^32 + nonce (a unique packing given the field widths).
 */
export function packedState(a: Pick<Account, "tokenId" | "balance" | "nonce">): bigint {
  return (a.tokenId << BigInt(BALANCE_BITS + NONCE_BITS)) + (a.balance << BigInt(NONCE_BITS)) + a.nonce;
}

/** Leaf value: Poseidon(ax, ay, packedState). The owner is kept on L1, not in the leaf. */
export function accountLeaf(hash: Hasher, a: Account): bigint {
  return hash([a.ax, a.ay, packedState(a)]);
}

/** The all-zero account fields used for padding slots in the circuit input. */
export const EMPTY_ACCOUNT: Account = { ax: 0n, ay: 0n, owner: 0n, tokenId: 0n, balance: 0n, nonce: 0n };

/** JSON form of an account (the API's and the CLI's): the owner as a 0x address, the rest decimal strings. */
export interface AccountJSON {
  ax: string;
  ay: string;
  owner: string;
  tokenId: string;
  balance: string;
  nonce: string;
}

export function accountToJSON(a: Account): AccountJSON {
  return {
    ax: a.ax.toString(),
    ay: a.ay.toString(),
    owner: "0x" + a.owner.toString(16).padStart(40, "0"),
    tokenId: a.tokenId.toString(),
    balance: a.balance.toString(),
    nonce: a.nonce.toString(),
  };
}
