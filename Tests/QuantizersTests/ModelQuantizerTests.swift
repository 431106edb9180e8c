import Foundation
import QuantCore
import Testing

@testable import Quantizers

@Suite struct ModelQuantizerTests {
    @Test func globPatterns() {
        #expect(QuantizationRecipe.matches("blk.*.ffn_down.weight", "blk.3.ffn_down.weight"))
        #expect(!QuantizationRecipe.matches("blk.*.ffn_down.weight", "blk.3.ffn_up.weight"))
        #expect(QuantizationRecipe.matches("*", "output.weight"))
        #expect(QuantizationRecipe.matches("out*", "output.weight"))
        #expect(!QuantizationRecipe.matches("out", "output.weight"))
        #expect(!QuantizationRecipe.matches(String(repeating: "*a", count: 40) + "b", String(repeating: "a", count: 60)))
    }

    @Test func recipeRulesAndDefaults() {
        let recipe = QuantizationRecipe(
            method: .rtn(RTNSettings(bits: 4)),
            overrides: [.init(pattern: "blk.0.*", method: .ggml(.q8_0)), .init(pattern: "output.weight", method: .ggml(.q8_0))])
        #expect(recipe.method(for: "blk.0.attn_q.weight") == .ggml(.q8_0))
        #expect(recipe.method(for: "blk.1.attn_q.weight") == .rtn(RTNSettings(bits: 4)))
        #expect(recipe.method(for: "token_embd.weight") == .keep)
        #expect(recipe.method(for: "output.weight") == .ggml(.q8_0))
    }

    /// The reference model under several recipes: memory is exact and divergence from the base
    /// grows as bits fall.
    @Test func referenceModelMemoryAndAccuracy() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try GGUFFile.open(path: root.appendingPathComponent(ReferenceModel.relativePath).path)
        let base = try LlamaModel(file: file)
        var tokens: [Int32] = [0]
        for i in 0..<31 { tokens.append(Int32((i * 37 + 11) % 1000 + 2)) }
        var cache = base.makeCache(capacity: 32)
        let baseLogits = try base.forward(tokens, cache: &cache, logitRows: 0..<32)
        func drift(_ recipe: QuantizationRecipe) throws -> (Double, MemoryReport) {
            let (model, report) = try ModelQuantizer.apply(recipe, to: file)
            var c = model.makeCache(capacity: 32)
            let logits = try model.forward(tokens, cache: &c, logitRows: 0..<32)
            return (squaredError(baseLogits, logits), report)
        }
        let (d8, r8) = try drift(QuantizationRecipe(method: .rtn(RTNSettings(bits: 8))))
        let (d4, r4) = try drift(QuantizationRecipe(method: .rtn(RTNSettings(bits: 4, granularity: .group(size: 64)))))
        let (d3, _) = try drift(QuantizationRecipe(method: .rtn(RTNSettings(bits: 3, granularity: .group(size: 64)))))
        let (dnf4, rnf4) = try drift(QuantizationRecipe(method: .bnb4bit(BnB4BitSettings())))
        #expect(d8 < d4 && d4 < d3)
        #expect(dnf4 > d8)
        // Block matrices: 4 × (36,864 + 12,288 + 12,288 + 36,864 + 3 × 98,304) = 1,572,864 weights.
        let blockRows = r4.rows.filter { $0.tensor.hasPrefix("blk.") && $0.elements > 192 }
        #expect(blockRows.reduce(0) { $0 + $1.elements } == 1_572_864)
        // RTN 4-bit g64: 1,572,864 × 4.25 / 8 = 835,584 bytes; NF4 b64: × 4.5 / 8 = 884,736 bytes.
        #expect(blockRows.reduce(0) { $0 + $1.bytes } == 835_584)
        #expect(rnf4.rows.filter { $0.tensor.hasPrefix("blk.") && $0.elements > 192 }.reduce(0) { $0 + $1.bytes } == 884_736)
        // Reports keep each part's size, not its bytes.
        #expect((r4.rows + rnf4.rows).allSatisfy { $0.parts.allSatisfy { $0.data == nil } })
        // Embedding, output and norms are kept in F32: 2 × 196,608 × 4 + norms.
        let kept = r8.rows.filter { !($0.tensor.hasPrefix("blk.") && $0.elements > 192) }.reduce(0) { $0 + $1.bytes }
        let embeddingAndOutput = 2 * 196_608 * 4
        let norms = (8 * 192 + 192) * 4
        #expect(kept == embeddingAndOutput + norms)
    }

    @Test func overriddenMatricesKeepTheirWeights() throws {
        let c = CalibrationModel.config()
        let w = CalibrationModel.weights(c)
        var writer = GGUFWriter()
        for (key, value) in [
            ("general.architecture", GGUFValue.string("llama")), ("llama.block_count", .uint32(2)),
            ("llama.embedding_length", .uint32(64)), ("llama.feed_forward_length", .uint32(128)),
            ("llama.attention.head_count", .uint32(4)), ("llama.attention.head_count_kv", .uint32(2)),
            ("llama.context_length", .uint32(64)), ("llama.rope.freq_base", .float32(10000)),
            ("llama.attention.layer_norm_rms_epsilon", .float32(1e-5)),
        ] {
            writer.set(key, value)
        }
        try writer.addTensor(name: "token_embd.weight", shape: [64, 40], floats: w.tokenEmbedding)
        for (i, b) in w.blocks.enumerated() {
            for (name, shape, floats) in [
                ("attn_norm", [64], b.attentionNorm), ("attn_q", [64, 64], b.query), ("attn_k", [64, 32], b.key),
                ("attn_v", [64, 32], b.value), ("attn_output", [64, 64], b.attentionOutput), ("ffn_norm", [64], b.ffnNorm),
                ("ffn_gate", [64, 128], b.gate), ("ffn_up", [64, 128], b.up), ("ffn_down", [128, 64], b.down),
            ] {
                try writer.addTensor(name: "blk.\(i).\(name).weight", shape: shape, floats: floats)
            }
        }
        try writer.addTensor(name: "output_norm.weight", shape: [64], floats: w.outputNorm)
        try writer.addTensor(name: "output.weight", shape: [64, 40], floats: w.output!)
        let file = try GGUFFile(path: "tiny.gguf", bytes: writer.serialize())
        let recipe = QuantizationRecipe(
            method: .gptq(GPTQRecipe(matrix: GPTQSettings(bits: 4, groupSize: 32))),
            overrides: [.init(pattern: "blk.0.ffn_*", method: .keep), .init(pattern: "output.weight", method: .ggml(.q8_0))])
        let outcome = try ModelQuantizer.quantize(recipe, file, calibration: try CalibrationModel.calibration(), threads: 2)
        #expect(outcome.model.blocks[0].floats().gate == w.blocks[0].gate)
        #expect(outcome.model.blocks[0].floats().query != w.blocks[0].query)
        #expect(outcome.calibrated?.layers.count == 11)
        let rows = Dictionary(uniqueKeysWithValues: outcome.memory.rows.map { ($0.tensor, $0) })
        #expect(rows["blk.0.ffn_gate.weight"]?.bytes == 64 * 128 * 4)
        #expect(rows["blk.1.ffn_gate.weight"]?.method == "GPTQ 4-bit g32")
        #expect(rows["output.weight"]?.method == "Q8_0")
        // Without calibration windows the recipe is refused, naming what is missing.
        #expect(throws: QuantizerError.self) { try ModelQuantizer.quantize(recipe, file) }
    }
}
