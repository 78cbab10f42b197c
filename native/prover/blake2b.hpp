// zkr native programs — BLAKE2b (RFC 7693), unkeyed, for the circuit hash of a zkey (blake2b-512
// over the key's points, as snarkjs computes it with @noble/hashes) and the hashes of a ptau's
// contribution. It takes its input block by block as @noble/hashes does (a whole block is
// compressed straight from the input, not copied, unless it may be the last), so that the state
// snarkjs stores in a ptau's contribution record (partialState: the buffer with whatever bytes an
// earlier block left in it) is the one snarkjs and zkr's TypeScript write for the same updates.
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace zkr {

class Blake2b {
public:
    explicit Blake2b(size_t outLen = 64) : outLen_(outLen) {
        for (int i = 0; i < 8; i++) h_[i] = IV[i];
        h_[0] ^= 0x01010000ULL ^ (uint64_t)outLen;
    }

    /** Hashes n bytes; a full block is compressed only once more input follows (it may be the last). */
    void update(const uint8_t *p, size_t n) {
        while (n > 0) {
            if (fill_ == 128) {
                count(128);
                compress(buf_, false);
                fill_ = 0;
            }
            size_t k = 128 - fill_ < n ? 128 - fill_ : n;
            if (k == 128 && n > 128) {  // whole blocks straight from the input (@noble/hashes's update)
                for (; n > 128; p += 128, n -= 128) {
                    count(128);
                    compress(p, false);
                }
                continue;
            }
            memcpy(buf_ + fill_, p, k);
            fill_ += k;
            p += k;
            n -= k;
        }
    }

    /**
     * The running state in snarkjs's 216-byte "partial hash" layout (misc.toPartialHash over
     * @noble/hashes's state): the 128-byte block buffer, the chaining value (8 little-endian
     * 64-bit words), at 192 the bytes compressed so far (as a u32: modulo 2^32, as snarkjs stores
     * it), at 200 the bytes waiting in the buffer; zeros elsewhere.
     */
    void partialState(uint8_t out[216]) const {
        memset(out, 0, 216);
        memcpy(out, buf_, 128);
        for (int i = 0; i < 8; i++)
            for (int b = 0; b < 8; b++) out[128 + 8 * i + b] = (uint8_t)(h_[i] >> (8 * b));
        uint32_t done = (uint32_t)t_[0], waiting = (uint32_t)fill_;
        memcpy(out + 192, &done, 4);
        memcpy(out + 200, &waiting, 4);
    }

    /** The digest (outLen bytes) into `out`. */
    void final(uint8_t *out) {
        count(fill_);
        memset(buf_ + fill_, 0, 128 - fill_);
        compress(buf_, true);
        uint8_t full[64];
        for (int i = 0; i < 8; i++)
            for (int b = 0; b < 8; b++) full[8 * i + b] = (uint8_t)(h_[i] >> (8 * b));
        memcpy(out, full, outLen_);
    }

private:
    static constexpr uint64_t IV[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
                                       0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
    static constexpr uint8_t SIGMA[12][16] = {
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
        {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
        {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
        {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
        {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
        {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3}};

    static inline uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

    void count(size_t n) {
        t_[0] += n;
        if (t_[0] < n) t_[1]++;
    }

    void compress(const uint8_t *block, bool last) {
        uint64_t v[16], m[16];
        for (int i = 0; i < 16; i++) memcpy(&m[i], block + 8 * i, 8);  // little-endian words (x86-64)
        for (int i = 0; i < 8; i++) {
            v[i] = h_[i];
            v[i + 8] = IV[i];
        }
        v[12] ^= t_[0];
        v[13] ^= t_[1];
        if (last) v[14] = ~v[14];
        auto g = [&](int a, int b, int c, int d, uint64_t x, uint64_t y) {
            v[a] = v[a] + v[b] + x;
            v[d] = rotr(v[d] ^ v[a], 32);
            v[c] = v[c] + v[d];
            v[b] = rotr(v[b] ^ v[c], 24);
            v[a] = v[a] + v[b] + y;
            v[d] = rotr(v[d] ^ v[a], 16);
            v[c] = v[c] + v[d];
            v[b] = rotr(v[b] ^ v[c], 63);
        };
        for (int r = 0; r < 12; r++) {
            const uint8_t *s = SIGMA[r];
            g(0, 4, 8, 12, m[s[0]], m[s[1]]);
            g(1, 5, 9, 13, m[s[2]], m[s[3]]);
            g(2, 6, 10, 14, m[s[4]], m[s[5]]);
            g(3, 7, 11, 15, m[s[6]], m[s[7]]);
            g(0, 5, 10, 15, m[s[8]], m[s[9]]);
            g(1, 6, 11, 12, m[s[10]], m[s[11]]);
            g(2, 7, 8, 13, m[s[12]], m[s[13]]);
            g(3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (int i = 0; i < 8; i++) h_[i] ^= v[i] ^ v[i + 8];
    }

    uint64_t h_[8];
    uint64_t t_[2] = {0, 0};
    uint8_t buf_[128] = {0};
    size_t fill_ = 0;
    size_t outLen_;
};

}  // namespace zkr
