import Testing
@testable import QuantCore

@Suite struct DecodeSpeedTests {
    @Test func theMedianIsTheMiddleValue() {
        #expect(DecodeSpeed.median([3, 1, 2]) == 2)
        #expect(DecodeSpeed.median([4, 1, 3, 2]) == 2.5)
        #expect(DecodeSpeed.median([7]) == 7)
    }

    /// The comparison's bookkeeping (not its timings, which vary): how many tokens and runs, and
    /// a median that lies within the per-run range.
    @Test func theComparisonDecodesTheTrialAndSummarisesItsRuns() throws {
        let model = LlamaModel(config: TinyModel.config, weights: TinyModel.weights())
        let other = LlamaModel(config: TinyModel.config, weights: TinyModel.weights(seed: 9))
        let prompt: [Int32] = (0..<40).map { Int32($0 % 11) }
        let c = try DecodeSpeed.compare(other, against: model, prompt: prompt, trial: .init(tokens: 12, repeats: 5), threads: 1)
        #expect(c.tokens == 12 && c.repeats == 5 && c.threads == 1)
        #expect(c.lowest <= c.speedup && c.speedup <= c.highest)
        #expect(c.spread == (c.highest - c.lowest) / c.speedup)
        #expect(c.baselineTokensPerSecond > 0 && c.tokensPerSecond > 0)
        // More tokens than the 32-token context: clamped to the context.
        let long = try DecodeSpeed.compare(other, against: model, prompt: prompt, trial: .init(tokens: 100, repeats: 1), threads: 2)
        #expect(long.tokens == 32 && long.lowest == long.highest && long.speedup == long.lowest)
    }
}
