pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "account_leaf.circom";
include "merkle_update.circom";

// L1Op(D): one L1-operation slot of a batch: a queued CREATE, DEPOSIT or FORCE_EXIT, or nothing
// (docs/PROTOCOL.md, "L1 operations").
//
// Parameters
//   D   tree depth (4^D accounts)
//
// Signals
//   rootIn, hashIn       input   field      state root and queue hash before this slot
//   kind                 input   2 bits     0: disabled slot, 1 CREATE, 2 DEPOSIT, 3 FORCE_EXIT
//   accountIdx           input   2D bits    the queued operation, exactly as the contract hashed
//   tokenId              input   32 bits      it (owner is 160 bits, ax = ay = 0 unless CREATE:
//   amount               input   128 bits     the contract's values; the chain binds them, so
//   owner, ax, ay        input   field        they are not range-checked here, see Batch)
//   leafAx … leafNonce   input   as leaf    the leaf at accountIdx before the operation (Ax, Ay
//                                           field, Token 32, Balance 128, Nonce 32 bits for
//                                           every leaf in the tree); ignored for CREATE
//   siblings[S]          input   field      its Merkle proof against rootIn (S = merkleSiblings(D))
//   enabled              output  1 bit      kind ≠ 0
//   hashOut              output  field      enabled ? Poseidon(hashIn, e1, owner, ax, ay) : hashIn
//   rootOut              output  field      state root after the operation
//   result               output  < 2^128    the operation's result (refund or forced-exit amount)
//
// Checks
//   1. kind < 4 (two bits); isCreate, isDeposit, isForceExit are its one-hot flags, enabled their sum.
//   2. accountIdx < 4^D (its path bits), tokenId < 2^32, amount < 2^128: with kind < 4 these make
//      e1 = kind·2^192 + accountIdx·2^160 + tokenId·2^128 + amount < 2^194 a unique packing (as
//      an integer, below r), so e1 fixes every field. The contract only queues in-range values
//      (accountIdx < 4^D included), otherwise its queue could not be proven.
//   3. A disabled slot holds no operation: e1 = owner = ax = ay = 0.
//   4. hashOut as above (the queue's hash chain step).
//   5. Old leaf: 0 (empty) for CREATE, else Poseidon of the leaf fields; when enabled it must be
//      at accountIdx in rootIn. So CREATE fills an empty slot, DEPOSIT and FORCE_EXIT need an
//      existing account.
//   6. DEPOSIT is valid iff leafToken = tokenId and leafBalance + amount < 2^128: a 129-bit
//      decomposition, exact because both terms are < 2^128 (leaf invariant, 2.).
//      FORCE_EXIT is always valid: the contract queues it only from the account's owner (it
//      records the owner when it queues the CREATE; the owner is not in the leaf).
//   7. result = amount for an invalid DEPOSIT (refund), leafBalance for a FORCE_EXIT, else
//      0; it is < 2^128 without a check of its own: the flags are exclusive, amount < 2^128 by 2.
//      and leafBalance < 2^128 by the leaf invariant.
//   8. New leaf: CREATE: {ax, ay, tokenId, amount, 0}; valid DEPOSIT: balance + amount;
//      FORCE_EXIT: balance 0; otherwise unchanged (the update rewrites the same leaf).
//      Every value written keeps the leaf invariants: tokenId, amount, balance + amount by 2. and
//      6.
//
// Disabled slots take every input 0. The leaf inputs of a disabled slot or a CREATE feed only
// checks whose outcome is then unused (the flags of 6. are multiplied by isDeposit /
// isForceExit, the Merkle update is disabled or takes the empty leaf), so they are otherwise
// free; zeros satisfy the one ungated check on them, the 129-bit sum of 6.
//
// Constraints: MerkleUpdate(D) + 2D + 1,153 (L1Op(2) 2,588, L1Op(4) 3,428, L1Op(12) 7,819):
// 2 AccountLeaf 522, chain Poseidon(5) 321, range bits 2 + 2D + 32 + 128 + 129, flags and
// selections 19.
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

    // 5.
    signal leafHash <== AccountLeaf()(leafAx, leafAy, leafToken, leafBalance, leafNonce);
    signal oldLeaf <== (1 - isCreate) * leafHash;

    // 6.
    signal tokenOk <== IsEqual()([leafToken, tokenId]);
    signal sumBits[129] <== Num2Bits(129)(leafBalance + amount);
    signal depositOk <== tokenOk * (1 - sumBits[128]);
    signal depositCredited <== isDeposit * depositOk;

    // 7.
    signal refund <== (isDeposit - depositCredited) * amount;
    signal withdrawn <== isForceExit * leafBalance;
    result <== refund + withdrawn;

    // 8.
    signal credit <== (isCreate + depositCredited) * amount;
    signal keptBalance <== (1 - isCreate) * leafBalance;
    signal newAx <== leafAx + isCreate * (ax - leafAx);
    signal newAy <== leafAy + isCreate * (ay - leafAy);
    signal newToken <== leafToken + isCreate * (tokenId - leafToken);
    signal newNonce <== (1 - isCreate) * leafNonce;
    signal newLeaf <== AccountLeaf()(newAx, newAy, newToken, keptBalance + credit - withdrawn, newNonce);
    rootOut <== MerkleUpdate(D)(enabled, idxBits, siblings, oldLeaf, newLeaf, rootIn);
}
