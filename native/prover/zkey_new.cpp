// zkr native `zkey new` (BN254): the phase-2 initial key snarkjs's zkey_new.js writes, byte for
// byte, computed natively on every core.
//
//   zkr-prover zkey-new [-v] [--stats] [--h-past-end <hex>] <circuit.r1cs> <pot.ptau> <circuit_0000.zkey>
//
// Reads a circom .r1cs and a snarkjs .ptau prepared for phase 2 (its Lagrange sections 12–15),
// checks them (file format, section sizes, BN254's primes, every signal index and coefficient of
// the constraints, every ptau point it uses on its curve, the ptau large enough for the
// circuit), and writes the key: the Groth16 header (α, β from the ptau; γ = δ = the generators),
// the coefficients (A and B, times R² as snarkjs stores them), for every signal the linear
// combinations of the ptau's Lagrange points (IC and C: β·A + α·B + C; A; B in G1 and G2), the
// H points (the odd Lagrange points of the doubled domain), and the contribution list: none, and
// the circuit hash, blake2b-512 over the key's points in snarkjs's order and encoding (the H
// part over τ^(i+n) − τ^i from the ptau's powers, as snarkjs hashes it).
// The key is written to <out>.tmp-<pid> and renamed at the end: on any error there is no output
// file, one line "zkr-prover zkey-new: <why>" on stderr and exit code 1.
//
// A circuit that fills the ptau's whole domain (2^15 or more): snarkjs's hash of the H points
// then reads one point past the end of the ptau's τ section, the 64 bytes that follow it in the
// file (in a snarkjs ptau, section 3's header and the start of τG2[0]), and takes its
// difference with τ^(n−1) in its wasm field arithmetic on those unreduced values. That result
// is not reproduced here: `--h-past-end <128 hex digits>` gives the 64 bytes snarkjs hashes for
// it (src/proving/ptau.ts snarkjsPastEndHPoint computes them with snarkjs's own curve code); without it such a
// circuit gets exit code 3 (inputs snarkjs accepts but this program does not reproduce).
//
// GPL-3.0-or-later, because it builds on ffiasm (see LICENSE and NOTICE in this directory).
#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>
#include <x86intrin.h>

#include "affine.hpp"
#include "alt_bn128.hpp"
#include "binfile.hpp"
#include "blake2b.hpp"
#include "common.hpp"
#include "pippenger.hpp"
#include "wnaf.hpp"

using namespace AltBn128;

