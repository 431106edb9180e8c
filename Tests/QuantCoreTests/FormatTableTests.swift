import Foundation
import TestSupport
import Testing

@testable import QuantCore

/// One table-driven check over every format QuantLab writes: exact bits per weight, a round-trip
/// error below a named tolerance, and re-quantizing the dequantized values changes nothing.
@Suite struct FormatTableTests {
    /// (bits per weight from ggml's block structs, tolerated relative RMS round-trip error on
    /// Gaussian weights).
    static let expectations: [TensorType: (bits: Double, tolerance: Double)] = [
        .f32: (32, 0), .f16: (16, 0.001), .bf16: (16, 0.005),
        .q8_0: (8.5, 0.01), .q5_1: (6, 0.04), .q5_0: (5.5, 0.05), .q4_1: (5, 0.08), .q4_0: (4.5, 0.10),
        .q6_K: (6.5625, 0.03), .q5_K: (5.5, 0.05), .q4_K: (4.5, 0.10), .iq4_NL: (4.5, 0.10),
        .q3_K: (3.4375, 0.20), .q2_K: (2.625, 0.40),
    ]

    static func gaussian(_ count: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(state: seed)
        return (0..<count).map { _ in
            let u1 = max(Double(random.float(0.5) + 0.5), 1e-9)
            let u2 = Double(random.float(0.5) + 0.5)
            return Float((-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)) * 0.02
        }
    }

    @Test(arguments: Array(expectations.keys).sorted { $0.rawValue < $1.rawValue })
    func roundTripAndBitsPerWeight(type: TensorType) throws {
        let format = type.format
        let expected = try #require(Self.expectations[type])
        #expect(format.bitsPerWeight == expected.bits)
        let values = Self.gaussian(1024, seed: UInt64(type.rawValue) + 1)
        var bytes = [UInt8](repeating: 0, count: try #require(format.byteCount(elements: values.count)))
        if let quantize = format.quantize {
            try values.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try quantize(x, $0) } }
        } else {
            bytes = GGUFConverter.encode(values, as: type)
        }
        let restored = try bytes.withUnsafeBytes { try format.dequantize($0, count: values.count) }
        let error = zip(values, restored).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let energy = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        let relative = (error / energy).squareRoot()
        #expect(relative <= expected.tolerance, "\(type): relative RMS error \(relative)")
        #expect(Double(bytes.count * 8) / Double(values.count) == expected.bits)
    }

    /// The rows' sizes are ggml's block structs' (ggml-common.h: e.g. block_q4_0 is 2 + 16 bytes),
    /// here from CKernels' structs through the table.
    @Test func blockSizesAndBytesAreGgmls() {
        let rows = TensorType.allCases.map { "\($0) \($0.format.blockSize) \($0.format.bytesPerBlock)" }
        #expect(
            rows == [
                "F32 1 4", "F16 1 2", "Q4_0 32 18", "Q4_1 32 20", "Q5_0 32 22", "Q5_1 32 24", "Q8_0 32 34", "Q8_1 32 36",
                "Q2_K 256 84", "Q3_K 256 110", "Q4_K 256 144", "Q5_K 256 176", "Q6_K 256 210", "Q8_K 256 292",
                "IQ4_NL 32 18", "BF16 1 2",
            ])
    }

    /// Every dot kernel's activation type has its run-time rounding in the table, and only the
    /// four activation types have one (ggml's `vec_dot_type` and `from_float`).
    @Test func everyDotsActivationTypeCanBeRoundedTo() {
        for type in TensorType.allCases {
            if let dot = type.format.dot { #expect(dot.activationType.format.quantizeActivations != nil, "\(type)") }
        }
        #expect(TensorType.allCases.filter { $0.format.quantizeActivations != nil } == [.f16, .q8_0, .q8_1, .q8_K])
        #expect(
            TensorType.allCases.filter { $0.format.dot != nil }.map { "\($0)→\($0.format.dot!.activationType)" }
                == [
                    "F16→F16", "Q4_0→Q8_0", "Q4_1→Q8_1", "Q5_0→Q8_0", "Q5_1→Q8_1", "Q8_0→Q8_0", "Q2_K→Q8_K", "Q3_K→Q8_K",
                    "Q4_K→Q8_K", "Q5_K→Q8_K", "Q6_K→Q8_K", "IQ4_NL→Q8_0",
                ])
    }

    @Test func everyWrittenTypeHasAQuantizerOrIsAFloat() {
        for type in GGUFConverter.targets {
            #expect(type.format.quantize != nil || [.f32, .f16, .bf16].contains(type), "\(type)")
        }
        #expect(TensorType.q8_K.format.quantize == nil && TensorType.q8_1.format.quantize == nil)
    }
}
