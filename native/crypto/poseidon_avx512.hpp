// zkr native crypto — Poseidon of 2 to 8 inputs (widths t = 3..9) with AVX-512 IFMA
// (vpmadd52luq/huq: eight 52-bit multiply-adds an instruction), the same permutation as
// poseidon.hpp, used where the CPU has it (Intel since Ice Lake, AMD since Zen 4). Poseidon(8) is
// 63 partial rounds and 8 full ones of width 9, about 2,000 products of 256-bit elements: at 16
// mulx a product and one mulx a cycle, more than 10 µs however the scalar code is written (it
// measures 30 µs of CPU on the development machine, this path 12 µs, both under load).
//
// The state's element 0 stays scalar (poseidon.hpp's Fr, Montgomery R = 2^256): the S-box of a
// partial round applies to it alone, a chain of dependent multiplications where latency counts.
// Elements 1..t−1 are the eight lanes of a vector V of five 52-bit limbs (lanes past t−1 zero and
// kept zero by zero constants), in Montgomery form of R = 2^260: lane k holds s_{k+1}·2^260 mod p,
// not fully reduced (below 2.06p), limbs normalised (< 2^52) as IFMA reads only 52 bits.
// The two forms meet through pre-scaled constants rather than conversions: a vector Montgomery
// product divides by 2^260, so a scalar value x·2^256 broadcast into lanes times a constant
// c·2^264 gives x·c·2^260 (a lane value), a lane value times c·2^260 stays one, and the raw
// (unreduced) products of lane values with c·2^252, summed over the lanes and added to a scalar
// Wide, come out of the scalar reduction (÷ 2^256) as scalar values. Each matrix product is
// summed unreduced and reduced once, per output lane and for element 0.
//
// Per partial round: x = s0⁵ + c (scalar), s0' = S0·x + Σ_k W_k·s_k (the lanes' products summed
// horizontally into the scalar accumulator), V' = V + x·U (lane-wise, V added into the product
// before its reduction; then p subtracted from the lanes above p, which keeps V below
// 1.21p + 63·0.012p < 2p). The bounds that keep every sum within 512 bits are in the comments below.
// MIT licence, part of zkr.
#pragma once

#include <immintrin.h>

#include "poseidon.hpp"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512ifma")

