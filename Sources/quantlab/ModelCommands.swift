import ArgumentParser
import CourseContent
import Dispatch
import Exercises
import Foundation
import QuantCore
import Quantizers

/// Exit status for a model or text file that cannot be used (EX_DATAERR).
let dataErrorExit: Int32 = 65

/// Options naming a model: a GGUF file, or the course's reference model.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A llama-family GGUF file. Default: the course's reference model.", valueName: "file"))
    var model: String?

    @Option(help: ArgumentHelp("Worker threads (results are identical for any count). Default: all cores.", valueName: "n"))
    var threads: Int?

    @OptionGroup var course: CourseOptions

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }

    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// The course folder, when one can be found (for the default model and texts).
    func courseRoot() -> URL? {
        try? Course.locateRoot(explicit: course.coursePath, environment: ProcessInfo.processInfo.environment,
                               executable: CommandLine.arguments[0], workingDirectory: FileManager.default.currentDirectoryPath)
    }

    /// A path given on the command line, or the course file at `relative`.
    func resolve(_ given: String?, default relative: String, what: String) throws -> String {
        if let given { return given }
        guard let root = courseRoot() else {
            Output.error("quantlab: cannot find the course folder for the default \(what); pass --course DIR or name the file explicitly")
            throw ExitCode(64)
        }
        return root.appendingPathComponent(relative).path
    }

    func modelPath() throws -> String {
        try resolve(model, default: ReferenceModel.relativePath, what: "model")
    }
}

/// Opens a GGUF file, turning every failure into a message and exit code 65.
func openModelFile(_ path: String) throws -> GGUFFile {
    do {
        return try GGUFFile.open(path: path)
    } catch {
        Output.error("quantlab: \(error)")
        throw ExitCode(dataErrorExit)
    }
}

func loadModel(_ file: GGUFFile) throws -> (LlamaModel, Tokenizer) {
    do {
        let model = try LlamaModel(file: file)
        let tokenizer = try Tokenizer(TokenizerSpec(file: file))
        return (model, tokenizer)
    } catch {
        Output.error("quantlab: \(file.path): \(error)".replacingOccurrences(of: "\(file.path): \(file.path): ", with: "\(file.path): "))
        throw ExitCode(dataErrorExit)
    }
}

/// A text or settings file, read with the course's bounded reader (a regular file, at most 64 MiB,
/// checked before reading), as UTF-8.
func readText(_ path: String) throws -> String {
    do {
        return try BoundedFile.readText(path: path)
    } catch {
        Output.error("quantlab: \(error)")
        throw ExitCode(dataErrorExit)
    }
}

/// The llama-perplexity chunking of a text for a model, or a message naming the text and exit 65.
func makePlan(tokens: [Int32], contextLength: Int, chunks: Int?, tokenizer: Tokenizer, model: LlamaModel, textPath: String) throws -> EvaluationPlan {
    do {
        return try EvaluationPlan(tokens: tokens, contextLength: contextLength, maximumChunks: chunks,
                                  bos: tokenizer.addsBOS ? tokenizer.bosID : nil, modelContext: model.config.contextLength)
    } catch {
        Output.error("quantlab: \(textPath): \(error)")
        throw ExitCode(dataErrorExit)
    }
}

/// What a recipe needs from the course's calibration text (see `CalibrationText`).
func calibrationInputs(_ recipe: QuantizationRecipe, model: LlamaModel, tokenizer: Tokenizer,
                       options: ModelOptions) throws -> (importance: [String: [Float]]?, calibration: CalibrationSet?) {
    try CalibrationText.inputs(for: recipe, path: try options.resolve(nil, default: ReferenceModel.calibrationTextPath, what: "calibration text"),
                               model: model, tokenizer: tokenizer, threads: options.threadCount)
}

/// Runs `body` with the recipe of a settings file. A problem in the file or in applying it is
/// printed with the file's name and ends the command with exit 65.
func withRecipe<T>(_ settings: String, _ body: (QuantizationRecipe) throws -> T) throws -> T {
    try withSettings(settings) { recipe, _ in try body(recipe) }
}

/// withRecipe, with the file's `[evaluation]` options too.
func withSettings<T>(_ settings: String, _ body: (QuantizationRecipe, QuantizationSettings.EvaluationOptions) throws -> T) throws -> T {
    do {
        let (recipe, evaluation) = try QuantizationSettings.parseWithEvaluation(try readText(settings), file: settings)
        return try body(recipe, evaluation)
    } catch let exit as ExitCode {
        throw exit
    } catch let problem as CourseProblem {
        Output.error("quantlab: \(problem)")
        throw ExitCode(dataErrorExit)
    } catch {
        Output.error("quantlab: \(settings): \(error)")
        throw ExitCode(dataErrorExit)
    }
}

