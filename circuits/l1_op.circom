pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "account_update.circom";

// L1Op(D, T): one L1-operation slot of a batch: a queued CREATE, DEPOSIT, FORCE_EXIT or (T = 1)
// FORCE_TRANSFER, or nothing (docs/PROTOCOL.md, "L1 operations").
//
// Parameters
//   D   tree depth (4^D accounts)
//   T   1 if the slot can hold a FORCE_TRANSFER (BatchHead: slot 0 only), else 0. A forced
//       transfer writes two leaves, so a T = 1 slot has a second AccountUpdate (the receiver's);
//       with T = 0 the template is the 4-kind one (kind two bits, one update, no to* inputs).
//
// Soundness table (input, range assumed, where it is enforced)
//   rootIn, hashIn       field      none needed (Batch chains them from the previous slot)
//   kind                 2+T bits   1. here, Num2Bits(2 + T): 0 disabled, 1 CREATE, 2 DEPOSIT,
//                                   3 FORCE_EXIT, 4 FORCE_TRANSFER (T = 1; 5..7 refused by 1.)
//   accountIdx           2D bits    2. here, Num2Bits(2D) (also the path bits of 8.)
//   tokenId              32 bits    2. here, Num2Bits(32)
//   amount               128 bits   2. here, Num2Bits(128)
//   owner                field      unchecked by design: only hashed into the chain step (4.),
//                                   whose value the contract fixes (Batch: the chain equals the
//                                   contract's h_{p+k}); the contract queues 160-bit addresses.
//                                   The circuit never uses it otherwise: results are credited
//                                   on L1 to the owner the contract stored.
//   ax, ay               field      unchecked by design: hashed (4.) and, for a CREATE, written as
//                                   the new key (any field element is a valid leaf key). For a
//                                   FORCE_TRANSFER ax is the receiver's index: 9. range-checks
//                                   isForceTransfer·ax to 2D bits (its path bits); ay unused.
//   leafAx, leafAy       field      none needed
//   leafToken            < 2^32     8. AccountUpdate (old token)
//   leafBalance          < 2^128    8. AccountUpdate (old balance)
//   leafNonce            < 2^32     8. AccountUpdate (old nonce)
//   siblings[S]          field      none needed: 8. checks the proof (S = merkleSiblings(D))
//   toAx … toNonce, toSiblings[S]   the receiver's leaf (T = 1), checked by 9.'s
//                                   ForcedTransferReceiver (its table); unused by design for
//                                   T = 0 (the caller passes zeros)
//   For a CREATE or a disabled slot the leaf inputs are unchecked by design beyond their ranges:
//   the old leaf is the empty value 0 (CREATE) or the update is disabled, and every use of them
//   below is multiplied by a flag that is then 0 (test/circuits/malicious.test.ts perturbs them).
//   Likewise the to* inputs of any slot that is not a FORCE_TRANSFER (9.'s update is disabled,
//   moved is 0).
//
// Outputs
//   enabled              1 bit      kind ≠ 0
//   hashOut              field      enabled ? Poseidon(hashIn, e1, owner, ax, ay) : hashIn
//   rootOut              field      state root after the operation
//   result               < 2^128    the operation's result (refund or forced-exit amount)
//
// Checks
//   1. kind < 2^(2+T), and for T = 1 kind ≤ 4 (bit 2 excludes bits 0 and 1); isCreate, isDeposit,
//      isForceExit, isForceTransfer are its one-hot flags, enabled their sum.
//   2. accountIdx < 4^D (its path bits), tokenId < 2^32, amount < 2^128.
//   3. A disabled slot holds no operation: e1 = owner = ax = ay = 0.
//   4. hashOut as above (the queue's hash chain step).
//   5. Old leaf: 0 (empty) for CREATE, else the leaf of the leaf fields; when enabled it must be
//      at accountIdx in rootMid (rootIn unless 9. credited a receiver, which is another leaf).
//      So CREATE fills an empty slot; DEPOSIT, FORCE_EXIT and FORCE_TRANSFER need an existing
//      account.
//   6. DEPOSIT is valid iff leafToken = tokenId and leafBalance + amount < 2^128: a 129-bit
//      decomposition, exact because both terms are < 2^128 (leafBalance by 8., amount by 2.).
//      FORCE_EXIT is always valid: the contract queues it only from the account's owner (it
//      records the owner when it queues the CREATE; the owner is not in the leaf); so is the
//      authority of a FORCE_TRANSFER (its validity: 9.).
//   7. result = amount for an invalid DEPOSIT (refund), leafBalance for a FORCE_EXIT, else
//      0 (a FORCE_TRANSFER's is 0 whether it moved or not); it is < 2^128 without a check of its
//      own: the flags are exclusive, amount < 2^128 by 2. and leafBalance < 2^128 by 8.
//   8. AccountUpdate at accountIdx (enabled, oldEmpty = isCreate): the new leaf is, for CREATE,
//      {ax, ay, tokenId, amount, 0}; for a valid DEPOSIT balance + amount; for FORCE_EXIT balance
//      0; for a FORCE_TRANSFER balance − moved·amount; otherwise unchanged (the update rewrites
//      the same leaf). AccountUpdate range-checks the old fields where they are read and the new
//      ones where they are written. The nonce never changes (no signature to replay).
//   9. (T = 1, ForcedTransferReceiver) FORCE_TRANSFER of amount from accountIdx to ax: moved = 1 iff
//        leafToken = tokenId, leafBalance ≥ amount (bit 128 of leafBalance + 2^128 − amount,
//        a 129-bit decomposition exact for both < 2^128: the sum is in [1, 2^129)),
//        toToken = tokenId, toBalance + amount < 2^128 (as in 6.) and ax ≠ accountIdx;
//      else moved = 0 and the slot changes nothing (a no-op, never a stall). The receiver's
//      AccountUpdate (enabled = isForceTransfer, oldEmpty = 0, path bits of isForceTransfer·ax,
//      so ax < 4^D) opens the receiver at ax in rootIn and writes toBalance + moved·amount,
//      giving rootMid (rootIn when T = 0 or the slot is no FORCE_TRANSFER); 8. then opens the
//      sender in rootMid and debits moved·amount. Both leaves are read from rootIn: the
//      receiver's directly, the sender's because rootMid differs from rootIn only at ax, and
//      ax ≠ accountIdx whenever moved = 1 (when moved = 0 the receiver's update is the
//      identity). So moved is a function of rootIn and the operation alone; the prover cannot
//      choose it. The contract queues a FORCE_TRANSFER only from the sender's owner, to an
//      existing other account of the same token; the circuit relies on the first (authority)
//      and on the receiver existing (its update needs a non-empty leaf), not on the others.
//
// Packed values and why each decomposition is unique
//   - e1 = kind·2^192 + accountIdx·2^160 + tokenId·2^128 + amount: kind < 8, accountIdx < 2^32
//     (4^D ≤ 2^32), tokenId < 2^32, amount < 2^128 by 1. and 2., so e1 < 2^195 < r as an integer
//     and the fields are its disjoint bit ranges: e1 fixes every field. (The contract packs the
//     same way from typed uint8/uint32/uint32/uint128 values and queues accountIdx < 4^D only.)
//   - The leaf's state word: AccountUpdate.
//
// Disabled slots take every input 0. The leaf inputs of a disabled slot or a CREATE feed only
// checks whose outcome is then unused (the flags of 6. and 9. are multiplied by isDeposit /
// isForceExit / isForceTransfer, the update is disabled or takes the empty leaf), so they are
// otherwise free; zeros satisfy the ungated checks on them (the 129-bit sums of 6. and 9., the
// ranges of 8. and 9.).
//
// Constraints: T = 0: AccountUpdate(D) + 2D + 616 (L1Op(2, 0) 2,972, L1Op(4, 0) 3,812,
// L1Op(12, 0) 8,203): chain Poseidon(5) 321, range bits 2 + 2D + 32 + 128 + 129, flags and
// selections ~4. T = 1 adds a second AccountUpdate(D), 2D path bits, two 129-bit sums and ~12
// (bin/bench prints the figures).
template L1Op(D, T) {
    assert(T == 0 || T == 1);
    signal input rootIn, hashIn;
    signal input kind, accountIdx, tokenId, amount, owner, ax, ay;
    signal input leafAx, leafAy, leafToken, leafBalance, leafNonce;
    signal input siblings[merkleSiblings(D)];
    signal input toAx, toAy, toToken, toBalance, toNonce;
    signal input toSiblings[merkleSiblings(D)];
    signal output enabled;
    signal output hashOut, rootOut;
    signal output result;

    // 1.
    signal kindBits[2 + T] <== Num2Bits(2 + T)(kind);
    signal isForceExit <== kindBits[0] * kindBits[1];
    var isCreate = kindBits[0] - isForceExit;
    var isDeposit = kindBits[1] - isForceExit;
    var isForceTransfer = 0;
    if (T == 1) {
        isForceTransfer = kindBits[2];
        kindBits[2] * (kindBits[0] + kindBits[1]) === 0;
    }
    enabled <== kindBits[0] + kindBits[1] - isForceExit + isForceTransfer;

    // 2.
    signal idxBits[2 * D] <== Num2Bits(2 * D)(accountIdx);
    _ <== Num2Bits(32)(tokenId);
    _ <== Num2Bits(128)(amount);
    var e1 = kind * 2 ** 192 + accountIdx * 2 ** 160 + tokenId * 2 ** 128 + amount;

    // 3.
    e1 * (1 - enabled) === 0;
    owner * (1 - enabled) === 0;
    ax * (1 - enabled) === 0;
    ay * (1 - enabled) === 0;

    // 4.
    signal hashNext <== Poseidon(5)([hashIn, e1, owner, ax, ay]);
    hashOut <== hashIn + enabled * (hashNext - hashIn);

    // 6.
    signal tokenOk <== IsEqual()([leafToken, tokenId]);
    signal sumBits[129] <== Num2Bits(129)(leafBalance + amount);
    signal depositOk <== tokenOk * (1 - sumBits[128]);
    signal depositCredited <== isDeposit * depositOk;

    // 7.
    signal refund <== (isDeposit - depositCredited) * amount;
    signal withdrawn <== isForceExit * leafBalance;
    result <== refund + withdrawn;

    // 9. (before 8.: the receiver is credited first, then the sender's update of 8. debits it)
    signal sent, rootMid;
    component receiver;
    if (T == 1) {
        receiver = ForcedTransferReceiver(D);
        receiver.enabled <== isForceTransfer;
        receiver.from <== accountIdx;
        receiver.to <== ax;
        receiver.tokenId <== tokenId;
        receiver.amount <== amount;
        receiver.senderTokenOk <== tokenOk;
        receiver.senderBalance <== leafBalance;
        receiver.rootIn <== rootIn;
        receiver.toAx <== toAx;
        receiver.toAy <== toAy;
        receiver.toToken <== toToken;
        receiver.toBalance <== toBalance;
        receiver.toNonce <== toNonce;
        receiver.toSiblings <== toSiblings;
        sent <== receiver.sent;
        rootMid <== receiver.rootOut;
    } else {
        sent <== 0;
        rootMid <== rootIn;
    }

    // 8. (and 5.)
    signal credit <== (isCreate + depositCredited) * amount;
    signal keptBalance <== (1 - isCreate) * leafBalance;
    signal newAx <== leafAx + isCreate * (ax - leafAx);
    signal newAy <== leafAy + isCreate * (ay - leafAy);
    signal newToken <== leafToken + isCreate * (tokenId - leafToken);
    signal newNonce <== (1 - isCreate) * leafNonce;
    rootOut <== AccountUpdate(D)(enabled, isCreate, idxBits, siblings, rootMid,
        leafAx, leafAy, leafToken, leafBalance, leafNonce,
        newAx, newAy, newToken, keptBalance + credit - withdrawn - sent, newNonce);
}

