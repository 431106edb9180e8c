import Digests
import Foundation
import QuantCore
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises

@Suite struct ModelMeasurementTests {
    static let modelPath = TestPaths.repository.appendingPathComponent(ReferenceModel.relativePath).path

    static func evaluationText(_ characters: Int) throws -> String {
        String(try String(contentsOf: TestPaths.repository.appendingPathComponent(ReferenceModel.evaluationTextPath), encoding: .utf8).prefix(characters))
    }

    /// The text in chunks of the requested context (default: 256, the reference model's
    /// context), at most `chunks` of them, each opened by the BOS token.
    @Test func setupPlansTheTextInChunks() throws {
        let text = try Self.evaluationText(3000)
        let setup = try ModelMeasurement.setup(modelPath: Self.modelPath, text: text, textPath: "eval.txt", contextLength: 64, chunks: 2)
        #expect(setup.model.config.contextLength == 256 && setup.tokenizer.bosID == 0)
        #expect(setup.plan.chunkCount == 2 && setup.plan.input(chunk: 0).count == 64 && setup.plan.input(chunk: 1).first == 0)
        #expect(setup.textTokens == setup.tokenizer.encode(text, addSpecial: true).count && setup.textTokens > 2 * 64)
        let whole = try ModelMeasurement.setup(modelPath: Self.modelPath, text: text, textPath: "eval.txt")
        #expect(whole.plan.input(chunk: 0).count == 256 && whole.plan.chunkCount == setup.textTokens / 256)
    }

    /// A text shorter than one chunk is a problem of the text, named by its path.
    @Test func aShortTextIsTheTextsProblem() throws {
        do {
            _ = try ModelMeasurement.setup(modelPath: Self.modelPath, text: "Tom ran.", textPath: "short.txt")
            Issue.record("a text of a few tokens was planned")
        } catch let problem as CourseProblem {
            #expect(problem.file == "short.txt" && problem.line == nil)
            #expect(
                problem.message.hasPrefix("the text has ") && problem.message.hasSuffix(" tokens but one chunk needs 256; use a longer text or a smaller --ctx")
            )
        }
    }

    /// The digest that keys caches is the SHA-256 of the file's bytes.
    @Test func theDigestIsTheSHA256OfTheFile() throws {
        var writer = GGUFWriter()
        writer.set("general.architecture", .string("llama"))
        try writer.addTensor(name: "a", shape: [3], floats: [1, 2, 3])
        let bytes = writer.serialize()
        #expect(ModelMeasurement.digest(try GGUFFile(path: "a.gguf", bytes: bytes)) == SHA256.hex(bytes))
        #expect(ModelMeasurement.digest(try GGUFFile(path: "a.gguf", bytes: bytes)).count == 64)
    }
}
