// zkr native Groth16 prover — radix-2 FFT over the BN254 scalar field (Montgomery form), with
// the same roots of unity as ffjavascript (snarkjs): w_{2^s} = nqr^((r-1)/2^s) for the smallest
// quadratic non-residue nqr, w_{2^k} = w_{2^(k+1)}^2. Each butterfly stage runs on every core.
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <cstdint>
#include <gmp.h>
#include <omp.h>
#include <stdexcept>
#include <utility>
#include <vector>

#include "fr.hpp"

namespace zkr {

typedef RawFr::Element FrE;

class Roots {
public:
    /** 2-adicity of r - 1. */
    unsigned s = 0;
    /** w[k]: a primitive 2^k-th root of unity, k = 0..s, as ffjavascript's Fr.w. */
    std::vector<FrE> w;
    /** nqr², the coset shift ffjavascript uses for the largest domain (Fr.shift). */
    FrE shift;

    explicit Roots(RawFr &F) {
        mpz_t q, t, nqr, e, aux;
        mpz_inits(q, t, nqr, e, aux, NULL);
        mpz_import(q, RawFr::N64, -1, 8, -1, 0, Fr_rawq);
        mpz_sub_ui(t, q, 1);
        while (mpz_even_p(t)) {
            mpz_fdiv_q_2exp(t, t, 1);
            s++;
        }
        mpz_sub_ui(e, q, 1);
        mpz_fdiv_q_2exp(e, e, 1);  // (q-1)/2: Euler's criterion
        mpz_set_ui(nqr, 2);
        for (;;) {
            mpz_powm(aux, nqr, e, q);
            if (mpz_cmp_ui(aux, 1) != 0) break;
            mpz_add_ui(nqr, nqr, 1);
        }
        FrE nqrE;
        F.fromMpz(nqrE, nqr);
        F.square(shift, nqrE);
        mpz_powm(aux, nqr, t, q);
        w.resize(s + 1);
        F.fromMpz(w[s], aux);
        for (int k = (int)s - 1; k >= 0; k--) F.square(w[k], w[k + 1]);
        if (!F.eq(w[0], F.one())) throw std::runtime_error("internal error: roots of unity are wrong");
        mpz_clears(q, t, nqr, e, aux, NULL);
    }
};

/** a[i] ← a[i] · first · inc^i, for i < n, on every core. */
inline void mulPowers(RawFr &F, FrE *a, uint64_t n, const FrE &first, const FrE &inc) {
#pragma omp parallel
    {
        uint64_t T = (uint64_t)omp_get_num_threads(), t = (uint64_t)omp_get_thread_num();
        uint64_t from = n * t / T, to = n * (t + 1) / T;
        FrE p;
        F.exp(p, inc, (uint8_t *)&from, sizeof(from));
        F.mul(p, p, first);
        for (uint64_t i = from; i < to; i++) {
            F.mul(a[i], a[i], p);
            F.mul(p, p, inc);
        }
    }
}

/** Butterfly stages len = 2^from … 2^to (inclusive) on a[0, m), sequentially. */
inline void butterflies(RawFr &F, FrE *a, uint64_t m, unsigned from, unsigned to, const FrE *tw, uint64_t n) {
    for (unsigned st = from; st <= to; st++) {
        uint64_t len = (uint64_t)1 << st, halfLen = len / 2, step = n / len;
        for (uint64_t i = 0; i < m; i += len) {
            for (uint64_t j = 0; j < halfLen; j++) {
                FrE t;
                F.mul(t, a[i + j + halfLen], tw[j * step]);
                F.sub(a[i + j + halfLen], a[i + j], t);
                F.add(a[i + j], a[i + j], t);
            }
        }
    }
}

/**
 * In-place FFT of size n = 2^k (natural order in and out) with the root `root` of order n.
 * With P = 2^p threads, the first k - p stages run on P independent blocks of n/P elements (no
 * synchronisation), the last p stages with their butterflies split across the threads: p + 1
 * barriers per FFT, which matters on a machine whose other cores are busy.
 */
inline void fft(RawFr &F, FrE *a, uint64_t n, const FrE &root) {
    if (n <= 1) return;
    unsigned k = 0;
    while (((uint64_t)1 << k) < n) k++;
    // Bit-reversal permutation.
    for (uint64_t i = 0; i < n; i++) {
        uint64_t j = 0;
        for (unsigned b = 0; b < k; b++) j |= ((i >> b) & 1) << (k - 1 - b);
        if (i < j) std::swap(a[i], a[j]);
    }
    // Powers of the root: tw[j] = root^j, j < n/2.
    std::vector<FrE> tw(n / 2, F.one());
    mulPowers(F, tw.data(), n / 2, F.one(), root);
    unsigned p = 0;
    while (p + 1 < k && ((unsigned)2 << p) <= (unsigned)omp_get_max_threads()) p++;
    const uint64_t P = (uint64_t)1 << p, block = n / P;
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < (int64_t)P; b++) butterflies(F, a + b * block, block, 1, k - p, tw.data(), n);
    for (unsigned st = k - p + 1; st <= k; st++) {
        uint64_t len = (uint64_t)1 << st, halfLen = len / 2, step = n / len;
#pragma omp parallel for schedule(static)
        for (int64_t x = 0; x < (int64_t)(n / 2); x++) {
            uint64_t i = ((uint64_t)x / halfLen) * len + (uint64_t)x % halfLen, j = (uint64_t)x % halfLen;
            FrE t;
            F.mul(t, a[i + halfLen], tw[j * step]);
            F.sub(a[i + halfLen], a[i], t);
            F.add(a[i], a[i], t);
        }
    }
}

/** In-place inverse FFT: the coefficients of the polynomial whose evaluations on <root> are a. */
inline void ifft(RawFr &F, FrE *a, uint64_t n, const FrE &root) {
    FrE rootInv, nInv, nE;
    F.inv(rootInv, root);
    fft(F, a, n, rootInv);
    F.fromUI(nE, (unsigned long)n);
    F.inv(nInv, nE);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++) F.mul(a[i], a[i], nInv);
}

}  // namespace zkr
