// zkr native crypto — the Node-API addon: Poseidon and the Schnorr-128 signature check of
// src/model/keys.ts for src/proving/nativeCrypto.ts, which builds this file at first use
// (g++ -O3 -shared, the headers of the running Node) and falls back to circomlibjs where it
// cannot. Plain C Node-API (node_api.h, version 8): no node-gyp, and one binary serves every
// Node version with that API.
//
//   init(constants: Buffer)            circomlibjs's constants (format below), once per process
//   poseidon(...inputs: bigint)        bigint, or undefined if an input is negative or ≥ p
//   verify(domain, word, R8x, R8y, S, ax, ay)   boolean, as verifySignature
//   poseidonScalar(...inputs: bigint)  poseidon without AVX-512: what a CPU without IFMA runs (for the tests)
//   avx512                             whether poseidon uses AVX-512 IFMA here (2 to 8 inputs)
//
// Values cross as BigInts (napi_get_value_bigint_words, four 64-bit words); a value that is
// not a BigInt is a TypeError, a BigInt out of range is an answer (undefined, false), never an
// exception, like the JavaScript it replaces. The constants and the curve's tables are
// process-wide: worker threads that load the addon share them (the first init builds them, a
// later one must pass the same bytes).
//
// Constants format (all integers 32 bytes little-endian, every one below p):
//   u32 widths (16), then per width t = 2..17 in order: u32 t, u32 partial rounds nP,
//   C[8t + nP], S[nP·(2t − 1)], M[t·t], P[t·t] (circomlibjs's arrays, row-major as it indexes
//   them: M[j][i]); then BabyJubJub's a, d, Base8 x, Base8 y and the subgroup order l.
// MIT licence, part of zkr.
#define NAPI_VERSION 8
#include <node_api.h>

#include <cpuid.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "babyjub.hpp"
#include "poseidon_avx512.hpp"

using namespace zkr;

namespace {

/** BMI2 (mulx) and ADX (adcx, adox): CPUID leaf 7, EBX bits 8 and 19. */
bool cpuHasBmi2Adx() {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b & (1u << 8)) && (b & (1u << 19));
}

/** AVX-512 F and IFMA (CPUID leaf 7, EBX bits 16 and 21) with the OS saving the vector state (XCR0: opmask, ZMM). */
bool cpuHasAvx512Ifma() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
    unsigned lo, hi;
    asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6) != 0xe6) return false;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b & (1u << 16)) && (b & (1u << 21));
}

const bool avx512 = cpuHasAvx512Ifma();

struct Constants {
    std::vector<uint8_t> bytes;  // what init was given, to compare a later init against
    PoseidonWidth widths[POSEIDON_MAX_T + 1];  // by t
    std::unique_ptr<PoseidonVec> vec[POSEIDON_MAX_T + 1];  // by t = 3..9, where the CPU has AVX-512 IFMA
    BabyJub curve;

    Fr hash(const Fr* inputs, int n) const {
        const int t = n + 1;
        return vec[t] ? poseidon_avx512(widths[t], *vec[t], inputs) : poseidon(widths[t], inputs);
    }
};

std::mutex initLock;
std::atomic<const Constants*> constants{nullptr};

/** Reads the constants; throws std::runtime_error saying what is wrong with them. */
class Reader {
  public:
    Reader(const uint8_t* p, size_t n) : p_(p), n_(n) {}
    uint32_t u32() {
        need(4);
        uint32_t v;
        memcpy(&v, p_ + at_, 4);
        at_ += 4;
        return v;
    }
    void integer(u64 w[4]) {
        need(32);
        memcpy(w, p_ + at_, 32);
        at_ += 32;
        if (!fr::below_p(w)) throw std::runtime_error("a constant is not below p");
    }
    Fr element() {
        u64 w[4];
        integer(w);
        return fr::from_int(w);
    }
    void elements(std::vector<Fr>& v, size_t n) {
        v.resize(n);
        for (auto& x : v) x = element();
    }
    bool done() const { return at_ == n_; }

