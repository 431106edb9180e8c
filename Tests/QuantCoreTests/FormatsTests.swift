import Foundation
import Testing

@testable import QuantCore

/// The tensor-format table and its dequantizers, checked bit for bit against fixtures made by
/// scripts/gen-format-fixtures.py from llama.cpp's gguf-py (see that script).
@Suite struct FormatsTests {
    // MARK: Fixtures

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

    struct HalfFixture: Decodable {
        let f32_to_f16: [[UInt32]]
        let f16_to_f32: [[UInt32]]
        let f32_to_bf16: [[UInt32]]
        let bf16_to_f32: [[UInt32]]
    }

    static let fixtureDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/formats")

    static func load<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent(name))
        return try JSONDecoder().decode(T.self, from: data)
    }

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

    /// ggml's (blck_size, type_size) for each type, from the block structs in ggml-common.h.
    static let ggmlSizes: [TensorType: (Int, Int)] = [
        .f32: (1, 4), .f16: (1, 2), .bf16: (1, 2),
        .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22), .q5_1: (32, 24),
        .q8_0: (32, 34), .q8_1: (32, 36),
        .q2_K: (256, 84), .q3_K: (256, 110), .q4_K: (256, 144),
        .q5_K: (256, 176), .q6_K: (256, 210), .q8_K: (256, 292),
        .iq4_NL: (32, 18),
    ]

    // MARK: Layout

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

    // MARK: Dequantize, bit for bit

    @Test(arguments: TensorType.allCases)
    func dequantizeMatchesFixture(type: TensorType) throws {
        let fixture = try Self.load("\(type).json", as: FormatFixture.self)
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

    @Test func handComputedQ8_K() throws {
        var block = [UInt8](repeating: 0, count: 292)
        withUnsafeBytes(of: Float(-0.25).bitPattern.littleEndian) { block.replaceSubrange(0..<4, with: $0) }
        for j in 0..<256 { block[4 + j] = UInt8(truncatingIfNeeded: j) }  // qs = 0…127, −128…−1
        for j in 260..<292 { block[j] = 0x5A }  // bsums: ignored
        let values = try block.withUnsafeBytes { try TensorType.q8_K.format.dequantize($0, count: 256) }
        #expect(values == (0..<256).map { Float(Int8(truncatingIfNeeded: $0)) * -0.25 })
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

    // MARK: byteCount

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

    // MARK: F16 / BF16

    @Test func halfConversionVectors() throws {
        let fixture = try Self.load("half.json", as: HalfFixture.self)
        #expect(fixture.f32_to_f16.count > 40)
        for pair in fixture.f32_to_f16 {
            let got = Half.f32ToF16(Float(bitPattern: pair[0]))
            #expect(got == UInt16(pair[1]), "f32 \(String(pair[0], radix: 16)) → f16 \(String(got, radix: 16)), want \(String(pair[1], radix: 16))")
        }
        for pair in fixture.f16_to_f32 {
            let got = Half.f16ToF32(UInt16(pair[0])).bitPattern
            #expect(got == pair[1], "f16 \(String(pair[0], radix: 16)) → \(String(got, radix: 16))")
        }
        for pair in fixture.f32_to_bf16 {
            let got = Half.f32ToBF16(Float(bitPattern: pair[0]))
            #expect(got == UInt16(pair[1]), "f32 \(String(pair[0], radix: 16)) → bf16 \(String(got, radix: 16)), want \(String(pair[1], radix: 16))")
        }
        for pair in fixture.bf16_to_f32 {
            #expect(Half.bf16ToF32(UInt16(pair[0])).bitPattern == pair[1])
        }
    }

    @Test func halfConversionSpotChecks() {
        #expect(Half.f32ToF16(1) == 0x3C00)
        #expect(Half.f32ToF16(-0.0) == 0x8000)
        #expect(Half.f32ToF16(65504) == 0x7BFF)
        #expect(Half.f32ToF16(65519.996) == 0x7BFF)
        #expect(Half.f32ToF16(65520) == 0x7C00)  // tie → even → inf
        #expect(Half.f32ToF16(.infinity) == 0x7C00)
        #expect(Half.f32ToF16(0x1p-24) == 0x0001)  // smallest subnormal
        #expect(Half.f32ToF16(0x1p-25) == 0x0000)  // tie → even → 0
        #expect(Half.f32ToF16(0x1.8p-25) == 0x0001)
        #expect(Half.f32ToF16(0x1.8p-24) == 0x0002)  // 1.5 units: tie → even 2
        #expect(Half.f32ToF16(0x1.ff8p-15) == 0x03FF)  // largest subnormal
        #expect(Half.f32ToF16(0x1.ffbp-15) == 0x03FF)
        #expect(Half.f32ToF16(0x1.ffcp-15) == 0x0400)  // tie → even: the smallest normal
        #expect(Half.f32ToF16(1 + 0x1p-11) == 0x3C00)  // tie → even
        #expect(Half.f32ToF16(1 + 0x1.8p-10) == 0x3C02)  // tie → even (up)
        #expect(Half.f32ToF16(.nan) == 0x7E00 && Half.f32ToF16(Float(bitPattern: 0xFFA0_1234)) == 0xFE00)  // ggml-base: payload dropped
        #expect(Half.f16ToF32(0x0001) == 0x1p-24)
        #expect(Half.f16ToF32(0x8000).bitPattern == 0x8000_0000)
        #expect(Half.f16ToF32(0x7C00) == .infinity)
        #expect(Half.f16ToF32(0x7C01).isNaN)
        #expect(Half.f32ToBF16(1) == 0x3F80)
        #expect(Half.f32ToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even (down)
        #expect(Half.f32ToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even (up)
        #expect(Half.f32ToBF16(Float(bitPattern: 0x7F80_0001)) == 0x7FC0)  // signaling NaN → quiet
        #expect(Half.f32ToBF16(.greatestFiniteMagnitude) == 0x7F80)
    }

    /// Every F16 bit pattern: F16 → F32 → F16 gives it back; a NaN comes back quiet in F32 with its
    /// payload, and as ggml's 0x7E00 (with its sign) in F16.
    @Test func halfRoundTripExhaustive() {
        for h in 0...UInt16.max {
            let f = Half.f16ToF32(h)
            let back = Half.f32ToF16(f)
            if h & 0x7C00 == 0x7C00 && h & 0x03FF != 0 {
                let quiet = f.bitPattern & 0x0040_0000 != 0 && (f.bitPattern >> 13) & 0x1FF == UInt32(h & 0x1FF)
                if !f.isNaN || !quiet || back != (h & 0x8000) | 0x7E00 {
                    #expect(f.isNaN && quiet && back == (h & 0x8000) | 0x7E00, "f16 \(String(h, radix: 16))")
                    return
                }
            } else if back != h {
                #expect(back == h, "f16 \(String(h, radix: 16))")
                return
            }
        }
    }

    /// Every BF16 bit pattern round-trips (non-NaN exactly; NaNs come back quiet).
    @Test func bf16RoundTripExhaustive() {
        for h in 0...UInt16.max {
            let back = Half.f32ToBF16(Half.bf16ToF32(h))
            let want = h & 0x7F80 == 0x7F80 && h & 0x007F != 0 ? h | 0x0040 : h
            if back != want {
                #expect(back == want, "bf16 \(String(h, radix: 16))")
                return
            }
        }
    }

    #if !(os(macOS) && arch(x86_64))
        /// Against the platform's Float16 (hardware or compiler-rt): all F16 values, and a sweep of
        /// F32 values across the F16 range (non-NaN, where the platforms agree).
        @Test func halfMatchesPlatformFloat16() {
            for h in 0...UInt16.max where !(h & 0x7C00 == 0x7C00 && h & 0x03FF != 0) {
                let want = Float(Float16(bitPattern: h)).bitPattern
                if Half.f16ToF32(h).bitPattern != want {
                    #expect(Half.f16ToF32(h).bitPattern == want, "f16 \(String(h, radix: 16))")
                    return
                }
            }
            // Every 997th F32 bit pattern from 2^-26 past the overflow threshold, both signs.
            var bits: UInt32 = 0x3280_0000
            while bits < 0x4790_0000 {
                for f in [Float(bitPattern: bits), Float(bitPattern: bits | 0x8000_0000)] {
                    let want = Float16(f).bitPattern
                    if Half.f32ToF16(f) != want {
                        #expect(Half.f32ToF16(f) == want, "f32 \(String(f.bitPattern, radix: 16))")
                        return
                    }
                }
                bits += 997
            }
        }
    #endif
}
