// Matrix products over weights interleaved in panels of 16 rows (QuantLab's repacked layout,
// after ggml's repack.cpp and llamafile's sgemm): one weight load feeds 16 output rows, and each
// decoded panel block is used for a whole tile of tokens. Decode (one token) and prefill (many)
// run the same code, so a result never depends on the batch size, the thread count (threads take
// whole panels) or the instruction set.
//
// The order every path keeps, per output (row r, token t) of a block format:
//     sum = 0; for each block b in order: sum = fma((float)isum_b, d_r,b · d_t,b, sum)
// isum_b is the block's exact integer dot product, d_r,b · d_t,b the product of two FP16 scales
// (exact in F32: 11 × 11 significant bits), and the fused multiply-add rounds once per block. The
// scalar twin spells this out; the AVX2 and AVX-512 paths compute the same isum with other
// instructions and the same fma per block, lane by lane (a lane is a row).
#include "ckernels.h"
#include "fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// Products and sums are separate roundings unless written as fmaf (the package compiles CKernels
// with -ffp-contract=off; this keeps it so for any other build of the file).
#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// MARK: Layout

// Bytes of one panel block (16 rows × 32 columns): the 16 FP16 scales, then the codes in groups
// of 4 columns, each group 16 rows × 4 bytes (Q8_0: 8 groups of int8 codes; Q4_0: 4 groups of
// 4 packed bytes, low nibbles = columns j…j+3, high nibbles = columns j+16…j+19).
// F16 panels hold one column of 16 rows per "block": 16 FP16 values, 32 bytes.
// One row per panel type, indexed by ql_panel_type: bytes of one row's block in the file, values
// per block, groups of 4 code bytes per block (F16 has none: the value is the 2-byte field).
static const struct { size_t row_block; int values; int groups; } layouts[] = {
    [QL_PANEL_Q8_0] = {sizeof(ql_block_q8_0), 32, 8},
    [QL_PANEL_Q4_0] = {sizeof(ql_block_q4_0), 32, 4},
    [QL_PANEL_F16] = {sizeof(uint16_t), 1, 0},
};

static size_t row_block_bytes(ql_panel_type type) { return layouts[type].row_block; }
static size_t panel_block_bytes(ql_panel_type type) { return QL_PANEL_ROWS * layouts[type].row_block; }
static int values_per_block(ql_panel_type type) { return layouts[type].values; }

size_t ql_panel_bytes(ql_panel_type type, int rows, int columns) {
    const size_t panels = ((size_t)rows + QL_PANEL_ROWS - 1) / QL_PANEL_ROWS;
    return panels * (size_t)(columns / values_per_block(type)) * panel_block_bytes(type);
}

// Byte offset of row r's block b in the panels, and of that block's code bytes 4g…4g+3.
static size_t panel_block_offset(ql_panel_type type, int r, int b, int blocks) {
    return ((size_t)(r / QL_PANEL_ROWS) * (size_t)blocks + (size_t)b) * panel_block_bytes(type);
}

// The fields of one row's block in a panel block: F16 has the value only (2 bytes at 2·lane);
// Q8_0 and Q4_0 the FP16 scale there and 8 or 4 groups of 4 code bytes.
static int code_groups(ql_panel_type type) { return layouts[type].groups; }

void ql_pack_panels(ql_panel_type type, const void *source, int rows, int columns, void *destination) {
    const int blocks = columns / values_per_block(type), groups = code_groups(type);
    const size_t rb = row_block_bytes(type);
    memset(destination, 0, ql_panel_bytes(type, rows, columns));
    const uint8_t *src = source;
    uint8_t *dst = destination;
    for (int r = 0; r < rows; r++) {
        const int lane = r % QL_PANEL_ROWS;
        for (int b = 0; b < blocks; b++) {
            const uint8_t *block = src + ((size_t)r * (size_t)blocks + (size_t)b) * rb;
            uint8_t *panel = dst + panel_block_offset(type, r, b, blocks);
            memcpy(panel + 2 * lane, block, 2);
            for (int g = 0; g < groups; g++) memcpy(panel + 32 + (size_t)(g * QL_PANEL_ROWS + lane) * 4, block + 2 + 4 * g, 4);
        }
    }
}

