import Foundation
import QuantCore
import Quantizers
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises

@Suite struct CalibrationTextTests {
    static func reference() throws -> (LlamaModel, Tokenizer) {
        let file = try GGUFFile.open(path: TestPaths.repository.appendingPathComponent(ReferenceModel.relativePath).path)
        return (try LlamaModel(file: file), try Tokenizer(TokenizerSpec(file: file)))
    }

    /// A recipe that needs neither an importance matrix nor calibration windows does not read the
    /// text at all: a path that does not exist is no problem.
    @Test func aRecipeWithoutCalibrationReadsNothing() throws {
        let (model, tokenizer) = try Self.reference()
        let recipe = try QuantizationSettings.parse("method = \"rtn\"\nbits = 4\n", file: "s.toml")
        let inputs = try CalibrationText.inputs(for: recipe, path: "/nonexistent/calibration.txt", model: model, tokenizer: tokenizer, threads: 1)
        #expect(inputs.importance == nil && inputs.calibration == nil)
    }

    /// GPTQ's windows: `samples` windows of `seq_len` tokens, each starting with the BOS token
    /// (id 0 in the reference tokenizer), and no importance matrix.
    @Test func gptqGetsItsWindows() throws {
        let (model, tokenizer) = try Self.reference()
        let recipe = try QuantizationSettings.parse("method = \"gptq\"\nbits = 4\ngroup_size = 64\nsamples = 3\nseq_len = 32\n", file: "s.toml")
        let path = TestPaths.repository.appendingPathComponent(ReferenceModel.calibrationTextPath).path
        let inputs = try CalibrationText.inputs(for: recipe, path: path, model: model, tokenizer: tokenizer, threads: 2)
        let calibration = try #require(inputs.calibration)
        #expect(inputs.importance == nil)
        #expect(calibration.sequences.count == 3 && calibration.sequences.allSatisfy { $0.count == 32 && $0[0] == 0 })
        #expect(calibration.tokenCount == 96)
    }

    /// `imatrix = true`: one importance vector per block matrix (4 blocks × 7), as long as the
    /// matrix's rows: 192 inputs, 512 for ffn_down.
    @Test func anImportanceMatrixCoversEveryBlockMatrix() throws {
        let (model, tokenizer) = try Self.reference()
        let dir = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A short text (about 950 tokens: three 256-token chunks), so that the debug build stays quick.
        let full = try String(contentsOf: TestPaths.repository.appendingPathComponent(ReferenceModel.calibrationTextPath), encoding: .utf8)
        let text = dir.appendingPathComponent("short.txt")
        try String(full.prefix(3000)).write(to: text, atomically: true, encoding: .utf8)
        let recipe = try QuantizationSettings.parse("method = \"gguf\"\ntype = \"q4_0\"\nimatrix = true\n", file: "s.toml")
        let inputs = try CalibrationText.inputs(for: recipe, path: text.path, model: model, tokenizer: tokenizer, threads: 2)
        let importance = try #require(inputs.importance)
        #expect(inputs.calibration == nil)
        #expect(importance.count == 28)
        #expect(importance["blk.0.attn_q.weight"]?.count == 192 && importance["blk.3.ffn_down.weight"]?.count == 512)
        #expect(importance.values.allSatisfy { $0.allSatisfy { $0 >= 0 } && $0.contains { $0 > 0 } })
    }

    @Test func aMissingTextIsAProblemNamingIt() throws {
        let (model, tokenizer) = try Self.reference()
        let recipe = try QuantizationSettings.parse("method = \"awq\"\nq_group_size = 64\n", file: "s.toml")
        #expect(throws: CourseProblem(file: "/nonexistent/calibration.txt", line: nil, message: "cannot read text file: No such file or directory")) {
            try CalibrationText.inputs(for: recipe, path: "/nonexistent/calibration.txt", model: model, tokenizer: tokenizer, threads: 1)
        }
    }
}
