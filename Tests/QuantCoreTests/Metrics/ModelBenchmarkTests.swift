import Testing

@testable import QuantCore

@Suite struct ModelBenchmarkTests {
    /// llama-bench's two tests, named as it names them; against itself a model is 1.00× F16
    /// exactly (one set of timings serves both columns), and a test of 0 tokens is skipped.
    @Test func testsAreNamedAndAModelAgainstItselfIsOnePointZero() throws {
        let model = LlamaModel(config: TinyModel.config, weights: TinyModel.weights())
        let rows = try ModelBenchmark(promptTokens: 8, generatedTokens: 3, repeats: 2, threads: 1).run(model, f16: model)
        #expect(rows.map(\.test) == ["pp8", "tg3"])
        for row in rows {
            #expect(row.tokensPerSecond > 0 && row.speedupOverF16 == 1 && row.f16StandardDeviation == row.standardDeviation)
        }
        #expect(try ModelBenchmark(promptTokens: 0, generatedTokens: 2, repeats: 1, threads: 1).run(model, f16: model).map(\.test) == ["tg2"])
    }

    @Test func meanAndSampleDeviation() {
        #expect(ModelBenchmark.meanAndDeviation([1, 2, 3]) == (2, 1))
        #expect(ModelBenchmark.meanAndDeviation([4]) == (4, 0))
    }

    /// The test tokens are a fixed sequence inside the vocabulary.
    @Test func tokensAreFixedAndInTheVocabulary() {
        let tokens = ModelBenchmark.tokens(100, vocabulary: 11)
        #expect(tokens == ModelBenchmark.tokens(100, vocabulary: 11))
        #expect(tokens.allSatisfy { (0..<11).contains($0) } && Set(tokens).count == 11)
    }
}
