import Foundation
import TestSupport
import Testing

@testable import QuantCore

@Suite struct QuantizeTests {
    struct Fixture: Decodable {
        var type: String
        var input_bits: [UInt32]
        var bytes_hex: String
    }

    static let fixtureDirectory = TestPaths.repository.appendingPathComponent("Tests/QuantCoreTests/Fixtures/quantize")

    static func quantize(_ type: TensorType, _ values: [Float]) throws -> [UInt8] {
        let quantize = try #require(Quantize.function(for: type))
        var bytes = [UInt8](repeating: 0, count: type.format.byteCount(elements: values.count)!)
        try values.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try quantize(x, $0) } }
        return bytes
    }

    @Test(arguments: [TensorType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1])
    func bytesEqualGGUFPy(type: TensorType) throws {
        let data = try Data(contentsOf: Self.fixtureDirectory.appendingPathComponent(type.description.lowercased() + ".json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        let values = fixture.input_bits.map(Float.init(bitPattern:))
        let bytes = try Self.quantize(type, values)
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        #expect(hex == fixture.bytes_hex)
    }

    /// Round trip: every value comes back within one quantization step of its block.
    @Test(arguments: [(TensorType.q8_0, 127.0), (.q4_0, 8.0), (.q4_1, 15.0), (.q5_0, 16.0), (.q5_1, 31.0)])
    func roundTripErrorIsAtMostOneStep(type: TensorType, levels: Double) throws {
        var random = SeededRandom(state: 5)
        let values = random.floats(32 * 64, 3)
        let bytes = try Self.quantize(type, values)
        let restored = try bytes.withUnsafeBytes { try type.format.dequantize($0, count: values.count) }
        for block in 0..<64 {
            let slice = values[(block * 32)..<((block + 1) * 32)]
            let range = Double(slice.max()! - slice.min()!)
            let amax = Double(slice.map(abs).max()!)
            let step = (levels == 15 || levels == 31) ? range / levels : amax / levels
            for j in slice.indices {
                #expect(abs(Double(values[j] - restored[j])) <= step * 1.01, "\(type) block \(block)")
            }
        }
    }

    @Test func badInputIsATypedError() throws {
        var bytes = [UInt8](repeating: 0, count: 34)
        let short: [Float] = Array(repeating: 1, count: 31)
        #expect(throws: Quantize.Failure.notBlockMultiple(count: 31, blockSize: 32)) {
            try short.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try Quantize.q8_0(x, $0) } }
        }
        var withNaN: [Float] = Array(repeating: 1, count: 32)
        withNaN[9] = .nan
        #expect(throws: Quantize.Failure.nonFinite(index: 9)) {
            try withNaN.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try Quantize.q8_0(x, $0) } }
        }
        #expect(throws: Quantize.Failure.destinationSize(expected: 18, actual: 34)) {
            try withNaN.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try Quantize.q4_0(x, $0) } }
        }
        #expect(Quantize.function(for: .q8_K) == nil)
    }

    /// A block of subnormal weights makes 1/d overflow; the quantizer saturates instead of trapping.
    @Test(arguments: [TensorType.q8_0, .q4_0, .q4_1, .q5_0, .q5_1])
    func subnormalBlocksDoNotTrap(type: TensorType) throws {
        var values = [Float](repeating: 0, count: 32)
        values[0] = Float.leastNonzeroMagnitude
        values[1] = -Float.leastNonzeroMagnitude * 3
        let bytes = try Self.quantize(type, values)
        #expect(bytes.count == type.format.bytesPerBlock)
    }
}
