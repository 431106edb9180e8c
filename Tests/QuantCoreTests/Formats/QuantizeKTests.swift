import Foundation
import TestSupport
import Testing

@testable import QuantCore

/// K-quant quantizers against bytes written by llama.cpp's own llama-quantize (the fixture comes
/// from scripts/gen-kquant-fixtures.py; gguf-py has no K-quant quantizer to use instead).

@Suite struct QuantizeKTests {
    struct Fixture: Decodable {
        var tensor: String
        var rows: Int
        var bytes_hex: [String: String]
    }

    static let root = TestPaths.repository

    static func fixture() throws -> Fixture {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: root.appendingPathComponent("Tests/QuantCoreTests/Fixtures/quantize/kquants.json")))
    }

    static func weights(_ fixture: Fixture) throws -> [Float] {
        let file = try GGUFFile.open(path: root.appendingPathComponent(ReferenceModel.relativePath).path)
        let info = try #require(file.tensor(fixture.tensor))
        return Array(file.floats(of: info).prefix(fixture.rows * info.shape[0]))
    }

    @Test(arguments: [TensorType.q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_NL])
    func bytesEqualLlamaQuantize(type: TensorType) throws {
        let fixture = try Self.fixture()
        let values = try Self.weights(fixture)
        let quantize = try #require(Quantize.function(for: type))
        var bytes = [UInt8](repeating: 0, count: type.format.byteCount(elements: values.count)!)
        try values.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try quantize(x, $0) } }
        let expected = try #require(fixture.bytes_hex[type.description])
        #expect(bytes.map { String(format: "%02x", $0) }.joined() == expected)
        // And they decode close to the input: K-quants at ≥ 4 bits keep the relative RMS error small.
        let restored = try bytes.withUnsafeBytes { try type.format.dequantize($0, count: values.count) }
        let error = zip(values, restored).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        let energy = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        let bound = [TensorType.q6_K: 0.03, .q5_K: 0.06, .q4_K: 0.12, .iq4_NL: 0.12, .q3_K: 0.25, .q2_K: 0.45][type]!
        #expect((error / energy).squareRoot() < bound)
    }

    @Test func nearestIntRoundsHalfToEvenLikeGGML() {
        #expect(Quantize.nearestInt(2.5) == 2)
        #expect(Quantize.nearestInt(3.5) == 4)
        #expect(Quantize.nearestInt(-2.5) == -2)
        #expect(Quantize.nearestInt(-0.49) == 0)
        #expect(Quantize.nearestInt(15.51) == 16)
    }

    @Test func zeroAndConstantSuperBlocks() throws {
        for type in [TensorType.q2_K, .q3_K, .q4_K, .q5_K, .q6_K] {
            for fill: Float in [0, 0.25, -3] {
                let values = [Float](repeating: fill, count: 256)
                var bytes = [UInt8](repeating: 0, count: type.format.bytesPerBlock)
                try values.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try Quantize.function(for: type)!(x, $0) } }
                let restored = try bytes.withUnsafeBytes { try type.format.dequantize($0, count: 256) }
                #expect(restored.allSatisfy { abs($0 - fill) <= abs(fill) * 0.07 }, "\(type) fill \(fill): \(restored[0])")
            }
        }
    }
}
