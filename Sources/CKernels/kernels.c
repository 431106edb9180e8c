#include "ckernels.h"
#include "fields.h"

// Products and sums stay separate roundings (no fused multiply-add), as in ggml's scalar code.
#pragma STDC FP_CONTRACT OFF
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

#include <math.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#include <x86intrin.h>
#endif

float ql_vec_dot_q8_0_q8_0_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    for (int b = 0; b < n / 32; b++, x += sizeof(ql_block_q8_0), y += sizeof(ql_block_q8_0)) {
        int32_t acc = 0;
        for (int j = 0; j < 32; j++) acc += (int32_t)(int8_t)x[2 + j] * (int32_t)(int8_t)y[2 + j];
        sum += (float)acc * (ql_half((x)) * ql_half((y)));
    }
    return sum;
}

float ql_vec_dot_q4_0_q8_0_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    for (int b = 0; b < n / 32; b++, x += sizeof(ql_block_q4_0), y += sizeof(ql_block_q8_0)) {
        int32_t acc = 0;
        for (int j = 0; j < 16; j++) {
            acc += ((int32_t)(x[2 + j] & 0x0F) - 8) * (int32_t)(int8_t)y[2 + j];
            acc += ((int32_t)(x[2 + j] >> 4) - 8) * (int32_t)(int8_t)y[2 + 16 + j];
        }
        sum += ((float)acc * ql_half((x))) * ql_half((y)); // ggml's generic order
        
    }
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static inline __m256 dot_i8_block(__m256i a, __m256i b) {
    // |a| · sign(b, a) keeps the product of each pair while maddubs needs an unsigned first operand.
    const __m256i ax = _mm256_sign_epi8(a, a);
    const __m256i sy = _mm256_sign_epi8(b, a);
    const __m256i pairs = _mm256_maddubs_epi16(ax, sy);          // 16 × int16 (no overflow: ≤ 2·127·128)
    const __m256i quads = _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)); // 8 × int32
    return _mm256_cvtepi32_ps(quads);
}

__attribute__((target("avx2,fma,f16c")))
static float hsum(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

// d_x·d_y with both FP16 scales packed into one word: one conversion, and no partial-register
// merge (clang's _cvtsh_ss on a 16-bit load writes into the accumulator's register and so waits
// for the previous FMA).
__attribute__((target("avx2,fma,f16c")))
static inline __m256 scale_xy(const uint8_t *x, const uint8_t *y) {
    const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)ql_u16(x) | (uint32_t)ql_u16(y) << 16)));
    return _mm256_broadcastss_ps(_mm_mul_ss(f, _mm_movehdup_ps(f)));
}

__attribute__((target("avx2,fma,f16c")))
static float dot_q8_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *y) {
    // Two independent accumulators hide the FMA latency; the blocks alternate between them.
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int blocks = n / 32;
    int b = 0;
    for (; b + 1 < blocks; b += 2, x += 2 * sizeof(ql_block_q8_0), y += 2 * sizeof(ql_block_q8_0)) {
        const __m256 d0 = scale_xy(x, y);
        const __m256 d1 = scale_xy(x + sizeof(ql_block_q8_0), y + sizeof(ql_block_q8_0));
        const __m256 p0 = dot_i8_block(_mm256_loadu_si256((const __m256i *)(x + 2)), _mm256_loadu_si256((const __m256i *)(y + 2)));
        const __m256 p1 = dot_i8_block(_mm256_loadu_si256((const __m256i *)(x + sizeof(ql_block_q8_0) + 2)), _mm256_loadu_si256((const __m256i *)(y + sizeof(ql_block_q8_0) + 2)));
        acc0 = _mm256_fmadd_ps(d0, p0, acc0);
        acc1 = _mm256_fmadd_ps(d1, p1, acc1);
    }
    if (b < blocks) {
        const __m256 d = scale_xy(x, y);
        acc0 = _mm256_fmadd_ps(d, dot_i8_block(_mm256_loadu_si256((const __m256i *)(x + 2)), _mm256_loadu_si256((const __m256i *)(y + 2))), acc0);
    }
    return hsum(_mm256_add_ps(acc0, acc1));
}

// The 32 codes of a Q4_0 block as unsigned bytes 0–15: low nibbles are values 0–15 of the
// block, high nibbles values 16–31.
__attribute__((target("avx2,fma,f16c")))
static inline __m256i unpack_q4_0(const uint8_t *qs) {
    const __m128i packed = _mm_loadu_si128((const __m128i *)qs);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(0x0F));
}

