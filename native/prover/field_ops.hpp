// zkr native Groth16 prover — the base-field operations of G1 (Fq) and G2 (Fq2 = Fq[u]/(u² + 1))
// that the MSM's hot loops use: additions inline (mont.hpp), multiplications and the rare
// inversions ffiasm's. OpsFor<Curve> picks them for a curve type.
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include "alt_bn128.hpp"
#include "mont.hpp"

namespace zkr {

struct FqOps {
    typedef AltBn128::F1Element E;
    __attribute__((always_inline)) static inline void add(E &r, const E &a, const E &b) { MontFq::add(r.v, a.v, b.v); }
    __attribute__((always_inline)) static inline void sub(E &r, const E &a, const E &b) { MontFq::sub(r.v, a.v, b.v); }
    __attribute__((always_inline)) static inline void neg(E &r, const E &a) { MontFq::neg(r.v, a.v); }
    __attribute__((always_inline)) static inline void mul(E &r, const E &a, const E &b) { Fq_rawMMul(r.v, a.v, b.v); }
    __attribute__((always_inline)) static inline void sqr(E &r, const E &a) { Fq_rawMSquare(r.v, a.v); }
    __attribute__((always_inline)) static inline void inv(E &r, const E &a) { AltBn128::F1.inv(r, a); }
    __attribute__((always_inline)) static inline void one(E &r) { r = AltBn128::F1.one(); }
};

struct Fq2Ops {
    typedef AltBn128::F2Element E;
    __attribute__((always_inline)) static inline void add(E &r, const E &x, const E &y) {
        FqOps::add(r.a, x.a, y.a);
        FqOps::add(r.b, x.b, y.b);
    }
    __attribute__((always_inline)) static inline void sub(E &r, const E &x, const E &y) {
        FqOps::sub(r.a, x.a, y.a);
        FqOps::sub(r.b, x.b, y.b);
    }
    __attribute__((always_inline)) static inline void neg(E &r, const E &x) {
        FqOps::neg(r.a, x.a);
        FqOps::neg(r.b, x.b);
    }
    /** Karatsuba with u² = −1: 3 multiplications. */
    __attribute__((always_inline)) static inline void mul(E &r, const E &x, const E &y) {
        AltBn128::F1Element v0, v1, sx, sy;
        FqOps::mul(v0, x.a, y.a);
        FqOps::mul(v1, x.b, y.b);
        FqOps::add(sx, x.a, x.b);
        FqOps::add(sy, y.a, y.b);
        FqOps::mul(sx, sx, sy);
        FqOps::sub(r.a, v0, v1);
        FqOps::sub(sx, sx, v0);
        FqOps::sub(r.b, sx, v1);
    }
    /** (a + bu)² = (a + b)(a − b) + 2ab·u: 2 multiplications. */
    __attribute__((always_inline)) static inline void sqr(E &r, const E &x) {
        AltBn128::F1Element s, d, p;
        FqOps::add(s, x.a, x.b);
        FqOps::sub(d, x.a, x.b);
        FqOps::mul(p, x.a, x.b);
        FqOps::mul(r.a, s, d);
        FqOps::add(r.b, p, p);
    }
    __attribute__((always_inline)) static inline void inv(E &r, const E &a) { AltBn128::F2.inv(r, const_cast<E &>(a)); }
    __attribute__((always_inline)) static inline void one(E &r) { r = AltBn128::F2.one(); }
};

template <typename Curve>
struct OpsFor;
template <>
struct OpsFor<Curve<RawFq>> {
    typedef FqOps T;
};
template <>
struct OpsFor<Curve<F2Field<RawFq>>> {
    typedef Fq2Ops T;
};

}  // namespace zkr
