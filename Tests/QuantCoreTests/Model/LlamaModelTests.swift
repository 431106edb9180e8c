import Foundation
import TestSupport
import Testing

@testable import QuantCore

/// Deterministic pseudo-random numbers (SplitMix64) for test weights.
enum TinyModel {
    static let config = LlamaConfig(
        blockCount: 2, embeddingLength: 16, feedForwardLength: 24, headCount: 4, headCountKV: 2,
        contextLength: 32, ropeFreqBase: 10000, rmsEpsilon: 1e-5, vocabularySize: 11)

    static func weights(seed: UInt64 = 7, config c: LlamaConfig = config, tied: Bool = false) -> LlamaWeights {
        var r = SeededRandom(state: seed)
        let d = c.embeddingLength
        let q = c.headCount * c.headDimension
        let kv = c.headCountKV * c.headDimension
        let f = c.feedForwardLength
        let blocks = (0..<c.blockCount).map { _ in
            LlamaBlockWeights(
                attentionNorm: r.floats(d, 0.5).map { $0 + 1 }, query: r.floats(q * d, 0.5), key: r.floats(kv * d, 0.5),
                value: r.floats(kv * d, 0.5), attentionOutput: r.floats(d * q, 0.3), ffnNorm: r.floats(d, 0.5).map { $0 + 1 },
                gate: r.floats(f * d, 0.4), up: r.floats(f * d, 0.4), down: r.floats(d * f, 0.3))
        }
        return LlamaWeights(
            tokenEmbedding: r.floats(c.vocabularySize * d, 1), blocks: blocks,
            outputNorm: r.floats(d, 0.5).map { $0 + 1 }, output: tied ? nil : r.floats(c.vocabularySize * d, 0.5))
    }

    /// The model as a GGUF image with a byte-level tokenizer-free vocabulary of single letters.
    /// With `tensors: false`, only the metadata (the caller adds the tensors).
    static func gguf(weights w: LlamaWeights, config c: LlamaConfig = config, tensors: Bool = true) throws -> GGUFWriter {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        writer.set("llama.block_count", .uint32(UInt32(c.blockCount)))
        writer.set("llama.embedding_length", .uint32(UInt32(c.embeddingLength)))
        writer.set("llama.feed_forward_length", .uint32(UInt32(c.feedForwardLength)))
        writer.set("llama.attention.head_count", .uint32(UInt32(c.headCount)))
        writer.set("llama.attention.head_count_kv", .uint32(UInt32(c.headCountKV)))
        writer.set("llama.context_length", .uint32(UInt32(c.contextLength)))
        writer.set("llama.rope.freq_base", .float32(c.ropeFreqBase))
        writer.set("llama.attention.layer_norm_rms_epsilon", .float32(c.rmsEpsilon))
        let d = c.embeddingLength
        let q = c.headCount * c.headDimension
        let kv = c.headCountKV * c.headDimension
        let f = c.feedForwardLength
        guard tensors else { return writer }
        try writer.addTensor(name: "token_embd.weight", shape: [d, c.vocabularySize], floats: w.tokenEmbedding)
        for (i, b) in w.blocks.enumerated() {
            try writer.addTensor(name: "blk.\(i).attn_norm.weight", shape: [d], floats: b.attentionNorm)
            try writer.addTensor(name: "blk.\(i).attn_q.weight", shape: [d, q], floats: b.query)
            try writer.addTensor(name: "blk.\(i).attn_k.weight", shape: [d, kv], floats: b.key)
            try writer.addTensor(name: "blk.\(i).attn_v.weight", shape: [d, kv], floats: b.value)
            try writer.addTensor(name: "blk.\(i).attn_output.weight", shape: [q, d], floats: b.attentionOutput)
            try writer.addTensor(name: "blk.\(i).ffn_norm.weight", shape: [d], floats: b.ffnNorm)
            try writer.addTensor(name: "blk.\(i).ffn_gate.weight", shape: [d, f], floats: b.gate)
            try writer.addTensor(name: "blk.\(i).ffn_up.weight", shape: [d, f], floats: b.up)
            try writer.addTensor(name: "blk.\(i).ffn_down.weight", shape: [f, d], floats: b.down)
        }
        try writer.addTensor(name: "output_norm.weight", shape: [d], floats: w.outputNorm)
        if let output = w.output { try writer.addTensor(name: "output.weight", shape: [d, c.vocabularySize], floats: output) }
        return writer
    }

