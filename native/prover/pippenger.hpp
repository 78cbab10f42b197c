// zkr native Groth16 prover — multi-scalar multiplication Σ scalar_i · base_i (Pippenger's
// bucket method) over ffiasm's curves, G1 and G2 alike.
//
//   * Signed digits: each 254-bit scalar is cut into windows of c bits, digits in
//     [-2^(c-1), 2^(c-1)] (a carry into the next window), so a window needs 2^(c-1) buckets
//     instead of 2^c - 1 and its bucket sum costs half as much; a negative digit adds -base
//     (negating an affine point is free).
//   * Batch-affine bucket accumulation: a window's points are sorted into their buckets
//     (counting sort), then each bucket's points are added pairwise, round after round, until
//     one point is left per bucket. The additions of a round are independent, so all of them
//     share one field inversion (Montgomery's trick): an affine addition then costs about
//     5M + 1S instead of the 8M + 2S of a mixed XYZZ addition. Rare special cases (a point at
//     infinity, P + P, P + (−P)) take ffiasm's complete XYZZ formulas.
//   * The window sum Σ k · bucket_k by running sums from the highest non-empty bucket, then
//     Horner over the windows.
//   * The window size from a cost model over the scalars' actual bit lengths (witness scalars
//     are mostly small: their high windows are empty and cost nothing).
//   * Both cores (OpenMP): the digits are computed in parallel over the scalars, the windows
//     in parallel (dynamic scheduling), each thread with its own buffers.
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <omp.h>
#include <utility>
#include <vector>

#include "affine.hpp"
#include "field_ops.hpp"

namespace zkr {

/** Scalars are 32-byte little-endian integers below the group order r < 2^254. */
constexpr unsigned SCALAR_BITS = 254;

inline unsigned msmWindowCount(unsigned c) { return SCALAR_BITS / c + 1; }

/** Relative costs in field multiplications: an affine addition (batched), a mixed and a full XYZZ addition. */
constexpr double COST_AFFINE_ADD = 6, COST_MIXED_ADD = 10, COST_FULL_ADD = 14;

/**
 * The window size minimising the modelled cost: in window w, the scalars longer than w·c bits
 * (from `bitLengths`, a histogram of the scalars' bit lengths 0..254) each cost an affine
 * addition, and a non-empty window its bucket sum, 2^(c-1) mixed + full additions; the windows
 * go to `threads` threads.
 */
inline unsigned msmWindowBits(const uint64_t *bitLengths, unsigned threads) {
    unsigned best = 2;
    double bestCost = 1e300;
    for (unsigned c = 2; c <= 20; c++) {
        unsigned nW = msmWindowCount(c);
        double total = 0, largest = 0;
        for (unsigned w = 0; w < nW; w++) {
            uint64_t nz = 0;
            for (unsigned b = w * c + 1; b <= SCALAR_BITS; b++) nz += bitLengths[b];
            // A signed digit can carry into the window above the last set bit: count it there too.
            if (w > 0 && (w - 1) * c + 1 <= SCALAR_BITS)
                for (unsigned b = (w - 1) * c + 1; b <= w * c && b <= SCALAR_BITS; b++) nz += bitLengths[b] / 2;
            if (nz == 0) continue;
            double cost = (double)nz * COST_AFFINE_ADD + (double)(1u << (c - 1)) * (COST_MIXED_ADD + COST_FULL_ADD);
            total += cost;
            if (cost > largest) largest = cost;
        }
        double wall = std::max(total / threads, largest);
        if (wall < bestCost) {
            bestCost = wall;
            best = c;
        }
    }
    return best;
}

/**
 * The signed c-bit digits of the 32-byte little-endian `scalar` (below 2^254), lowest first,
 * nW = msmWindowCount(c) of them, `stride` apart from `out`: each in [−2^(c−1), 2^(c−1)], a
 * window above 2^(c−1) taken as negative with a carry into the next; the top one never carries.
 */
inline void signedDigits(int32_t *out, size_t stride, const uint8_t *scalar, unsigned c, unsigned nW) {
    const int64_t half = (int64_t)1 << (c - 1);
    const uint64_t mask = ((uint64_t)1 << c) - 1;
    uint64_t limbs[5];
    memcpy(limbs, scalar, 32);
    limbs[4] = 0;
    int64_t carry = 0;
    for (unsigned w = 0; w < nW; w++) {
        unsigned bit = w * c, limb = bit / 64, off = bit % 64;
        uint64_t v = limb < 5 ? limbs[limb] >> off : 0;
        if (off + c > 64 && limb + 1 < 5) v |= limbs[limb + 1] << (64 - off);
        int64_t d = (int64_t)(v & mask) + carry;
        if (d > half) {
            d -= (int64_t)1 << c;
            carry = 1;
        } else {
            carry = 0;
        }
        out[(size_t)w * stride] = (int32_t)d;
    }
}

template <typename Curve>
class Msm {
    typedef typename Curve::Point Point;
    typedef typename Curve::PointAffine Affine;
    typedef decltype(Affine::x) Elem;
    /** The base field's inline operations (field_ops.hpp). */
    typedef typename OpsFor<Curve>::T F;

