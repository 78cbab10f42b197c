// zkr native programs (the Groth16 prover, zkey new, ptau new) — what they share: BN254's primes, the
// step timer behind -v and --stats, and the checks of field elements and curve points read from
// a file.
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <chrono>
#include <cstdio>
#include <cstring>
#include <gmp.h>
#include <omp.h>
#include <string>
#include <sys/resource.h>
#include <utility>
#include <vector>

#include "alt_bn128.hpp"
#include "binfile.hpp"

namespace zkr {

using namespace AltBn128;

/** The program's name in its -v lines ("zkr-prover", "zkr-prover zkey-new"). */
inline const char *programName = "zkr-prover";

inline const char *BN254_Q = "21888242871839275222246405745257275088696311157297823662689037894645226208583";
inline const char *BN254_R = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
constexpr uint32_t N8 = 32;  // bytes of a field element (q and r)

inline bool verbose = false;
inline auto t0 = std::chrono::steady_clock::now();
/** Each step's name and wall time (ms), for -v and --stats. */
inline std::vector<std::pair<std::string, double>> steps;
inline void step(const char *what) {
    auto now = std::chrono::steady_clock::now();
    double ms = std::chrono::duration<double, std::milli>(now - t0).count();
    steps.emplace_back(what, ms);
    if (verbose) fprintf(stderr, "%s: %-28s %8.1f ms\n", programName, what, ms);
    t0 = now;
}

/** --stats: one JSON line on stdout with the threads, the peak RSS, the CPU time (user + system) and each step's time. */
inline void printStats() {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpuMs = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
    char cpu[32];
    snprintf(cpu, sizeof cpu, "%.0f", cpuMs);
    std::string out = "{\"threads\":" + std::to_string(omp_get_max_threads()) + ",\"maxRssKiB\":" + std::to_string(ru.ru_maxrss) + ",\"cpuMs\":" + cpu +
                      ",\"stepsMs\":{";
    for (size_t i = 0; i < steps.size(); i++) {
        char ms[32];
        snprintf(ms, sizeof ms, "%.1f", steps[i].second);
        out += (i ? ",\"" : "\"") + steps[i].first + "\":" + ms;
    }
    printf("%s}}\n", out.c_str());
}

/** The prime in `bytes` (n8 bytes, little-endian) equals `decimal`. */
inline bool primeIs(const uint8_t *bytes, uint32_t n8, const char *decimal) {
    mpz_t a, b;
    mpz_init(a);
    mpz_init_set_str(b, decimal, 10);
    mpz_import(a, n8, -1, 1, -1, 0, bytes);
    bool eq = mpz_cmp(a, b) == 0;
    mpz_clears(a, b, NULL);
    return eq;
}

/** The 4-limb little-endian integer at p is below the 4-limb modulus m. */
inline bool below(const uint8_t *p, const uint64_t *m) {
    uint64_t v[4];
    memcpy(v, p, 32);
    for (int i = 3; i >= 0; i--) {
        if (v[i] != m[i]) return v[i] < m[i];
    }
    return false;
}

/** An affine point's coordinates are below q and it is at infinity or on the curve (checkPoints' test of one point). */
template <typename Curve, typename FieldE>
inline bool validPoint(Curve &G, const typename Curve::PointAffine &pt) {
    typedef typename Curve::PointAffine Affine;
    const size_t limbsPerCoord = sizeof(FieldE) / 32;
    Affine &p = const_cast<Affine &>(pt);
    const uint8_t *raw = (const uint8_t *)&p;
    for (size_t k = 0; k < 2 * limbsPerCoord; k++)
        if (!below(raw + 32 * k, Fq_rawq)) return false;
    if (G.isZero(p)) return true;
    FieldE y2, x3;
    G.F.square(y2, p.y);
    G.F.square(x3, p.x);
    G.F.mul(x3, x3, p.x);
    G.F.add(x3, x3, G.b());
    return G.F.eq(y2, x3);
}

/**
 * Checks that every point of `n` affine points at `data` has coordinates below q and lies on
 * its curve (or is the point at infinity, stored as zeros), in parallel. Catches a corrupted file
 * (`kind`: "key", "ptau").
 */
template <typename Curve, typename FieldE>
inline void checkPoints(Curve &G, const typename Curve::PointAffine *pts, uint64_t n, const BinFile &f, const std::string &name,
                        const char *kind = "key") {
    int64_t bad = -1;
#pragma omp parallel for schedule(static) reduction(max : bad)
    for (int64_t i = 0; i < (int64_t)n; i++)
        if (!validPoint<Curve, FieldE>(G, pts[i])) bad = i > bad ? i : bad;
    if (bad >= 0) f.fail(name + " point " + std::to_string(bad) + " is not on the curve (corrupted " + kind + ")");
}

/**
 * Section 1 of a file that starts with its field's element size and prime (.r1cs, .ptau, .wtns),
 * read past them; fails unless they are 32 bytes and `prime` (else with `wrongPrime`).
 */
inline SectionReader fieldHeader(const BinFile &f, const char *prime, const char *fileKind, const std::string &wrongPrime) {
    SectionReader h(f, f.section(1, UINT64_MAX, "header"), "header");
    uint32_t n8 = h.u32();
    if (n8 != N8) f.fail("field elements are " + std::to_string(n8) + " bytes, not 32: not a BN254 " + fileKind);
    if (!primeIs(h.take(n8), n8, prime)) f.fail(wrongPrime);
    return h;
}

}  // namespace zkr
