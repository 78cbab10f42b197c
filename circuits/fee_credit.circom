pragma circom 2.1.6;

include "account_update.circom";

// FeeCredit(D): credit one fee slot's accumulated fees to its account (docs/PROTOCOL.md, "Batch").
//
// Parameters
//   D   tree depth
//
// Soundness table (input, range assumed, where it is enforced)
//   enabled          1 bit      Batch (IsZero-style flag: feeIdx ≠ 0)
//   idxBits[2·D]     1 bit      Batch (Num2Bits(2D) of feeIdx), least significant first
//   acc              < N·2^54   Batch: the sum of the slot's N Transfer feeAdd outputs, each
//                               < 2^54 (float8 fee), so acc < 2^64 for N < 2^10
//   ax, ay           field      none needed
//   tokenId          < 2^32     2. AccountUpdate (old and new token). Batch passes the slot's
//                               feeToken, so the token every Transfer matched its fees against
//                               is the fee account's real token
//   balance          < 2^128    2. AccountUpdate (old balance)
//   nonce            < 2^32     2. AccountUpdate (old and new nonce)
//   siblings[S]      field      none needed: 2. checks the proof (S = merkleSiblings(D))
//   rootIn           field      none needed (Batch chains it)
//   rootOut          output     root after the credit (rootIn when disabled)
//   For an unused slot (enabled = 0) the leaf inputs are unchecked by design beyond their
//   ranges: the update is disabled and acc is 0 (no Transfer matches a disabled slot).
//
// Checks
//   1. balance' = balance + acc < 2^128 (AccountUpdate's new-balance range; balance < 2^128 and
//      acc < 2^64, so the sum cannot wrap and the check is exact).
//   2. If enabled, the leaf is at the index in rootIn and is replaced by the credited leaf; every
//      field of both leaves is range-checked (AccountUpdate). Reading the fee account's token
//      from a range-checked leaf is what stops fees of one token being credited to an account of
//      another: its packed word has one decomposition, so tokenId is the account's token.
//
// An unused slot has every input 0 (acc is 0 there: Transfer only credits enabled slots), which
// satisfies 1. and the ranges.
//
// Constraints: AccountUpdate(D) (FeeCredit(4) 3,173, FeeCredit(12) 7,548).
template FeeCredit(D) {
    signal input enabled;
    signal input idxBits[2 * D];
    signal input acc;
    signal input ax, ay, tokenId, balance, nonce;
    signal input siblings[merkleSiblings(D)];
    signal input rootIn;
    signal output rootOut;

    // 1., 2.
    rootOut <== AccountUpdate(D)(enabled, 0, idxBits, siblings, rootIn,
        ax, ay, tokenId, balance, nonce,
        ax, ay, tokenId, balance + acc, nonce);
}
