#include "ckernels.h"
#include "fields.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

// Bit-identity with ggml needs every float product and sum rounded on its own, where C's abstract
// machine rounds it. Clang's default (-ffp-contract=on) may fuse `a * b + c` into one FMA wherever
// the target has one (always on arm64), which changes the last bit; GCC's default in GNU C mode
// fuses across statements too. Both are switched off for this file.
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

// MARK: Legacy 32-value blocks

// Q4_1 (20 bytes: FP16 d, FP16 m, 16 bytes of nibbles; value j is the low nibble of byte j, value
// 16+j its high nibble; x = d·q + m) against Q8_1. The min term uses the activation block's
// stored s = d_y·Σq_y, so ggml's sum is Σ_b [(d_x·d_y)·Σq_x·q_y + m_x·s_y], each product rounded,
// the two terms added, then that added to the running sum.
float ql_vec_dot_q4_1_q8_1_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    for (int b = 0; b < n / 32; b++, x += sizeof(ql_block_q4_1), y += sizeof(ql_block_q8_1)) {
        int32_t acc = 0;
        for (int j = 0; j < 16; j++) {
            acc += (int32_t)(x[4 + j] & 0x0F) * ql_i8(y[4 + j]);
            acc += (int32_t)(x[4 + j] >> 4) * ql_i8(y[4 + 16 + j]);
        }
        const float scaled = (ql_half(x) * ql_half(y)) * (float)acc;
        const float offset = ql_half(x + 2) * ql_half(y + 2);
        sum += scaled + offset;
    }
    return sum;
}

// Q5_0 (22 bytes: FP16 d, 4 bytes qh, 16 bytes of nibbles) against Q8_0. The fifth bit of value j
// is bit j of the little-endian word qh (value 16+j: bit 16+j); codes are offset by 16.
float ql_vec_dot_q5_0_q8_0_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    for (int b = 0; b < n / 32; b++, x += sizeof(ql_block_q5_0), y += sizeof(ql_block_q8_0)) {
        const uint32_t qh = ql_u32(x + 2);
        int32_t acc = 0;
        for (int j = 0; j < 16; j++) {
            const int32_t lo = (int32_t)((x[6 + j] & 0x0F) | (((qh >> j) & 1) << 4)) - 16;
            const int32_t hi = (int32_t)((x[6 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16;
            acc += lo * ql_i8(y[2 + j]) + hi * ql_i8(y[2 + 16 + j]);
        }
        sum += (ql_half(x) * ql_half(y)) * (float)acc;
    }
    return sum;
}

// Q5_1 (24 bytes: FP16 d, FP16 m, 4 bytes qh, 16 bytes of nibbles; x = d·q + m, q in 0…31)
// against Q8_1, with Q4_1's float expression.
float ql_vec_dot_q5_1_q8_1_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    for (int b = 0; b < n / 32; b++, x += sizeof(ql_block_q5_1), y += sizeof(ql_block_q8_1)) {
        const uint32_t qh = ql_u32(x + 4);
        int32_t acc = 0;
        for (int j = 0; j < 16; j++) {
            const int32_t lo = (int32_t)((x[8 + j] & 0x0F) | (((qh >> j) & 1) << 4));
            const int32_t hi = (int32_t)((x[8 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4));
            acc += lo * ql_i8(y[4 + j]) + hi * ql_i8(y[4 + 16 + j]);
        }
        const float scaled = (ql_half(x) * ql_half(y)) * (float)acc;
        const float offset = ql_half(x + 2) * ql_half(y + 2);
        sum += scaled + offset;
    }
    return sum;
}

// IQ4_NL's 16 non-uniform levels (ggml's kvalues_iq4nl).

// IQ4_NL (18 bytes: FP16 d, 16 bytes of nibbles indexing the levels; Q4_0's nibble order) against
// Q8_0: ggml scales the integer sum by the one product d_y·d_x.
float ql_vec_dot_iq4_nl_q8_0_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    for (int b = 0; b < n / 32; b++, x += sizeof(ql_block_iq4_nl), y += sizeof(ql_block_q8_0)) {
        int32_t acc = 0;
        for (int j = 0; j < 16; j++) {
            acc += (int32_t)ql_kvalues_iq4nl[x[2 + j] & 0x0F] * ql_i8(y[2 + j]);
            acc += (int32_t)ql_kvalues_iq4nl[x[2 + j] >> 4] * ql_i8(y[2 + 16 + j]);
        }
        const float d = ql_half(y) * ql_half(x);
        sum += d * (float)acc;
    }
    return sum;
}

// MARK: K-quants (256-value super-blocks) against Q8_K
//
// Q8_K: F32 d at 0, int8 codes at 4, int16 bsums at 260 (292 bytes). The integer sums below cannot
// overflow int32 even for arbitrary block bytes (the largest, a Q6_K lane, stays under 2^25), and
// integer addition is exact in any order, so only the float steps need to follow ggml's order.
// Q3_K, Q5_K and Q6_K follow ggml's generic code in keeping eight float lane sums across the
// super-blocks: lane l holds d_b·Σ(codes at positions ≡ l mod 8) added block by block, and the
// eight lanes are added in order only at the end. Q2_K instead adds one float per super-block.


// Q2_K (84 bytes: 16 scale bytes, 64 code bytes, FP16 d, FP16 dmin). Scale byte j covers values
// 16j…16j+15: its low nibble is the scale, its high nibble the min. Value 128h + 32s + l (half h,
// step s 0…3, l 0…31) is bits 2s…2s+1 of code byte 32h + l. ggml adds per super-block
// (y_d·d)·Σ scale·Σq·q8 − (y_d·dmin)·Σ bsums·min, the mins weighting the activation's stored bsums.
float ql_vec_dot_q2_K_q8_K_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q2_K), y += sizeof(ql_block_q8_K)) {
        const uint8_t *scales = x, *codes = x + 16, *q8 = y + QL_Q8_K_QS;
        int32_t mins = 0;
        for (int j = 0; j < 16; j++) mins += ql_i16(y + QL_Q8_K_BSUMS + 2 * j) * (int32_t)(scales[j] >> 4);
        int32_t acc = 0;
        for (int g = 0; g < 16; g++) {                      // 16-value sub-blocks, g = value / 16
            const uint8_t *q = codes + 32 * (g / 8) + 16 * (g % 2);
            const int shift = 2 * ((g / 2) % 4);
            int32_t group = 0;
            for (int l = 0; l < 16; l++) group += (int32_t)((q[l] >> shift) & 3) * ql_i8(q8[16 * g + l]);
            acc += (int32_t)(scales[g] & 0x0F) * group;
        }
        const float dall = ql_f32(y) * ql_half(x + 80);
        const float dmin = ql_f32(y) * ql_half(x + 82);
        sum += dall * (float)acc - dmin * (float)mins;
    }
    return sum;
}

