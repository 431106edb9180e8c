import Foundation
import Testing

@testable import QuantCore

@Suite struct GGUFConverterTests {
    @Test func convertsWeightMatricesAndKeepsNormsInF32() throws {
        let weights = TinyModel.weights()
        let source = try GGUFFile(path: "tiny.gguf", bytes: try TinyModel.gguf(weights: weights).serialize())
        let converted = try GGUFFile(path: "tiny-f16.gguf", bytes: try GGUFConverter.convert(source, to: .f16).serialize())
        #expect(converted.value("general.file_type") == .uint32(1))
        #expect(converted.tensor("blk.0.attn_q.weight")?.type == .f16)
        #expect(converted.tensor("blk.0.attn_norm.weight")?.type == .f32)
        let original = source.floats(of: source.tensor("blk.0.attn_q.weight")!)
        let halves = converted.floats(of: converted.tensor("blk.0.attn_q.weight")!)
        #expect(zip(original, halves).allSatisfy { abs($0 - $1) <= abs($0) * 0x1p-11 + 0x1p-24 })
        #expect(converted.metadata.filter { $0.key != "general.file_type" }.map(\.key) == source.metadata.map(\.key))
        let model = try LlamaModel(file: converted)
        var cache = model.makeCache()
        #expect(try model.forward([1, 2, 3], cache: &cache).allSatisfy(\.isFinite))
    }

    @Test func fallbacksFollowLlamaQuantize() {
        #expect(GGUFConverter.fallback(.q4_K, rowLength: 192) == .q5_0)
        #expect(GGUFConverter.fallback(.q5_K, rowLength: 192) == .q5_1)
        #expect(GGUFConverter.fallback(.q6_K, rowLength: 192) == .q8_0)
        #expect(GGUFConverter.fallback(.q4_K, rowLength: 512) == .q4_K)
        #expect(GGUFConverter.fallback(.q4_K, rowLength: 48) == .f16)
        #expect(GGUFConverter.fallback(.q8_0, rowLength: 48) == .f16)
    }
}
