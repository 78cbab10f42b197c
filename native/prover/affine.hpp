// zkr native programs — affine points (ffiasm's layout: x, y in Montgomery form, the point at
// infinity (0, 0), which is also snarkjs's LEM encoding): the batch conversion of XYZZ points to
// affine form with one field inversion (Montgomery's trick), the affine addition once its
// denominator's inverse is known (the step every batch-affine loop shares; a doubling's too), and the encodings
// snarkjs hashes: uncompressed (LEMtoU) and compressed (LEMtoC).
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <cstdint>
#include <cstring>

#include "alt_bn128.hpp"
#include "field_ops.hpp"

namespace zkr {

/**
 * `n` points (XYZZ, none at infinity) in affine form, x = X/ZZ and y = Y/ZZZ, with one field
 * inversion for all (Montgomery's trick); `inv` and `prefix` hold 2n elements.
 */
template <typename Curve>
void toAffine(typename Curve::PointAffine *out, const typename Curve::Point *p, uint64_t n, decltype(Curve::PointAffine::x) *inv,
              decltype(Curve::PointAffine::x) *prefix) {
    typedef typename OpsFor<Curve>::T F;
    typedef decltype(Curve::PointAffine::x) Elem;
    if (n == 0) return;
    Elem acc;
    F::one(acc);
    for (uint64_t i = 0; i < 2 * n; i++) {
        prefix[i] = acc;
        F::mul(acc, acc, i & 1 ? p[i / 2].zzz : p[i / 2].zz);
    }
    Elem a;
    F::inv(a, acc);
    for (int64_t i = 2 * (int64_t)n - 1; i >= 0; i--) {
        F::mul(inv[i], a, prefix[i]);
        F::mul(a, a, i & 1 ? p[i / 2].zzz : p[i / 2].zz);
    }
    for (uint64_t i = 0; i < n; i++) {
        F::mul(out[i].x, p[i].x, inv[2 * i]);
        F::mul(out[i].y, p[i].y, inv[2 * i + 1]);
    }
}

/**
 * r = the third point, negated, on the line of slope λ through a and a point of x-coordinate px:
 * x = λ² − a.x − px, y = λ·(a.x − x) − a.y (1M + 1S). r may be a.
 */
template <typename F, typename Affine, typename Elem>
inline void fromSlope(Affine &r, const Affine &a, const Elem &px, const Elem &lambda) {
    Elem t, x;
    F::sqr(x, lambda);
    F::sub(x, x, a.x);
    F::sub(x, x, px);
    F::sub(t, a.x, x);
    F::mul(t, t, lambda);
    F::sub(r.y, t, a.y);
    r.x = x;
}

/** r = a + p for affine points with a.x ≠ p.x, given inv = 1/(p.x − a.x): λ = (p.y − a.y)·inv (2M + 1S). r may be a. */
template <typename F, typename Affine, typename Elem>
inline void addWithInverse(Affine &r, const Affine &a, const Affine &p, const Elem &inv) {
    Elem lambda;
    F::sub(lambda, p.y, a.y);
    F::mul(lambda, lambda, inv);
    fromSlope<F>(r, a, p.x, lambda);
}

/** r = 2a for an affine point with a.y ≠ 0 (on y² = x³ + b), given inv = 1/(2·a.y): λ = 3·a.x²·inv (2M + 2S). r may be a. */
template <typename F, typename Affine, typename Elem>
inline void doubleWithInverse(Affine &r, const Affine &a, const Elem &inv) {
    Elem lambda, t;
    F::sqr(t, a.x);
    F::add(lambda, t, t);
    F::add(lambda, lambda, t);
    F::mul(lambda, lambda, inv);
    fromSlope<F>(r, a, a.x, lambda);
}

/** Whether a value of whole 64-bit words (a field element, an affine point) is all zero. */
template <typename T>
inline bool isZeroElem(const T &e) {
    const uint64_t *w = (const uint64_t *)&e;
    uint64_t o = 0;
    for (size_t i = 0; i < sizeof(T) / 8; i++) o |= w[i];
    return o == 0;
}

/** Whether an affine point is the point at infinity, (0, 0). */
template <typename Affine>
inline bool isZeroAffine(const Affine &p) {
    return isZeroElem(p);
}

/** A coordinate (1 or 2 base-field elements, Montgomery form) out of Montgomery form, big-endian: an Fq2 as c1 ‖ c0. */
inline void coordinateBE(uint8_t *out, const uint8_t *raw, size_t elements) {
    for (size_t k = 0; k < elements; k++) {
        AltBn128::F1Element e, s;
        memcpy(e.v, raw + 32 * k, 32);
        AltBn128::F1.fromMontgomery(s, e);
        const uint8_t *b = (const uint8_t *)s.v;
        uint8_t *dst = out + (elements - 1 - k) * 32;
        for (int i = 0; i < 32; i++) dst[i] = b[31 - i];
    }
}

/** snarkjs's LEMtoU: each coordinate out of Montgomery form, big-endian (an Fq2 as c1 ‖ c0); the point at infinity stays zeros. */
template <typename Affine>
void toUncompressed(uint8_t *out, const Affine &p) {
    const size_t coordBytes = sizeof(Affine) / 2;
    if (isZeroAffine(p)) {
        memset(out, 0, sizeof(Affine));
        return;
    }
    coordinateBE(out, (const uint8_t *)&p.x, coordBytes / 32);
    coordinateBE(out + coordBytes, (const uint8_t *)&p.y, coordBytes / 32);
}

/**
 * snarkjs's LEMtoC: x as in toUncompressed, 0x80 set in its first byte if y is "negative" (its
 * last non-zero component, c1 before c0, above (q − 1)/2); the point at infinity is zeros with
 * 0x40 in the first byte.
 */
template <typename Affine>
void toCompressed(uint8_t *out, const Affine &p) {
    const size_t coordBytes = sizeof(Affine) / 2, elements = coordBytes / 32;
    if (isZeroAffine(p)) {
        memset(out, 0, coordBytes);
        out[0] = 0x40;
        return;
    }
    coordinateBE(out, (const uint8_t *)&p.x, elements);
    const uint8_t *y = (const uint8_t *)&p.y;
    for (size_t k = elements; k-- > 0;) {
        AltBn128::F1Element e, s;
        memcpy(e.v, y + 32 * k, 32);
        AltBn128::F1.fromMontgomery(s, e);
        if ((s.v[0] | s.v[1] | s.v[2] | s.v[3]) == 0) continue;
        // s > (q − 1)/2, i.e. 2s > q − 1 (2s < 2^255 fits in 4 limbs, q is odd).
        uint64_t d[4];
        for (int l = 3; l > 0; l--) d[l] = (s.v[l] << 1) | (s.v[l - 1] >> 63);
        d[0] = s.v[0] << 1;
        bool above = false;
        for (int l = 3; l >= 0; l--) {
            if (d[l] != Fq_rawq[l]) {
                above = d[l] > Fq_rawq[l];
                break;
            }
        }
        if (above) out[0] |= 0x80;
        break;
    }
}

}  // namespace zkr
