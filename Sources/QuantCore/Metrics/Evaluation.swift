import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an evaluation could not run.
public enum EvaluationError: Error, Equatable, CustomStringConvertible, Sendable {
    case contextTooSmall(Int)
    case contextTooLarge(requested: Int, modelLimit: Int)
    case textTooShort(tokens: Int, needed: Int)
    case vocabularyMismatch(model: Int, base: Int)
    case baseMismatch(String)
    /// The base log-probabilities could be written neither to the cache nor to a temporary file.
    case cacheUnwritable(path: String)
    /// A base log-probabilities file ended early or could not be read while in use.
    case cacheUnreadable(path: String)

    public var description: String {
        switch self {
        case .contextTooSmall(let n):
            "--ctx \(n) is too small; it must be at least 4 so that each chunk has a second half to score"
        case .contextTooLarge(let requested, let limit):
            "--ctx \(requested) exceeds the model's context length \(limit)"
        case .textTooShort(let tokens, let needed):
            "the text has \(tokens) tokens but one chunk needs \(needed); use a longer text or a smaller --ctx"
        case .vocabularyMismatch(let model, let base):
            "the model has \(model) vocabulary entries but the base model has \(base); KL divergence needs the same vocabulary"
        case .baseMismatch(let detail):
            "the base logits do not match this evaluation: \(detail)"
        case .cacheUnwritable(let path):
            "\(path): cannot write the base model's log-probabilities there (nor to a temporary file); check the free space and permissions of $QUANTLAB_CACHE"
        case .cacheUnreadable(let path):
            "\(path): the base model's log-probabilities file could not be read to its end; delete it and run again"
        }
    }
}

/// How a text is cut into chunks, as `llama-perplexity` does: the text is tokenized once (with
/// BOS when the model adds one), cut into ⌊tokens / n_ctx⌋ chunks of n_ctx tokens, the first token
/// of every chunk is replaced by BOS (when the model adds one), and each chunk is scored on its
/// second half: the logits at positions n_ctx/2 … n_ctx−2 predict tokens n_ctx/2+1 … n_ctx−1.
public struct EvaluationPlan: Sendable, Equatable {
    public let tokens: [Int32]
    public let contextLength: Int
    public let chunkCount: Int
    public let bos: Int32?

    public init(tokens: [Int32], contextLength: Int, maximumChunks: Int? = nil, bos: Int32?, modelContext: Int) throws(EvaluationError) {
        guard contextLength >= 4 else { throw EvaluationError.contextTooSmall(contextLength) }
        guard contextLength <= modelContext else { throw EvaluationError.contextTooLarge(requested: contextLength, modelLimit: modelContext) }
        let available = tokens.count / contextLength
        guard available >= 1 else { throw EvaluationError.textTooShort(tokens: tokens.count, needed: contextLength) }
        self.tokens = tokens
        self.contextLength = contextLength
        self.chunkCount = min(available, max(1, maximumChunks ?? available))
        self.bos = bos
    }

    /// First position (within a chunk) whose logits are scored.
    public var firstScored: Int { contextLength / 2 }
    /// Scored predictions per chunk.
    public var scoredPerChunk: Int { contextLength - firstScored - 1 }
    public var scoredTotal: Int { scoredPerChunk * chunkCount }

    /// The tokens fed to the model for a chunk.
    public func input(chunk: Int) -> [Int32] {
        var slice = Array(tokens[(chunk * contextLength)..<((chunk + 1) * contextLength)])
        if let bos { slice[0] = bos }
        return slice
    }

    /// The tokens the scored positions of a chunk predict.
    public func targets(chunk: Int) -> ArraySlice<Int32> {
        let start = chunk * contextLength
        return tokens[(start + firstScored + 1)..<(start + contextLength)]
    }
}

/// Log-softmax helpers, in double precision like llama.cpp's `log_softmax`.
public enum LogProbabilities {
    /// log p(v) for every v of one row of logits.
    public static func logSoftmax(_ logits: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Float>) {
        var maximum = -Float.infinity
        for value in logits { maximum = max(maximum, value) }
        var sum: Double = 0
        for value in logits { sum += exp(Double(value - maximum)) }
        let logZ = Double(maximum) + log(sum)
        for i in logits.indices { output[i] = Float(Double(logits[i]) - logZ) }
    }
}

