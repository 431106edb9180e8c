import Foundation
import QuantCore
import Testing

@testable import Quantizers

func bitPatterns(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }

/// Weights with a spread of magnitudes: cubed uniform values and an outlier every 61st weight.
func storageTestWeights(_ count: Int, seed: UInt64) -> [Float] {
    var w = Weights(state: seed)
    return (0..<count).map { i in
        let u = w.next()
        return u * u * u * (i % 61 == 0 ? 16 : 1)
    }
}

@Suite struct PackingTests {
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

@Suite struct RTNStorageTests {
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
}

@Suite struct BnB4BitStorageTests {
    @Test func handPackedNF4Block() throws {
        // Scaled 1, −0.5, 0.1, 0, 0, … → NF4 indices 15, 2, 8, 7, 7, … two per byte, high nibble first.
        let q = try BnB4Bit.quantize([2, -1, 0.2, 0] + [Float](repeating: 0, count: 60), rows: 1, columns: 64, name: "w", settings: BnB4BitSettings())
        #expect(q.parts[0].data == [0xF2, 0x87] + [UInt8](repeating: 0x77, count: 30))
        #expect(q.parts[1].data == Packing.float32([2]))
    }

    @Test func oddCountIsPaddedWithTheIndexOfZero() throws {
        // FP4's zero is index 0, NF4's index 7.
        let fp4 = try BnB4Bit.quantize([1, 1, 1], rows: 1, columns: 3, name: "w", settings: BnB4BitSettings(quantType: .fp4))
        #expect(fp4.parts[0].data == [0x33, 0x30])
        let nf4 = try BnB4Bit.quantize([1, 1, 1], rows: 1, columns: 3, name: "w", settings: BnB4BitSettings(quantType: .nf4))
        #expect(nf4.parts[0].data == [0xFF, 0xF7])
    }

    /// The stored bytes alone decode to the values, bit for bit, for every setting; shapes with a
    /// partial final block and an odd count included.
    @Test(arguments: BnB4BitSettings.QuantType.allCases, [false, true])
    func dequantizeFromBytesReproducesValues(type: BnB4BitSettings.QuantType, doubleQuant: Bool) throws {
        for (rows, columns) in [(96, 128), (7, 100), (3, 7), (300, 64)] {
            var values = storageTestWeights(rows * columns, seed: UInt64(rows * columns))
            for i in 0..<min(values.count, 40) { values[i] = 0 }
            for blocksize in [32, 64, 256, 4096] {
                let settings = BnB4BitSettings(quantType: type, blocksize: blocksize, doubleQuant: doubleQuant)
                let q = try BnB4Bit.quantize(values, rows: rows, columns: columns, name: "w", settings: settings)
                #expect(q.parts.allSatisfy { $0.data?.count == $0.bytes })
                let decoded = try BnB4Bit.dequantize(q.parts, rows: rows, columns: columns, settings: settings)
                #expect(bitPatterns(decoded) == bitPatterns(q.values), "\(rows)×\(columns) \(settings)")
            }
        }
    }

    @Test func malformedStorageIsRefused() throws {
        let settings = BnB4BitSettings(doubleQuant: true)
        let q = try BnB4Bit.quantize(storageTestWeights(128, seed: 9), rows: 2, columns: 64, name: "w", settings: settings)
        #expect(throws: QuantizerError.self) { try BnB4Bit.dequantize(q.parts, rows: 2, columns: 64, settings: BnB4BitSettings()) }
        #expect(throws: QuantizerError.self) { try BnB4Bit.dequantize(q.parts, rows: 4, columns: 64, settings: settings) }
        #expect(throws: QuantizerError.self) { try BnB4Bit.dequantize(q.parts.map(\.sizeOnly), rows: 2, columns: 64, settings: settings) }
    }

    /// PyTorch's float32 sum order (values checked against torch 2.x, one thread).
    @Test func torchSumOrder() {
        // Fewer than 8 values: four partial sums, the fifth value onwards added to the first:
        // ((1e8 + −1e8) + 1 + 1) + 1 + 1 + 1 = 5, where a running sum gives 2.
        #expect(BnB4Bit.torchSum([1e8, 1, 1, 1, -1e8, 1, 1]) == 5)
        // 8 lanes × 4 accumulators: 1 + 63 × 2^−24 sums to 1 + 31 × 2^−23 (a running sum stays at 1).
        #expect(BnB4Bit.torchSum([1] + [Float](repeating: 0x1p-24, count: 63)) == 1 + 31 * 0x1p-23)
    }
}