    Curve &G;

public:
    explicit Msm(Curve &g) : G(g) {}

    void run(Point &result, const Affine *bases, const uint8_t *scalars, uint64_t n) {
        G.copy(result, G.zero());
        if (n == 0) return;
        const unsigned threads = (unsigned)omp_get_max_threads();

        // The bit lengths of the scalars of non-zero bases, for the window size.
        std::vector<uint64_t> hist((size_t)threads * (SCALAR_BITS + 1), 0);
#pragma omp parallel
        {
            uint64_t *h = &hist[(size_t)omp_get_thread_num() * (SCALAR_BITS + 1)];
#pragma omp for schedule(static)
            for (int64_t i = 0; i < (int64_t)n; i++) {
                if (G.isZero(const_cast<Affine &>(bases[i]))) continue;
                uint64_t limbs[4];
                memcpy(limbs, scalars + 32 * i, 32);
                unsigned len = 0;
                for (int l = 3; l >= 0; l--) {
                    if (limbs[l]) {
                        len = 64 * l + 64 - __builtin_clzll(limbs[l]);
                        break;
                    }
                }
                h[len < SCALAR_BITS ? len : SCALAR_BITS]++;
            }
        }
        for (unsigned t = 1; t < threads; t++)
            for (unsigned b = 0; b <= SCALAR_BITS; b++) hist[b] += hist[(size_t)t * (SCALAR_BITS + 1) + b];
        const unsigned c = msmWindowBits(hist.data(), threads);
        const unsigned nW = msmWindowCount(c);
        const int64_t half = (int64_t)1 << (c - 1);

        // digits[w * n + i]: the signed digit of scalar i in window w (0 for a zero base).
        std::vector<int32_t> digits((size_t)nW * n);
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < (int64_t)n; i++) {
            if (G.isZero(const_cast<Affine &>(bases[i]))) {
                for (unsigned w = 0; w < nW; w++) digits[(size_t)w * n + i] = 0;
                continue;
            }
            signedDigits(&digits[i], n, scalars + 32 * i, c, nW);
        }

        std::vector<Point> windowSums(nW);
#pragma omp parallel
        {
            Scratch s;
#pragma omp for schedule(dynamic, 1)
            for (int w = (int)nW - 1; w >= 0; w--) windowSum(windowSums[w], s, bases, &digits[(size_t)w * n], n, (uint64_t)half);
        }

        G.copy(result, windowSums[nW - 1]);
        for (int w = (int)nW - 2; w >= 0; w--) {
            for (unsigned k = 0; k < c; k++) G.dbl(result, result);
            G.add(result, result, windowSums[w]);
        }
    }

private:
    /** A thread's buffers, reused across its windows. */
    struct Scratch {
        std::vector<Affine> in, out, acc;
        std::vector<Elem> prefix;
        std::vector<uint8_t> isSpecial;
        std::vector<uint32_t> start, len, fill;
    };

    /**
     * Points of a window sorted and added per chunk (at least 2^14 and twice the buckets), each
     * bucket's running total kept in acc and added in with the chunk's points: the working set
     * stays in cache however many points there are.
     */
    static uint64_t chunkSize(uint64_t half) { return std::max<uint64_t>((uint64_t)1 << 14, 2 * half); }

