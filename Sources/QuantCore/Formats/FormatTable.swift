import CKernels

/// Everything QuantLab knows about one tensor type, as one row of ggml's `type_traits` table:
/// block size (`blck_size`), bytes per block (`type_size`), dequantize (`to_float`), the reference
/// quantizer (`from_float_ref`), the dot kernel with its activation type (`vec_dot`,
/// `vec_dot_type`) and, for activation types, the run-time rounding (`from_float`). Every other
/// place reads these facts from here; block sizes and bytes come from CKernels' block structs.
public struct TensorFormat: Sendable {
    public typealias Quantizer = @Sendable (UnsafeBufferPointer<Float>, UnsafeMutableRawBufferPointer) throws(Quantize.Failure) -> Void
    /// Rounds `count` floats into `output` (byteCount(elements: count) bytes) as ggml's `from_float`.
    public typealias ActivationQuantizer = @Sendable (_ x: UnsafePointer<Float>, _ count: Int, _ output: UnsafeMutableRawPointer) -> Void

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
    /// The reference quantizer, for the types QuantLab writes (nil for F32, F16 and BF16, which
    /// are converted, and for Q8_1 and Q8_K, which ggml uses only for activations).
    public let quantize: Quantizer?
    /// The dot product the engine multiplies this type with without dequantizing (nil when it has
    /// none), with the activation type it needs and its scalar twin.
    public let dot: DotKernel?
    /// For the types activations are rounded to before a dot (Q8_0, Q8_1, Q8_K, F16): that rounding.
    public let quantizeActivations: ActivationQuantizer?
    /// The interleaved layout of 16 rows that the tiled matrix products read (CKernels' gemm.c),
    /// for the types that have one; the others multiply one row at a time through `dot`.
    public let panels: ql_panel_type?

    init(
        _ type: TensorType, blockSize: Int, bytesPerBlock: Int,
        dequantize: @escaping @Sendable (_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) -> Void,
        quantize: Quantizer? = nil, dot: DotKernel? = nil, quantizeActivations: ActivationQuantizer? = nil, panels: ql_panel_type? = nil
    ) {
        self.type = type
        self.panels = panels
        self.blockSize = blockSize
        self.bytesPerBlock = bytesPerBlock
        self.dequantize = dequantize
        self.quantize = quantize
        self.dot = dot
        self.quantizeActivations = quantizeActivations
    }

    /// A row for a ggml block struct: values per block and the struct's size.
    init<Block>(
        _ type: TensorType, values: Int32, block: Block.Type,
        dequantize: @escaping @Sendable (_ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableBufferPointer<Float>) -> Void,
        quantize: Quantizer? = nil, dot: DotKernel? = nil, quantizeActivations: ActivationQuantizer? = nil, panels: ql_panel_type? = nil
    ) {
        self.init(
            type, blockSize: Int(values), bytesPerBlock: MemoryLayout<Block>.size, dequantize: dequantize, quantize: quantize, dot: dot,
            quantizeActivations: quantizeActivations, panels: panels)
    }

    /// Storage per weight, scales included: bytesPerBlock · 8 / blockSize (4.5 for Q4_0 and Q4_K).
    public var bitsPerWeight: Double { Double(bytesPerBlock * 8) / Double(blockSize) }

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
        case .elementCountNotMultipleOfBlock(let type, let count, let blockSize):
            "\(type): \(count) elements is not a whole number of \(blockSize)-element blocks"
        case .byteCountMismatch(let type, let count, let expected, let actual):
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

/// The table itself. Block sizes and bytes are those of ggml's block structs (ggml-common.h),
/// declared once in CKernels (ckernels.h); each dot kernel is ggml's `vec_dot_<type>_<activation
/// type>` with its scalar twin.
enum FormatTable {
    typealias Kernel = DotKernel.Function
    static func dot(_ activationType: TensorType, _ fast: @escaping Kernel, _ scalar: @escaping Kernel) -> DotKernel {
        DotKernel(activationType: activationType, fast: fast, scalar: scalar, hasSIMD: true)
    }

