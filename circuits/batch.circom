pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "public_inputs.circom";
include "transfer.circom";
include "fee_credit.circom";
include "l1_op.circom";

// Batch(D, N, L, F): a batch of L L1-operation slots, N transaction slots and F fee slots, in
// that order, takes the account tree from oldRoot to newRoot and the L1 queue hash from
// l1HashStart to l1HashEnd (docs/PROTOCOL.md, "L1 operations", "L2 transfer" and "Batch").
//
// The batch logic is written once, split at the transaction slots: BatchHead(D, L, F) (checks
// 1-3, before the transactions), N Transfer(D, F) (4.) and BatchTail(D, N, L, F) (4.'s slot
// order, 5-7, after them). Batch wires the three together; BatchShell (batch_shell.circom)
// wires the same head and tail to link inputs instead of Transfers, for the linked form of a
// batch too large to compile whole (src/proving/link.ts). (One component holding head and tail
// cannot serve both: circom runs a component only once all its inputs are set, and the
// transfers need its outputs domain, feeEnabled and the root after the L1 slots before they
// can give it theirs.)
//
// Parameters
//   D   tree depth (4^D accounts), 1 ≤ D ≤ 16; idxBytes = ceil(2D/8), txBytes = 2·idxBytes + 6
//   N   transaction slots
//   L   L1-operation slots, 0 ≤ L ≤ 255 (l1Count is one byte)
//   F   fee slots
//
// Soundness table (input, range assumed, where it is enforced)
//   challenge              field (public)  none needed: the contract computes it (7.)
//   oldRoot, newRoot       field           6. and 7.: both are data coefficients; the contract
//                                          takes oldRoot from storage, newRoot < r from calldata
//   chainId                64 bits         7. BatchTail, Num2Bits(64)
//   rollupAddress          160 bits        7. BatchTail, Num2Bits(160)
//   l1HashStart            field           unchecked by design: fixed by the chain argument below
//   l1Count                ≤ L < 2^8       3. BatchHead: l1Count === the number of enabled L1 slots
//   l1Kind[L] … l1Ay[L]    see L1Op        BatchHead's L1Op (kind, accountIdx, tokenId, amount
//                                          range-checked; owner, ax, ay bound by the queue hash
//                                          chain)
//   l1Leaf*[L], l1LeafSiblings[L][S]       BatchHead's L1Op (its AccountUpdate range-checks the
//                                          leaf fields)
//   l1To*, l1ToSiblings[S] see L1Op        BatchHead's slot 0, L1Op(D, 1): the receiver's leaf of
//                                          a forced transfer there (its AccountUpdate range-checks
//                                          the fields); unused if L = 0
//   feeIdx[F]              2D bits         2. BatchHead, Num2Bits(2D)
//   feeToken[F]            < 2^32          BatchTail's FeeCredit's AccountUpdate (the fee
//                                          account's leaf token); when the slot is unused
//                                          (feeIdx = 0) it is unchecked by design: every use is
//                                          gated by feeEnabled
//   from[N] … feeF[N], sigS[N] … sigR8y[N] Transfer (indexes Num2Bits(2D), floats their
//                                          decoders, S Num2Bits(253), R8 on the curve)
//   sender*[N], receiver*[N], their siblings           Transfer (AccountUpdate)
//   feeAx[F] … feeNonce[F], feeSiblings[F][S]          BatchTail's FeeCredit (AccountUpdate)
//   (leaf widths: Ax, Ay field, Token 32, Balance 128, Nonce 32 bits; S = merkleSiblings(D),
//   the proof length, circuits/merkle_update.circom)
//   evaluation             output (public)  y = PublicInputs(m) of the data (7.)
//
// Checks (1-3 in BatchHead, 4. here and its slot order in BatchTail, 5-7 in BatchTail)
//   1. domain = Poseidon(chainId, rollupAddress), shared by every signature.
//   2. Fee slots: feeIdx < 4^D; feeEnabled = (feeIdx ≠ 0); enabled slots hold distinct tokens.
//   3. L1 slots in order, each an L1Op from the previous root and queue hash; the enabled slots
//      come first (enabled[j] ≤ enabled[j−1]) and number l1Count, so l1Count ≤ L and slot j is
//      enabled iff j < l1Count. l1HashEnd = the queue hash after the last slot. Slot 0 is an
//      L1Op(D, 1), the others L1Op(D, 0): a forced transfer (kind 4) is always the first L1
//      operation of its batch, and the contract lets a batch stop before one (L1Queue).
//   4. Transaction slots in order, each a Transfer from the previous root; the enabled (real)
//      slots come first (enabled[i] ≤ enabled[i−1]), so the posted transactions are exactly
//      the enabled slots and padding is only at the end (the contract requires the last posted
//      transaction to be a real one: one encoding of txData per batch).
//   5. Each enabled fee slot in order is credited the fees of its token (FeeCredit).
//   6. The final root equals newRoot.
//   7. The batch data as m = 5 + L + ceil(N / k) field elements, k = floor(31 / txBytes)
//      transactions per element: oldRoot, newRoot, chainId·2^160 + rollupAddress, l1HashEnd,
//      l1Count·2^(F·idxBits) + feeIdx[0..F) (idxBits each, big-endian), the L results, the N
//      transaction words in groups of k (big-endian); evaluation = PublicInputs(m) of them at
//      the challenge.
//
// Packed values (data coefficients) and why each decomposition is unique
//   - chainId·2^160 + rollupAddress: chainId < 2^64, rollupAddress < 2^160 (7.): < 2^224 < r.
//   - l1Count·2^(F·idxBits) + Σ feeIdx[j]·2^((F−1−j)·idxBits): l1Count ≤ L ≤ 255 < 2^8 (3.),
//     feeIdx[j] < 2^(2D) ≤ 2^idxBits (2.): < 2^(8 + F·idxBits) ≤ 2^248 < r (asserted in BatchTail).
//   - L1 results: each < 2^128 (L1Op 7.), one coefficient each; the contract reads 16 bytes.
//   - Transaction groups: Σ txWord_s·2^(txBits·(k−1−s)) with every txWord < 2^txBits (Transfer):
//     < 2^(k·txBits) ≤ 2^248 < r. Padding slots are 0 and, by 4., only after the real ones.
//   - Every coefficient is then the canonical integer the contract builds from its calldata.
//
// Why the L1 operations are exactly the queued ones. The contract keeps h_i, the chain hash after
// its i-th queued operation, and takes h_{p+k} as the data's l1HashEnd, p = operations processed
// before this batch and k = l1Count from the calldata: both values bound by 7.
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
// (feeIdx = 0) take every input 0; no special values are needed (the signature verifier
// computes with all zeros when disabled). L1Op forces a disabled slot's operation fields to 0,
// Transfer forces to, amountF and feeF to 0 when from = 0; such slots change no root and no hash,
// count as zero data (a disabled L1 slot's result is 0) and their witness-only inputs (leaves,
// proofs, signature) only meet checks not gated by the slot's flag, which zeros satisfy.
//
// Constraints: see the table in README.md (bin/bench prints it per component).
template Batch(D, N, L, F) {
    assert(N >= 1);
    signal output evaluation;
    signal input challenge;
    signal input oldRoot, newRoot, chainId, rollupAddress;
    signal input l1HashStart, l1Count;
    signal input l1Kind[L], l1AccountIdx[L], l1Token[L], l1Amount[L], l1Owner[L], l1Ax[L], l1Ay[L];
    signal input l1LeafAx[L], l1LeafAy[L], l1LeafToken[L], l1LeafBalance[L], l1LeafNonce[L];
    signal input l1LeafSiblings[L][merkleSiblings(D)];
    signal input l1ToAx, l1ToAy, l1ToToken, l1ToBalance, l1ToNonce;
    signal input l1ToSiblings[merkleSiblings(D)];
    signal input feeIdx[F];
    signal input from[N], to[N], amountF[N], feeF[N];
    signal input sigS[N], sigR8x[N], sigR8y[N];
    signal input senderAx[N], senderAy[N], senderToken[N], senderBalance[N], senderNonce[N];
    signal input senderSiblings[N][merkleSiblings(D)];
    signal input receiverAx[N], receiverAy[N], receiverToken[N], receiverBalance[N], receiverNonce[N];
    signal input receiverSiblings[N][merkleSiblings(D)];
    signal input feeAx[F], feeAy[F], feeToken[F], feeBalance[F], feeNonce[F];
    signal input feeSiblings[F][merkleSiblings(D)];

    // 1.-3.
    component head = BatchHead(D, L, F);
    head.oldRoot <== oldRoot;
    head.chainId <== chainId;
    head.rollupAddress <== rollupAddress;
    head.l1HashStart <== l1HashStart;
    head.l1Count <== l1Count;
    head.l1Kind <== l1Kind;
    head.l1AccountIdx <== l1AccountIdx;
    head.l1Token <== l1Token;
    head.l1Amount <== l1Amount;
    head.l1Owner <== l1Owner;
    head.l1Ax <== l1Ax;
    head.l1Ay <== l1Ay;
    head.l1LeafAx <== l1LeafAx;
    head.l1LeafAy <== l1LeafAy;
    head.l1LeafToken <== l1LeafToken;
    head.l1LeafBalance <== l1LeafBalance;
    head.l1LeafNonce <== l1LeafNonce;
    head.l1LeafSiblings <== l1LeafSiblings;
    head.l1ToAx <== l1ToAx;
    head.l1ToAy <== l1ToAy;
    head.l1ToToken <== l1ToToken;
    head.l1ToBalance <== l1ToBalance;
    head.l1ToNonce <== l1ToNonce;
    head.l1ToSiblings <== l1ToSiblings;
    head.feeIdx <== feeIdx;
    head.feeToken <== feeToken;

    // 4. Each transaction slot from the previous slot's root (the first from the head's).
    component tx[N];
    for (var i = 0; i < N; i++) {
        tx[i] = Transfer(D, F);
        if (i == 0) {
            tx[i].rootIn <== head.rootOut;
        } else {
            tx[i].rootIn <== tx[i - 1].rootOut;
        }
        tx[i].domain <== head.domain;
        tx[i].feeEnabled <== head.feeEnabled;
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
        tx[i].senderToken <== senderToken[i];
        tx[i].senderBalance <== senderBalance[i];
        tx[i].senderNonce <== senderNonce[i];
        tx[i].senderSiblings <== senderSiblings[i];
        tx[i].receiverAx <== receiverAx[i];
        tx[i].receiverAy <== receiverAy[i];
        tx[i].receiverToken <== receiverToken[i];
        tx[i].receiverBalance <== receiverBalance[i];
        tx[i].receiverNonce <== receiverNonce[i];
        tx[i].receiverSiblings <== receiverSiblings[i];
    }

    // 4. (slot order), 5.-7.
    component tail = BatchTail(D, N, L, F);
    tail.challenge <== challenge;
    tail.oldRoot <== oldRoot;
    tail.newRoot <== newRoot;
    tail.chainId <== chainId;
    tail.rollupAddress <== rollupAddress;
    tail.l1Count <== l1Count;
    tail.feeIdx <== feeIdx;
    tail.feeIdxBits <== head.feeIdxBits;
    tail.feeEnabled <== head.feeEnabled;
    tail.l1HashEnd <== head.l1HashEnd;
    tail.l1Result <== head.l1Result;
    tail.rootIn <== tx[N - 1].rootOut;
    for (var i = 0; i < N; i++) {
        tail.txEnabled[i] <== tx[i].enabled;
        tail.txFeeAdd[i] <== tx[i].feeAdd;
        tail.txWord[i] <== tx[i].txWord;
    }
    tail.feeAx <== feeAx;
    tail.feeAy <== feeAy;
    tail.feeToken <== feeToken;
    tail.feeBalance <== feeBalance;
    tail.feeNonce <== feeNonce;
    tail.feeSiblings <== feeSiblings;
    evaluation <== tail.evaluation;
}