namespace zkr {

/** Eight integers of five 52-bit limbs, in memory (lane-major per limb), for constants. */
struct alignas(64) Lanes {
    u64 l[5][8];
};

/** The vector constants of one width t ≤ 9 (lane k of each for state element k + 1). */
struct PoseidonVec {
    struct Matrix {
        Fr m00;        // M[0][0] (scalar form): element 0's coefficient of element 0
        Lanes row0;    // M[0][k+1]·2^252: element 0's coefficients of the lanes
        Lanes col[9];  // col[0]: M[k+1][0]·2^264 (times the broadcast scalar s0); col[j ≥ 1]: M[k+1][j]·2^260
    };
    Matrix M, P;
    Lanes C[7];                       // the full rounds' constants of elements 1..t−1 (the last round has none)
    std::vector<Lanes> W, U;          // per partial round: S[k+1]·2^252 (into s0'), S[t+k]·2^264 (x into the lanes)
    Lanes toLanes;                    // 2^264: a scalar value times it is its lane value
};

namespace avx512_detail {

struct V {
    __m512i l[5];
};
/** Raw products, ten columns of 52 bits (each lane's column below 2^60 for the sums used here). */
struct Acc {
    __m512i c[10];
};

inline constexpr u64 MASK52 = (1ULL << 52) - 1;
inline constexpr u64 P52[5] = {0x1f593f0000001ULL, 0x4879b9709143eULL, 0x181585d2833e8ULL, 0xa029b85045b68ULL, 0x030644e72e131ULL};
/** −p⁻¹ mod 2^52. */
inline constexpr u64 N0_52 = 0x1f593efffffffULL;
/** The top limb of p: a lane whose top limb is above it is above p. */
inline constexpr u64 P_TOP = 0x30644e72e131ULL;

ZKR_INLINE V load(const Lanes& c) {
    V v;
    for (int k = 0; k < 5; k++) v.l[k] = _mm512_load_si512(c.l[k]);
    return v;
}

/** The five 52-bit limbs of the integer x (four 64-bit limbs). */
ZKR_INLINE void limbs52(u64 out[5], const u64 x[4]) {
    out[0] = x[0] & MASK52;
    out[1] = ((x[0] >> 52) | (x[1] << 12)) & MASK52;
    out[2] = ((x[1] >> 40) | (x[2] << 24)) & MASK52;
    out[3] = ((x[2] >> 28) | (x[3] << 36)) & MASK52;
    out[4] = x[3] >> 16;
}

/** Every lane the integer x (a scalar Fr's Montgomery form, x·2^256). */
ZKR_INLINE V broadcast(const Fr& x) {
    u64 w[5];
    limbs52(w, x.l);
    V v;
    for (int k = 0; k < 5; k++) v.l[k] = _mm512_set1_epi64((long long)w[k]);
    return v;
}

/** Every lane what lane j of v holds. */
ZKR_INLINE V lane(const V& v, int j) {
    const __m512i idx = _mm512_set1_epi64(j);
    V r;
    for (int k = 0; k < 5; k++) r.l[k] = _mm512_permutexvar_epi64(idx, v.l[k]);
    return r;
}

ZKR_INLINE void zero(Acc& a) {
    for (auto& c : a.c) c = _mm512_setzero_si512();
}

/** a += x·y lane-wise (x and y with normalised limbs). */
ZKR_INLINE void mac(Acc& a, const V& x, const V& y) {
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            a.c[i + j] = _mm512_madd52lo_epu64(a.c[i + j], x.l[i], y.l[j]);
            a.c[i + j + 1] = _mm512_madd52hi_epu64(a.c[i + j + 1], x.l[i], y.l[j]);
        }
}

ZKR_INLINE void mac(Acc& a, const V& x, const Lanes& y) { mac(a, x, load(y)); }

/** a += v·2^260: v added to the product before its reduction, which then yields product/2^260 + v. */
ZKR_INLINE void addShifted(Acc& a, const V& v) {
    for (int k = 0; k < 5; k++) a.c[5 + k] = _mm512_add_epi64(a.c[5 + k], v.l[k]);
}

/** Carries every limb's bits above 52 into the next one (the top limb keeps its own). */
ZKR_INLINE void normalise(V& v) {
    const __m512i mask = _mm512_set1_epi64((long long)MASK52);
    for (int k = 0; k < 4; k++) {
        v.l[k + 1] = _mm512_add_epi64(v.l[k + 1], _mm512_srli_epi64(v.l[k], 52));
        v.l[k] = _mm512_and_si512(v.l[k], mask);
    }
}

/**
 * a·2^−260 mod p lane-wise (Montgomery): five steps of m = c_i·(−p⁻¹) mod 2^52, a += m·p·2^(52i),
 * carry. The result is below a/2^260 + p, limbs normalised.
 */
ZKR_INLINE V reduce(Acc& a) {
    const __m512i n0 = _mm512_set1_epi64((long long)N0_52), z = _mm512_setzero_si512();
    __m512i p[5];
    for (int j = 0; j < 5; j++) p[j] = _mm512_set1_epi64((long long)P52[j]);
    for (int i = 0; i < 5; i++) {
        const __m512i m = _mm512_madd52lo_epu64(z, a.c[i], n0);
        for (int j = 0; j < 5; j++) {
            a.c[i + j] = _mm512_madd52lo_epu64(a.c[i + j], m, p[j]);
            a.c[i + j + 1] = _mm512_madd52hi_epu64(a.c[i + j + 1], m, p[j]);
        }
        a.c[i + 1] = _mm512_add_epi64(a.c[i + 1], _mm512_srli_epi64(a.c[i], 52));
    }
    V r;
    for (int k = 0; k < 5; k++) r.l[k] = a.c[5 + k];
    normalise(r);
    return r;
}

ZKR_INLINE V mul(const V& x, const V& y) {
    Acc a;
    zero(a);
    mac(a, x, y);
    return reduce(a);
}

/** x⁵ lane-wise: for x below 2.06p every product is below 1.06p. */
ZKR_INLINE V pow5(const V& x) {
    V x2 = mul(x, x);
    V x4 = mul(x2, x2);
    return mul(x4, x);
}

ZKR_INLINE V addConst(const V& x, const Lanes& c) {
    V r;
    for (int k = 0; k < 5; k++) r.l[k] = _mm512_add_epi64(x.l[k], _mm512_load_si512(c.l[k]));
    normalise(r);
    return r;
}

/** p subtracted from the lanes whose top limb is above p's (they are above p), limbs normalised again. */
ZKR_INLINE void subtractPAbove(V& v) {
    const __mmask8 above = _mm512_cmpgt_epu64_mask(v.l[4], _mm512_set1_epi64((long long)P_TOP));
    for (int k = 0; k < 5; k++) v.l[k] = _mm512_mask_sub_epi64(v.l[k], above, v.l[k], _mm512_set1_epi64((long long)P52[k]));
    const __m512i mask = _mm512_set1_epi64((long long)MASK52);
    for (int k = 0; k < 4; k++) {  // borrows: a limb below zero passes −1 (arithmetic shift) to the next
        v.l[k + 1] = _mm512_add_epi64(v.l[k + 1], _mm512_srai_epi64(v.l[k], 52));
        v.l[k] = _mm512_and_si512(v.l[k], mask);
    }
}

/**
 * acc += Σ over the lanes of a's raw products, as the 512-bit integer they make. The caller keeps
 * the total below 2^512 (the sums here are below 19p² < 2^511.5).
 */
ZKR_INLINE void addLanes(fr::Wide& acc, const Acc& a) {
    // The lane sums of columns 0..7 at once, by a transposition: pairs of lanes, then of 128-bit
    // blocks, then of halves (21 instructions for the eight, against 7 each one by one).
    const __m512i* col = a.c;
    __m512i t[4], u[2];
    for (int i = 0; i < 4; i++)
        t[i] = _mm512_add_epi64(_mm512_unpacklo_epi64(col[2 * i], col[2 * i + 1]), _mm512_unpackhi_epi64(col[2 * i], col[2 * i + 1]));
    for (int i = 0; i < 2; i++)
        u[i] = _mm512_add_epi64(_mm512_shuffle_i64x2(t[2 * i], t[2 * i + 1], 0x88), _mm512_shuffle_i64x2(t[2 * i], t[2 * i + 1], 0xdd));
    alignas(64) u64 sums[8];
    _mm512_store_si512(sums, _mm512_add_epi64(_mm512_shuffle_i64x2(u[0], u[1], 0x88), _mm512_shuffle_i64x2(u[0], u[1], 0xdd)));
    u64 limb[10], carry = 0;
    for (int k = 0; k < 10; k++) {  // each column's lane sum is below 8·2^60; carried into 52-bit limbs
        const u64 v = (k < 8 ? sums[k] : (u64)_mm512_reduce_add_epi64(col[k])) + carry;
        limb[k] = v & MASK52;
        carry = v >> 52;
    }
    // The total is below 2^512: nothing is carried out of the top limb, which is below 2^44.
    u64 w[8] = {};
    for (int k = 0; k < 10; k++) {
        const int bit = 52 * k, i = bit / 64, sh = bit % 64;
        w[i] |= limb[k] << sh;
        if (sh > 12 && i + 1 < 8) w[i + 1] |= limb[k] >> (64 - sh);
    }
    unsigned long long s;
    unsigned char c = 0;
    for (int i = 0; i < 8; i++) {
        c = _addcarry_u64(c, acc.w[i], w[i], &s);
        acc.w[i] = s;
    }
}

/**
 * The matrix m applied to (s0, v): element 0 (scalar, canonical) returned, the lanes into *vout
 * unless it is null. With s0 < p and the lanes below 2.06p (an S-box's result, below 1.06p, plus
 * a constant) every sum is below p² + 8·2.06p·p < 18p²; the lanes come out below 1.21p.
 */
template <int T>
ZKR_INLINE Fr matrix(const PoseidonVec::Matrix& m, const Fr& s0, const V& v, V* vout) {
    if (vout) {
        Acc a;
        zero(a);
        mac(a, broadcast(s0), m.col[0]);
        for (int j = 1; j < T; j++) mac(a, lane(v, j - 1), m.col[j]);
        *vout = reduce(a);
    }
    Acc a0;
    zero(a0);
    mac(a0, v, m.row0);
    fr::Wide w = {};
    fr::mac(w, m.m00, s0);
    addLanes(w, a0);
    Fr r;
    fr::reduce<18>(r, w);
    return r;
}

template <int T>
void permute(const PoseidonWidth& pw, const PoseidonVec& pv, Fr* s) {
    static_assert(T >= 2 && T <= 9, "the lanes hold state elements 1..8");
    using poseidon_detail::pow5;
    const Fr* C = pw.C.data();
    const int half = POSEIDON_FULL_ROUNDS / 2;
    for (int i = 0; i < T; i++) fr::add(s[i], s[i], C[i]);
    // Elements 1..T−1 into the lanes: their scalar forms times 2^264 (÷ 2^260).
    alignas(64) Lanes in = {};
    for (int k = 0; k + 1 < T; k++) {
        u64 w[5];
        limbs52(w, s[k + 1].l);
        for (int i = 0; i < 5; i++) in.l[i][k] = w[i];
    }
    V v = mul(load(in), load(pv.toLanes));
    Fr s0 = s[0];
    for (int r = 0; r < half; r++) {
        pow5(s0);
        fr::add(s0, s0, C[(r + 1) * T]);
        v = addConst(avx512_detail::pow5(v), pv.C[r]);
        V next;
        s0 = matrix<T>(r < half - 1 ? pv.M : pv.P, s0, v, &next);
        v = next;
    }
    const Fr* Cp = C + (half + 1) * T;
    const Fr* S = pw.S.data();
    for (int r = 0; r < pw.partialRounds; r++) {
        // s0' = S0·x + Σ W_k·s_k: the lanes' part does not wait for x, the scalar chain does. The
        // sum reduced is below p² + 8·1.97p·p < 17p².
        Acc d;
        zero(d);
        mac(d, v, pv.W[r]);
        Fr x = s0;
        pow5(x);
        fr::add(x, x, Cp[r]);
        fr::Wide w = {};
        addLanes(w, d);
        fr::mac(w, S[(2 * T - 1) * r], x);
        fr::reduce<17, false>(s0, w);  // below 2p: it only feeds the next x⁵ (and the full rounds' first)
        // V' = V + x·U: below V + 1.012p, and p off the lanes above p. So a lane stays below
        // p + 2^208, or gains at most 0.012p a round from the full rounds' 1.21p: below 1.97p.
        Acc a;
        zero(a);
        mac(a, broadcast(x), pv.U[r]);
        addShifted(a, v);
        v = reduce(a);
        subtractPAbove(v);
    }
    for (int r = 0; r < half; r++) {
        pow5(s0);
        v = avx512_detail::pow5(v);
        if (r < half - 1) {
            fr::add(s0, s0, Cp[pw.partialRounds + r * T]);
            v = addConst(v, pv.C[half + r]);
        }
        V next;
        s0 = matrix<T>(pv.M, s0, v, r < half - 1 ? &next : nullptr);  // the last round: element 0 alone
        v = next;
    }
    s[0] = s0;
}

/** 2^k in Montgomery form. */
inline Fr pow2(int k) {
    Fr x = fr::ONE;
    for (int i = 0; i < k; i++) fr::add(x, x, x);
    return x;
}

/** Lane `lane` of `out`: the integer c·2^k mod p for the element c (Montgomery form) and scale = pow2(k). */
inline void setLane(Lanes& out, int lane, const Fr& c, const Fr& scale) {
    Fr x;
    fr::mul(x, c, scale);
    u64 w[4], l[5];
    fr::to_int(w, x);
    limbs52(l, w);
    for (int i = 0; i < 5; i++) out.l[i][lane] = l[i];
}

inline void setMatrix(PoseidonVec::Matrix& m, const std::vector<Fr>& mt, int t) {
    const Fr s252 = pow2(252), s260 = pow2(260), s264 = pow2(264);
    m.m00 = mt[0];
    m.row0 = {};
    for (int j = 0; j < 9; j++) m.col[j] = {};
    for (int k = 0; k + 1 < t; k++) {
        setLane(m.row0, k, mt[k + 1], s252);
        for (int j = 0; j < t; j++) setLane(m.col[j], k, mt[(k + 1) * t + j], j == 0 ? s264 : s260);
    }
}

}  // namespace avx512_detail

