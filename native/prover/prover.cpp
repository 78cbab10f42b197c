// zkr native Groth16 prover (BN254): the same proof as snarkjs's groth16_prove.js, computed
// natively on every core.
//
//   zkr-prover <circuit.zkey> <witness.wtns> <proof.json> <public.json>
//
// Reads a snarkjs Groth16 proving key and a witness, checks them (file format, section sizes,
// the curve's primes, the witness's length, field and leading 1, every base point on its
// curve), computes
//   A(X), B(X) on the domain from the key's coefficients and the witness, C = A·B there,
//   their values on the odd coset by iFFT, shift, FFT, and H's scalars A·B − C there,
//   the MSMs A, B1 (G1), B2 (G2), C (private signals) and H,
//   pi_a = A + α + r·δ, pi_b = B2 + β₂ + s·δ₂, pi_c = C + H + s·pi_a + r·(B1 + β₁ + s·δ₁) − r·s·δ
// with fresh random r, s (getrandom), and writes proof.json and public.json in snarkjs's JSON
// (the same bytes as `snarkjs groth16 prove` writes). On any error it prints one line
// "zkr-prover: <why>" on stderr, writes nothing and exits with code 1.
// It does not check that the witness satisfies the circuit: a snarkjs key holds only A's and B's
// coefficients (C = A·B on the domain is what the quotient assumes), so that check is not cheap
// here; an unsatisfying witness gives a proof that does not verify, and zkr checks every proof
// before it is used (the proving process, the sequencer: src/proving/check.ts).
// With -v, the time of each step goes to stderr; with --stats, the times, the threads and the
// peak RSS go to stdout as one JSON line. `zkr-prover --self-test` checks the MSM against plain
// scalar multiplications on its special cases (exit code 1 if one fails). The subcommands
// `zkr-prover zkey-new` (zkey_new.cpp) and `zkr-prover ptau-new` (ptau_new.cpp) say what they do
// at the head of their files.
//
// GPL-3.0-or-later, because it builds on ffiasm (see LICENSE and NOTICE in this directory).
#include <chrono>
#include <cstdio>
#include <cstring>
#include <gmp.h>
#include <omp.h>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <csignal>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <vector>

#include "alt_bn128.hpp"
#include "binfile.hpp"
#include "common.hpp"
#include "ntt.hpp"
#include "pippenger.hpp"

using namespace AltBn128;
using zkr::FrE;

