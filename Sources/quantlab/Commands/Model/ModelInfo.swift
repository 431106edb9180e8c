import ArgumentParser
import CourseContent
import Dispatch
import Foundation
import QuantCore
import Quantizers

struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's architecture, parameters, tensors (type and exact bytes) and tokenizer.")

    @OptionGroup var options: ModelOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    struct Report: Codable {
        struct TensorRow: Codable {
            var name: String
            var type: String
            var shape: [Int]
            var bytes: Int
        }
        var path: String
        var fileBytes: Int
        var ggufVersion: Int
        var architecture: String
        var name: String?
        var parameters: Int
        var config: [String: Double]
        var tokenizer: [String: String]
        var tensors: [TensorRow]
        var tensorBytes: Int
        var bitsPerWeight: Double
    }

    func run() throws {
        let path = try options.modelPath()
        let file = try openModelFile(path)
        let config: LlamaConfig
        let spec: TokenizerSpec
        do {
            config = try LlamaConfig(file: file)
            spec = try TokenizerSpec(file: file)
        } catch {
            throw fail(.input("\(error)"))
        }
        let tensorBytes = file.tensors.reduce(0) { $0 + $1.byteCount }
        let elements = file.tensors.reduce(0) { $0 + $1.elementCount }
        let report = Report(
            path: path, fileBytes: file.fileSize, ggufVersion: Int(file.version), architecture: config.architecture,
            name: { if case .string(let s) = file.value("general.name") { s } else { nil } }(),
            parameters: elements,
            config: [
                "block_count": Double(config.blockCount), "embedding_length": Double(config.embeddingLength),
                "feed_forward_length": Double(config.feedForwardLength), "head_count": Double(config.headCount),
                "head_count_kv": Double(config.headCountKV), "head_dimension": Double(config.headDimension),
                "context_length": Double(config.contextLength), "rope_freq_base": Double(config.ropeFreqBase),
                "rope_dimension_count": Double(config.ropeDimensionCount), "rms_epsilon": Double(config.rmsEpsilon),
                "vocab_size": Double(config.vocabularySize), "tied_output": config.tiedOutput ? 1 : 0,
            ],
            tokenizer: [
                "model": spec.model, "pre": spec.pre ?? "(none)", "tokens": "\(spec.tokens.count)",
                "merges": "\(spec.merges?.count ?? 0)",
                "bos": spec.bosID.map { "\($0)" } ?? "(none)", "eos": spec.eosID.map { "\($0)" } ?? "(none)",
                "add_bos": spec.addBOS.map { "\($0)" } ?? "(default)",
            ],
            tensors: file.tensors.map { .init(name: $0.name, type: $0.type.description, shape: $0.shape, bytes: $0.byteCount) },
            tensorBytes: tensorBytes,
            bitsPerWeight: Double(tensorBytes) * 8 / Double(max(elements, 1)))
        if json {
            Output.write(try JSON.encode(report) + "\n")
            return
        }
        var lines: [String] = []
        lines.append("Model        \(path)")
        lines.append(
            "File         \(file.fileSize) bytes (\(formatBytes(file.fileSize))), GGUF v\(file.version), \(file.metadata.count) metadata keys, \(file.tensors.count) tensors"
        )
        lines.append("Name         \(report.name ?? "(none)")")
        lines.append("Architecture \(config.architecture): \(config.blockCount) blocks, embedding \(config.embeddingLength), FFN \(config.feedForwardLength)")
        lines.append(
            "Attention    \(config.headCount) heads of \(config.headDimension), \(config.headCountKV) KV heads (\(config.headCount / config.headCountKV) queries per KV head), context \(config.contextLength)"
        )
        lines.append(
            "RoPE         base \(config.ropeFreqBase), \(config.ropeDimensionCount) dimensions rotated"
                + (config.ropeFreqScale != 1 ? ", linear scale \(config.ropeFreqScale)" : ""))
        lines.append("RMSNorm      epsilon \(config.rmsEpsilon)")
        lines.append("Output       " + (config.tiedOutput ? "tied to token_embd.weight" : "separate output.weight"))
        lines.append("Parameters   \(elements) (\(String(format: "%.2f", Double(elements) / 1e6)) M)")
        lines.append("Tensor data  \(tensorBytes) bytes, \(String(format: "%.4f", report.bitsPerWeight)) bits per weight")
        lines.append(
            "Tokenizer    \(spec.model)" + (spec.pre.map { " (pre: \($0))" } ?? "")
                + ", \(spec.tokens.count) tokens, \(spec.merges?.count ?? 0) merges, BOS \(report.tokenizer["bos"]!), EOS \(report.tokenizer["eos"]!), add BOS \(report.tokenizer["add_bos"]!)"
        )
        lines.append("")
        let nameWidth = max(4, file.tensors.map { $0.name.count }.max() ?? 4)
        lines.append(
            "Name".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  Type  "
                + "Shape (ggml order)".padding(toLength: 20, withPad: " ", startingAt: 0) + "       Bytes")
        for tensor in file.tensors {
            let shape = tensor.shape.map(String.init).joined(separator: " × ")
            let bytes = String(tensor.byteCount)
            lines.append(
                tensor.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                    + tensor.type.description.padding(toLength: 4, withPad: " ", startingAt: 0) + "  "
                    + shape.padding(toLength: 20, withPad: " ", startingAt: 0) + "  "
                    + String(repeating: " ", count: max(0, 10 - bytes.count)) + bytes)
        }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}
