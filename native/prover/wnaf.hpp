// zkr native programs — the width-w non-adjacent form of a 256-bit scalar, the digit source of
// zkey new's combine and zkey scale's lockstep multiplication.
// GPL-3.0-or-later (see LICENSE in this directory).
#pragma once

#include <cstdint>

#include "mont.hpp"

namespace zkr {

/**
 * The width-w non-adjacent form of the scalar `k` (4 little-endian words, below 2^255: no carry out of the top word): its
 * nonzero digits, odd and below 2^(w−1) in absolute value, each at least w positions above the
 * one before, `emit(position, digit)` lowest first (w = 2: the NAF, digits ±1). Returns the digit
 * count (the highest nonzero digit's position + 1; 0 for k = 0).
 */
template <typename Emit>
__attribute__((always_inline)) inline unsigned wnaf(const uint64_t k[4], unsigned w, Emit &&emit) {
    uint64_t v[4] = {k[0], k[1], k[2], k[3]};
    const uint64_t mask = ((uint64_t)1 << w) - 1, half = (uint64_t)1 << (w - 1);
    unsigned pos = 0, len = 0;
    for (;;) {
        unsigned z;  // v's trailing zeros: shift them out
        if (v[0]) z = __builtin_ctzll(v[0]);
        else if (v[1]) z = 64 + __builtin_ctzll(v[1]);
        else if (v[2]) z = 128 + __builtin_ctzll(v[2]);
        else if (v[3]) z = 192 + __builtin_ctzll(v[3]);
        else return len;
        for (; z >= 64; z -= 64, pos += 64) {
            v[0] = v[1];
            v[1] = v[2];
            v[2] = v[3];
            v[3] = 0;
        }
        if (z) {
            v[0] = (v[0] >> z) | (v[1] << (64 - z));
            v[1] = (v[1] >> z) | (v[2] << (64 - z));
            v[2] = (v[2] >> z) | (v[3] << (64 - z));
            v[3] >>= z;
            pos += z;
        }
        const uint64_t d = v[0] & mask;
        int digit;
        if (d >= half) {  // d − 2^w: v += 2^w − d
            digit = (int)d - (int)(mask + 1);
            u128 c = (u128)v[0] + (mask + 1 - d);
            v[0] = (uint64_t)c;
            for (int l = 1; l < 4 && (c >> 64); l++) {
                c = (u128)v[l] + 1;
                v[l] = (uint64_t)c;
            }
        } else {
            digit = (int)d;
            v[0] -= d;
        }
        emit(pos, digit);
        len = pos + 1;
    }
}

}  // namespace zkr
