// zkr native Groth16 prover — inline modular addition, subtraction and negation for BN254's two
// 254-bit primes, on ffiasm's RawFq / RawFr element layout (4 little-endian 64-bit limbs; the
// Montgomery form is additive, so these need no R), for the hot loops: the MSMs' affine
// additions. Multiplication stays ffiasm's assembly: a C++ CIOS multiplication with 128-bit
// products (with or without the "no-carry" shortcut) measured 12–40 % slower on this machine.
// The primes are checked against ffiasm's at start-up (checkMontConstants).
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace zkr {

typedef unsigned __int128 u128;

template <uint64_t Q0, uint64_t Q1, uint64_t Q2, uint64_t Q3>
struct Mont {
    static constexpr uint64_t Q[4] = {Q0, Q1, Q2, Q3};
    static_assert(Q3 < ((uint64_t)1 << 62), "a + b must not overflow 256 bits");

    // Branch-free: whether a reduction is needed is data-dependent (about half the time), and
    // a mispredicted branch costs more than the masked arithmetic.

    __attribute__((always_inline)) static inline void add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
        u128 t = (u128)a[0] + b[0];
        uint64_t s0 = (uint64_t)t;
        t = (u128)a[1] + b[1] + (uint64_t)(t >> 64);
        uint64_t s1 = (uint64_t)t;
        t = (u128)a[2] + b[2] + (uint64_t)(t >> 64);
        uint64_t s2 = (uint64_t)t;
        uint64_t s3 = a[3] + b[3] + (uint64_t)(t >> 64);  // < 2q < 2^255: no carry out
        // d = s − q; keep s if that borrows.
        u128 d = (u128)s0 - Q0;
        uint64_t d0 = (uint64_t)d;
        d = (u128)s1 - Q1 - (uint64_t)(d >> 127);
        uint64_t d1 = (uint64_t)d;
        d = (u128)s2 - Q2 - (uint64_t)(d >> 127);
        uint64_t d2 = (uint64_t)d;
        d = (u128)s3 - Q3 - (uint64_t)(d >> 127);
        uint64_t d3 = (uint64_t)d;
        uint64_t keep = (uint64_t)0 - (uint64_t)(d >> 127);  // all ones if s < q
        r[0] = (s0 & keep) | (d0 & ~keep);
        r[1] = (s1 & keep) | (d1 & ~keep);
        r[2] = (s2 & keep) | (d2 & ~keep);
        r[3] = (s3 & keep) | (d3 & ~keep);
    }

    __attribute__((always_inline)) static inline void sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
        u128 t = (u128)a[0] - b[0];
        uint64_t r0 = (uint64_t)t;
        t = (u128)a[1] - b[1] - (uint64_t)(t >> 127);
        uint64_t r1 = (uint64_t)t;
        t = (u128)a[2] - b[2] - (uint64_t)(t >> 127);
        uint64_t r2 = (uint64_t)t;
        t = (u128)a[3] - b[3] - (uint64_t)(t >> 127);
        uint64_t r3 = (uint64_t)t;
        uint64_t mask = (uint64_t)0 - (uint64_t)(t >> 127);  // all ones on a borrow: add q back
        u128 s = (u128)r0 + (Q0 & mask);
        r[0] = (uint64_t)s;
        s = (u128)r1 + (Q1 & mask) + (uint64_t)(s >> 64);
        r[1] = (uint64_t)s;
        s = (u128)r2 + (Q2 & mask) + (uint64_t)(s >> 64);
        r[2] = (uint64_t)s;
        r[3] = r3 + (Q3 & mask) + (uint64_t)(s >> 64);
    }

    __attribute__((always_inline)) static inline void neg(uint64_t r[4], const uint64_t a[4]) {
        static const uint64_t zero[4] = {0, 0, 0, 0};
        sub(r, zero, a);
    }

    static inline bool isZero(const uint64_t a[4]) { return (a[0] | a[1] | a[2] | a[3]) == 0; }
};

typedef Mont<0x3c208c16d87cfd47, 0x97816a916871ca8d, 0xb85045b68181585d, 0x30644e72e131a029> MontFq;
typedef Mont<0x43e1f593f0000001, 0x2833e84879b97091, 0xb85045b68181585d, 0x30644e72e131a029> MontFr;

/** Throws unless the inline primes are ffiasm's (the generated fields' q). */
inline void checkMontConstants(const uint64_t *fqRawq, const uint64_t *frRawq) {
    if (memcmp(MontFq::Q, fqRawq, 32) != 0 || memcmp(MontFr::Q, frRawq, 32) != 0)
        throw std::runtime_error("internal error: the inline field constants are not ffiasm's primes");
}

}  // namespace zkr
