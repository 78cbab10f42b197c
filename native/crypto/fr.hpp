// zkr native crypto — the BN254 scalar field Fr (p = 21888242871839275222246405745257275088548364400416034343698204186575808495617,
// the field of circom signals), in Montgomery form a·2^256 mod p on four little-endian 64-bit limbs.
//
// Every element is kept canonical (< p), so equality is a comparison of limbs. Multiplication is
// CIOS Montgomery in inline assembly with BMI2's mulx and ADX's two carry chains (adcx, adox): g++
// turns the same steps written with 128-bit products into about twice the time (measured 40 ns
// against 17–21 ns per product on the development machine). The dot products of Poseidon's
// matrices reduce lazily: the 512-bit products are summed and reduced once per output (Wide, mac,
// reduce), which is what makes a matrix row about 10 ns per term instead of 17.
//
// The limb arithmetic around the assembly (additions, conditional subtractions, the reductions'
// last steps) is plain C++ on 64-bit words, built with -fno-tree-slp-vectorize
// (src/proving/nativeCrypto.ts): g++'s vectoriser would turn it into 16-byte loads of words just
// stored one by one, each a stalled store-to-load forwarding.
//
// The addon checks at start-up that the CPU has BMI2 and ADX (x86-64 since 2013–2015) and refuses
// to load otherwise, and the JavaScript engine is used (src/proving/nativeCrypto.ts).
// MIT licence, part of zkr.
#pragma once

#include <cstdint>
#include <cstring>
#include <x86intrin.h>

#if !defined(__x86_64__)
#error "zkr's native crypto is x86-64 only (BMI2 and ADX inline assembly)"
#endif