namespace {

using namespace zkr;

std::string decimal(const uint8_t *le, size_t n) {
    mpz_t z;
    mpz_init(z);
    mpz_import(z, n, -1, 1, -1, 0, le);
    char *s = mpz_get_str(nullptr, 10, z);
    std::string r(s);
    free(s);
    mpz_clear(z);
    return r;
}

/** A uniformly random non-zero element of Fr (standard form), from the kernel's CSPRNG. */
FrE randomFr() {
    for (;;) {
        FrE e;
        uint8_t *p = (uint8_t *)e.v;
        size_t got = 0;
        while (got < 32) {
            ssize_t k = getrandom(p + got, 32 - got, 0);
            if (k < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error(std::string("getrandom failed: ") + strerror(errno));
            }
            got += (size_t)k;
        }
        e.v[3] &= ((uint64_t)1 << 62) - 1;  // 254 bits; rejection below keeps it uniform
        if (below(p, Fr_rawq) && !Fr.isZero(e)) return e;
    }
}


struct ZKey {
    uint32_t nVars, nPublic, domainSize, power;
    G1PointAffine alpha1, beta1, delta1;
    G2PointAffine beta2, delta2;
    BinFile::Section coefs;
    const G1PointAffine *A, *B1, *C, *H;
    const G2PointAffine *B2;
};

ZKey readZKey(const BinFile &f) {
    ZKey z;
    {
        SectionReader s(f, f.section(1, UINT64_MAX, "header"), "header");
        if (s.u32() != 1) f.fail("not a Groth16 key (protocol id in section 1 is not 1)");
        s.end();
    }
    SectionReader h(f, f.section(2, UINT64_MAX, "Groth16 header"), "Groth16 header");
    uint32_t n8q = h.u32();
    if (n8q != N8) f.fail("base field elements are " + std::to_string(n8q) + " bytes, not 32: not a BN254 key");
    if (!primeIs(h.take(n8q), n8q, BN254_Q)) f.fail("the base field prime is not BN254's q");
    uint32_t n8r = h.u32();
    if (n8r != N8) f.fail("scalar field elements are " + std::to_string(n8r) + " bytes, not 32: not a BN254 key");
    if (!primeIs(h.take(n8r), n8r, BN254_R)) f.fail("the scalar field prime is not BN254's r");
    z.nVars = h.u32();
    z.nPublic = h.u32();
    z.domainSize = h.u32();
    auto g1 = [&](G1PointAffine &p) { memcpy(&p, h.take(2 * N8), 2 * N8); };
    auto g2 = [&](G2PointAffine &p) { memcpy(&p, h.take(4 * N8), 4 * N8); };
    G2PointAffine gamma2;
    g1(z.alpha1);
    g1(z.beta1);
    g2(z.beta2);
    g2(gamma2);
    g1(z.delta1);
    g2(z.delta2);
    h.end();

    if (z.nVars == 0 || z.nPublic >= z.nVars) f.fail("inconsistent header: " + std::to_string(z.nPublic) + " public of " + std::to_string(z.nVars) + " signals");
    z.power = 0;
    while (z.power < 31 && ((uint32_t)1 << z.power) < z.domainSize) z.power++;
    if (z.domainSize == 0 || ((uint32_t)1 << z.power) != z.domainSize) f.fail("domain size " + std::to_string(z.domainSize) + " is not a power of two");
    if (z.power > 28) f.fail("domain size 2^" + std::to_string(z.power) + " exceeds BN254's 2^28");

    const uint64_t g1b = 2 * N8, g2b = 4 * N8;
    f.section(3, (uint64_t)(z.nPublic + 1) * g1b, "IC");
    z.coefs = f.section(4, UINT64_MAX, "coefficients");
    if (z.coefs.size < 4) f.fail("section 4 (coefficients) is too short");
    z.A = (const G1PointAffine *)f.section(5, (uint64_t)z.nVars * g1b, "A points").data;
    z.B1 = (const G1PointAffine *)f.section(6, (uint64_t)z.nVars * g1b, "B1 points").data;
    z.B2 = (const G2PointAffine *)f.section(7, (uint64_t)z.nVars * g2b, "B2 points").data;
    z.C = (const G1PointAffine *)f.section(8, (uint64_t)(z.nVars - z.nPublic - 1) * g1b, "C points").data;
    z.H = (const G1PointAffine *)f.section(9, (uint64_t)z.domainSize * g1b, "H points").data;

    checkPoints<Curve<RawFq>, F1Element>(G1, &z.alpha1, 1, f, "alpha1");
    checkPoints<Curve<RawFq>, F1Element>(G1, &z.beta1, 1, f, "beta1");
    checkPoints<Curve<RawFq>, F1Element>(G1, &z.delta1, 1, f, "delta1");
    checkPoints<Curve<F2Field<RawFq>>, F2Element>(G2, &z.beta2, 1, f, "beta2");
    checkPoints<Curve<F2Field<RawFq>>, F2Element>(G2, &z.delta2, 1, f, "delta2");
    return z;
}

/** The coefficient records of section 4: (matrix, constraint, signal, value), checked. */
struct Coef {
    uint32_t m, c, s;
    FrE v;
};

std::vector<Coef> readCoefs(const BinFile &f, const ZKey &z) {
    uint32_t n;
    memcpy(&n, z.coefs.data, 4);
    const uint64_t rec = 12 + N8;
    if (z.coefs.size != 4 + (uint64_t)n * rec)
        f.fail("section 4 (coefficients) is " + std::to_string(z.coefs.size) + " bytes, expected " + std::to_string(4 + (uint64_t)n * rec) + " for " +
               std::to_string(n) + " coefficients");
    std::vector<Coef> out(n);
    int64_t bad = -1;
#pragma omp parallel for schedule(static) reduction(max : bad)
    for (int64_t i = 0; i < (int64_t)n; i++) {
        const uint8_t *p = z.coefs.data + 4 + (uint64_t)i * rec;
        Coef &k = out[i];
        memcpy(&k.m, p, 4);
        memcpy(&k.c, p + 4, 4);
        memcpy(&k.s, p + 8, 4);
        memcpy(k.v.v, p + 12, N8);
        if (k.m > 1 || k.c >= z.domainSize || k.s >= z.nVars || !below(p + 12, Fr_rawq)) bad = i > bad ? i : bad;
    }
    if (bad >= 0) f.fail("coefficient " + std::to_string(bad) + " is out of range (corrupted key)");
    return out;
}

struct Witness {
    uint32_t n;
    const uint8_t *values;  // n × 32 bytes, standard form
};

Witness readWitness(const BinFile &f, const ZKey &z) {
    SectionReader h = fieldHeader(f, BN254_R, "witness", "the witness's prime is not BN254's r, the key's scalar field");
    Witness w;
    w.n = h.u32();
    h.end();
    if (w.n != z.nVars) f.fail("the witness has " + std::to_string(w.n) + " values, the key's circuit " + std::to_string(z.nVars) + " (a witness of another circuit?)");
    w.values = f.section(2, (uint64_t)w.n * N8, "witness values").data;
    int64_t bad = -1;
#pragma omp parallel for schedule(static) reduction(max : bad)
    for (int64_t i = 0; i < (int64_t)w.n; i++) {
        if (!below(w.values + (uint64_t)i * N8, Fr_rawq)) bad = i > bad ? i : bad;
    }
    if (bad >= 0) f.fail("witness value " + std::to_string(bad) + " is not below r (corrupted witness)");
    uint64_t one[4] = {1, 0, 0, 0};
    if (memcmp(w.values, one, 32) != 0) f.fail("witness value 0 is not 1 (corrupted witness)");
    return w;
}

/** The scalars of the H MSM: A·B − C on the odd coset (snarkjs's buildABC1, FFTs and joinABC). */
std::vector<FrE> hScalars(const ZKey &z, const std::vector<Coef> &coefs, const Witness &w) {
    const uint64_t n = z.domainSize;
    std::vector<FrE> a(n, Fr.zero()), b(n, Fr.zero()), c(n);
    FrE *out[2] = {a.data(), b.data()};
    const FrE *wit = (const FrE *)w.values;
#pragma omp parallel
    {
        // Each thread owns a range of constraints, so no two threads write the same element.
        uint64_t T = (uint64_t)omp_get_num_threads(), t = (uint64_t)omp_get_thread_num();
        uint64_t from = n * t / T, to = n * (t + 1) / T;
        FrE tmp;
        for (const Coef &k : coefs) {
            if (k.c < from || k.c >= to) continue;
            FrE &dst = out[k.m][k.c];
            Fr.mul(tmp, k.v, wit[k.s]);  // Montgomery product: the key stores coef·R², the witness is plain
            Fr.add(dst, dst, tmp);
        }
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++) Fr.mul(c[i], a[i], b[i]);
    step("A, B, C on the domain");

    static zkr::Roots roots(Fr);
    const FrE &root = roots.w[z.power];
    const FrE &inc = z.power == roots.s ? roots.shift : roots.w[z.power + 1];
    for (std::vector<FrE> *v : {&a, &b, &c}) {
        zkr::ifft(Fr, v->data(), n, root);
        zkr::mulPowers(Fr, v->data(), n, Fr.one(), inc);
        zkr::fft(Fr, v->data(), n, root);
    }
    step("FFTs (3 × iFFT + FFT)");
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++) {
        Fr.mul(a[i], a[i], b[i]);
        Fr.sub(a[i], a[i], c[i]);
        Fr.fromMontgomery(a[i], a[i]);
    }
    return a;
}

