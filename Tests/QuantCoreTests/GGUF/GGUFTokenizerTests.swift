import Foundation
import TestSupport
import Testing

@testable import QuantCore

/// The tokenizer a GGUF file describes: the reference model's encodes the evaluation text as the
/// fixture (from the model's Hugging Face tokenizer) says.
@Suite struct GGUFTokenizerTests {
    @Test func tokenizerFromTheGGUFEncodesTheEvaluationTextAsTheFixtureSays() throws {
        let fixture = try JSONDecoder().decode(
            ReferenceModelTests.Fixture.self,
            from: Data(contentsOf: TestPaths.repository.appendingPathComponent("Tests/QuantCoreTests/Fixtures/reference-logits.json")))
        let file = try GGUFFile.open(path: ReferenceModelTests.modelPath)
        let tokenizer = try Tokenizer(TokenizerSpec(file: file))
        let text = try String(contentsOf: TestPaths.repository.appendingPathComponent(ReferenceModel.evaluationTextPath), encoding: .utf8)
        let ids = tokenizer.encode(String(text.prefix(2000)), addSpecial: true)
        #expect(Array(ids.prefix(fixture.tokens.count)) == fixture.tokens)
        #expect(tokenizer.addsBOS && tokenizer.bosID == 0 && tokenizer.eosID == 1)
    }
}