    /// A straightforward double-precision forward pass over the whole sequence, written from the
    /// llama definition (no cache, no batching, RoPE angles from pow): the scalar reference.
    static func referenceLogits(_ tokens: [Int], weights w: LlamaWeights, config c: LlamaConfig = config) -> [[Double]] {
        let d = c.embeddingLength
        let hd = c.headDimension
        let nh = c.headCount
        let nkv = c.headCountKV
        let f = c.feedForwardLength
        func matvec(_ m: [Float], _ x: [Double], rows: Int) -> [Double] {
            (0..<rows).map { r in (0..<x.count).reduce(0.0) { $0 + Double(m[r * x.count + $1]) * x[$1] } }
        }
        func norm(_ x: [Double], _ g: [Float]) -> [Double] {
            let ms = x.reduce(0) { $0 + $1 * $1 } / Double(x.count)
            return x.indices.map { x[$0] / (ms + Double(c.rmsEpsilon)).squareRoot() * Double(g[$0]) }
        }
        func rope(_ v: [Double], position: Int) -> [Double] {
            var out = v
            for head in 0..<(v.count / hd) {
                for i in 0..<(c.ropeDimensionCount / 2) {
                    let theta = Double(position) * pow(Double(c.ropeFreqBase), -2 * Double(i) / Double(c.ropeDimensionCount))
                    let a = v[head * hd + 2 * i]
                    let b = v[head * hd + 2 * i + 1]
                    out[head * hd + 2 * i] = a * cos(theta) - b * sin(theta)
                    out[head * hd + 2 * i + 1] = a * sin(theta) + b * cos(theta)
                }
            }
            return out
        }
        var xs = tokens.map { t in (0..<d).map { Double(w.tokenEmbedding[t * d + $0]) } }
        for block in w.blocks {
            let normed = xs.map { norm($0, block.attentionNorm) }
            let qs = normed.enumerated().map { rope(matvec(block.query, $1, rows: nh * hd), position: $0) }
            let ks = normed.enumerated().map { rope(matvec(block.key, $1, rows: nkv * hd), position: $0) }
            let vs = normed.map { matvec(block.value, $0, rows: nkv * hd) }
            for t in xs.indices {
                var attended = [Double](repeating: 0, count: nh * hd)
                for h in 0..<nh {
                    let g = h / (nh / nkv)
                    let scores = (0...t).map { j in (0..<hd).reduce(0.0) { $0 + qs[t][h * hd + $1] * ks[j][g * hd + $1] } / Double(hd).squareRoot() }
                    let m = scores.max()!
                    let e = scores.map { exp($0 - m) }
                    let z = e.reduce(0, +)
                    for j in 0...t { for i in 0..<hd { attended[h * hd + i] += e[j] / z * vs[j][g * hd + i] } }
                }
                let o = matvec(block.attentionOutput, attended, rows: d)
                for i in 0..<d { xs[t][i] += o[i] }
            }
            for t in xs.indices {
                let n = norm(xs[t], block.ffnNorm)
                let gate = matvec(block.gate, n, rows: f)
                let up = matvec(block.up, n, rows: f)
                let hidden = (0..<f).map { gate[$0] / (1 + exp(-gate[$0])) * up[$0] }
                let down = matvec(block.down, hidden, rows: d)
                for i in 0..<d { xs[t][i] += down[i] }
            }
        }
        return xs.map { matvec(w.output ?? w.tokenEmbedding, norm($0, w.outputNorm), rows: c.vocabularySize) }
    }
}

@Suite struct LlamaModelTests {
    let tokens: [Int32] = [1, 5, 3, 10, 0, 7, 7, 2, 9]

    @Test(arguments: [false, true])
    func forwardMatchesTheScalarReference(tied: Bool) throws {
        let weights = TinyModel.weights(tied: tied)
        let model = LlamaModel(config: TinyModel.config, weights: weights)
        var cache = model.makeCache()
        let logits = try model.forward(tokens, cache: &cache, logitRows: 0..<tokens.count)
        let reference = TinyModel.referenceLogits(tokens.map(Int.init), weights: weights)
        var worst = 0.0
        for t in tokens.indices {
            for v in 0..<11 { worst = max(worst, abs(Double(logits[t * 11 + v]) - reference[t][v])) }
        }
        #expect(worst < 2e-4, "largest difference \(worst)")
        #expect(cache.count == tokens.count)
    }

    @Test func tokenByTokenWithTheCacheEqualsOneBatch() throws {
        let model = LlamaModel(config: TinyModel.config, weights: TinyModel.weights())
        var batchCache = model.makeCache()
        let batch = try model.forward(tokens, cache: &batchCache, logitRows: 0..<tokens.count)
        var cache = model.makeCache()
        var stepped: [Float] = []
        for token in tokens { stepped += try model.forward([token], cache: &cache) }
        let worst = zip(batch, stepped).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-5)
        // Two batches (prefix, then the rest) give the last row of the single batch.
        var split = model.makeCache()
        _ = try model.forward(Array(tokens[0..<4]), cache: &split)
        let tail = try model.forward(Array(tokens[4...]), cache: &split)
        #expect(zip(tail, batch.suffix(11)).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test func resultsAreIdenticalForAnyThreadCount() throws {
        let config = LlamaConfig(
            blockCount: 1, embeddingLength: 64, feedForwardLength: 96, headCount: 8, headCountKV: 2,
            contextLength: 64, vocabularySize: 50)
        let model = LlamaModel(config: config, weights: TinyModel.weights(seed: 3, config: config))
        let input = (0..<37).map { Int32($0 % 50) }
        var results: [[Float]] = []
        for threads in [1, 2, 3, 8] {
            var cache = model.makeCache()
            results.append(try model.forward(input, cache: &cache, logitRows: 0..<37, threads: threads))
        }
        for other in results.dropFirst() { #expect(other.map(\.bitPattern) == results[0].map(\.bitPattern)) }
    }

