import Foundation
import TestSupport
import Testing

@testable import QuantCore

/// The committed reference model against an independent numpy forward pass of the same GGUF
/// (exercises/reference/reference_logits.py wrote the fixture with gguf-py's reader).
@Suite struct ReferenceModelTests {
    static let repository = TestPaths.repository
    static let modelPath = repository.appendingPathComponent(ReferenceModel.relativePath).path

    struct Fixture: Decodable {
        var tokens: [Int32]
        var positions: [Int]
        var logits: [String: [Double]]
        var argmax: [String: Int]
        var mean_nll: Double
    }

    @Test func logitsMatchTheNumpyForwardPass() throws {
        let data = try Data(contentsOf: Self.repository.appendingPathComponent("Tests/QuantCoreTests/Fixtures/reference-logits.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        let file = try GGUFFile.open(path: Self.modelPath)
        let model = try LlamaModel(file: file)
        var cache = model.makeCache()
        let n = fixture.tokens.count
        let logits = try model.forward(fixture.tokens, cache: &cache, logitRows: 0..<n)
        let vocab = model.config.vocabularySize
        var worst = 0.0
        for position in fixture.positions {
            let expected = try #require(fixture.logits[String(position)])
            let row = Array(logits[(position * vocab)..<((position + 1) * vocab)])
            for (a, b) in zip(row, expected) { worst = max(worst, abs(Double(a) - b)) }
            #expect(row.indices.max(by: { row[$0] < row[$1] }) == fixture.argmax[String(position)])
        }
        #expect(worst < 1e-3, "largest logit difference \(worst)")
        // Mean NLL of the 31 next-token predictions.
        var nll = 0.0
        for p in 0..<(n - 1) {
            let row = logits[(p * vocab)..<((p + 1) * vocab)].map(Double.init)
            let m = row.max()!
            nll -= row[Int(fixture.tokens[p + 1])] - m - log(row.reduce(0) { $0 + exp($1 - m) })
        }
        #expect(abs(nll / Double(n - 1) - fixture.mean_nll) < 1e-4)
    }
}
