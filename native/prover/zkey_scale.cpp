// zkr native phase-2 contribution, its heavy part: multiplies every point of a .zkey's L and H
// sections (8 and 9) by one scalar, in place, as snarkjs's `zkey contribute` does with δ⁻¹
// (mpc_applykey.js applyKeyToSection with inc = 1: every point times the same scalar).
//
//   zkr-prover zkey-scale [--stats] <circuit.zkey>      (the scalar on stdin: 64 hex digits, big-endian, below r)
//
// The scalar is the inverse of the contribution's secret: it is read from stdin, never from the
// command line (which other users of the machine can read in /proc). src/proving/contribute.ts
// writes the rest of the contribution (header, δ, the contribution record) with snarkjs's own
// functions and runs this on a temporary copy renamed into place only when it succeeded.
//
// Every point is checked (coordinates below q, on the curve) before it is used: a corrupted key
// is an error (exit code 1, one line on stderr), never a key of wrong points. The points are in
// snarkjs's LEM form (x, y Montgomery, little-endian; (0, 0) at infinity, which stays there).
// Method: all points of a chunk step through the scalar's width-5 NAF in lockstep, from its
// top digit: a doubling of every point, then the addition of ±(odd multiple) of its own base
// for a nonzero digit, each step's inversions shared by the chunk (Montgomery's trick). BN254's
// G1 has prime order (cofactor 1), so an on-curve point is in the subgroup and the lockstep sums
// never meet P + P or P − P: the partial scalar m before an addition of digit d has 2m = ±d only
// for m = 0 or 2m + d ≥ r, and k < r.
//
// GPL-3.0-or-later, because it builds on ffiasm (see LICENSE and NOTICE in this directory).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include "affine.hpp"
#include "alt_bn128.hpp"
#include "common.hpp"
#include "wnaf.hpp"

using namespace AltBn128;