// BatchHead(D, L, F): the part of Batch(D, N, L, F) before its transaction slots, checks 1-3
// (see Batch): the signature domain, the fee slots and the L1-operation slots. Batch and
// BatchShell (batch_shell.circom) instantiate it.
//
// Soundness table (input, range assumed, where it is enforced)
//   oldRoot                field           none needed here: a data coefficient (BatchTail 7.)
//   chainId                64 bits         BatchTail 7., Num2Bits(64) (every caller passes the
//                                          same chainId to its BatchTail)
//   rollupAddress          160 bits        BatchTail 7., Num2Bits(160) (likewise)
//   l1HashStart            field           unchecked by design (Batch: the chain argument)
//   l1Count                ≤ L < 2^8       3. here: l1Count === the number of enabled L1 slots
//   l1Kind[L] … l1Ay[L]    see L1Op        L1Op (kind, accountIdx, tokenId, amount range-checked;
//                                          owner, ax, ay bound by the queue hash chain)
//   l1Leaf*[L], l1LeafSiblings[L][S]       L1Op (its AccountUpdate range-checks the leaf fields)
//   l1To*, l1ToSiblings[S] see L1Op        slot 0's L1Op(D, 1) (the receiver's AccountUpdate);
//                                          unused if L = 0
//   feeIdx[F]              2D bits         2. here, Num2Bits(2D)
//   feeToken[F]            < 2^32          BatchTail's FeeCredit's AccountUpdate (the caller
//                                          passes the same feeToken to both); unused slot:
//                                          unchecked by design, every use is gated by feeEnabled
//
// Outputs
//   domain                 field           Poseidon(chainId, rollupAddress) (1.)
//   feeEnabled[F]          1 bit           feeIdx[j] ≠ 0 (2.)
//   feeIdxBits[F][2D]      1 bit each      feeIdx[j]'s bits, least significant first (2.)
//   rootOut                field           the root after the L L1 slots (oldRoot if L = 0)
//   l1HashEnd              field           the queue hash after the last L1 slot (3.)
//   l1Result[L]            < 2^128         each L1 slot's result (L1Op 7.)
template BatchHead(D, L, F) {
    assert(D >= 1 && D <= 16);
    assert(F >= 1 && L >= 0 && L <= 255);

    signal input oldRoot, chainId, rollupAddress;
    signal input l1HashStart, l1Count;
    signal input l1Kind[L], l1AccountIdx[L], l1Token[L], l1Amount[L], l1Owner[L], l1Ax[L], l1Ay[L];
    signal input l1LeafAx[L], l1LeafAy[L], l1LeafToken[L], l1LeafBalance[L], l1LeafNonce[L];
    signal input l1LeafSiblings[L][merkleSiblings(D)];
    signal input l1ToAx, l1ToAy, l1ToToken, l1ToBalance, l1ToNonce;
    signal input l1ToSiblings[merkleSiblings(D)];
    signal input feeIdx[F], feeToken[F];
    signal output domain;
    signal output feeEnabled[F], feeIdxBits[F][2 * D];
    signal output rootOut, l1HashEnd, l1Result[L];

    // 1.
    domain <== Poseidon(2)([chainId, rollupAddress]);

    // 2. feeEnabled as in Transfer's `enabled`.
    signal feeIdxInv[F];
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
    signal root[L + 1];
    signal l1Hash[L + 1];
    root[0] <== oldRoot;
    l1Hash[0] <== l1HashStart;
    var enabledCount = 0;
    for (var j = 0; j < L; j++) {
        // Slot 0 alone can hold a forced transfer (its receiver's leaf is l1To*).
        l1[j] = L1Op(D, j == 0 ? 1 : 0);
        l1[j].toAx <== j == 0 ? l1ToAx : 0;
        l1[j].toAy <== j == 0 ? l1ToAy : 0;
        l1[j].toToken <== j == 0 ? l1ToToken : 0;
        l1[j].toBalance <== j == 0 ? l1ToBalance : 0;
        l1[j].toNonce <== j == 0 ? l1ToNonce : 0;
        for (var k = 0; k < merkleSiblings(D); k++) l1[j].toSiblings[k] <== j == 0 ? l1ToSiblings[k] : 0;
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
        l1[j].leafToken <== l1LeafToken[j];
        l1[j].leafBalance <== l1LeafBalance[j];
        l1[j].leafNonce <== l1LeafNonce[j];
        l1[j].siblings <== l1LeafSiblings[j];
        root[j + 1] <== l1[j].rootOut;
        l1Hash[j + 1] <== l1[j].hashOut;
        l1Result[j] <== l1[j].result;
        if (j > 0) l1[j].enabled * (1 - l1[j - 1].enabled) === 0;
        enabledCount += l1[j].enabled;
    }
    l1Count === enabledCount;
    rootOut <== root[L];
    l1HashEnd <== l1Hash[L];
}