    /** Σ d_i · base_i over the window's digits `dw` (in [-half, half]). */
    void windowSum(Point &res, Scratch &s, const Affine *bases, const int32_t *dw, uint64_t n, uint64_t half) {
        const uint64_t chunk = chunkSize(half);
        s.acc.assign(half, Affine());
        for (auto &a : s.acc) memset((void *)&a, 0, sizeof a);  // (0, 0): empty
        if (s.in.size() < chunk + half) {
            s.in.resize(chunk + half);
            s.out.resize(chunk + half);
            s.prefix.resize((chunk + half) / 2 + 1);
            s.isSpecial.resize((chunk + half) / 2 + 1);
        }
        s.start.resize(half + 1);
        s.len.resize(half);
        for (uint64_t c0 = 0; c0 < n; c0 += chunk) {
            const uint64_t c1 = std::min(n, c0 + chunk);
            // Counting sort of the chunk's points with a non-zero digit into their buckets
            // (|d| - 1), each non-empty bucket's running total first.
            std::fill(s.len.begin(), s.len.end(), 0);
            bool any = false;
            for (uint64_t i = c0; i < c1; i++) {
                if (dw[i]) {
                    s.len[(dw[i] > 0 ? dw[i] : -dw[i]) - 1]++;
                    any = true;
                }
            }
            if (!any) continue;
            s.start[0] = 0;
            for (uint64_t b = 0; b < half; b++) {
                if (s.len[b] && !isInfinity(s.acc[b])) s.len[b]++;
                s.start[b + 1] = s.start[b] + s.len[b];
            }
            s.fill.assign(s.start.begin(), s.start.end() - 1);
            for (uint64_t b = 0; b < half; b++)
                if (s.len[b] && !isInfinity(s.acc[b])) s.in[s.fill[b]++] = s.acc[b];
            for (uint64_t i = c0; i < c1; i++) {
                int32_t d = dw[i];
                if (!d) continue;
                Affine &dst = s.in[s.fill[(d > 0 ? d : -d) - 1]++];
                dst.x = bases[i].x;
                if (d > 0) dst.y = bases[i].y;
                else F::neg(dst.y, bases[i].y);
            }
            // Pairwise rounds until each bucket holds at most one point: its new total.
            for (;;) {
                uint32_t longest = 0;
                for (uint64_t b = 0; b < half; b++) longest = std::max(longest, s.len[b]);
                if (longest <= 1) break;
                addRound(s, half);
                std::swap(s.in, s.out);
            }
            for (uint64_t b = 0; b < half; b++)
                if (s.len[b]) s.acc[b] = s.in[s.start[b]];
        }

        // Σ k · bucket_k by running sums, from the highest non-empty bucket down.
        G.copy(res, G.zero());
        int64_t top = (int64_t)half - 1;
        while (top >= 0 && isInfinity(s.acc[top])) top--;
        Point running, sum;
        G.copy(running, G.zero());
        G.copy(sum, G.zero());
        for (int64_t b = top; b >= 0; b--) {
            if (!isInfinity(s.acc[b])) G.add(running, running, s.acc[b]);
            G.add(sum, sum, running);
        }
        G.copy(res, sum);
    }

    /** The point at infinity, (0, 0) in ffiasm's affine form. */
    static bool isInfinity(const Affine &a) { return isZeroAffine(a); }

    /** True if a + p needs the complete formulas: a point at infinity, or equal x (P + P, P − P). */
    static bool special(const Affine &a, const Affine &p) {
        return isInfinity(a) || isInfinity(p) || memcmp(&a.x, &p.x, sizeof(Elem)) == 0;
    }

    /** One round: in each bucket, in[2i] + in[2i+1] → out[i] (an odd last point is moved), sharing one inversion. */
    void addRound(Scratch &s, uint64_t half) {
        Elem acc, dx;
        F::one(acc);
        // Pass 1: prefix products of the denominators x_p − x_a.
        uint64_t k = 0;
        for (uint64_t b = 0; b < half; b++) {
            Affine *in = &s.in[s.start[b]];
            for (uint32_t i = 0; i + 1 < s.len[b]; i += 2, k++) {
                s.prefix[k] = acc;
                if ((s.isSpecial[k] = special(in[i], in[i + 1]))) continue;
                F::sub(dx, in[i + 1].x, in[i].x);
                F::mul(acc, acc, dx);
            }
        }
        Elem inv;
        F::inv(inv, acc);
        // Pass 2, backwards: each denominator's inverse, then the sum.
        Elem invk;
        for (int64_t b = (int64_t)half - 1; b >= 0; b--) {
            uint32_t L = s.len[b];
            Affine *in = &s.in[s.start[b]];
            Affine *out = &s.out[s.start[b]];
            if (L & 1) copyAffine(out[L / 2], in[L - 1]);
            for (int64_t i = (int64_t)(L / 2) - 1; i >= 0; i--) {
                k--;
                Affine &a = in[2 * i];
                Affine &p = in[2 * i + 1];
                if (s.isSpecial[k]) {
                    Point q;
                    G.copy(q, a);
                    G.add(q, q, p);
                    G.copy(out[i], q);  // to affine; the point at infinity is (0, 0)
                    continue;
                }
                F::mul(invk, inv, s.prefix[k]);
                F::sub(dx, p.x, a.x);
                F::mul(inv, inv, dx);
                addWithInverse<F>(out[i], a, p, invk);
            }
            s.len[b] = (L + 1) / 2;
        }
    }

    static void copyAffine(Affine &r, const Affine &a) { r = a; }
};

template <typename Curve>
void msm(Curve &G, typename Curve::Point &result, const typename Curve::PointAffine *bases, const uint8_t *scalars, uint64_t n) {
    Msm<Curve>(G).run(result, bases, scalars, n);
}

}  // namespace zkr
