// zkr native `ptau new` (BN254): the point sections of a development powers-of-tau file and the
// hashes of its contribution, computed natively on every core, for src/proving/fastptau.ts. That
// file owns the ptau's layout: it writes the header, every section header and the contribution
// record into the file, and gives this program the point sections to fill, as a plan on stdin.
//
//   zkr-prover ptau-new [-v] [--stats] [--window <bits>] <file>  < plan
//
// The plan, one item a line, field elements as 64 hex digits (big-endian, below r):
//   zkr-ptau-plan 1
//   challenge <128 hex digits>       the previous challenge hash (the response hash starts with it)
//   pubkey <1536 hex digits>         the contribution's public key, uncompressed (the response hash ends with it)
//   section <G1|G2> <offset> <points> <hashed 0|1>
//                                    the next section: <points> affine points (LEM, snarkjs's layout)
//                                    at byte <offset> of <file>, filled by the chunks that follow
//   geometric <n> <first> <inc>      a chunk: the next n points s_i·G, s_i = first·inc^i
//   lagrange <n> <w0> <omega> <tau> <c> <e>
//                                    a chunk: s_j·G, s_j = w_j·(c/(tau − w_j) − e), w_j = w0·omega^j
//   end
// G is the group's generator. Each point is the sum of one entry per row of a fixed-base table in
// signed w-bit windows (row k holds m·2^(k·w)·G for 1 ≤ m ≤ 2^(w−1); w from a cost model, at most
// 16, or --window); a chunk's points advance row by row in lockstep in affine form, the additions
// of one row sharing one field inversion (Montgomery's trick), each table entry prefetched a few
// points ahead (a row is megabytes, in huge pages where the kernel grants them). The chunks go to
// the cores in turn (OpenMP, dynamic).
// The hashes, as snarkjs's `powersoftau contribute` computes them: the response hash is
// blake2b-512 over the challenge, the hashed sections' points compressed (each chunk one update,
// in plan order: the state after them, which the contribution record stores, depends on those
// boundaries) and the public key; the next challenge is blake2b-512 over the response hash and
// the same points uncompressed (read back from the file, on a thread of its own while the other
// sections are computed).
// Output: one line {"partialHash":"<216 bytes hex>","nextChallenge":"<64 bytes hex>","windows":
// [<G1 bits>,<G2 bits>]}; with --stats a second one (threads, peak RSS, CPU time, steps). On any
// error: one line "zkr-prover ptau-new: <why>" on stderr and exit code 1 (the caller removes the
// file); exit code 2 for bad arguments.
//
// GPL-3.0-or-later, because it builds on ffiasm (see LICENSE and NOTICE in this directory).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "affine.hpp"
#include "alt_bn128.hpp"
#include "blake2b.hpp"
#include "common.hpp"
#include "ntt.hpp"
#include "pippenger.hpp"

using namespace AltBn128;

namespace {

using namespace zkr;

typedef Curve<RawFq> C1;
typedef Curve<F2Field<RawFq>> C2;

/** Points per chunk at most (a chunk's buffers are a few of these times 128 bytes). */
constexpr uint64_t MAX_CHUNK = (uint64_t)1 << 20;

struct Chunk {
    bool lagrange;
    uint64_t n;
    /** geometric: first, inc; lagrange: w0, omega, tau, c, e (Montgomery form). */
    FrE a[5];
    unsigned group;  // 1 or 2
    bool hashed;
    /** Byte offset in the file of its first point. */
    uint64_t offset;
};

struct Plan {
    uint8_t challenge[64];
    uint8_t pubkey[768];
    std::vector<Chunk> chunks;
    uint64_t points[3] = {0, 0, 0};  // per group (index 1, 2)
};

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void hexBytes(uint8_t *out, const std::string &hex, size_t n, const std::string &what) {
    if (hex.size() != 2 * n) throw std::runtime_error("plan: " + what + " must be " + std::to_string(2 * n) + " hex digits");
    for (size_t i = 0; i < n; i++) {
        int hi = hexDigit(hex[2 * i]), lo = hexDigit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) throw std::runtime_error("plan: " + what + " is not hex");
        out[i] = (uint8_t)(hi << 4 | lo);
    }
}

