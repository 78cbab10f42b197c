pragma circom 2.1.6;

include "poseidon.circom";

// The account tree (docs/PROTOCOL.md, "Account leaf and tree") holds 4^D = 2^(2D) leaves in
// floor(2D/3) 8-ary levels (3 index bits each, leaves first) and, when 2D mod 3 ≠ 0, a 4-ary root
// level for the remaining 1 or 2 bits. Poseidon(8) costs 402 constraints for 3 bits, Poseidon(4)
// 297 for 2: 134 against 149 per bit. src/model/tree.ts (treeLevels) is the same schedule.

function merkleLevels8(D) {
    return (2 * D) \ 3;
}

function merkleHasTop(D) {
    return (2 * D) % 3 != 0 ? 1 : 0;
}

// Number of siblings of a proof: 7 per 8-ary level, 3 for a 4-ary root level.
function merkleSiblings(D) {
    return 7 * merkleLevels8(D) + 3 * merkleHasTop(D);
}

// Level8(): one 8-ary level of MerkleUpdate, for the old and the new path at once.
//
// Soundness table (signal, range assumed, where it is enforced)
//   bits[3]      input   1 bit    MerkleUpdate's caller (Num2Bits): position p = bits[0] +
//                                 2·bits[1] + 4·bits[2]; the one-hot e_i is one only for booleans
//   q[7]         input   field    none needed: siblings in increasing position order, skipping p
//   oldIn, newIn input   field    none needed: the path nodes (old and new leaf side) at position p
//   oldOut, newOut output field   Poseidon(8) of the children with oldIn / newIn at p
//
// Child selection: with the one-hot e_0..e_7 of p (4 products of bits, the rest linear),
// lt_i = [p < i] = e_0 + … + e_(i−1), and the sibling-only child r_i = q_i + lt_i·(q_(i−1) − q_i)
// (r_0 = q_0, r_7 = q_6), child i = r_i + e_i·(h − r_i): 4 + 6 shared and 8 per hashed node,
// 26 constraints, plus the two Poseidon(8): 830 per level.
template Level8() {
    signal input bits[3];
    signal input q[7];
    signal input oldIn, newIn;
    signal output oldOut, newOut;

    signal b01 <== bits[0] * bits[1];
    signal b02 <== bits[0] * bits[2];
    signal b12 <== bits[1] * bits[2];
    signal b012 <== b01 * bits[2];
    var e[8];
    e[7] = b012;
    e[6] = b12 - b012;
    e[5] = b02 - b012;
    e[4] = bits[2] - b02 - b12 + b012;
    e[3] = b01 - b012;
    e[2] = bits[1] - b01 - b12 + b012;
    e[1] = bits[0] - b01 - b02 + b012;
    e[0] = 1 - bits[0] - bits[1] - bits[2] + b01 + b02 + b12 - b012;

    signal r[8];
    r[0] <== q[0];
    var lt = e[0];
    for (var i = 1; i < 7; i++) {
        r[i] <== q[i] + lt * (q[i - 1] - q[i]);
        lt += e[i];
    }
    r[7] <== q[6];

    signal oldChild[8], newChild[8];
    for (var i = 0; i < 8; i++) {
        oldChild[i] <== r[i] + e[i] * (oldIn - r[i]);
        newChild[i] <== r[i] + e[i] * (newIn - r[i]);
    }
    oldOut <== Poseidon(8)(oldChild);
    newOut <== Poseidon(8)(newChild);
}

// Level4(): the 4-ary root level, as Level8 for 2 bits.
//
// Child selection: with the one-hot s0..s3 of the position p (s3 = b0·b1, the rest linear)
// and siblings q0 < q1 < q2,
//   c0 = q0 + s0·(h − q0)                     (h at 0, else q0)
//   c1 = q1 + s0·(q0 − q1) + s1·(h − q1)      (q0 if p = 0, h if p = 1, else q1)
//   c2 = q1 + s2·(h − q1) + s3·(q2 − q1)      (q1 if p < 2, h if p = 2, q2 if p = 3)
//   c3 = q2 + s3·(h − q2)                     (h at 3, else q2)
// which is 3 shared + 4 per hashed node = 11 constraints, plus two Poseidon(4): 605.
template Level4() {
    signal input bits[2];
    signal input q[3];
    signal input oldIn, newIn;
    signal output oldOut, newOut;

    signal s3 <== bits[0] * bits[1];
    var s0 = 1 - bits[0] - bits[1] + s3;
    var s1 = bits[0] - s3;
    var s2 = bits[1] - s3;
    signal shared1 <== s0 * (q[0] - q[1]);
    signal shared2 <== s3 * (q[2] - q[1]);

    signal oldChild[4], newChild[4];
    oldChild[0] <== q[0] + s0 * (oldIn - q[0]);
    oldChild[1] <== q[1] + shared1 + s1 * (oldIn - q[1]);
    oldChild[2] <== q[1] + shared2 + s2 * (oldIn - q[1]);
    oldChild[3] <== q[2] + s3 * (oldIn - q[2]);
    oldOut <== Poseidon(4)(oldChild);

    newChild[0] <== q[0] + s0 * (newIn - q[0]);
    newChild[1] <== q[1] + shared1 + s1 * (newIn - q[1]);
    newChild[2] <== q[1] + shared2 + s2 * (newIn - q[1]);
    newChild[3] <== q[2] + s3 * (newIn - q[2]);
    newOut <== Poseidon(4)(newChild);
}

