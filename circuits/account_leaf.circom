pragma circom 2.1.6;

include "poseidon.circom";

// AccountLeaf(): the leaf hash of an account (docs/PROTOCOL.md, "Account leaf and tree").
//
// Only AccountUpdate (account_update.circom) may instantiate this template: it range-checks
// every field of the leaf it opens and of the leaf it writes. A leaf hashed from unchecked
// fields can be opened with another decomposition of its packed word (test/circuits/
// structure.test.ts fails if any other template uses AccountLeaf).
//
// Soundness table
//   signal    range assumed   enforced by
//   ax, ay    field           nothing needed: Poseidon inputs, bound as field elements
//   tokenId   < 2^32          AccountUpdate (Num2Bits(32) of the old and the new token)
//   balance   < 2^128         AccountUpdate (Num2Bits(128) of the old and the new balance)
//   nonce     < 2^32          AccountUpdate (Num2Bits(32) of the old and the new nonce)
//   out       field           Poseidon(3)
//
// Packing: state = tokenId·2^160 + balance·2^32 + nonce. Under the ranges above state < 2^192 < r
// as an integer, and the three fields are its bit ranges [160, 192), [32, 160) and [0, 32): one
// field value of state has exactly one decomposition. Without the ranges it has many, e.g.
// (tokenId − 1, balance + 2^128, nonce) or (tokenId, balance − k, nonce + k·2^32), all mod r.
//
// Constraints: one Poseidon(3), 261.
template AccountLeaf() {
    signal input ax, ay, tokenId, balance, nonce;
    signal output out;

    out <== Poseidon(3)([ax, ay, tokenId * 2 ** 160 + balance * 2 ** 32 + nonce]);
}