std::string toHex(const uint8_t *p, size_t n) {
    static const char *digits = "0123456789abcdef";
    std::string s(2 * n, '0');
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[p[i] >> 4];
        s[2 * i + 1] = digits[p[i] & 15];
    }
    return s;
}

/** A field element of the plan (64 hex digits, big-endian, below r), in Montgomery form. */
FrE scalar(const std::string &hex, const std::string &what) {
    uint8_t be[32], le[32];
    hexBytes(be, hex, 32, what);
    for (int i = 0; i < 32; i++) le[i] = be[31 - i];
    if (!below(le, Fr_rawq)) throw std::runtime_error("plan: " + what + " is not below r");
    FrE e;
    memcpy(e.v, le, 32);
    Fr.toMontgomery(e, e);
    return e;
}

uint64_t number(const std::string &s, const std::string &what) {
    if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) throw std::runtime_error("plan: bad " + what + " \"" + s + "\"");
    return std::stoull(s);
}

Plan readPlan(std::istream &in) {
    Plan p;
    std::string line;
    unsigned lineNo = 0;
    auto next = [&](std::vector<std::string> &tok) {
        if (!std::getline(in, line)) throw std::runtime_error("plan: ends after line " + std::to_string(lineNo) + " without \"end\"");
        lineNo++;
        std::istringstream ss(line);
        tok.assign(std::istream_iterator<std::string>(ss), std::istream_iterator<std::string>());
        if (tok.empty()) throw std::runtime_error("plan: line " + std::to_string(lineNo) + " is empty");
    };
    std::vector<std::string> t;
    next(t);
    if (t.size() != 2 || t[0] != "zkr-ptau-plan" || t[1] != "1") throw std::runtime_error("plan: not a zkr-ptau-plan 1 (first line \"" + line + "\")");
    next(t);
    if (t.size() != 2 || t[0] != "challenge") throw std::runtime_error("plan: line 2 must be the challenge");
    hexBytes(p.challenge, t[1], 64, "the challenge");
    next(t);
    if (t.size() != 2 || t[0] != "pubkey") throw std::runtime_error("plan: line 3 must be the public key");
    hexBytes(p.pubkey, t[1], 768, "the public key");
    unsigned group = 0;
    bool hashed = false;
    uint64_t offset = 0, left = 0;
    for (;;) {
        next(t);
        const std::string at = "line " + std::to_string(lineNo);
        if (t[0] == "end" || t[0] == "section") {
            if (left) throw std::runtime_error("plan: " + at + ": the section before it lacks " + std::to_string(left) + " points");
            if (t[0] == "end") break;
            if (t.size() != 5 || (t[1] != "G1" && t[1] != "G2") || (t[4] != "0" && t[4] != "1"))
                throw std::runtime_error("plan: " + at + ": expected section <G1|G2> <offset> <points> <hashed 0|1>");
            group = t[1] == "G1" ? 1 : 2;
            offset = number(t[2], "offset");
            left = number(t[3], "point count");
            hashed = t[4] == "1";
            if (left == 0 || left > ((uint64_t)1 << 30)) throw std::runtime_error("plan: " + at + ": a section of " + t[3] + " points");
            p.points[group] += left;
            continue;
        }
        Chunk c;
        c.lagrange = t[0] == "lagrange";
        if (!c.lagrange && t[0] != "geometric") throw std::runtime_error("plan: " + at + ": unknown item \"" + t[0] + "\"");
        const size_t args = c.lagrange ? 5 : 2;
        if (t.size() != 2 + args) throw std::runtime_error("plan: " + at + ": " + t[0] + " takes " + std::to_string(1 + args) + " values");
        if (!group) throw std::runtime_error("plan: " + at + ": a chunk outside a section");
        c.n = number(t[1], "chunk size");
        if (c.n == 0 || c.n > MAX_CHUNK || c.n > left) throw std::runtime_error("plan: " + at + ": a chunk of " + t[1] + " points (at most " + std::to_string(std::min(left, MAX_CHUNK)) + ")");
        for (size_t i = 0; i < args; i++) c.a[i] = scalar(t[2 + i], at + " value " + std::to_string(i + 1));
        c.group = group;
        c.hashed = hashed;
        c.offset = offset;
        const uint64_t bytes = c.n * (group == 1 ? 64 : 128);
        offset += bytes;
        left -= c.n;
        p.chunks.push_back(c);
    }
    if (p.chunks.empty()) throw std::runtime_error("plan: no points");
    return p;
}

