import CKernels
import Foundation
import QuantCore
import TestSupport
import Testing

/// The scalar kernels of Sources/CKernels/dots_scalar.c against ggml's own generic C code: the
/// fixture (scripts/dev/gen-dot-fixtures.c, dev-only, from a llama.cpp source tree) holds weight and
/// activation block bytes with ggml's float result as a bit pattern, and Q8_1 rows with ggml's
/// block bytes. Equality is exact: the kernels repeat ggml's float operations in ggml's order.
@Suite struct DotScalarKernelTests {
    struct Fixture: Decodable {
        struct Dot: Decodable {
            var weights: String
            var activations: String
            var name: String
            var n: Int
            var weights_hex: String
            var activations_hex: String
            var expected_bits: UInt32
            var expected: Double
        }

        struct Q8_1Row: Decodable {
            var name: String
            var n: Int
            var input_bits: [UInt32]
            var bytes_hex: String
        }

        var dots: [Dot]
        var q8_1: [Q8_1Row]
    }

    static let fixtureURL = TestPaths.repository.appendingPathComponent("Tests/QuantCoreTests/Fixtures/dot-kernels.json")

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtureURL))
    }

    /// Values per block and bytes per block of each format the fixture names.
    static let layouts: [String: (block: Int, bytes: Int)] = [
        "Q4_1": (32, 20), "Q5_0": (32, 22), "Q5_1": (32, 24), "IQ4_NL": (32, 18),
        "Q2_K": (256, 84), "Q3_K": (256, 110), "Q5_K": (256, 176), "Q6_K": (256, 210),
        "Q8_0": (32, 34), "Q8_1": (32, 36), "Q8_K": (256, 292),
    ]

    /// The activation format each weight kernel takes.
    static let activationFormat = [
        "Q4_1": "Q8_1", "Q5_0": "Q8_0", "Q5_1": "Q8_1", "IQ4_NL": "Q8_0",
        "Q2_K": "Q8_K", "Q3_K": "Q8_K", "Q5_K": "Q8_K", "Q6_K": "Q8_K",
    ]

    static func dot(_ weights: String, count: Int, _ x: UnsafeRawPointer, _ y: UnsafeRawPointer) -> Float? {
        let n = Int32(count)
        switch weights {
        case "Q4_1": return ql_vec_dot_q4_1_q8_1_scalar(n, x, y)
        case "Q5_0": return ql_vec_dot_q5_0_q8_0_scalar(n, x, y)
        case "Q5_1": return ql_vec_dot_q5_1_q8_1_scalar(n, x, y)
        case "IQ4_NL": return ql_vec_dot_iq4_nl_q8_0_scalar(n, x, y)
        case "Q2_K": return ql_vec_dot_q2_K_q8_K_scalar(n, x, y)
        case "Q3_K": return ql_vec_dot_q3_K_q8_K_scalar(n, x, y)
        case "Q5_K": return ql_vec_dot_q5_K_q8_K_scalar(n, x, y)
        case "Q6_K": return ql_vec_dot_q6_K_q8_K_scalar(n, x, y)
        default: return nil
        }
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    @Test(arguments: ["Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q5_K", "Q6_K"])
    func kernelIsBitIdenticalToGGMLGeneric(weights: String) throws {
        let cases = try Self.fixture().dots.filter { $0.weights == weights }
        #expect(cases.count == 2)
        for testCase in cases {
            let label = "\(weights) \(testCase.name) n=\(testCase.n)"
            let weightLayout = try #require(Self.layouts[weights])
            let activationLayout = try #require(Self.layouts[testCase.activations])
            #expect(Self.activationFormat[weights] == testCase.activations, "\(label)")
            let x = try #require(Self.bytes(hex: testCase.weights_hex))
            let y = try #require(Self.bytes(hex: testCase.activations_hex))
            // The kernel reads exactly n/block blocks of each: check the sizes before handing it pointers.
            try #require(testCase.n > 0 && testCase.n % weightLayout.block == 0 && testCase.n % activationLayout.block == 0)
            try #require(x.count == testCase.n / weightLayout.block * weightLayout.bytes, "\(label)")
            try #require(y.count == testCase.n / activationLayout.block * activationLayout.bytes, "\(label)")
            let result = x.withUnsafeBytes { xp in y.withUnsafeBytes { yp in Self.dot(weights, count: testCase.n, xp.baseAddress!, yp.baseAddress!) } }
            let value = try #require(result)
            #expect(value.bitPattern == testCase.expected_bits, "\(label): \(value) vs ggml \(Float(bitPattern: testCase.expected_bits))")
            // The decimal in the fixture is the same float (printed with 9 significant digits).
            #expect(Float(testCase.expected) == Float(bitPattern: testCase.expected_bits), "\(label)")
        }
    }

    @Test func q8_1RowsAreByteIdenticalToGGML() throws {
        let rows = try Self.fixture().q8_1
        #expect(rows.count == 2)
        for row in rows {
            try #require(row.n > 0 && row.n % 32 == 0 && row.input_bits.count == row.n, "\(row.name)")
            let values = row.input_bits.map(Float.init(bitPattern:))
            var bytes = [UInt8](repeating: 0, count: row.n / 32 * 36)
            values.withUnsafeBufferPointer { x in bytes.withUnsafeMutableBytes { ql_quantize_row_q8_1(Int32(row.n), x.baseAddress!, $0.baseAddress!) } }
            #expect(Self.hex(bytes) == row.bytes_hex, "\(row.name)")
        }
    }

    /// The s field is d·Σq with the unrounded float d, rounded to FP16 once; a block of large values
    /// makes it overflow to +∞ while d itself stays finite (the fixture's "edges" row checks the
    /// bytes; this checks the meaning).
    @Test func q8_1SumFieldIsTheScaledCodeSum() {
        var values = [Float](repeating: 0, count: 32)
        for j in 0..<32 { values[j] = Float(j) - 10.25 }
        var bytes = [UInt8](repeating: 0, count: 36)
        values.withUnsafeBufferPointer { x in bytes.withUnsafeMutableBytes { ql_quantize_row_q8_1(32, x.baseAddress!, $0.baseAddress!) } }
        let d = Half.f16ToF32(UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
        let s = Half.f16ToF32(UInt16(bytes[2]) | UInt16(bytes[3]) << 8)
        let codes = bytes[4...].map { Int(Int8(bitPattern: $0)) }
        #expect(codes.max() == 127 && codes.min()! >= -127)
        // Σq·d, computed here with the FP16 d, is within an FP16 rounding of the stored s.
        let estimate = Float(codes.reduce(0, +)) * d
        #expect(abs(s - estimate) <= abs(estimate) * 0x1p-9 + 1e-6)
    }
}