/// Perplexity with the uncertainty `llama-perplexity` prints: exp(mean NLL) ± ppl · σ(NLL)/√(n−1).
/// The variance is accumulated with Welford's method, so a constant NLL gives exactly 0.
public struct PerplexityAccumulator: Sendable {
    public private(set) var count = 0
    private var mean: Double = 0
    private var squaredDeviations: Double = 0

    public init() {}

    public mutating func add(negativeLogLikelihood nll: Double) {
        count += 1
        let delta = nll - mean
        mean += delta / Double(count)
        squaredDeviations += delta * (nll - mean)
    }

    public var meanNLL: Double { count == 0 ? .nan : mean }
    public var perplexity: Double { exp(meanNLL) }

    public var perplexityError: Double {
        guard count > 1 else { return .nan }
        let variance = squaredDeviations / Double(count)
        return variance > 0 ? (variance / Double(count - 1)).squareRoot() * perplexity : 0
    }
}

/// Statistics of a model against a base model over the same scored tokens, named as
/// `llama-perplexity --kl-divergence` names them.
public struct DivergenceStatistics: Sendable, Equatable, Codable {
    public var tokens: Int
    public var perplexity: Double
    public var basePerplexity: Double
    /// PPL(Q)/PPL(base) = exp(mean of ln p_base(target) − ln p_Q(target)).
    public var perplexityRatio: Double
    /// Mean of ln PPL(Q) − ln PPL(base) per token, and its standard error.
    public var lnRatio: Double
    public var lnRatioError: Double
    public var meanKLD: Double
    public var meanKLDError: Double
    public var medianKLD: Double
    public var p90KLD: Double
    public var p99KLD: Double
    public var maxKLD: Double
    /// Fraction of positions where both models put the same token on top.
    public var sameTopRate: Double
    public var sameTopError: Double
    /// √ mean (p_Q(target) − p_base(target))².
    public var rmsDeltaP: Double
}

/// Accumulates divergence statistics one scored position at a time.
public struct DivergenceAccumulator: Sendable {
    private var kld: [Double] = []
    private var lnRatios: [Double] = []
    private var sameTop = 0
    private var deltaPSquares: Double = 0
    private var model = PerplexityAccumulator()
    private var base = PerplexityAccumulator()

    public init() {}

    /// Adds one position: log-probabilities of the model and of the base over the vocabulary,
    /// and the token that followed.
    public mutating func add(logProbs: UnsafeBufferPointer<Float>, baseLogProbs: UnsafeBufferPointer<Float>, target: Int) {
        var divergence: Double = 0
        var top = 0
        var baseTop = 0
        for v in 0..<logProbs.count {
            let lb = Double(baseLogProbs[v])
            divergence += exp(lb) * (lb - Double(logProbs[v]))
            if logProbs[v] > logProbs[top] { top = v }
            if baseLogProbs[v] > baseLogProbs[baseTop] { baseTop = v }
        }
        kld.append(divergence)
        if top == baseTop { sameTop += 1 }
        let nll = -Double(logProbs[target])
        let baseNLL = -Double(baseLogProbs[target])
        model.add(negativeLogLikelihood: nll)
        base.add(negativeLogLikelihood: baseNLL)
        lnRatios.append(nll - baseNLL)
        let deltaP = exp(-nll) - exp(-baseNLL)
        deltaPSquares += deltaP * deltaP
    }

    public var count: Int { kld.count }

    public func statistics() -> DivergenceStatistics {
        let n = Double(kld.count)
        let (meanKLD, kldError) = Self.meanAndError(kld)
        let (lnRatio, lnError) = Self.meanAndError(lnRatios)
        let sorted = kld.sorted()
        let rate = Double(sameTop) / n
        return DivergenceStatistics(
            tokens: kld.count,
            perplexity: model.perplexity,
            basePerplexity: base.perplexity,
            perplexityRatio: exp(lnRatio),
            lnRatio: lnRatio,
            lnRatioError: lnError,
            meanKLD: meanKLD,
            meanKLDError: kldError,
            medianKLD: Self.percentile(sorted, 0.5),
            p90KLD: Self.percentile(sorted, 0.9),
            p99KLD: Self.percentile(sorted, 0.99),
            maxKLD: sorted.last ?? .nan,
            sameTopRate: rate,
            sameTopError: n > 1 ? (rate * (1 - rate) / (n - 1)).squareRoot() : .nan,
            rmsDeltaP: (deltaPSquares / n).squareRoot())
    }