void ql_unpack_panel_row(ql_panel_type type, const void *panels, int columns, int row, void *destination) {
    const int blocks = columns / values_per_block(type), groups = code_groups(type), lane = row % QL_PANEL_ROWS;
    const size_t rb = row_block_bytes(type);
    uint8_t *dst = destination;
    for (int b = 0; b < blocks; b++) {
        uint8_t *block = dst + (size_t)b * rb;
        const uint8_t *panel = (const uint8_t *)panels + panel_block_offset(type, row, b, blocks);
        memcpy(block, panel + 2 * lane, 2);
        for (int g = 0; g < groups; g++) memcpy(block + 2 + 4 * g, panel + 32 + (size_t)(g * QL_PANEL_ROWS + lane) * 4, 4);
    }
}

void ql_unpack_panels(ql_panel_type type, const void *panels, int rows, int columns, void *destination) {
    const size_t row_bytes = (size_t)(columns / values_per_block(type)) * row_block_bytes(type);
    for (int r = 0; r < rows; r++) ql_unpack_panel_row(type, panels, columns, r, (uint8_t *)destination + (size_t)r * row_bytes);
}

void ql_q8_0_block_sums(const void *activations, int count, int blocks, int32_t *sums) {
    const uint8_t *y = activations;
    for (int t = 0; t < count; t++) {
        for (int b = 0; b < blocks; b++, y += sizeof(ql_block_q8_0)) {
            int32_t s = 0;
            for (int j = 0; j < 32; j++) s += ql_i8(y[2 + j]);
            sums[t * blocks + b] = s;
        }
    }
}

// MARK: Scalar twin

// The exact integer dot product of row `lane`'s block in `panel` against one Q8_0 activation block.
static int32_t block_isum_scalar(ql_panel_type type, const uint8_t *panel, int lane, const uint8_t *y) {
    int32_t isum = 0;
    if (type == QL_PANEL_Q8_0) {
        for (int g = 0; g < 8; g++) {
            const uint8_t *w = panel + 32 + (size_t)(g * QL_PANEL_ROWS + lane) * 4;
            for (int k = 0; k < 4; k++) isum += ql_i8(w[k]) * ql_i8(y[2 + 4 * g + k]);
        }
    } else {
        for (int g = 0; g < 4; g++) {
            const uint8_t *w = panel + 32 + (size_t)(g * QL_PANEL_ROWS + lane) * 4;
            for (int k = 0; k < 4; k++) {
                isum += ((int32_t)(w[k] & 0x0F) - 8) * ql_i8(y[2 + 4 * g + k]);
                isum += ((int32_t)(w[k] >> 4) - 8) * ql_i8(y[2 + 16 + 4 * g + k]);
            }
        }
    }
    return isum;
}

static void gemm_scalar(ql_panel_type type, const uint8_t *panels, int rows, int blocks, int first, int last,
                        const uint8_t *act, int count, float *out, int ldo) {
    const size_t pbb = panel_block_bytes(type), arow = (size_t)blocks * sizeof(ql_block_q8_0);
    for (int p = first; p < last; p++) {
        const uint8_t *panel = panels + (size_t)p * (size_t)blocks * pbb;
        for (int lane = 0; lane < QL_PANEL_ROWS && p * QL_PANEL_ROWS + lane < rows; lane++) {
            for (int t = 0; t < count; t++) {
                const uint8_t *y = act + (size_t)t * arow;
                float sum = 0;
                for (int b = 0; b < blocks; b++, y += sizeof(ql_block_q8_0)) {
                    const uint8_t *pb = panel + (size_t)b * pbb;
                    const float d = ql_half(pb + 2 * lane) * ql_half(y);
                    sum = fmaf((float)block_isum_scalar(type, pb, lane, y), d, sum);
                }
                out[(size_t)t * (size_t)ldo + (size_t)(p * QL_PANEL_ROWS + lane)] = sum;
            }
        }
    }
}

