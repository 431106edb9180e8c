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

/// Σ x·y for `n` FP16 weights (little-endian bit patterns) against F32 activations, the baseline
/// the quantized formats are measured against; AVX2/F16C when available, else scalar.
float ql_vec_dot_f16_f32(int n, const uint16_t *x, const float *y);
float ql_vec_dot_f16_f32_scalar(int n, const uint16_t *x, const float *y);

/// Rounds `n` floats to Q8_0 blocks (ggml's quantize_row_q8_0 reference: d = amax/127, q = round(x/d)).
void ql_quantize_row_q8_0(int n, const float *x, void *y);

/// 1 when the vectorised kernels are in use on this CPU.
int ql_have_avx2(void);

/// The CPU's time-stamp counter (cycles on x86-64; 0 elsewhere), for benchmarks only.
uint64_t ql_cycles(void);

#endif
