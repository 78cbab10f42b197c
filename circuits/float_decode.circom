pragma circom 2.1.6;

include "bitify.circom";

// FloatDecode(E, M): value of a packed decimal float (docs/PROTOCOL.md, "Compact amounts").
//
// Parameters
//   E   exponent bits   (float40: 5, float8: 4)
//   M   mantissa bits   (float40: 35, float8: 4)
//
// Soundness table (signal, range, where it is enforced)
//   in          input   E+M bits          1. here (Num2Bits(E+M)): packed float, e =
//                                         bits[E+M-1 .. M], m = bits[M-1 .. 0]
//   out         output  < 2^M·10^(2^E-1)  m · 10^e   (float40: < 2^139, float8: < 2^54)
//   bits[E+M]   output  1 bit each        the bits of `in`, least significant first
// Packing: in = m + 2^M·e with m < 2^M, e < 2^E by 1.: unique (in < 2^(E+M) < r).
//
// Checks
//   1. in < 2^(E+M): Num2Bits, whose bits also feed the calldata hash.
//   2. out = m · 10^e, with 10^e = Π_k (1 + e_k·(10^(2^k) − 1)) over the exponent bits e_k.
//
// Caveat: every encoding decodes, non-minimal ones too (m=10,e=0 and m=1,e=1 are both 10).
// Minimality is an encoder rule; the signature covers the exact encoding, so nobody but the
// signer can re-encode a transaction.
//
// Constraints: E+M (bits) + E−1 (power) + 1 (product): float40 45, float8 12.
template FloatDecode(E, M) {
    signal input in;
    signal output out;
    signal output bits[E + M];

    // 1.
    bits <== Num2Bits(E + M)(in);

    // 2. pow[k] = 10^(e mod 2^(k+1)); pow[0] is linear in bits[M].
    var m = 0;
    for (var i = 0; i < M; i++) m += bits[i] * 2 ** i;
    signal pow[E];
    pow[0] <== 1 + bits[M] * 9;
    for (var k = 1; k < E; k++) {
        pow[k] <== pow[k - 1] * (1 + bits[M + k] * (10 ** (2 ** k) - 1));
    }
    out <== m * pow[E - 1];
}
