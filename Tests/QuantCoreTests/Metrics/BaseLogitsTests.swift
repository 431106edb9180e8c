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
        let firstBits = try Self.bits(first.values)
        #expect(try Self.bits(second.values) == firstBits)
        // The file holds what the model computes, chunk by chunk, and nothing else is left in the cache.
        var kv = model.makeCache(capacity: plan.contextLength)
        for chunk in 0..<plan.chunkCount {
            let direct = try Evaluation.scoredLogProbs(model: model, plan: plan, chunk: chunk, cache: &kv, threads: 1)
            #expect(try first.values.chunk(chunk).map(\.bitPattern) == direct.map(\.bitPattern))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).count == 1)
        let stats = try Evaluation.divergence(model: model, baseLogProbs: first.values, plan: plan)
        #expect(stats.meanKLD == 0 && stats.sameTopRate == 1 && stats.rmsDeltaP == 0)
        #expect(stats.tokens == plan.scoredTotal)
        // Another base hash misses the cache; a damaged cache file is recomputed, not trusted.
        #expect(try !cache.logProbs(base: model, baseHash: "other", plan: plan, threads: 1).cached)
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        let repaired = try cache.logProbs(base: model, baseHash: "h", plan: plan, threads: 1)
        #expect(try !repaired.cached && Self.bits(repaired.values) == firstBits)
    }

    static func bits(_ values: BaseLogProbs) throws -> [UInt32] {
        try (0..<values.chunks).flatMap { try values.chunk($0).map(\.bitPattern) }
    }

    /// A cache directory that cannot be created (its parent is a file) costs only the reuse: the
    /// log-probs go to a temporary file, which is deleted when the handle goes.
    @Test func anUnwritableCacheFallsBackToATemporaryFile() throws {
        let model = LlamaModel(config: TinyModel.config, weights: TinyModel.weights())
        let plan = try EvaluationPlan(tokens: (0..<40).map { Int32($0 % 11) }, contextLength: 16, bos: 1, modelContext: 32)
        let blocker = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-not-a-folder-\(UUID().uuidString)").path
        try Data([0]).write(to: URL(fileURLWithPath: blocker))
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        let temporaryBefore = try Self.temporaryLogProbFiles()
        do {
            let (values, cached) = try BaseLogitsCache(directory: blocker + "/cache").logProbs(base: model, baseHash: "h", plan: plan, threads: 1)
            #expect(!cached)
            #expect(values.chunks == plan.chunkCount && values.vocab == 11)
            let stats = try Evaluation.divergence(model: model, baseLogProbs: values, plan: plan)
            #expect(stats.meanKLD == 0 && stats.tokens == plan.scoredTotal)
            #expect(try Self.temporaryLogProbFiles().count == temporaryBefore.count + 1)
        }
        #expect(try Self.temporaryLogProbFiles() == temporaryBefore)
    }

    static func temporaryLogProbFiles() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("quantlab-base-") })
    }
}
