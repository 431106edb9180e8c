import CKernels

/// Conversions between `Float` and the two 16-bit float formats GGUF files store, on bit patterns:
/// Swift's names for the one implementation in CKernels (ckernels.h), which the C kernels use too.
/// Pure bit arithmetic (no `Float16`), so results are the same on every platform, with the NaN
/// rules of ggml's ggml-base, which writes GGUF files:
/// - F16 → F32 is exact; a NaN keeps its payload and comes back quiet.
/// - F32 → F16 rounds to nearest, ties to even (`ggml_compute_fp32_to_fp16`); overflow gives
///   ±inf, tiny values subnormals or ±0, and every NaN becomes 0x7E00 with the input's sign.
/// - BF16 → F32 is exact (the top half of an F32).
/// - F32 → BF16 is `ggml_compute_fp32_to_bf16`: round to nearest even, a NaN truncated and
///   forced quiet.
public enum Half {
    /// The F32 value of an F16 bit pattern (exact).
    @inlinable
    public static func f16ToF32(_ bits: UInt16) -> Float { ql_fp16_to_fp32(bits) }

    /// The F16 bit pattern nearest to `value` (ties to even).
    @inlinable
    public static func f32ToF16(_ value: Float) -> UInt16 { ql_fp32_to_fp16(value) }

    /// The F32 value of a BF16 bit pattern (exact).
    @inlinable
    public static func bf16ToF32(_ bits: UInt16) -> Float { ql_bf16_to_fp32(bits) }

    /// `value` as BF16, as ggml's `ggml_compute_fp32_to_bf16`.
    @inlinable
    public static func f32ToBF16(_ value: Float) -> UInt16 { ql_fp32_to_bf16(value) }
}