/** The vector constants of a width t ≤ 9 from its scalar ones. */
inline PoseidonVec poseidon_avx512_constants(const PoseidonWidth& w) {
    using namespace avx512_detail;
    const int t = w.t, half = POSEIDON_FULL_ROUNDS / 2;
    const Fr s252 = pow2(252), s260 = pow2(260), s264 = pow2(264);
    PoseidonVec v;
    setMatrix(v.M, w.Mt, t);
    setMatrix(v.P, w.Pt, t);
    v.toLanes = {};
    for (int r = 0; r < 7; r++) {
        v.C[r] = {};
        // Rounds 0..3 take C[(r+1)t + i]; rounds 4..6 (the second half's first three) C[(5 + r − 4)t + partial + i].
        const int base = r < half ? (r + 1) * t : (half + 1 + r - half) * t + w.partialRounds;
        for (int k = 0; k + 1 < t; k++) setLane(v.C[r], k, w.C[base + k + 1], s260);
    }
    v.W.assign(w.partialRounds, Lanes{});
    v.U.assign(w.partialRounds, Lanes{});
    for (int r = 0; r < w.partialRounds; r++)
        for (int k = 0; k + 1 < t; k++) {
            setLane(v.W[r], k, w.S[(2 * t - 1) * r + k + 1], s252);
            setLane(v.U[r], k, w.S[(2 * t - 1) * r + t + k], s264);
        }
    for (int k = 0; k < 8; k++) setLane(v.toLanes, k, fr::ONE, s264);
    return v;
}

/** Poseidon with AVX-512 IFMA (the width's vector constants `pv`); the same answer as poseidon(). */
inline Fr poseidon_avx512(const PoseidonWidth& w, const PoseidonVec& pv, const Fr* inputs) {
    Fr s[POSEIDON_MAX_T];
    s[0] = fr::ZERO;
    for (int i = 1; i < w.t; i++) s[i] = inputs[i - 1];
    switch (w.t) {
#define ZKR_T(T) \
    case T: avx512_detail::permute<T>(w, pv, s); break;
        ZKR_T(2) ZKR_T(3) ZKR_T(4) ZKR_T(5) ZKR_T(6) ZKR_T(7) ZKR_T(8) ZKR_T(9)
#undef ZKR_T
    }
    return s[0];
}

}  // namespace zkr

#pragma GCC pop_options
