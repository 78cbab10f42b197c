pragma circom 2.1.6;

include "poseidon.circom";

// PublicInputs(m): the evaluation of the batch data polynomial at the challenge
// (docs/PROTOCOL.md, "Batch"; src/model/publicInputs.ts).
//
// Parameters
//   m   number of data coefficients
//
// Soundness table (signal, range assumed, where it is enforced)
//   coef[m]      input   field   Batch: it builds each from range-checked parts, so each is the
//                                canonical integer the contract builds from its calldata (the
//                                packings and why each is unique: Batch's header)
//   challenge    input   field   none needed: public; the contract derives it as
//                                keccak256(coef ‖ commitment) mod r
//   evaluation   output  field   y = Σ coef[i]·z^i + commitment·z^m
// Nothing is packed here: each coefficient is one field element of the data.
//
// Checks
//   1. commitment: acc = 0, then acc = Poseidon(acc, the next ≤ 15 coefficients), in order.
//   2. evaluation by Horner's rule from the commitment down (m multiplications).
//
// Why this binds the data. The contract computes z and y from its own copy of the data and the
// commitment the sequencer posts, and the proof's public signals are (y, z). A proof for data
// coef' ≠ coef (the contract's) needs commitment = Commit(coef') — fixed by coef' up to a
// Poseidon collision — and Σ (coef'[i] − coef[i])·z^i = 0. That polynomial is non-zero, of degree
// < m, and fixed before z is known (z hashes the commitment and the contract's data), so with
// keccak256 as a random oracle z is one of its < m roots with probability < m / r ≈ 2^-249 per
// attempt. (Without the commitment in z the data could be chosen after z: linear equations in
// a few hundred free bits are easy to solve, so the commitment is essential.)
//
// Constraints: m + 612·ceil(m / 15) at most (Poseidon(16) 612, smaller for a shorter last chunk).
template PublicInputs(m) {
    signal input coef[m];
    signal input challenge;
    signal output evaluation;

    // 1.
    var chunks = (m + 14) \ 15;
    component step[chunks];
    signal acc[chunks + 1];
    acc[0] <== 0;
    for (var c = 0; c < chunks; c++) {
        var len = m - 15 * c < 15 ? m - 15 * c : 15;
        step[c] = Poseidon(len + 1);
        step[c].inputs[0] <== acc[c];
        for (var k = 0; k < len; k++) step[c].inputs[k + 1] <== coef[15 * c + k];
        acc[c + 1] <== step[c].out;
    }

    // 2.
    signal horner[m + 1];
    horner[m] <== acc[chunks];
    for (var i = m - 1; i >= 0; i--) horner[i] <== horner[i + 1] * challenge + coef[i];
    evaluation <== horner[0];
}
