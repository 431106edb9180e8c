#ifndef QUANTLAB_DOTS_SCALAR_H
#define QUANTLAB_DOTS_SCALAR_H

/// Scalar dot products of ggml weight blocks against ggml's quantized activation blocks, with the
/// float arithmetic of ggml's own generic kernels (`ggml_vec_dot_*_generic` in ggml-cpu/quants.c):
/// the same products, in the same order and association, so each result is bit-identical to
/// ggml's. `n` is the number of values (a multiple of 32 for the legacy formats and IQ4_NL, of
/// 256 for the K-quants); `x` points at n/block packed weight blocks and `y` at the matching
/// activation blocks (byte layouts as in ggml-common.h, little-endian, no alignment needed):
///
///   Q8_0  34 bytes: FP16 d, 32 × int8
///   Q8_1  36 bytes: FP16 d, FP16 s (= d·Σqs), 32 × int8
///   Q8_K 292 bytes: F32 d, 256 × int8, 16 × int16 bsums (Σ of each run of 16 codes)
///
/// Every block field is read byte by byte, so the kernels run the same on any little- or
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

#endif