// Σ (q − 8)·y over one block as 8 int32 lanes: maddubs takes the codes unsigned, and 8·Σy is
// taken off in int16 (|Σ pairs| ≤ 2·15·127 and 2·8·128 fit), so no sign tricks are needed.
__attribute__((target("avx2,fma,f16c")))
static inline __m256 dot_q4_0_block(__m256i q, __m256i y) {
    const __m256i pairs = _mm256_sub_epi16(_mm256_maddubs_epi16(q, y), _mm256_maddubs_epi16(_mm256_set1_epi8(8), y));
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

__attribute__((target("avx2,fma,f16c")))
static float dot_q4_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int blocks = n / 32;
    int b = 0;
    for (; b + 1 < blocks; b += 2, x += 2 * sizeof(ql_block_q4_0), y += 2 * sizeof(ql_block_q8_0)) {
        // The four FP16 scales of the two blocks in one conversion: d = d_x·d_y per block.
        const __m128 f = _mm_cvtph_ps(_mm_set_epi16(0, 0, 0, 0, (short)ql_u16(y + sizeof(ql_block_q8_0)), (short)ql_u16(x + sizeof(ql_block_q4_0)), (short)ql_u16(y), (short)ql_u16(x)));
        const __m128 d = _mm_mul_ps(f, _mm_movehdup_ps(f));
        const __m256 p0 = dot_q4_0_block(unpack_q4_0(x + 2), _mm256_loadu_si256((const __m256i *)(y + 2)));
        const __m256 p1 = dot_q4_0_block(unpack_q4_0(x + sizeof(ql_block_q4_0) + 2), _mm256_loadu_si256((const __m256i *)(y + sizeof(ql_block_q8_0) + 2)));
        acc0 = _mm256_fmadd_ps(_mm256_broadcastss_ps(d), p0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_broadcastss_ps(_mm_movehl_ps(d, d)), p1, acc1);
    }
    if (b < blocks) {
        acc0 = _mm256_fmadd_ps(scale_xy(x, y), dot_q4_0_block(unpack_q4_0(x + 2), _mm256_loadu_si256((const __m256i *)(y + 2))), acc0);
    }
    return hsum(_mm256_add_ps(acc0, acc1));
}
#endif

float ql_vec_dot_f16_f32_scalar(int n, const uint16_t *x, const float *y) {
    float sum = 0;
    for (int i = 0; i < n; i++) sum += ql_fp16_to_fp32(x[i]) * y[i];
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static float dot_f16_f32_avx2(int n, const uint16_t *x, const float *y) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))), _mm256_loadu_ps(y + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i + 8))), _mm256_loadu_ps(y + i + 8), acc1);
    }
    float sum = hsum(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) sum += _cvtsh_ss(x[i]) * y[i];
    return sum;
}
#endif

float ql_vec_dot_f16_f32(int n, const uint16_t *x, const float *y) {
#if defined(__x86_64__)
    if (ql_have_avx2()) return dot_f16_f32_avx2(n, x, y);
#endif
    return ql_vec_dot_f16_f32_scalar(n, x, y);
}


float ql_vec_dot_f16_f16_scalar(int n, const uint16_t *x, const uint16_t *y) {
    float sum = 0;
    for (int i = 0; i < n; i++) sum += ql_fp16_to_fp32(x[i]) * ql_fp16_to_fp32(y[i]);
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static float dot_f16_f16_avx2(int n, const uint16_t *x, const uint16_t *y) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i))),
                               _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i))), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(x + i + 8))),
                               _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(y + i + 8))), acc1);
    }
    float sum = hsum(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) sum += _cvtsh_ss(x[i]) * _cvtsh_ss(y[i]);
    return sum;
}
#endif

float ql_vec_dot_f16_f16(int n, const uint16_t *x, const uint16_t *y) {
#if defined(__x86_64__)
    if (ql_have_avx2()) return dot_f16_f16_avx2(n, x, y);
#endif
    return ql_vec_dot_f16_f16_scalar(n, x, y);
}