func formatBytes(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
    if bytes < 1 << 30 { return String(format: "%.2f MiB", Double(bytes) / 1_048_576) }
    return String(format: "%.2f GiB", Double(bytes) / 1_073_741_824)
}

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect or convert a GGUF model.",
        subcommands: [ModelInfo.self, ModelConvert.self])
}

struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a model's architecture, parameters, tensors (type and exact bytes) and tokenizer.")

    @OptionGroup var options: ModelOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    struct Report: Codable {
        struct TensorRow: Codable { var name: String; var type: String; var shape: [Int]; var bytes: Int }
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
            Output.error("quantlab: \(error)")
            throw ExitCode(dataErrorExit)
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
        lines.append("File         \(file.fileSize) bytes (\(formatBytes(file.fileSize))), GGUF v\(file.version), \(file.metadata.count) metadata keys, \(file.tensors.count) tensors")
        lines.append("Name         \(report.name ?? "(none)")")
        lines.append("Architecture \(config.architecture): \(config.blockCount) blocks, embedding \(config.embeddingLength), FFN \(config.feedForwardLength)")
        lines.append("Attention    \(config.headCount) heads of \(config.headDimension), \(config.headCountKV) KV heads (\(config.headCount / config.headCountKV) queries per KV head), context \(config.contextLength)")
        lines.append("RoPE         base \(config.ropeFreqBase), \(config.ropeDimensionCount) dimensions rotated" + (config.ropeFreqScale != 1 ? ", linear scale \(config.ropeFreqScale)" : ""))
        lines.append("RMSNorm      epsilon \(config.rmsEpsilon)")
        lines.append("Output       " + (config.tiedOutput ? "tied to token_embd.weight" : "separate output.weight"))
        lines.append("Parameters   \(elements) (\(String(format: "%.2f", Double(elements) / 1e6)) M)")
        lines.append("Tensor data  \(tensorBytes) bytes, \(String(format: "%.4f", report.bitsPerWeight)) bits per weight")
        lines.append("Tokenizer    \(spec.model)" + (spec.pre.map { " (pre: \($0))" } ?? "") + ", \(spec.tokens.count) tokens, \(spec.merges?.count ?? 0) merges, BOS \(report.tokenizer["bos"]!), EOS \(report.tokenizer["eos"]!), add BOS \(report.tokenizer["add_bos"]!)")
        lines.append("")
        let nameWidth = max(4, file.tensors.map { $0.name.count }.max() ?? 4)
        lines.append("Name".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  Type  " + "Shape (ggml order)".padding(toLength: 20, withPad: " ", startingAt: 0) + "       Bytes")
        for tensor in file.tensors {
            let shape = tensor.shape.map(String.init).joined(separator: " × ")
            let bytes = String(tensor.byteCount)
            lines.append(tensor.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  "
                + tensor.type.description.padding(toLength: 4, withPad: " ", startingAt: 0) + "  "
                + shape.padding(toLength: 20, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: max(0, 10 - bytes.count)) + bytes)
        }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}

struct ModelConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a copy of a model in another type: one type for every weight matrix, or a llama-quantize mixture.",
        discussion: "A single type works like llama-quantize --pure (rows a type's block does not divide fall back as llama-quantize does); q3_k_m, q4_k_m and q5_k_m apply llama-quantize's per-tensor rules. 1-D tensors (norms) stay F32. Quantized types use ggml's reference quantizers, byte for byte (with --imatrix, its importance-weighted ones).")

    @OptionGroup var options: ModelOptions
    @Option(help: ArgumentHelp("Target: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, or the mixtures q3_k_m, q4_k_m, q5_k_m.", valueName: "type")) var type: String
    @Option(name: .shortAndLong, help: ArgumentHelp("The GGUF file to write.", valueName: "file")) var output: String
    @Option(help: ArgumentHelp("An importance matrix (quantlab imatrix or llama-imatrix GGUF) to weight the rounding, as llama-quantize --imatrix does: every quantized type and preset (q8_0 has nothing to weight).", valueName: "file")) var imatrix: String?

    func run() throws {
        let preset = LlamaQuantize.Preset(rawValue: type.lowercased())
        let target = TensorType(name: type)
        guard preset != nil || (target.map { GGUFConverter.targets.contains($0) } ?? false) else {
            let names = GGUFConverter.targets.map { $0.description.lowercased() } + LlamaQuantize.Preset.allCases.map(\.rawValue)
            Output.error("quantlab: --type must be one of \(names.joined(separator: ", ")), got '\(type)'")
            throw ExitCode(64)
        }
        var importance: [String: [Float]]?
        if let imatrix {
            guard preset != nil || target.map({ ImportanceMatrix.weightedTypes.contains($0) }) == true else {
                Output.error("quantlab: --imatrix has nothing to weight in --type \(type): its rounding does not use one (weighted types: \(ImportanceMatrix.weightedTypes.map { $0.description.lowercased() }.joined(separator: ", ")) and the presets); drop --imatrix")
                throw ExitCode(64)
            }
            do {
                importance = try ImportanceMatrix.load(GGUFFile.open(path: imatrix))
            } catch {
                Output.error("quantlab: \(error)")
                throw ExitCode(dataErrorExit)
            }
        }
        let file = try openModelFile(try options.modelPath())
        do {
            let writer = try preset.map { try LlamaQuantize.quantize(file, preset: $0, importance: importance) } ?? GGUFConverter.convert(file, to: target!, importance: importance)
            try writer.write(to: output)
        } catch {
            Output.error("quantlab: \(error)")
            throw ExitCode(dataErrorExit)
        }
        let written = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        Output.write("wrote \(output): \(written) bytes (\(formatBytes(written))), \(preset.map { "llama-quantize mixture \($0.rawValue.uppercased())" } ?? "weight matrices as \(target!)")\n")
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the model quantized with a settings file (method \"gguf\") as a GGUF that llama.cpp loads.")

    @OptionGroup var options: ModelOptions
    @Option(help: ArgumentHelp("The settings file (TOML).", valueName: "file")) var settings: String
    @Option(name: .customLong("out"), help: ArgumentHelp("The GGUF file to write.", valueName: "file")) var output: String

    func run() throws {
        let file = try openModelFile(try options.modelPath())
        let writer = try withRecipe(settings) { recipe in
            var importance: [String: [Float]]?
            if recipe.importanceMatrix {
                let (model, tokenizer) = try loadModel(file)
                importance = try calibrationInputs(recipe, model: model, tokenizer: tokenizer, options: options).importance
            }
            let writer = try ModelQuantizer.exportGGUF(recipe, from: file, importance: importance)
            try writer.write(to: output)
            return writer
        }
        let bytes = writer.tensors.reduce(0) { $0 + $1.bytes.count }
        let elements = writer.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let counts = Dictionary(grouping: writer.tensors, by: \.type).map { "\($0.value.count) × \($0.key)" }.sorted()
        Output.write("wrote \(output): tensors \(counts.joined(separator: ", ")); \(bytes) bytes of tensor data, \(String(format: "%.4f", Double(bytes * 8) / Double(max(elements, 1)))) bits per weight\n")
    }
}

