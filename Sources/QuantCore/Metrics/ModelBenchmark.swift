import Dispatch

/// llama-bench's two tests on a whole model, with the same model in F16 timed in the same run:
/// `pp` (prompt processing: one batch of p tokens from an empty cache) and `tg` (text
/// generation: n tokens one at a time from an empty cache). Each test runs once to warm up, then
/// `repeats` times, the model and its F16 twin alternating; tokens per second are reported as
/// mean ± standard deviation over the repeats (wall time), as llama-bench prints them. Every
/// figure is timed, so it varies between runs; none is graded or cached.
public struct ModelBenchmark: Sendable {
    public struct Row: Sendable, Codable, Equatable {
        /// "pp512" or "tg128".
        public var test: String
        public var tokensPerSecond: Double
        public var standardDeviation: Double
        public var f16TokensPerSecond: Double
        public var f16StandardDeviation: Double
        /// tokensPerSecond / f16TokensPerSecond.
        public var speedupOverF16: Double
    }

    public let promptTokens: Int
    public let generatedTokens: Int
    public let repeats: Int
    public let threads: Int

    public init(promptTokens: Int, generatedTokens: Int, repeats: Int, threads: Int) {
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.repeats = repeats
        self.threads = threads
    }

    /// Token ids for the tests: a fixed pseudo-random sequence within the vocabulary.
    static func tokens(_ count: Int, vocabulary: Int) -> [Int32] {
        var random = SplitMix64(seed: 0x6C6C_616D)
        return (0..<count).map { _ in Int32(random.next() % UInt64(vocabulary)) }
    }

    /// Times `model` against `f16` (the same architecture in F16; `model` itself when it is F16).
    public func run(_ model: LlamaModel, f16: LlamaModel) throws(ModelError) -> [Row] {
        var rows: [Row] = []
        let vocabulary = model.config.vocabularySize
        let capacity = max(promptTokens, generatedTokens)
        let prompt = Self.tokens(promptTokens, vocabulary: vocabulary)
        let generated = Self.tokens(generatedTokens, vocabulary: vocabulary)
        let threads = threads
        /// Seconds one test takes on `m`.
        func pp(_ m: LlamaModel) throws(ModelError) -> Double {
            var cache = m.makeCache(capacity: capacity)
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try m.forward(prompt, cache: &cache, threads: threads)
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        func tg(_ m: LlamaModel) throws(ModelError) -> Double {
            var cache = m.makeCache(capacity: capacity)
            let start = DispatchTime.now().uptimeNanoseconds
            for token in generated { _ = try m.forward([token], cache: &cache, threads: threads) }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        for (name, tokens, test) in [("pp\(promptTokens)", promptTokens, pp), ("tg\(generatedTokens)", generatedTokens, tg)] where tokens > 0 {
            _ = try test(model)
            if f16 !== model { _ = try test(f16) }
            var candidate: [Double] = []
            var baseline: [Double] = []
            for _ in 0..<repeats {
                candidate.append(Double(tokens) / (try test(model)))
                baseline.append(f16 === model ? candidate.last! : Double(tokens) / (try test(f16)))
            }
            let (mean, sd) = Self.meanAndDeviation(candidate)
            let (f16Mean, f16SD) = Self.meanAndDeviation(baseline)
            rows.append(
                Row(
                    test: name, tokensPerSecond: mean, standardDeviation: sd, f16TokensPerSecond: f16Mean, f16StandardDeviation: f16SD,
                    speedupOverF16: mean / f16Mean))
        }
        return rows
    }

    /// Mean and sample standard deviation (0 for one value).
    static func meanAndDeviation(_ values: [Double]) -> (Double, Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return (mean, 0) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return (mean, variance.squareRoot())
    }
}