namespace {

using namespace zkr;

constexpr uint64_t G1B = 64, G2B = 128;

/** Inputs snarkjs accepts but this program does not reproduce: exit code 3. */
struct Unsupported : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct R1cs {
    uint32_t nVars, nPublic, nConstraints;
};

/** One term of the constraints' linear combinations: constraint c, signal s, its coefficient (32 bytes LE, below r). */
struct Term {
    uint32_t c, s;
    const uint8_t *coef;
};

struct Constraints {
    std::vector<Term> a, b, c;
    /** A's and B's terms in snarkjs's order (per constraint: its A terms, then its B terms), matrix 0 or 1. */
    std::vector<std::pair<uint8_t, const Term *>> ab;
};

R1cs readR1csHeader(const BinFile &f) {
    SectionReader h = fieldHeader(f, BN254_R, "circuit", "the circuit's prime is not BN254's r (the ptau's curve)");
    R1cs r;
    r.nVars = h.u32();
    uint32_t nOutputs = h.u32(), nPubInputs = h.u32();
    h.u32();   // private inputs
    h.take(8); // labels
    r.nConstraints = h.u32();
    h.end();
    if ((uint64_t)nOutputs + nPubInputs + 1 > r.nVars)
        f.fail("inconsistent header: " + std::to_string(nOutputs + nPubInputs) + " public signals of " + std::to_string(r.nVars));
    r.nPublic = nOutputs + nPubInputs;
    return r;
}

Constraints readConstraints(const BinFile &f, const R1cs &r) {
    Constraints k;
    SectionReader s(f, f.section(2, UINT64_MAX, "constraints"), "constraints");
    std::vector<Term> *m[3] = {&k.a, &k.b, &k.c};
    for (uint32_t c = 0; c < r.nConstraints; c++) {
        for (int i = 0; i < 3; i++) {
            uint32_t n = s.u32();
            for (uint32_t j = 0; j < n; j++) {
                uint32_t sig = s.u32();
                const uint8_t *coef = s.take(N8);
                if (sig >= r.nVars)
                    f.fail("constraint " + std::to_string(c) + " refers to signal " + std::to_string(sig) + " of " + std::to_string(r.nVars) + " (corrupted r1cs)");
                if (!below(coef, Fr_rawq)) f.fail("constraint " + std::to_string(c) + " has a coefficient not below r (corrupted r1cs)");
                m[i]->push_back(Term{c, sig, coef});
            }
        }
    }
    s.end();
    size_t ia = 0, ib = 0;
    k.ab.reserve(k.a.size() + k.b.size());
    for (uint32_t c = 0; c < r.nConstraints; c++) {
        for (; ia < k.a.size() && k.a[ia].c == c; ia++) k.ab.emplace_back(0, &k.a[ia]);
        for (; ib < k.b.size() && k.b[ib].c == c; ib++) k.ab.emplace_back(1, &k.b[ib]);
    }
    return k;
}

struct Ptau {
    uint32_t power;
    const G1PointAffine *tau, *alpha, *beta;  // sections 2, 4, 5 (powers of τ)
    const G2PointAffine *beta2;                // section 6
    const uint8_t *lTau, *lTau2, *lAlpha, *lBeta;  // sections 12–15 (Lagrange bases of the domains 2^0, 2^1, …)
};

Ptau readPtau(const BinFile &f) {
    SectionReader h = fieldHeader(f, BN254_Q, "ptau", "the base field prime is not BN254's q");
    Ptau p;
    p.power = h.u32();
    h.u32();  // ceremony power
    h.end();
    if (p.power < 1 || p.power > 27) f.fail("unsupported power " + std::to_string(p.power));
    const uint64_t n = (uint64_t)1 << p.power;
    p.tau = (const G1PointAffine *)f.section(2, (2 * n - 1) * G1B, "tauG1").data;
    f.section(3, n * G2B, "tauG2");
    p.alpha = (const G1PointAffine *)f.section(4, n * G1B, "alphaTauG1").data;
    p.beta = (const G1PointAffine *)f.section(5, n * G1B, "betaTauG1").data;
    p.beta2 = (const G2PointAffine *)f.section(6, G2B, "betaG2").data;
    try {
        f.section(12);
    } catch (const std::runtime_error &) {
        f.fail("not prepared for phase 2: no Lagrange sections (snarkjs powersoftau prepare phase2)");
    }
    p.lTau = f.section(12, (4 * n - 1) * G1B, "Lagrange tauG1").data;
    p.lTau2 = f.section(13, (2 * n - 1) * G2B, "Lagrange tauG2").data;
    p.lAlpha = f.section(14, (2 * n - 1) * G1B, "Lagrange alphaTauG1").data;
    p.lBeta = f.section(15, (2 * n - 1) * G1B, "Lagrange betaTauG1").data;
    return p;
}

/** A base and the terms that multiply it: [first, first + count) of a unit's term list. */
template <typename Affine>
struct Group {
    const Affine *base;
    uint32_t first, count;
};

/** A term: the output it is added into and its coefficient (32 bytes LE, below r). */
struct OutTerm {
    uint32_t out;
    const uint8_t *coef;
};

const uint8_t ONE[32] = {1};

/** The scalar of a coefficient: itself, or r − coef (and *negated set) if it is above (r − 1)/2. */
std::array<uint64_t, 4> reduced(const uint8_t *coef, const uint64_t halfR[4], bool *negated = nullptr) {
    std::array<uint64_t, 4> v;
    memcpy(v.data(), coef, 32);
    bool big = false;
    for (int l = 3; l >= 0; l--)
        if (v[l] != halfR[l]) {
            big = v[l] > halfR[l];
            break;
        }
    if (big) MontFr::neg(v.data(), v.data());
    if (negated) *negated = big;
    return v;
}

/**
 * BN254 G1's endomorphism φ(x, y) = (βx, y) = λ · P (β a cube root of unity mod q, λ one mod
 * r; G1 has cofactor 1, so this holds for every point on the curve): k · P = k1 · P + k2 · φ(P)
 * for k ≡ k1 + k2 · λ (mod r). The split (Gallant–Lambert–Vanstone): c1 = ⌊k·g1 / 2^256⌋,
 * c2 = ⌊k·g2 / 2^256⌋ (g1, g2 ≈ 2^256 times the lattice basis' coordinates over r), k1 =
 * k − c1·v1.x − c2·v2.x, k2 = c1·|v1.y| − c2·v2.y; |k1|, |k2| < 2^128 for k ≤ (r − 1)/2. Any
 * c1, c2 give k1 + k2·λ ≡ k: the rounding only bounds their size.
 */
namespace glv {
const uint64_t G1[4] = {0x5398fd0300ff6565, 0x4ccef014a773d2d2, 0x2, 0}, G2[4] = {0xd91d232ec7e0b3d7, 0x2, 0, 0};
const uint64_t V1X[4] = {0x8211bbeb7d4f1128, 0x6f4d8248eeb859fc, 0, 0}, V2X[4] = {0x89d3256894d213e3, 0, 0, 0};
const uint64_t V1Y[4] = {0x89d3256894d213e3, 0, 0, 0}, V2Y[4] = {0x0be4e1541221250b, 0x6f4d8248eeb859fd, 0, 0};  // |v1.y|, v2.y
/** β = 0x30644e72e131a0295e6dd9e7e0acccb0c28f069fbb966e3de4bd44e5607cfd48, in Montgomery form. */
const uint64_t BETA_M[4] = {0x3350c88e13e80b9c, 0x7dce557cdb5e56b9, 0x6001b4b8b615564a, 0x2682e617020217e0};

/** The 512-bit product of two 256-bit numbers. */
inline void mul256(uint64_t r[8], const uint64_t a[4], const uint64_t b[4]) {
    memset(r, 0, 64);
    for (int i = 0; i < 4; i++) {
        uint64_t c = 0;
        for (int j = 0; j < 4; j++) {
            u128 t = (u128)a[i] * b[j] + r[i + j] + c;
            r[i + j] = (uint64_t)t;
            c = (uint64_t)(t >> 64);
        }
        r[i + 4] = c;
    }
}

/** r = a − b (mod 2^256) */
inline void sub256(uint64_t r[4], const uint64_t a[4], const uint64_t b[4]) {
    unsigned char c = 0;
    for (int l = 0; l < 4; l++) c = _subborrow_u64(c, a[l], b[l], (unsigned long long *)&r[l]);
}

/** |v| and whether v (mod 2^256, |v| < 2^255) is negative. */
inline bool absNeg(uint64_t v[4]) {
    if (!(v[3] >> 63)) return false;
    static const uint64_t zero[4] = {0, 0, 0, 0};
    sub256(v, zero, v);
    return true;
}

/** k = k1 + k2·λ (mod r): k1 = ±a, k2 = ±b (*na, *nb: negative). */
inline void split(const uint64_t k[4], uint64_t a[4], bool *na, uint64_t b[4], bool *nb) {
    uint64_t p[8], c1[4], c2[4], t[4];
    mul256(p, k, G1);
    memcpy(c1, p + 4, 32);
    mul256(p, k, G2);
    memcpy(c2, p + 4, 32);
    mul256(p, c1, V1X);
    sub256(a, k, p);
    mul256(p, c2, V2X);
    sub256(a, a, p);
    mul256(p, c1, V1Y);
    memcpy(t, p, 32);
    mul256(p, c2, V2Y);
    sub256(b, t, p);
    *na = absNeg(a);
    *nb = absNeg(b);
}
}  // namespace glv

/** r = a, or −a if `negate`, without a branch (the sign of a digit is as good as random). */
template <typename F, typename Elem>
__attribute__((always_inline)) inline void condNeg(Elem &r, const Elem &a, bool negate) {
    Elem n;
    F::neg(n, a);
    const uint64_t m = (uint64_t)0 - (uint64_t)negate;
    const uint64_t *aw = (const uint64_t *)&a, *nw = (const uint64_t *)&n;
    uint64_t *rw = (uint64_t *)&r;
    for (size_t i = 0; i < sizeof(Elem) / 8; i++) rw[i] = (aw[i] & ~m) | (nw[i] & m);
}

/** Whether two field elements are equal. */
template <typename Elem>
__attribute__((always_inline)) inline bool sameElem(const Elem &a, const Elem &b) {
    const uint64_t *aw = (const uint64_t *)&a, *bw = (const uint64_t *)&b;
    uint64_t o = 0;
    for (size_t i = 0; i < sizeof(Elem) / 8; i++) o |= aw[i] ^ bw[i];
    return o == 0;
}

/**
 * d[k] ← 1/d[k] for k < n (all nonzero) with one field inversion: Montgomery's trick on two
 * interleaved chains (even and odd k), so that consecutive multiplications are independent and
 * the core overlaps them (one chain is bound by the multiplication's latency). pre: n elements.
 */
template <typename F, typename Elem>
void batchInvert(Elem *d, Elem *pre, size_t n) {
    if (n == 0) return;
    if (n == 1) {
        Elem t;
        F::inv(t, d[0]);
        d[0] = t;
        return;
    }
    Elem a0 = d[0], a1 = d[1];
    for (size_t k = 2; k + 1 < n; k += 2) {
        pre[k] = a0;
        pre[k + 1] = a1;
        F::mul(a0, a0, d[k]);
        F::mul(a1, a1, d[k + 1]);
    }
    if (n & 1) {
        pre[n - 1] = a0;
        F::mul(a0, a0, d[n - 1]);
    }
    Elem t, i0, i1;
    F::mul(t, a0, a1);
    F::inv(t, t);
    F::mul(i0, t, a1);  // 1/(the even d's product)
    F::mul(i1, t, a0);  // 1/(the odd d's product)
    size_t k = n - 1;
    if (n & 1) {
        Elem r;
        F::mul(r, i0, pre[k]);
        F::mul(i0, i0, d[k]);
        d[k] = r;
        k--;
    }
    for (; k >= 3; k -= 2) {
        Elem r1, r0;
        F::mul(r1, i1, pre[k]);
        F::mul(r0, i0, pre[k - 1]);
        F::mul(i1, i1, d[k]);
        F::mul(i0, i0, d[k - 1]);
        d[k] = r1;
        d[k - 1] = r0;
    }
    d[1] = i1;
    d[0] = i0;
}

/** fromSlope (affine.hpp) for two points at once, interleaved so that their multiplications overlap. r_i may be a_i. */
template <typename F, typename Affine, typename Elem>
__attribute__((always_inline)) inline void fromSlopePair(Affine &r0, const Affine &a0, const Elem &px0, const Elem &l0, Affine &r1, const Affine &a1,
                                                         const Elem &px1, const Elem &l1) {
    Elem x0, x1, t0, t1;
    F::sqr(x0, l0);
    F::sqr(x1, l1);
    F::sub(x0, x0, a0.x);
    F::sub(x1, x1, a1.x);
    F::sub(x0, x0, px0);
    F::sub(x1, x1, px1);
    F::sub(t0, a0.x, x0);
    F::sub(t1, a1.x, x1);
    F::mul(t0, t0, l0);
    F::mul(t1, t1, l1);
    F::sub(r0.y, t0, a0.y);
    F::sub(r1.y, t1, a1.y);
    r0.x = x0;
    r1.x = x1;
}

/**
 * Two affine additions r_i += (px_i, py_i) (r_0, r_1 distinct), given inv_i = 1/(px_i − r_i.x):
 * addWithInverse's steps, the two's interleaved so that their multiplications overlap.
 */
template <typename F, typename Affine, typename Elem>
__attribute__((always_inline)) inline void addPair(Affine &r0, const Elem &px0, const Elem &py0, const Elem &inv0, Affine &r1, const Elem &px1,
                                                   const Elem &py1, const Elem &inv1) {
    Elem l0, l1;
    F::sub(l0, py0, r0.y);
    F::sub(l1, py1, r1.y);
    F::mul(l0, l0, inv0);
    F::mul(l1, l1, inv1);
    fromSlopePair<F>(r0, r0, px0, l0, r1, r1, px1, l1);
}

/** Two affine doublings r_i = 2a_i (r_i not a_i), given inv_i = 1/(2·a_i.y): doubleWithInverse's steps, interleaved. */
template <typename F, typename Affine, typename Elem>
__attribute__((always_inline)) inline void doublePair(Affine &r0, const Affine &a0, const Elem &inv0, Affine &r1, const Affine &a1, const Elem &inv1) {
    Elem l0, l1, s0, s1;
    F::sqr(s0, a0.x);
    F::sqr(s1, a1.x);
    F::add(l0, s0, s0);
    F::add(l1, s1, s1);
    F::add(l0, l0, s0);
    F::add(l1, l1, s1);
    F::mul(l0, l0, inv0);
    F::mul(l1, l1, inv1);
    fromSlopePair<F>(r0, a0, a0.x, l0, r1, a1, a1.x, l1);
}

/**
 * For every output k < nOut, Σ coef · base over its terms, in affine form. The work comes in
 * nUnits units, `build(u, groups, terms)` listing unit u's bases, each with its terms contiguous
 * and in order (so the terms are never all in memory at once). A coefficient above (r − 1)/2 is
 * replaced by r − coef on the negated product (circom's −1, −2^k become small).
 *
 * A unit's groups are taken in batches (256 bases in G1, 128 in G2), batches in parallel. Each
 * term's scalar is written in width-w NAF, w per base by its term count (2–5: a base of many
 * terms pays for more chains with fewer digits per term); in G1 it is first split by the GLV
 * endomorphism (k · P = k1 · P + k2 · φ(P), |k1|, |k2| < 2^128, φ(P) = (βx, y)), so half as many
 * positions, the k2 digits taking the chain's point with x times β. Per base there is one
 * chain per odd multiple d · base, d < 2^(w−1) (complete formulas, then affine with one
 * inversion). Then position by position j, for all the batch's terms and chains at once: each
 * term's digit at j adds ±d · 2^j · base to its sum (the k1 and k2 sums apart), each chain
 * still needed doubles to d · 2^(j+1) · base, all in affine form sharing one inversion
 * (Montgomery's trick on two interleaved product chains; the additions and doublings go two
 * at a time, so that independent multiplications overlap). The special cases (a point at
 * infinity, P ± P, a doubling of y = 0, which a point off the prime-order subgroup can reach in
 * G2) take the complete formulas. In G1 a term's k1 and k2 sums are then added (one inversion
 * per batch). The products are added into their outputs, in parallel, each thread a range of
 * outputs.
 */
template <typename Curve, typename Build>
std::vector<typename Curve::PointAffine> combine(Curve &G, uint64_t nOut, uint64_t nUnits, const Build &build) {
    typedef typename Curve::PointAffine Affine;
    typedef typename Curve::Point Point;
    typedef decltype(Affine::x) Elem;
    typedef typename OpsFor<Curve>::T F;
    constexpr bool GLV = sizeof(Elem) == 32;  // G1: every point is in the prime-order group (not so in G2)
    uint64_t halfR[4];
    for (int l = 0; l < 4; l++) halfR[l] = (Fr_rawq[l] >> 1) | (l < 3 ? Fr_rawq[l + 1] << 63 : 0);

    std::vector<Point> acc(nOut);
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < (int64_t)nOut; k++) G.copy(acc[k], G.zero());
    const int64_t BATCH = sizeof(Affine) == 64 ? 256 : 128;  // bases whose terms one thread adds up in lockstep (their terms' sums fit in L2)
    const unsigned MAXD = SCALAR_BITS + 2;
    std::vector<Group<Affine>> groups;
    std::vector<OutTerm> terms;
    std::vector<Affine> prod;
    for (uint64_t u = 0; u < nUnits; u++) {
        groups.clear();
        terms.clear();
        build(u, groups, terms);
        prod.resize(terms.size());
        const int64_t nG = (int64_t)groups.size();
#pragma omp parallel
        {
            std::vector<Affine> cur, next;  // per chain (odd multiple d · base): d · 2^j · base, d · 2^(j+1) · base
            std::vector<std::array<uint64_t, 8>> scalars;  // per term: its scalar (coef or r − coef); with GLV |k1|, |k2|
            std::vector<uint8_t> signs;                  // with GLV: k1 < 0, k2 < 0 (bits 0, 1)
            std::vector<Affine> halves;                  // with GLV: per term its k1 and k2 sums
            std::vector<Elem> phiX;                      // with GLV, per chain: β · x of its point at j
            std::vector<Point> oddJ;
            std::vector<Affine> oddA;
            std::vector<uint32_t> chainOff, chainGroup, oddAt;  // per base its chains' first index; per chain its base
            std::vector<uint16_t> nDigits, longest;
            std::vector<uint8_t> empty, negated, width;  // width: the base's wNAF width; negated: the term's scalar is r − coef
            std::vector<uint32_t> groupOf, active, dbl, at, atOff(MAXD + 1);  // at[atOff[j] …]: position j's digits, term << 5 | of k2 << 4 | (|digit| − 1)/2 << 1 | negative
            std::vector<Elem> pre, den;
#pragma omp for schedule(dynamic, 1)
            for (int64_t b0 = 0; b0 < nG; b0 += BATCH) {
                const int64_t b1 = std::min(nG, b0 + BATCH), nB = b1 - b0;
                const uint64_t u0 = groups[b0].first, nT = groups[b1 - 1].first + groups[b1 - 1].count - u0;
                nDigits.assign(nT, 0);
                negated.assign(nT, 0);
                longest.assign(nB, 0);
                groupOf.resize(nT);
                scalars.resize(nT);
                signs.resize(nT);
                width.assign(nB, 0);
                chainOff.resize(nB + 1);
                std::fill(atOff.begin(), atOff.end(), 0);
                unsigned longestAll = 0, nCh = 0;
                for (int64_t g = 0; g < nB; g++) {
                    const Group<Affine> &gr = groups[b0 + g];
                    chainOff[g] = nCh;
                    if (isZeroAffine(*gr.base)) continue;  // its terms stay empty
                    // The width minimizing chains · 2^(w−2) + terms · (their digits, ~1/(w + 1) of
                    // the positions), the chains with GLV half as long.
                    const uint32_t m = gr.count;
                    const unsigned w = GLV ? (m > 69 ? 5 : m > 23 ? 4 : m > 6 ? 3 : 2) : (m > 120 ? 5 : m > 40 ? 4 : m > 12 ? 3 : 2);
                    width[g] = (uint8_t)w;
                    nCh += 1u << (w - 2);
                    for (uint64_t i = gr.first; i < gr.first + gr.count; i++) {
                        const uint64_t t = i - u0;
                        groupOf[t] = (uint32_t)g;
                        bool big = false;
                        const std::array<uint64_t, 4> k = reduced(terms[i].coef, halfR, &big);
                        negated[t] = big;
                        auto count = [&](unsigned j, int) { atOff[j + 1]++; };
                        uint64_t *sc = scalars[t].data();
                        if constexpr (GLV) {
                            bool n1, n2;
                            glv::split(k.data(), sc, &n1, sc + 4, &n2);
                            signs[t] = (uint8_t)(n1 | n2 << 1);
                            nDigits[t] = (uint16_t)std::max(wnaf(sc, w, count), wnaf(sc + 4, w, count));
                        } else {
                            memcpy(sc, k.data(), 32);
                            nDigits[t] = (uint16_t)wnaf(sc, w, count);
                        }
                        longest[g] = std::max(longest[g], nDigits[t]);
                    }
                    longestAll = std::max<unsigned>(longestAll, longest[g]);
                }
                chainOff[nB] = nCh;
                for (unsigned j = 0; j < MAXD; j++) atOff[j + 1] += atOff[j];
                at.resize(atOff[MAXD]);
                for (uint64_t t = 0; t < nT; t++) {
                    if (!nDigits[t]) continue;
                    const unsigned w = width[groupOf[t]];
                    for (unsigned half = 0; half < (GLV ? 2 : 1); half++) {
                        const bool flip = GLV && ((signs[t] >> half) & 1);
                        wnaf(scalars[t].data() + 4 * half, w, [&](unsigned j, int d) {
                            at[atOff[j]++] = (uint32_t)(t << 5 | half << 4 | (unsigned)((d < 0 ? -d : d) >> 1) << 1 | ((d < 0) ^ flip));
                        });
                    }
                }
                for (unsigned j = MAXD; j > 0; j--) atOff[j] = atOff[j - 1];  // back to each position's start
                atOff[0] = 0;

                // The chains: per base of width w, the odd multiples d · base, d < 2^(w−1)
                // (complete formulas, then affine with one inversion).
                cur.resize(nCh);
                next.resize(nCh);
                chainGroup.resize(nCh);
                oddJ.clear();
                for (int64_t g = 0; g < nB; g++) {
                    if (!longest[g]) continue;
                    const unsigned c0 = chainOff[g], n = chainOff[g + 1] - c0;
                    Affine &base = const_cast<Affine &>(*groups[b0 + g].base);
                    cur[c0] = base;
                    for (unsigned c = c0; c < c0 + n; c++) chainGroup[c] = (uint32_t)g;
                    if (n == 1) continue;
                    Point twice, m;
                    G.dbl(twice, base);
                    G.copy(m, base);
                    for (unsigned c = c0 + 1; c < c0 + n; c++) {
                        G.add(m, m, twice);
                        if (G.isZero(m)) memset((void *)&cur[c], 0, sizeof(Affine));
                        else {
                            oddJ.push_back(m);
                            oddAt.push_back(c);
                        }
                    }
                }
                if (!oddJ.size()) oddAt.clear();
                else {
                    pre.resize(std::max<size_t>(2 * oddJ.size(), nT + nCh));
                    den.resize(std::max<size_t>(2 * oddJ.size(), nT + nCh));
                    oddA.resize(oddJ.size());
                    toAffine<Curve>(oddA.data(), oddJ.data(), oddJ.size(), den.data(), pre.data());
                    for (size_t i = 0; i < oddJ.size(); i++) cur[oddAt[i]] = oddA[i];
                    oddAt.clear();
                }

                // Position by position: the additions of the terms' digits at j (±d · 2^j · base)
                // and the doublings of the chains with digits beyond j, all of them from row j,
                // sharing one inversion.
                // One denominator per doubling chain and per digit at a position: with GLV a term
                // has two digit strings (k1, k2), both of which can have a digit at the same
                // position (terms sharing one coefficient all do at once), so up to 2 · nT of them.
                const size_t maxDen = nCh + (GLV ? 2 : 1) * nT;
                pre.resize(std::max<size_t>(pre.size(), maxDen));
                den.resize(std::max<size_t>(den.size(), maxDen));
                // The sums: per term, or with GLV per term its k1 and its k2 sums (accumulator
                // e >> 4, the two digits of a position may be the same term's), added at the end.
                const int SH = GLV ? 4 : 5;
                if (GLV) halves.resize(2 * nT);
                Affine *R = GLV ? halves.data() : &prod[u0];
                empty.assign(GLV ? 2 * nT : nT, 1);
                for (unsigned j = 0; j < longestAll; j++) {
                    dbl.clear();
                    active.clear();
                    for (unsigned ch = 0; ch < nCh; ch++) {
                        if (longest[chainGroup[ch]] <= j + 1) continue;
                        const Affine &a = cur[ch];
                        Affine &r = next[ch];
                        if (isZeroAffine(a)) {
                            r = a;
                            continue;
                        }
                        Elem &y2 = den[dbl.size()];
                        F::add(y2, a.y, a.y);
                        if (isZeroElem(y2)) {  // a point of order 2: its double is at infinity
                            memset((void *)&r, 0, sizeof r);
                            continue;
                        }
                        dbl.push_back(ch);
                    }
                    const size_t nD = dbl.size();
                    if constexpr (GLV) {
                        phiX.resize(nCh);
                        for (unsigned ch = 0; ch < nCh; ch++)
                            if (longest[chainGroup[ch]] > j) FqOps::mul(phiX[ch], *(const Elem *)glv::BETA_M, cur[ch].x);
                    }
                    // The x of entry e's point: its chain's at j, or β times that for a digit of k2.
                    auto xOf = [&](uint32_t e, uint32_t ch) -> const Elem & { return GLV && (e & 16) ? phiX[ch] : cur[ch].x; };
                    for (uint32_t i = atOff[j]; i < atOff[j + 1]; i++) {
                        const uint32_t e = at[i], t = e >> SH, ch = chainOff[groupOf[e >> 5]] + ((e >> 1) & 7);
                        const Affine &c = cur[ch];
                        const Elem &px = xOf(e, ch);
                        if (isZeroAffine(c)) continue;  // a doubling at infinity adds nothing
                        if (empty[t]) {  // the first digit
                            R[t].x = px;
                            condNeg<F>(R[t].y, c.y, e & 1);
                            empty[t] = 0;
                            continue;
                        }
                        if (sameElem(R[t].x, px)) {
                            // P + P or P − P: the complete formulas.
                            Affine p;
                            p.x = px;
                            condNeg<F>(p.y, c.y, e & 1);
                            Point q;
                            G.copy(q, R[t]);
                            G.add(q, q, p);
                            if (G.isZero(q)) empty[t] = 1;
                            else G.copy(R[t], q);
                            continue;
                        }
                        F::sub(den[nD + active.size()], px, R[t].x);
                        active.push_back(e);
                    }
                    const size_t nA = active.size();
                    batchInvert<F>(den.data(), pre.data(), nD + nA);
                    size_t k = 0;
                    for (; k + 1 < nD; k += 2) {
                        const uint32_t c0 = dbl[k], c1 = dbl[k + 1];
                        doublePair<F>(next[c0], cur[c0], den[k], next[c1], cur[c1], den[k + 1]);
                    }
                    if (k < nD) doubleWithInverse<F>(next[dbl[k]], cur[dbl[k]], den[k]);
                    const Elem *inv = &den[nD];
                    for (k = 0; k + 1 < nA; k += 2) {
                        const uint32_t e0 = active[k], e1 = active[k + 1];
                        const uint32_t ch0 = chainOff[groupOf[e0 >> 5]] + ((e0 >> 1) & 7), ch1 = chainOff[groupOf[e1 >> 5]] + ((e1 >> 1) & 7);
                        Elem py0, py1;
                        condNeg<F>(py0, cur[ch0].y, e0 & 1);
                        condNeg<F>(py1, cur[ch1].y, e1 & 1);
                        addPair<F>(R[e0 >> SH], xOf(e0, ch0), py0, inv[k], R[e1 >> SH], xOf(e1, ch1), py1, inv[k + 1]);
                    }
                    if (k < nA) {
                        const uint32_t e = active[k], ch = chainOff[groupOf[e >> 5]] + ((e >> 1) & 7);
                        Affine p;
                        p.x = xOf(e, ch);
                        condNeg<F>(p.y, cur[ch].y, e & 1);
                        addWithInverse<F>(R[e >> SH], R[e >> SH], p, inv[k]);
                    }
                    cur.swap(next);
                }
                if constexpr (GLV) {
                    // prod = the k1 sum + the k2 sum (one inversion), the special cases complete.
                    Affine *P = &prod[u0];
                    active.clear();
                    for (uint64_t t = 0; t < nT; t++) {
                        const Affine &a = R[2 * t], &b = R[2 * t + 1];
                        uint8_t &et = empty[t];  // from here on: the term's empty flag (t ≤ 2t)
                        const bool ea = empty[2 * t], eb = empty[2 * t + 1];
                        if (ea || eb) {
                            if (!ea) P[t] = a;
                            else if (!eb) P[t] = b;
                            et = ea && eb;
                            continue;
                        }
                        et = 0;
                        if (sameElem(a.x, b.x)) {
                            Point q;
                            G.copy(q, const_cast<Affine &>(a));
                            G.add(q, q, const_cast<Affine &>(b));
                            if (G.isZero(q)) et = 1;
                            else G.copy(P[t], q);
                            continue;
                        }
                        F::sub(den[active.size()], b.x, a.x);
                        active.push_back((uint32_t)t);
                    }
                    batchInvert<F>(den.data(), pre.data(), active.size());
                    for (size_t k = 0; k < active.size(); k++) {
                        const uint32_t t = active[k];
                        addWithInverse<F>(P[t], R[2 * t], R[2 * t + 1], den[k]);
                    }
                    R = P;
                }
                for (uint64_t t = 0; t < nT; t++) {
                    if (empty[t]) memset((void *)&R[t], 0, sizeof(Affine));
                    else if (negated[t]) F::neg(R[t].y, R[t].y);
                }
            }
            const uint64_t T = (uint64_t)omp_get_num_threads(), t = (uint64_t)omp_get_thread_num();
            const uint64_t lo = nOut * t / T, hi = nOut * (t + 1) / T;
            for (uint64_t i = 0; i < terms.size(); i++) {
                uint32_t k = terms[i].out;
                if (k >= lo && k < hi && !isZeroAffine(prod[i])) G.add(acc[k], acc[k], prod[i]);
            }
        }
    }
    std::vector<Affine> out(nOut);
#pragma omp parallel for schedule(static)
    for (int64_t k = 0; k < (int64_t)nOut; k++) G.copy(out[k], acc[k]);
    return out;
}

