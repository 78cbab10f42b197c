pragma circom 2.1.6;

include "poseidon.circom";

// MerkleUpdate4(D): replace one leaf of the 4-ary Poseidon account tree (docs/PROTOCOL.md,
// "Account leaf and tree") and return the new root.
//
// Parameters
//   D   tree depth (4^D leaves)
//
// Signals
//   enabled          input   1 bit     0: no check, rootOut = rootIn
//   pathBits[2·D]    input   1 bit     leaf index, least significant bit first: the path node's
//                                      position at level l is pathBits[2l] + 2·pathBits[2l+1]
//   siblings[D][3]   input   field     per level, the 3 siblings in increasing position order,
//                                      skipping the path position
//   oldLeaf          input   field     leaf value before the update
//   newLeaf          input   field     leaf value after the update
//   rootIn           input   field     current root
//   rootOut          output  field     enabled ? root with newLeaf : rootIn
//
// Checks
//   1. If enabled: the root of oldLeaf at pathBits with siblings equals rootIn.
//   2. rootOut = enabled ? (root of newLeaf at pathBits with the same siblings) : rootIn.
//
// Caveats
//   - enabled and pathBits must be boolean: the caller constrains them (they come from
//     Num2Bits / an IsZero-style flag there). A non-boolean path bit breaks the one-hot
//     selection below and with it the binding between index and leaf.
//   - With the same siblings for both roots, the update changes exactly this one leaf.
//
// Child selection: with the one-hot s0..s3 of the position p (s3 = b0·b1, the rest linear)
// and siblings q0 < q1 < q2,
//   c0 = q0 + s0·(h − q0)                     (h at 0, else q0)
//   c1 = q1 + s0·(q0 − q1) + s1·(h − q1)      (q0 if p = 0, h if p = 1, else q1)
//   c2 = q1 + s2·(h − q1) + s3·(q2 − q1)      (q1 if p < 2, h if p = 2, q2 if p = 3)
//   c3 = q2 + s3·(h − q2)                     (h at 3, else q2)
// which is 3 shared + 4 per hashed node = 11 constraints per level for the old and new path.
//
// Constraints: D·(2 Poseidon(4) + 11) + 2.
template MerkleUpdate4(D) {
    signal input enabled;
    signal input pathBits[2 * D];
    signal input siblings[D][3];
    signal input oldLeaf, newLeaf;
    signal input rootIn;
    signal output rootOut;

    signal oldNode[D + 1], newNode[D + 1];
    signal s3[D], shared1[D], shared2[D];
    signal oldChild[D][4], newChild[D][4];
    oldNode[0] <== oldLeaf;
    newNode[0] <== newLeaf;

    for (var l = 0; l < D; l++) {
        var b0 = pathBits[2 * l];
        var b1 = pathBits[2 * l + 1];
        s3[l] <== b0 * b1;
        var s0 = 1 - b0 - b1 + s3[l];
        var s1 = b0 - s3[l];
        var s2 = b1 - s3[l];
        var q0 = siblings[l][0];
        var q1 = siblings[l][1];
        var q2 = siblings[l][2];
        shared1[l] <== s0 * (q0 - q1);
        shared2[l] <== s3[l] * (q2 - q1);

        oldChild[l][0] <== q0 + s0 * (oldNode[l] - q0);
        oldChild[l][1] <== q1 + shared1[l] + s1 * (oldNode[l] - q1);
        oldChild[l][2] <== q1 + shared2[l] + s2 * (oldNode[l] - q1);
        oldChild[l][3] <== q2 + s3[l] * (oldNode[l] - q2);
        oldNode[l + 1] <== Poseidon(4)(oldChild[l]);

        newChild[l][0] <== q0 + s0 * (newNode[l] - q0);
        newChild[l][1] <== q1 + shared1[l] + s1 * (newNode[l] - q1);
        newChild[l][2] <== q1 + shared2[l] + s2 * (newNode[l] - q1);
        newChild[l][3] <== q2 + s3[l] * (newNode[l] - q2);
        newNode[l + 1] <== Poseidon(4)(newChild[l]);
    }

    // 1.
    (oldNode[D] - rootIn) * enabled === 0;
    // 2.
    rootOut <== rootIn + enabled * (newNode[D] - rootIn);
}
