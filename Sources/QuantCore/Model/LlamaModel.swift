import CKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a forward pass or a model load could not go ahead.
public enum ModelError: Error, Equatable, CustomStringConvertible, Sendable {
    case tokenOutOfRange(token: Int32, vocabularySize: Int)
    case contextFull(capacity: Int, needed: Int)
    case tooLargeForMemory(path: String, neededBytes: Int, availableBytes: Int)

    public var description: String {
        switch self {
        case .tokenOutOfRange(let token, let vocabularySize):
            "token id \(token) is outside the vocabulary (0..<\(vocabularySize))"
        case .contextFull(let capacity, let needed):
            "the KV cache holds \(capacity) positions but \(needed) are needed; use a shorter text or a larger --ctx"
        case .tooLargeForMemory(let path, let neededBytes, let availableBytes):
            "\(path): the model needs about \(neededBytes / 1_048_576) MiB as F32 but this machine has \(availableBytes / 1_048_576) MiB; the engine dequantizes every tensor to F32 on load, so use a smaller model"
        }
    }
}

/// The weights of one transformer block, dequantized to F32, each row-major [out, in].
public struct LlamaBlockWeights: Sendable {
    public var attentionNorm: [Float]  // [dim]
    public var query: [Float]  // [nHead·hd, dim]
    public var key: [Float]  // [nKV·hd, dim]
    public var value: [Float]  // [nKV·hd, dim]
    public var attentionOutput: [Float]  // [dim, nHead·hd]
    public var ffnNorm: [Float]  // [dim]
    public var gate: [Float]  // [ffn, dim]
    public var up: [Float]  // [ffn, dim]
    public var down: [Float]  // [dim, ffn]

    public init(
        attentionNorm: [Float], query: [Float], key: [Float], value: [Float], attentionOutput: [Float],
        ffnNorm: [Float], gate: [Float], up: [Float], down: [Float]
    ) {
        self.attentionNorm = attentionNorm
        self.query = query
        self.key = key
        self.value = value
        self.attentionOutput = attentionOutput
        self.ffnNorm = ffnNorm
        self.gate = gate
        self.up = up
        self.down = down
    }
}

public struct LlamaWeights: Sendable {
    public var tokenEmbedding: [Float]  // [vocab, dim]
    public var blocks: [LlamaBlockWeights]
    public var outputNorm: [Float]  // [dim]
    public var output: [Float]?  // [vocab, dim]; nil when tied to the embedding
    public var ropeFactors: [Float]?  // [nRot/2], llama 3.1's rope_freqs.weight

    public init(tokenEmbedding: [Float], blocks: [LlamaBlockWeights], outputNorm: [Float], output: [Float]?, ropeFactors: [Float]? = nil) {
        self.tokenEmbedding = tokenEmbedding
        self.blocks = blocks
        self.outputNorm = outputNorm
        self.output = output
        self.ropeFactors = ropeFactors
    }
}

/// The matrices a model keeps in their quantized ggml format, multiplied with `PackedMatrix`
/// (activations rounded to the format's vec_dot type, as ggml does). Matrices without an entry
/// run in F32 from `LlamaWeights`.
public struct PackedWeights: Sendable {
    /// Seven per block, in forward order: attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down.
    public var blocks: [[PackedMatrix?]]
    /// The output projection (token_embd's matrix when the output is tied to the embedding).
    public var output: PackedMatrix?

    public init(blocks: [[PackedMatrix?]], output: PackedMatrix?) {
        self.blocks = blocks
        self.output = output
    }

    /// How many matrices run packed, per type name ("Q4_K": 12).
    public var typeCounts: [String: Int] {
        var counts: [String: Int] = [:]
        for matrix in blocks.joined().compactMap({ $0 }) + [output].compactMap({ $0 }) { counts[matrix.type.description, default: 0] += 1 }
        return counts
    }
}

/// Keys and values of every position seen so far, per block: [capacity, nKV·hd].
public struct KVCache: Sendable {
    public let capacity: Int
    public private(set) var count = 0
    var keys: [[Float]]
    var values: [[Float]]

    public init(config: LlamaConfig, capacity: Int) {
        self.capacity = capacity
        let size = capacity * config.headCountKV * config.headDimension
        keys = Array(repeating: [Float](repeating: 0, count: size), count: config.blockCount)
        values = keys
    }

    /// Forgets every position (the buffers are kept).
    public mutating func clear() { count = 0 }

    mutating func advance(by n: Int) { count += n }
}

