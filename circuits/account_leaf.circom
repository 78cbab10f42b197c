pragma circom 2.1.6;

include "poseidon.circom";

// AccountLeaf(): the leaf hash of an account (docs/PROTOCOL.md, "Account leaf and tree").
//
// Signals (widths are the protocol's invariants; this template does not range-check them:
// the callers check every value they write, so every leaf in the tree satisfies them)
//   ax, ay    input   field      BabyJubJub public key
//   tokenId   input   32 bits
//   balance   input   128 bits
//   nonce     input   32 bits
//   out       output  field      Poseidon(ax, ay, tokenId·2^160 + balance·2^32 + nonce)
//
// The three small fields share one input (192 bits, a unique packing under the widths). The
// account's L1 owner is not in the leaf: the contract records it when the account is created
// and checks it itself (forced exits, escape withdrawals).
//
// Constraints: one Poseidon(3), 261.
template AccountLeaf() {
    signal input ax, ay, tokenId, balance, nonce;
    signal output out;

    out <== Poseidon(3)([ax, ay, tokenId * 2 ** 160 + balance * 2 ** 32 + nonce]);
}
