#ifndef QUANTLAB_CKERNELS_H
#define QUANTLAB_CKERNELS_H

// CKernels' one header: ggml's block layouts, the FP16/BF16 conversions, and every kernel. Swift
// and C read the block sizes, byte counts and conversions from here and nowhere else.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

// MARK: Block layouts
//
// ggml's block structs (ggml-common.h), field for field: a tensor of type T is a run of these
// blocks, little-endian, packed. Values per block are the QL_QK* constants; bytes per block are
// the structs' sizes (`sizeof`, or `MemoryLayout<…>.size` in Swift), which the asserts below pin to
// ggml's. FP16 fields are `uint16_t` bit patterns.

#define QL_QK4_0 32
#define QL_QK4_1 32
#define QL_QK5_0 32
#define QL_QK5_1 32
#define QL_QK8_0 32
#define QL_QK8_1 32
#define QL_QK4_NL 32
#define QL_QK_K 256
#define QL_K_SCALE_SIZE 12

typedef struct { uint16_t d; uint8_t qs[QL_QK4_0 / 2]; } ql_block_q4_0;
typedef struct { uint16_t d, m; uint8_t qs[QL_QK4_1 / 2]; } ql_block_q4_1;
typedef struct { uint16_t d; uint8_t qh[4]; uint8_t qs[QL_QK5_0 / 2]; } ql_block_q5_0;
typedef struct { uint16_t d, m; uint8_t qh[4]; uint8_t qs[QL_QK5_1 / 2]; } ql_block_q5_1;
typedef struct { uint16_t d; int8_t qs[QL_QK8_0]; } ql_block_q8_0;
typedef struct { uint16_t d, s; int8_t qs[QL_QK8_1]; } ql_block_q8_1;
typedef struct { uint16_t d; uint8_t qs[QL_QK4_NL / 2]; } ql_block_iq4_nl;
typedef struct { uint8_t scales[QL_QK_K / 16]; uint8_t qs[QL_QK_K / 4]; uint16_t d, dmin; } ql_block_q2_K;
typedef struct { uint8_t hmask[QL_QK_K / 8]; uint8_t qs[QL_QK_K / 4]; uint8_t scales[12]; uint16_t d; } ql_block_q3_K;
typedef struct { uint16_t d, dmin; uint8_t scales[QL_K_SCALE_SIZE]; uint8_t qs[QL_QK_K / 2]; } ql_block_q4_K;
typedef struct { uint16_t d, dmin; uint8_t scales[QL_K_SCALE_SIZE]; uint8_t qh[QL_QK_K / 8]; uint8_t qs[QL_QK_K / 2]; } ql_block_q5_K;
typedef struct { uint8_t ql[QL_QK_K / 2]; uint8_t qh[QL_QK_K / 4]; int8_t scales[QL_QK_K / 16]; uint16_t d; } ql_block_q6_K;
typedef struct { float d; int8_t qs[QL_QK_K]; int16_t bsums[QL_QK_K / 16]; } ql_block_q8_K;

// Where a Q8_K block's codes and block sums start.
#define QL_Q8_K_QS offsetof(ql_block_q8_K, qs)
#define QL_Q8_K_BSUMS offsetof(ql_block_q8_K, bsums)

/// ggml's `kvalues_iq4nl`: IQ4_NL's 16 non-linear levels (data copied from ggml: ggml_tables.c).
extern const int8_t ql_kvalues_iq4nl[16];

// ggml's static_asserts on the same structs (ggml-common.h).
_Static_assert(sizeof(ql_block_q4_0) == 2 + QL_QK4_0 / 2, "wrong q4_0 block size/padding");
_Static_assert(sizeof(ql_block_q4_1) == 4 + QL_QK4_1 / 2, "wrong q4_1 block size/padding");
_Static_assert(sizeof(ql_block_q5_0) == 2 + 4 + QL_QK5_0 / 2, "wrong q5_0 block size/padding");
_Static_assert(sizeof(ql_block_q5_1) == 4 + 4 + QL_QK5_1 / 2, "wrong q5_1 block size/padding");
_Static_assert(sizeof(ql_block_q8_0) == 2 + QL_QK8_0, "wrong q8_0 block size/padding");
_Static_assert(sizeof(ql_block_q8_1) == 4 + QL_QK8_1, "wrong q8_1 block size/padding");
_Static_assert(sizeof(ql_block_iq4_nl) == 2 + QL_QK4_NL / 2, "wrong iq4_nl block size/padding");
_Static_assert(sizeof(ql_block_q2_K) == 4 + QL_QK_K / 16 + QL_QK_K / 4, "wrong q2_K block size/padding");
_Static_assert(sizeof(ql_block_q3_K) == 2 + QL_QK_K / 4 + QL_QK_K / 8 + 12, "wrong q3_K block size/padding");
_Static_assert(sizeof(ql_block_q4_K) == 4 + QL_K_SCALE_SIZE + QL_QK_K / 2, "wrong q4_K block size/padding");
_Static_assert(sizeof(ql_block_q5_K) == 4 + QL_K_SCALE_SIZE + QL_QK_K / 8 + QL_QK_K / 2, "wrong q5_K block size/padding");
_Static_assert(sizeof(ql_block_q6_K) == 2 + QL_QK_K / 16 + 3 * QL_QK_K / 4, "wrong q6_K block size/padding");
_Static_assert(sizeof(ql_block_q8_K) == 4 + QL_QK_K + QL_QK_K / 16 * 2, "wrong q8_K block size/padding");

