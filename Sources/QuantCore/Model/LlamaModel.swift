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
            "\(path): the model needs about \(neededBytes / 1_048_576) MiB (its quantized and F16 matrices as stored, F32 and BF16 tensors as F32) but this machine has \(availableBytes / 1_048_576) MiB; use a smaller model or a more compact type"
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

/// One transformer block as a model holds it: its two norm weights and its seven matrices,
/// each F32 or packed in its ggml format.
public struct LlamaBlock: Sendable {
    public let attentionNorm: [Float]  // [dim]
    public let ffnNorm: [Float]  // [dim]
    /// attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down (`LlamaModel.blockMatrixNames`).
    public let matrices: [WeightMatrix]

    public init(attentionNorm: [Float], ffnNorm: [Float], matrices: [WeightMatrix]) {
        precondition(matrices.count == 7, "a block has seven matrices")
        self.attentionNorm = attentionNorm
        self.ffnNorm = ffnNorm
        self.matrices = matrices
    }

    /// The block with every matrix in F32.
    public init(_ weights: LlamaBlockWeights) {
        self.init(attentionNorm: weights.attentionNorm, ffnNorm: weights.ffnNorm, matrices: (0..<7).map { .f32(weights[matrix: $0]) })
    }

    /// The block's weights as F32 (packed matrices dequantized): seven matrix copies.
    public func floats() -> LlamaBlockWeights {
        let m = matrices.map { $0.floats() }
        return LlamaBlockWeights(
            attentionNorm: attentionNorm, query: m[0], key: m[1], value: m[2], attentionOutput: m[3], ffnNorm: ffnNorm, gate: m[4], up: m[5],
            down: m[6])
    }
}