void ql_quantize_row_q8_0_scalar(int n, const float *x, void *vy) {
    uint8_t *y = vy;
    for (int b = 0; b < n / 32; b++, x += QL_QK8_0, y += sizeof(ql_block_q8_0)) {
        float amax = 0;
        for (int j = 0; j < 32; j++) { float a = x[j] < 0 ? -x[j] : x[j]; if (a > amax) amax = a; }
        const float d = amax / 127, id = d ? 1.0f / d : 0.0f;
        uint16_t h = ql_fp32_to_fp16(d);
        y[0] = (uint8_t)h; y[1] = (uint8_t)(h >> 8);
        for (int j = 0; j < 32; j++) {
            float v = x[j] * id;
            int q = (int)roundf(v);
            y[2 + j] = (uint8_t)(int8_t)(q > 127 ? 127 : q < -127 ? -127 : q);
        }
    }
}

#if defined(__x86_64__)
// roundf (halves away from zero) on eight lanes, exactly: truncate, then step away from zero when
// the exact remainder v − trunc(v) is at least one half.
__attribute__((target("avx2,fma,f16c")))
static inline __m256 round_half_away(__m256 v) {
    const __m256 t = _mm256_round_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 sign = _mm256_and_ps(v, _mm256_set1_ps(-0.0f));
    const __m256 frac = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), _mm256_sub_ps(v, t));
    const __m256 step = _mm256_and_ps(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ), _mm256_or_ps(_mm256_set1_ps(1.0f), sign));
    return _mm256_add_ps(t, step);
}

__attribute__((target("avx2,fma,f16c")))
static void quantize_row_q8_0_avx2(int n, const float *x, uint8_t *y) {
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
    for (int b = 0; b < n / 32; b++, x += QL_QK8_0, y += sizeof(ql_block_q8_0)) {
        __m256 v[4], m = _mm256_setzero_ps();
        for (int k = 0; k < 4; k++) { v[k] = _mm256_loadu_ps(x + 8 * k); m = _mm256_max_ps(m, _mm256_and_ps(v[k], abs_mask)); }
        float lanes[8], amax = 0;
        _mm256_storeu_ps(lanes, m);
        for (int l = 0; l < 8; l++) if (lanes[l] > amax) amax = lanes[l];
        const float d = amax / 127, id = d ? 1.0f / d : 0.0f;
        const uint16_t h = ql_fp32_to_fp16(d);
        y[0] = (uint8_t)h; y[1] = (uint8_t)(h >> 8);
        const __m256 vid = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; k++) q[k] = _mm256_cvttps_epi32(round_half_away(_mm256_mul_ps(v[k], vid)));
        // int32 → int8 (values are within ±127): two packs, then undo the lane interleave.
        const __m256i q01 = _mm256_packs_epi32(q[0], q[1]), q23 = _mm256_packs_epi32(q[2], q[3]);
        const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q01, q23), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(y + 2), bytes);
    }
}

