import Foundation
import QuantCore
import Testing

@testable import Quantizers

@Suite struct BitsAndBytes4BitTests {
    @Test func codeTablesAreThePublishedOnes() {
        #expect(BnB4Bit.nf4.count == 16 && BnB4Bit.nf4 == BnB4Bit.nf4.sorted())
        #expect(BnB4Bit.nf4[0] == -1 && BnB4Bit.nf4[7] == 0 && BnB4Bit.nf4[15] == 1)
        #expect(BnB4Bit.nf4[8] == 0.07958029955625534 && BnB4Bit.nf4[1] == -0.6961928009986877)
        // FP4: bitsandbytes' [0, 0.0625, 8, 12, 4, 6, 2, 3, …] / 12.
        #expect(BnB4Bit.fp4[3] == 1 && BnB4Bit.fp4[2] == 8.0 / 12 && BnB4Bit.fp4[1] == 0.0625 / 12)
        #expect(BnB4Bit.fp4[11] == -1 && BnB4Bit.fp4[8] == 0)
    }

    @Test func dynamicMapHas256SortedValues() {
        let map = BnB4Bit.dynamicMap
        #expect(map.count == 256)
        #expect(zip(map, map.dropFirst()).allSatisfy { $0 < $1 })
        #expect(map.contains(0) && map.last == 1)
        #expect(map.filter { $0 < 0 }.count == 127)
        // The smallest magnitude: 10⁻⁶ × (0.1 + 1)/2 = 5.5e-7.
        #expect(abs(map[128] - 5.5e-7) < 1e-12)
    }

    @Test func handQuantizedNF4Block() throws {
        // absmax 2: scaled values 1, −0.5, 0.1, 0 → nearest NF4 entries 1, −0.5250…, 0.0795…, 0.
        let q = try BnB4Bit.quantize([2, -1, 0.2, 0] + [Float](repeating: 0, count: 60), rows: 1, columns: 64, name: "w", settings: BnB4BitSettings())
        let expected: [Float] = [2, -0.5250730514526367 * 2, 0.07958029955625534 * 2, 0]
        #expect(Array(q.values.prefix(4)) == expected)
        // 64 codes in 32 bytes and one FP32 absmax: 4.5 bits per weight.
        #expect(q.parts.map(\.bytes) == [32, 4])
        #expect(q.bitsPerWeight == 4.5)
    }

    @Test func doubleQuantizationCostsAbout4Point127BitsPerWeight() throws {
        var w = Weights(state: 21)
        let values = w.floats(256 * 256)
        let plain = try BnB4Bit.quantize(values, rows: 256, columns: 256, name: "w", settings: BnB4BitSettings())
        let dq = try BnB4Bit.quantize(values, rows: 256, columns: 256, name: "w", settings: BnB4BitSettings(doubleQuant: true))
        // 1024 blocks: 1024 one-byte codes, 4 FP32 second-level absmax, one FP32 offset.
        #expect(dq.parts.map(\.bytes) == [32768, 1024, 16, 4])
        #expect(abs(dq.bitsPerWeight - 4.1274) < 0.0001)
        #expect(plain.bitsPerWeight == 4.5)
        // The 8-bit absmax barely changes the weights.
        #expect(squaredError(values, dq.values) < squaredError(values, plain.values) * 1.05)
        let fp4 = try BnB4Bit.quantize(values, rows: 256, columns: 256, name: "w", settings: BnB4BitSettings(quantType: .fp4))
        // On uniform weights FP4's log-spaced levels lose to NF4's.
        #expect(squaredError(values, fp4.values) > squaredError(values, plain.values))
    }

    @Test func badBlocksizeIsRejected() {
        #expect(throws: QuantizerError.invalidSetting(key: "blocksize", value: "7", allowed: "32, 64, 128, 256, 512, 1024, 2048, 4096")) {
            try BnB4Bit.quantize([1], rows: 1, columns: 1, name: "w", settings: BnB4BitSettings(blocksize: 7))
        }
    }

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
