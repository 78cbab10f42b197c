pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "schnorr.circom";
include "float_decode.circom";
include "account_update.circom";

// Transfer(D, F): one transaction slot of a batch, a transfer or an exit (docs/PROTOCOL.md,
// "L2 transfer").
//
// Parameters
//   D   tree depth; idxBits = 8·ceil(2D/8) calldata bits per index
//   F   fee slots of the batch
//
// Soundness table (input, range assumed, where it is enforced)
//   rootIn                field      none needed (Batch chains it from the previous slot)
//   domain                field      Batch: Poseidon(chainId, rollupAddress) of range-checked parts
//   feeEnabled[F]         1 bit      Batch (IsZero-style flag of feeIdx)
//   feeToken[F]           field      none needed here: only compared (IsEqual) with senderToken;
//                                    Batch binds it to its fee account (< 2^32 by that account's
//                                    AccountUpdate in FeeCredit)
//   from, to              2D bits    2. here, Num2Bits(2D); from = 0 marks padding, to = 0 an exit
//   amountF               40 bits    3. FloatDecode(5, 35) (its Num2Bits(40))
//   feeF                  8 bits     3. FloatDecode(4, 4) (its Num2Bits(8))
//   sigS                  253 bits   4. SchnorrVerifier128 (Num2Bits(253), also when disabled)
//   sigR8x, sigR8y        field      4. SchnorrVerifier128 (on the curve when enabled)
//   senderAx, senderAy    field      none needed: the key is hashed into the leaf and used by 4.
//   senderToken           < 2^32     5. AccountUpdate (old and new token)
//   senderBalance         < 2^128    5. AccountUpdate (old balance)
//   senderNonce           < 2^32     5. AccountUpdate (old nonce; the new one, nonce + 1, too)
//   senderSiblings[S]     field      none needed (S = merkleSiblings(D)): 5. checks the proof
//   receiverAx, receiverAy field     none needed
//   receiverToken         < 2^32     6. AccountUpdate (old and new), = senderToken for a transfer
//   receiverBalance       < 2^128    6. AccountUpdate (old balance)
//   receiverNonce         < 2^32     6. AccountUpdate (old and new nonce)
//   receiverSiblings[S]   field      none needed: 6. checks the proof when isTransfer
//   Receiver inputs of an exit or a padding slot are unchecked by design beyond their ranges:
//   they feed a disabled AccountUpdate (rootOut = rootMid whatever they are) and nothing else
//   (test/circuits/malicious.test.ts perturbs them and checks the roots and outputs stay).
//
// Outputs
//   enabled               1 bit            from ≠ 0 (Batch requires enabled slots first)
//   rootOut               field            state root after this slot
//   feeAdd[F]             < 2^54           fee credited to fee slot j
//   txWord                < 2^(8·txBytes)  the calldata from ‖ to ‖ amountF ‖ feeF as one
//                                          big-endian integer (txPacked)
//
// Checks
//   1. enabled = (from ≠ 0); a padding slot has to = amountF = feeF = 0 (and so changes nothing:
//      both updates are disabled and feeAdd = 0).
//   2. from, to < 4^D (their calldata bytes above bit 2D are 0); isTransfer = (to ≠ 0), which
//      implies enabled (by 1.); an enabled slot with to = 0 is an exit.
//   3. amount = float40(amountF), fee = float8(feeF).
//   4. When enabled, (sigR8, sigS) is a valid Schnorr-128 signature (SchnorrVerifier128) by
//      (senderAx, senderAy) of the message (domain, word), word = txPacked·2^32 + senderNonce.
//   5. Sender (AccountUpdate, enabled): its leaf is at `from` in rootIn; balance' = balance −
//      amount − fee ∈ [0, 2^128), nonce' = nonce + 1 < 2^32, key and token unchanged.
//   6. Receiver (AccountUpdate, enabled iff isTransfer): its leaf is at `to` in the root after 5
//      (so from = to works); same token as the sender; balance' = balance + amount < 2^128. An
//      exit has no receiver: the root after 5 is the slot's rootOut, and the contract pays
//      `amount` out on L1 to the owner it recorded for `from`.
//   7. Fee: match_j = feeEnabled_j · (feeToken_j == senderToken); feeAdd_j = fee · match_j;
//      fee = 0 when no slot matches (Batch makes enabled fee tokens distinct: at most one match).
//
// Packed values and why each decomposition is unique
//   - txPacked = from·2^(idxBits+48) + to·2^48 + amountF·2^8 + feeF: from, to < 2^(2D) ≤
//     2^idxBits, amountF < 2^40, feeF < 2^8 (2., 3.), so txPacked < 2^(8·txBytes) ≤ 2^112 and
//     its fields are disjoint bit ranges: it is the calldata, read once.
//   - word = txPacked·2^32 + senderNonce: senderNonce < 2^32 (5., checked where the leaf is
//     read), so word < 2^144 < r and (txPacked, nonce) is unique. An unchecked nonce would let
//     (txPacked − 1, nonce + 2^32) sign as (txPacked, nonce), or let a receiver's nonce absorb
//     the difference of an aliased sender leaf (the replay attack the tests re-enact).
//   - The sender's and receiver's leaf state words: AccountUpdate.
//
// Range arguments (r ≈ 2^253.6; amount < 2^139 and fee < 2^54 by 3.)
//   - Overdraft: if amount + fee > balance, balance − amount − fee is r − (amount + fee − balance)
//     ≥ r − 2^140 > 2^128 as a field element, so AccountUpdate's Num2Bits(128) rejects it.
//   - Receiver: balance < 2^128 (checked at the read), so balance + amount < 2^141 never wraps
//     and the 128-bit check is exact. It is not gated: for an exit or padding the receiver
//     inputs are 0 and amount ≤ the sender's balance (or 0), so it holds.
//
// Padding slots: every input 0 works; no special values are needed. With enabled = 0 the
// signature verifier checks nothing (S < 2^253 aside), so all-zero signature inputs compute; the
// leaf and sibling inputs feed disabled updates whose range checks zeros satisfy. The same goes
// for the receiver inputs of an exit.
//
// Constraints: Transfer(4, 1) 9,016, Transfer(12, 1) 17,798, Transfer(16, 2) 22,348: signature
// (SchnorrVerifier128, challenge hash included) 2,586, 2 AccountUpdate(D), range and flag
// checks ~150.
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
    signal output enabled;
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
    enabled <== from * fromInv;
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
    signal rootMid <== AccountUpdate(D)(enabled, 0, fromBits, senderSiblings, rootIn,
        senderAx, senderAy, senderToken, senderBalance, senderNonce,
        senderAx, senderAy, senderToken, senderBalance - amount - fee, senderNonce + 1);

    // 6.
    (receiverToken - senderToken) * isTransfer === 0;
    rootOut <== AccountUpdate(D)(isTransfer, 0, toBits, receiverSiblings, rootMid,
        receiverAx, receiverAy, receiverToken, receiverBalance, receiverNonce,
        receiverAx, receiverAy, receiverToken, receiverBalance + amount, receiverNonce);

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