struct Imatrix: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Collect an importance matrix (mean x² of every block matrix's input columns) from calibration text, as llama-imatrix does.",
        discussion: "Writes llama.cpp's GGUF imatrix format, so both `quantlab model convert --imatrix` and llama-quantize --imatrix read it.")

    @OptionGroup var options: ModelOptions
    @Option(help: ArgumentHelp("Calibration text. Default: the reference calibration split.", valueName: "file")) var text: String?
    @Option(help: ArgumentHelp("Tokens per chunk (default 256).", valueName: "n")) var ctx = 256
    @Option(help: ArgumentHelp("At most this many chunks. Default: all.", valueName: "n")) var chunks: Int?
    @Option(name: .shortAndLong, help: ArgumentHelp("The imatrix file to write.", valueName: "file")) var output: String

    func run() throws {
        let file = try openModelFile(try options.modelPath())
        let (model, tokenizer) = try loadModel(file)
        let textPath = try options.resolve(text, default: ReferenceModel.calibrationTextPath, what: "calibration text")
        let tokens = tokenizer.encode(try readText(textPath), addSpecial: true)
        let plan = try makePlan(tokens: tokens, contextLength: ctx, chunks: chunks, tokenizer: tokenizer, model: model, textPath: textPath)
        let collector: ImportanceCollector
        do {
            collector = try ImportanceCollector.collect(model: model, plan: plan, threads: options.threadCount)
            let name = URL(fileURLWithPath: textPath).lastPathComponent
            try collector.gguf(dataset: name, chunkCount: plan.chunkCount, chunkSize: plan.contextLength).write(to: output)
        } catch {
            Output.error("quantlab: \(error)")
            throw ExitCode(dataErrorExit)
        }
        Output.write("wrote \(output): importance of \(collector.importance.count) matrices from \(plan.chunkCount) chunks of \(plan.contextLength) tokens of \(textPath)\n")
    }
}
