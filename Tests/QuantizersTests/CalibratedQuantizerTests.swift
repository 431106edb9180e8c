import Foundation
import QuantCore
import Testing

@testable import Quantizers

/// A small llama for the calibration methods: 2 blocks, 64-wide, FFN 128, 4 heads of 16 over
/// 2 KV heads (grouped-query, as the reference model) or 4 (multi-head: AWQ then also scales attn_output).
enum CalibrationModel {
    static func config(kvHeads: Int = 2) -> LlamaConfig {
        LlamaConfig(
            blockCount: 2, embeddingLength: 64, feedForwardLength: 128, headCount: 4, headCountKV: kvHeads,
            contextLength: 64, ropeFreqBase: 10000, rmsEpsilon: 1e-5, vocabularySize: 40)
    }

    static func weights(_ c: LlamaConfig, seed: UInt64 = 3) -> LlamaWeights {
        var r = Weights(state: seed)
        let d = c.embeddingLength
        let q = c.headCount * c.headDimension
        let kv = c.headCountKV * c.headDimension
        let f = c.feedForwardLength
        func matrix(_ n: Int, _ scale: Float) -> [Float] { r.floats(n).map { $0 * scale } }
        let blocks = (0..<c.blockCount).map { _ in
            LlamaBlockWeights(
                attentionNorm: r.floats(d).map { 1 + $0 / 2 }, query: matrix(q * d, 0.3), key: matrix(kv * d, 0.3),
                value: matrix(kv * d, 0.3), attentionOutput: matrix(d * q, 0.2), ffnNorm: r.floats(d).map { 1 + $0 / 2 },
                gate: matrix(f * d, 0.25), up: matrix(f * d, 0.25), down: matrix(d * f, 0.2))
        }
        // A few strong input channels, as real activations have: AWQ's salient channels.
        var embedding = r.floats(c.vocabularySize * d)
        for t in 0..<c.vocabularySize { for ch in [3, 17, 40] { embedding[t * d + ch] *= 8 } }
        return LlamaWeights(tokenEmbedding: embedding, blocks: blocks, outputNorm: r.floats(d).map { 1 + $0 / 2 }, output: matrix(c.vocabularySize * d, 0.3))
    }

    static func model(kvHeads: Int = 2) -> LlamaModel {
        let c = config(kvHeads: kvHeads)
        return LlamaModel(config: c, weights: weights(c))
    }

    static func calibration(samples: Int = 4, length: Int = 32) throws -> CalibrationSet {
        let tokens: [Int32] = (0..<400).map { (i: Int) -> Int32 in Int32((i * 7 + i / 5) % 39 + 1) }
        return try CalibrationSet(tokens: tokens, settings: CalibrationSettings(samples: samples, sequenceLength: length, seed: 9), bos: 0, contextLength: 64)
    }

    static func logits(_ model: LlamaModel, _ tokens: [Int32]) throws -> [Float] {
        var cache = model.makeCache()
        return try model.forward(tokens, cache: &cache, logitRows: 0..<tokens.count, threads: 2)
    }
}

/// AWQ and GPTQ over a model: scales folded into the block, layer by layer on calibration windows.
@Suite struct CalibratedQuantizerTests {
    /// Folding scales into the norms, attn_v's rows and ffn_up's rows leaves the float model's
    /// logits unchanged (only float rounding moves them).
    @Test(arguments: [2, 4])
    func foldingScalesLeavesTheFloatModelUnchanged(kvHeads: Int) throws {
        let model = CalibrationModel.model(kvHeads: kvHeads)
        let c = model.config
        var r = Weights(state: 77)
        var weights = model.dequantizedWeights()
        for b in weights.blocks.indices {
            var scales: [Int: [Float]] = [
                0: r.floats(64).map { 1.25 + 0.75 * $0 }, 4: r.floats(64).map { 1.25 + 0.75 * $0 },
                6: r.floats(128).map { 1.25 + 0.75 * $0 },
            ]
            if kvHeads == c.headCount { scales[3] = r.floats(64).map { 1.25 + 0.75 * $0 } }
            AWQ.fold(&weights.blocks[b], scales: scales, config: c)
        }
        #expect(weights.blocks[0].attentionNorm != model.dequantizedWeights().blocks[0].attentionNorm)
        let folded = LlamaModel(config: c, weights: weights)
        let tokens: [Int32] = [0, 5, 9, 13, 2, 30, 7, 7, 21]
        let before = try CalibrationModel.logits(model, tokens)
        let after = try CalibrationModel.logits(folded, tokens)
        let worst = zip(before, after).map { abs($0 - $1) }.max()!
        #expect(worst <= 1e-5 * max(1, before.map(abs).max()!), "largest logit change \(worst)")
    }

