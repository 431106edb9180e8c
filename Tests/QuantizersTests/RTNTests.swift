import Foundation
import QuantCore
import Testing

@testable import Quantizers

// Test data the quantizer tests share.

/// Deterministic test weights (SplitMix64).
struct Weights {
    var generator: SplitMix64
    init(state: UInt64) { generator = SplitMix64(seed: state) }
    mutating func next() -> Float { Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1 }
    mutating func floats(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

func squaredError(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
}

func bitPatterns(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// Weights with a spread of magnitudes: cubed uniform values and an outlier every 61st weight.
func storageTestWeights(_ count: Int, seed: UInt64) -> [Float] {
    var w = Weights(state: seed)
    return (0..<count).map { i in
        let u = w.next()
        return u * u * u * (i % 61 == 0 ? 16 : 1)
    }
}

@Suite struct RTNTests {
    @Test func handComputedSymmetricTensor() throws {
        // amax 1 → scale = FP16(1/7) = 0.142822265625; codes round(x/scale) half away from zero.
        let q = try RTN.quantize([-1, 0.5, 0.25, 0], rows: 1, columns: 4, name: "w", settings: RTNSettings(bits: 4, granularity: .tensor))
        let scale: Float = 0.142822265625
        #expect(q.values == [-7 * scale, 4 * scale, 2 * scale, 0])
        // 4 codes × 4 bits = 2 bytes, one FP16 scale = 2 bytes.
        #expect(q.parts.map(\.bytes) == [2, 2])
        #expect(q.bitsPerWeight == 8)
    }

    @Test func asymmetricKeepsZeroExact() throws {
        let q = try RTN.quantize([0.1, 0.2, 0, 0.9], rows: 1, columns: 4, name: "w", settings: RTNSettings(bits: 3, symmetric: false, granularity: .tensor))
        #expect(q.values[2] == 0)
        // range [0, 0.9] over 7 steps: scale FP16(0.9/7), zero point 0.
        let scale = Half.f16ToF32(Half.f32ToF16(0.9 / 7))
        #expect(q.values[3] == 7 * scale)
        #expect(q.parts.map(\.bytes) == [2, 2, 1])
    }

    @Test func storageIsExact() throws {
        var w = Weights(state: 3)
        let values = w.floats(64 * 192)
        let g64 = try RTN.quantize(values, rows: 64, columns: 192, name: "w", settings: RTNSettings(bits: 4, granularity: .group(size: 64)))
        // 4 bits per weight + one FP16 scale per 64 weights = 4.25 bits per weight.
        #expect(g64.bitsPerWeight == 4.25)
        let asym = try RTN.quantize(values, rows: 64, columns: 192, name: "w", settings: RTNSettings(bits: 3, symmetric: false, granularity: .channel))
        // codes 12288 × 3 bits = 4608 bytes; 64 FP16 scales = 128; 64 zero points × 3 bits = 24 bytes.
        #expect(asym.parts.map(\.bytes) == [4608, 128, 24])
    }

    @Test func errorFallsWithBitsAndFinerGroupsAndClipSearch() throws {
        var w = Weights(state: 9)
        var values = w.floats(32 * 256)
        values[5] = 12  // an outlier widens its group's range
        func error(_ s: RTNSettings) throws -> Double {
            squaredError(values, try RTN.quantize(values, rows: 32, columns: 256, name: "w", settings: s).values)
        }
        let e2 = try error(RTNSettings(bits: 2))
        let e4 = try error(RTNSettings(bits: 4))
        let e8 = try error(RTNSettings(bits: 8))
        #expect(e8 < e4 && e4 < e2)
        let perTensor = try error(RTNSettings(bits: 4, granularity: .tensor))
        let perChannel = try error(RTNSettings(bits: 4, granularity: .channel))
        let grouped = try error(RTNSettings(bits: 4, granularity: .group(size: 32)))
        #expect(grouped < perChannel && perChannel < perTensor)
        #expect(try error(RTNSettings(bits: 3, clipSearch: true)) <= (try error(RTNSettings(bits: 3))))
    }

    @Test func badSettingsNameTheSettingAndWhatIsAllowed() {
        let values = [Float](repeating: 0.5, count: 192)
        #expect(throws: QuantizerError.invalidSetting(key: "bits", value: "1", allowed: "2 to 8")) {
            try RTN.quantize(values, rows: 1, columns: 192, name: "w", settings: RTNSettings(bits: 1))
        }
        #expect(throws: QuantizerError.invalidSetting(key: "bits", value: "9", allowed: "2 to 8")) {
            try RTN.quantize(values, rows: 1, columns: 192, name: "w", settings: RTNSettings(bits: 9))
        }
        #expect(throws: QuantizerError.invalidSetting(key: "group_size", value: "0", allowed: "32 to 1024")) {
            try RTN.quantize(values, rows: 1, columns: 192, name: "w", settings: RTNSettings(bits: 4, granularity: .group(size: 0)))
        }
        let notDividing = QuantizerError.groupDoesNotDivide(tensor: "blk.0.attn_q.weight", rowLength: 192, groupSize: 128, suggestions: [32, 64])
        #expect(throws: notDividing) {
            try RTN.quantize(values, rows: 1, columns: 192, name: "blk.0.attn_q.weight", settings: RTNSettings(bits: 4, granularity: .group(size: 128)))
        }
        #expect(notDividing.description == "group_size 128 does not divide the rows of blk.0.attn_q.weight (192 weights each); group sizes that fit: 32, 64")
        var withNaN = values
        withNaN[3] = .nan
        #expect(throws: QuantizerError.nonFinite(tensor: "w", index: 3)) {
            try RTN.quantize(withNaN, rows: 1, columns: 192, name: "w", settings: RTNSettings(bits: 4))
        }
    }

    @Test func handPackedSymmetricTensor() throws {
        // Codes −7, 4, 2, 0 stored offset-binary (+8): 1, 12, 10, 8 → low nibble first: 0xC1, 0x8A.
        // Scale FP16(1/7) = 0.142822265625 = 0x3092, little-endian.
        let q = try RTN.quantize([-1, 0.5, 0.25, 0], rows: 1, columns: 4, name: "w", settings: RTNSettings(bits: 4, granularity: .tensor))
        #expect(q.parts.map(\.data) == [[0xC1, 0x8A], [0x92, 0x30]])
    }

    @Test func handPackedAsymmetricZeroPoints() throws {
        // Range [−0.3, 0.4] over 3 steps (2 bits): scale FP16(0.7/3), zero point round(0.3/scale) = 1.
        let q = try RTN.quantize([-0.3, 0, 0.4, 0.1], rows: 1, columns: 4, name: "w", settings: RTNSettings(bits: 2, symmetric: false, granularity: .tensor))
        let scale = Half.f16ToF32(Half.f32ToF16(Float(0.7) / 3))
        #expect(q.values == [-scale, 0, 2 * scale, 0])
        // Codes 0, 1, 3, 1 → 0b01_11_01_00.
        #expect(q.parts.map(\.data) == [[0b0111_0100], Packing.littleEndian([Half.f32ToF16(Float(0.7) / 3)]), [1]])
    }

    static let granularities: [RTNSettings.Granularity] = [.tensor, .channel, .group(size: 32), .group(size: 64)]

    /// The stored bytes alone decode to the values the engine computes with, bit for bit.
    @Test(arguments: 2...8)
    func dequantizeFromBytesReproducesValues(bits: Int) throws {
        let rows = 6
        let columns = 192
        var values = storageTestWeights(rows * columns, seed: UInt64(100 + bits))
        values[7] = 0
        for i in 192..<384 { values[i] = 0 }  // an all-zero row: scale 0
        for i in 384..<576 { values[i] = abs(values[i]) + 0.01 }  // a row that never crosses 0
        for symmetric in [true, false] {
            for granularity in Self.granularities {
                for clipSearch in [false, true] {
                    let settings = RTNSettings(bits: bits, symmetric: symmetric, granularity: granularity, clipSearch: clipSearch)
                    let q = try RTN.quantize(values, rows: rows, columns: columns, name: "w", settings: settings)
                    #expect(q.parts.allSatisfy { $0.data?.count == $0.bytes })
                    let decoded = try RTN.dequantize(q.parts, rows: rows, columns: columns, settings: settings)
                    #expect(bitPatterns(decoded) == bitPatterns(q.values), "\(settings)")
                }
            }
        }
    }

    @Test func malformedStorageIsRefused() throws {
        let settings = RTNSettings(bits: 3, symmetric: false, granularity: .group(size: 32))
        let q = try RTN.quantize(storageTestWeights(64, seed: 5), rows: 1, columns: 64, name: "w", settings: settings)
        #expect(throws: QuantizerError.self) { try RTN.dequantize(Array(q.parts.prefix(2)), rows: 1, columns: 64, settings: settings) }
        #expect(throws: QuantizerError.self) { try RTN.dequantize(q.parts.map(\.sizeOnly), rows: 1, columns: 64, settings: settings) }
        #expect(throws: QuantizerError.self) { try RTN.dequantize(q.parts, rows: 2, columns: 64, settings: settings) }
        #expect(throws: QuantizerError.self) {
            try RTN.dequantize(q.parts, rows: 1, columns: 64, settings: RTNSettings(bits: 3, symmetric: true, granularity: .group(size: 32)))
        }
    }

    @Test(arguments: 2...8)
    func bitFieldsRoundTrip(bits: Int) {
        var w = Weights(state: UInt64(bits))
        let values = (0..<101).map { _ in Int((w.next() + 1) / 2 * Float(1 << bits)) & ((1 << bits) - 1) }
        let packed = Packing.packBits(values, bits: bits)
        #expect(packed.count == (101 * bits + 7) / 8)
        #expect(Packing.unpackBits(packed, bits: bits, count: 101) == values)
    }

    @Test func bitStreamIsLittleEndian() {
        // 3-bit fields 5, 3, 7: bits 101 | 011 | 111 from bit 0 up → 0b11_011_101, 0b1.
        #expect(Packing.packBits([5, 3, 7], bits: 3) == [0b1101_1101, 0b0000_0001])
        #expect(Packing.littleEndian([UInt16(0x3092)]) == [0x92, 0x30])
        #expect(Packing.float32([Float(1)]) == [0, 0, 0x80, 0x3F])
        #expect(Packing.floats([0, 0, 0x80, 0x3F]) == [1])
    }

    @Test func partsEncodeNameAndSizeOnly() throws {
        let part = QuantizedMatrix.Part(name: "codes (4-bit)", data: [1, 2, 3])
        #expect(part.bytes == 3 && part.data == [1, 2, 3])
        #expect(part.sizeOnly == QuantizedMatrix.Part(name: "codes (4-bit)", bytes: 3))
        let json = String(decoding: try JSONEncoder().encode(part), as: UTF8.self)
        #expect(json.contains("\"bytes\":3") && json.contains("\"name\"") && !json.contains("data"))
        let decoded = try JSONDecoder().decode(QuantizedMatrix.Part.self, from: Data(json.utf8))
        #expect(decoded == part.sizeOnly)
    }
}
