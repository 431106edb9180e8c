import Foundation
import TestSupport
import Testing

@testable import QuantCore

/// One table-driven check over every format QuantLab writes: exact bits per weight, a round-trip
/// error below a named tolerance, and re-quantizing the dequantized values changes nothing. The
/// layout of every type against ggml's block structs and against fixtures made from gguf-py.
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

    struct FormatFixture: Decodable {
        struct Case: Decodable {
            let name: String
            let elements: Int
            let hex: String
            let expected: [UInt32]
        }

        let type: String
        let ggml_type: UInt32
        let block_size: Int
        let type_size: Int
        let gguf_py_block_size: Int
        let gguf_py_type_size: Int
        let gguf_version: String
        let oracle: String
        let cases: [Case]
    }

    /// Made by scripts/gen-format-fixtures.py from llama.cpp's gguf-py (see that script).
    static let fixtureDirectory = TestPaths.repository.appendingPathComponent("Tests/QuantCoreTests/Fixtures/formats")

    static func load<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// ggml's (blck_size, type_size) for each type, from the block structs in ggml-common.h.
    static let ggmlSizes: [TensorType: (Int, Int)] = [
        .f32: (1, 4), .f16: (1, 2), .bf16: (1, 2),
        .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22), .q5_1: (32, 24),
        .q8_0: (32, 34), .q8_1: (32, 36),
        .q2_K: (256, 84), .q3_K: (256, 110), .q4_K: (256, 144),
        .q5_K: (256, 176), .q6_K: (256, 210), .q8_K: (256, 292),
        .iq4_NL: (32, 18),
    ]

    @Test(arguments: TensorType.allCases)
    func layoutMatchesGGML(type: TensorType) throws {
        let format = type.format
        let ggml = try #require(Self.ggmlSizes[type])
        #expect(format.type == type)
        #expect(format.blockSize == ggml.0)
        #expect(format.bytesPerBlock == ggml.1)
    }

    @Test(arguments: TensorType.allCases)
    func layoutMatchesFixture(type: TensorType) throws {
        let fixture = try Self.load("\(type).json", as: FormatFixture.self)
        let format = type.format
        #expect(fixture.type == type.description)
        #expect(fixture.ggml_type == type.rawValue)
        #expect(fixture.block_size == format.blockSize)
        #expect(fixture.type_size == format.bytesPerBlock)
        #expect(fixture.gguf_py_block_size == format.blockSize)
        if type == .q8_1 {
            // gguf-py's GGML_QUANT_SIZES still has the old Q8_1 (float d, float s): 4 + 4 + 32.
            // ggml's block_q8_1 has two halves: 2 + 2 + 32.
            #expect(fixture.gguf_py_type_size == 40)
        } else {
            #expect(fixture.gguf_py_type_size == format.bytesPerBlock)
        }
    }

    @Test func checkedDequantizeRejectsBadSizes() {
        let bytes = [UInt8](repeating: 0, count: 18)
        bytes.withUnsafeBytes { raw in
            #expect(throws: FormatError.elementCountNotMultipleOfBlock(type: .q4_0, count: 31, blockSize: 32)) {
                try TensorType.q4_0.format.dequantize(raw, count: 31)
            }
            #expect(throws: FormatError.byteCountMismatch(type: .q4_0, count: 64, expected: 36, actual: 18)) {
                try TensorType.q4_0.format.dequantize(raw, count: 64)
            }
            #expect((try? TensorType.q4_0.format.dequantize(raw, count: 32))?.count == 32)
        }
        #expect((try? TensorType.q6_K.format.dequantize(UnsafeRawBufferPointer(start: nil, count: 0), count: 0)) == [])
    }

    @Test func byteCountEdgeCases() {
        #expect(TensorType.q4_0.format.byteCount(elements: 0) == 0)
        #expect(TensorType.q4_0.format.byteCount(elements: 32) == 18)
        #expect(TensorType.q4_0.format.byteCount(elements: 4096) == 128 * 18)
        #expect(TensorType.q4_0.format.byteCount(elements: 33) == nil)
        #expect(TensorType.q4_K.format.byteCount(elements: 128) == nil)
        #expect(TensorType.q4_K.format.byteCount(elements: 512) == 288)
        #expect(TensorType.q4_K.format.byteCount(elements: -256) == nil)
        #expect(TensorType.f32.format.byteCount(elements: 3) == 12)
        #expect(TensorType.f32.format.byteCount(elements: Int.max / 4) == (Int.max / 4) * 4)
        #expect(TensorType.f32.format.byteCount(elements: Int.max / 4 + 1) == nil)
        #expect(TensorType.f32.format.byteCount(elements: Int.max) == nil)
        #expect(TensorType.bf16.format.byteCount(elements: Int.max) == nil)
        // Int.max rounded down to a whole number of Q8_0 blocks: the block count fits, the bytes don't.
        #expect(TensorType.q8_0.format.byteCount(elements: Int.max - Int.max % 32) == nil)
        #expect(TensorType.q8_K.format.byteCount(elements: Int.max - Int.max % 256) == nil)
    }
}
