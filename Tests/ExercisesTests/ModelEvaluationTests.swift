import Foundation
import QuantCore
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises

@Suite struct ModelEvaluationTests {
    static let modelPath = ModelMeasurementTests.modelPath
    static let textPath = TestPaths.repository.appendingPathComponent(ReferenceModel.evaluationTextPath).path

    static func request(model: String, base: String?, cache: String) -> ModelEvaluation.Request {
        ModelEvaluation.Request(
            modelPath: model, textPath: textPath, settingsPath: nil, basePath: base, contextLength: 64, chunks: 2,
            calibrationPath: TestPaths.repository.appendingPathComponent(ReferenceModel.calibrationTextPath).path, cacheDirectory: cache, threads: 2)
    }

    /// A separate base: its log-probabilities are computed (then taken from the cache), the
    /// model is compared with them, and a model compared with itself diverges by nothing.
    @Test func aSeparateBaseIsComparedAndCached() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let q8 = folder.appendingPathComponent("q8_0.gguf").path
        try GGUFConverter.convert(try GGUFFile.open(path: Self.modelPath), to: .q8_0).write(to: q8)
        let cache = folder.appendingPathComponent("cache").path
        var events: [String] = []
        let first = try ModelEvaluation.run(Self.request(model: q8, base: Self.modelPath, cache: cache)) { event in
            switch event {
            case .planned(_, let plan): events.append("planned \(plan.chunkCount)×\(plan.contextLength)")
            case .baseReady(let cached): events.append("base \(cached)")
            case .quantized: events.append("quantized")
            case .chunk: events.append("chunk")
            }
        }
        #expect(events == ["planned 2×64", "base false"])
        let d = try #require(first.report.divergence)
        #expect(d.meanKLD > 0 && d.meanKLD < 0.001 && d.tokens == 2 * 31)
        #expect(first.report.baseCached == false && first.report.base == Self.modelPath && first.report.perplexityError == nil)
        let again = try ModelEvaluation.run(Self.request(model: q8, base: Self.modelPath, cache: cache))
        #expect(again.report.baseCached == true && again.report.divergence?.meanKLD == d.meanKLD)
        let itself = try ModelEvaluation.run(Self.request(model: Self.modelPath, base: Self.modelPath, cache: cache))
        #expect(itself.report.divergence?.meanKLD == 0 && itself.report.divergence?.sameTopRate == 1)
    }

    /// Without a base: perplexity with its error, one progress event per chunk.
    @Test func withoutABaseItIsPerplexity() throws {
        var chunks: [Int] = []
        let outcome = try ModelEvaluation.run(Self.request(model: Self.modelPath, base: nil, cache: "/nonexistent/cache")) { event in
            if case .chunk(let n, _) = event { chunks.append(n) }
        }
        #expect(chunks == [1, 2])
        #expect(outcome.report.divergence == nil && outcome.report.perplexity > 1 && (outcome.report.perplexityError ?? 0) > 0)
        #expect(outcome.report.scoredTokens == 2 * 31)
    }

    /// An unusable base is the user's input, named by its path; the model is not loaded for it.
    @Test func anUnusableBaseIsAnInputFault() {
        do {
            _ = try ModelEvaluation.run(Self.request(model: Self.modelPath, base: "/nonexistent/base.gguf", cache: "/nonexistent/cache"))
            Issue.record("a missing base was accepted")
        } catch .fault(let fault) {
            #expect(fault.exitCode == 65 && fault.description.hasPrefix("/nonexistent/base.gguf"))
        } catch {
            Issue.record("expected an input fault, got \(error)")
        }
    }
}
