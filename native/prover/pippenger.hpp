// zkr native Groth16 prover — multi-scalar multiplication Σ scalar_i · base_i (Pippenger's
// bucket method) over ffiasm's curves, G1 and G2 alike.
//
//   * Signed digits: each 254-bit scalar is cut into windows of c bits, digits in
//     [-2^(c-1), 2^(c-1)] (a carry into the next window), so a window needs 2^(c-1) buckets
//     instead of 2^c - 1 and the bucket sums cost half as much; a negative digit adds -base
//     (negating an affine point is free).
//   * Bucket accumulation in XYZZ coordinates with mixed additions (ffiasm's Curve::add of an
//     affine base), then the window sum by running sums, then Horner over the windows.
//   * Window size from a cost model: ⌈windows / threads⌉ · (n + 2^c), so that both cores stay
//     busy to the last window.
//   * Both cores (OpenMP): the digits are computed in parallel over the scalars, the windows
//     are processed in parallel, each thread with its own buckets.
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <cstdint>
#include <cstring>
#include <omp.h>
#include <vector>

namespace zkr {

/** Scalars are 32-byte little-endian integers below the group order r < 2^254. */
constexpr unsigned SCALAR_BITS = 254;

inline unsigned msmWindowCount(unsigned c) { return SCALAR_BITS / c + 1; }

/** The window size in bits minimising ⌈windows / threads⌉ · (points + 2^c). */
inline unsigned msmWindowBits(uint64_t n, unsigned threads) {
    unsigned best = 2;
    double bestCost = 1e300;
    for (unsigned c = 2; c <= 20; c++) {
        double rounds = (double)((msmWindowCount(c) + threads - 1) / threads);
        double cost = rounds * ((double)n + (double)(1u << c));
        if (cost < bestCost) {
            bestCost = cost;
            best = c;
        }
    }
    return best;
}

template <typename Curve>
void msm(Curve &G, typename Curve::Point &result, const typename Curve::PointAffine *bases, const uint8_t *scalars, uint64_t n) {
    typedef typename Curve::Point Point;
    typedef typename Curve::PointAffine Affine;
    G.copy(result, G.zero());
    if (n == 0) return;

    const unsigned threads = (unsigned)omp_get_max_threads();
    const unsigned c = msmWindowBits(n, threads);
    const unsigned nW = msmWindowCount(c);
    const int64_t half = (int64_t)1 << (c - 1);
    const uint64_t mask = ((uint64_t)1 << c) - 1;

    // digits[w * n + i]: the signed digit of scalar i in window w (0 for a zero base).
    std::vector<int32_t> digits((size_t)nW * n);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++) {
        Affine &b = const_cast<Affine &>(bases[i]);
        if (G.isZero(b)) {
            for (unsigned w = 0; w < nW; w++) digits[(size_t)w * n + i] = 0;
            continue;
        }
        uint64_t limbs[5];
        memcpy(limbs, scalars + 32 * i, 32);
        limbs[4] = 0;
        int64_t carry = 0;
        for (unsigned w = 0; w < nW; w++) {
            unsigned bit = w * c, limb = bit / 64, off = bit % 64;
            uint64_t v = limb < 4 ? limbs[limb] >> off : 0;
            if (off + c > 64 && limb + 1 < 5) v |= limbs[limb + 1] << (64 - off);
            int64_t d = (int64_t)(v & mask) + carry;
            if (d > half) {
                d -= (int64_t)1 << c;
                carry = 1;
            } else {
                carry = 0;
            }
            digits[(size_t)w * n + i] = (int32_t)d;
        }
    }

    std::vector<Point> windowSums(nW);
#pragma omp parallel
    {
        std::vector<Point> buckets((size_t)half);
#pragma omp for schedule(dynamic, 1)
        for (int w = (int)nW - 1; w >= 0; w--) {
            for (auto &b : buckets) G.copy(b, G.zero());
            const int32_t *dw = &digits[(size_t)w * n];
            for (uint64_t i = 0; i < n; i++) {
                int32_t d = dw[i];
                if (d == 0) continue;
                Affine &b = const_cast<Affine &>(bases[i]);
                if (d > 0) {
                    G.add(buckets[d - 1], buckets[d - 1], b);
                } else {
                    G.sub(buckets[-d - 1], buckets[-d - 1], b);
                }
            }
            // Σ k · bucket[k-1] as running sums from the top bucket down.
            Point running, sum;
            G.copy(running, G.zero());
            G.copy(sum, G.zero());
            for (int64_t k = half - 1; k >= 0; k--) {
                G.add(running, running, buckets[k]);
                G.add(sum, sum, running);
            }
            G.copy(windowSums[w], sum);
        }
    }

    G.copy(result, windowSums[nW - 1]);
    for (int w = (int)nW - 2; w >= 0; w--) {
        for (unsigned k = 0; k < c; k++) G.dbl(result, result);
        G.add(result, result, windowSums[w]);
    }
}

}  // namespace zkr