// MerkleUpdate(D): replace one leaf of the account tree and return the new root.
//
// Parameters
//   D   the tree holds 4^D leaves (levels as above)
//
// Soundness table (input, range assumed, where it is enforced)
//   enabled          1 bit     the caller (AccountUpdate's flag, from Transfer / L1Op / Batch);
//                              0: no check, rootOut = rootIn
//   pathBits[2·D]    1 bit     the caller (Num2Bits of the index): the one-hot selection of each
//                              level is only a selection for boolean bits
//   siblings[S]      field     none needed: S = merkleSiblings(D), per level (leaves first) its
//                              arity − 1 siblings in increasing position order, skipping the
//                              path position; any values that make 1. hold are a Merkle proof
//   oldLeaf          field     none needed (AccountUpdate hashes it from range-checked fields)
//   newLeaf          field     none needed (likewise)
//   rootIn           field     none needed
//   rootOut          output    enabled ? root with newLeaf : rootIn
// No value is packed here. Binding: Poseidon collision resistance makes the children of every
// node unique, and the boolean path bits place oldLeaf at exactly one index.
//
// Checks
//   1. If enabled: the root of oldLeaf at pathBits with siblings equals rootIn.
//   2. rootOut = enabled ? (root of newLeaf at pathBits with the same siblings) : rootIn.
//
// Caveats
//   - enabled and pathBits must be boolean: the caller constrains them (they come from
//     Num2Bits / an IsZero-style flag there). A non-boolean path bit breaks the one-hot
//     selection and with it the binding between index and leaf.
//   - With the same siblings for both roots, the update changes exactly this one leaf.
//   - With 2D mod 3 = 1 the root level's second position bit is the constant 0.
//
// Constraints: 830·floor(2D/3) + top + 2, top = 605 if 2D mod 3 = 2, 599 if 2D mod 3 = 1 (the
// constant second bit makes 6 selection products linear), 0 otherwise: MerkleUpdate(2) 1,431,
// MerkleUpdate(4) 2,267, MerkleUpdate(12) 6,642, MerkleUpdate(16) 8,907.
template MerkleUpdate(D) {
    var n8 = merkleLevels8(D);
    var top = merkleHasTop(D);
    signal input enabled;
    signal input pathBits[2 * D];
    signal input siblings[merkleSiblings(D)];
    signal input oldLeaf, newLeaf;
    signal input rootIn;
    signal output rootOut;

    signal oldNode[n8 + top + 1], newNode[n8 + top + 1];
    oldNode[0] <== oldLeaf;
    newNode[0] <== newLeaf;

    for (var l = 0; l < n8; l++) {
        (oldNode[l + 1], newNode[l + 1]) <== Level8()(
            [pathBits[3 * l], pathBits[3 * l + 1], pathBits[3 * l + 2]],
            [siblings[7 * l], siblings[7 * l + 1], siblings[7 * l + 2], siblings[7 * l + 3],
             siblings[7 * l + 4], siblings[7 * l + 5], siblings[7 * l + 6]],
            oldNode[l], newNode[l]);
    }
    if (top == 1) {
        var b1 = 0;
        if (2 * D - 3 * n8 == 2) {
            b1 = pathBits[3 * n8 + 1];
        }
        (oldNode[n8 + 1], newNode[n8 + 1]) <== Level4()(
            [pathBits[3 * n8], b1],
            [siblings[7 * n8], siblings[7 * n8 + 1], siblings[7 * n8 + 2]],
            oldNode[n8], newNode[n8]);
    }

    // 1.
    (oldNode[n8 + top] - rootIn) * enabled === 0;
    // 2.
    rootOut <== rootIn + enabled * (newNode[n8 + top] - rootIn);
}