    /// α = 0 without duo scaling is s = 1: with one grid point and no clipping AWQ is exactly
    /// round-to-nearest on its own grid, and the norms stay as they were.
    @Test func alphaZeroIsRoundToNearest() throws {
        let model = CalibrationModel.model()
        let settings = AWQSettings(bits: 4, groupSize: 32, grid: 1, duoScaling: false, clip: false)
        let result = try AWQ.quantize(model, calibration: try CalibrationModel.calibration(), settings: settings, threads: 2)
        for b in 0..<2 {
            let block = model.blocks[b].floats()
            for m in 0..<7 {
                let (rows, columns) = model.config.matrixShape(m)
                let rtn = AWQ.pseudoQuantize(block[matrix: m], rows: rows, columns: columns, groupSize: 32, bits: 4, zeroPoint: true)
                #expect(result.values[AWQ.name(b, m)] == rtn.values, "\(AWQ.name(b, m))")
            }
            #expect(result.values["blk.\(b).attn_norm.weight"] == block.attentionNorm)
        }
        #expect(result.layers.allSatisfy { $0.relativeError == $0.rtnRelativeError })
    }

    @Test func searchAndClipBeatRoundToNearestAndDoNotDependOnThreads() throws {
        let model = CalibrationModel.model(kvHeads: 4)
        let settings = AWQSettings(bits: 3, groupSize: 32, grid: 10)
        let one = try AWQ.quantize(model, calibration: try CalibrationModel.calibration(), settings: settings, threads: 1)
        let two = try AWQ.quantize(model, calibration: try CalibrationModel.calibration(), settings: settings, threads: 2)
        #expect(one.values == two.values)
        #expect(one.layers == two.layers)
        #expect(one.layers.count == 14)
        let method = one.layers.reduce(0) { $0 + $1.relativeError }
        let rtn = one.layers.reduce(0) { $0 + $1.rtnRelativeError }
        #expect(method < 0.9 * rtn, "AWQ \(method) vs RTN \(rtn)")
        // Multi-head attention: attn_output's scales were searched too.
        #expect(one.layers.first { $0.tensor == "blk.0.attn_output.weight" }?.detail.hasPrefix("α =") == true)
        // Storage as AutoAWQ's GEMM layout: 64×64 at 3 bits, groups of 32, zero points.
        #expect(one.storage["blk.0.attn_q.weight"]!.map(\.bytes) == [64 * ((64 * 3 + 31) / 32 * 4), 2 * 64 * 2, 2 * ((64 * 3 + 31) / 32 * 4)])
    }

    @Test func sequentialGPTQBeatsRoundToNearestAndDoesNotDependOnThreads() throws {
        let model = CalibrationModel.model()
        let recipe = GPTQRecipe(matrix: GPTQSettings(bits: 3, groupSize: 32))
        let one = try GPTQ.quantize(model, calibration: try CalibrationModel.calibration(), recipe: recipe, threads: 1)
        let two = try GPTQ.quantize(model, calibration: try CalibrationModel.calibration(), recipe: recipe, threads: 2)
        #expect(one.values == two.values && one.layers == two.layers)
        #expect(one.layers.map(\.tensor) == (0..<2).flatMap { b in (0..<7).map { AWQ.name(b, $0) } })
        for layer in one.layers { #expect(layer.relativeError < layer.rtnRelativeError, "\(layer.tensor)") }
        // true_sequential off takes every Hessian from the float block: a different result.
        var plain = recipe
        plain.trueSequential = false
        let parallel = try GPTQ.quantize(model, calibration: try CalibrationModel.calibration(), recipe: plain, threads: 2)
        #expect(parallel.values["blk.0.attn_q.weight"] == one.values["blk.0.attn_q.weight"])
        #expect(parallel.values["blk.0.ffn_down.weight"] != one.values["blk.0.ffn_down.weight"])
    }
}
