#ifndef QUANTLAB_CKERNELS_H
#define QUANTLAB_CKERNELS_H

#include <stdint.h>

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

/// FP32 → FP16, round to nearest even (ggml's `GGML_FP32_TO_FP16`), for `n` values.
void ql_convert_row_f16(int n, const float *x, uint16_t *y);

/// Rounds `n` floats to Q8_0 blocks (ggml's quantize_row_q8_0 reference: d = amax/127, q = round(x/d)).
void ql_quantize_row_q8_0(int n, const float *x, void *y);
void ql_quantize_row_q8_0_scalar(int n, const float *x, void *y);

/// Rounds `n` floats (a multiple of 256) to Q8_K blocks, bit-identical to ggml's
/// quantize_row_q8_K_ref: float d = max/−127 of the signed extreme, int8 codes, int16 sums of 16.
void ql_quantize_row_q8_K(int n, const float *x, void *y);

/// out[t·rows + o] = Σᵢ w[o·columns + i] · x[t·columns + i] for output rows first ..< last and
/// all `count` input rows: the engine's F32 matmul. Every value is summed in one fixed order (eight
/// lanes of unfused products, lanes added 0…7, then the tail), whichever path runs, so results
/// do not depend on the CPU's vector width, the blocking or the thread split. `scalar` forces
/// the plain C path.
void ql_matmul_f32(const float *w, int columns, const float *x, int count, float *out, int rows, int first, int last, int scalar);
float ql_dot_f32_scalar(int n, const float *a, const float *b);
/// One value of that matmul: Σ a[i]·b[i] in the same order (AVX2 when available).
float ql_dot_f32(int n, const float *a, const float *b);
/// y[i] += p · x[i] (product rounded, then added), element by element.
void ql_axpy_f32(int n, float p, const float *x, float *y);

/// 1 when the vectorised kernels are in use on this CPU.
int ql_have_avx2(void);

/// The CPU's time-stamp counter (cycles on x86-64; 0 elsewhere), for benchmarks only.
uint64_t ql_cycles(void);

#endif