class Output {
public:
    explicit Output(const std::string &path) : path_(path), tmp_(path + ".tmp-" + std::to_string(getpid())) {
        fp_ = fopen(tmp_.c_str(), "wb");
        if (!fp_) throw std::runtime_error("cannot write " + tmp_ + ": " + strerror(errno));
    }
    ~Output() {
        if (fp_) fclose(fp_);
        if (!done_) unlink(tmp_.c_str());
    }
    void write(const void *p, size_t n) {
        if (n && fwrite(p, 1, n, fp_) != n) throw std::runtime_error("cannot write " + tmp_ + ": " + strerror(errno));
    }
    void u32(uint32_t v) { write(&v, 4); }
    void u64(uint64_t v) { write(&v, 8); }
    void section(uint32_t id, uint64_t size) {
        u32(id);
        u64(size);
    }
    void commit() {
        bool ok = fclose(fp_) == 0;
        fp_ = nullptr;
        if (!ok) throw std::runtime_error("cannot write " + tmp_ + ": " + strerror(errno));
        if (rename(tmp_.c_str(), path_.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp_ + ": " + strerror(errno));
        done_ = true;
    }

private:
    std::string path_, tmp_;
    FILE *fp_ = nullptr;
    bool done_ = false;
};

/** Hashes `n` points in snarkjs's uncompressed form, converted in parallel in chunks. */
template <typename Affine>
void hashPoints(Blake2b &h, const Affine *pts, uint64_t n) {
    const uint64_t CHUNK = 1 << 14;
    std::vector<uint8_t> buf(CHUNK * sizeof(Affine));
    for (uint64_t c0 = 0; c0 < n; c0 += CHUNK) {
        uint64_t m = std::min(CHUNK, n - c0);
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < (int64_t)m; i++) toUncompressed(&buf[i * sizeof(Affine)], pts[c0 + i]);
        h.update(buf.data(), m * sizeof(Affine));
    }
}