// ForcedTransferReceiver(D): the receiver's side of a FORCE_TRANSFER in an L1Op(D, 1) slot, and
// whether it moves (L1Op 9.): credits `sent` to the receiver's leaf at `to` under rootIn; the
// caller debits it from the sender.
//
// Soundness table (input, range assumed, where it is enforced)
//   enabled          1 bit      caller: L1Op's isForceTransfer (a Num2Bits bit)
//   from             2D bits    caller: L1Op 2., Num2Bits(2D)(accountIdx)
//   to               field      here: Num2Bits(2D)(enabled·to) (its path bits); unchecked by
//                               design when disabled (the update is off, moved is 0)
//   tokenId          < 2^32     caller: L1Op 2.
//   amount           < 2^128    caller: L1Op 2.
//   senderTokenOk    1 bit      caller: L1Op's IsEqual(leafToken, tokenId)
//   senderBalance    < 2^128    caller: L1Op 8.'s AccountUpdate (the sender's old balance)
//   rootIn           field      none needed
//   toAx, toAy       field      none needed
//   toToken          < 2^32     here: the AccountUpdate (old token)
//   toBalance        < 2^128    here: the AccountUpdate (old balance)
//   toNonce          < 2^32     here: the AccountUpdate (old nonce)
//   toSiblings[S]    field      none needed: the AccountUpdate checks the proof
//
// Outputs
//   sent             < 2^128    moved·amount
//   rootOut          field      rootIn with the receiver credited sent (rootIn if disabled)
//
// moved = enabled ∧ senderTokenOk ∧ senderBalance ≥ amount ∧ toToken = tokenId ∧
// toBalance + amount < 2^128 ∧ to ≠ from. senderBalance ≥ amount is bit 128 of senderBalance +
// 2^128 − amount, and the overflow bit 128 of toBalance + amount: both 129-bit decompositions are
// exact since every term is < 2^128 (the sums are in [1, 2^129) and [0, 2^129)). The update is
// enabled whenever the slot is a FORCE_TRANSFER (oldEmpty = 0: the receiver must exist) and
// writes toBalance + sent, the other fields unchanged: a no-op rewrites the same leaf.
template ForcedTransferReceiver(D) {
    signal input enabled, from, to, tokenId, amount, senderTokenOk, senderBalance, rootIn;
    signal input toAx, toAy, toToken, toBalance, toNonce;
    signal input toSiblings[merkleSiblings(D)];
    signal output sent, rootOut;

    signal toIdx <== enabled * to;
    signal toBits[2 * D] <== Num2Bits(2 * D)(toIdx);
    signal coverBits[129] <== Num2Bits(129)(senderBalance + 2 ** 128 - amount);
    signal toTokenOk <== IsEqual()([toToken, tokenId]);
    signal toSumBits[129] <== Num2Bits(129)(toBalance + amount);
    signal self <== IsEqual()([toIdx, from]);
    signal ok1 <== enabled * senderTokenOk;
    signal ok2 <== ok1 * coverBits[128];
    signal ok3 <== ok2 * toTokenOk;
    signal ok4 <== ok3 * (1 - toSumBits[128]);
    signal moved <== ok4 * (1 - self);
    sent <== moved * amount;
    rootOut <== AccountUpdate(D)(enabled, 0, toBits, toSiblings, rootIn,
        toAx, toAy, toToken, toBalance, toNonce,
        toAx, toAy, toToken, toBalance + sent, toNonce);
}
