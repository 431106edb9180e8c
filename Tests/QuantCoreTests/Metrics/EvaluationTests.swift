import Foundation
import Testing

@testable import QuantCore

@Suite struct EvaluationTests {
    func logProbs(_ probabilities: [Double]) -> [Float] { probabilities.map { Float(log($0)) } }

    func add(_ acc: inout DivergenceAccumulator, _ q: [Float], _ base: [Float], target: Int) {
        q.withUnsafeBufferPointer { q in base.withUnsafeBufferPointer { acc.add(logProbs: q, baseLogProbs: $0, target: target) } }
    }

    @Test func identicalDistributionsHaveNoDivergence() {
        var acc = DivergenceAccumulator()
        let p = logProbs([0.1, 0.2, 0.7])
        for target in 0..<3 { add(&acc, p, p, target: target) }
        let s = acc.statistics()
        #expect(s.meanKLD == 0 && s.maxKLD == 0 && s.medianKLD == 0)
        #expect(s.sameTopRate == 1)
        #expect(s.perplexityRatio == 1 && s.lnRatio == 0)
        #expect(s.rmsDeltaP == 0)
        // PPL over targets 0, 1, 2 = exp(−(ln .1 + ln .2 + ln .7)/3).
        #expect(abs(s.perplexity - exp(-(log(0.1) + log(0.2) + log(0.7)) / 3)) < 1e-6)
    }

    @Test func handComputedDivergence() {
        var acc = DivergenceAccumulator()
        // base p = (½, ½), model q = (¼, ¾): KLD = ½ ln 2 + ½ ln(2/3) = 0.143841…
        add(&acc, logProbs([0.25, 0.75]), logProbs([0.5, 0.5]), target: 0)
        let s = acc.statistics()
        #expect(abs(s.meanKLD - 0.1438410362) < 1e-6)
        // Top tokens: model 1, base 0 (the first of a tie) — different.
        #expect(s.sameTopRate == 0)
        // Δp of the target = .25 − .5; ln ratio = ln(.5/.25).
        #expect(abs(s.rmsDeltaP - 0.25) < 1e-6)
        #expect(abs(s.lnRatio - log(2)) < 1e-6)
        #expect(abs(s.perplexityRatio - 2) < 1e-5)
    }

    @Test func percentilesInterpolateBetweenRanks() {
        let sorted: [Double] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        #expect(DivergenceAccumulator.percentile(sorted, 0.5) == 5)
        #expect(DivergenceAccumulator.percentile(sorted, 0.9) == 9)
        #expect(abs(DivergenceAccumulator.percentile(sorted, 0.99) - 9.9) < 1e-12)
        #expect(DivergenceAccumulator.percentile([4, 8], 0.5) == 6)
        #expect(DivergenceAccumulator.percentile([], 0.5).isNaN)
    }

    @Test func perplexityOfAUniformModelIsTheVocabularySize() {
        var acc = PerplexityAccumulator()
        for _ in 0..<10 { acc.add(negativeLogLikelihood: log(1000)) }
        #expect(abs(acc.perplexity - 1000) < 1e-9)
        #expect(acc.perplexityError == 0)
        var mixed = PerplexityAccumulator()
        mixed.add(negativeLogLikelihood: 1)
        mixed.add(negativeLogLikelihood: 3)
        // mean 2, population variance 1, σ/√(n−1) = 1 → error = e² · 1.
        #expect(abs(mixed.perplexity - exp(2)) < 1e-12)
        #expect(abs(mixed.perplexityError - exp(2)) < 1e-12)
    }

    @Test func logSoftmaxNormalises() {
        let logits: [Float] = [2, -1, 0.5, 3]
        var out = [Float](repeating: 0, count: 4)
        logits.withUnsafeBufferPointer { l in out.withUnsafeMutableBufferPointer { LogProbabilities.logSoftmax(l, into: $0) } }
        #expect(abs(out.map { exp(Double($0)) }.reduce(0, +) - 1) < 1e-6)
        #expect(abs(Double(out[3] - out[0]) - 1) < 1e-6)
    }