// MARK: FP16 and BF16
//
// The one implementation of each conversion, for C and Swift (which imports these inline
// functions). Pure bit arithmetic, so every platform and compiler gives the same bits, with the
// NaN rules of ggml's ggml-base (ggml-impl.h), which writes GGUF files:
// - FP16 → FP32 is exact; a NaN keeps its payload and comes back quiet (as ggml_compute_fp16_to_fp32
//   and the F16C instruction give it).
// - FP32 → FP16 rounds to nearest, ties to even (ggml_compute_fp32_to_fp16): ±∞ from 65520 up,
//   FP16 subnormals below 2^-14, ±0 below 2^-25, and every NaN is ggml's quiet NaN 0x7E00 with
//   the input's sign. (ggml's CPU backend converts activations with F16C, which keeps NaN
//   payloads instead; QuantLab's vector paths give 0x7E00 too, so they match their scalar twins.)
// - BF16 → FP32 is exact (the top half of an FP32).
// - FP32 → BF16 is ggml_compute_fp32_to_bf16: round to nearest even, a NaN truncated and forced quiet.

static inline uint32_t ql_f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float ql_f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline float ql_fp16_to_fp32(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    const uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
    if (exponent == 0) {
        // ±0 and subnormals: mantissa · 2^-24, a normal FP32 number, so the product is exact.
        return ql_f32_from_bits(ql_f32_bits((float)mantissa * 0x1p-24f) | sign);
    }
    if (exponent == 31) return ql_f32_from_bits(sign | 0x7F800000u | (mantissa << 13) | (mantissa ? 0x00400000u : 0));
    return ql_f32_from_bits(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

static inline uint16_t ql_fp32_to_fp16(float f) {
    const uint32_t bits = ql_f32_bits(f);
    const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000);
    const uint32_t magnitude = bits & 0x7FFFFFFFu;
    if (magnitude > 0x7F800000u) return (uint16_t)(sign | 0x7E00);
    if (magnitude >= 0x477FF000u) return (uint16_t)(sign | 0x7C00);     // 65520 = halfway past 65504
    if (magnitude < 0x38800000u) {                                     // below 2^-14
        // The half is round(|f|·2^24) = round(m·2^(e−126)) for significand m and biased exponent e.
        const uint32_t e = magnitude >> 23;
        const uint32_t shift = 126 - e;                                 // ≥ 14 here
        if (e == 0 || shift > 24) return sign;                          // < 2^-25: rounds to ±0
        const uint32_t m = (magnitude & 0x7FFFFFu) | 0x800000u;
        uint32_t half = m >> shift;
        const uint32_t rest = m & ((1u << shift) - 1), halfway = 1u << (shift - 1);
        if (rest > halfway || (rest == halfway && (half & 1))) half++;  // may carry into 2^-14: right
        return (uint16_t)(sign | half);
    }
    // Normal: rebias the exponent (127 → 15) and round 23 mantissa bits to 10; a carry out of the
    // mantissa correctly bumps the exponent (never to 31: that range returned above).
    uint32_t half = (magnitude - ((uint32_t)(127 - 15) << 23)) >> 13;
    const uint32_t rest = magnitude & 0x1FFF;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) half++;
    return (uint16_t)(sign | half);
}

static inline float ql_bf16_to_fp32(uint16_t h) { return ql_f32_from_bits((uint32_t)h << 16); }

static inline uint16_t ql_fp32_to_bf16(float f) {
    const uint32_t u = ql_f32_bits(f);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 64);
    return (uint16_t)((u + (0x7FFFu + ((u >> 16) & 1))) >> 16);
}

// MARK: Kernels

