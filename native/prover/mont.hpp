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
    // a mispredicted branch costs more than the masked arithmetic. Inline assembly: g++ makes
    // 35–90 instructions with spills of the same steps in C++ (its 128-bit and carry
    // intrinsics), here they are one carry chain each.

    /** r = a + b mod q (a, b < q): s = a + b, s − q if that does not borrow. */
    __attribute__((always_inline)) static inline void add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
        uint64_t s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3], d0, d1, d2, d3;
        __asm__("addq %[b0], %[s0]\n\t"
                "adcq %[b1], %[s1]\n\t"
                "adcq %[b2], %[s2]\n\t"
                "adcq %[b3], %[s3]\n\t"  // < 2q < 2^255: no carry out
                "movq %[s0], %[d0]\n\t"
                "movq %[s1], %[d1]\n\t"
                "movq %[s2], %[d2]\n\t"
                "movq %[s3], %[d3]\n\t"
                "subq %[q0], %[d0]\n\t"
                "sbbq %[q1], %[d1]\n\t"
                "sbbq %[q2], %[d2]\n\t"
                "sbbq %[q3], %[d3]\n\t"
                "cmovncq %[d0], %[s0]\n\t"
                "cmovncq %[d1], %[s1]\n\t"
                "cmovncq %[d2], %[s2]\n\t"
                "cmovncq %[d3], %[s3]"
                : [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [s3] "+&r"(s3), [d0] "=&r"(d0), [d1] "=&r"(d1), [d2] "=&r"(d2), [d3] "=&r"(d3)
                : [b0] "m"(b[0]), [b1] "m"(b[1]), [b2] "m"(b[2]), [b3] "m"(b[3]), [q0] "m"(Q[0]), [q1] "m"(Q[1]), [q2] "m"(Q[2]), [q3] "m"(Q[3])
                : "cc");
        r[0] = s0;
        r[1] = s1;
        r[2] = s2;
        r[3] = s3;
    }

    /** r = a − b mod q (a, b < q): a − b, plus q if that borrows. */
    __attribute__((always_inline)) static inline void sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
        uint64_t s0 = a[0], s1 = a[1], s2 = a[2], s3 = a[3], t0, t1, t2, t3;
        __asm__("subq %[b0], %[s0]\n\t"
                "sbbq %[b1], %[s1]\n\t"
                "sbbq %[b2], %[s2]\n\t"
                "sbbq %[b3], %[s3]\n\t"
                "sbbq %[t0], %[t0]\n\t"  // all ones on a borrow
                "movq %[t0], %[t1]\n\t"
                "movq %[t0], %[t2]\n\t"
                "movq %[t0], %[t3]\n\t"
                "andq %[q0], %[t0]\n\t"
                "andq %[q1], %[t1]\n\t"
                "andq %[q2], %[t2]\n\t"
                "andq %[q3], %[t3]\n\t"
                "addq %[t0], %[s0]\n\t"
                "adcq %[t1], %[s1]\n\t"
                "adcq %[t2], %[s2]\n\t"
                "adcq %[t3], %[s3]"
                : [s0] "+&r"(s0), [s1] "+&r"(s1), [s2] "+&r"(s2), [s3] "+&r"(s3), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
                : [b0] "m"(b[0]), [b1] "m"(b[1]), [b2] "m"(b[2]), [b3] "m"(b[3]), [q0] "m"(Q[0]), [q1] "m"(Q[1]), [q2] "m"(Q[2]), [q3] "m"(Q[3])
                : "cc");
        r[0] = s0;
        r[1] = s1;
        r[2] = s2;
        r[3] = s3;
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