    @Test func planCutsChunksLikeLlamaPerplexity() throws {
        let tokens = (0..<25).map { Int32($0 + 100) }
        let plan = try EvaluationPlan(tokens: tokens, contextLength: 8, bos: 1, modelContext: 32)
        #expect(plan.chunkCount == 3)
        #expect(plan.firstScored == 4 && plan.scoredPerChunk == 3 && plan.scoredTotal == 9)
        #expect(plan.input(chunk: 1) == [1, 109, 110, 111, 112, 113, 114, 115])
        #expect(Array(plan.targets(chunk: 1)) == [113, 114, 115])
        let noBOS = try EvaluationPlan(tokens: tokens, contextLength: 8, maximumChunks: 2, bos: nil, modelContext: 32)
        #expect(noBOS.chunkCount == 2 && noBOS.input(chunk: 0).first == 100)
        #expect(throws: EvaluationError.textTooShort(tokens: 25, needed: 26)) {
            try EvaluationPlan(tokens: tokens, contextLength: 26, bos: nil, modelContext: 32)
        }
        #expect(throws: EvaluationError.contextTooLarge(requested: 64, modelLimit: 32)) {
            try EvaluationPlan(tokens: tokens, contextLength: 64, bos: nil, modelContext: 32)
        }
        #expect(throws: EvaluationError.contextTooSmall(2)) { try EvaluationPlan(tokens: tokens, contextLength: 2, bos: nil, modelContext: 32) }
    }

    @Test func perplexityEqualsTheMeanNLLOfTheScoredTokens() throws {
        let model = LlamaModel(config: TinyModel.config, weights: TinyModel.weights())
        let tokens = (0..<40).map { Int32(($0 * 7 + 3) % 11) }
        let plan = try EvaluationPlan(tokens: tokens, contextLength: 16, bos: 1, modelContext: 32)
        let result = try Evaluation.perplexity(model: model, plan: plan, threads: 2)
        #expect(result.count == 2 * 7)
        // Independently: the reference forward over each chunk, scored on positions 8…14.
        var nll = 0.0
        for chunk in 0..<2 {
            let logits = TinyModel.referenceLogits(plan.input(chunk: chunk).map(Int.init), weights: model.dequantizedWeights())
            for (r, target) in plan.targets(chunk: chunk).enumerated() {
                let row = logits[8 + r]
                let m = row.max()!
                nll -= row[Int(target)] - m - log(row.reduce(0) { $0 + exp($1 - m) })
            }
        }
        #expect(abs(result.perplexity - exp(nll / 14)) < 1e-4)
    }

    @Test func aPerturbedModelHasPositiveDivergence() throws {
        let base = LlamaModel(config: TinyModel.config, weights: TinyModel.weights())
        var weights = TinyModel.weights()
        weights.output = weights.output!.map { $0 * 1.5 }
        let sharper = LlamaModel(config: TinyModel.config, weights: weights)
        let tokens = (0..<48).map { Int32(($0 * 5 + 1) % 11) }
        let plan = try EvaluationPlan(tokens: tokens, contextLength: 16, bos: 1, modelContext: 32)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let baseValues = try BaseLogitsCache(directory: directory).logProbs(base: base, baseHash: "base", plan: plan, threads: 1).values
        let stats = try Evaluation.divergence(model: sharper, baseLogProbs: baseValues, plan: plan)
        #expect(stats.meanKLD > 0.001)
        #expect(stats.maxKLD >= stats.p99KLD && stats.p99KLD >= stats.p90KLD && stats.p90KLD >= stats.medianKLD)
        // Scaling logits keeps the arg max: the same top token everywhere.
        #expect(stats.sameTopRate == 1)
    }
}