// MARK: AVX-512 (VNNI): a lane per row, 16 rows per register, up to 8 tokens per tile
//
// vpdpbusd multiplies unsigned by signed bytes. Q8_0 codes become unsigned by flipping their top
// bit (w + 128), and the 128·Σy this adds is taken off per block; Q4_0's nibbles are unsigned
// already and 8·Σy comes off the same way. Each lane's sum of at most 32 products of 255 × 128
// stays far below 2^31. Integer sums are exact, so they may be split over several accumulators
// (a one- or two-token tile would otherwise wait on one chain of dependent vpdpbusd); the float
// steps are the scalar twin's, lane by lane.
//
// The tiles are always inlined into one specialisation per (type, token count), so the loops over
// tokens unroll and the accumulators live in registers.

#if defined(__x86_64__)
#define AVX512_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma,f16c")))
#define INLINE inline __attribute__((always_inline))
#define TILE512 8

AVX512_FN static INLINE void tile_avx512(const ql_panel_type type, const uint8_t *panel, int blocks, const uint8_t *act, size_t arow,
                                          const int32_t *sums, const int tokens, float *out, int ldo, int valid) {
    const int split = tokens == 1 ? 4 : tokens == 2 ? 2 : 1;
    const int32_t offset = type == QL_PANEL_Q8_0 ? 128 : 8;
    const size_t pbb = panel_block_bytes(type);
    const __m512i flip = _mm512_set1_epi8((char)0x80), low4 = _mm512_set1_epi8(0x0F);
    __m512 acc[TILE512];
    for (int t = 0; t < tokens; t++) acc[t] = _mm512_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *pb = panel + (size_t)b * pbb;
        const uint8_t *yb = act + (size_t)b * sizeof(ql_block_q8_0);
        __m512i isum[TILE512][4];
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < split; k++) isum[t][k] = _mm512_setzero_si512();
        if (type == QL_PANEL_Q8_0) {
            for (int g = 0; g < 8; g++) {
                const __m512i w = _mm512_xor_si512(_mm512_loadu_si512(pb + 32 + 64 * g), flip);
                for (int t = 0; t < tokens; t++)
                    isum[t][g % split] = _mm512_dpbusd_epi32(isum[t][g % split], w, _mm512_set1_epi32((int)ql_u32(yb + (size_t)t * arow + 2 + 4 * g)));
            }
        } else {
            for (int g = 0; g < 4; g++) {
                const __m512i packed = _mm512_loadu_si512(pb + 32 + 64 * g);
                const __m512i lo = _mm512_and_si512(packed, low4), hi = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low4);
                for (int t = 0; t < tokens; t++) {
                    const uint8_t *y = yb + (size_t)t * arow + 2 + 4 * g;
                    isum[t][(2 * g) % split] = _mm512_dpbusd_epi32(isum[t][(2 * g) % split], lo, _mm512_set1_epi32((int)ql_u32(y)));
                    isum[t][(2 * g + 1) % split] = _mm512_dpbusd_epi32(isum[t][(2 * g + 1) % split], hi, _mm512_set1_epi32((int)ql_u32(y + 16)));
                }
            }
        }
        const __m512 dx = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)pb));
        for (int t = 0; t < tokens; t++) {
            __m512i exact = isum[t][0];
            for (int k = 1; k < split; k++) exact = _mm512_add_epi32(exact, isum[t][k]);
            exact = _mm512_sub_epi32(exact, _mm512_set1_epi32(offset * sums[(size_t)t * (size_t)blocks + (size_t)b]));
            const __m512 d = _mm512_mul_ps(dx, _mm512_set1_ps(ql_half(yb + (size_t)t * arow)));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(exact), d, acc[t]);
        }
    }
    const __mmask16 mask = (__mmask16)((1u << valid) - 1);
    for (int t = 0; t < tokens; t++) _mm512_mask_storeu_ps(out + (size_t)t * (size_t)ldo, mask, acc[t]);
}

// One specialisation per token count (the type is fixed by the caller): `tile(n)` for n = count.
#define TILE_SWITCH8(tile, count)                         \
    switch (count) {                                      \
    case 1: tile(1); break;                               \
    case 2: tile(2); break;                               \
    case 3: tile(3); break;                               \
    case 4: tile(4); break;                               \
    case 5: tile(5); break;                               \
    case 6: tile(6); break;                               \
    case 7: tile(7); break;                               \
    default: tile(8); break;                              \
    }

