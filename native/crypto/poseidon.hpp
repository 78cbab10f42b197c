// zkr native crypto — Poseidon over Fr exactly as circomlibjs computes it (poseidon_opt.js with
// poseidon_constants_opt.js, the form of filecoin's neptune: full rounds with the MDS matrix M,
// the last of the first half with P, partial rounds with the sparse matrices S), for 1..16 inputs
// (state width t = 2..17), initial state 0, one output. The constants are not in this file: the
// addon receives them from circomlibjs at start-up (src/proving/nativeCrypto.ts), so the two can
// never disagree, and zkr's MIT code carries none of circomlibjs's (GPL) files.
// MIT licence, part of zkr.
#pragma once

#include <vector>

#include "fr.hpp"

namespace zkr {

/** Full rounds of every width (circomlibjs's N_ROUNDS_F). */
inline constexpr int POSEIDON_FULL_ROUNDS = 8;
inline constexpr int POSEIDON_MIN_T = 2;
inline constexpr int POSEIDON_MAX_T = 17;

/** The constants of one width t, in Montgomery form. */
struct PoseidonWidth {
    int t = 0;
    int partialRounds = 0;
    std::vector<Fr> C;   // t·8 + partialRounds round constants
    std::vector<Fr> S;   // partialRounds·(2t − 1): each partial round's sparse matrix
    std::vector<Fr> Mt;  // t×t, transposed: row i holds the coefficients of output i (circomlibjs's M[j][i])
    std::vector<Fr> Pt;  // t×t, transposed likewise
};

namespace poseidon_detail {

/** x⁵ (x below 2p; canonical result). */
ZKR_INLINE void pow5(Fr& x) {
    Fr x2, x4;
    fr::mul_below2p(x2, x, x);
    fr::mul_below2p(x4, x2, x2);
    fr::mul(x, x4, x);
}

/** out_i = Σ_j m[i][j]·in_j for the outputs i < rows (rows = T, or 1 for the last round). */
template <int T>
ZKR_INLINE void matmul(Fr* out, const Fr* m, const Fr* in, int rows) {
    for (int i = 0; i < rows; i++) {
        fr::Wide acc = {};
        for (int j = 0; j < T; j++) fr::mac(acc, m[i * T + j], in[j]);
        fr::reduce<T>(out[i], acc);
    }
}

template <int T>
void permute(const PoseidonWidth& w, Fr* s) {
    const Fr* C = w.C.data();
    const int half = POSEIDON_FULL_ROUNDS / 2;
    Fr tmp[T];
    for (int i = 0; i < T; i++) fr::add(s[i], s[i], C[i]);
    for (int r = 0; r < half; r++) {
        for (int i = 0; i < T; i++) {
            pow5(s[i]);
            fr::add(s[i], s[i], C[(r + 1) * T + i]);
        }
        matmul<T>(tmp, r < half - 1 ? w.Mt.data() : w.Pt.data(), s, T);
        for (int i = 0; i < T; i++) s[i] = tmp[i];
    }
    const Fr* Cp = C + (half + 1) * T;
    for (int r = 0; r < w.partialRounds; r++) {
        const Fr* S = w.S.data() + (2 * T - 1) * r;
        pow5(s[0]);
        fr::add(s[0], s[0], Cp[r]);
        fr::Wide acc = {};
        for (int j = 0; j < T; j++) fr::mac(acc, S[j], s[j]);
        for (int k = 1; k < T; k++) {
            Fr u;
            fr::mul(u, s[0], S[T + k - 1]);
            fr::add(s[k], s[k], u);
        }
        fr::reduce<T>(s[0], acc);
    }
    const Fr* Cl = Cp + w.partialRounds;
    for (int r = 0; r < half; r++) {
        for (int i = 0; i < T; i++) {
            pow5(s[i]);
            if (r < half - 1) fr::add(s[i], s[i], Cl[r * T + i]);
        }
        // The last round's matrix product only for the one output returned.
        matmul<T>(tmp, w.Mt.data(), s, r < half - 1 ? T : 1);
        for (int i = 0; i < (r < half - 1 ? T : 1); i++) s[i] = tmp[i];
    }
}

}  // namespace poseidon_detail

/** Poseidon of n = w.t − 1 inputs (Montgomery form, canonical) with initial state 0: state[0] after the permutation. */
inline Fr poseidon(const PoseidonWidth& w, const Fr* inputs) {
    Fr s[POSEIDON_MAX_T];
    s[0] = fr::ZERO;
    for (int i = 1; i < w.t; i++) s[i] = inputs[i - 1];
    switch (w.t) {
#define ZKR_T(T) \
    case T: poseidon_detail::permute<T>(w, s); break;
        ZKR_T(2) ZKR_T(3) ZKR_T(4) ZKR_T(5) ZKR_T(6) ZKR_T(7) ZKR_T(8) ZKR_T(9)
        ZKR_T(10) ZKR_T(11) ZKR_T(12) ZKR_T(13) ZKR_T(14) ZKR_T(15) ZKR_T(16) ZKR_T(17)
#undef ZKR_T
    }
    return s[0];
}

}  // namespace zkr