std::string g1Json(G1Point &p) {
    G1PointAffine a;
    G1.copy(a, p);
    if (G1.isZero(a)) return "[\n  \"0\",\n  \"1\",\n  \"0\"\n ]";
    return "[\n  \"" + F1.toString(a.x) + "\",\n  \"" + F1.toString(a.y) + "\",\n  \"1\"\n ]";
}

std::string g2Json(G2Point &p) {
    G2PointAffine a;
    G2.copy(a, p);
    auto pair = [](const std::string &x, const std::string &y) { return "[\n   \"" + x + "\",\n   \"" + y + "\"\n  ]"; };
    if (G2.isZero(a)) return "[\n  " + pair("0", "0") + ",\n  " + pair("1", "0") + ",\n  " + pair("0", "0") + "\n ]";
    return "[\n  " + pair(F1.toString(a.x.a), F1.toString(a.x.b)) + ",\n  " + pair(F1.toString(a.y.a), F1.toString(a.y.b)) + ",\n  " + pair("1", "0") + "\n ]";
}

void writeFile(const std::string &path, const std::string &text) {
    FILE *fp = fopen(path.c_str(), "wb");
    if (!fp) throw std::runtime_error("cannot write " + path + ": " + strerror(errno));
    bool ok = fwrite(text.data(), 1, text.size(), fp) == text.size();
    ok = (fclose(fp) == 0) && ok;
    if (!ok) throw std::runtime_error("cannot write " + path + ": " + strerror(errno));
}