AVX512_FN static INLINE void gemm_avx512_typed(const ql_panel_type type, const uint8_t *panels, int rows, int blocks, int first, int last,
                                                const uint8_t *act, int count, const int32_t *sums, float *out, int ldo) {
    const size_t pbb = panel_block_bytes(type), arow = (size_t)blocks * sizeof(ql_block_q8_0);
    for (int p = first; p < last; p++) {
        const uint8_t *panel = panels + (size_t)p * (size_t)blocks * pbb;
        const int valid = rows - p * QL_PANEL_ROWS < QL_PANEL_ROWS ? rows - p * QL_PANEL_ROWS : QL_PANEL_ROWS;
        for (int t0 = 0; t0 < count; t0 += TILE512) {
            const int tokens = count - t0 < TILE512 ? count - t0 : TILE512;
#define TILE512_CALL(n) tile_avx512(type, panel, blocks, act + (size_t)t0 * arow, arow, sums + (size_t)t0 * (size_t)blocks, n, \
                                    out + (size_t)t0 * (size_t)ldo + (size_t)p * QL_PANEL_ROWS, ldo, valid)
            TILE_SWITCH8(TILE512_CALL, tokens)
#undef TILE512_CALL
        }
    }
}

AVX512_FN static void gemm_avx512(ql_panel_type type, const uint8_t *panels, int rows, int blocks, int first, int last, const uint8_t *act,
                                  int count, const int32_t *sums, float *out, int ldo) {
    if (type == QL_PANEL_Q8_0) gemm_avx512_typed(QL_PANEL_Q8_0, panels, rows, blocks, first, last, act, count, sums, out, ldo);
    else gemm_avx512_typed(QL_PANEL_Q4_0, panels, rows, blocks, first, last, act, count, sums, out, ldo);
}

// MARK: AVX2: a lane per row, 8 rows per register (half a panel), up to 4 tokens per tile
//
// maddubs multiplies unsigned by signed bytes into saturating int16 pairs. Q8_0: |w| against y
// with w's sign moved onto it (exact: |w| ≤ 128, and activations from ql_quantize_row_q8_0 lie in
// −127…127, so a pair is at most 2·128·127). Q4_0: the nibbles against y, then 8·Σy off per block.

#define AVX2_FN __attribute__((target("avx2,fma,f16c")))
#define TILE2 4

AVX2_FN static INLINE void tile_avx2(const ql_panel_type type, const uint8_t *panel, int half, int blocks, const uint8_t *act, size_t arow,
                                      const int32_t *sums, const int tokens, float *out, int ldo, int valid) {
    const int split = tokens == 1 ? 2 : 1;
    const size_t pbb = panel_block_bytes(type);
    const __m256i ones = _mm256_set1_epi16(1), low4 = _mm256_set1_epi8(0x0F);
    __m256 acc[TILE2];
    for (int t = 0; t < tokens; t++) acc[t] = _mm256_setzero_ps();
    for (int b = 0; b < blocks; b++) {
        const uint8_t *pb = panel + (size_t)b * pbb;
        const uint8_t *yb = act + (size_t)b * sizeof(ql_block_q8_0);
        __m256i isum[TILE2][2];
        for (int t = 0; t < tokens; t++)
            for (int k = 0; k < split; k++) isum[t][k] = _mm256_setzero_si256();
        if (type == QL_PANEL_Q8_0) {
            for (int g = 0; g < 8; g++) {
                const __m256i w = _mm256_loadu_si256((const __m256i *)(pb + 32 + 64 * g + 32 * half));
                const __m256i aw = _mm256_sign_epi8(w, w);
                for (int t = 0; t < tokens; t++) {
                    const __m256i y = _mm256_set1_epi32((int)ql_u32(yb + (size_t)t * arow + 2 + 4 * g));
                    const __m256i pairs = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(y, w));
                    isum[t][g % split] = _mm256_add_epi32(isum[t][g % split], _mm256_madd_epi16(pairs, ones));
                }
            }
        } else {
            for (int g = 0; g < 4; g++) {
                const __m256i packed = _mm256_loadu_si256((const __m256i *)(pb + 32 + 64 * g + 32 * half));
                const __m256i lo = _mm256_and_si256(packed, low4), hi = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low4);
                for (int t = 0; t < tokens; t++) {
                    const uint8_t *y = yb + (size_t)t * arow + 2 + 4 * g;
                    const __m256i pairs = _mm256_add_epi16(_mm256_maddubs_epi16(lo, _mm256_set1_epi32((int)ql_u32(y))),
                                                           _mm256_maddubs_epi16(hi, _mm256_set1_epi32((int)ql_u32(y + 16))));
                    isum[t][g % split] = _mm256_add_epi32(isum[t][g % split], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        const __m256 dx = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(pb + 16 * half)));
        for (int t = 0; t < tokens; t++) {
            __m256i exact = split == 2 ? _mm256_add_epi32(isum[t][0], isum[t][1]) : isum[t][0];
            if (type == QL_PANEL_Q4_0) exact = _mm256_sub_epi32(exact, _mm256_set1_epi32(8 * sums[(size_t)t * (size_t)blocks + (size_t)b]));
            const __m256 d = _mm256_mul_ps(dx, _mm256_set1_ps(ql_half(yb + (size_t)t * arow)));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(exact), d, acc[t]);
        }
    }
    for (int t = 0; t < tokens; t++) {
        if (valid >= 8) {
            _mm256_storeu_ps(out + (size_t)t * (size_t)ldo, acc[t]);
        } else {
            float lanes[8];
            _mm256_storeu_ps(lanes, acc[t]);
            for (int l = 0; l < valid; l++) out[(size_t)t * (size_t)ldo + l] = lanes[l];
        }
    }
}

