/// The shape of a llama-family model, read from the `<arch>.*` metadata keys that llama.cpp reads.
public struct LlamaConfig: Sendable, Equatable {
    public var architecture: String
    public var blockCount: Int
    public var embeddingLength: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var headCountKV: Int
    public var headDimension: Int
    public var contextLength: Int
    public var ropeFreqBase: Float
    /// RoPE frequency scale (1 / linear scaling factor; 1 when the model declares no scaling).
    public var ropeFreqScale: Float
    /// How many leading dimensions of each head RoPE rotates.
    public var ropeDimensionCount: Int
    public var rmsEpsilon: Float
    public var vocabularySize: Int
    public var tiedOutput: Bool

    /// Architectures whose graph is llama's (llama.cpp builds these with `llm_build_llama`).
    public static let supportedArchitectures: Set<String> = ["llama", "mistral"]

    public init(
        architecture: String = "llama", blockCount: Int, embeddingLength: Int, feedForwardLength: Int,
        headCount: Int, headCountKV: Int, headDimension: Int? = nil, contextLength: Int,
        ropeFreqBase: Float = 10000, ropeFreqScale: Float = 1, ropeDimensionCount: Int? = nil,
        rmsEpsilon: Float = 1e-5, vocabularySize: Int, tiedOutput: Bool = false
    ) {
        self.architecture = architecture
        self.blockCount = blockCount
        self.embeddingLength = embeddingLength
        self.feedForwardLength = feedForwardLength
        self.headCount = headCount
        self.headCountKV = headCountKV
        self.headDimension = headDimension ?? embeddingLength / headCount
        self.contextLength = contextLength
        self.ropeFreqBase = ropeFreqBase
        self.ropeFreqScale = ropeFreqScale
        self.ropeDimensionCount = ropeDimensionCount ?? (headDimension ?? embeddingLength / headCount)
        self.rmsEpsilon = rmsEpsilon
        self.vocabularySize = vocabularySize
        self.tiedOutput = tiedOutput
    }

    /// Reads the configuration from a GGUF file's metadata and checks it is self-consistent.
    public init(file: GGUFFile) throws(GGUFError) {
        let arch = try file.string("general.architecture")
        guard LlamaConfig.supportedArchitectures.contains(arch) else {
            throw GGUFError(
                path: file.path, .badValue(key: "general.architecture", expected: "a llama-family architecture (llama, mistral)", actual: "\"\(arch)\""))
        }
        architecture = arch
        let limit: ClosedRange<Int64> = 1...1_048_576
        blockCount = try file.integer("\(arch).block_count", in: 1...1024)
        embeddingLength = try file.integer("\(arch).embedding_length", in: limit)
        feedForwardLength = try file.integer("\(arch).feed_forward_length", in: limit)
        headCount = try file.integer("\(arch).attention.head_count", in: 1...4096)
        headCountKV =
            file.value("\(arch).attention.head_count_kv") == nil
            ? headCount : try file.integer("\(arch).attention.head_count_kv", in: 1...4096)
        contextLength = try file.integer("\(arch).context_length", in: 1...16_777_216)
        let defaultHead = embeddingLength / headCount
        headDimension =
            file.value("\(arch).attention.key_length") == nil
            ? defaultHead : try file.integer("\(arch).attention.key_length", in: 1...65536)
        ropeFreqBase = file.value("\(arch).rope.freq_base") == nil ? 10000 : Float(try file.float("\(arch).rope.freq_base"))
        ropeDimensionCount =
            file.value("\(arch).rope.dimension_count") == nil
            ? headDimension : try file.integer("\(arch).rope.dimension_count", in: 0...65536)
        rmsEpsilon = Float(try file.float("\(arch).attention.layer_norm_rms_epsilon"))
        ropeFreqScale = 1
        if let type = file.value("\(arch).rope.scaling.type") {
            switch type {
            case .string("none"): break
            case .string("linear"):
                let factor = try file.float("\(arch).rope.scaling.factor")
                guard factor > 0 else {
                    throw GGUFError(path: file.path, .badValue(key: "\(arch).rope.scaling.factor", expected: "a positive number", actual: "\(factor)"))
                }
                ropeFreqScale = Float(1 / factor)
            default:
                throw GGUFError(path: file.path, .badValue(key: "\(arch).rope.scaling.type", expected: "\"none\" or \"linear\"", actual: type.description))
            }
        }
        guard let embedding = file.tensor("token_embd.weight") else { throw GGUFError(path: file.path, .missingTensor("token_embd.weight")) }
        guard embedding.shape.count == 2, embedding.shape[0] == embeddingLength else {
            throw GGUFError(path: file.path, .wrongTensorShape(tensor: "token_embd.weight", expected: [embeddingLength, -1], actual: embedding.shape))
        }
        vocabularySize = embedding.shape[1]
        if file.value("\(arch).vocab_size") != nil {
            let declared = try file.integer("\(arch).vocab_size", in: 1...16_777_216)
            guard declared == vocabularySize else {
                throw GGUFError(
                    path: file.path, .badValue(key: "\(arch).vocab_size", expected: "\(vocabularySize) (the rows of token_embd.weight)", actual: "\(declared)"))
            }
        }
        tiedOutput = file.tensor("output.weight") == nil
        guard headCount % headCountKV == 0 else {
            throw GGUFError(
                path: file.path, .badValue(key: "\(arch).attention.head_count_kv", expected: "a divisor of head_count \(headCount)", actual: "\(headCountKV)"))
        }
        guard ropeDimensionCount <= headDimension, ropeDimensionCount % 2 == 0 else {
            throw GGUFError(
                path: file.path,
                .badValue(key: "\(arch).rope.dimension_count", expected: "an even number ≤ the head size \(headDimension)", actual: "\(ropeDimensionCount)"))
        }
        guard rmsEpsilon > 0 else {
            throw GGUFError(path: file.path, .badValue(key: "\(arch).attention.layer_norm_rms_epsilon", expected: "a positive number", actual: "\(rmsEpsilon)"))
        }
    }

    /// Parameters in the weight tensors (norms included), counted from the shapes.
    public var parameterCount: Int {
        let attention = embeddingLength * headCount * headDimension * 2 + embeddingLength * headCountKV * headDimension * 2
        let ffn = 3 * embeddingLength * feedForwardLength
        let perBlock = attention + ffn + 2 * embeddingLength
        let output = tiedOutput ? 0 : vocabularySize * embeddingLength
        return vocabularySize * embeddingLength + blockCount * perBlock + embeddingLength + output
    }
}

extension LlamaConfig {
    /// (rows, columns) of block matrix `index` (rows = output features).
    public func matrixShape(_ index: Int) -> (rows: Int, columns: Int) {
        let dim = embeddingLength
        let q = headCount * headDimension
        let kv = headCountKV * headDimension
        let f = feedForwardLength
        return [(q, dim), (kv, dim), (kv, dim), (dim, q), (f, dim), (f, dim), (dim, f)][index]
    }
}
