pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "sha256/sha256.circom";
include "transfer.circom";
include "fee_credit.circom";
include "l1_op.circom";

// Batch(D, N, L, F): a batch of L L1-operation slots, N transaction slots and F fee slots, in
// that order, takes the account tree from oldRoot to newRoot and the L1 queue hash from
// l1HashStart to l1HashEnd (docs/PROTOCOL.md, "L1 operations", "L2 transfer" and "Batch").
//
// Parameters
//   D   tree depth (4^D accounts), 1 ≤ D ≤ 16; idxBytes = ceil(2D/8), txBytes = 2·idxBytes + 6
//   N   transaction slots
//   L   L1-operation slots, 0 ≤ L ≤ 255 (l1Count is one byte)
//   F   fee slots
//
// Signals
//   inputHash              output  field (public)  sha256 of the batch data (7.) mod r
//   oldRoot, newRoot       input   field           state roots before / after the batch
//   chainId                input   64 bits
//   rollupAddress          input   160 bits
//   l1HashStart            input   field           queue hash before the first consumed operation
//   l1Count                input   ≤ L             operations consumed: slot j is enabled iff j < l1Count
//   l1Kind[L] … l1Ay[L]    input   see L1Op        per L1 slot, the queued operation (kind,
//                                  accountIdx, tokenId, amount, owner, ax, ay); all 0 when disabled
//   l1LeafAx[L] … l1LeafNonce[L], l1LeafSiblings[L][D][3]   the leaf at l1AccountIdx before the
//                                  operation and its proof against the root before the slot
//                                  (all 0 for CREATE and disabled slots)
//   feeIdx[F]              input   2D bits         fee account indexes, 0 = unused slot
//   from[N], to[N]         input   2D bits         per tx slot, see Transfer; from = 0: padding,
//                                                  to = 0: exit
//   amountF[N]             input   40 bits         float40
//   feeF[N]                input   8 bits          float8
//   sigS[N]                input   253 bits        EdDSA signature (S, R8)
//   sigR8x[N], sigR8y[N]   input   field
//   senderAx[N] … senderNonce[N], senderSiblings[N][D][3]        sender leaf before tx i and
//                                  its proof against the root before tx i
//   receiverAx[N] … receiverNonce[N], receiverSiblings[N][D][3]  receiver leaf after the
//                                  sender's update and its proof against that root (all 0 for an
//                                  exit or padding)
//   feeAx[F] … feeNonce[F], feeSiblings[F][D][3]   fee account leaf before its credit and its
//                                  proof against the root after all txs and earlier credits
//   (leaf widths: Ax, Ay field, Owner 160, Token 32, Balance 128, Nonce 32 bits)
//
// Checks
//   1. domain = Poseidon(chainId, rollupAddress), shared by every signature.
//   2. Fee slots: feeIdx < 4^D; feeEnabled = (feeIdx ≠ 0); enabled slots hold distinct tokens.
//   3. L1 slots in order, each an L1Op from the previous root and queue hash; the enabled slots
//      come first (enabled[j] ≤ enabled[j−1]) and number l1Count, so l1Count ≤ L and slot j is
//      enabled iff j < l1Count. l1HashEnd = the queue hash after the last slot.
//   4. Transaction slots in order, each a Transfer from the previous root.
//   5. Each enabled fee slot in order is credited the fees of its token (FeeCredit).
//   6. The final root equals newRoot.
//   7. inputHash = sha256(oldRoot 32 B ‖ newRoot 32 B ‖ chainId 8 B ‖ rollupAddress 20 B ‖
//      l1HashEnd 32 B ‖ l1Count 1 B ‖ feeIdx idxBytes each ‖ L·16 B of L1 results (uint128) ‖
//      N·txBytes of transactions) mod r, bits msb first.
//
// Why the L1 operations are exactly the queued ones. The contract keeps h_i, the chain hash after
// its i-th queued operation, and builds the preimage from h_{p+k}, p = operations processed
// before this batch and k = l1Count from the calldata: both values the circuit hashes in 7.
// The circuit proves h_{p+k} = C(l1HashStart; op_1 … op_k), C taking exactly k Poseidon steps
// (3.: the first k slots, k bound by the l1Count byte). The contract's h_{p+k} is
// C(h_p; queued_{p+1} … queued_{p+k}). Compare the two chains from the last step back: each step
// is Poseidon(prev, e1, owner, ax, ay) over the same arity, so equal outputs mean equal inputs or
// a Poseidon collision. Without collisions, induction gives l1HashStart = h_p and, for every
// slot, equal (e1, owner, ax, ay); e1 fixes (kind, accountIdx, tokenId, amount) by L1Op's range
// checks. So the batch applies the k oldest unprocessed operations, in order, nothing else, and
// its l1Results are theirs; l1HashStart need not be public. (Binding k matters: a shorter chain
// ending at h_{p+k} would start at h_{p+k−k'} and skip operations.)
//
// Padding: disabled L1 slots (j ≥ l1Count), padding tx slots (from = 0) and unused fee slots
// (feeIdx = 0) take every input 0; no special values are needed (circomlib's EdDSA verifier
// computes with all zeros when disabled). L1Op forces a disabled slot's operation fields to 0,
// Transfer forces to, amountF and feeF to 0 when from = 0; such slots change no root and no hash,
// hash as zero bytes (a disabled L1 slot's result is 0) and their witness-only inputs (leaves,
// proofs, signature) only meet checks not gated by the slot's flag, which zeros satisfy.
//
// Constraints: Batch(4, 2, 2, 1) 125,010, Batch(12, 1, 1, 1) 129,161 (a 2^17 ptau fits up to
// 131,070); sha256 is ~90k of either (3 blocks: the preimage is 125 + F·idxBytes + 16·L +
// N·txBytes bytes, 174 and 156 here, and 3 blocks hold up to 183).
//
// Caveats
//   - oldRoot and l1HashEnd are decomposed with Num2Bits(254), which has a second solution x + r
//     when that is < 2^254. Harmless: the contract hashes its stored oldRoot and queue hash,
//     canonical because they were a newRoot / computed on chain; aliased bits give another digest
//     and no proof.
//   - newRoot uses Num2Bits_strict: the contract stores the posted newRoot, and an alias
//     newRoot + r would pass every check of this circuit while no Merkle proof (escape mode)
//     could ever match the stored value.
template Batch(D, N, L, F) {
    assert(D >= 1 && D <= 16);
    assert(N >= 1 && F >= 1 && L >= 0 && L <= 255);
    var idxBits = 8 * ((2 * D + 7) \ 8);
    var txBits = 2 * idxBits + 48;

    signal output inputHash;
    signal input oldRoot, newRoot, chainId, rollupAddress;
    signal input l1HashStart, l1Count;
    signal input l1Kind[L], l1AccountIdx[L], l1Token[L], l1Amount[L], l1Owner[L], l1Ax[L], l1Ay[L];
    signal input l1LeafAx[L], l1LeafAy[L], l1LeafOwner[L], l1LeafToken[L], l1LeafBalance[L], l1LeafNonce[L];
    signal input l1LeafSiblings[L][D][3];
    signal input feeIdx[F];
    signal input from[N], to[N], amountF[N], feeF[N];
    signal input sigS[N], sigR8x[N], sigR8y[N];
    signal input senderAx[N], senderAy[N], senderOwner[N], senderToken[N], senderBalance[N], senderNonce[N];
    signal input senderSiblings[N][D][3];
    signal input receiverAx[N], receiverAy[N], receiverOwner[N], receiverToken[N], receiverBalance[N], receiverNonce[N];
    signal input receiverSiblings[N][D][3];
    signal input feeAx[F], feeAy[F], feeOwner[F], feeToken[F], feeBalance[F], feeNonce[F];
    signal input feeSiblings[F][D][3];

    // 1.
    signal domain <== Poseidon(2)([chainId, rollupAddress]);

    // 2. feeEnabled as in Transfer's `enabled`.
    signal feeIdxBits[F][2 * D];
    signal feeIdxInv[F], feeEnabled[F];
    for (var j = 0; j < F; j++) {
        feeIdxBits[j] <== Num2Bits(2 * D)(feeIdx[j]);
        feeIdxInv[j] <-- feeIdx[j] != 0 ? 1 / feeIdx[j] : 0;
        feeEnabled[j] <== feeIdx[j] * feeIdxInv[j];
        feeIdx[j] * (1 - feeEnabled[j]) === 0;
    }
    signal bothEnabled[F][F], sameToken[F][F];
    for (var j = 0; j < F; j++) {
        for (var k = j + 1; k < F; k++) {
            bothEnabled[j][k] <== feeEnabled[j] * feeEnabled[k];
            sameToken[j][k] <== IsEqual()([feeToken[j], feeToken[k]]);
            bothEnabled[j][k] * sameToken[j][k] === 0;
        }
    }

    // 3.
    component l1[L];
    signal root[L + N + F + 1];
    signal l1Hash[L + 1];
    root[0] <== oldRoot;
    l1Hash[0] <== l1HashStart;
    var enabledCount = 0;
    for (var j = 0; j < L; j++) {
        l1[j] = L1Op(D);
        l1[j].rootIn <== root[j];
        l1[j].hashIn <== l1Hash[j];
        l1[j].kind <== l1Kind[j];
        l1[j].accountIdx <== l1AccountIdx[j];
        l1[j].tokenId <== l1Token[j];
        l1[j].amount <== l1Amount[j];
        l1[j].owner <== l1Owner[j];
        l1[j].ax <== l1Ax[j];
        l1[j].ay <== l1Ay[j];
        l1[j].leafAx <== l1LeafAx[j];
        l1[j].leafAy <== l1LeafAy[j];
        l1[j].leafOwner <== l1LeafOwner[j];
        l1[j].leafToken <== l1LeafToken[j];
        l1[j].leafBalance <== l1LeafBalance[j];
        l1[j].leafNonce <== l1LeafNonce[j];
        l1[j].siblings <== l1LeafSiblings[j];
        root[j + 1] <== l1[j].rootOut;
        l1Hash[j + 1] <== l1[j].hashOut;
        if (j > 0) l1[j].enabled * (1 - l1[j - 1].enabled) === 0;
        enabledCount += l1[j].enabled;
    }
    l1Count === enabledCount;

    // 4.
    component tx[N];
    for (var i = 0; i < N; i++) {
        tx[i] = Transfer(D, F);
        tx[i].rootIn <== root[L + i];
        tx[i].domain <== domain;
        tx[i].feeEnabled <== feeEnabled;
        tx[i].feeToken <== feeToken;
        tx[i].from <== from[i];
        tx[i].to <== to[i];
        tx[i].amountF <== amountF[i];
        tx[i].feeF <== feeF[i];
        tx[i].sigS <== sigS[i];
        tx[i].sigR8x <== sigR8x[i];
        tx[i].sigR8y <== sigR8y[i];
        tx[i].senderAx <== senderAx[i];
        tx[i].senderAy <== senderAy[i];
        tx[i].senderOwner <== senderOwner[i];
        tx[i].senderToken <== senderToken[i];
        tx[i].senderBalance <== senderBalance[i];
        tx[i].senderNonce <== senderNonce[i];
        tx[i].senderSiblings <== senderSiblings[i];
        tx[i].receiverAx <== receiverAx[i];
        tx[i].receiverAy <== receiverAy[i];
        tx[i].receiverOwner <== receiverOwner[i];
        tx[i].receiverToken <== receiverToken[i];
        tx[i].receiverBalance <== receiverBalance[i];
        tx[i].receiverNonce <== receiverNonce[i];
        tx[i].receiverSiblings <== receiverSiblings[i];
        root[L + i + 1] <== tx[i].rootOut;
    }

    // 5.
    component fee[F];
    for (var j = 0; j < F; j++) {
        var acc = 0;
        for (var i = 0; i < N; i++) acc += tx[i].feeAdd[j];
        fee[j] = FeeCredit(D);
        fee[j].enabled <== feeEnabled[j];
        fee[j].idxBits <== feeIdxBits[j];
        fee[j].acc <== acc;
        fee[j].ax <== feeAx[j];
        fee[j].ay <== feeAy[j];
        fee[j].owner <== feeOwner[j];
        fee[j].tokenId <== feeToken[j];
        fee[j].balance <== feeBalance[j];
        fee[j].nonce <== feeNonce[j];
        fee[j].siblings <== feeSiblings[j];
        fee[j].rootIn <== root[L + N + j];
        root[L + N + j + 1] <== fee[j].rootOut;
    }

    // 6.
    root[L + N + F] === newRoot;

    // 7.
    var nBits = 8 * (32 + 32 + 8 + 20 + 32 + 1) + F * idxBits + L * 128 + N * txBits;
    component sha = Sha256(nBits);
    signal oldRootBits[254] <== Num2Bits(254)(oldRoot);
    signal newRootBits[254] <== Num2Bits_strict()(newRoot);
    signal chainIdBits[64] <== Num2Bits(64)(chainId);
    signal rollupBits[160] <== Num2Bits(160)(rollupAddress);
    signal l1HashBits[254] <== Num2Bits(254)(l1Hash[L]);
    signal l1CountBits[8] <== Num2Bits(8)(l1Count);
    var p = 0;
    for (var k = 0; k < 256; k++) sha.in[p + k] <== k < 2 ? 0 : oldRootBits[255 - k];
    p += 256;
    for (var k = 0; k < 256; k++) sha.in[p + k] <== k < 2 ? 0 : newRootBits[255 - k];
    p += 256;
    for (var k = 0; k < 64; k++) sha.in[p + k] <== chainIdBits[63 - k];
    p += 64;
    for (var k = 0; k < 160; k++) sha.in[p + k] <== rollupBits[159 - k];
    p += 160;
    for (var k = 0; k < 256; k++) sha.in[p + k] <== k < 2 ? 0 : l1HashBits[255 - k];
    p += 256;
    for (var k = 0; k < 8; k++) sha.in[p + k] <== l1CountBits[7 - k];
    p += 8;
    for (var j = 0; j < F; j++) {
        for (var k = 0; k < idxBits; k++) {
            var bit = idxBits - 1 - k;
            sha.in[p + k] <== bit < 2 * D ? feeIdxBits[j][bit] : 0;
        }
        p += idxBits;
    }
    for (var j = 0; j < L; j++) {
        for (var k = 0; k < 128; k++) sha.in[p + k] <== l1[j].resultBits[k];
        p += 128;
    }
    for (var i = 0; i < N; i++) {
        for (var k = 0; k < txBits; k++) sha.in[p + k] <== tx[i].txBits[k];
        p += txBits;
    }
    assert(p == nBits);

    // sha.out is msb first; the field sum is the digest mod r.
    var digest = 0;
    var pow2 = 1;
    for (var k = 255; k >= 0; k--) {
        digest += sha.out[k] * pow2;
        pow2 = pow2 * 2;
    }
    inputHash <== digest;
}
