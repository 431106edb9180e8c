#ifndef QUANTLAB_DOTS_AVX2_H
#define QUANTLAB_DOTS_AVX2_H

/// Dot products of ggml weight blocks against ggml's quantized activation blocks (layouts as in
/// dots_scalar.h), vectorised with AVX2: on x86-64 CPUs with AVX2, FMA and F16C (`ql_have_avx2()`)
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

#endif