namespace {

using namespace zkr;

typedef G1PointAffine Affine;
typedef F1Element Elem;
typedef FqOps F;

constexpr int W = 5;                      // NAF width: digits odd, |d| < 2^(W−1)
constexpr int TABLE = 1 << (W - 2);       // odd multiples 1, 3, …, 2^(W−1) − 1 of the base
constexpr uint64_t CHUNK = 1 << 10;       // points one thread steps in lockstep (their table: 512 KiB)

/** The scalar's width-W NAF digit by digit, lowest first (zeros included). */
std::vector<int> digitsOf(const uint64_t k[4]) {
    std::vector<int> d(256, 0);
    d.resize(wnaf(k, W, [&](unsigned pos, int digit) { d[pos] = digit; }));
    return d;
}

/**
 * r[i] = s[i] + t[i] (add) or 2·s[i] (double) for the points of `idx`, one inversion for all.
 * `neg[i]`: add −t[i]. No special case arises (see the header).
 */
void batchStep(Affine *r, const Affine *s, const Affine *t, const uint8_t *neg, const std::vector<uint32_t> &idx, bool dbl,
               std::vector<Elem> &pre) {
    if (idx.empty()) return;
    pre.resize(idx.size());
    Elem acc, d;
    F::one(acc);
    for (size_t k = 0; k < idx.size(); k++) {
        const uint32_t i = idx[k];
        pre[k] = acc;
        if (dbl) F::add(d, s[i].y, s[i].y);
        else F::sub(d, t[i].x, s[i].x);
        F::mul(acc, acc, d);
    }
    Elem inv, invK;
    F::inv(inv, acc);
    for (int64_t k = (int64_t)idx.size() - 1; k >= 0; k--) {
        const uint32_t i = idx[k];
        F::mul(invK, inv, pre[k]);
        if (dbl) {
            F::add(d, s[i].y, s[i].y);
            F::mul(inv, inv, d);
            doubleWithInverse<F>(r[i], s[i], invK);
        } else {
            F::sub(d, t[i].x, s[i].x);
            F::mul(inv, inv, d);
            Affine q = t[i];
            if (neg && neg[i]) F::neg(q.y, q.y);
            addWithInverse<F>(r[i], s[i], q, invK);
        }
    }
}

/** pts[i] ← k·pts[i] for n points (checked first), with the scalar's wNAF `digits`. */
void scaleChunk(Affine *pts, uint64_t n, const std::vector<int> &digits, std::vector<Affine> &table, std::vector<Affine> &acc,
                std::vector<Elem> &pre, std::vector<uint32_t> &live) {
    live.clear();
    for (uint64_t i = 0; i < n; i++)
        if (!isZeroAffine(pts[i])) live.push_back((uint32_t)i);
    table.resize(TABLE * n);
    acc.resize(n);
    // table[j·n + i] = (2j + 1)·P_i; acc = 2·P_i to build it
    for (uint64_t i = 0; i < n; i++) table[i] = pts[i];
    batchStep(acc.data(), pts, nullptr, nullptr, live, true, pre);
    for (int j = 1; j < TABLE; j++) batchStep(&table[j * n], &table[(j - 1) * n], acc.data(), nullptr, live, false, pre);
    // acc = top digit's multiple (positive: the top digit of a NAF is), then down the digits
    const int top = digits.back();
    for (uint32_t i : live) acc[i] = table[(top >> 1) * n + i];
    std::vector<uint8_t> neg(n);
    std::vector<Affine> pick(n);
    for (int pos = (int)digits.size() - 2; pos >= 0; pos--) {
        batchStep(acc.data(), acc.data(), nullptr, nullptr, live, true, pre);
        const int d = digits[pos];
        if (d == 0) continue;
        const int a = d < 0 ? -d : d;
        for (uint32_t i : live) {
            pick[i] = table[(a >> 1) * n + i];
            neg[i] = d < 0;
        }
        batchStep(acc.data(), acc.data(), pick.data(), neg.data(), live, false, pre);
    }
    for (uint32_t i : live) pts[i] = acc[i];
}

struct SectionPos {
    uint64_t offset, size;
};

void readAt(int fd, void *buf, size_t n, uint64_t off, const std::string &file) {
    for (size_t done = 0; done < n;) {
        ssize_t r = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (r <= 0) throw std::runtime_error(file + ": " + (r == 0 ? std::string("truncated") : strerror(errno)));
        done += (size_t)r;
    }
}

void writeAt(int fd, const void *buf, size_t n, uint64_t off, const std::string &file) {
    for (size_t done = 0; done < n;) {
        ssize_t r = pwrite(fd, (const uint8_t *)buf + done, n - done, (off_t)(off + done));
        if (r <= 0) throw std::runtime_error(file + ": cannot write: " + strerror(errno));
        done += (size_t)r;
    }
}

/** The sections of a zkey file by id (each checked to lie inside the file). */
std::vector<std::pair<uint32_t, SectionPos>> sections(int fd, const std::string &file) {
    uint8_t head[12];
    readAt(fd, head, 12, 0, file);
    if (memcmp(head, "zkey", 4) != 0) throw std::runtime_error(file + " is not a zkey file");
    uint32_t count;
    memcpy(&count, head + 8, 4);
    const off_t end = lseek(fd, 0, SEEK_END);
    std::vector<std::pair<uint32_t, SectionPos>> out;
    uint64_t o = 12;
    for (uint32_t s = 0; s < count; s++) {
        uint8_t h[12];
        readAt(fd, h, 12, o, file);
        uint32_t id;
        uint64_t size;
        memcpy(&id, h, 4);
        memcpy(&size, h + 4, 8);
        if (o + 12 + size > (uint64_t)end) throw std::runtime_error(file + ": section " + std::to_string(id) + " runs past the end (truncated or corrupted key)");
        out.push_back({id, {o + 12, size}});
        o += 12 + size;
    }
    return out;
}

void zkeyScale(const std::string &file, const uint64_t k[4]) {
    checkMontConstants(Fq_rawq, Fr_rawq);
    const std::vector<int> digits = digitsOf(k);
    if (digits.empty()) throw std::runtime_error("the scalar is 0");
    int fd = open(file.c_str(), O_RDWR);
    if (fd < 0) throw std::runtime_error("cannot open " + file + ": " + strerror(errno));
    try {
        const auto secs = sections(fd, file);
        for (uint32_t want : {8u, 9u}) {
            const SectionPos *sp = nullptr;
            for (const auto &s : secs)
                if (s.first == want) {
                    if (sp) throw std::runtime_error(file + ": two sections " + std::to_string(want));
                    sp = &s.second;
                }
            if (!sp) throw std::runtime_error(file + ": no section " + std::to_string(want) + " (not a Groth16 key)");
            if (sp->size % sizeof(Affine)) throw std::runtime_error(file + ": section " + std::to_string(want) + " is not a whole number of G1 points");
            const uint64_t n = sp->size / sizeof(Affine);
            const uint64_t BLOCK = CHUNK * 256;  // points read, scaled (in parallel) and written at once: 16 MiB
            std::vector<Affine> buf(std::min(n, BLOCK));
            for (uint64_t b0 = 0; b0 < n; b0 += BLOCK) {
                const uint64_t m = std::min(BLOCK, n - b0);
                readAt(fd, buf.data(), m * sizeof(Affine), sp->offset + b0 * sizeof(Affine), file);
                int64_t bad = -1;
#pragma omp parallel for schedule(static) reduction(max : bad)
                for (int64_t i = 0; i < (int64_t)m; i++)
                    if (!validPoint<Curve<RawFq>, Elem>(G1, buf[i])) bad = std::max<int64_t>(bad, i);
                if (bad >= 0)
                    throw std::runtime_error(file + ": section " + std::to_string(want) + " point " + std::to_string(b0 + bad) + " is not on the curve (corrupted key)");
#pragma omp parallel
                {
                    std::vector<Affine> table, acc;
                    std::vector<Elem> pre;
                    std::vector<uint32_t> live;
#pragma omp for schedule(dynamic, 1)
                    for (int64_t c0 = 0; c0 < (int64_t)m; c0 += CHUNK)
                        scaleChunk(&buf[c0], std::min<uint64_t>(CHUNK, m - c0), digits, table, acc, pre, live);
                }
                writeAt(fd, buf.data(), m * sizeof(Affine), sp->offset + b0 * sizeof(Affine), file);
            }
            step(want == 8 ? "L section" : "H section");
        }
        if (fsync(fd) != 0) throw std::runtime_error(file + ": cannot sync: " + strerror(errno));
    } catch (...) {
        close(fd);
        throw;
    }
    close(fd);
}

}  // namespace