namespace zkr {

typedef uint64_t u64;

#define ZKR_INLINE __attribute__((always_inline)) inline

/** A field element in Montgomery form, canonical: a·2^256 mod p, < p. */
struct Fr {
    u64 l[4];
};

namespace fr {

alignas(32) inline constexpr u64 P[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL, 0x30644e72e131a029ULL};
alignas(32) inline constexpr u64 P2[4] = {0x87c3eb27e0000002ULL, 0x5067d090f372e122ULL, 0x70a08b6d0302b0baULL, 0x60c89ce5c2634053ULL};
alignas(32) inline constexpr u64 P4[4] = {0x0f87d64fc0000004ULL, 0xa0cfa121e6e5c245ULL, 0xe14116da06056174ULL, 0xc19139cb84c680a6ULL};
/** −p⁻¹ mod 2^64: the Montgomery reduction's multiplier. */
inline constexpr u64 N0 = 0xc2e1f593efffffffULL;
/** 2^512 mod p: mul(x, R2) puts the integer x into Montgomery form. */
inline constexpr Fr R2 = {{0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL, 0x8c49833d53bb8085ULL, 0x0216d0b17f4e44a5ULL}};
/** 1 in Montgomery form (2^256 mod p). */
inline constexpr Fr ONE = {{0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL, 0x666ea36f7879462eULL, 0x0e0a77c19a07df2fULL}};
inline constexpr Fr ZERO = {{0, 0, 0, 0}};

/** Whether the integer w (four little-endian limbs) is below p. */
ZKR_INLINE bool below_p(const u64 w[4]) {
    for (int i = 3; i >= 0; i--)
        if (w[i] != P[i]) return w[i] < P[i];
    return false;
}

ZKR_INLINE bool eq(const Fr& a, const Fr& b) {
    return ((a.l[0] ^ b.l[0]) | (a.l[1] ^ b.l[1]) | (a.l[2] ^ b.l[2]) | (a.l[3] ^ b.l[3])) == 0;
}

ZKR_INLINE bool is_zero(const Fr& a) { return (a.l[0] | a.l[1] | a.l[2] | a.l[3]) == 0; }

/** r = r − m if that does not borrow (branch-free: the condition is data, about half the time). */
ZKR_INLINE void csub(u64 r[4], const u64 m[4]) {
    unsigned long long d0, d1, d2, d3;
    unsigned char b = _subborrow_u64(0, r[0], m[0], &d0);
    b = _subborrow_u64(b, r[1], m[1], &d1);
    b = _subborrow_u64(b, r[2], m[2], &d2);
    b = _subborrow_u64(b, r[3], m[3], &d3);
    u64 keep = (u64)0 - b;  // all ones when r < m
    r[0] = (r[0] & keep) | (d0 & ~keep);
    r[1] = (r[1] & keep) | (d1 & ~keep);
    r[2] = (r[2] & keep) | (d2 & ~keep);
    r[3] = (r[3] & keep) | (d3 & ~keep);
}

/** r = a + b: below 2p < 2^255, so one conditional subtraction. */
ZKR_INLINE void add(Fr& r, const Fr& a, const Fr& b) {
    unsigned long long s[4];
    unsigned char c = _addcarry_u64(0, a.l[0], b.l[0], &s[0]);
    c = _addcarry_u64(c, a.l[1], b.l[1], &s[1]);
    c = _addcarry_u64(c, a.l[2], b.l[2], &s[2]);
    _addcarry_u64(c, a.l[3], b.l[3], &s[3]);
    u64 t[4] = {s[0], s[1], s[2], s[3]};
    csub(t, P);
    memcpy(r.l, t, 32);
}

/** r = a − b: p added back when it borrows. */
ZKR_INLINE void sub(Fr& r, const Fr& a, const Fr& b) {
    unsigned long long d[4];
    unsigned char bw = _subborrow_u64(0, a.l[0], b.l[0], &d[0]);
    bw = _subborrow_u64(bw, a.l[1], b.l[1], &d[1]);
    bw = _subborrow_u64(bw, a.l[2], b.l[2], &d[2]);
    bw = _subborrow_u64(bw, a.l[3], b.l[3], &d[3]);
    u64 mask = (u64)0 - bw;
    unsigned long long s[4];
    unsigned char c = _addcarry_u64(0, d[0], P[0] & mask, &s[0]);
    c = _addcarry_u64(c, d[1], P[1] & mask, &s[1]);
    c = _addcarry_u64(c, d[2], P[2] & mask, &s[2]);
    _addcarry_u64(c, d[3], P[3] & mask, &s[3]);
    r.l[0] = s[0], r.l[1] = s[1], r.l[2] = s[2], r.l[3] = s[3];
}

ZKR_INLINE void neg(Fr& r, const Fr& a) { sub(r, ZERO, a); }

// One step of the Montgomery reduction on the five registers T0..T4 (T4 zero on entry):
// m = T0·N0 mod 2^64, T += m·p, after which T0 is zero and the value is T1..T4 (T·2^−64).
// adox carries the low halves of m·p, adcx the high halves. p's top limb is below 2^62, so the
// high half of m·p3 and the sum in T4 cannot carry out of T4.
#define ZKR_MP(OFF, TLO, THI) "mulxq " #OFF "(%[p]), %[lo], %[hi]\n\tadoxq %[lo], %[" #TLO "]\n\tadcxq %[hi], %[" #THI "]\n\t"
#define ZKR_RED(T0, T1, T2, T3, T4)                                                                \
    "movq %[" #T0 "], %%rdx\n\timulq %[n0], %%rdx\n\txorl %k[z], %k[z]\n\t" ZKR_MP(0, T0, T1) \
        ZKR_MP(8, T1, T2) ZKR_MP(16, T2, T3) ZKR_MP(24, T3, T4) "adoxq %[z], %[" #T4 "]\n\t"
// T0..T4 += a·b[OFF/8] (T4 zero on entry; the running value is below 2p, so the sum fits in T0..T4).
#define ZKR_MA(OFF, TLO, THI) "mulxq " #OFF "(%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" #TLO "]\n\tadcxq %[hi], %[" #THI "]\n\t"
#define ZKR_ROW(OFF, T0, T1, T2, T3, T4)                                                                      \
    "movq " #OFF "(%[b]), %%rdx\n\txorl %k[z], %k[z]\n\t" ZKR_MA(0, T0, T1) ZKR_MA(8, T1, T2) ZKR_MA(16, T2, T3) \
        ZKR_MA(24, T3, T4) "adoxq %[z], %[" #T4 "]\n\t"
// The result, below 2p, in R0..R3: minus p unless that borrows.
#define ZKR_FINAL_SUB(R0, R1, R2, R3)                                                                                        \
    "movq %[" #R0 "], %[lo]\n\tsubq (%[p]), %[lo]\n\tmovq %[" #R1 "], %[hi]\n\tsbbq 8(%[p]), %[hi]\n\t"                     \
    "movq %[" #R2 "], %[z]\n\tsbbq 16(%[p]), %[z]\n\tmovq %[" #R3 "], %%rdx\n\tsbbq 24(%[p]), %%rdx\n\t"                    \
    "cmovncq %[lo], %[" #R0 "]\n\tcmovncq %[hi], %[" #R1 "]\n\tcmovncq %[z], %[" #R2 "]\n\tcmovncq %%rdx, %[" #R3 "]\n\t"

// CIOS: a row of a·b[i], then a reduction step, four times; the result is below 2p for inputs
// below 2p (a·b < 4p² < p·2^256).
#define ZKR_CIOS                                                                    \
    "movq (%[b]), %%rdx\n\t"                                                        \
    "mulxq (%[a]), %[t0], %[t1]\n\t"                                                \
    "mulxq 8(%[a]), %[lo], %[t2]\n\taddq %[lo], %[t1]\n\t"                          \
    "mulxq 16(%[a]), %[lo], %[t3]\n\tadcq %[lo], %[t2]\n\t"                         \
    "mulxq 24(%[a]), %[lo], %[t4]\n\tadcq %[lo], %[t3]\n\tadcq $0, %[t4]\n\t"       \
    ZKR_RED(t0, t1, t2, t3, t4) ZKR_ROW(8, t1, t2, t3, t4, t0) ZKR_RED(t1, t2, t3, t4, t0) \
    ZKR_ROW(16, t2, t3, t4, t0, t1) ZKR_RED(t2, t3, t4, t0, t1) ZKR_ROW(24, t3, t4, t0, t1, t2) ZKR_RED(t3, t4, t0, t1, t2)
#define ZKR_CIOS_OPERANDS                                                                                                                  \
    : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z)      \
    : [a] "r"(a), [b] "r"(b), [p] "r"(P), [n0] "m"(N0), "m"(*(const u64(*)[4])a), "m"(*(const u64(*)[4])b), "m"(P) \
    : "rdx", "cc"

/** r = a·b·2^−256 mod p, canonical (a, b below 2p). */
ZKR_INLINE void mul(Fr& r, const Fr& a_, const Fr& b_) {
    u64 t0, t1, t2, t3, t4, lo, hi, z;
    const u64* a = a_.l;
    const u64* b = b_.l;
    asm(ZKR_CIOS ZKR_FINAL_SUB(t4, t0, t1, t2) ZKR_CIOS_OPERANDS);
    r.l[0] = t4, r.l[1] = t0, r.l[2] = t1, r.l[3] = t2;
}

/**
 * a·b·2^−256 mod p below 2p, not canonical (a, b below 2p): for a product that only feeds
 * another product (Poseidon's x² and x⁴), the final subtraction saved.
 */
ZKR_INLINE void mul_below2p(Fr& r, const Fr& a_, const Fr& b_) {
    u64 t0, t1, t2, t3, t4, lo, hi, z;
    const u64* a = a_.l;
    const u64* b = b_.l;
    asm(ZKR_CIOS ZKR_CIOS_OPERANDS);
    r.l[0] = t4, r.l[1] = t0, r.l[2] = t1, r.l[3] = t2;
}

ZKR_INLINE void sqr(Fr& r, const Fr& a) { mul(r, a, a); }

/** A sum of products, unreduced: below 2^512 (27·p²; reduce takes up to 22·p²). */
struct Wide {
    u64 w[8];
};

/** The 512-bit product a·b (schoolbook rows, adox for the low halves and adcx for the high). */
ZKR_INLINE void mul_wide(u64 t[8], const u64* a, const u64* b) {
    u64 t0, t1, t2, t3, t4, t5, t6, t7, lo, hi;
    // Each row adds a·b[i] into t[i..i+4]; its two carry chains end in t[i+4], which was zero, and
    // cannot carry further (a·b[i] + t < 2^(64(i+5))). `lo` is reused as the zero of the last adox.
#define ZKR_WROW(OFF, A, B, C, D, E)                                                                          \
    "movq " #OFF "(%[b]), %%rdx\n\txorl %k[" #E "], %k[" #E "]\n\t"                                            \
    "mulxq (%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" #A "]\n\tadcxq %[hi], %[" #B "]\n\t"                       \
    "mulxq 8(%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" #B "]\n\tadcxq %[hi], %[" #C "]\n\t"                      \
    "mulxq 16(%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" #C "]\n\tadcxq %[hi], %[" #D "]\n\t"                     \
    "mulxq 24(%[a]), %[lo], %[hi]\n\tadoxq %[lo], %[" #D "]\n\tadcxq %[" #E "], %[hi]\n\tmovl $0, %k[lo]\n\t" \
    "adoxq %[lo], %[hi]\n\tmovq %[hi], %[" #E "]\n\t"
    asm("movq (%[b]), %%rdx\n\t"
        "mulxq (%[a]), %[t0], %[t1]\n\t"
        "mulxq 8(%[a]), %[lo], %[t2]\n\taddq %[lo], %[t1]\n\t"
        "mulxq 16(%[a]), %[lo], %[t3]\n\tadcq %[lo], %[t2]\n\t"
        "mulxq 24(%[a]), %[lo], %[t4]\n\tadcq %[lo], %[t3]\n\tadcq $0, %[t4]\n\t"  //
        ZKR_WROW(8, t1, t2, t3, t4, t5)                                             //
        ZKR_WROW(16, t2, t3, t4, t5, t6)                                            //
        ZKR_WROW(24, t3, t4, t5, t6, t7)
        : [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3), [t4] "=&r"(t4), [t5] "=&r"(t5), [t6] "=&r"(t6), [t7] "=&r"(t7),
          [lo] "=&r"(lo), [hi] "=&r"(hi)
        : [a] "r"(a), [b] "r"(b), "m"(*(const u64(*)[4])a), "m"(*(const u64(*)[4])b)
        : "rdx", "cc");
#undef ZKR_WROW
    t[0] = t0, t[1] = t1, t[2] = t2, t[3] = t3, t[4] = t4, t[5] = t5, t[6] = t6, t[7] = t7;
}

/** acc += a·b. The caller keeps the sum below what reduce takes (22·p²). */
ZKR_INLINE void mac(Wide& acc, const Fr& a, const Fr& b) {
    u64 t[8];
    mul_wide(t, a.l, b.l);
    unsigned long long s;
    unsigned char c = 0;
    for (int i = 0; i < 8; i++) {
        c = _addcarry_u64(c, acc.w[i], t[i], &s);
        acc.w[i] = s;
    }
}

/**
 * r = acc·2^−256 mod p for acc below N·p² (a sum of N products of canonical elements is; N ≤ 22).
 * The low half is reduced (Montgomery, to at most p) and the high half added: the result is below
 * (1 + 0.19·N)·p < 2^256, then brought below p by subtracting 4p, 2p and p as that bound needs
 * (below 2p, without the last, unless Canonical).
 */
template <int N, bool Canonical = true>
ZKR_INLINE void reduce(Fr& r, const Wide& acc) {
    static_assert(N >= 1 && N <= 22, "(1 + 0.19·N)·p must stay below 2^256");
    u64 t0 = acc.w[0], t1 = acc.w[1], t2 = acc.w[2], t3 = acc.w[3], t4 = 0, lo, hi, z;
    asm(ZKR_RED(t0, t1, t2, t3, t4)  //
        ZKR_RED(t1, t2, t3, t4, t0)  //
        ZKR_RED(t2, t3, t4, t0, t1)  //
        ZKR_RED(t3, t4, t0, t1, t2)
        : [t0] "+&r"(t0), [t1] "+&r"(t1), [t2] "+&r"(t2), [t3] "+&r"(t3), [t4] "+&r"(t4), [lo] "=&r"(lo), [hi] "=&r"(hi), [z] "=&r"(z)
        : [p] "r"(P), [n0] "m"(N0), "m"(P)
        : "rdx", "cc");
    unsigned long long s[4];
    unsigned char c = _addcarry_u64(0, t4, acc.w[4], &s[0]);
    c = _addcarry_u64(c, t0, acc.w[5], &s[1]);
    c = _addcarry_u64(c, t1, acc.w[6], &s[2]);
    _addcarry_u64(c, t2, acc.w[7], &s[3]);
    u64 v[4] = {s[0], s[1], s[2], s[3]};
    if (N >= 16) csub(v, P4);
    if (N >= 6) csub(v, P2);
    if (Canonical) csub(v, P);
    memcpy(r.l, v, 32);
}

/** The Montgomery form of the integer w < p. */
ZKR_INLINE Fr from_int(const u64 w[4]) {
    Fr x, r;
    memcpy(x.l, w, 32);
    mul(r, x, R2);
    return r;
}

/** The integer (< p) a stands for. */
ZKR_INLINE void to_int(u64 w[4], const Fr& a) {
    Fr one = {{1, 0, 0, 0}}, r;
    mul(r, a, one);
    memcpy(w, r.l, 32);
}

}  // namespace fr
}  // namespace zkr
