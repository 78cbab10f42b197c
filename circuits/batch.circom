pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "sha256/sha256.circom";
include "transfer.circom";
include "fee_credit.circom";

// Batch(D, N, F): a batch of N transaction slots and F fee slots takes the account tree from
// oldRoot to newRoot (docs/PROTOCOL.md, "L2 transfer" and "Batch").
//
// Parameters
//   D   tree depth (4^D accounts), 1 ≤ D ≤ 16; idxBytes = ceil(2D/8), txBytes = 2·idxBytes + 6
//   N   transaction slots
//   F   fee slots
//
// Signals
//   inputHash              output  field (public)  sha256 of the batch data (6.) mod r
//   oldRoot, newRoot       input   field           state roots before / after the batch
//   chainId                input   64 bits
//   rollupAddress          input   160 bits
//   batchNumber            input   32 bits
//   feeIdx[F]              input   2D bits         fee account indexes, 0 = unused slot
//   from[N], to[N]         input   2D bits         per tx slot, see Transfer; from = 0: padding
//   amountF[N]             input   40 bits         float40
//   feeF[N]                input   8 bits          float8
//   sigS[N]                input   253 bits        EdDSA signature (S, R8)
//   sigR8x[N], sigR8y[N]   input   field
//   senderAx[N] … senderNonce[N], senderSiblings[N][D][3]        sender leaf before tx i and
//                                  its proof against the root before tx i
//   receiverAx[N] … receiverNonce[N], receiverSiblings[N][D][3]  receiver leaf after the
//                                  sender's update and its proof against that root
//   feeAx[F] … feeNonce[F], feeSiblings[F][D][3]   fee account leaf before its credit and its
//                                  proof against the root after all txs and earlier credits
//   (leaf widths: Ax, Ay field, Owner 160, Token 32, Balance 128, Nonce 32 bits)
//
// Checks
//   1. domain = Poseidon(chainId, rollupAddress), shared by every signature.
//   2. Fee slots: feeIdx < 4^D; feeEnabled = (feeIdx ≠ 0); enabled slots hold distinct tokens.
//   3. Transaction slots in order, each a Transfer from the previous root.
//   4. Each enabled fee slot in order is credited the fees of its token (FeeCredit).
//   5. The final root equals newRoot.
//   6. inputHash = sha256(oldRoot 32 B ‖ newRoot 32 B ‖ chainId 8 B ‖ rollupAddress 20 B ‖
//      batchNumber 4 B ‖ feeIdx idxBytes each ‖ N·txBytes of transactions) mod r, bits msb first.
//
// Padding: a padding tx slot (from = 0) and an unused fee slot (feeIdx = 0) take every input 0;
// no special values are needed (circomlib's EdDSA verifier computes with all zeros when
// disabled). Transfer forces to, amountF and feeF to 0 when from = 0, so padding slots hash as
// zero bytes and change no root. Their other inputs only meet the checks not gated by the slot's
// flag (equal tokens, balance and nonce ranges), which zeros do.
//
// Constraints: Batch(4, 2, 1) 86,699, Batch(12, 1, 1) 90,134; sha256 is ~60k of either.
//
// Caveats
//   - oldRoot is decomposed with Num2Bits(254), which has a second solution oldRoot + r when
//     that is < 2^254. Harmless: the contract hashes its stored oldRoot, canonical because it was
//     a newRoot; aliased bits give another digest and no proof.
//   - newRoot uses Num2Bits_strict: the contract stores the posted newRoot, and an alias
//     newRoot + r would pass every check of this circuit while no Merkle proof (escape mode)
//     could ever match the stored value.
template Batch(D, N, F) {
    assert(D >= 1 && D <= 16);
    assert(N >= 1 && F >= 1);
    var idxBits = 8 * ((2 * D + 7) \ 8);
    var txBits = 2 * idxBits + 48;

    signal output inputHash;
    signal input oldRoot, newRoot, chainId, rollupAddress, batchNumber;
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
    component tx[N];
    signal root[N + F + 1];
    root[0] <== oldRoot;
    for (var i = 0; i < N; i++) {
        tx[i] = Transfer(D, F);
        tx[i].rootIn <== root[i];
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
        root[i + 1] <== tx[i].rootOut;
    }

    // 4.
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
        fee[j].rootIn <== root[N + j];
        root[N + j + 1] <== fee[j].rootOut;
    }

    // 5.
    root[N + F] === newRoot;

    // 6.
    var nBits = 8 * (32 + 32 + 8 + 20 + 4) + F * idxBits + N * txBits;
    component sha = Sha256(nBits);
    signal oldRootBits[254] <== Num2Bits(254)(oldRoot);
    signal newRootBits[254] <== Num2Bits_strict()(newRoot);
    signal chainIdBits[64] <== Num2Bits(64)(chainId);
    signal rollupBits[160] <== Num2Bits(160)(rollupAddress);
    signal batchBits[32] <== Num2Bits(32)(batchNumber);
    var p = 0;
    for (var k = 0; k < 256; k++) sha.in[p + k] <== k < 2 ? 0 : oldRootBits[255 - k];
    p += 256;
    for (var k = 0; k < 256; k++) sha.in[p + k] <== k < 2 ? 0 : newRootBits[255 - k];
    p += 256;
    for (var k = 0; k < 64; k++) sha.in[p + k] <== chainIdBits[63 - k];
    p += 64;
    for (var k = 0; k < 160; k++) sha.in[p + k] <== rollupBits[159 - k];
    p += 160;
    for (var k = 0; k < 32; k++) sha.in[p + k] <== batchBits[31 - k];
    p += 32;
    for (var j = 0; j < F; j++) {
        for (var k = 0; k < idxBits; k++) {
            var bit = idxBits - 1 - k;
            sha.in[p + k] <== bit < 2 * D ? feeIdxBits[j][bit] : 0;
        }
        p += idxBits;
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