/// Integer dot products of ggml blocks against Q8_0 activations, as ggml's `vec_dot_*_q8_0`
/// compute them: per 32-value block, an exact int32 sum of code products, scaled by the two FP16
/// block scales and accumulated in float. `n` is the number of values (a multiple of 32); `x`
/// and `y` point at n/32 packed blocks. Each kernel has a scalar twin; the AVX2 versions are
/// chosen at run time when the CPU has AVX2, FMA and F16C, and differ from the scalar ones only in the
/// order of the float accumulation.
float ql_vec_dot_q8_0_q8_0_scalar(int n, const void *x, const void *y);
float ql_vec_dot_q4_0_q8_0_scalar(int n, const void *x, const void *y);
float ql_vec_dot_q8_0_q8_0(int n, const void *x, const void *y);
float ql_vec_dot_q4_0_q8_0(int n, const void *x, const void *y);

/// Q4_K weights against Q8_K activations (256-value super-blocks), as ggml's
/// `vec_dot_q4_K_q8_K`: exact int32 sums per sub-block, scaled by the 6-bit sub-block scales, the
/// minimums applied through the activation block sums. AVX2 when available, else scalar.
float ql_vec_dot_q4_K_q8_K(int n, const void *x, const void *y);
float ql_vec_dot_q4_K_q8_K_scalar(int n, const void *x, const void *y);

/// Σ x·y for `n` FP16 weights (little-endian bit patterns) against F32 activations, the baseline
/// the quantized formats are measured against; AVX2/F16C when available, else scalar.
float ql_vec_dot_f16_f32(int n, const uint16_t *x, const float *y);
float ql_vec_dot_f16_f32_scalar(int n, const uint16_t *x, const float *y);

/// Σ x·y for FP16 weights against FP16 activations (ggml's `vec_dot_f16`, the product F16
/// weights run with: activations are rounded to FP16 first); float accumulation.
float ql_vec_dot_f16_f16(int n, const uint16_t *x, const uint16_t *y);
float ql_vec_dot_f16_f16_scalar(int n, const uint16_t *x, const uint16_t *y);

/// `ql_fp32_to_fp16` on `n` values (F16C when available, with the same bits, NaNs included).
void ql_convert_row_f16(int n, const float *x, uint16_t *y);

/// Rounds `n` floats to Q8_0 blocks (ggml's quantize_row_q8_0 reference: d = amax/127, q = round(x/d)).
void ql_quantize_row_q8_0(int n, const float *x, void *y);
void ql_quantize_row_q8_0_scalar(int n, const float *x, void *y);

/// Rounds `n` floats (a multiple of 256) to Q8_K blocks, bit-identical to ggml's
/// quantize_row_q8_K_ref: float d = max/−127 of the signed extreme, int8 codes, int16 sums of 16.
void ql_quantize_row_q8_K(int n, const float *x, void *y);

/// out[t·rows + o] = Σᵢ w[o·columns + i] · x[t·columns + i] for output rows first ..< last and
/// all `count` input rows: the engine's F32 matmul. Every value is summed in one fixed order (eight
/// lanes of fused multiply-adds, lanes added 0…7, then the tail), whichever path runs, so results
/// do not depend on the CPU's vector width, the blocking or the thread split. `scalar` forces
/// the plain C path.
void ql_matmul_f32(const float *w, int columns, const float *x, int count, float *out, int rows, int first, int last, int scalar);
float ql_dot_f32_scalar(int n, const float *a, const float *b);
/// One value of that matmul: Σ a[i]·b[i] in the same order (AVX2 when available).
float ql_dot_f32(int n, const float *a, const float *b);
/// y[i] += p · x[i] (product rounded, then added), element by element.
void ql_axpy_f32(int n, float p, const float *x, float *y);
void ql_swiglu_f32(int n, float *gate, const float *up);

/// 1 when the vectorised kernels are in use on this CPU.
int ql_have_avx2(void);

/// The CPU's time-stamp counter (cycles on x86-64; 0 elsewhere), for benchmarks only.
uint64_t ql_cycles(void);

/// Scalar dot products of ggml weight blocks against ggml's quantized activation blocks, with the
/// float arithmetic of ggml's own generic kernels (`ggml_vec_dot_*_generic` in ggml-cpu/quants.c):
/// the same products, in the same order and association, so each result is bit-identical to
/// ggml's. `n` is the number of values (a multiple of 32 for the legacy formats and IQ4_NL, of
/// 256 for the K-quants); `x` points at n/block packed weight blocks and `y` at the matching
/// activation blocks (the block structs above, little-endian, no alignment needed; Q8_1's s is
/// d·Σqs and Q8_K's bsums are the sums of each run of 16 codes). Every block field is read byte by byte, so the kernels run the same on any little- or
/// big-endian host. Non-finite scales give non-finite sums, as in ggml (NaN payloads aside).
float ql_vec_dot_q4_1_q8_1_scalar(int n, const void *x, const void *y);
float ql_vec_dot_q5_0_q8_0_scalar(int n, const void *x, const void *y);
float ql_vec_dot_q5_1_q8_1_scalar(int n, const void *x, const void *y);
float ql_vec_dot_iq4_nl_q8_0_scalar(int n, const void *x, const void *y);
float ql_vec_dot_q2_K_q8_K_scalar(int n, const void *x, const void *y);
float ql_vec_dot_q3_K_q8_K_scalar(int n, const void *x, const void *y);
float ql_vec_dot_q5_K_q8_K_scalar(int n, const void *x, const void *y);
float ql_vec_dot_q6_K_q8_K_scalar(int n, const void *x, const void *y);

