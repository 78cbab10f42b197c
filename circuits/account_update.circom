pragma circom 2.1.6;

include "bitify.circom";
include "account_leaf.circom";
include "merkle_update.circom";

// AccountUpdate(D): the only way a circuit reads or writes an account leaf. Opens the leaf at an
// index under rootIn, replaces it with the new one and returns the new root; every field of both
// leaves is range-checked here, where it is read or written (docs/PROTOCOL.md, "Account leaf and
// tree", "Why every leaf read is range-checked").
//
// Parameters
//   D   tree depth (4^D leaves)
//
// Soundness table (input, range assumed, where it is enforced)
//   enabled          1 bit      caller (an IsZero-style flag or a Num2Bits bit); 0: no check,
//                               rootOut = rootIn
//   oldEmpty         1 bit      caller (a Num2Bits-derived flag); 1: the old leaf is the empty
//                               value 0 and the old fields are not hashed (a CREATE)
//   pathBits[2D]     1 bit      caller (Num2Bits(2D) of the index): MerkleUpdate needs booleans
//   siblings[S]      field      none needed: any value that makes 1. hold is a Merkle proof
//   rootIn           field      none needed
//   oldAx, oldAy     field      none needed: Poseidon inputs
//   oldToken         < 2^32     1. here, Num2Bits(32)
//   oldBalance       < 2^128    1. here, Num2Bits(128)
//   oldNonce         < 2^32     1. here, Num2Bits(32)
//   newAx, newAy     field      none needed
//   newToken         < 2^32     2. here, Num2Bits(32)
//   newBalance       < 2^128    2. here, Num2Bits(128): callers rely on it to reject overdrafts
//                               and overflows (a wrapped difference is ≥ r − 2^141, not < 2^128)
//   newNonce         < 2^32     2. here, Num2Bits(32)
//   rootOut          field      output
//
// Checks
//   1. The old fields are in range (also when disabled or oldEmpty: callers then pass zeros or
//      in-range values).
//   2. The new fields are in range (also when disabled).
//   3. oldLeaf = oldEmpty ? 0 : AccountLeaf(old fields); newLeaf = AccountLeaf(new fields).
//   4. MerkleUpdate: if enabled, oldLeaf is at pathBits under rootIn and rootOut is the root with
//      newLeaf there; if not, rootOut = rootIn.
//
// Packed value: the leaf's state word tokenId·2^160 + balance·2^32 + nonce (AccountLeaf). By 1.
// and 2. it is < 2^192 as an integer whenever it is hashed, so its decomposition is unique: a
// prover who opens a leaf must supply exactly the fields that were written into it. Poseidon
// collision resistance then binds (ax, ay, state) and the Merkle proof binds the leaf to its index.
// Invariant: every leaf in the tree was written by 2. (genesis is the empty tree), so honest
// leaves always have an in-range opening.
//
// Constraints: MerkleUpdate(D) + 2 AccountLeaf 522 + 2·192 range bits (+1 when oldEmpty is not
// a constant): AccountUpdate(4) 3,173, AccountUpdate(12) 7,548 (3,174 and 7,549 in L1Op).
template AccountUpdate(D) {
    signal input enabled, oldEmpty;
    signal input pathBits[2 * D];
    signal input siblings[merkleSiblings(D)];
    signal input rootIn;
    signal input oldAx, oldAy, oldToken, oldBalance, oldNonce;
    signal input newAx, newAy, newToken, newBalance, newNonce;
    signal output rootOut;

    // 1.
    _ <== Num2Bits(32)(oldToken);
    _ <== Num2Bits(128)(oldBalance);
    _ <== Num2Bits(32)(oldNonce);

    // 2.
    _ <== Num2Bits(32)(newToken);
    _ <== Num2Bits(128)(newBalance);
    _ <== Num2Bits(32)(newNonce);

    // 3.
    signal oldHash <== AccountLeaf()(oldAx, oldAy, oldToken, oldBalance, oldNonce);
    signal oldLeaf <== (1 - oldEmpty) * oldHash;
    signal newLeaf <== AccountLeaf()(newAx, newAy, newToken, newBalance, newNonce);

    // 4.
    rootOut <== MerkleUpdate(D)(enabled, pathBits, siblings, oldLeaf, newLeaf, rootIn);
}
