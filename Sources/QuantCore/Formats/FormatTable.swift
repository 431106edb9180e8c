/// How one tensor type is laid out and turned back into floats: the row of ggml's `type_traits`
/// table that QuantLab needs (`blck_size`, `type_size`, `to_float`).
public struct TensorFormat: Sendable {
    public let type: TensorType
    /// Elements per block: 1 for F32/F16/BF16, 32 for Q4_0…Q8_1, 256 for the K-quants.
    public let blockSize: Int
    /// Bytes per block (ggml's `type_size`).
    public let bytesPerBlock: Int
    /// Dequantizes `count` elements (a multiple of blockSize) from `source` (exactly
    /// count/blockSize*bytesPerBlock bytes, any alignment) into `destination`.
    ///
    /// Sizes that break that contract are a programming error and trap; use
    /// ``dequantize(_:count:)`` to have them checked and reported instead.
    public let dequantize: @Sendable (_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) -> Void

    init(
        type: TensorType, blockSize: Int, bytesPerBlock: Int,
        dequantize: @escaping @Sendable (_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) -> Void
    ) {
        self.type = type
        self.blockSize = blockSize
        self.bytesPerBlock = bytesPerBlock
        self.dequantize = dequantize
    }

    /// Storage per weight, scales included: bytesPerBlock · 8 / blockSize (4.5 for Q4_0 and Q4_K).
    public var bitsPerWeight: Double { Double(bytesPerBlock * 8) / Double(blockSize) }

    /// The reference quantizer, for the types QuantLab writes (nil for Q8_1 and Q8_K, which
    /// ggml uses only for activations).
    public var quantize: (@Sendable (UnsafeBufferPointer<Float>, UnsafeMutableRawBufferPointer) throws(Quantize.Failure) -> Void)? {
        Quantize.function(for: type)
    }

    /// Bytes that `elements` elements take (ggml's `ggml_row_size`); nil when `elements` is
    /// negative or not a multiple of blockSize, or when the size overflows `Int`.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: bytesPerBlock)
        return overflow ? nil : bytes
    }

    /// Dequantizes `count` elements from `source`, checking the sizes first.
    public func dequantize(_ source: UnsafeRawBufferPointer, count: Int) throws(FormatError) -> [Float] {
        guard let expected = byteCount(elements: count) else {
            throw FormatError.elementCountNotMultipleOfBlock(type: type, count: count, blockSize: blockSize)
        }
        guard source.count == expected else {
            throw FormatError.byteCountMismatch(type: type, count: count, expected: expected, actual: source.count)
        }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            dequantize(source, buffer)
            initialized = count
        }
    }
}

/// Why a checked dequantize refused its input.
public enum FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The element count is negative, not a multiple of the block size, or too large.
    case elementCountNotMultipleOfBlock(type: TensorType, count: Int, blockSize: Int)
    /// The source holds a different number of bytes than the element count needs.
    case byteCountMismatch(type: TensorType, count: Int, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .elementCountNotMultipleOfBlock(type, count, blockSize):
            "\(type): \(count) elements is not a whole number of \(blockSize)-element blocks"
        case let .byteCountMismatch(type, count, expected, actual):
            "\(type): \(count) elements take \(expected) bytes, got \(actual)"
        }
    }
}

extension TensorType {
    /// This type's row of the format table.
    public var format: TensorFormat {
        switch self {
        case .f32: FormatTable.f32
        case .f16: FormatTable.f16
        case .bf16: FormatTable.bf16
        case .q4_0: FormatTable.q4_0
        case .q4_1: FormatTable.q4_1
        case .q5_0: FormatTable.q5_0
        case .q5_1: FormatTable.q5_1
        case .q8_0: FormatTable.q8_0
        case .q8_1: FormatTable.q8_1
        case .q2_K: FormatTable.q2_K
        case .q3_K: FormatTable.q3_K
        case .q4_K: FormatTable.q4_K
        case .q5_K: FormatTable.q5_K
        case .q6_K: FormatTable.q6_K
        case .q8_K: FormatTable.q8_K
        case .iq4_NL: FormatTable.iq4_NL
        }
    }
}