/** `zkr-prover zkey-scale …` (prover.cpp's main passes the arguments after "zkey-scale"). */
int zkeyScaleMain(const std::vector<std::string> &argv) {
    programName = "zkr-prover zkey-scale";
    std::vector<std::string> args;
    bool stats = false;
    for (const std::string &a : argv) {
        if (a == "--stats") stats = true;
        else if (a == "-v") verbose = true;
        else args.push_back(a);
    }
    if (args.size() != 1) {
        fprintf(stderr, "usage: zkr-prover zkey-scale [-v] [--stats] <circuit.zkey>   (the scalar on stdin: 64 hex digits, big-endian)\n");
        return 2;
    }
    char line[256];
    size_t len = fread(line, 1, sizeof line - 1, stdin);
    line[len] = 0;
    std::string hex(line);
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        fprintf(stderr, "zkr-prover zkey-scale: the scalar on stdin must be 64 hex digits\n");
        return 2;
    }
    uint64_t k[4];
    for (int l = 0; l < 4; l++) k[3 - l] = std::stoull(hex.substr(16 * l, 16), nullptr, 16);
    if (!below((const uint8_t *)k, Fr_rawq)) {
        fprintf(stderr, "zkr-prover zkey-scale: the scalar is not below r\n");
        return 2;
    }
    try {
        zkeyScale(args[0], k);
        if (stats) printStats();
        return 0;
    } catch (const std::exception &e) {
        fprintf(stderr, "zkr-prover zkey-scale: %s\n", e.what());
        return 1;
    }
}
