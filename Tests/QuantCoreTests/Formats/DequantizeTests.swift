import Foundation
import Testing

@testable import QuantCore

/// The dequantizers, checked bit for bit against fixtures made by scripts/gen-format-fixtures.py
/// from llama.cpp's gguf-py (see that script), aligned and misaligned.
@Suite struct DequantizeTests {
    static func bytes(hex: String) -> [UInt8] {
        func nibble(_ c: UInt8) -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: c - UInt8(ascii: "A") + 10
            }
        }
        let utf8 = Array(hex.utf8)
        return stride(from: 0, to: utf8.count, by: 2).map { nibble(utf8[$0]) << 4 | nibble(utf8[$0 + 1]) }
    }

    /// nil when `values` has exactly the `expected` bit patterns; else a short account.
    static func mismatches(_ values: [Float], _ expected: [UInt32]) -> String? {
        guard values.count == expected.count else { return "\(values.count) values, want \(expected.count)" }
        let wrong = zip(values, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1 }
        guard let first = wrong.first else { return nil }
        let got = String(first.element.0.bitPattern, radix: 16)
        let want = String(first.element.1, radix: 16)
        return "\(wrong.count) of \(values.count) differ; first [\(first.offset)]: got 0x\(got) (\(first.element.0)), want 0x\(want)"
    }

    @Test(arguments: TensorType.allCases)
    func dequantizeMatchesFixture(type: TensorType) throws {
        let fixture = try FormatTableTests.load("\(type).json", as: FormatTableTests.FormatFixture.self)
        let format = type.format
        #expect(!fixture.cases.isEmpty)
        for testCase in fixture.cases {
            let raw = Self.bytes(hex: testCase.hex)
            #expect(testCase.expected.count == testCase.elements)
            #expect(format.byteCount(elements: testCase.elements) == raw.count, "\(type) \(testCase.name)")

            // Aligned, through the checked API.
            let values = try raw.withUnsafeBytes { try format.dequantize($0, count: testCase.elements) }
            #expect(Self.mismatches(values, testCase.expected) == nil, "\(type) \(testCase.name)")

            // Misaligned by one byte, through the raw closure.
            var shifted = [UInt8](repeating: 0xEE, count: raw.count + 1)
            shifted.replaceSubrange(1..., with: raw)
            var unaligned = [Float](repeating: .nan, count: testCase.elements)
            shifted.withUnsafeBytes { bytes in
                unaligned.withUnsafeMutableBufferPointer { out in
                    format.dequantize(UnsafeRawBufferPointer(rebasing: bytes[1...]), out)
                }
            }
            #expect(Self.mismatches(unaligned, testCase.expected) == nil, "\(type) \(testCase.name), unaligned")
        }
    }

    /// Q8_1 and Q8_K have no dequantize in gguf-py; besides the fixture (a numpy port), check one
    /// hand-computed block of each.
    @Test func handComputedQ8_1() throws {
        var block = [UInt8](repeating: 0, count: 36)
        block[0] = 0x00
        block[1] = 0x38  // d = 0.5
        block[2] = 0xFF
        block[3] = 0x7B  // s = 65504: ignored
        for j in 0..<32 { block[4 + j] = UInt8(bitPattern: Int8(j - 16)) }
        let values = try block.withUnsafeBytes { try TensorType.q8_1.format.dequantize($0, count: 32) }
        #expect(values == (0..<32).map { Float($0 - 16) * 0.5 })
    }

    /// A Q4_0 block worked by hand: d = 2, nibbles 0…15 in the low halves, 15…0 in the high.
    @Test func handComputedQ4_0() throws {
        var block: [UInt8] = [0x00, 0x40]  // d = 2.0
        for j in 0..<16 { block.append(UInt8(j) | UInt8(15 - j) << 4) }
        let values = try block.withUnsafeBytes { try TensorType.q4_0.format.dequantize($0, count: 32) }
        let low: [Float] = (0..<16).map { (j: Int) -> Float in Float(j - 8) * 2 }
        let high: [Float] = (0..<16).map { (j: Int) -> Float in Float(7 - j) * 2 }
        let want = low + high
        #expect(values == want)
    }
}