  private:
    void need(size_t k) {
        if (n_ - at_ < k) throw std::runtime_error("the constants end early");
    }
    const uint8_t* p_;
    size_t n_, at_ = 0;
};

Constants* parse(const uint8_t* data, size_t n) {
    auto* c = new Constants();
    try {
        c->bytes.assign(data, data + n);
        Reader r(data, n);
        if (r.u32() != POSEIDON_MAX_T - POSEIDON_MIN_T + 1) throw std::runtime_error("expected the constants of 16 widths");
        for (int t = POSEIDON_MIN_T; t <= POSEIDON_MAX_T; t++) {
            if ((int)r.u32() != t) throw std::runtime_error("widths out of order");
            PoseidonWidth& w = c->widths[t];
            w.t = t;
            w.partialRounds = (int)r.u32();
            if (w.partialRounds < 1 || w.partialRounds > 200) throw std::runtime_error("implausible number of partial rounds");
            r.elements(w.C, (size_t)t * POSEIDON_FULL_ROUNDS + w.partialRounds);
            r.elements(w.S, (size_t)w.partialRounds * (2 * t - 1));
            std::vector<Fr> m, p;
            r.elements(m, (size_t)t * t);
            r.elements(p, (size_t)t * t);
            w.Mt.resize(m.size());
            w.Pt.resize(p.size());
            for (int i = 0; i < t; i++)
                for (int j = 0; j < t; j++) w.Mt[i * t + j] = m[j * t + i], w.Pt[i * t + j] = p[j * t + i];
            // One input (t = 2) is as fast without: its state is one lane.
            if (avx512 && t >= 3 && t <= 9) c->vec[t] = std::make_unique<PoseidonVec>(poseidon_avx512_constants(w));
        }
        BabyJub& b = c->curve;
        b.a = r.element();
        b.d = r.element();
        Fr gx = r.element(), gy = r.element();
        r.integer(b.l);
        if (!r.done()) throw std::runtime_error("the constants are longer than their format");
        if (!babyjub_on_curve(b, gx, gy)) throw std::runtime_error("Base8 is not on the curve");
        babyjub_init_tables(b, gx, gy);
        return c;
    } catch (...) {
        delete c;
        throw;
    }
}

napi_value throwError(napi_env env, const char* msg) {
    napi_throw_error(env, nullptr, msg);
    return nullptr;
}

const Constants* ready(napi_env env) {
    const Constants* c = constants.load(std::memory_order_acquire);
    if (!c) throwError(env, "zkr crypto addon: init() was not called");
    return c;
}

/** 1: w holds the BigInt v (0 ≤ v < 2^256); 0: v is negative or wider; −1: v is not a BigInt (a TypeError is pending). */
int readBigInt(napi_env env, napi_value v, u64 w[4]) {
    int sign = 0;
    size_t words = 4;
    w[0] = w[1] = w[2] = w[3] = 0;
    if (napi_get_value_bigint_words(env, v, &sign, &words, w) != napi_ok) {
        napi_throw_type_error(env, nullptr, "expected a BigInt");
        return -1;
    }
    return sign == 0 && words <= 4;
}

napi_value Init(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    bool isBuffer = false;
    if (argc < 1 || napi_is_buffer(env, argv[0], &isBuffer) != napi_ok || !isBuffer) return throwError(env, "init takes a Buffer of constants");
    void* data;
    size_t n;
    napi_get_buffer_info(env, argv[0], &data, &n);
    if (!cpuHasBmi2Adx()) return throwError(env, "this CPU lacks BMI2 or ADX (mulx, adcx, adox), which zkr's native crypto needs");
    std::lock_guard<std::mutex> hold(initLock);
    if (const Constants* c = constants.load()) {
        if (c->bytes.size() != n || memcmp(c->bytes.data(), data, n) != 0) return throwError(env, "zkr crypto addon: already initialised with other constants");
        return nullptr;
    }
    try {
        constants.store(parse(static_cast<const uint8_t*>(data), n), std::memory_order_release);
    } catch (const std::exception& e) {
        return throwError(env, (std::string("zkr crypto addon: bad constants: ") + e.what()).c_str());
    }
    return nullptr;
}