#define TILE_SWITCH4(tile, count)                         \
    switch (count) {                                      \
    case 1: tile(1); break;                               \
    case 2: tile(2); break;                               \
    case 3: tile(3); break;                               \
    default: tile(4); break;                              \
    }

AVX2_FN static INLINE void gemm_avx2_typed(const ql_panel_type type, const uint8_t *panels, int rows, int blocks, int first, int last,
                                            const uint8_t *act, int count, const int32_t *sums, float *out, int ldo) {
    const size_t pbb = panel_block_bytes(type), arow = (size_t)blocks * sizeof(ql_block_q8_0);
    for (int p = first; p < last; p++) {
        const uint8_t *panel = panels + (size_t)p * (size_t)blocks * pbb;
        for (int half = 0; half < 2; half++) {
            const int valid = rows - p * QL_PANEL_ROWS - 8 * half;
            if (valid <= 0) break;
            for (int t0 = 0; t0 < count; t0 += TILE2) {
                const int tokens = count - t0 < TILE2 ? count - t0 : TILE2;
#define TILE2_CALL(n) tile_avx2(type, panel, half, blocks, act + (size_t)t0 * arow, arow, sums + (size_t)t0 * (size_t)blocks, n, \
                                out + (size_t)t0 * (size_t)ldo + (size_t)(p * QL_PANEL_ROWS + 8 * half), ldo, valid)
                TILE_SWITCH4(TILE2_CALL, tokens)
#undef TILE2_CALL
            }
        }
    }
}

AVX2_FN static void gemm_avx2(ql_panel_type type, const uint8_t *panels, int rows, int blocks, int first, int last, const uint8_t *act,
                              int count, const int32_t *sums, float *out, int ldo) {
    if (type == QL_PANEL_Q8_0) gemm_avx2_typed(QL_PANEL_Q8_0, panels, rows, blocks, first, last, act, count, sums, out, ldo);
    else gemm_avx2_typed(QL_PANEL_Q4_0, panels, rows, blocks, first, last, act, count, sums, out, ldo);
}
#endif

// MARK: Paths

int ql_path_available(ql_path path) {
    switch (path) {
    case QL_PATH_SCALAR: return 1;
#if defined(__x86_64__)
    case QL_PATH_AVX2: return ql_have_avx2();
    case QL_PATH_AVX512: {
        static int cached = -1;
        if (cached < 0) {
            __builtin_cpu_init();
            cached = ql_have_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
        }
        return cached;
    }
#endif
    default: return 0;
    }
}

ql_path ql_best_path(void) {
    if (ql_path_available(QL_PATH_AVX512)) return QL_PATH_AVX512;
    if (ql_path_available(QL_PATH_AVX2)) return QL_PATH_AVX2;
    return QL_PATH_SCALAR;
}