__attribute__((target("avx2,fma,f16c")))
static void convert_row_f16_f16c(int n, const float *x, uint16_t *y) {
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        if (_mm256_movemask_ps(_mm256_cmp_ps(v, v, _CMP_UNORD_Q))) {
            // F16C keeps a NaN's payload; ql_fp32_to_fp16 gives ggml's 0x7E00, so NaN lanes go the scalar way.
            for (int l = 0; l < 8; l++) y[i + l] = ql_fp32_to_fp16(x[i + l]);
            continue;
        }
        _mm_storeu_si128((__m128i *)(y + i), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
    for (; i < n; i++) y[i] = ql_fp32_to_fp16(x[i]);
}
#endif

void ql_quantize_row_q8_0(int n, const float *x, void *y) {
#if defined(__x86_64__)
    if (ql_have_avx2()) { quantize_row_q8_0_avx2(n, x, y); return; }
#endif
    ql_quantize_row_q8_0_scalar(n, x, y);
}

// ggml's nearest_int: round half to even through the float mantissa (|v| < 2²²).
static int nearest_int(float v) {
    float shifted = v + 12582912.0f;
    int32_t bits;
    memcpy(&bits, &shifted, 4);
    return (bits & 0x007FFFFF) - 0x00400000;
}

void ql_quantize_row_q8_K(int n, const float *x, void *vy) {
    uint8_t *y = vy;
    for (int b = 0; b < n / 256; b++, x += QL_QK_K, y += sizeof(ql_block_q8_K)) {
        float amax = 0, max = 0;
        for (int j = 0; j < 256; j++) {
            const float a = fabsf(x[j]);
            if (a > amax) { amax = a; max = x[j]; }
        }
        int8_t qs[256];
        float d = 0;
        if (amax == 0) {
            memset(qs, 0, sizeof qs);
        } else {
            // The signed extreme maps to -127 (ggml keeps this sign convention for its i-quant kernels).
            const float iscale = -127.0f / max;
            for (int j = 0; j < 256; j++) {
                const int v = nearest_int(iscale * x[j]);
                qs[j] = (int8_t)(v > 127 ? 127 : v);
            }
            d = 1 / iscale;
        }
        ql_store_f32(y, d);
        memcpy(y + QL_Q8_K_QS, qs, QL_QK_K);
        for (int g = 0; g < 16; g++) {
            int16_t sum = 0;
            for (int j = 0; j < 16; j++) sum = (int16_t)(sum + qs[16 * g + j]);
            ql_store16(y + QL_Q8_K_BSUMS + 2 * g, (uint16_t)sum);
        }
    }
}

// The 6-bit scales and minimums of a Q4_K/Q5_K super-block (ggml's get_scale_min_k4), all eight
// at once with 32-bit masks: scales[0..7] then mins[0..7] in `out`.
static void unpack_scales_mins_k4(const uint8_t *packed, uint8_t out[16]) {
    uint32_t w[3], u[4];
    memcpy(w, packed, 12);
    u[0] = w[0] & 0x3F3F3F3Fu;                                          // scales 0–3
    u[1] = (w[2] & 0x0F0F0F0Fu) | (((w[0] >> 6) & 0x03030303u) << 4);  // scales 4–7
    u[2] = w[1] & 0x3F3F3F3Fu;                                          // mins 0–3
    u[3] = ((w[2] >> 4) & 0x0F0F0F0Fu) | (((w[1] >> 6) & 0x03030303u) << 4); // mins 4–7
    memcpy(out, u, 16);
}


float ql_vec_dot_q4_K_q8_K_scalar(int n, const void *vx, const void *vy) {
    // block_q4_K: half d, dmin; scales[12]; qs[128] (byte l of each 32-byte run holds value l in
    // its low nibble and value 32 + l in its high nibble). Value = d·scale·q − dmin·min.
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q4_K), y += sizeof(ql_block_q8_K)) {
        uint8_t sm[16];
        unpack_scales_mins_k4(x + 4, sm);
        const uint8_t *scales = sm, *mins = sm + 8;
        const uint8_t *q4 = x + 16;
        const int8_t *q8 = (const int8_t *)(y + QL_Q8_K_QS);
        int32_t sumq = 0, summ = 0;
        for (int j = 0; j < 4; j++) {
            int32_t lo = 0, hi = 0;
            for (int l = 0; l < 32; l++) {
                lo += (int32_t)(q4[32 * j + l] & 0x0F) * q8[64 * j + l];
                hi += (int32_t)(q4[32 * j + l] >> 4) * q8[64 * j + 32 + l];
            }
            sumq += scales[2 * j] * lo + scales[2 * j + 1] * hi;
        }
        for (int g = 0; g < 16; g++) summ += mins[g / 2] * (int16_t)ql_i16(y + QL_Q8_K_BSUMS + 2 * g);
        const float dy = ql_f32(y);
        sum += dy * ql_half((x)) * (float)sumq - dy * ql_half((x + 2)) * (float)summ;
    }
    return sum;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static float dot_q4_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *y) {
    const __m256i low4 = _mm256_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    float mins_total = 0;
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q4_K), y += sizeof(ql_block_q8_K)) {
        uint8_t sm[16];
        unpack_scales_mins_k4(x + 4, sm);
        const uint8_t *scales = sm, *mins = sm + 8;
        const float dy = ql_f32(y);
        // Σ min·(sum of 32 activations): the bsums come in pairs per 32-value sub-block.
        const __m256i bsums = _mm256_loadu_si256((const __m256i *)(y + QL_Q8_K_BSUMS));
        const __m128i pair_sums = _mm_hadd_epi16(_mm256_castsi256_si128(bsums), _mm256_extracti128_si256(bsums, 1));
        const __m128i mins16 = _mm_cvtepu8_epi16(_mm_loadl_epi64((const __m128i *)mins));
        __m128i m = _mm_madd_epi16(pair_sums, mins16);
        m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0x4E));
        m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0xB1));
        mins_total += dy * _cvtsh_ss(ql_u16(x + 2)) * (float)_mm_cvtsi128_si32(m);

        __m256i sumi = _mm256_setzero_si256();
        for (int j = 0; j < 4; j++) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(x + 16 + 32 * j));
            const __m256i lo = _mm256_and_si256(bits, low4);
            const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low4);
            // maddubs: unsigned 4-bit codes × signed activations, pairs summed to int16 (≤ 2·15·127).
            const __m256i plo = _mm256_maddubs_epi16(lo, _mm256_loadu_si256((const __m256i *)(y + QL_Q8_K_QS + 64 * j)));
            const __m256i phi = _mm256_maddubs_epi16(hi, _mm256_loadu_si256((const __m256i *)(y + QL_Q8_K_QS + 32 + 64 * j)));
            sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(plo, _mm256_set1_epi16(scales[2 * j])));
            sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(phi, _mm256_set1_epi16(scales[2 * j + 1])));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(dy * _cvtsh_ss(ql_u16(x))), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum(acc) - mins_total;
}
#endif

