pragma circom 2.1.6;

include "bitify.circom";
include "comparators.circom";
include "poseidon.circom";
include "babyjub.circom";
include "escalarmulany.circom";
include "escalarmulfix.circom";

// SchnorrVerifier128(): a Schnorr signature on BabyJubJub with a 128-bit challenge over a
// two-field message (docs/PROTOCOL.md, "Signature"; src/model/keys.ts verifySignature is the same rule).
//
// Notation: l = BabyJubJub's prime subgroup order (≈ 2^251), B8 = its generator (circomlib Base8),
// r = the BN254 scalar field order (≈ 2^253.6, the signals' field).
//
// Soundness table (input, range assumed, where it is enforced)
//   enabled          1 bit     the caller (Transfer's IsZero-style flag); 0: nothing is checked
//                              but S < 2^253
//   Ax, Ay           field     2. and 4. here when enabled: A on the curve, 8·A not the identity
//                              (A: circomlibjs prv2pub, A = (s/8)·B8)
//   S                253 bits  1. here (Num2Bits(253)); signers and src/model/keys.ts use S < l
//   R8x, R8y         field     2. here when enabled (on the curve); 5. puts R8 in the subgroup
//   domain, word     field     none needed here: hashed as field elements; Transfer makes word
//                              the canonical packing txPacked·2^32 + nonce of range-checked parts
// Packed value: the challenge split h = c + 2^128·hi (3.) with c < 2^128, hi < 2^126 checked
// here; it has at most two decompositions (see below), which is accepted by design.
//
// Checks (when enabled)
//   1. S < 2^253 (Num2Bits(253), the bits EscalarMulFix takes). Unlike circomlib's EdDSA there is
//      no S < l check (a CompConstant, 262 constraints): S and S + l (when < 2^253) give the same
//      point S·B8, so the circuit accepts both encodings of every valid signature, and only those
//      (see below).
//   2. R8 and A are on the curve (a·x² + y² = 1 + d·x²·y²).
//   3. h = Poseidon(6)(R8x, R8y, Ax, Ay, domain, word); c = the low 128 bits of h.
//   4. 8·A (three doublings) is not the identity: its x ≠ 0 (on the curve, 8·A is in the prime
//      subgroup, whose only point with x = 0 is the identity (0, 1)).
//   5. S·B8 = R8 + c·(8·A).
//
// The challenge decomposition (3.) h = c + 2^128·hi with c < 2^128 and hi < 2^126 has no alias
// check: c + 2^128·hi < 2^254 < 2r, so the integer c + 2^128·hi is h or h + r, and a hash
// value h has at most two decompositions. A prover can thus choose between at most two
// challenges per hash query (c = h mod 2^128 as src/model/keys.ts computes it, or (h + r) mod 2^128
// when h + r < 2^254): in the random-oracle forgery bound this counts as two challenges per
// query, a factor 2, so the challenge gives ~127 bits instead of 128. Skipping the alias check
// saves a CompConstant over the 254 bits (~260 constraints).
//
// No S < l: a second encoding S + l of a valid signature is no forgery (producing it needs the
// valid signature), and in zkr a signature is never posted, hashed or used as an identifier: the
// transaction id is Poseidon(domain, txPacked, nonce) and replays are stopped by the nonce. The
// sequencer (src/model/keys.ts verifySignature) still accepts only S < l.
//
// Security: Schnorr with half-length challenges keeps the security level of the group in the
// random-oracle model (Neven, Smart, Warinschi, "Hash function requirements for Schnorr
// signatures", J. Math. Cryptology 2009: a 128-bit challenge suffices for 128-bit security,
// the hash needs only random-prefix preimage resistance, not collision resistance).
// BabyJubJub's group has order ≈ 2^251, its discrete logarithm ≈ 2^126 work (Pollard rho),
// which is the binding level of the scheme, as for circomlib's EdDSA.
//
// Padding: with enabled = 0 and every input 0 the witness computes (A = (0, 0) doubles to
// (0, 0), which EscalarMulAny replaces by B8) and no check fails.
//
// Constraints: 2,586 (parts measured alone; --O2 merges a few): S bits 253, on-curve
// checks 2·4, Poseidon(6) 354, challenge bits 128 + 126, 8·A 3·6 and its check 3,
// EscalarMulAny(128) 1,161, BabyAdd 6, EscalarMulFix(253, B8) 523, equality checks 2·3. That is
// 1,892 fewer than circomlib's EdDSAPoseidonVerifier (4,217) plus the Poseidon(3) message hash
// it signed (261).
template SchnorrVerifier128() {
    signal input enabled;
    signal input Ax, Ay;
    signal input S, R8x, R8y;
    signal input domain, word;

    // 1.
    signal sBits[253] <== Num2Bits(253)(S);

    // 2.
    OnCurveIfEnabled()(enabled, R8x, R8y);
    OnCurveIfEnabled()(enabled, Ax, Ay);

    // 3.
    signal h <== Poseidon(6)([R8x, R8y, Ax, Ay, domain, word]);
    signal c <-- h & (2 ** 128 - 1);
    signal hi <-- h >> 128;
    signal cBits[128] <== Num2Bits(128)(c);
    _ <== Num2Bits(126)(hi);
    h === c + 2 ** 128 * hi;

    // 4.
    component dbl[3];
    for (var i = 0; i < 3; i++) {
        dbl[i] = BabyDbl();
        dbl[i].x <== i == 0 ? Ax : dbl[i - 1].xout;
        dbl[i].y <== i == 0 ? Ay : dbl[i - 1].yout;
    }
    signal a8Zero <== IsZero()(dbl[2].xout);
    a8Zero * enabled === 0;

    // 5.
    signal cA8[2] <== EscalarMulAny(128)(cBits, [dbl[2].xout, dbl[2].yout]);
    component right = BabyAdd();
    right.x1 <== R8x;
    right.y1 <== R8y;
    right.x2 <== cA8[0];
    right.y2 <== cA8[1];
    var BASE8[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];
    signal left[2] <== EscalarMulFix(253, BASE8)(sBits);
    ForceEqualIfEnabled()(enabled, [left[0], right.xout]);
    ForceEqualIfEnabled()(enabled, [left[1], right.yout]);
}

// OnCurveIfEnabled(): when enabled, (x, y) is on BabyJubJub (circomlib's BabyCheck, gated so
// that padding's (0, 0) passes). 4 constraints.
template OnCurveIfEnabled() {
    signal input enabled, x, y;

    signal x2 <== x * x;
    signal y2 <== y * y;
    signal x2y2 <== x2 * y2;
    (168700 * x2 + y2 - 1 - 168696 * x2y2) * enabled === 0;
}