extension LlamaBlockWeights {
    /// The seven matrices in forward order (attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down).
    public subscript(matrix index: Int) -> [Float] {
        get {
            switch index {
            case 0: query
            case 1: key
            case 2: value
            case 3: attentionOutput
            case 4: gate
            case 5: up
            default: down
            }
        }
        set {
            switch index {
            case 0: query = newValue
            case 1: key = newValue
            case 2: value = newValue
            case 3: attentionOutput = newValue
            case 4: gate = newValue
            case 5: up = newValue
            default: down = newValue
            }
        }
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

/// A llama-architecture model following llama.cpp's `llm_build_llama` graph. Matrices stay in
/// the format the file stores them in: the quantized ones (and F16) packed, multiplied as ggml's
/// CPU backend multiplies them, never expanded to F32; only F32 (and BF16) matrices are F32.
public final class LlamaModel: Sendable {
    public let config: LlamaConfig
    /// token_embd: [vocab, dim]; rows are read (dequantized) one token at a time.
    public let tokenEmbedding: WeightMatrix
    public let blocks: [LlamaBlock]
    public let outputNorm: [Float]  // [dim]
    /// The output projection [vocab, dim]: token_embd's matrix when the model ties them.
    public let output: WeightMatrix
    /// [nRot/2], llama 3.1's rope_freqs.weight.
    public let ropeFactors: [Float]?

    /// Run-time activation quantization of the block matrices, when set.
    public let activationScheme: ActivationScheme?
    /// Outlier and call counts while `activationScheme` is set.
    public let activationStatistics = ActivationStatistics()
    /// The block matrices as int8 codes (seven per block, in forward order), for `activationScheme`.
    let int8Blocks: [[Int8Matrix]]

    /// When set, the forward pass records the importance matrix of the block matrices' inputs.
    public let importance: ImportanceCollector?

    public init(
        config: LlamaConfig, tokenEmbedding: WeightMatrix, blocks: [LlamaBlock], outputNorm: [Float], output: WeightMatrix?,
        ropeFactors: [Float]? = nil, activationScheme: ActivationScheme? = nil, importance: ImportanceCollector? = nil
    ) {
        self.config = config
        self.tokenEmbedding = tokenEmbedding
        self.blocks = blocks
        self.outputNorm = outputNorm
        self.output = output ?? tokenEmbedding
        self.ropeFactors = ropeFactors
        self.activationScheme = activationScheme
        self.importance = importance
        guard let activationScheme else {
            int8Blocks = []
            return
        }
        let perRow = activationScheme != .dynamicInt8
        // One block's matrices in F32 at a time while their int8 codes are made.
        int8Blocks = blocks.map { block in
            (0..<7).map { i in
                let (rows, columns) = config.matrixShape(i)
                return Int8Matrix(block.matrices[i].floats(), rows: rows, columns: columns, perRow: perRow)
            }
        }
    }

    /// A model with every weight in F32.
    public convenience init(
        config: LlamaConfig, weights: LlamaWeights, activationScheme: ActivationScheme? = nil, importance: ImportanceCollector? = nil
    ) {
        self.init(
            config: config, tokenEmbedding: .f32(weights.tokenEmbedding), blocks: weights.blocks.map(LlamaBlock.init), outputNorm: weights.outputNorm,
            output: weights.output.map { .f32($0) }, ropeFactors: weights.ropeFactors, activationScheme: activationScheme, importance: importance)
    }

    /// The same weights run with run-time activation quantization.
    public func withActivationScheme(_ scheme: ActivationScheme) -> LlamaModel {
        LlamaModel(
            config: config, tokenEmbedding: tokenEmbedding, blocks: blocks, outputNorm: outputNorm, output: output, ropeFactors: ropeFactors,
            activationScheme: scheme, importance: importance)
    }

    /// The same weights, recording an importance matrix while they run.
    public func collectingImportance(_ collector: ImportanceCollector) -> LlamaModel {
        LlamaModel(
            config: config, tokenEmbedding: tokenEmbedding, blocks: blocks, outputNorm: outputNorm, output: output, ropeFactors: ropeFactors,
            activationScheme: activationScheme, importance: collector)
    }

    /// Every weight as F32 (packed matrices dequantized): a full F32 copy of the model, for tests
    /// and small models; the calibration methods take one block at a time (`blocks[b].floats()`).
    public func dequantizedWeights() -> LlamaWeights {
        let tied = config.tiedOutput
        return LlamaWeights(
            tokenEmbedding: tokenEmbedding.floats(), blocks: blocks.map { $0.floats() }, outputNorm: outputNorm, output: tied ? nil : output.floats(),
            ropeFactors: ropeFactors)
    }

    /// Bytes the weights occupy in memory (matrices as held, norms and other vectors as F32).
    public var weightBytes: Int {
        let vectors = (outputNorm.count + (ropeFactors?.count ?? 0) + blocks.reduce(0) { $0 + $1.attentionNorm.count + $1.ffnNorm.count }) * 4
        let matrices = blocks.reduce(0) { $0 + $1.matrices.reduce(0) { $0 + $1.byteCount } }
        return vectors + matrices + tokenEmbedding.byteCount + (config.tiedOutput ? 0 : output.byteCount)
    }

    /// The seven block matrices in forward order; `runBlock`'s observer numbers them this way.
    public static let blockMatrixNames = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]

    /// The GGUF name of matrix `index` of block `block`: "blk.3.attn_q.weight".
    public static func matrixName(block: Int, index: Int) -> String {
        "blk.\(block).\(blockMatrixNames[index]).weight"
    }

    /// Loads every tensor, checking each shape against the configuration. A matrix whose type has
    /// a dot kernel (F16 and the GGUF block types) stays packed, as llama.cpp runs it; F32 and
    /// BF16 matrices, and norms and other vectors, are read as F32.
    public convenience init(file: GGUFFile) throws {
        let c = try LlamaConfig(file: file)
        let dim = c.embeddingLength
        let needed = Self.memoryNeeded(file)
        let available = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        if available > 0 && needed > available * 3 / 4 {
            throw ModelError.tooLargeForMemory(path: file.path, neededBytes: needed, availableBytes: available)
        }
        /// A matrix of `shape` (ggml order: [columns, rows]): packed when its type has a dot
        /// kernel, else F32.
        func matrix(_ name: String, _ shape: [Int]) throws -> WeightMatrix {
            defer { if let info = file.tensor(name) { file.releasePages(of: info) } }
            if let info = file.tensor(name), info.type != .f32, info.shape == shape,
                let packed = PackedMatrix(type: info.type, rows: shape[1], columns: shape[0], bytes: [UInt8](file.data(of: info)))
            {
                return .packed(packed)
            }
            return .f32(try file.floats(name, shape: shape))
        }
        var blocks: [LlamaBlock] = []
        for b in 0..<c.blockCount {
            let matrices = try (0..<7).map { i in
                let (rows, columns) = c.matrixShape(i)
                return try matrix(Self.matrixName(block: b, index: i), [columns, rows])
            }
            blocks.append(
                LlamaBlock(
                    attentionNorm: try file.floats("blk.\(b).attn_norm.weight", shape: [dim]),
                    ffnNorm: try file.floats("blk.\(b).ffn_norm.weight", shape: [dim]),
                    matrices: matrices))
        }
        self.init(
            config: c, tokenEmbedding: try matrix("token_embd.weight", [dim, c.vocabularySize]), blocks: blocks,
            outputNorm: try file.floats("output_norm.weight", shape: [dim]),
            output: c.tiedOutput ? nil : try matrix("output.weight", [dim, c.vocabularySize]),
            ropeFactors: file.tensor("rope_freqs.weight") == nil ? nil : try file.floats("rope_freqs.weight", shape: [c.ropeDimensionCount / 2]))
    }

    /// About the bytes `init(file:)` holds: each tensor as packed bytes when its type has a dot
    /// kernel, else as F32.
    static func memoryNeeded(_ file: GGUFFile) -> Int {
        file.tensors.reduce(0) { total, info in
            let packed = info.type != .f32 && info.shape.count == 2 && PackedMatrix.canPack(info.type, columns: info.shape[0])
            return total + (packed ? info.byteCount : info.elementCount * 4)
        }
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

        // x: [n, dim] — the residual stream, from the embedding rows.
        var x = [Float](repeating: 0, count: n * dim)
        x.withUnsafeMutableBufferPointer { x in
            for (t, token) in tokens.enumerated() { tokenEmbedding.row(Int(token), columns: dim, into: x.baseAddress! + t * dim) }
        }
        var xb = [Float](repeating: 0, count: n * dim)  // normed input: [n, dim]
        let rope = ropeTable(positions: start..<(start + n))  // [n, nRot/2] cos and sin

        for (b, block) in blocks.enumerated() {
            // Attention: x += Attention(RMSNorm(x) · attn_norm), keys and values appended to the cache.
            normRows(x, weight: block.attentionNorm, rows: 0..<n, into: &xb)
            let attention = cache.keys[b].withUnsafeMutableBufferPointer { keys in
                cache.values[b].withUnsafeMutableBufferPointer { values in
                    attentionHalf(xb, count: n, start: start, route: .model(b), rope: rope, keys: keys, values: values, threads: threads)
                }
            }
            for i in 0..<(n * dim) { x[i] += attention[i] }
            // Feed-forward: x += FFN(RMSNorm(x) · ffn_norm).
            normRows(x, weight: block.ffnNorm, rows: 0..<n, into: &xb)
            let feedForward = feedForwardHalf(xb, count: n, route: .model(b), threads: threads)
            for i in 0..<(n * dim) { x[i] += feedForward[i] }
        }
        cache.advance(by: n)

        // Logits of the requested rows: RMSNorm(x) · output_norm · Woutᵀ → [rows, vocab].
        let m = rows.count
        var normed = [Float](repeating: 0, count: m * dim)
        var logits = [Float](repeating: 0, count: m * c.vocabularySize)
        guard m > 0 else { return logits }
        normRows(x, weight: outputNorm, rows: rows, into: &normed)
        normed.withUnsafeBufferPointer { input in
            logits.withUnsafeMutableBufferPointer {
                output.multiply(rows: c.vocabularySize, columns: dim, input.baseAddress!, count: m, into: $0.baseAddress!, threads: threads)
            }
        }
        return logits
    }

    // MARK: The two halves of a block

    /// Where a half-block's matrices come from: the model's own (activation scheme, packed
    /// formats, importance recording) for block b, or the given F32 weights with an optional
    /// observer of each matrix's input (calibration).
    enum Route {
        case model(Int)
        case plain(LlamaBlockWeights, observe: ((_ matrix: Int, _ input: [Float]) -> Void)?)
    }

    /// Attention(xb): q, k, v = xb·Wqᵀ, xb·Wkᵀ, xb·Wvᵀ; RoPE; keys and values stored in the cache
    /// at positions start ..< start + n; causal grouped-query attention; ·Woᵀ. xb: [n, dim] (normed);
    /// returns [n, dim].
    func attentionHalf(
        _ xb: [Float], count n: Int, start: Int, route: Route,
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
        linear(route, 0, rows: qDim, columns: dim, input: xb, count: n, into: &q, threads: threads)
        linear(route, 1, rows: kvDim, columns: dim, input: xb, count: n, into: &k, threads: threads)
        linear(route, 2, rows: kvDim, columns: dim, input: xb, count: n, into: &v, threads: threads)
        applyRope(&q, heads: c.headCount, table: rope)
        applyRope(&k, heads: c.headCountKV, table: rope)
        // The cache now holds positions 0 ..< start + n of this block.
        k.withUnsafeBufferPointer { keys.baseAddress!.advanced(by: start * kvDim).update(from: $0.baseAddress!, count: n * kvDim) }
        v.withUnsafeBufferPointer { values.baseAddress!.advanced(by: start * kvDim).update(from: $0.baseAddress!, count: n * kvDim) }
        var attention = [Float](repeating: 0, count: n * qDim)  // [n, nHead·hd]
        attend(q: q, keys: UnsafeBufferPointer(keys), values: UnsafeBufferPointer(values), start: start, count: n, into: &attention, threads: threads)
        var projected = [Float](repeating: 0, count: n * dim)  // [n, dim]
        linear(route, 3, rows: dim, columns: qDim, input: attention, count: n, into: &projected, threads: threads)
        return projected
    }

    /// FFN(xb) = (silu(xb·Wgateᵀ) ⊙ xb·Wupᵀ)·Wdownᵀ (SwiGLU). xb: [n, dim] (normed); returns [n, dim].
    func feedForwardHalf(_ xb: [Float], count n: Int, route: Route, threads: Int) -> [Float] {
        let dim = config.embeddingLength
        let ffn = config.feedForwardLength
        var gate = [Float](repeating: 0, count: n * ffn)  // [n, ffn]
        var up = [Float](repeating: 0, count: n * ffn)  // [n, ffn]
        linear(route, 4, rows: ffn, columns: dim, input: xb, count: n, into: &gate, threads: threads)
        linear(route, 5, rows: ffn, columns: dim, input: xb, count: n, into: &up, threads: threads)
        // gate = silu(gate) ⊙ up, rows split across threads (each element on its own: any split gives the same bits).
        gate.withUnsafeMutableBufferPointer { g in
            up.withUnsafeBufferPointer { u in
                nonisolated(unsafe) let g = g
                Kernels.parallelFor(n, threads: threads) { rows in
                    ql_swiglu_f32(Int32(rows.count * ffn), g.baseAddress! + rows.lowerBound * ffn, u.baseAddress! + rows.lowerBound * ffn)
                }
            }
        }
        var projected = [Float](repeating: 0, count: n * dim)
        linear(route, 6, rows: dim, columns: ffn, input: gate, count: n, into: &projected, threads: threads)
        return projected
    }

    // MARK: Calibration (GPTQ, AWQ): one block at a time, with weights the caller chooses

    /// The embedding rows of `tokens`: the residual stream entering block 0, [n, dim].
    public func embed(_ tokens: [Int32]) throws(ModelError) -> [Float] {
        let dim = config.embeddingLength
        for token in tokens where token < 0 || Int(token) >= config.vocabularySize {
            throw ModelError.tokenOutOfRange(token: token, vocabularySize: config.vocabularySize)
        }
        var x = [Float](repeating: 0, count: tokens.count * dim)
        x.withUnsafeMutableBufferPointer { x in
            for (t, token) in tokens.enumerated() { tokenEmbedding.row(Int(token), columns: dim, into: x.baseAddress! + t * dim) }
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
        let feedForward = feedForwardHalf(normalized(x, weight: block.ffnNorm), count: n, route: .plain(block, observe: observe), threads: threads)
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
                    xb, count: n, start: 0, route: .plain(block, observe: observe), rope: ropeTable(positions: 0..<n),
                    keys: k, values: v, threads: threads)
            }
        }
    }

    /// FFN(xb) with `block`'s gate, up and down weights: what AWQ compares for gate and up.
    public func feedForwardHalf(normedInput xb: [Float], block: LlamaBlockWeights, threads: Int) -> [Float] {
        feedForwardHalf(xb, count: xb.count / config.embeddingLength, route: .plain(block, observe: nil), threads: threads)
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
    /// is set, else as held (packed or F32). Given weights (.plain): in F32, after showing the
    /// input to the observer.
    private func linear(_ route: Route, _ index: Int, rows: Int, columns: Int, input: [Float], count: Int, into output: inout [Float], threads: Int) {
        switch route {
        case .plain(let weights, let observe):
            observe?(index, input)
            Kernels.matmul(weights[matrix: index], rows: rows, columns: columns, input: input, count: count, into: &output, threads: threads)
        case .model(let block):
            importance?.add(Self.matrixName(block: block, index: index), input: input, count: count, columns: columns)
            if let activationScheme {
                activationScheme.multiply(
                    int8Blocks[block][index], input: input, count: count, into: &output, threads: threads, statistics: activationStatistics)
                return
            }
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    blocks[block].matrices[index].multiply(rows: rows, columns: columns, x.baseAddress!, count: count, into: y.baseAddress!, threads: threads)
                }
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
                let factor = ropeFactors?[i] ?? 1
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
