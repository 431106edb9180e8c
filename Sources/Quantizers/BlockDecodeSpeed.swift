import QuantCore

/// Measured decode speed of a recipe, as exercises grade it (metric `decode_speedup`): one
/// token at a time through one Llama-7B-shaped block (`DecodeBlock`, seeded synthetic weights)
/// whose seven matrices are stored as the recipe stores them on Llama-2-7B, against the same
/// block in F16 (the precision most checkpoints ship in), on one thread, timed by
/// `SpeedMeasurement`. The reference model is not timed: its 7.9 MB of weights sit in the
/// last-level cache, where decode does not wait on memory and the effect of fewer bytes is
/// barely larger than the noise.
public struct BlockDecodeSpeed: Sendable, Codable, Equatable {
    /// What is timed: the block's shape and the measurement's stopping rule.
    public struct Trial: Sendable, Equatable {
        public var shape: DecodeBlock.Shape
        public var policy: SpeedMeasurement.Policy
        public init(shape: DecodeBlock.Shape, policy: SpeedMeasurement.Policy) {
            self.shape = shape
            self.policy = policy
        }
        /// What exercises grade: the Llama-7B block, pairs until ±5% or 30.
        public static let standard = Trial(shape: .llama7B, policy: .standard)
    }

    /// "llama-7b 4096/11008".
    public var block: String
    public var threads: Int
    /// The format each of the seven matrices ran in (q, k, v, o, gate, up, down).
    public var formats: [String]
    public var baselineBytes: Int
    public var bytes: Int
    /// Timed: thread CPU time per token, F16 block as baseline.
    public var comparison: SpeedComparison
    /// What the reader should know about how the recipe was timed.
    public var notes: [String]

    public init(block: String, threads: Int, formats: [String], baselineBytes: Int, bytes: Int, comparison: SpeedComparison, notes: [String]) {
        self.block = block
        self.threads = threads
        self.formats = formats
        self.baselineBytes = baselineBytes
        self.bytes = bytes
        self.comparison = comparison
        self.notes = notes
    }

    public var baselineTokensPerSecond: Double { 1 / comparison.baselineSeconds }
    public var tokensPerSecond: Double { 1 / comparison.candidateSeconds }

    /// Builds the F16 block and the recipe's block and times one decoded token through each,
    /// alternating, on one thread (quantizing the block uses `threads`).
    public static func measure(_ recipe: QuantizationRecipe, trial: Trial = .standard, threads: Int) throws(GGUFError) -> BlockDecodeSpeed {
        let plan = formats(for: recipe, shape: trial.shape)
        let (baseline, candidate) = try DecodeBlock.pair(shape: trial.shape, baseline: [.packed(.f16)], candidate: plan.formats, threads: threads)
        let input = baseline.input(tokens: 1)
        let comparison = SpeedMeasurement.compare(
            baseline: { KernelBenchmark.consume(baseline.multiply(input, tokens: 1, threads: 1)) },
            candidate: { KernelBenchmark.consume(candidate.multiply(input, tokens: 1, threads: 1)) },
            policy: trial.policy)
        return BlockDecodeSpeed(
            block: "\(trial.shape.name) \(trial.shape.embedding)/\(trial.shape.feedForward)", threads: 1,
            formats: plan.formats.map(\.description), baselineBytes: baseline.weightBytes, bytes: candidate.weightBytes,
            comparison: comparison, notes: plan.notes)
    }

    /// The format each block matrix runs in under `recipe`: the method the recipe gives that
    /// matrix on Llama-2-7B (overrides, llama-quantize's per-layer mixture rules and shape
    /// fallbacks included), taken over the 32 layers by majority, a tie going to the larger
    /// format so that a measurement never flatters a recipe. Unquantized matrices are F16, as
    /// published; methods without packed kernels yet run as QuantLab runs them today, in F32.
    public static func formats(for recipe: QuantizationRecipe, shape: DecodeBlock.Shape) -> (formats: [DecodeBlock.Storage], notes: [String]) {
        let model = ModelShape(
            name: shape.name, blocks: ModelShape.llama2_7B.blocks, embedding: shape.embedding, feedForward: shape.feedForward,
            heads: ModelShape.llama2_7B.heads, kvHeads: ModelShape.llama2_7B.kvHeads, vocabulary: ModelShape.llama2_7B.vocabulary)
        let tensors = model.tensors
        var presetTypes: [String: TensorType] = [:]
        if case .ggmlPreset(let preset) = recipe.method { presetTypes = LlamaQuantize.types(for: tensors, preset: preset) }
        var simulated: Set<String> = []
        var formats: [DecodeBlock.Storage] = []
        for m in shape.matrices {
            var counts: [DecodeBlock.Storage: Int] = [:]
            for layer in 0..<model.blocks {
                let name = "blk.\(layer).\(m.name).weight"
                var method = recipe.method(for: name)
                if case .ggmlPreset = method { method = .ggml(presetTypes[name] ?? .f16) }
                let storage: DecodeBlock.Storage
                switch method {
                case .keep:
                    storage = .packed(.f16)
                case .ggml(let type):
                    let chosen = GGUFConverter.fallback(type, rowLength: m.columns)
                    storage = chosen != .f32 && chosen != .bf16 && PackedMatrix.canPack(chosen, columns: m.columns) ? .packed(chosen) : .f32
                case .ggmlPreset:
                    storage = .packed(.f16)
                case .rtn, .gptq, .awq, .bnb4bit, .int8:
                    simulated.insert(method.label)
                    storage = .f32
                }
                counts[storage, default: 0] += 1
            }
            let best = counts.max { a, b in
                (a.value, a.key.bytes(rows: m.rows, columns: m.columns), a.key.description)
                    < (b.value, b.key.bytes(rows: m.rows, columns: m.columns), b.key.description)
            }!.key
            formats.append(best)
        }
        var notes: [String] = []
        if !simulated.isEmpty {
            notes.append(
                "\(simulated.sorted().joined(separator: ", ")) has no packed kernels in QuantLab yet: its weights are dequantized and multiplied in F32, so it was timed in F32."
            )
        }
        if recipe.activation != nil {
            notes.append("Run-time activation quantization is not part of the timed block.")
        }
        return (formats, notes)
    }
}
