pragma circom 2.1.6;

include "poseidon.circom";

// AccountLeaf(): the leaf hash of an account (docs/PROTOCOL.md, "Account leaf and tree").
//
// Signals (widths are the protocol's invariants; this template does not range-check them:
// the callers check every value they write, so every leaf in the tree satisfies them)
//   ax, ay    input   field      BabyJubJub public key
//   owner     input   160 bits   L1 owner address
//   tokenId   input   32 bits
//   balance   input   128 bits
//   nonce     input   32 bits
//   out       output  field      Poseidon(ax, ay, owner, tokenId, balance, nonce)
//
// Constraints: one Poseidon(6), 354.
template AccountLeaf() {
    signal input ax, ay, owner, tokenId, balance, nonce;
    signal output out;

    out <== Poseidon(6)([ax, ay, owner, tokenId, balance, nonce]);
}
