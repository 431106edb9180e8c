/// Conversions between `Float` and the two 16-bit float formats GGUF files store, on bit patterns.
///
/// Pure bit arithmetic (no `Float16`), so results are the same on every platform:
/// - F16 (IEEE binary16) → F32 is exact for every input, NaN payloads included.
/// - F32 → F16 rounds to nearest, ties to even, as x86 F16C `_cvtss_sh` and ggml's
///   `GGML_FP32_TO_FP16` do; overflow gives ±inf, tiny values give subnormals or ±0, and a NaN
///   stays a NaN: quieted, with its top 9 payload bits kept (as `_cvtss_sh`).
/// - BF16 → F32 is exact (the top half of an F32).
/// - F32 → BF16 is ggml's `ggml_compute_fp32_to_bf16`: round to nearest even, a NaN is
///   truncated and forced quiet.
public enum Half {
    /// The F32 value of an F16 bit pattern (exact).
    @inlinable
    public static func f16ToF32(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x3FF)
        if exponent == 0 {
            // ±0 and subnormals: mantissa × 2^-24, exact in F32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// The F16 bit pattern nearest to `value` (ties to even).
    @inlinable
    public static func f32ToF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16(truncatingIfNeeded: bits >> 16) & 0x8000
        let magnitude = bits & 0x7FFF_FFFF
        if magnitude > 0x7F80_0000 {
            // NaN: quiet bit set, the top payload bits kept.
            return sign | 0x7E00 | UInt16(truncatingIfNeeded: (magnitude >> 13) & 0x3FF)
        }
        if magnitude >= 0x477F_F000 {
            // ≥ 65520 (half-way between 65504 and 65536, which ties to the even 65536): ±inf.
            return sign | 0x7C00
        }
        if magnitude >= 0x3880_0000 {
            // Normal in F16: rebias the exponent by 127 − 15 and round the 13 dropped bits.
            let rebiased = magnitude - 0x3800_0000
            let rounded = (rebiased + 0xFFF + ((rebiased >> 13) & 1)) >> 13
            return sign | UInt16(truncatingIfNeeded: rounded)
        }
        // Subnormal or zero in F16: the value in units of 2^-24, rounded to nearest even. The
        // scaling is exact; a result of 1024 is the bit pattern of the smallest normal.
        let units = (Float(bitPattern: magnitude) * 0x1p24).rounded(.toNearestOrEven)
        return sign | UInt16(units)
    }

    /// The F32 value of a BF16 bit pattern (exact).
    @inlinable
    public static func bf16ToF32(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `value` as BF16, as ggml's `ggml_compute_fp32_to_bf16`.
    @inlinable
    public static func f32ToBF16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7FFF_FFFF > 0x7F80_0000 {
            return UInt16(truncatingIfNeeded: bits >> 16) | 64
        }
        return UInt16(truncatingIfNeeded: (bits &+ (0x7FFF + ((bits >> 16) & 1))) >> 16)
    }
}
