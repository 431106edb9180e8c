import Foundation
import Testing

@testable import QuantCore

@Suite struct BaseLogitsTests {
    @Test func aModelComparedWithItselfHasZeroDivergenceAndTheCacheIsReused() throws {
        let model = LlamaModel(config: TinyModel.config, weights: TinyModel.weights())
        let tokens = (0..<48).map { Int32(($0 * 5 + 1) % 11) }
        let plan = try EvaluationPlan(tokens: tokens, contextLength: 16, bos: 1, modelContext: 32)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-cache-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cache = BaseLogitsCache(directory: directory)
        let first = try cache.logProbs(base: model, baseHash: "h", plan: plan, threads: 1)
        #expect(!first.cached)
        let second = try cache.logProbs(base: model, baseHash: "h", plan: plan, threads: 2)
        #expect(second.cached)
        #expect(second.values.map(\.bitPattern) == first.values.map(\.bitPattern))
        let stats = try Evaluation.divergence(model: model, baseLogProbs: first.values, plan: plan)
        #expect(stats.meanKLD == 0 && stats.sameTopRate == 1 && stats.rmsDeltaP == 0)
        #expect(stats.tokens == plan.scoredTotal)
        // Another base hash misses the cache; a damaged cache file is recomputed, not trusted.
        #expect(try !cache.logProbs(base: model, baseHash: "other", plan: plan, threads: 1).cached)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        let repaired = try cache.logProbs(base: model, baseHash: "h", plan: plan, threads: 1)
        #expect(!repaired.cached && repaired.values == first.values)
    }
}