/**
 * The window (bits) minimising the additions: rows − 1 per point (the first digit's entry is
 * copied) and about one per table entry. At most 16: a row of G1 (2 MiB) then fits in a core's L2
 * cache; above, each addition waits more on memory (measured at 2^16: about 15 % dearer at 20
 * bits; by that a 2^20 ptau would be no faster, a 2^23 one about 7 % faster, for tables of 1.3 GB).
 */
unsigned windowFor(uint64_t points) {
    unsigned best = 2;
    double bestCost = 1e300;
    for (unsigned w = 2; w <= 16; w++) {
        const unsigned rows = msmWindowCount(w);
        double cost = (double)(rows - 1) * (double)points + (double)rows * (double)((uint64_t)1 << (w - 1));
        if (cost < bestCost) {
            bestCost = cost;
            best = w;
        }
    }
    return best;
}

/**
 * Memory for a large table read at random: 2 MiB-aligned and in huge pages where the kernel
 * grants them (madvise), so that its reads miss the TLB less.
 */
class HugeBuffer {
public:
    explicit HugeBuffer(size_t bytes) : size_((bytes + HUGE - 1) / HUGE * HUGE) {
        p_ = aligned_alloc(HUGE, size_);
        if (!p_) throw std::runtime_error("out of memory for a table of " + std::to_string(size_ >> 20) + " MiB");
        madvise(p_, size_, MADV_HUGEPAGE);  // advice: without huge pages it still works
    }
    ~HugeBuffer() { free(p_); }
    HugeBuffer(const HugeBuffer &) = delete;
    HugeBuffer &operator=(const HugeBuffer &) = delete;
    void *data() const { return p_; }

private:
    static constexpr size_t HUGE = (size_t)2 << 20;
    size_t size_;
    void *p_;
};

/**
 * Fixed-base multiplication by the generator of curve C: row k of the table holds m·2^(k·w)·G
 * (affine) at m − 1 for 1 ≤ m ≤ 2^(w−1), so s·G is the sum of ±row_k[|d_k| − 1] over the signed
 * w-bit digits d_k of s (pippenger.hpp signedDigits).
 */
template <typename C>
class FixedBase {
public:
    typedef typename C::PointAffine Affine;
    typedef typename C::Point Point;
    typedef decltype(Affine::x) Elem;
    typedef typename OpsFor<C>::T F;

    /** A thread's buffers, reused across its chunks. */
    struct Scratch {
        std::vector<int32_t> digits;
        std::vector<uint8_t> empty;
        std::vector<uint32_t> active;
        std::vector<Elem> prefix;
    };