/// The table itself; sizes are those of ggml's block structs in `ggml-common.h`.
enum FormatTable {
    static let f32 = TensorFormat(type: .f32, blockSize: 1, bytesPerBlock: 4) { Dequantize.f32($0, $1) }
    static let f16 = TensorFormat(type: .f16, blockSize: 1, bytesPerBlock: 2) { Dequantize.f16($0, $1) }
    static let bf16 = TensorFormat(type: .bf16, blockSize: 1, bytesPerBlock: 2) { Dequantize.bf16($0, $1) }
    // block_q4_0: half d; uint8 qs[16]
    static let q4_0 = TensorFormat(type: .q4_0, blockSize: 32, bytesPerBlock: 18) { Dequantize.q4_0($0, $1) }
    // block_q4_1: half d, m; uint8 qs[16]
    static let q4_1 = TensorFormat(type: .q4_1, blockSize: 32, bytesPerBlock: 20) { Dequantize.q4_1($0, $1) }
    // block_q5_0: half d; uint8 qh[4]; uint8 qs[16]
    static let q5_0 = TensorFormat(type: .q5_0, blockSize: 32, bytesPerBlock: 22) { Dequantize.q5_0($0, $1) }
    // block_q5_1: half d, m; uint8 qh[4]; uint8 qs[16]
    static let q5_1 = TensorFormat(type: .q5_1, blockSize: 32, bytesPerBlock: 24) { Dequantize.q5_1($0, $1) }
    // block_q8_0: half d; int8 qs[32]
    static let q8_0 = TensorFormat(type: .q8_0, blockSize: 32, bytesPerBlock: 34) { Dequantize.q8_0($0, $1) }
    // block_q8_1: half d, s; int8 qs[32]
    static let q8_1 = TensorFormat(type: .q8_1, blockSize: 32, bytesPerBlock: 36) { Dequantize.q8_1($0, $1) }
    // block_q2_K: uint8 scales[16]; uint8 qs[64]; half d, dmin
    static let q2_K = TensorFormat(type: .q2_K, blockSize: 256, bytesPerBlock: 84) { Dequantize.q2_K($0, $1) }
    // block_q3_K: uint8 hmask[32]; uint8 qs[64]; uint8 scales[12]; half d
    static let q3_K = TensorFormat(type: .q3_K, blockSize: 256, bytesPerBlock: 110) { Dequantize.q3_K($0, $1) }
    // block_q4_K: half d, dmin; uint8 scales[12]; uint8 qs[128]
    static let q4_K = TensorFormat(type: .q4_K, blockSize: 256, bytesPerBlock: 144) { Dequantize.q4_K($0, $1) }
    // block_q5_K: half d, dmin; uint8 scales[12]; uint8 qh[32]; uint8 qs[128]
    static let q5_K = TensorFormat(type: .q5_K, blockSize: 256, bytesPerBlock: 176) { Dequantize.q5_K($0, $1) }
    // block_q6_K: uint8 ql[128]; uint8 qh[64]; int8 scales[16]; half d
    static let q6_K = TensorFormat(type: .q6_K, blockSize: 256, bytesPerBlock: 210) { Dequantize.q6_K($0, $1) }
    // block_q8_K: float d; int8 qs[256]; int16 bsums[16]
    static let q8_K = TensorFormat(type: .q8_K, blockSize: 256, bytesPerBlock: 292) { Dequantize.q8_K($0, $1) }
    // block_iq4_nl: half d; uint8 qs[16] (indices into kvalues_iq4nl)
    static let iq4_NL = TensorFormat(type: .iq4_NL, blockSize: 32, bytesPerBlock: 18) { Dequantize.iq4_NL($0, $1) }
}