// BatchTail(D, N, L, F): the part of Batch(D, N, L, F) after its transaction slots: the slot
// order of 4., then checks 5-7 (see Batch): the fee credits, the final root, the batch data and
// its evaluation. Batch and BatchShell (batch_shell.circom) instantiate it.
//
// Soundness table (input, range assumed, where it is enforced)
//   challenge              field           none needed: the contract computes it (7.)
//   oldRoot, newRoot       field           7.: both are data coefficients (Batch's table)
//   chainId                64 bits         7. here, Num2Bits(64)
//   rollupAddress          160 bits        7. here, Num2Bits(160)
//   l1Count                ≤ L < 2^8       BatchHead 3. (the caller passes it the same l1Count)
//   feeIdx[F]              2D bits         BatchHead 2., Num2Bits(2D) (likewise)
//   feeIdxBits[F][2D]      1 bit each      BatchHead 2.: feeIdx[j]'s bits (its output)
//   feeEnabled[F]          1 bit           BatchHead 2. (its output)
//   l1HashEnd              field           BatchHead 3. (its output; Batch: the chain argument)
//   l1Result[L]            < 2^128         BatchHead's L1Op 7. (its output)
//   rootIn                 field           none needed: the root after the last transaction
//                                          slot (the caller chains it from BatchHead's rootOut
//                                          through every Transfer)
//   txEnabled[N]           1 bit           Transfer 1. (its output enabled)
//   txFeeAdd[N][F]         < 2^54          Transfer 7. (its output feeAdd; float8 fee)
//   txWord[N]              < 2^txBits      Transfer (its output txWord, txPacked)
//   feeAx[F] … feeNonce[F], feeSiblings[F][S]          FeeCredit (AccountUpdate)
//   feeToken[F]            < 2^32          FeeCredit's AccountUpdate; unused slot: unchecked by
//                                          design (the update is disabled, acc is 0)
//   In Batch these are the head's and the transfers' outputs; in the linked form (BatchShell)
//   they are link inputs that the linker identifies with the same outputs of the head and of
//   the Transfer copies (src/proving/link.ts), so every range above holds there too.
//
// Outputs
//   evaluation             field           y = PublicInputs(m) of the data (7.)
template BatchTail(D, N, L, F) {
    assert(D >= 1 && D <= 16);
    assert(N >= 1 && F >= 1 && L >= 0 && L <= 255);
    var idxBits = 8 * ((2 * D + 7) \ 8);
    var txBits = 2 * idxBits + 48;
    var perCoef = 31 \ (txBits \ 8);
    var txCoefs = (N + perCoef - 1) \ perCoef;
    var m = 5 + L + txCoefs;
    assert(8 + F * idxBits <= 248);

    signal input challenge;
    signal input oldRoot, newRoot, chainId, rollupAddress;
    signal input l1Count, feeIdx[F], feeIdxBits[F][2 * D], feeEnabled[F];
    signal input l1HashEnd, l1Result[L];
    signal input rootIn;
    signal input txEnabled[N], txFeeAdd[N][F], txWord[N];
    signal input feeAx[F], feeAy[F], feeToken[F], feeBalance[F], feeNonce[F];
    signal input feeSiblings[F][merkleSiblings(D)];
    signal output evaluation;

    // 4. (the enabled transaction slots come first)
    for (var i = 1; i < N; i++) txEnabled[i] * (1 - txEnabled[i - 1]) === 0;

    // 5.
    component fee[F];
    signal root[F + 1];
    root[0] <== rootIn;
    for (var j = 0; j < F; j++) {
        var acc = 0;
        for (var i = 0; i < N; i++) acc += txFeeAdd[i][j];
        fee[j] = FeeCredit(D);
        fee[j].enabled <== feeEnabled[j];
        fee[j].idxBits <== feeIdxBits[j];
        fee[j].acc <== acc;
        fee[j].ax <== feeAx[j];
        fee[j].ay <== feeAy[j];
        fee[j].tokenId <== feeToken[j];
        fee[j].balance <== feeBalance[j];
        fee[j].nonce <== feeNonce[j];
        fee[j].siblings <== feeSiblings[j];
        fee[j].rootIn <== root[j];
        root[j + 1] <== fee[j].rootOut;
    }

    // 6.
    root[F] === newRoot;

    // 7.
    signal chainIdBits[64] <== Num2Bits(64)(chainId);
    signal rollupBits[160] <== Num2Bits(160)(rollupAddress);
    var feeWord = l1Count;
    for (var j = 0; j < F; j++) feeWord = feeWord * 2 ** idxBits + feeIdx[j];
    component pub = PublicInputs(m);
    pub.challenge <== challenge;
    pub.coef[0] <== oldRoot;
    pub.coef[1] <== newRoot;
    pub.coef[2] <== chainId * 2 ** 160 + rollupAddress;
    pub.coef[3] <== l1HashEnd;
    pub.coef[4] <== feeWord;
    for (var j = 0; j < L; j++) pub.coef[5 + j] <== l1Result[j];
    for (var t = 0; t < txCoefs; t++) {
        var word = 0;
        for (var s = 0; s < perCoef; s++) {
            var i = t * perCoef + s;
            word = word * 2 ** txBits + (i < N ? txWord[i] : 0);
        }
        pub.coef[5 + L + t] <== word;
    }
    evaluation <== pub.evaluation;
}