    FixedBase(C &G, unsigned w) : G_(G), w_(w), rows_(msmWindowCount(w)), half_((uint64_t)1 << (w - 1)), table_((size_t)rows_ * half_ * sizeof(Affine)) {
        Affine *table = (Affine *)table_.data();
        // The rows in parallel, each from its base B = 2^(k·w)·G by levels: row[1] = 2B, then
        // row[h + j] = row[j] + row[h] for j < h and row[2h] = 2·row[h] (h = 2, 4, …): the
        // additions of a level share one inversion.
#pragma omp parallel
        {
            std::vector<Elem> prefix(half_ / 2 + 1);
#pragma omp for schedule(dynamic, 1)
            for (int k = 0; k < (int)rows_; k++) {
                Point base;
                G.copy(base, G.one());
                for (unsigned i = 0; i < (unsigned)k * w; i++) G.dbl(base, base);
                Affine *E = &table[(size_t)k * half_];
                G.copy(E[0], base);
                if (half_ == 1) continue;
                Elem den, inv, invJ;
                F::add(den, E[0].y, E[0].y);
                F::inv(inv, den);
                doubleWithInverse<F>(E[1], E[0], inv);
                for (uint64_t h = 2; h < half_; h *= 2) {
                    const Affine &Eh = E[h - 1];  // h·B
                    Elem acc;
                    F::one(acc);
                    for (uint64_t j = 1; j <= h; j++) {  // E[j − 1] + E[h − 1] → E[h + j − 1]
                        prefix[j - 1] = acc;
                        if (j < h) F::sub(den, Eh.x, E[j - 1].x);
                        else F::add(den, Eh.y, Eh.y);
                        F::mul(acc, acc, den);
                    }
                    F::inv(inv, acc);
                    for (uint64_t j = h; j >= 1; j--) {
                        F::mul(invJ, inv, prefix[j - 1]);
                        if (j < h) F::sub(den, Eh.x, E[j - 1].x);
                        else F::add(den, Eh.y, Eh.y);
                        F::mul(inv, inv, den);
                        if (j < h) addWithInverse<F>(E[h + j - 1], E[j - 1], Eh, invJ);
                        else doubleWithInverse<F>(E[2 * h - 1], Eh, invJ);
                    }
                }
            }
        }
    }

    unsigned window() const { return w_; }

    /** out[i] = s_i·G for the n scalars at `scalars` (32 bytes each, little-endian, below r), in affine form. */
    void mul(Affine *out, const uint8_t *scalars, uint64_t n, Scratch &s) const {
        s.digits.resize((size_t)rows_ * n);
        for (uint64_t i = 0; i < n; i++) signedDigits(&s.digits[i], n, scalars + 32 * i, w_, rows_);
        s.empty.assign(n, 1);
        s.active.resize(n);
        s.prefix.resize(n);
        for (unsigned k = 0; k < rows_; k++) {
            const Affine *T = (const Affine *)table_.data() + (size_t)k * half_;
            const int32_t *d = &s.digits[(size_t)k * n];
            // Pass 1: the first term of each point, or the prefix products of the denominators.
            Elem acc, dx;
            F::one(acc);
            uint64_t cnt = 0;
            for (uint64_t i = 0; i < n; i++) {
                if (i + PREFETCH < n) prefetch(T, d[i + PREFETCH]);
                if (!d[i]) continue;
                const Affine &t = T[(d[i] > 0 ? d[i] : -d[i]) - 1];
                if (s.empty[i]) {
                    out[i] = t;
                    if (d[i] < 0) F::neg(out[i].y, out[i].y);
                    s.empty[i] = 0;
                    continue;
                }
                if (memcmp(&out[i].x, &t.x, sizeof(Elem)) == 0) {  // ±P + P: the complete formulas (never met for scalars below r)
                    Affine u = t;
                    if (d[i] < 0) F::neg(u.y, u.y);
                    Point q;
                    G_.copy(q, out[i]);
                    G_.add(q, q, u);
                    if (G_.isZero(q)) s.empty[i] = 1;
                    else G_.copy(out[i], q);
                    continue;
                }
                s.prefix[cnt] = acc;
                s.active[cnt++] = (uint32_t)i;
                F::sub(dx, t.x, out[i].x);
                F::mul(acc, acc, dx);
            }
            if (!cnt) continue;
            // Pass 2, backwards: each denominator's inverse from the one inversion, and the sum.
            Elem inv, invK;
            F::inv(inv, acc);
            for (uint64_t j = cnt; j-- > 0;) {
                if (j >= PREFETCH) prefetch(T, d[s.active[j - PREFETCH]]);
                const uint32_t i = s.active[j];
                Affine t = T[(d[i] > 0 ? d[i] : -d[i]) - 1];
                if (d[i] < 0) F::neg(t.y, t.y);
                F::mul(invK, inv, s.prefix[j]);
                F::sub(dx, t.x, out[i].x);
                F::mul(inv, inv, dx);
                addWithInverse<F>(out[i], out[i], t, invK);
            }
        }
        for (uint64_t i = 0; i < n; i++)
            if (s.empty[i]) memset((void *)&out[i], 0, sizeof(Affine));
    }

private:
    /** How many points ahead a pass fetches its table entry: a row is megabytes, an entry a cache miss. */
    static constexpr uint64_t PREFETCH = 16;