void prove(const std::string &zkeyPath, const std::string &wtnsPath, const std::string &proofPath, const std::string &publicPath) {
    zkr::checkMontConstants(Fq_rawq, Fr_rawq);
    BinFile zf(zkeyPath, "zkey", 1, 1, "proving key " + zkeyPath);
    ZKey z = readZKey(zf);
    BinFile wf(wtnsPath, "wtns", 1, 2, "witness " + wtnsPath);
    Witness w = readWitness(wf, z);
    std::vector<Coef> coefs = readCoefs(zf, z);
    checkPoints<Curve<RawFq>, F1Element>(G1, z.A, z.nVars, zf, "A");
    checkPoints<Curve<RawFq>, F1Element>(G1, z.B1, z.nVars, zf, "B1");
    checkPoints<Curve<F2Field<RawFq>>, F2Element>(G2, z.B2, z.nVars, zf, "B2");
    checkPoints<Curve<RawFq>, F1Element>(G1, z.C, z.nVars - z.nPublic - 1, zf, "C");
    checkPoints<Curve<RawFq>, F1Element>(G1, z.H, z.domainSize, zf, "H");
    step("read and check inputs");

    std::vector<FrE> h = hScalars(z, coefs, w);
    step("H scalars");

    G1Point pa, pb1, pc, ph;
    G2Point pb;
    zkr::msm(G1, pa, z.A, w.values, z.nVars);
    step("MSM A (G1)");
    zkr::msm(G1, pb1, z.B1, w.values, z.nVars);
    step("MSM B1 (G1)");
    zkr::msm(G2, pb, z.B2, w.values, z.nVars);
    step("MSM B2 (G2)");
    zkr::msm(G1, pc, z.C, w.values + (uint64_t)(z.nPublic + 1) * N8, z.nVars - z.nPublic - 1);
    step("MSM C (G1)");
    zkr::msm(G1, ph, z.H, (const uint8_t *)h.data(), z.domainSize);
    step("MSM H (G1)");

    FrE r = randomFr(), s = randomFr(), rs;
    {
        FrE rm, sm;
        Fr.toMontgomery(rm, r);
        Fr.toMontgomery(sm, s);
        Fr.mul(rs, rm, sm);
        Fr.neg(rs, rs);
        Fr.fromMontgomery(rs, rs);
    }
    G1Point tmp;
    G1.add(pa, pa, z.alpha1);
    G1.mulByScalar(tmp, z.delta1, (uint8_t *)r.v, N8);
    G1.add(pa, pa, tmp);

    G2Point tmp2;
    G2.add(pb, pb, z.beta2);
    G2.mulByScalar(tmp2, z.delta2, (uint8_t *)s.v, N8);
    G2.add(pb, pb, tmp2);

    G1.add(pb1, pb1, z.beta1);
    G1.mulByScalar(tmp, z.delta1, (uint8_t *)s.v, N8);
    G1.add(pb1, pb1, tmp);

    G1.add(pc, pc, ph);
    G1.mulByScalar(tmp, pa, (uint8_t *)s.v, N8);
    G1.add(pc, pc, tmp);
    G1.mulByScalar(tmp, pb1, (uint8_t *)r.v, N8);
    G1.add(pc, pc, tmp);
    G1.mulByScalar(tmp, z.delta1, (uint8_t *)rs.v, N8);
    G1.add(pc, pc, tmp);

    std::string proof = "{\n \"pi_a\": " + g1Json(pa) + ",\n \"pi_b\": " + g2Json(pb) + ",\n \"pi_c\": " + g1Json(pc) +
                        ",\n \"protocol\": \"groth16\",\n \"curve\": \"bn128\"\n}";
    std::string pub = "[";
    for (uint32_t i = 1; i <= z.nPublic; i++) pub += std::string(i == 1 ? "\n \"" : ",\n \"") + decimal(w.values + (uint64_t)i * N8, N8) + "\"";
    pub += z.nPublic ? "\n]" : "]";

    // Both files appear whole or not at all.
    std::string proofTmp = proofPath + ".tmp", publicTmp = publicPath + ".tmp";
    try {
        writeFile(proofTmp, proof);
        writeFile(publicTmp, pub);
        if (rename(publicTmp.c_str(), publicPath.c_str()) != 0 || rename(proofTmp.c_str(), proofPath.c_str()) != 0)
            throw std::runtime_error(std::string("cannot rename the output files: ") + strerror(errno));
    } catch (...) {
        unlink(proofTmp.c_str());
        unlink(publicTmp.c_str());
        unlink(publicPath.c_str());
        throw;
    }
    step("proof and outputs");
}

