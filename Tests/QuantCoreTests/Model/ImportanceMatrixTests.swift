import Foundation
import TestSupport
import Testing

@testable import QuantCore

/// Importance-matrix collection and imatrix-weighted quantization, against bytes llama.cpp's
/// llama-quantize wrote from the same matrix (scripts/gen-imatrix-fixtures.py).
@Suite struct ImportanceMatrixTests {
    struct Fixture: Decodable {
        var ctx: Int
        var chunks: Int
        var rows: Int
        var bytes_hex: [String: String]
    }

    static let root = TestPaths.repository

    static func collect(ctx: Int, chunks: Int) throws -> (GGUFFile, ImportanceCollector) {
        let file = try GGUFFile.open(path: root.appendingPathComponent(ReferenceModel.relativePath).path)
        let model = try LlamaModel(file: file)
        let tokenizer = try Tokenizer(TokenizerSpec(file: file))
        let text = try String(contentsOf: root.appendingPathComponent(ReferenceModel.calibrationTextPath), encoding: .utf8)
        let plan = try EvaluationPlan(
            tokens: tokenizer.encode(text, addSpecial: true), contextLength: ctx, maximumChunks: chunks,
            bos: tokenizer.bosID, modelContext: model.config.contextLength)
        let collector = ImportanceCollector()
        let recording = model.collectingImportance(collector)
        var cache = recording.makeCache(capacity: ctx)
        for chunk in 0..<plan.chunkCount {
            cache.clear()
            _ = try recording.forward(plan.input(chunk: chunk), cache: &cache, logitRows: 0..<0)
        }
        return (file, collector)
    }

    @Test func weightedQuantizationEqualsLlamaQuantize() throws {
        let fixture = try JSONDecoder().decode(
            Fixture.self, from: Data(contentsOf: Self.root.appendingPathComponent("Tests/QuantCoreTests/Fixtures/quantize/imatrix.json")))
        let (file, collector) = try Self.collect(ctx: fixture.ctx, chunks: fixture.chunks)
        let importance = collector.importance
        #expect(importance.count == 28)
        #expect(
            Set(fixture.bytes_hex.keys.map { String($0.split(separator: "/")[0]) })
                == ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"])
        for (key, expected) in fixture.bytes_hex {
            let parts = key.split(separator: "/")
            let type = try #require(TensorType(name: String(parts[0])))
            let name = String(parts[1])
            let info = try #require(file.tensor(name))
            let columns = info.shape[0]
            let values = Array(file.floats(of: info).prefix(fixture.rows * columns))
            var bytes = [UInt8](repeating: 0, count: type.format.byteCount(elements: values.count)!)
            let weights = try #require(importance[name])
            try values.withUnsafeBufferPointer { x in
                try bytes.withUnsafeMutableBytes { try Quantize.weighted(type, x, rows: fixture.rows, columns: columns, importance: weights, $0) }
            }
            #expect(bytes.map { String(format: "%02x", $0) }.joined() == expected, "\(key)")
        }
    }

    @Test func imatrixFilesRoundTripInLlamaCppFormat() throws {
        let (_, collector) = try Self.collect(ctx: 32, chunks: 1)
        let writer = try collector.gguf(dataset: "calibration.txt", chunkCount: 1, chunkSize: 32)
        let file = try GGUFFile(path: "imatrix.gguf", bytes: writer.serialize())
        #expect(file.value("imatrix.chunk_size") == .uint32(32))
        #expect(file.tensor("blk.0.attn_q.weight.in_sum2")?.shape == [192, 1])
        #expect(file.floats(of: file.tensor("blk.0.attn_q.weight.counts")!) == [32])
        let loaded = try ImportanceMatrix.load(file)
        let original = collector.importance
        #expect(Set(loaded.keys) == Set(original.keys))
        for (name, values) in original {
            // in_sum2 is stored as F32 and divided by the count again: equal to float rounding.
            #expect(zip(values, loaded[name]!).allSatisfy { abs($0 - $1) <= abs($0) * 1e-6 }, "\(name)")
        }
        // q, k and v read the same normalised input, so they share their importance.
        #expect(original["blk.1.attn_q.weight"] == original["blk.1.attn_v.weight"])
        #expect(original["blk.0.ffn_down.weight"]?.count == 512)
        #expect(original["blk.0.ffn_down.weight"]!.allSatisfy { $0 >= 0 })
    }
}