/// A llama-architecture model following llama.cpp's `llm_build_llama` graph: F32 weights, and
/// the quantized matrices of a GGUF kept packed and multiplied as ggml's CPU backend does.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    /// Every weight as F32 (dequantized when the file stores it quantized).
    public let weights: LlamaWeights
    /// The matrices that run in their quantized format; nil when every matrix runs in F32.
    public let packed: PackedWeights?

    /// Run-time activation quantization of the block matrices, when set.
    public let activationScheme: ActivationScheme?
    /// Outlier and call counts while `activationScheme` is set.
    public let activationStatistics = ActivationStatistics()
    /// The block matrices as int8 codes (seven per block, in forward order), for `activationScheme`.
    let int8Blocks: [[Int8Matrix]]

    /// When set, the forward pass records the importance matrix of the block matrices' inputs.
    public let importance: ImportanceCollector?

    public init(
        config: LlamaConfig, weights: LlamaWeights, packed: PackedWeights? = nil,
        activationScheme: ActivationScheme? = nil, importance: ImportanceCollector? = nil
    ) {
        precondition(
            packed.map { $0.blocks.count == weights.blocks.count && $0.blocks.allSatisfy { $0.count == 7 } } ?? true,
            "packed weights need seven matrices per block")
        self.config = config
        self.weights = weights
        self.packed = packed
        self.activationScheme = activationScheme
        self.importance = importance
        guard let activationScheme else {
            int8Blocks = []
            return
        }
        let perRow = activationScheme != .dynamicInt8
        let dim = config.embeddingLength
        let q = config.headCount * config.headDimension
        let kv = config.headCountKV * config.headDimension
        let ffn = config.feedForwardLength
        int8Blocks = weights.blocks.map { b in
            [
                Int8Matrix(b.query, rows: q, columns: dim, perRow: perRow), Int8Matrix(b.key, rows: kv, columns: dim, perRow: perRow),
                Int8Matrix(b.value, rows: kv, columns: dim, perRow: perRow), Int8Matrix(b.attentionOutput, rows: dim, columns: q, perRow: perRow),
                Int8Matrix(b.gate, rows: ffn, columns: dim, perRow: perRow), Int8Matrix(b.up, rows: ffn, columns: dim, perRow: perRow),
                Int8Matrix(b.down, rows: dim, columns: ffn, perRow: perRow),
            ]
        }
    }

    /// The same weights run with run-time activation quantization.
    public func withActivationScheme(_ scheme: ActivationScheme) -> LlamaModel {
        LlamaModel(config: config, weights: weights, packed: packed, activationScheme: scheme, importance: importance)
    }

    /// The same weights, recording an importance matrix while they run.
    public func collectingImportance(_ collector: ImportanceCollector) -> LlamaModel {
        LlamaModel(config: config, weights: weights, packed: packed, activationScheme: activationScheme, importance: collector)
    }

    /// The seven block matrices in forward order; `runBlock`'s observer numbers them this way.
    public static let blockMatrixNames = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]

    /// The GGUF name of matrix `index` of block `block`: "blk.3.attn_q.weight".
    public static func matrixName(block: Int, index: Int) -> String {
        "blk.\(block).\(blockMatrixNames[index]).weight"
    }

    /// Loads every tensor, checking each shape against the configuration: all of them as F32,
    /// and the quantized matrices also packed, so they run as llama.cpp runs them.
    public convenience init(file: GGUFFile) throws {
        let c = try LlamaConfig(file: file)
        let needed = c.parameterCount * 4
        let available = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        if available > 0 && needed > available * 3 / 4 {
            throw ModelError.tooLargeForMemory(path: file.path, neededBytes: needed, availableBytes: available)
        }
        let dim = c.embeddingLength
        let qDim = c.headCount * c.headDimension
        let kvDim = c.headCountKV * c.headDimension
        /// A matrix in its file format, when that format has a dot kernel (F32 stays unpacked).
        func pack(_ name: String) -> PackedMatrix? {
            guard let info = file.tensor(name), info.type != .f32, info.shape.count == 2 else { return nil }
            return PackedMatrix(type: info.type, rows: info.shape[1], columns: info.shape[0], bytes: [UInt8](file.data(of: info)))
        }
        var blocks: [LlamaBlockWeights] = []
        var packedBlocks: [[PackedMatrix?]] = []
        for b in 0..<c.blockCount {
            func tensor(_ name: String, _ shape: [Int]) throws(GGUFError) -> [Float] {
                try file.floats("blk.\(b).\(name).weight", shape: shape)
            }
            blocks.append(
                LlamaBlockWeights(
                    attentionNorm: try tensor("attn_norm", [dim]),
                    query: try tensor("attn_q", [dim, qDim]),
                    key: try tensor("attn_k", [dim, kvDim]),
                    value: try tensor("attn_v", [dim, kvDim]),
                    attentionOutput: try tensor("attn_output", [qDim, dim]),
                    ffnNorm: try tensor("ffn_norm", [dim]),
                    gate: try tensor("ffn_gate", [dim, c.feedForwardLength]),
                    up: try tensor("ffn_up", [dim, c.feedForwardLength]),
                    down: try tensor("ffn_down", [c.feedForwardLength, dim])))
            packedBlocks.append(Self.blockMatrixNames.map { pack("blk.\(b).\($0).weight") })
        }
        let weights = LlamaWeights(
            tokenEmbedding: try file.floats("token_embd.weight", shape: [dim, c.vocabularySize]),
            blocks: blocks,
            outputNorm: try file.floats("output_norm.weight", shape: [dim]),
            output: c.tiedOutput ? nil : try file.floats("output.weight", shape: [dim, c.vocabularySize]),
            ropeFactors: file.tensor("rope_freqs.weight") == nil ? nil : try file.floats("rope_freqs.weight", shape: [c.ropeDimensionCount / 2]))
        let packed = PackedWeights(blocks: packedBlocks, output: pack(c.tiedOutput ? "token_embd.weight" : "output.weight"))
        let anyPacked = packed.output != nil || packedBlocks.joined().contains { $0 != nil }
        self.init(config: c, weights: weights, packed: anyPacked ? packed : nil)
    }

    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(config: config, capacity: capacity ?? config.contextLength)
    }

    /// Runs `tokens` (a batch at positions cache.count…) through the model, appending their keys
    /// and values to `cache`, and returns the logits of the batch positions in `logitRows`
    /// (relative to the batch; default: the last one) as [logitRows.count, vocab].
    public func forward(_ tokens: [Int32], cache: inout KVCache, logitRows: Range<Int>? = nil, threads: Int = 2) throws(ModelError) -> [Float] {
        let c = config
        let n = tokens.count
        let start = cache.count
        guard start + n <= cache.capacity else { throw ModelError.contextFull(capacity: cache.capacity, needed: start + n) }
        for token in tokens where token < 0 || Int(token) >= c.vocabularySize {
            throw ModelError.tokenOutOfRange(token: token, vocabularySize: c.vocabularySize)
        }
        let rows = logitRows ?? (n > 0 ? (n - 1)..<n : 0..<0)
        precondition(rows.lowerBound >= 0 && rows.upperBound <= n, "logitRows must lie within the batch")
        let dim = c.embeddingLength

        // x: [n, dim] — the residual stream.
        var x = [Float](repeating: 0, count: n * dim)
        for (t, token) in tokens.enumerated() {
            let row = Int(token) * dim
            for i in 0..<dim { x[t * dim + i] = weights.tokenEmbedding[row + i] }
        }
        var xb = [Float](repeating: 0, count: n * dim)  // normed input: [n, dim]
        let rope = ropeTable(positions: start..<(start + n))  // [n, nRot/2] cos and sin

        for (b, block) in weights.blocks.enumerated() {
            // Attention: x += Attention(RMSNorm(x) · attn_norm), keys and values appended to the cache.
            normRows(x, weight: block.attentionNorm, rows: 0..<n, into: &xb)
            let attention = cache.keys[b].withUnsafeMutableBufferPointer { keys in
                cache.values[b].withUnsafeMutableBufferPointer { values in
                    attentionHalf(xb, count: n, start: start, block: block, route: .model(b), rope: rope, keys: keys, values: values, threads: threads)
                }
            }
            for i in 0..<(n * dim) { x[i] += attention[i] }
            // Feed-forward: x += FFN(RMSNorm(x) · ffn_norm).
            normRows(x, weight: block.ffnNorm, rows: 0..<n, into: &xb)
            let feedForward = feedForwardHalf(xb, count: n, block: block, route: .model(b), threads: threads)
            for i in 0..<(n * dim) { x[i] += feedForward[i] }
        }
        cache.advance(by: n)

        // Logits of the requested rows: RMSNorm(x) · output_norm · Woutᵀ → [rows, vocab].
        let m = rows.count
        var normed = [Float](repeating: 0, count: m * dim)
        var logits = [Float](repeating: 0, count: m * c.vocabularySize)
        guard m > 0 else { return logits }
        normRows(x, weight: weights.outputNorm, rows: rows, into: &normed)
        if let output = packed?.output {
            multiply(output, input: normed, count: m, into: &logits, threads: threads)
        } else {
            Kernels.matmul(
                weights.output ?? weights.tokenEmbedding, rows: c.vocabularySize, columns: dim, input: normed, count: m, into: &logits, threads: threads)
        }
        return logits
    }

    // MARK: The two halves of a block

    /// Where a half-block's matrices come from: the model's own (activation scheme, packed
    /// formats, importance recording) for block b, or the given F32 weights with an optional
    /// observer of each matrix's input (calibration).
    enum Route {
        case model(Int)
        case plain(observe: ((_ matrix: Int, _ input: [Float]) -> Void)?)
    }

    /// Attention(xb): q, k, v = xb·Wqᵀ, xb·Wkᵀ, xb·Wvᵀ; RoPE; keys and values stored in the cache
    /// at positions start ..< start + n; causal grouped-query attention; ·Woᵀ. xb: [n, dim] (normed);
    /// returns [n, dim].
    func attentionHalf(
        _ xb: [Float], count n: Int, start: Int, block: LlamaBlockWeights, route: Route,
        rope: (cos: [Float], sin: [Float]), keys: UnsafeMutableBufferPointer<Float>, values: UnsafeMutableBufferPointer<Float>,
        threads: Int
    ) -> [Float] {
        let c = config
        let dim = c.embeddingLength
        let qDim = c.headCount * c.headDimension
        let kvDim = c.headCountKV * c.headDimension
        var q = [Float](repeating: 0, count: n * qDim)  // [n, nHead·hd]
        var k = [Float](repeating: 0, count: n * kvDim)  // [n, nKV·hd]
        var v = [Float](repeating: 0, count: n * kvDim)  // [n, nKV·hd]
        linear(route, 0, block.query, rows: qDim, columns: dim, input: xb, count: n, into: &q, threads: threads)
        linear(route, 1, block.key, rows: kvDim, columns: dim, input: xb, count: n, into: &k, threads: threads)
        linear(route, 2, block.value, rows: kvDim, columns: dim, input: xb, count: n, into: &v, threads: threads)
        applyRope(&q, heads: c.headCount, table: rope)
        applyRope(&k, heads: c.headCountKV, table: rope)
        // The cache now holds positions 0 ..< start + n of this block.
        k.withUnsafeBufferPointer { keys.baseAddress!.advanced(by: start * kvDim).update(from: $0.baseAddress!, count: n * kvDim) }
        v.withUnsafeBufferPointer { values.baseAddress!.advanced(by: start * kvDim).update(from: $0.baseAddress!, count: n * kvDim) }
        var attention = [Float](repeating: 0, count: n * qDim)  // [n, nHead·hd]
        attend(q: q, keys: UnsafeBufferPointer(keys), values: UnsafeBufferPointer(values), start: start, count: n, into: &attention, threads: threads)
        var projected = [Float](repeating: 0, count: n * dim)  // [n, dim]
        linear(route, 3, block.attentionOutput, rows: dim, columns: qDim, input: attention, count: n, into: &projected, threads: threads)
        return projected
    }

    /// FFN(xb) = (silu(xb·Wgateᵀ) ⊙ xb·Wupᵀ)·Wdownᵀ (SwiGLU). xb: [n, dim] (normed); returns [n, dim].
    func feedForwardHalf(_ xb: [Float], count n: Int, block: LlamaBlockWeights, route: Route, threads: Int) -> [Float] {
        let dim = config.embeddingLength
        let ffn = config.feedForwardLength
        var gate = [Float](repeating: 0, count: n * ffn)  // [n, ffn]
        var up = [Float](repeating: 0, count: n * ffn)  // [n, ffn]
        linear(route, 4, block.gate, rows: ffn, columns: dim, input: xb, count: n, into: &gate, threads: threads)
        linear(route, 5, block.up, rows: ffn, columns: dim, input: xb, count: n, into: &up, threads: threads)
        for i in 0..<(n * ffn) { gate[i] = Kernels.silu(gate[i]) * up[i] }
        var projected = [Float](repeating: 0, count: n * dim)
        linear(route, 6, block.down, rows: dim, columns: ffn, input: gate, count: n, into: &projected, threads: threads)
        return projected
    }

    // MARK: Calibration (GPTQ, AWQ): one block at a time, with weights the caller chooses

    /// The embedding rows of `tokens`: the residual stream entering block 0, [n, dim].
    public func embed(_ tokens: [Int32]) throws(ModelError) -> [Float] {
        let dim = config.embeddingLength
        var x = [Float](repeating: 0, count: tokens.count * dim)
        for (t, token) in tokens.enumerated() {
            guard token >= 0 && Int(token) < config.vocabularySize else {
                throw ModelError.tokenOutOfRange(token: token, vocabularySize: config.vocabularySize)
            }
            for i in 0..<dim { x[t * dim + i] = weights.tokenEmbedding[Int(token) * dim + i] }
        }
        return x
    }

    /// RMSNorm(x[t]) · weight for each of the n rows of x ([n, dim]).
    public func normalized(_ x: [Float], weight: [Float]) -> [Float] {
        let n = x.count / config.embeddingLength
        var output = [Float](repeating: 0, count: x.count)
        normRows(x, weight: weight, rows: 0..<n, into: &output)
        return output
    }

    /// One sequence ([n, dim], positions 0 ..< n) through a block with `block`'s F32 weights, in
    /// place; `observe(i, input)` sees the input of matrix i (attn_q … ffn_down) before it is
    /// multiplied. Runs exactly the arithmetic of `forward` with F32 weights.
    public func runBlock(
        _ block: LlamaBlockWeights, x: inout [Float], threads: Int,
        observe: ((_ matrix: Int, _ input: [Float]) -> Void)? = nil
    ) {
        let n = x.count / config.embeddingLength
        let xb = normalized(x, weight: block.attentionNorm)
        let attention = attentionHalf(normedInput: xb, block: block, threads: threads, observe: observe)
        for i in 0..<x.count { x[i] += attention[i] }
        let feedForward = feedForwardHalf(normalized(x, weight: block.ffnNorm), count: n, block: block, route: .plain(observe: observe), threads: threads)
        for i in 0..<x.count { x[i] += feedForward[i] }
    }

    /// Attention(xb) with `block`'s q, k, v and output weights for one sequence at positions
    /// 0 ..< n: what AWQ compares when it searches the scales of q, k and v. xb: [n, dim].
    public func attentionHalf(
        normedInput xb: [Float], block: LlamaBlockWeights, threads: Int,
        observe: ((_ matrix: Int, _ input: [Float]) -> Void)? = nil
    ) -> [Float] {
        let n = xb.count / config.embeddingLength
        let kvDim = config.headCountKV * config.headDimension
        var keys = [Float](repeating: 0, count: n * kvDim)
        var values = keys
        return keys.withUnsafeMutableBufferPointer { k in
            values.withUnsafeMutableBufferPointer { v in
                attentionHalf(
                    xb, count: n, start: 0, block: block, route: .plain(observe: observe), rope: ropeTable(positions: 0..<n),
                    keys: k, values: v, threads: threads)
            }
        }
    }

    /// FFN(xb) with `block`'s gate, up and down weights: what AWQ compares for gate and up.
    public func feedForwardHalf(normedInput xb: [Float], block: LlamaBlockWeights, threads: Int) -> [Float] {
        feedForwardHalf(xb, count: xb.count / config.embeddingLength, block: block, route: .plain(observe: nil), threads: threads)
    }

    // MARK: Steps of the forward pass

    /// output[r - rows.lowerBound] = RMSNorm(x[r]) · weight for r in rows.
    private func normRows(_ x: [Float], weight: [Float], rows: Range<Int>, into output: inout [Float]) {
        let dim = config.embeddingLength
        let epsilon = config.rmsEpsilon
        x.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { out in
                    for (i, r) in rows.enumerated() {
                        Kernels.rmsNorm(x.baseAddress! + r * dim, weight: w.baseAddress!, count: dim, epsilon: epsilon, output: out.baseAddress! + i * dim)
                    }
                }
            }
        }
    }

    /// A block matrix. The model's own (route .model(b)): through the activation scheme when one
    /// is set, else packed when the file stores it quantized, else in F32. Given weights (.plain):
    /// in F32, after showing the input to the observer.
    private func linear(
        _ route: Route, _ index: Int, _ weights: [Float], rows: Int, columns: Int, input: [Float], count: Int,
        into output: inout [Float], threads: Int
    ) {
        switch route {
        case .plain(let observe):
            observe?(index, input)
        case .model(let block):
            importance?.add(Self.matrixName(block: block, index: index), input: input, count: count, columns: columns)
            if let activationScheme {
                activationScheme.multiply(
                    int8Blocks[block][index], input: input, count: count, into: &output, threads: threads, statistics: activationStatistics)
                return
            }
            if let matrix = packed?.blocks[block][index] {
                multiply(matrix, input: input, count: count, into: &output, threads: threads)
                return
            }
        }
        Kernels.matmul(weights, rows: rows, columns: columns, input: input, count: count, into: &output, threads: threads)
    }

    private func multiply(_ matrix: PackedMatrix, input: [Float], count: Int, into output: inout [Float], threads: Int) {
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                matrix.multiply(x.baseAddress!, count: count, into: y.baseAddress!, threads: threads)
            }
        }
    }

    /// cos and sin of θ for each position and rotated pair, as ggml's `ggml_rope_cache_init`
    /// computes them for `GGML_ROPE_TYPE_NORM`: θ₀ = p · freq_scale, θᵢ₊₁ = θᵢ · base^(−2/nRot),
    /// divided by the pair's frequency factor when the model has one.
    func ropeTable(positions: Range<Int>) -> (cos: [Float], sin: [Float]) {
        let pairs = config.ropeDimensionCount / 2
        let thetaScale = powf(config.ropeFreqBase, -2 / Float(config.ropeDimensionCount))
        var cosines = [Float](repeating: 0, count: positions.count * pairs)
        var sines = cosines
        for (t, p) in positions.enumerated() {
            var theta = Float(p)
            for i in 0..<pairs {
                let factor = weights.ropeFactors?[i] ?? 1
                let angle = config.ropeFreqScale * (theta / factor)
                cosines[t * pairs + i] = cosf(angle)
                sines[t * pairs + i] = sinf(angle)
                theta *= thetaScale
            }
        }
        return (cosines, sines)
    }

    /// Rotates the pairs (2i, 2i+1) of the first nRot dimensions of every head in place.
    private func applyRope(_ vectors: inout [Float], heads: Int, table: (cos: [Float], sin: [Float])) {
        let hd = config.headDimension
        let pairs = config.ropeDimensionCount / 2
        let n = vectors.count / (heads * hd)
        for t in 0..<n {
            for h in 0..<heads {
                let base = (t * heads + h) * hd
                for i in 0..<pairs {
                    let c = table.cos[t * pairs + i]
                    let s = table.sin[t * pairs + i]
                    let x0 = vectors[base + 2 * i]
                    let x1 = vectors[base + 2 * i + 1]
                    vectors[base + 2 * i] = x0 * c - x1 * s
                    vectors[base + 2 * i + 1] = x0 * s + x1 * c
                }
            }
        }
    }

    /// Causal grouped-query attention: query head h of the token at position start + t attends
    /// to positions 0 … start + t of KV head h / (nHead / nKV). Output: [n, nHead·hd].
    private func attend(
        q: [Float], keys: UnsafeBufferPointer<Float>, values: UnsafeBufferPointer<Float>, start: Int, count n: Int,
        into output: inout [Float], threads: Int
    ) {
        let c = config
        let hd = c.headDimension
        let qDim = c.headCount * hd
        let kvDim = c.headCountKV * hd
        let group = c.headCount / c.headCountKV
        let scale = 1 / Float(hd).squareRoot()
        nonisolated(unsafe) let keys = keys
        nonisolated(unsafe) let values = values
        q.withUnsafeBufferPointer { q in
            output.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                Kernels.parallelFor(n * c.headCount, threads: threads) { range in
                    var scores = [Float](repeating: 0, count: start + n)
                    for item in range {
                        let t = item / c.headCount
                        let h = item % c.headCount
                        let kvHead = h / group
                        let length = start + t + 1
                        let query = q.baseAddress! + t * qDim + h * hd
                        for j in 0..<length {
                            scores[j] = ql_dot_f32(Int32(hd), query, keys.baseAddress! + j * kvDim + kvHead * hd) * scale
                        }
                        scores.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, count: length) }
                        let result = out.baseAddress! + t * qDim + h * hd
                        for d in 0..<hd { result[d] = 0 }
                        for j in 0..<length {
                            ql_axpy_f32(Int32(hd), scores[j], values.baseAddress! + j * kvDim + kvHead * hd, result)
                        }
                    }
                }
            }
        }
    }
}