float ql_vec_dot_q4_K_q8_K(int n, const void *x, const void *y) {
#if defined(__x86_64__)
    if (ql_have_avx2()) return dot_q4_K_q8_K_avx2(n, x, y);
#endif
    return ql_vec_dot_q4_K_q8_K_scalar(n, x, y);
}

int ql_have_avx2(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    }
    return cached;
#else
    return 0;
#endif
}

float ql_vec_dot_q8_0_q8_0(int n, const void *x, const void *y) {
#if defined(__x86_64__)
    if (ql_have_avx2()) return dot_q8_0_q8_0_avx2(n, x, y);
#endif
    return ql_vec_dot_q8_0_q8_0_scalar(n, x, y);
}

float ql_vec_dot_q4_0_q8_0(int n, const void *x, const void *y) {
#if defined(__x86_64__)
    if (ql_have_avx2()) return dot_q4_0_q8_0_avx2(n, x, y);
#endif
    return ql_vec_dot_q4_0_q8_0_scalar(n, x, y);
}

uint64_t ql_cycles(void) {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return 0;
#endif
}

// MARK: F32 matrix product (the engine's F32 matmul)

// Σ a[i]·b[i] in one fixed order: eight lanes, lane l accumulating the products at l, l + 8,
// l + 16, … with fused multiply-adds (one rounding each, as ggml's AVX2 vec_dot_f32 does), the
// lanes then added in order 0 … 7 starting from −0, and the tail (n mod 8) accumulated the same
// way and added last. Every path below keeps exactly this order, so results are bit-identical.
static float lanes_sum(const float lanes[8], float tail) {
    float s = -0.0f;
    for (int l = 0; l < 8; l++) s += lanes[l];
    return s + tail;
}

float ql_dot_f32_scalar(int n, const float *a, const float *b) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8) for (int l = 0; l < 8; l++) lanes[l] = fmaf(a[i + l], b[i + l], lanes[l]);
    float tail = 0;
    for (; i < n; i++) tail = fmaf(a[i], b[i], tail);
    return lanes_sum(lanes, tail);
}