    /** Prefetches the entry of digit d ≠ 0 (for d = 0 a harmless one: GCC 12 drops a prefetch under a test of d). */
    inline void prefetch(const Affine *T, int32_t d) const {
        const char *p = (const char *)&T[((uint64_t)(d > 0 ? d : -d) - 1) & (half_ - 1)];
        for (size_t b = 0; b < sizeof(Affine); b += 64) __builtin_prefetch(p + b);
    }

    C &G_;
    unsigned w_, rows_;
    uint64_t half_;
    HugeBuffer table_;
};

/** The chunk's scalars, little-endian standard form, 32 bytes each, into `out` (n × 32 bytes); `tmp` holds 2n elements. */
void chunkScalars(uint8_t *out, const Chunk &c, std::vector<FrE> &tmp) {
    FrE *s = (FrE *)out;
    const uint64_t n = c.n;
    if (!c.lagrange) {
        s[0] = c.a[0];
        for (uint64_t i = 1; i < n; i++) Fr.mul(s[i], s[i - 1], c.a[1]);
    } else {
        const FrE &w0 = c.a[0], &omega = c.a[1], &tau = c.a[2], &cc = c.a[3], &e = c.a[4];
        tmp.resize(2 * n);
        FrE *d = tmp.data(), *pre = tmp.data() + n;
        // s holds w_j, d the denominators tau − w_j, pre their prefix products.
        FrE acc = Fr.one();
        for (uint64_t j = 0; j < n; j++) {
            if (j == 0) s[0] = w0;
            else Fr.mul(s[j], s[j - 1], omega);
            Fr.sub(d[j], tau, s[j]);
            if (Fr.isZero(d[j])) throw std::runtime_error("degenerate tau: a root of unity of the plan's domain");
            pre[j] = acc;
            Fr.mul(acc, acc, d[j]);
        }
        FrE inv, invJ, t;
        Fr.inv(inv, acc);
        for (uint64_t j = n; j-- > 0;) {
            Fr.mul(invJ, inv, pre[j]);
            Fr.mul(inv, inv, d[j]);
            Fr.mul(t, cc, invJ);
            Fr.sub(t, t, e);
            Fr.mul(s[j], s[j], t);
        }
    }
    for (uint64_t i = 0; i < n; i++) Fr.fromMontgomery(s[i], s[i]);
}

void pwriteAll(int fd, const void *p, size_t n, uint64_t offset, const std::string &file) {
    const uint8_t *b = (const uint8_t *)p;
    while (n > 0) {
        ssize_t k = pwrite(fd, b, n, (off_t)offset);
        if (k < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error("cannot write " + file + ": " + strerror(errno));
        }
        b += k;
        n -= (size_t)k;
        offset += (uint64_t)k;
    }
}