    /// Linear interpolation between the two nearest ranks of a sorted array (numpy's default).
    public static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = fraction * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let weight = position - Double(lower)
        return sorted[lower] * (1 - weight) + sorted[upper] * weight
    }

    static func meanAndError(_ values: [Double]) -> (Double, Double) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        guard values.count > 1 else { return (mean, .nan) }
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        return (mean, (variance / n).squareRoot())
    }
}

/// Runs the chunks of a plan through a model and hands out the scored log-probabilities.
public enum Evaluation {
    /// Log-probabilities of every scored position of one chunk: [scoredPerChunk, vocab].
    public static func scoredLogProbs(model: LlamaModel, plan: EvaluationPlan, chunk: Int, cache: inout KVCache, threads: Int) throws(ModelError) -> [Float] {
        cache.clear()
        let rows = plan.firstScored..<(plan.contextLength - 1)
        var logits = try model.forward(plan.input(chunk: chunk), cache: &cache, logitRows: rows, threads: threads)
        let vocab = model.config.vocabularySize
        let rowCount = rows.count
        nonisolated(unsafe) var output = logits
        logits.withUnsafeMutableBufferPointer { raw in
            nonisolated(unsafe) let raw = raw
            output.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                Kernels.parallelFor(rowCount, threads: threads) { range in
                    for r in range {
                        LogProbabilities.logSoftmax(
                            UnsafeBufferPointer(rebasing: raw[(r * vocab)..<((r + 1) * vocab)]),
                            into: UnsafeMutableBufferPointer(rebasing: out[(r * vocab)..<((r + 1) * vocab)]))
                    }
                }
            }
        }
        return output
    }

    /// Perplexity of a model over a plan, llama-perplexity style. `progress` is called after each chunk.
    public static func perplexity(
        model: LlamaModel, plan: EvaluationPlan, threads: Int = 2,
        progress: (Int, PerplexityAccumulator) -> Void = { _, _ in }
    ) throws(ModelError) -> PerplexityAccumulator {
        var cache = model.makeCache(capacity: plan.contextLength)
        var accumulator = PerplexityAccumulator()
        let vocab = model.config.vocabularySize
        for chunk in 0..<plan.chunkCount {
            let logProbs = try scoredLogProbs(model: model, plan: plan, chunk: chunk, cache: &cache, threads: threads)
            for (r, target) in plan.targets(chunk: chunk).enumerated() {
                accumulator.add(negativeLogLikelihood: -Double(logProbs[r * vocab + Int(target)]))
            }
            progress(chunk + 1, accumulator)
        }
        return accumulator
    }
}

extension DivergenceStatistics {
    /// The statistics as llama-perplexity's `--kl-divergence` run prints them.
    public var llamaPerplexityText: String {
        func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
        return """
            ====== Perplexity statistics ======
            Mean PPL(Q)                   : \(f(perplexity, 6))
            Mean PPL(base)                : \(f(basePerplexity, 6))
            Mean PPL(Q)/PPL(base)         : \(f(perplexityRatio, 6))
            Mean ln(PPL(Q)/PPL(base))     : \(f(lnRatio, 6)) ± \(f(lnRatioError, 6))

            ====== KL divergence statistics ======
            Mean    KLD: \(f(meanKLD, 6)) ± \(f(meanKLDError, 6))
            Maximum KLD: \(f(maxKLD, 6))
            99.0%   KLD: \(f(p99KLD, 6))
            90.0%   KLD: \(f(p90KLD, 6))
            Median  KLD: \(f(medianKLD, 6))

            ====== Token probability statistics ======
            RMS Δp    : \(f(rmsDeltaP * 100, 3)) %
            Same top p: \(f(sameTopRate * 100, 3)) ± \(f(sameTopError * 100, 3)) %

            """
    }
}