static void matmul_f32_scalar(const float *w, int columns, const float *x, int count, float *out, int rows, int first, int last) {
    for (int o = first; o < last; o++)
        for (int t = 0; t < count; t++) out[(size_t)t * rows + o] = ql_dot_f32_scalar(columns, w + (size_t)o * columns, x + (size_t)t * columns);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static float finish(__m256 acc, const float *w, const float *x, int from, int n) {
    float lanes[8], tail = 0;
    _mm256_storeu_ps(lanes, acc);
    for (int i = from; i < n; i++) tail = fmaf(w[i], x[i], tail);
    return lanes_sum(lanes, tail);
}

// Two weight rows against four input rows: eight accumulators share each load.
__attribute__((target("avx2,fma,f16c")))
static void matmul_f32_avx2(const float *w, int columns, const float *x, int count, float *out, int rows, int first, int last) {
    const int n8 = columns & ~7;
    int o = first;
    for (; o + 2 <= last; o += 2) {
        const float *w0 = w + (size_t)o * columns, *w1 = w0 + columns;
        int t = 0;
        for (; t + 4 <= count; t += 4) {
            const float *x0 = x + (size_t)t * columns, *x1 = x0 + columns, *x2 = x1 + columns, *x3 = x2 + columns;
            __m256 a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            for (int i = 0; i < n8; i += 8) {
                const __m256 v0 = _mm256_loadu_ps(w0 + i), v1 = _mm256_loadu_ps(w1 + i);
                const __m256 y0 = _mm256_loadu_ps(x0 + i), y1 = _mm256_loadu_ps(x1 + i);
                const __m256 y2 = _mm256_loadu_ps(x2 + i), y3 = _mm256_loadu_ps(x3 + i);
                a00 = _mm256_fmadd_ps(v0, y0, a00); a01 = _mm256_fmadd_ps(v0, y1, a01);
                a02 = _mm256_fmadd_ps(v0, y2, a02); a03 = _mm256_fmadd_ps(v0, y3, a03);
                a10 = _mm256_fmadd_ps(v1, y0, a10); a11 = _mm256_fmadd_ps(v1, y1, a11);
                a12 = _mm256_fmadd_ps(v1, y2, a12); a13 = _mm256_fmadd_ps(v1, y3, a13);
            }
            float *r0 = out + (size_t)t * rows;
            r0[o] = finish(a00, w0, x0, n8, columns); r0[o + 1] = finish(a10, w1, x0, n8, columns);
            r0 += rows; r0[o] = finish(a01, w0, x1, n8, columns); r0[o + 1] = finish(a11, w1, x1, n8, columns);
            r0 += rows; r0[o] = finish(a02, w0, x2, n8, columns); r0[o + 1] = finish(a12, w1, x2, n8, columns);
            r0 += rows; r0[o] = finish(a03, w0, x3, n8, columns); r0[o + 1] = finish(a13, w1, x3, n8, columns);
        }
        for (; t < count; t++) {
            const float *xt = x + (size_t)t * columns;
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            for (int i = 0; i < n8; i += 8) {
                const __m256 y = _mm256_loadu_ps(xt + i);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + i), y, a0);
                a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + i), y, a1);
            }
            out[(size_t)t * rows + o] = finish(a0, w0, xt, n8, columns);
            out[(size_t)t * rows + o + 1] = finish(a1, w1, xt, n8, columns);
        }
    }
    for (; o < last; o++) {
        const float *wo = w + (size_t)o * columns;
        for (int t = 0; t < count; t++) {
            const float *xt = x + (size_t)t * columns;
            __m256 a = _mm256_setzero_ps();
            for (int i = 0; i < n8; i += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(wo + i), _mm256_loadu_ps(xt + i), a);
            out[(size_t)t * rows + o] = finish(a, wo, xt, n8, columns);
        }
    }
}
#endif

void ql_matmul_f32(const float *w, int columns, const float *x, int count, float *out, int rows, int first, int last, int scalar) {
#if defined(__x86_64__)
    if (!scalar && ql_have_avx2()) { matmul_f32_avx2(w, columns, x, count, out, rows, first, last); return; }
#endif
    matmul_f32_scalar(w, columns, x, count, out, rows, first, last);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma,f16c")))
static float dot_f32_avx2(int n, const float *a, const float *b) {
    const int n8 = n & ~7;
    __m256 acc = _mm256_setzero_ps();
    for (int i = 0; i < n8; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    return finish(acc, a, b, n8, n);
}

__attribute__((target("avx2,fma,f16c")))
static void axpy_f32_avx2(int n, float p, const float *x, float *y) {
    const __m256 vp = _mm256_set1_ps(p);
    int i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_mul_ps(vp, _mm256_loadu_ps(x + i))));
    for (; i < n; i++) y[i] += p * x[i];
}
#endif

float ql_dot_f32(int n, const float *a, const float *b) {
#if defined(__x86_64__)
    if (ql_have_avx2()) return dot_f32_avx2(n, a, b);
#endif
    return ql_dot_f32_scalar(n, a, b);
}

void ql_axpy_f32(int n, float p, const float *x, float *y) {
#if defined(__x86_64__)
    if (ql_have_avx2()) { axpy_f32_avx2(n, p, x, y); return; }
#endif
    for (int i = 0; i < n; i++) y[i] += p * x[i];
}

// SwiGLU's elementwise step: gate[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + expf(−x)), in
// place; the same operations, in the same order, as Kernels.silu (no contraction: this file is
// compiled without it), with the C library's expf.
void ql_swiglu_f32(int n, float *gate, const float *up) {
    for (int i = 0; i < n; i++) {
        const float x = gate[i];
        gate[i] = (x / (1.0f + expf(-x))) * up[i];
    }
}

void ql_convert_row_f16(int n, const float *x, uint16_t *y) {
#if defined(__x86_64__)
    if (ql_have_avx2()) { convert_row_f16_f16c(n, x, y); return; }
#endif
    for (int i = 0; i < n; i++) y[i] = ql_fp32_to_fp16(x[i]);
}