/// Rounds `n` floats (a multiple of 32) to Q8_1 blocks exactly as ggml's quantize_row_q8_1_ref:
/// d = amax/127, q = roundf(x·(1/d)) (halves away from zero), s = FP16(d·Σq) with d the unrounded
/// float. Bit-identical to ggml wherever ggml's own result is defined; outside it (a NaN or
/// infinite input, or a block whose 0 < amax < ~3.7e-37 makes 1/d overflow) codes saturate to
/// ±127 and NaN becomes 0 instead of ggml's undefined float-to-int8 conversion.
void ql_quantize_row_q8_1(int n, const float *x, void *y);

/// Dot products of ggml weight blocks against ggml's quantized activation blocks (layouts as above), vectorised with AVX2: on x86-64 CPUs with AVX2, FMA and F16C (`ql_have_avx2()`)
/// they run the AVX2 code of dots_avx2.c, elsewhere the scalar twin `ql_vec_dot_*_scalar`.
///
/// The integer part of each block (Σ code·code, weighted by the sub-block scales of the K-quants)
/// is exact, as in the scalar twins, for every byte pattern of the weight blocks and every int8
/// activation code including −128; only the float work differs from the twin: the block's integer
/// sum is scaled lane by lane (8 partial sums instead of one) and the blocks are accumulated in
/// another order, so results agree with the twin to float rounding, not bit for bit. A non-finite
/// block scale gives a non-finite result in both, though not always the same one (∞ times a lane
/// whose integer sum is 0 is NaN here where the twin may return ±∞).
///
/// Like ggml's own AVX2 kernels, the K-quant kernels read the Q8_K activation block sums (bsums):
/// Q2_K, Q5_K (as their twins do, for the minimums) and also Q3_K and Q6_K (for their code offsets
/// −4 and −32, where the twins sum the offset codes directly). For those two the results equal the
/// twin's only when each bsum is the sum of its 16 codes, as `ql_quantize_row_q8_K` and ggml write them.
float ql_vec_dot_q4_1_q8_1(int n, const void *x, const void *y);
float ql_vec_dot_q5_0_q8_0(int n, const void *x, const void *y);
float ql_vec_dot_q5_1_q8_1(int n, const void *x, const void *y);
float ql_vec_dot_iq4_nl_q8_0(int n, const void *x, const void *y);
float ql_vec_dot_q2_K_q8_K(int n, const void *x, const void *y);
float ql_vec_dot_q3_K_q8_K(int n, const void *x, const void *y);
float ql_vec_dot_q5_K_q8_K(int n, const void *x, const void *y);
float ql_vec_dot_q6_K_q8_K(int n, const void *x, const void *y);

// MARK: Panels of 16 interleaved rows (gemm.c)
#define QL_PANEL_ROWS 16
typedef enum { QL_PANEL_Q8_0 = 0, QL_PANEL_Q4_0 = 1, QL_PANEL_F16 = 2 } ql_panel_type;
typedef enum { QL_PATH_SCALAR = 0, QL_PATH_AVX2 = 1, QL_PATH_AVX512 = 2 } ql_path;
size_t ql_panel_bytes(ql_panel_type type, int rows, int columns);
void ql_pack_panels(ql_panel_type type, const void *source, int rows, int columns, void *destination);
void ql_unpack_panels(ql_panel_type type, const void *panels, int rows, int columns, void *destination);
void ql_unpack_panel_row(ql_panel_type type, const void *panels, int columns, int row, void *destination);
void ql_q8_0_block_sums(const void *activations, int count, int blocks, int32_t *sums);
int ql_path_available(ql_path path);
ql_path ql_best_path(void);
void ql_gemm_panels(ql_path path, ql_panel_type type, const void *panels, int rows, int columns, int first_panel, int last_panel,
                    const void *activations, int count, const int32_t *sums, float *out, int ldo);
void ql_gemm_panels_f16(ql_path path, const void *panels, int rows, int columns, int first_panel, int last_panel, const float *activations,
                        int count, float *out, int ldo);

#endif
