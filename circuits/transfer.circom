pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "schnorr.circom";
include "float_decode.circom";
include "account_leaf.circom";
include "merkle_update.circom";

// Transfer(D, F): one transaction slot of a batch, a transfer or an exit (docs/PROTOCOL.md,
// "L2 transfer").
//
// Parameters
//   D   tree depth; idxBits = 8·ceil(2D/8) calldata bits per index
//   F   fee slots of the batch
//
// Signals
//   rootIn                input   field     state root before this slot
//   domain                input   field     Poseidon(chainId, rollupAddress)
//   feeEnabled[F]         input   1 bit     fee slot j is in use (constrained boolean by Batch)
//   feeToken[F]           input   32 bits   token of fee slot j (bound to its account by Batch)
//   from, to              input   2D bits   account indexes; from = 0 marks padding, to = 0 an exit
//   amountF               input   40 bits   float40 amount
//   feeF                  input   8 bits    float8 fee
//   sigS                  input   253 bits  signature S (< subgroup order when enabled)
//   sigR8x, sigR8y        input   field     signature R8
//   senderAx, senderAy    input   field     sender's leaf before the tx: key,
//   senderToken           input   32 bits     token,
//   senderBalance         input   128 bits    balance,
//   senderNonce           input   32 bits     nonce (widths: invariants of every leaf in the tree)
//   senderSiblings[S]     input   field     proof of the sender's leaf against rootIn
//                                           (S = merkleSiblings(D))
//   receiverAx, receiverAy, receiverToken, receiverBalance, receiverNonce
//                         input   as sender receiver's leaf after the sender's update (all 0 for
//                                           an exit or padding)
//   receiverSiblings[S]   input   field     proof of the receiver's leaf against the root after
//                                           the sender's update
//   rootOut               output  field     state root after this slot
//   feeAdd[F]             output  < 2^54    fee credited to fee slot j
//   txWord                output  < 2^(8·txBytes)  the calldata from ‖ to ‖ amountF ‖ feeF as one
//                                           big-endian integer (txPacked)
//
// Checks
//   1. enabled = (from ≠ 0); a padding slot has to = amountF = feeF = 0 (and so changes nothing:
//      both Merkle updates are disabled and feeAdd = 0).
//   2. from, to < 4^D (their calldata bytes above bit 2D are 0); isTransfer = (to ≠ 0), which
//      implies enabled (by 1.); an enabled slot with to = 0 is an exit.
//   3. amount = float40(amountF), fee = float8(feeF).
//   4. When enabled, (sigR8, sigS) is a valid Schnorr-128 signature (SchnorrVerifier128) by
//      (senderAx, senderAy) of the message (domain, txPacked·2^32 + senderNonce), txPacked =
//      calldata as a big-endian integer (< 2^112, senderNonce < 2^32: the word is injective).
//   5. Sender: its leaf is at `from` in rootIn; balance' = balance − amount − fee ∈ [0, 2^128),
//      nonce' = nonce + 1 < 2^32.
//   6. Receiver, if isTransfer: its leaf is at `to` in the root after 5; same token as the
//      sender; balance' = balance + amount < 2^128. An exit has no receiver: the root after 5 is
//      the slot's rootOut, and the contract pays `amount` out on L1.
//   7. Fee: match_j = feeEnabled_j · (feeToken_j == senderToken); feeAdd_j = fee · match_j;
//      fee = 0 when no slot matches (Batch makes enabled fee tokens distinct: at most one match).
//
// Range checks and field wrap-around (r ≈ 2^253.6): amount < 2^139 and fee < 2^54.
//   - Sender: if amount + fee > balance, balance − amount − fee is r − (amount + fee − balance)
//     ≥ r − 2^140 > 2^128 as a field element, so Num2Bits(128) rejects every overdraft whatever
//     the witness.
//   - Receiver: balance < 2^128 holds for every leaf in the tree (every balance written is
//     range-checked: here, in FeeCredit and in L1Op), so balance + amount < 2^141 never wraps and
//     Num2Bits(128) checks the integer sum. This check is not gated: for an exit or padding the
//     receiver balance is 0 and amount ≤ the sender's balance (or 0), so it holds.
//
// Padding slots: every input 0 works; no special values are needed. With enabled = 0 the
// signature verifier checks nothing (S < 2^253 aside), so all-zero signature inputs compute; the
// leaf and sibling inputs feed disabled Merkle updates. The checks not gated by `enabled`
// (range checks) hold for zeros. The same goes for the receiver inputs of an exit.
//
// Constraints: Transfer(4, 1) 8,536, Transfer(12, 1) 17,318, Transfer(16, 2) 21,868: signature
// (SchnorrVerifier128, challenge hash included) 2,586, 4 leaves 1,044, 2 MerkleUpdate(D), range
// and flag checks ~370.
template Transfer(D, F) {
    var idxBits = 8 * ((2 * D + 7) \ 8);

    signal input rootIn, domain;
    signal input feeEnabled[F], feeToken[F];
    signal input from, to, amountF, feeF;
    signal input sigS, sigR8x, sigR8y;
    signal input senderAx, senderAy, senderToken, senderBalance, senderNonce;
    signal input senderSiblings[merkleSiblings(D)];
    signal input receiverAx, receiverAy, receiverToken, receiverBalance, receiverNonce;
    signal input receiverSiblings[merkleSiblings(D)];
    signal output rootOut;
    signal output feeAdd[F];
    signal output txWord;

    // 2. (first, as it range-checks `to` for 1.)
    signal fromBits[2 * D] <== Num2Bits(2 * D)(from);
    signal toBits[2 * D] <== Num2Bits(2 * D)(to);

    // 3.
    component amountDec = FloatDecode(5, 35);
    amountDec.in <== amountF;
    component feeDec = FloatDecode(4, 4);
    feeDec.in <== feeF;
    signal amount <== amountDec.out;
    signal fee <== feeDec.out;

    // 1. enabled = (from ≠ 0), as in IsZero. to + amountF + feeF < 2^49 cannot wrap, so it is 0
    //    exactly when all three are.
    signal fromInv <-- from != 0 ? 1 / from : 0;
    signal enabled <== from * fromInv;
    from * (1 - enabled) === 0;
    (to + amountF + feeF) * (1 - enabled) === 0;

    // 2. isTransfer = (to ≠ 0), as in IsZero (toInv is free when to = 0).
    signal toInv <-- to != 0 ? 1 / to : 0;
    signal isTransfer <== to * toInv;
    to * (1 - isTransfer) === 0;

    // The calldata as one integer: every field is range-checked (from, to by 2., amountF and feeF
    // by their decoders), so this is the canonical packing.
    var txPacked = from * 2 ** (idxBits + 48) + to * 2 ** 48 + amountF * 2 ** 8 + feeF;
    txWord <== txPacked;

    // 4.
    component sig = SchnorrVerifier128();
    sig.enabled <== enabled;
    sig.Ax <== senderAx;
    sig.Ay <== senderAy;
    sig.S <== sigS;
    sig.R8x <== sigR8x;
    sig.R8y <== sigR8y;
    sig.domain <== domain;
    sig.word <== txPacked * 2 ** 32 + senderNonce;

    // 5.
    var senderBalanceNew = senderBalance - amount - fee;
    _ <== Num2Bits(128)(senderBalanceNew);
    _ <== Num2Bits(32)(senderNonce + 1);
    signal senderLeafOld <== AccountLeaf()(senderAx, senderAy, senderToken, senderBalance, senderNonce);
    signal senderLeafNew <== AccountLeaf()(senderAx, senderAy, senderToken, senderBalanceNew, senderNonce + 1);
    signal rootMid <== MerkleUpdate(D)(enabled, fromBits, senderSiblings, senderLeafOld, senderLeafNew, rootIn);

    // 6.
    (receiverToken - senderToken) * isTransfer === 0;
    var receiverBalanceNew = receiverBalance + amount;
    _ <== Num2Bits(128)(receiverBalanceNew);
    signal receiverLeafOld <== AccountLeaf()(receiverAx, receiverAy, receiverToken, receiverBalance, receiverNonce);
    signal receiverLeafNew <== AccountLeaf()(receiverAx, receiverAy, receiverToken, receiverBalanceNew, receiverNonce);
    rootOut <== MerkleUpdate(D)(isTransfer, toBits, receiverSiblings, receiverLeafOld, receiverLeafNew, rootMid);

    // 7.
    signal tokenMatch[F], slotMatch[F];
    var matches = 0;
    for (var j = 0; j < F; j++) {
        tokenMatch[j] <== IsEqual()([feeToken[j], senderToken]);
        slotMatch[j] <== feeEnabled[j] * tokenMatch[j];
        feeAdd[j] <== fee * slotMatch[j];
        matches += slotMatch[j];
    }
    fee * (1 - matches) === 0;
}
