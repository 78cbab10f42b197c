pragma circom 2.1.6;

include "batch.circom";

// BatchShell(D, N, L, F): Batch(D, N, L, F) without its N Transfer(D, F) components, compiled
// alone as the main of the linked form of a batch (src/proving/link.ts): the shell and one
// Transfer(D, F) main are compiled separately and their r1cs linked into the constraint system
// of Batch, for batches too large for circom2 (wasm32, 4 GiB) to compile whole. It is the same
// BatchHead and BatchTail as Batch's (batch.circom), wired to link inputs where Batch wires them
// to the Transfers. Not the production profile yet (README, "Linked batch circuit").
//
// Link inputs (the main declares them PUBLIC, src/proving/link.ts shellMainSource: circom's
// --O2 eliminates private main inputs that a linear constraint defines, and the .sym then names
// no wire for them; the linker demotes them to private in the linked header). Each is identified
// by the linker with a wire of every Transfer copy:
//   lnkRootIn       === head.rootOut       copy 0's rootIn (copy i > 0's rootIn is txRootOut[i−1])
//   lnkDomain       === head.domain        every copy's domain
//   lnkFeeEnabled[F] === head.feeEnabled   every copy's feeEnabled
//   feeToken[F]     (Batch's own input)    every copy's feeToken
//   txEnabled[i], txRootOut[i], txFeeAdd[i][F], txWord[i]      copy i's outputs enabled, rootOut,
//                                          feeAdd, txWord, wired into the tail as Batch wires
//                                          tx[i]'s (txRootOut[N−1] is the tail's rootIn)
// The shell declares no signal of its own besides its inputs and `evaluation` (the linker counts
// its kept private inputs as the main's signals after the public ones, and checks that count).
//
// Soundness table (input, range assumed, where it is enforced)
//   challenge, oldRoot … l1LeafSiblings, l1To* … l1ToSiblings, feeIdx, feeAx … feeSiblings, feeToken
//                          as in Batch's table: BatchHead and BatchTail (the same templates)
//   lnkRootIn, lnkDomain, lnkFeeEnabled[F]
//                          field; none needed: tied here to the head's outputs (===), and
//                          they are the Transfer copies' inputs in the linked system
//   txEnabled[N], txFeeAdd[N][F], txWord[N]
//                          1 bit, < 2^54, < 2^txBits: not checked by the shell alone; in the
//                          linked system they are copy i's output wires, whose ranges its
//                          Transfer constraints enforce (BatchTail's table)
//   txRootOut[N]           field; none needed: copy i's rootOut, copy i+1's rootIn, and for
//                          i = N − 1 the tail's rootIn. txRootOut[i < N − 1] meets no shell
//                          constraint: only the copies constrain it (the shell is never proven
//                          alone).
//
// Why the linked system is Batch's. Batch's constraints are BatchHead's, the N Transfers' and
// BatchTail's over shared signals: the `<==` wirings identify tx[i].rootIn with head.rootOut
// (i = 0) or tx[i−1].rootOut, tx[i].domain and feeEnabled with the head's, tx[i].feeToken
// with feeToken, and the tail's tx inputs and rootIn with the transfers' outputs. The linked
// system is this shell's constraints (the same head and tail, with the link inputs tied by the
// same identifications) and N copies of Transfer's constraints over fresh wires, each copy's
// interface wires renamed to the link inputs as listed above. Renaming each link input back to
// the signal it is identified with gives Batch's system exactly: an assignment satisfies one iff
// it satisfies the other, and the public signals (evaluation, challenge) are the same wires.
// (--O2 simplifies each part alone and only substitutes signals defined by linear constraints,
// which keeps the solutions on the kept wires, so the constraint counts may differ from Batch's
// by linear constraints across the parts; the linker maps copy i's rootIn straight to
// txRootOut[i − 1], so the chain adds none.)
//
// Constraints: BatchHead + BatchTail; linked: this + N · Transfer(D, F).
template BatchShell(D, N, L, F) {
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
    signal input feeAx[F], feeAy[F], feeToken[F], feeBalance[F], feeNonce[F];
    signal input feeSiblings[F][merkleSiblings(D)];
    signal input lnkRootIn, lnkDomain, lnkFeeEnabled[F];
    signal input txEnabled[N], txRootOut[N], txFeeAdd[N][F], txWord[N];

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

    // 4. The transaction slots are the linked Transfer copies; these are their shared inputs.
    lnkRootIn === head.rootOut;
    lnkDomain === head.domain;
    for (var j = 0; j < F; j++) lnkFeeEnabled[j] === head.feeEnabled[j];

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
    tail.rootIn <== txRootOut[N - 1];
    tail.txEnabled <== txEnabled;
    tail.txFeeAdd <== txFeeAdd;
    tail.txWord <== txWord;
    tail.feeAx <== feeAx;
    tail.feeAy <== feeAy;
    tail.feeToken <== feeToken;
    tail.feeBalance <== feeBalance;
    tail.feeNonce <== feeNonce;
    tail.feeSiblings <== feeSiblings;
    evaluation <== tail.evaluation;
}