/** Poseidon of the BigInt arguments with `vector` (the AVX-512 path where there is one) or the scalar path. */
napi_value hashArgs(napi_env env, napi_callback_info info, bool vector) {
    const Constants* c = ready(env);
    if (!c) return nullptr;
    size_t argc = POSEIDON_MAX_T - 1;
    napi_value argv[POSEIDON_MAX_T - 1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < 1 || argc > POSEIDON_MAX_T - 1) {
        napi_throw_range_error(env, nullptr, "Poseidon takes 1 to 16 inputs");
        return nullptr;
    }
    Fr in[POSEIDON_MAX_T - 1];
    bool inField = true;
    for (size_t i = 0; i < argc; i++) {
        u64 w[4];
        int r = readBigInt(env, argv[i], w);
        if (r < 0) return nullptr;
        if (r == 0 || !fr::below_p(w)) inField = false;
        else in[i] = fr::from_int(w);
    }
    napi_value out;
    if (!inField) {
        napi_get_undefined(env, &out);
        return out;
    }
    u64 h[4];
    fr::to_int(h, vector ? c->hash(in, (int)argc) : poseidon(c->widths[argc + 1], in));
    napi_create_bigint_words(env, 0, 4, h, &out);
    return out;
}

napi_value Poseidon(napi_env env, napi_callback_info info) { return hashArgs(env, info, true); }

napi_value PoseidonScalar(napi_env env, napi_callback_info info) { return hashArgs(env, info, false); }

napi_value Verify(napi_env env, napi_callback_info info) {
    const Constants* c = ready(env);
    if (!c) return nullptr;
    size_t argc = 7;
    napi_value argv[7];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc != 7) return throwError(env, "verify takes domain, word, R8x, R8y, S, ax, ay");
    SignatureInput in;
    u64* fields[7] = {in.domain, in.word, in.R8x, in.R8y, in.S, in.ax, in.ay};
    in.inRange = true;
    for (int i = 0; i < 7; i++) {
        int r = readBigInt(env, argv[i], fields[i]);
        if (r < 0) return nullptr;
        if (r == 0) in.inRange = false;
    }
    napi_value out;
    napi_get_boolean(env, babyjub_verify(c->curve, [c](const Fr* h) { return c->hash(h, 6); }, in), &out);
    return out;
}

/** k·Base8 as [x, y] for a BigInt 0 ≤ k < l (the signing nonce); a RangeError otherwise. */
napi_value MulBase8(napi_env env, napi_callback_info info) {
    const Constants* c = ready(env);
    if (!c) return nullptr;
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc != 1) return throwError(env, "mulBase8 takes one scalar");
    u64 k[4];
    const int r = readBigInt(env, argv[0], k);
    if (r < 0) return nullptr;
    if (r == 0 || !babyjub_detail::below(k, c->curve.l)) {
        napi_throw_range_error(env, nullptr, "mulBase8: the scalar must be at least 0 and below the subgroup order l");
        return nullptr;
    }
    u64 x[4], y[4];
    babyjub_mul_base8(c->curve, k, x, y);
    napi_value out, bx, by;
    napi_create_array_with_length(env, 2, &out);
    napi_create_bigint_words(env, 0, 4, x, &bx);
    napi_create_bigint_words(env, 0, 4, y, &by);
    napi_set_element(env, out, 0, bx);
    napi_set_element(env, out, 1, by);
    return out;
}

}  // namespace

NAPI_MODULE_INIT() {
    napi_value hasAvx512;
    napi_get_boolean(env, avx512, &hasAvx512);
    const napi_property_descriptor fns[] = {
        {"init", nullptr, Init, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
        {"poseidon", nullptr, Poseidon, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
        {"poseidonScalar", nullptr, PoseidonScalar, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
        {"verify", nullptr, Verify, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
        {"mulBase8", nullptr, MulBase8, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
        {"avx512", nullptr, nullptr, nullptr, nullptr, hasAvx512, napi_enumerable, nullptr},
    };
    napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
    return exports;
}
