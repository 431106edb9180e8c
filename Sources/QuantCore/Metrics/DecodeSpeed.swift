import Dispatch

/// Measured decode speed of a model against a baseline model, both run in the same process on
/// the same tokens: one token per forward pass with a KV cache, as generation runs. Timings are
/// noisy, so each repeat times the baseline and the model back to back (in alternating order,
/// so drift does not favour either) and the result is the median of the per-repeat speed-ups,
/// with their spread.
public struct DecodeSpeedComparison: Sendable, Codable, Equatable {
    /// Tokens decoded per timed run.
    public var tokens: Int
    public var repeats: Int
    public var threads: Int
    /// Medians over the repeats.
    public var baselineTokensPerSecond: Double
    public var tokensPerSecond: Double
    /// Median of the per-repeat ratios baseline time / model time (above 1: the model is faster).
    public var speedup: Double
    /// The slowest and fastest per-repeat ratio.
    public var lowest: Double
    public var highest: Double
    /// (highest − lowest) / median.
    public var spread: Double { speedup > 0 ? (highest - lowest) / speedup : 0 }
}

public enum DecodeSpeed {
    /// How much is timed: tokens per run and runs per model.
    public struct Trial: Sendable, Equatable {
        public var tokens: Int
        public var repeats: Int
        public init(tokens: Int, repeats: Int) {
            self.tokens = tokens
            self.repeats = repeats
        }
        /// What exercises grade: 128 tokens, 11 runs of each model (about 0.5 s on the reference model).
        public static let standard = Trial(tokens: 128, repeats: 11)
    }

    /// Decodes the first `trial.tokens` of `prompt` (at most the models' context) with `model`
    /// and with `base`, `trial.repeats` times each after one untimed warm-up run of each.
    public static func compare(_ model: LlamaModel, against base: LlamaModel, prompt: [Int32], trial: Trial = .standard,
                               threads: Int) throws(ModelError) -> DecodeSpeedComparison {
        let repeats = trial.repeats
        precondition(repeats >= 1 && trial.tokens >= 1 && !prompt.isEmpty)
        let tokens = Array(prompt.prefix(min(trial.tokens, model.config.contextLength, base.config.contextLength)))
        var sink: Float = 0
        func decode(_ m: LlamaModel) throws(ModelError) -> Double {
            var cache = m.makeCache(capacity: tokens.count)
            let start = DispatchTime.now().uptimeNanoseconds
            for token in tokens { sink += try m.forward([token], cache: &cache, threads: threads)[0] }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        _ = try decode(base)
        _ = try decode(model)
        var baseTimes: [Double] = [], modelTimes: [Double] = [], ratios: [Double] = []
        for r in 0..<repeats {
            let (b, m): (Double, Double)
            if r % 2 == 0 {
                b = try decode(base); m = try decode(model)
            } else {
                m = try decode(model); b = try decode(base)
            }
            baseTimes.append(b); modelTimes.append(m); ratios.append(b / m)
        }
        KernelBenchmark.consume(sink)
        let n = Double(tokens.count)
        return DecodeSpeedComparison(tokens: tokens.count, repeats: repeats, threads: threads,
                                     baselineTokensPerSecond: n / median(baseTimes), tokensPerSecond: n / median(modelTimes),
                                     speedup: median(ratios), lowest: ratios.min()!, highest: ratios.max()!)
    }

    /// The middle value; the mean of the two middle values of an even count.
    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
