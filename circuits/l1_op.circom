pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "account_update.circom";

// L1Op(D): one L1-operation slot of a batch: a queued CREATE, DEPOSIT or FORCE_EXIT, or nothing
// (docs/PROTOCOL.md, "L1 operations").
//
// Parameters
//   D   tree depth (4^D accounts)
//
// Soundness table (input, range assumed, where it is enforced)
//   rootIn, hashIn       field      none needed (Batch chains them from the previous slot)
//   kind                 2 bits     1. here, Num2Bits(2): 0 disabled, 1 CREATE, 2 DEPOSIT,
//                                   3 FORCE_EXIT
//   accountIdx           2D bits    2. here, Num2Bits(2D) (also the path bits of 8.)
//   tokenId              32 bits    2. here, Num2Bits(32)
//   amount               128 bits   2. here, Num2Bits(128)
//   owner                field      unchecked by design: only hashed into the chain step (4.),
//                                   whose value the contract fixes (Batch: the chain equals the
//                                   contract's h_{p+k}); the contract queues 160-bit addresses.
//                                   The circuit never uses it otherwise: results are credited
//                                   on L1 to the owner the contract stored.
//   ax, ay               field      unchecked by design: hashed (4.) and, for a CREATE, written as
//                                   the new key (any field element is a valid leaf key)
//   leafAx, leafAy       field      none needed
//   leafToken            < 2^32     8. AccountUpdate (old token)
//   leafBalance          < 2^128    8. AccountUpdate (old balance)
//   leafNonce            < 2^32     8. AccountUpdate (old nonce)
//   siblings[S]          field      none needed: 8. checks the proof (S = merkleSiblings(D))
//   For a CREATE or a disabled slot the leaf inputs are unchecked by design beyond their ranges:
//   the old leaf is the empty value 0 (CREATE) or the update is disabled, and every use of them
//   below is multiplied by a flag that is then 0 (test/circuits/malicious.test.ts perturbs them).
//
// Outputs
//   enabled              1 bit      kind ≠ 0
//   hashOut              field      enabled ? Poseidon(hashIn, e1, owner, ax, ay) : hashIn
//   rootOut              field      state root after the operation
//   result               < 2^128    the operation's result (refund or forced-exit amount)
//
// Checks
//   1. kind < 4 (two bits); isCreate, isDeposit, isForceExit are its one-hot flags, enabled their sum.
//   2. accountIdx < 4^D (its path bits), tokenId < 2^32, amount < 2^128.
//   3. A disabled slot holds no operation: e1 = owner = ax = ay = 0.
//   4. hashOut as above (the queue's hash chain step).
//   5. Old leaf: 0 (empty) for CREATE, else the leaf of the leaf fields; when enabled it must be
//      at accountIdx in rootIn. So CREATE fills an empty slot, DEPOSIT and FORCE_EXIT need an
//      existing account.
//   6. DEPOSIT is valid iff leafToken = tokenId and leafBalance + amount < 2^128: a 129-bit
//      decomposition, exact because both terms are < 2^128 (leafBalance by 8., amount by 2.).
//      FORCE_EXIT is always valid: the contract queues it only from the account's owner (it
//      records the owner when it queues the CREATE; the owner is not in the leaf).
//   7. result = amount for an invalid DEPOSIT (refund), leafBalance for a FORCE_EXIT, else
//      0; it is < 2^128 without a check of its own: the flags are exclusive, amount < 2^128 by 2.
//      and leafBalance < 2^128 by 8.
//   8. AccountUpdate at accountIdx (enabled, oldEmpty = isCreate): the new leaf is, for CREATE,
//      {ax, ay, tokenId, amount, 0}; for a valid DEPOSIT balance + amount; for FORCE_EXIT balance
//      0; otherwise unchanged (the update rewrites the same leaf). AccountUpdate range-checks
//      the old fields where they are read and the new ones where they are written.
//
// Packed values and why each decomposition is unique
//   - e1 = kind·2^192 + accountIdx·2^160 + tokenId·2^128 + amount: kind < 4, accountIdx < 2^32
//     (4^D ≤ 2^32), tokenId < 2^32, amount < 2^128 by 1. and 2., so e1 < 2^194 < r as an integer
//     and the fields are its disjoint bit ranges: e1 fixes every field. (The contract packs the
//     same way from typed uint8/uint32/uint32/uint128 values and queues accountIdx < 4^D only.)
//   - The leaf's state word: AccountUpdate.
//
// Disabled slots take every input 0. The leaf inputs of a disabled slot or a CREATE feed only
// checks whose outcome is then unused (the flags of 6. are multiplied by isDeposit /
// isForceExit, the update is disabled or takes the empty leaf), so they are otherwise free;
// zeros satisfy the ungated checks on them (the 129-bit sum of 6., the ranges of 8.).
//
// Constraints: AccountUpdate(D) + 2D + 616 (L1Op(2) 2,972, L1Op(4) 3,812, L1Op(12) 8,203):
// chain Poseidon(5) 321, range bits 2 + 2D + 32 + 128 + 129, flags and selections ~4.
template L1Op(D) {
    signal input rootIn, hashIn;
    signal input kind, accountIdx, tokenId, amount, owner, ax, ay;
    signal input leafAx, leafAy, leafToken, leafBalance, leafNonce;
    signal input siblings[merkleSiblings(D)];
    signal output enabled;
    signal output hashOut, rootOut;
    signal output result;

    // 1.
    signal kindBits[2] <== Num2Bits(2)(kind);
    signal isForceExit <== kindBits[0] * kindBits[1];
    var isCreate = kindBits[0] - isForceExit;
    var isDeposit = kindBits[1] - isForceExit;
    enabled <== kindBits[0] + kindBits[1] - isForceExit;

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

    // 8. (and 5.)
    signal credit <== (isCreate + depositCredited) * amount;
    signal keptBalance <== (1 - isCreate) * leafBalance;
    signal newAx <== leafAx + isCreate * (ax - leafAx);
    signal newAy <== leafAy + isCreate * (ay - leafAy);
    signal newToken <== leafToken + isCreate * (tokenId - leafToken);
    signal newNonce <== (1 - isCreate) * leafNonce;
    rootOut <== AccountUpdate(D)(enabled, isCreate, idxBits, siblings, rootIn,
        leafAx, leafAy, leafToken, leafBalance, leafNonce,
        newAx, newAy, newToken, keptBalance + credit - withdrawn, newNonce);
}