void preadAll(int fd, void *p, size_t n, uint64_t offset, const std::string &file) {
    uint8_t *b = (uint8_t *)p;
    while (n > 0) {
        ssize_t k = pread(fd, b, n, (off_t)offset);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) throw std::runtime_error("cannot read back " + file + ": " + (k < 0 ? strerror(errno) : "unexpected end of file"));
        b += k;
        n -= (size_t)k;
        offset += (uint64_t)k;
    }
}

/** A thread's buffers for its chunks. */
struct Worker {
    std::vector<uint8_t> scalars, points, compressed;
    std::vector<FrE> tmp;
    FixedBase<C1>::Scratch s1;
    FixedBase<C2>::Scratch s2;
};

/** Computes chunk c into w.points (and its compressed form if hashed) and writes it to the file. */
void runChunk(const Chunk &c, Worker &w, const FixedBase<C1> *t1, const FixedBase<C2> *t2, int fd, const std::string &file) {
    const size_t size = c.group == 1 ? sizeof(G1PointAffine) : sizeof(G2PointAffine);
    w.scalars.resize(32 * c.n);
    w.points.resize(size * c.n);
    chunkScalars(w.scalars.data(), c, w.tmp);
    if (c.group == 1) t1->mul((G1PointAffine *)w.points.data(), w.scalars.data(), c.n, w.s1);
    else t2->mul((G2PointAffine *)w.points.data(), w.scalars.data(), c.n, w.s2);
    pwriteAll(fd, w.points.data(), w.points.size(), c.offset, file);
    if (!c.hashed) return;
    w.compressed.resize(size / 2 * c.n);
    for (uint64_t i = 0; i < c.n; i++) {
        if (c.group == 1) toCompressed(&w.compressed[i * size / 2], ((const G1PointAffine *)w.points.data())[i]);
        else toCompressed(&w.compressed[i * size / 2], ((const G2PointAffine *)w.points.data())[i]);
    }
}

/** The next challenge: blake2b-512 over the response hash and the hashed chunks' points uncompressed, read back from the file. */
void nextChallenge(uint8_t out[64], const uint8_t responseHash[64], const std::vector<const Chunk *> &chunks, const std::string &file) {
    int fd = open(file.c_str(), O_RDONLY);
    if (fd < 0) throw std::runtime_error("cannot read back " + file + ": " + strerror(errno));
    try {
        Blake2b h;
        h.update(responseHash, 64);
        std::vector<uint8_t> lem, u;
        for (const Chunk *c : chunks) {
            const size_t size = c->group == 1 ? sizeof(G1PointAffine) : sizeof(G2PointAffine);
            lem.resize(size * c->n);
            u.resize(size * c->n);
            preadAll(fd, lem.data(), lem.size(), c->offset, file);
            for (uint64_t i = 0; i < c->n; i++) {
                if (c->group == 1) toUncompressed(&u[i * size], ((const G1PointAffine *)lem.data())[i]);
                else toUncompressed(&u[i * size], ((const G2PointAffine *)lem.data())[i]);
            }
            h.update(u.data(), u.size());
        }
        h.final(out);
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);
}