    @Test func loadsFromGGUFAndGivesTheSameLogits() throws {
        let weights = TinyModel.weights()
        let file = try GGUFFile(path: "tiny.gguf", bytes: try TinyModel.gguf(weights: weights).serialize())
        let loaded = try LlamaModel(file: file)
        #expect(loaded.config == TinyModel.config)
        var a = loaded.makeCache()
        var b = loaded.makeCache()
        let direct = LlamaModel(config: TinyModel.config, weights: weights)
        #expect(try loaded.forward(tokens, cache: &a) == (try direct.forward(tokens, cache: &b)))
    }

    @Test func badInputsAreTypedErrors() throws {
        let model = LlamaModel(config: TinyModel.config, weights: TinyModel.weights())
        var cache = model.makeCache(capacity: 4)
        #expect(throws: ModelError.tokenOutOfRange(token: 11, vocabularySize: 11)) { try model.forward([11], cache: &cache) }
        #expect(throws: ModelError.tokenOutOfRange(token: -1, vocabularySize: 11)) { try model.forward([-1], cache: &cache) }
        #expect(throws: ModelError.contextFull(capacity: 4, needed: 5)) { try model.forward([1, 2, 3, 4, 5], cache: &cache) }
    }

    /// The model keeps packed matrices packed: two blocks with Llama-2-7B's widths (4096/11008,
    /// 32 heads, a 32,000-token vocabulary) in Q4_0, written sparse (zero data), load and run a
    /// token while resident memory grows by about the packed bytes: far below the 2.1 GB the
    /// same weights take in F32. Zero weights give exactly zero logits.
    @Test func aSevenBShapedModelStaysPacked() throws {
        #if os(Linux)
            let c = LlamaConfig(
                blockCount: 2, embeddingLength: 4096, feedForwardLength: 11008, headCount: 32, headCountKV: 32, contextLength: 4096,
                ropeFreqBase: 10000, rmsEpsilon: 1e-5, vocabularySize: 32000, tiedOutput: true)
            var writer = try TinyModel.gguf(weights: LlamaWeights(tokenEmbedding: [], blocks: [], outputNorm: [], output: nil), config: c, tensors: false)
            try writer.addZeroTensor(name: "token_embd.weight", shape: [4096, 32000], type: .q4_0)
            for b in 0..<2 {
                for i in 0..<7 {
                    let (rows, columns) = c.matrixShape(i)
                    try writer.addZeroTensor(name: LlamaModel.matrixName(block: b, index: i), shape: [columns, rows], type: .q4_0)
                }
                try writer.addTensor(name: "blk.\(b).attn_norm.weight", shape: [4096], floats: [Float](repeating: 1, count: 4096))
                try writer.addTensor(name: "blk.\(b).ffn_norm.weight", shape: [4096], floats: [Float](repeating: 1, count: 4096))
            }
            try writer.addTensor(name: "output_norm.weight", shape: [4096], floats: [Float](repeating: 1, count: 4096))
            let folder = try TestPaths.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = folder.appendingPathComponent("llama-7b-shaped-q4_0.gguf").path
            try writer.write(to: path)
            let packedBytes = writer.tensors.reduce(0) { $0 + ($1.type == .q4_0 ? $1.byteCount : 0) }
            let f32Bytes = writer.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) * 4 }
            #expect(packedBytes == (2 * 202_375_168 + 4096 * 32000) / 32 * 18)

            func residentBytes() throws -> Int {
                let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
                return Int(statm[1])! * Int(sysconf(Int32(_SC_PAGESIZE)))
            }
            let before = try residentBytes()
            let model = try LlamaModel(file: GGUFFile.open(path: path))
            var cache = model.makeCache(capacity: 4)
            let logits = try model.forward([7], cache: &cache, threads: 2)
            let grown = try residentBytes() - before
            #expect(logits.count == 32000 && logits.allSatisfy { $0 == 0 })
            #expect(model.weightBytes < packedBytes + 1_048_576)
            // Packed weights, the cache (4 positions), activations and other tests running alongside.
            #expect(grown < packedBytes + 256 * 1_048_576, "resident memory grew by \(grown / 1_048_576) MiB")
            #expect(grown < f32Bytes / 4)
        #endif
    }
}