// Q3_K's 16 six-bit scales from their 12 packed bytes, less the offset 32: scale j's low four bits
// are the low nibble of byte j (j < 8) or the high nibble of byte j − 8 (j ≥ 8); its high two bits
// are bits 2(j/4)…2(j/4)+1 of byte 8 + j%4.
static void dots_q3_K_scales(const uint8_t *packed, int32_t scales[16]) {
    for (int j = 0; j < 16; j++) {
        const int32_t low = j < 8 ? (packed[j] & 0x0F) : (packed[j - 8] >> 4);
        const int32_t high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        scales[j] = (low | (high << 4)) - 32;
    }
}

// Q3_K (110 bytes: 32 hmask bytes, 64 code bytes, 12 scale bytes, FP16 d). Value 32g + l (group g
// 0…7, l 0…31): low two bits are bits 2(g%4)… of code byte 32(g/4) + l; bit g of hmask[l] set
// means +0, clear means −4 (codes −4…3). Sub-block of 16 values j uses scale j.
float ql_vec_dot_q3_K_q8_K_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float lanes[8] = {0};
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q3_K), y += sizeof(ql_block_q8_K)) {
        const uint8_t *hmask = x, *codes = x + 32, *q8 = y + QL_Q8_K_QS;
        int32_t scales[16];
        dots_q3_K_scales(x + 96, scales);
        int32_t acc[8] = {0};
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = codes + 32 * (g / 4);
            const int shift = 2 * (g % 4);
            for (int l = 0; l < 32; l++) {
                const int32_t code = (int32_t)((q[l] >> shift) & 3) - (((hmask[l] >> g) & 1) ? 0 : 4);
                acc[l % 8] += scales[2 * g + l / 16] * (code * ql_i8(q8[32 * g + l]));
            }
        }
        const float d = ql_half(x + 108) * ql_f32(y);
        for (int l = 0; l < 8; l++) lanes[l] += d * (float)acc[l];
    }
    float sum = 0;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    return sum;
}

// The 6-bit scales and mins of Q4_K/Q5_K from their 12 packed bytes (ggml's get_scale_min_k4):
// for j < 4, scale j and min j are the low six bits of bytes j and j + 4; for j ≥ 4 the low four
// bits come from byte j + 4 (scale: low nibble, min: high nibble) and the high two from the top
// bits of bytes j − 4 (scale) and j (min).
static void dots_k4_scales(const uint8_t *packed, int32_t scales[8], int32_t mins[8]) {
    for (int j = 0; j < 4; j++) {
        scales[j] = packed[j] & 63;
        mins[j] = packed[j + 4] & 63;
        scales[j + 4] = (packed[j + 8] & 0x0F) | ((packed[j] >> 6) << 4);
        mins[j + 4] = (packed[j + 8] >> 4) | ((packed[j + 4] >> 6) << 4);
    }
}