void hashU32(Blake2b &h, uint32_t v) {
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    h.update(b, 4);
}

unsigned log2floor(uint32_t v) {
    unsigned r = 0;
    while (v >>= 1) r++;
    return r;
}

void zkeyNew(const std::string &r1csPath, const std::string &ptauPath, const std::string &outPath, const uint8_t *hPastEnd) {
    checkMontConstants(Fq_rawq, Fr_rawq);
    BinFile rf(r1csPath, "r1cs", 1, 1, "circuit " + r1csPath);
    R1cs r = readR1csHeader(rf);
    BinFile pf(ptauPath, "ptau", 1, 1, "ptau " + ptauPath);
    Ptau p = readPtau(pf);
    const unsigned cirPower = log2floor(r.nConstraints + r.nPublic) + 1;
    if (cirPower > p.power)
        throw std::runtime_error("the ptau is too small for the circuit: " + std::to_string(r.nConstraints) + " constraints and " + std::to_string(r.nPublic) +
                                 " public signals need a domain of 2^" + std::to_string(cirPower) + ", " + ptauPath + " has 2^" + std::to_string(p.power));
    const uint64_t n = (uint64_t)1 << cirPower;
    // snarkjs hashes n − 1 H points up to 2^14, else n (chunks of 2^14), the last τ^(2n−1) − τ^(n−1).
    // For a circuit that fills the ptau's domain (n = 2^power ≥ 2^15) that τ^(2n−1) is one past
    // the end of section 2: the last hashed point is then hPastEnd (see the header).
    const uint64_t nHashH = n <= (1 << 14) ? n - 1 : n;
    const uint64_t nTau = 2 * ((uint64_t)1 << p.power) - 1;
    const bool pastEnd = nHashH + n > nTau;
    if (pastEnd && !hPastEnd)
        throw Unsupported("a circuit that fills the whole domain of the ptau (2^" + std::to_string(cirPower) +
                          "): give the last H point snarkjs hashes with --h-past-end, or use snarkjs");
    if (!pastEnd && hPastEnd) throw std::runtime_error("--h-past-end is only for a circuit that fills the ptau's whole domain");
    Constraints k = readConstraints(rf, r);
    step("read the r1cs");

    const G1PointAffine *lTau = (const G1PointAffine *)p.lTau + (n - 1), *lAlpha = (const G1PointAffine *)p.lAlpha + (n - 1),
                        *lBeta = (const G1PointAffine *)p.lBeta + (n - 1), *lTauH = (const G1PointAffine *)p.lTau + (2 * n - 1);
    const G2PointAffine *lTau2 = (const G2PointAffine *)p.lTau2 + (n - 1);
    typedef Curve<RawFq> C1;
    typedef Curve<F2Field<RawFq>> C2;
    checkPoints<C1, F1Element>(G1, p.alpha, 1, pf, "alphaTauG1", "ptau");
    checkPoints<C1, F1Element>(G1, p.beta, 1, pf, "betaTauG1", "ptau");
    checkPoints<C2, F2Element>(G2, p.beta2, 1, pf, "betaG2", "ptau");
    checkPoints<C1, F1Element>(G1, p.tau, std::min(nHashH + n, nTau), pf, "tauG1", "ptau");
    checkPoints<C1, F1Element>(G1, lTau, n, pf, "Lagrange tauG1", "ptau");
    checkPoints<C1, F1Element>(G1, lTauH, 2 * n, pf, "Lagrange tauG1", "ptau");
    checkPoints<C2, F2Element>(G2, lTau2, n, pf, "Lagrange tauG2", "ptau");
    checkPoints<C1, F1Element>(G1, lAlpha, n, pf, "Lagrange alphaTauG1", "ptau");
    checkPoints<C1, F1Element>(G1, lBeta, n, pf, "Lagrange betaTauG1", "ptau");
    step("read and check the ptau");

    // The linear combinations per signal (snarkjs's processConstraints), in G1 into one list of
    // outputs: A at [0, nVars), B1 at [nVars, 2·nVars), IC and then C at 2·nVars + signal (IC
    // the signals 0 … nPub, C the others): each constraint's Lagrange point L_c is the base of
    // its A, B and C terms at once, βL_c of its A terms, αL_c of its B terms (C += β·A + α·B + C).
    // Units of CH constraints; the last unit is the public signals' rows nC + s of A and IC.
    const uint32_t nPub = r.nPublic, nC = r.nConstraints, nVars = r.nVars;
    const uint64_t nCoefs = k.ab.size() + nPub + 1;
    std::vector<uint64_t> offA(nC + 1), offB(nC + 1), offC(nC + 1);
    auto offsets = [&](const std::vector<Term> &m, std::vector<uint64_t> &off) {
        uint64_t i = 0;
        for (uint32_t c = 0; c <= nC; c++) {
            off[c] = i;
            while (i < m.size() && m[i].c == c) i++;
        }
    };
    offsets(k.a, offA);
    offsets(k.b, offB);
    offsets(k.c, offC);
    const uint32_t CH = 1 << 13;
    const uint64_t nUnits = (nC + CH - 1) / CH + 1;
    auto push = [&](std::vector<OutTerm> &terms, const std::vector<Term> &m, uint64_t from, uint64_t to, uint32_t shift) {
        for (uint64_t i = from; i < to; i++) terms.push_back({m[i].s + shift, m[i].coef});
    };
    auto group = [](auto &groups, std::vector<OutTerm> &terms, const auto *base, uint64_t first) {
        if (terms.size() > first) groups.push_back({base, (uint32_t)first, (uint32_t)(terms.size() - first)});
    };
    auto buildG1 = [&](uint64_t u, std::vector<Group<G1PointAffine>> &groups, std::vector<OutTerm> &terms) {
        if (u == nUnits - 1) {
            for (uint32_t s = 0; s <= nPub; s++) {
                groups.push_back({lTau + nC + s, (uint32_t)terms.size(), 1});
                terms.push_back({s, ONE});
                groups.push_back({lBeta + nC + s, (uint32_t)terms.size(), 1});
                terms.push_back({2 * nVars + s, ONE});
            }
            return;
        }
        for (uint32_t c = (uint32_t)(u * CH); c < std::min<uint64_t>(nC, (u + 1) * CH); c++) {
            uint64_t first = terms.size();  // L_c: A → A, B → B1, C → C, one group
            push(terms, k.a, offA[c], offA[c + 1], 0);
            push(terms, k.b, offB[c], offB[c + 1], nVars);
            push(terms, k.c, offC[c], offC[c + 1], 2 * nVars);
            group(groups, terms, lTau + c, first);
            first = terms.size();
            push(terms, k.a, offA[c], offA[c + 1], 2 * nVars);
            group(groups, terms, lBeta + c, first);
            first = terms.size();
            push(terms, k.b, offB[c], offB[c + 1], 2 * nVars);
            group(groups, terms, lAlpha + c, first);
        }
    };
    auto buildG2 = [&](uint64_t u, std::vector<Group<G2PointAffine>> &groups, std::vector<OutTerm> &terms) {
        if (u == nUnits - 1) return;
        for (uint32_t c = (uint32_t)(u * CH); c < std::min<uint64_t>(nC, (u + 1) * CH); c++) {
            const uint64_t first = terms.size();
            push(terms, k.b, offB[c], offB[c + 1], 0);
            group(groups, terms, lTau2 + c, first);
        }
    };
    const std::vector<G1PointAffine> P1 = combine(G1, 3 * (uint64_t)nVars, nUnits, buildG1);
    const G1PointAffine *A = P1.data(), *B1 = A + nVars, *IC = B1 + nVars, *Cp = IC + nPub + 1;
    const uint64_t nCp = nVars - nPub - 1;
    step("A, B1, IC and C points");
    const std::vector<G2PointAffine> B2 = combine(G2, nVars, nUnits, buildG2);
    step("B2 points");

    // The coefficients (section 4): value · R² mod r, one record per A and B term (then the
    // public signals' rows of A), written chunk by chunk when the key is written (at 2^23 the
    // section is about 5.6 GB: it is never in memory whole).
    const uint64_t REC = 12 + N8;
    auto coefRecords = [&](uint8_t *out, uint64_t from, uint64_t count) {
#pragma omp parallel for schedule(static)
        for (int64_t q = 0; q < (int64_t)count; q++) {
            const uint64_t i = from + (uint64_t)q;
            uint8_t *rec = out + q * REC;
            uint32_t m, c, s;
            const uint8_t *v;
            if (i < k.ab.size()) {
                m = k.ab[i].first;
                c = k.ab[i].second->c;
                s = k.ab[i].second->s;
                v = k.ab[i].second->coef;
            } else {
                m = 0;
                s = (uint32_t)(i - k.ab.size());
                c = nC + s;
                v = ONE;
            }
            memcpy(rec, &m, 4);
            memcpy(rec + 4, &c, 4);
            memcpy(rec + 8, &s, 4);
            RawFr::Element e;
            memcpy(e.v, v, 32);
            Fr.toMontgomery(e, e);
            Fr.toMontgomery(e, e);
            memcpy(rec + 12, e.v, 32);
        }
    };

    // H: the odd Lagrange points of the domain 2n; hashed as snarkjs does, τ^(i+n) − τ^i.
    std::vector<G1PointAffine> H(n), hashH(nHashH);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++) H[i] = lTauH[2 * i + 1];
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)(nHashH - pastEnd); i++) {
        G1Point d;
        G1.sub(d, const_cast<G1PointAffine &>(p.tau[i + n]), const_cast<G1PointAffine &>(p.tau[i]));
        G1.copy(hashH[i], d);
    }
    step("H points");

    G1PointAffine g1;
    G2PointAffine g2;
    G1.copy(g1, G1.one());
    G2.copy(g2, G2.one());

    Blake2b hash;
    uint8_t u[G2B];
    auto hashOne = [&](const auto &pt) {
        toUncompressed(u, pt);
        hash.update(u, sizeof pt);
    };
    hashOne(p.alpha[0]);
    hashOne(p.beta[0]);
    hashOne(p.beta2[0]);
    hashOne(g2);
    hashOne(g1);
    hashOne(g2);
    hashU32(hash, nPub + 1);
    hashPoints(hash, IC, nPub + 1);
    hashU32(hash, (uint32_t)(n - 1));
    hashPoints(hash, hashH.data(), nHashH - pastEnd);
    if (pastEnd) hash.update(hPastEnd, G1B);
    hashU32(hash, (uint32_t)nCp);
    hashPoints(hash, Cp, nCp);
    hashU32(hash, r.nVars);
    hashPoints(hash, A, nVars);
    hashU32(hash, r.nVars);
    hashPoints(hash, B1, nVars);
    hashU32(hash, r.nVars);
    hashPoints(hash, B2.data(), B2.size());
    uint8_t csHash[64];
    hash.final(csHash);
    step("circuit hash");

    Output o(outPath);
    o.write("zkey", 4);
    o.u32(1);   // version
    o.u32(10);  // sections
    o.section(1, 4);
    o.u32(1);  // Groth16
    o.section(2, 4 + N8 + 4 + N8 + 12 + 3 * G1B + 3 * G2B);
    o.u32(N8);
    o.write(Fq_rawq, N8);
    o.u32(N8);
    o.write(Fr_rawq, N8);
    o.u32(r.nVars);
    o.u32(nPub);
    o.u32((uint32_t)n);
    o.write(&p.alpha[0], G1B);
    o.write(&p.beta[0], G1B);
    o.write(&p.beta2[0], G2B);
    o.write(&g2, G2B);  // γ
    o.write(&g1, G1B);  // δ1
    o.write(&g2, G2B);  // δ2
    o.section(4, 4 + nCoefs * REC);
    o.u32((uint32_t)nCoefs);
    {
        const uint64_t CHUNK = 1 << 18;
        std::vector<uint8_t> buf(std::min<uint64_t>(nCoefs, CHUNK) * REC);
        for (uint64_t c0 = 0; c0 < nCoefs; c0 += CHUNK) {
            const uint64_t m = std::min(CHUNK, nCoefs - c0);
            coefRecords(buf.data(), c0, m);
            o.write(buf.data(), m * REC);
        }
    }
    o.section(3, (nPub + 1) * G1B);
    o.write(IC, (nPub + 1) * G1B);
    o.section(9, n * G1B);
    o.write(H.data(), n * G1B);
    o.section(8, nCp * G1B);
    o.write(Cp, nCp * G1B);
    o.section(5, nVars * G1B);
    o.write(A, nVars * G1B);
    o.section(6, nVars * G1B);
    o.write(B1, nVars * G1B);
    o.section(7, B2.size() * G2B);
    o.write(B2.data(), B2.size() * G2B);
    o.section(10, 64 + 4);
    o.write(csHash, 64);
    o.u32(0);  // contributions
    o.commit();
    step("write the key");
}

}  // namespace