void ptauNew(const std::string &file, unsigned window, bool stats) {
    checkMontConstants(Fq_rawq, Fr_rawq);
    Plan plan = readPlan(std::cin);
    step("read the plan");
    int fd = open(file.c_str(), O_WRONLY);
    if (fd < 0) throw std::runtime_error("cannot open " + file + ": " + strerror(errno));
    struct Closer {
        int fd;
        ~Closer() {
            if (fd >= 0) close(fd);
        }
    } closer{fd};

    std::unique_ptr<FixedBase<C1>> t1;
    std::unique_ptr<FixedBase<C2>> t2;
    if (plan.points[1]) t1.reset(new FixedBase<C1>(G1, window ? window : windowFor(plan.points[1])));
    if (plan.points[2]) t2.reset(new FixedBase<C2>(G2, window ? window : windowFor(plan.points[2])));
    step("fixed-base tables");

    std::vector<const Chunk *> hashed, plain;
    for (const Chunk &c : plan.chunks) (c.hashed ? hashed : plain).push_back(&c);
    const int nThreads = omp_get_max_threads();
    std::vector<Worker> workers(nThreads);

    // The hashed sections, their compressed points into the response hash in plan order.
    Blake2b response;
    response.update(plan.challenge, 64);
    std::string failure;
#pragma omp parallel
    {
        Worker &w = workers[omp_get_thread_num()];
#pragma omp for ordered schedule(dynamic, 1)
        for (int64_t j = 0; j < (int64_t)hashed.size(); j++) {
            bool ok = true;
            try {
                runChunk(*hashed[j], w, t1.get(), t2.get(), fd, file);
            } catch (const std::exception &e) {
                ok = false;
#pragma omp critical
                if (failure.empty()) failure = e.what();
            }
#pragma omp ordered
            if (ok) response.update(w.compressed.data(), w.compressed.size());
        }
    }
    if (!failure.empty()) throw std::runtime_error(failure);
    uint8_t partial[216], responseHash[64], next[64];
    response.partialState(partial);
    response.update(plan.pubkey, sizeof plan.pubkey);
    response.final(responseHash);
    step("hashed sections");

    // The next challenge (reading the hashed sections back) on a thread of its own, while the
    // other sections are computed.
    std::string nextFailure;
    std::thread reader([&]() {
        try {
            nextChallenge(next, responseHash, hashed, file);
        } catch (const std::exception &e) {
            nextFailure = e.what();
        }
    });
#pragma omp parallel
    {
        Worker &w = workers[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
        for (int64_t j = 0; j < (int64_t)plain.size(); j++) {
            try {
                runChunk(*plain[j], w, t1.get(), t2.get(), fd, file);
            } catch (const std::exception &e) {
#pragma omp critical
                if (failure.empty()) failure = e.what();
            }
        }
    }
    step("other sections");
    reader.join();
    if (!failure.empty()) throw std::runtime_error(failure);
    if (!nextFailure.empty()) throw std::runtime_error(nextFailure);
    step("next challenge");
    if (close(fd) != 0) {
        closer.fd = -1;
        throw std::runtime_error("cannot write " + file + ": " + strerror(errno));
    }
    closer.fd = -1;

    printf("{\"partialHash\":\"%s\",\"nextChallenge\":\"%s\",\"windows\":[%u,%u]}\n", toHex(partial, sizeof partial).c_str(), toHex(next, sizeof next).c_str(),
           t1 ? t1->window() : 0, t2 ? t2->window() : 0);
    if (stats) printStats();
}

}  // namespace

/** `zkr-prover ptau-new …` (prover.cpp's main passes the arguments after "ptau-new"). */
int ptauNewMain(const std::vector<std::string> &argv) {
    programName = "zkr-prover ptau-new";
    std::vector<std::string> args;
    bool stats = false;
    unsigned window = 0;
    for (size_t i = 0; i < argv.size(); i++) {
        const std::string &a = argv[i];
        if (a == "-v") verbose = true;
        else if (a == "--stats") stats = true;
        else if (a == "--window" && i + 1 < argv.size()) {
            const std::string &v = argv[++i];
            window = v.size() <= 2 && v.find_first_not_of("0123456789") == std::string::npos ? (unsigned)std::stoul(v) : 0;
            if (window < 2 || window > 22) {
                fprintf(stderr, "zkr-prover ptau-new: --window must be 2..22, got \"%s\"\n", v.c_str());
                return 2;
            }
        } else args.push_back(a);
    }
    if (args.size() != 1) {
        fprintf(stderr, "usage: zkr-prover ptau-new [-v] [--stats] [--window <bits>] <file> < plan\n");
        return 2;
    }
    try {
        ptauNew(args[0], window, stats);
        return 0;
    } catch (const std::exception &e) {
        fprintf(stderr, "zkr-prover ptau-new: %s\n", e.what());
        return 1;
    }
}