void ql_gemm_panels(ql_path path, ql_panel_type type, const void *panels, int rows, int columns, int first_panel, int last_panel,
                    const void *activations, int count, const int32_t *sums, float *out, int ldo) {
    const int blocks = columns / 32;
    if (!ql_path_available(path)) path = QL_PATH_SCALAR;
    switch (path) {
#if defined(__x86_64__)
    case QL_PATH_AVX512:
        gemm_avx512(type, panels, rows, blocks, first_panel, last_panel, activations, count, sums, out, ldo);
        return;
    case QL_PATH_AVX2:
        gemm_avx2(type, panels, rows, blocks, first_panel, last_panel, activations, count, sums, out, ldo);
        return;
#endif
    default:
        gemm_scalar(type, panels, rows, blocks, first_panel, last_panel, activations, count, out, ldo);
    }
}

// MARK: F16 panels
//
// Weights and activations are both F16 values (ggml's vec_dot_type for F16 is F16), so every
// product is exact in F32 (11 × 11 significant bits) and a multiply-add rounds once whether fused
// or not. The order, per output: four partial sums, column i into sum i mod 4, each in column
// order; then (s0 + s1) + (s2 + s3). Four chains keep a one-token product from waiting on one
// accumulator.

static void gemm_f16_scalar(const uint8_t *panels, int rows, int columns, int first, int last, const float *act, int count,
                            float *out, int ldo) {
    for (int p = first; p < last; p++) {
        const uint8_t *panel = panels + (size_t)p * (size_t)columns * 32;
        for (int lane = 0; lane < QL_PANEL_ROWS && p * QL_PANEL_ROWS + lane < rows; lane++) {
            for (int t = 0; t < count; t++) {
                const float *a = act + (size_t)t * (size_t)columns;
                float partial[4] = {0, 0, 0, 0};
                for (int i = 0; i < columns; i++) partial[i % 4] += ql_half(panel + (size_t)i * 32 + 2 * lane) * a[i];
                out[(size_t)t * (size_t)ldo + (size_t)(p * QL_PANEL_ROWS + lane)] = (partial[0] + partial[1]) + (partial[2] + partial[3]);
            }
        }
    }
}

#if defined(__x86_64__)
#define TILE_F16_512 6

AVX512_FN static INLINE void tile_f16_avx512(const uint8_t *panel, int columns, const float *act, const int tokens, float *out, int ldo, int valid) {
    __m512 acc[TILE_F16_512][4];
    for (int t = 0; t < tokens; t++)
        for (int k = 0; k < 4; k++) acc[t][k] = _mm512_setzero_ps();
    int i = 0;
    for (; i + 4 <= columns; i += 4) {
        for (int k = 0; k < 4; k++) {
            const __m512 w = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(panel + (size_t)(i + k) * 32)));
            for (int t = 0; t < tokens; t++) acc[t][k] = _mm512_fmadd_ps(w, _mm512_set1_ps(act[(size_t)t * (size_t)columns + (size_t)(i + k)]), acc[t][k]);
        }
    }
    for (int k = 0; i < columns; i++, k++) {
        const __m512 w = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(panel + (size_t)i * 32)));
        for (int t = 0; t < tokens; t++) acc[t][k] = _mm512_fmadd_ps(w, _mm512_set1_ps(act[(size_t)t * (size_t)columns + (size_t)i]), acc[t][k]);
    }
    const __mmask16 mask = (__mmask16)((1u << valid) - 1);
    for (int t = 0; t < tokens; t++) {
        const __m512 sum = _mm512_add_ps(_mm512_add_ps(acc[t][0], acc[t][1]), _mm512_add_ps(acc[t][2], acc[t][3]));
        _mm512_mask_storeu_ps(out + (size_t)t * (size_t)ldo, mask, sum);
    }
}