/** `zkr-prover zkey-new …` (prover.cpp's main passes the arguments after "zkey-new"). */
int zkeyNewMain(const std::vector<std::string> &argv) {
    programName = "zkr-prover zkey-new";
    std::vector<std::string> args;
    bool stats = false;
    std::vector<uint8_t> hPastEnd;
    for (size_t i = 0; i < argv.size(); i++) {
        const std::string &a = argv[i];
        if (a == "-v") verbose = true;
        else if (a == "--stats") stats = true;
        else if (a == "--h-past-end" && i + 1 < argv.size()) {
            const std::string &h = argv[++i];
            if (h.size() != 2 * G1B || h.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
                fprintf(stderr, "zkr-prover zkey-new: --h-past-end takes %u hex digits\n", (unsigned)(2 * G1B));
                return 2;
            }
            for (size_t k = 0; k < G1B; k++) hPastEnd.push_back((uint8_t)std::stoul(h.substr(2 * k, 2), nullptr, 16));
        } else args.push_back(a);
    }
    if (args.size() != 3) {
        fprintf(stderr, "usage: zkr-prover zkey-new [-v] [--stats] [--h-past-end <hex>] <circuit.r1cs> <pot.ptau> <circuit_0000.zkey>\n");
        return 2;
    }
    try {
        zkeyNew(args[0], args[1], args[2], hPastEnd.empty() ? nullptr : hPastEnd.data());
        if (stats) printStats();
        return 0;
    } catch (const Unsupported &e) {
        fprintf(stderr, "zkr-prover zkey-new: unsupported: %s\n", e.what());
        return 3;
    } catch (const std::exception &e) {
        fprintf(stderr, "zkr-prover zkey-new: %s\n", e.what());
        return 1;
    }
}