    static let f32 = TensorFormat(.f32, blockSize: 1, bytesPerBlock: MemoryLayout<Float>.size, dequantize: { Dequantize.f32($0, $1) })
    static let f16 = TensorFormat(
        .f16, blockSize: 1, bytesPerBlock: MemoryLayout<UInt16>.size, dequantize: { Dequantize.f16($0, $1) },
        dot: dot(
            .f16, { ql_vec_dot_f16_f16($0, $1.assumingMemoryBound(to: UInt16.self), $2.assumingMemoryBound(to: UInt16.self)) },
            { ql_vec_dot_f16_f16_scalar($0, $1.assumingMemoryBound(to: UInt16.self), $2.assumingMemoryBound(to: UInt16.self)) }),
        quantizeActivations: { ql_convert_row_f16(Int32($1), $0, $2.assumingMemoryBound(to: UInt16.self)) }, panels: QL_PANEL_F16)
    static let bf16 = TensorFormat(.bf16, blockSize: 1, bytesPerBlock: MemoryLayout<UInt16>.size, dequantize: { Dequantize.bf16($0, $1) })
    static let q4_0 = TensorFormat(
        .q4_0, values: QL_QK4_0, block: ql_block_q4_0.self, dequantize: { Dequantize.q4_0($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q4_0(x, y) },
        dot: dot(.q8_0, { ql_vec_dot_q4_0_q8_0($0, $1, $2) }, { ql_vec_dot_q4_0_q8_0_scalar($0, $1, $2) }), panels: QL_PANEL_Q4_0)
    static let q4_1 = TensorFormat(
        .q4_1, values: QL_QK4_1, block: ql_block_q4_1.self, dequantize: { Dequantize.q4_1($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q4_1(x, y) },
        dot: dot(.q8_1, { ql_vec_dot_q4_1_q8_1($0, $1, $2) }, { ql_vec_dot_q4_1_q8_1_scalar($0, $1, $2) }))
    static let q5_0 = TensorFormat(
        .q5_0, values: QL_QK5_0, block: ql_block_q5_0.self, dequantize: { Dequantize.q5_0($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q5_0(x, y) },
        dot: dot(.q8_0, { ql_vec_dot_q5_0_q8_0($0, $1, $2) }, { ql_vec_dot_q5_0_q8_0_scalar($0, $1, $2) }))
    static let q5_1 = TensorFormat(
        .q5_1, values: QL_QK5_1, block: ql_block_q5_1.self, dequantize: { Dequantize.q5_1($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q5_1(x, y) },
        dot: dot(.q8_1, { ql_vec_dot_q5_1_q8_1($0, $1, $2) }, { ql_vec_dot_q5_1_q8_1_scalar($0, $1, $2) }))
    static let q8_0 = TensorFormat(
        .q8_0, values: QL_QK8_0, block: ql_block_q8_0.self, dequantize: { Dequantize.q8_0($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q8_0(x, y) },
        dot: dot(.q8_0, { ql_vec_dot_q8_0_q8_0($0, $1, $2) }, { ql_vec_dot_q8_0_q8_0_scalar($0, $1, $2) }),
        quantizeActivations: { ql_quantize_row_q8_0(Int32($1), $0, $2) }, panels: QL_PANEL_Q8_0)
    static let q8_1 = TensorFormat(
        .q8_1, values: QL_QK8_1, block: ql_block_q8_1.self, dequantize: { Dequantize.q8_1($0, $1) },
        quantizeActivations: { ql_quantize_row_q8_1(Int32($1), $0, $2) })
    static let q2_K = TensorFormat(
        .q2_K, values: QL_QK_K, block: ql_block_q2_K.self, dequantize: { Dequantize.q2_K($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q2_K(x, y) },
        dot: dot(.q8_K, { ql_vec_dot_q2_K_q8_K($0, $1, $2) }, { ql_vec_dot_q2_K_q8_K_scalar($0, $1, $2) }))
    static let q3_K = TensorFormat(
        .q3_K, values: QL_QK_K, block: ql_block_q3_K.self, dequantize: { Dequantize.q3_K($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q3_K(x, y) },
        dot: dot(.q8_K, { ql_vec_dot_q3_K_q8_K($0, $1, $2) }, { ql_vec_dot_q3_K_q8_K_scalar($0, $1, $2) }))
    static let q4_K = TensorFormat(
        .q4_K, values: QL_QK_K, block: ql_block_q4_K.self, dequantize: { Dequantize.q4_K($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q4_K(x, y) },
        dot: dot(.q8_K, { ql_vec_dot_q4_K_q8_K($0, $1, $2) }, { ql_vec_dot_q4_K_q8_K_scalar($0, $1, $2) }))
    static let q5_K = TensorFormat(
        .q5_K, values: QL_QK_K, block: ql_block_q5_K.self, dequantize: { Dequantize.q5_K($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q5_K(x, y) },
        dot: dot(.q8_K, { ql_vec_dot_q5_K_q8_K($0, $1, $2) }, { ql_vec_dot_q5_K_q8_K_scalar($0, $1, $2) }))
    static let q6_K = TensorFormat(
        .q6_K, values: QL_QK_K, block: ql_block_q6_K.self, dequantize: { Dequantize.q6_K($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.q6_K(x, y) },
        dot: dot(.q8_K, { ql_vec_dot_q6_K_q8_K($0, $1, $2) }, { ql_vec_dot_q6_K_q8_K_scalar($0, $1, $2) }))
    static let q8_K = TensorFormat(
        .q8_K, values: QL_QK_K, block: ql_block_q8_K.self, dequantize: { Dequantize.q8_K($0, $1) },
        quantizeActivations: { ql_quantize_row_q8_K(Int32($1), $0, $2) })
    static let iq4_NL = TensorFormat(
        .iq4_NL, values: QL_QK4_NL, block: ql_block_iq4_nl.self, dequantize: { Dequantize.iq4_NL($0, $1) },
        quantize: { (x, y) throws(Quantize.Failure) in try Quantize.iq4_NL(x, y) },
        dot: dot(.q8_0, { ql_vec_dot_iq4_nl_q8_0($0, $1, $2) }, { ql_vec_dot_iq4_nl_q8_0_scalar($0, $1, $2) }))
}