AVX512_FN static void gemm_f16_avx512(const uint8_t *panels, int rows, int columns, int first, int last, const float *act, int count,
                                      float *out, int ldo) {
    for (int p = first; p < last; p++) {
        const uint8_t *panel = panels + (size_t)p * (size_t)columns * 32;
        const int valid = rows - p * QL_PANEL_ROWS < QL_PANEL_ROWS ? rows - p * QL_PANEL_ROWS : QL_PANEL_ROWS;
        for (int t0 = 0; t0 < count; t0 += TILE_F16_512) {
            const int tokens = count - t0 < TILE_F16_512 ? count - t0 : TILE_F16_512;
#define TILE_F16_CALL(n) \
    tile_f16_avx512(panel, columns, act + (size_t)t0 * (size_t)columns, n, out + (size_t)t0 * (size_t)ldo + (size_t)p * QL_PANEL_ROWS, ldo, valid)
            switch (tokens) {
            case 1: TILE_F16_CALL(1); break;
            case 2: TILE_F16_CALL(2); break;
            case 3: TILE_F16_CALL(3); break;
            case 4: TILE_F16_CALL(4); break;
            case 5: TILE_F16_CALL(5); break;
            default: TILE_F16_CALL(6); break;
            }
#undef TILE_F16_CALL
        }
    }
}

#define TILE_F16_2 2

AVX2_FN static INLINE void tile_f16_avx2(const uint8_t *panel, int half, int columns, const float *act, const int tokens, float *out, int ldo, int valid) {
    __m256 acc[TILE_F16_2][4];
    for (int t = 0; t < tokens; t++)
        for (int k = 0; k < 4; k++) acc[t][k] = _mm256_setzero_ps();
    int i = 0;
    for (; i + 4 <= columns; i += 4) {
        for (int k = 0; k < 4; k++) {
            const __m256 w = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(panel + (size_t)(i + k) * 32 + 16 * half)));
            for (int t = 0; t < tokens; t++) acc[t][k] = _mm256_fmadd_ps(w, _mm256_set1_ps(act[(size_t)t * (size_t)columns + (size_t)(i + k)]), acc[t][k]);
        }
    }
    for (int k = 0; i < columns; i++, k++) {
        const __m256 w = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(panel + (size_t)i * 32 + 16 * half)));
        for (int t = 0; t < tokens; t++) acc[t][k] = _mm256_fmadd_ps(w, _mm256_set1_ps(act[(size_t)t * (size_t)columns + (size_t)i]), acc[t][k]);
    }
    for (int t = 0; t < tokens; t++) {
        const __m256 sum = _mm256_add_ps(_mm256_add_ps(acc[t][0], acc[t][1]), _mm256_add_ps(acc[t][2], acc[t][3]));
        float lanes[8];
        _mm256_storeu_ps(lanes, sum);
        for (int l = 0; l < valid && l < 8; l++) out[(size_t)t * (size_t)ldo + l] = lanes[l];
    }
}

AVX2_FN static void gemm_f16_avx2(const uint8_t *panels, int rows, int columns, int first, int last, const float *act, int count,
                                  float *out, int ldo) {
    for (int p = first; p < last; p++) {
        const uint8_t *panel = panels + (size_t)p * (size_t)columns * 32;
        for (int half = 0; half < 2; half++) {
            const int valid = rows - p * QL_PANEL_ROWS - 8 * half;
            if (valid <= 0) break;
            for (int t0 = 0; t0 < count; t0 += TILE_F16_2) {
                const int tokens = count - t0 < TILE_F16_2 ? count - t0 : TILE_F16_2;
                if (tokens == 1) tile_f16_avx2(panel, half, columns, act + (size_t)t0 * (size_t)columns, 1,
                                               out + (size_t)t0 * (size_t)ldo + (size_t)(p * QL_PANEL_ROWS + 8 * half), ldo, valid);
                else tile_f16_avx2(panel, half, columns, act + (size_t)t0 * (size_t)columns, 2,
                                   out + (size_t)t0 * (size_t)ldo + (size_t)(p * QL_PANEL_ROWS + 8 * half), ldo, valid);
            }
        }
    }
}
#endif

void ql_gemm_panels_f16(ql_path path, const void *panels, int rows, int columns, int first_panel, int last_panel, const float *activations,
                        int count, float *out, int ldo) {
    if (!ql_path_available(path)) path = QL_PATH_SCALAR;
    switch (path) {
#if defined(__x86_64__)
    case QL_PATH_AVX512: gemm_f16_avx512(panels, rows, columns, first_panel, last_panel, activations, count, out, ldo); return;
    case QL_PATH_AVX2: gemm_f16_avx2(panels, rows, columns, first_panel, last_panel, activations, count, out, ldo); return;
#endif
    default: gemm_f16_scalar(panels, rows, columns, first_panel, last_panel, activations, count, out, ldo);
    }
}