/**
 * --self-test: the MSM (pippenger.hpp) against the sum of single scalar multiplications, in G1
 * and G2, on cases that reach its special paths: points at infinity, a base repeated in one
 * bucket (P + P) and with opposite digits (P − P), small scalars (empty high windows), and more
 * points than a chunk. Returns the number of failures (printed).
 */
int selfTest() {
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    auto next = [&]() {  // splitmix64: deterministic, so a failure can be replayed
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    auto one = [&](auto &G, auto &gen, const char *group, int mode, uint64_t n) {
        typedef typename std::remove_reference<decltype(G)>::type C;
        std::vector<typename C::PointAffine> bases(n);
        std::vector<uint8_t> sc(32 * n, 0);
        typename C::Point acc, expected, t, got;
        G.copy(acc, gen);
        for (uint64_t i = 0; i < n; i++) {
            if (mode != 0 && mode != 3 && i % 5) {
                bases[i] = bases[i - 1];  // the same base again
            } else {
                G.dbl(acc, acc);
                G.add(acc, acc, gen);
                G.copy(bases[i], acc);
            }
            if (mode == 0 || mode == 3) {
                for (int k = 0; k < 4; k++) {
                    uint64_t v = next();
                    memcpy(&sc[32 * i + 8 * k], &v, 8);
                }
                sc[32 * i + 31] &= 0x1f;  // below r
            } else {
                sc[32 * i] = (uint8_t)(next() % (mode == 1 ? 64 : 4));  // digits of both signs / tiny
            }
            if (i % 17 == 0) G.copy(bases[i], G.zeroAffine());
        }
        G.copy(expected, G.zero());
        for (uint64_t i = 0; i < n; i++) {
            G.mulByScalar(t, bases[i], &sc[32 * i], 32);
            G.add(expected, expected, t);
        }
        zkr::msm(G, got, bases.data(), sc.data(), n);
        bool ok = G.eq(got, expected);
        printf("self-test MSM %s, case %d, %lu points: %s\n", group, mode, (unsigned long)n, ok ? "ok" : "FAILED");
        return ok ? 0 : 1;
    };
    zkr::checkMontConstants(Fq_rawq, Fr_rawq);
    int failures = 0;
    for (int mode = 0; mode < 3; mode++) {
        failures += one(G1, G1.one(), "G1", mode, 1000);
        failures += one(G2, G2.one(), "G2", mode, 500);
    }
    failures += one(G1, G1.one(), "G1", 3, 20000);  // two chunks
    return failures;
}

}  // namespace

int zkeyNewMain(const std::vector<std::string> &args);  // zkey_new.cpp
int ptauNewMain(const std::vector<std::string> &args);  // ptau_new.cpp
int zkeyScaleMain(const std::vector<std::string> &args);  // zkey_scale.cpp

int main(int argc, char **argv) {
    // Dies with the process that started it (a proving process that is killed leaves no prover behind).
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) return 1;
    if (argc >= 2 && strcmp(argv[1], "zkey-new") == 0) return zkeyNewMain(std::vector<std::string>(argv + 2, argv + argc));
    if (argc >= 2 && strcmp(argv[1], "ptau-new") == 0) return ptauNewMain(std::vector<std::string>(argv + 2, argv + argc));
    if (argc >= 2 && strcmp(argv[1], "zkey-scale") == 0) return zkeyScaleMain(std::vector<std::string>(argv + 2, argv + argc));
    std::vector<std::string> args;
    bool stats = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--self-test") == 0) return selfTest() ? 1 : 0;
        if (strcmp(argv[i], "-v") == 0) verbose = true;
        else if (strcmp(argv[i], "--stats") == 0) stats = true;
        else args.push_back(argv[i]);
    }
    if (args.size() != 4) {
        fprintf(stderr, "usage: zkr-prover [-v] [--stats] <circuit.zkey> <witness.wtns> <proof.json> <public.json>\n       zkr-prover zkey-new [-v] [--stats] <circuit.r1cs> <pot.ptau> <circuit_0000.zkey>\n       zkr-prover ptau-new [-v] [--stats] [--window <bits>] <file> < plan\n       zkr-prover zkey-scale [-v] [--stats] <circuit.zkey> < scalar\n       zkr-prover --self-test\n");
        return 2;
    }
    try {
        prove(args[0], args[1], args[2], args[3]);
        if (stats) printStats();
        return 0;
    } catch (const std::exception &e) {
        fprintf(stderr, "zkr-prover: %s\n", e.what());
        return 1;
    }
}
