pragma circom 2.1.6;

include "bitify.circom";
include "account_leaf.circom";
include "merkle_update.circom";

// FeeCredit(D): credit one fee slot's accumulated fees to its account (docs/PROTOCOL.md, "Batch").
//
// Parameters
//   D   tree depth
//
// Signals
//   enabled          input   1 bit      slot in use (feeIdx ≠ 0; constrained boolean by Batch)
//   idxBits[2·D]     input   1 bit      fee account index, least significant first (from Num2Bits)
//   acc              input   < N·2^54   fees of this slot's token collected in the batch
//   ax, ay           input   field      the fee account's leaf before the credit (key,
//   tokenId          input   32 bits      token: the slot's token,
//   balance          input   128 bits     balance,
//   nonce            input   32 bits      nonce: widths hold for every leaf in the tree)
//   siblings[S]      input   field      proof of that leaf against rootIn (S = merkleSiblings(D))
//   rootIn           input   field      root before the credit
//   rootOut          output  field      root after it (rootIn when disabled)
//
// Checks
//   1. balance' = balance + acc < 2^128 (balance < 2^128 in the tree, so the sum cannot wrap).
//   2. If enabled, the leaf is at the index in rootIn and is replaced by the credited leaf.
//
// An unused slot has every input 0 (acc is 0 there: Transfer only credits enabled slots), which
// satisfies 1.
//
// Constraints: 2 AccountLeaf 522 + MerkleUpdate(D) + 128 (FeeCredit(4) 2,917, FeeCredit(12) 7,292).
template FeeCredit(D) {
    signal input enabled;
    signal input idxBits[2 * D];
    signal input acc;
    signal input ax, ay, tokenId, balance, nonce;
    signal input siblings[merkleSiblings(D)];
    signal input rootIn;
    signal output rootOut;

    // 1.
    _ <== Num2Bits(128)(balance + acc);

    // 2.
    signal leafOld <== AccountLeaf()(ax, ay, tokenId, balance, nonce);
    signal leafNew <== AccountLeaf()(ax, ay, tokenId, balance + acc, nonce);
    rootOut <== MerkleUpdate(D)(enabled, idxBits, siblings, leafOld, leafNew, rootIn);
}
