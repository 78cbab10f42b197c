// zkr native crypto — BabyJubJub (the twisted Edwards curve a·x² + y² = 1 + d·x²·y² over Fr,
// a = 168700, d = 168696) and the Schnorr-128 verification rule of src/model/keys.ts
// verifySignature, which circuits/schnorr.circom checks too.
//
// Points are in extended coordinates (X : Y : T : Z), x = X/Z, y = Y/Z, T = XY/Z, with the
// addition and doubling formulas of Hisil, Wong, Carter and Dawson (2008). a is a square and d
// is not, so both are complete: no point of the curve, of any order, is an exceptional case, and
// every result is the point circomlibjs's affine addPoint computes. The parameters (a, d, Base8
// and the prime subgroup's order l) come from circomlibjs at start-up like Poseidon's constants.
// MIT licence, part of zkr.
#pragma once

#include "poseidon.hpp"

namespace zkr {

struct Point {
    Fr X, Y, T, Z;
};

struct BabyJub {
    Fr a, d;
    u64 l[4];  // the prime subgroup's order (an integer, not in Montgomery form)
    // Multiples 0..15 of Base8 and of 2^128·Base8: S·Base8 as two 128-bit halves of S.
    Point base[16], baseHigh[16];
};

namespace babyjub_detail {

inline Point identity() { return {fr::ZERO, fr::ONE, fr::ZERO, fr::ONE}; }

inline void add(const BabyJub& c, Point& r, const Point& p, const Point& q) {
    Fr A, B, C, D, E, F, G, H, s1, s2;
    fr::mul(A, p.X, q.X);
    fr::mul(B, p.Y, q.Y);
    fr::mul(C, p.T, q.T);
    fr::mul(C, C, c.d);
    fr::mul(D, p.Z, q.Z);
    fr::add(s1, p.X, p.Y);
    fr::add(s2, q.X, q.Y);
    fr::mul(E, s1, s2);
    fr::sub(E, E, A);
    fr::sub(E, E, B);
    fr::sub(F, D, C);
    fr::add(G, D, C);
    fr::mul(H, A, c.a);
    fr::sub(H, B, H);
    fr::mul(r.X, E, F);
    fr::mul(r.Y, G, H);
    fr::mul(r.T, E, H);
    fr::mul(r.Z, F, G);
}

inline void dbl(const BabyJub& c, Point& r, const Point& p) {
    Fr A, B, C, D, E, F, G, H, s;
    fr::sqr(A, p.X);
    fr::sqr(B, p.Y);
    fr::sqr(C, p.Z);
    fr::add(C, C, C);
    fr::mul(D, A, c.a);
    fr::add(s, p.X, p.Y);
    fr::sqr(E, s);
    fr::sub(E, E, A);
    fr::sub(E, E, B);
    fr::add(G, D, B);
    fr::sub(F, G, C);
    fr::sub(H, D, B);
    fr::mul(r.X, E, F);
    fr::mul(r.Y, G, H);
    fr::mul(r.T, E, H);
    fr::mul(r.Z, F, G);
}

inline Point affine(const Fr& x, const Fr& y) {
    Point p{x, y, {}, fr::ONE};
    fr::mul(p.T, x, y);
    return p;
}

inline bool on_curve(const BabyJub& c, const Fr& x, const Fr& y) {
    Fr x2, y2, l, r;
    fr::sqr(x2, x);
    fr::sqr(y2, y);
    fr::mul(l, x2, c.a);
    fr::add(l, l, y2);
    fr::mul(r, x2, y2);
    fr::mul(r, r, c.d);
    fr::add(r, r, fr::ONE);
    return fr::eq(l, r);
}

inline void table16(const BabyJub& c, Point t[16], const Point& p) {
    t[0] = identity();
    t[1] = p;
    for (int i = 2; i < 16; i++) {
        if (i % 2 == 0) dbl(c, t[i], t[i / 2]);
        else add(c, t[i], t[i - 1], p);
    }
}

/** The 4-bit digit `w` (0 = lowest) of the 128-bit scalar k (two limbs). */
inline unsigned digit(const u64 k[2], int w) { return (unsigned)(k[w / 16] >> (4 * (w % 16))) & 15; }

/** Whether the integer a (four limbs) is below b. */
inline bool below(const u64 a[4], const u64 b[4]) {
    for (int i = 3; i >= 0; i--)
        if (a[i] != b[i]) return a[i] < b[i];
    return false;
}

/** r = t[d], reading all 16 entries (no branch or address depends on d: d is a secret nonce's digit). */
inline void select16(Point& r, const Point t[16], unsigned d) {
    u64* out = r.X.l;  // X, Y, T, Z: 16 limbs in a row
    for (int j = 0; j < 16; j++) out[j] = 0;
    for (unsigned i = 0; i < 16; i++) {
        const u64 mask = 0 - (u64)(i == d);
        const u64* in = t[i].X.l;
        for (int j = 0; j < 16; j++) out[j] |= in[j] & mask;
    }
}

/** a⁻¹ = a^(p−2) (Fermat; the exponent is public, a may be secret: the same operations for every a). */
inline Fr inverse(const Fr& a) {
    const u64 e[4] = {fr::P[0] - 2, fr::P[1], fr::P[2], fr::P[3]};
    Fr r = fr::ONE;
    for (int i = 255; i >= 0; i--) {
        fr::sqr(r, r);
        if ((e[i / 64] >> (i % 64)) & 1) fr::mul(r, r, a);
    }
    return r;
}

}  // namespace babyjub_detail

/**
 * k·Base8 in affine coordinates (x, y integers below p), for 0 ≤ k < 2^256: the R8 of a signature,
 * k its secret nonce. The same sequence of field operations and memory reads for every k (4-bit
 * windows of k's two 128-bit halves over the tables of Base8 and 2^128·Base8, every window added,
 * the zero digit adding the identity, which the complete formulas allow; the tables read whole).
 */
inline void babyjub_mul_base8(const BabyJub& c, const u64 k[4], u64 x[4], u64 y[4]) {
    using namespace babyjub_detail;
    const u64 lo[2] = {k[0], k[1]}, hi[2] = {k[2], k[3]};
    Point q = identity(), t;
    for (int w = 31; w >= 0; w--) {
        for (int i = 0; i < 4; i++) dbl(c, q, q);
        select16(t, c.base, digit(lo, w));
        add(c, q, q, t);
        select16(t, c.baseHigh, digit(hi, w));
        add(c, q, q, t);
    }
    const Fr zi = inverse(q.Z);
    Fr ax, ay;
    fr::mul(ax, q.X, zi);
    fr::mul(ay, q.Y, zi);
    fr::to_int(x, ax);
    fr::to_int(y, ay);
}

/** The multiples of Base8 that verify uses, from Base8 (affine, on the curve). */
inline void babyjub_init_tables(BabyJub& c, const Fr& b8x, const Fr& b8y) {
    using namespace babyjub_detail;
    Point b = affine(b8x, b8y);
    table16(c, c.base, b);
    for (int i = 0; i < 128; i++) dbl(c, b, b);
    table16(c, c.baseHigh, b);
}

inline bool babyjub_on_curve(const BabyJub& c, const Fr& x, const Fr& y) { return babyjub_detail::on_curve(c, x, y); }

/** The integers of a signature check; `inRange` is false for a value JS sees as negative or of more than 256 bits. */
struct SignatureInput {
    u64 domain[4], word[4], R8x[4], R8y[4], S[4], ax[4], ay[4];
    bool inRange;
};

/**
 * The rule of src/model/keys.ts verifySignature: every coordinate and message field < p, S < l,
 * R8 and A on the curve, 8·A not the identity (on the curve, its x is 0 only then), and
 * S·B8 = R8 + c·(8·A) with c = Poseidon(R8x, R8y, ax, ay, domain, word) mod 2^128 (poseidon6: the
 * hash of six elements). Checked as S_low·B8 + S_high·(2^128·B8) + c·(−8·A) = R8, the three 128-bit
 * scalars in one pass of 4-bit windows (128 doublings).
 */
template <class Poseidon6>
bool babyjub_verify(const BabyJub& c, const Poseidon6& poseidon6, const SignatureInput& in) {
    using namespace babyjub_detail;
    if (!in.inRange) return false;
    for (const u64* v : {in.R8x, in.R8y, in.ax, in.ay, in.domain, in.word})
        if (!fr::below_p(v)) return false;
    if (!below(in.S, c.l)) return false;
    Fr rx = fr::from_int(in.R8x), ry = fr::from_int(in.R8y), ax = fr::from_int(in.ax), ay = fr::from_int(in.ay);
    if (!on_curve(c, rx, ry) || !on_curve(c, ax, ay)) return false;
    Point a8 = affine(ax, ay);
    for (int i = 0; i < 3; i++) dbl(c, a8, a8);
    if (fr::is_zero(a8.X)) return false;

    Fr h_in[6] = {rx, ry, ax, ay, fr::from_int(in.domain), fr::from_int(in.word)};
    u64 h[4];
    fr::to_int(h, poseidon6(h_in));
    const u64 ch[2] = {h[0], h[1]};  // c = the hash mod 2^128

    Point minusA8 = a8;
    fr::neg(minusA8.X, a8.X);
    fr::neg(minusA8.T, a8.T);
    Point ta[16];
    table16(c, ta, minusA8);
    const u64 sLow[2] = {in.S[0], in.S[1]}, sHigh[2] = {in.S[2], in.S[3]};
    Point q = identity();
    for (int w = 31; w >= 0; w--) {
        if (w != 31)
            for (int i = 0; i < 4; i++) dbl(c, q, q);
        if (unsigned d = digit(sLow, w)) add(c, q, q, c.base[d]);
        if (unsigned d = digit(sHigh, w)) add(c, q, q, c.baseHigh[d]);
        if (unsigned d = digit(ch, w)) add(c, q, q, ta[d]);
    }
    Fr x, y;
    fr::mul(x, rx, q.Z);
    fr::mul(y, ry, q.Z);
    return fr::eq(x, q.X) && fr::eq(y, q.Y);
}

}  // namespace zkr