// Q5_K (176 bytes: FP16 d, FP16 dmin, 12 scale bytes, 32 qh bytes, 128 code bytes). Value 32g + l:
// the low nibble (g even) or high nibble (g odd) of code byte 32(g/2) + l, plus 16 when bit g of
// qh[l] is set (codes 0…31); group g uses scale g and min g. ggml subtracts (dmin·y_d)·Σ bsums·min
// from the running sum block by block, and adds the eight lane sums after the last block.
float ql_vec_dot_q5_K_q8_K_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float sum = 0;
    float lanes[8] = {0};
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q5_K), y += sizeof(ql_block_q8_K)) {
        const uint8_t *qh = x + 16, *codes = x + 48, *q8 = y + QL_Q8_K_QS;
        int32_t scales[8], mins[8];
        dots_k4_scales(x + 4, scales, mins);
        int32_t minsum = 0;
        for (int j = 0; j < 16; j++) minsum += ql_i16(y + QL_Q8_K_BSUMS + 2 * j) * mins[j / 2];
        int32_t acc[8] = {0};
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = codes + 32 * (g / 2);
            const int shift = 4 * (g % 2);
            for (int l = 0; l < 32; l++) {
                const int32_t code = (int32_t)((q[l] >> shift) & 0x0F) + (((qh[l] >> g) & 1) ? 16 : 0);
                acc[l % 8] += scales[g] * (code * ql_i8(q8[32 * g + l]));
            }
        }
        const float d = ql_half(x) * ql_f32(y);
        for (int l = 0; l < 8; l++) lanes[l] += d * (float)acc[l];
        const float dmin = ql_half(x + 2) * ql_f32(y);
        sum -= dmin * (float)minsum;
    }
    for (int l = 0; l < 8; l++) sum += lanes[l];
    return sum;
}

// Q6_K (210 bytes: 128 ql bytes, 64 qh bytes, 16 int8 scales, FP16 d). In half h, value
// 128h + 32t + l (quarter t 0…3) has the low nibble (t < 2) or high nibble (t ≥ 2) of ql byte
// 64h + 32(t%2) + l and, as bits 4–5, bits 2t…2t+1 of qh byte 32h + l; codes are offset by 32
// (−32…31). Sub-block of 16 values j uses signed scale j.
float ql_vec_dot_q6_K_q8_K_scalar(int n, const void *vx, const void *vy) {
    const uint8_t *x = vx, *y = vy;
    float lanes[8] = {0};
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q6_K), y += sizeof(ql_block_q8_K)) {
        const uint8_t *q8 = y + QL_Q8_K_QS;
        int32_t acc[8] = {0};
        for (int g = 0; g < 8; g++) {                       // g = 4h + t
            const uint8_t *ql = x + 64 * (g / 4) + 32 * (g % 2), *qh = x + 128 + 32 * (g / 4);
            const int nibble = 4 * ((g % 4) / 2), pair = 2 * (g % 4);
            for (int l = 0; l < 32; l++) {
                const int32_t code = (int32_t)(((ql[l] >> nibble) & 0x0F) | (((qh[l] >> pair) & 3) << 4)) - 32;
                acc[l % 8] += ql_i8(x[192 + 2 * g + l / 16]) * (code * ql_i8(q8[32 * g + l]));
            }
        }
        const float d = ql_half(x + 208) * ql_f32(y);
        for (int l = 0; l < 8; l++) lanes[l] += d * (float)acc[l];
    }
    float sum = 0;
    for (int l = 0; l < 8; l++) sum += lanes[l];
    return sum;
}

// MARK: Q8_1 activations

void ql_quantize_row_q8_1(int n, const float *x, void *vy) {
    uint8_t *y = vy;
    for (int b = 0; b < n / 32; b++, x += QL_QK8_1, y += sizeof(ql_block_q8_1)) {
        // ggml's MAX(amax, |v|) keeps amax only when strictly greater, so it is written the same way.
        float amax = 0.0f;
        for (int j = 0; j < 32; j++) {
            const float a = fabsf(x[j]);
            amax = amax > a ? amax : a;
        }
        const float d = amax / 127;
        const float id = d != 0 ? 1.0f / d : 0.0f;
        int32_t sum = 0;
        for (int j = 0; j < 32; j++) {
            // roundf rounds halves away from zero, as in ggml. Where ggml is defined, |r| ≤ 127.
            const float r = roundf(x[j] * id);
            const int32_t q = r != r ? 0 : r > 127 ? 127 : r < -127 ? -127 : (int32_t)r;
            y[4 + j] = (uint8_t)(q & 0xFF);
            sum += q;
        }
        // s is d·Σq with the unrounded float d, rounded to FP16 once.
        ql_store16(y, ql_fp32_to_fp16(d));
        ql_store16(y + 2, ql_fp32_to_fp16((float)sum * d));
    }
}
