import ArgumentParser
import CourseContent
import Digests
import Dispatch
import Exercises
import Foundation
import QuantCore
import Quantizers

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure perplexity the way llama-perplexity does, and KL divergence against a base model.",
        discussion: """
            The text is tokenized (with BOS when the model adds one) and cut into chunks of --ctx tokens; \
            each chunk starts with BOS and is scored on its second half. With --base, the base model's \
            log-probabilities are computed once, cached (keyed by the SHA-256 of the base file and of the \
            tokens), and compared: PPL(Q)/PPL(base), KL divergence, same-top-token rate, RMS Δp.
            """)

    @OptionGroup var options: ModelOptions
    @Option(
        help: ArgumentHelp(
            "A base GGUF to compare against (same tokenizer and vocabulary). Default with --settings: the unquantized model itself.", valueName: "file"))
    var base: String?
    @Option(
        help: ArgumentHelp(
            "Quantize the model with these settings (TOML: method rtn, gguf, awq, bnb_4bit, bnb_int8 or dynamic_int8) before evaluating; prints the exact memory.",
            valueName: "file")) var settings: String?
    @Option(help: ArgumentHelp("The text to evaluate. Default: the reference evaluation split.", valueName: "file")) var text: String?
    @Option(help: ArgumentHelp("Tokens per chunk. Default: 256, or the model's context if smaller.", valueName: "n")) var ctx: Int?
    @Option(help: ArgumentHelp("Evaluate at most this many chunks. Default: all full chunks.", valueName: "n")) var chunks: Int?
    @Flag(help: "Print JSON for scripts.") var json = false

    func validate() throws {
        if let ctx, ctx < 4 { throw ValidationError("--ctx must be at least 4, got \(ctx)") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1, got \(chunks)") }
    }

    func run() throws {
        try Self.evaluate(options: options, settings: settings, base: base, text: text, ctx: ctx, chunks: chunks, json: json, layerTable: false)
    }

    /// eval, and quantize (which adds the per-layer table of a calibration method): the
    /// `ModelMeasurement` pipeline, printed.
    static func evaluate(
        options: ModelOptions, settings: String?, base: String?, text: String?, ctx: Int?, chunks: Int?,
        json: Bool, layerTable: Bool
    ) throws {
        let modelPath = try options.modelPath()
        let textPath = try options.resolve(text, default: ReferenceModel.evaluationTextPath, what: "evaluation text")
        var ctx = ctx
        var chunks = chunks
        var recipe: QuantizationRecipe?
        if let settings {
            recipe = try withSettings(settings) { recipe, evaluation in
                // [evaluation] in the settings file, unless --ctx or --chunks say otherwise.
                ctx = ctx ?? evaluation.context
                chunks = chunks ?? evaluation.chunks
                return recipe
            }
        }
        let body = try readText(textPath)
        let setup = try dataExit(modelPath) {
            try ModelMeasurement.setup(modelPath: modelPath, text: body, textPath: textPath, contextLength: ctx, chunks: chunks)
        }
        let plan = setup.plan
        let threads = options.threadCount
        var quantized: ModelMeasurement.Quantized?
        var projected: [(ModelShape, (bytes: Int, parameters: Int, bitsPerWeight: Double))] = []
        if let recipe, let settings {
            let calibrationPath = try options.resolve(nil, default: ReferenceModel.calibrationTextPath, what: "calibration text")
            quantized = try dataExit(settings) { try ModelMeasurement.quantize(recipe, setup, calibrationPath: calibrationPath, threads: threads) }
            projected = [ModelShape.llama2_7B, .llama2_70B].map { ($0, MemoryProjection.project(recipe, onto: $0)) }
        }
        let model = quantized?.model ?? setup.model
        let memory = quantized?.memory
        let calibrated = quantized?.calibrated
        let quantizationSeconds = quantized?.seconds
        let base = base ?? (settings != nil ? modelPath : nil)
        if !json {
            Output.write(
                "model: \(modelPath)\ntext: \(textPath): \(setup.textTokens) tokens; \(plan.chunkCount) chunks of \(plan.contextLength), \(plan.scoredTotal) tokens scored\n"
            )
            if let memory, let settings {
                let methods = Dictionary(grouping: memory.rows, by: \.method).map { method, rows in
                    "\(method): \(rows.count) tensors, \(rows.reduce(0) { $0 + $1.bytes }) bytes"
                }.sorted()
                Output.write(
                    "settings: \(settings)\n  " + methods.joined(separator: "\n  ")
                        + "\n  total \(memory.totalBytes) bytes of tensor data, \(String(format: "%.4f", memory.bitsPerWeight)) bits per weight (exact, scales and zero points included)\n"
                        + projected.map { shape, p in
                            "  the same recipe on \(shape.name): \(p.bytes) bytes (\(String(format: "%.2f", Double(p.bytes) / 1e9)) GB), \(String(format: "%.3f", p.bitsPerWeight)) bits per weight (unquantized tensors F16)\n"
                        }.joined())
                Output.write("  quantized in \(f(quantizationSeconds ?? 0, 2)) s\(calibrated.map { ", \($0.calibrationTokens) calibration tokens" } ?? "")\n")
            }
            if layerTable, let calibrated {
                Output.write(LayerReport.table(calibrated.layers))
            }
        }

        var baseSetup: ModelMeasurement.Setup?
        if let base {
            let other =
                base == modelPath
                ? setup
                : try dataExit(base) {
                    try ModelMeasurement.setup(modelPath: base, text: body, textPath: textPath, contextLength: plan.contextLength, chunks: chunks)
                }
            guard other.model.config.vocabularySize == model.config.vocabularySize, other.plan == plan else {
                throw fail(.input("\(base): the base model's tokenizer differs from the model's; KL divergence needs the same vocabulary and tokens"))
            }
            baseSetup = other
        }

        let start = DispatchTime.now()
        var accumulator = PerplexityAccumulator()
        var divergence: DivergenceStatistics?
        var baseCached: Bool?
        do {
            if let base, let baseSetup {
                let compared = try ModelMeasurement.divergence(
                    model, base: baseSetup.model, baseDigest: ModelMeasurement.digest(baseSetup.file), plan: plan,
                    cacheDirectory: BaseLogitsCache.defaultDirectory(), threads: threads)
                (divergence, baseCached) = (compared.statistics, compared.baseCached)
                if !json { Output.write("base: \(base) (log-probabilities \(compared.baseCached ? "from the cache" : "computed and cached"))\n") }
            } else {
                accumulator = try Evaluation.perplexity(model: model, plan: plan, threads: threads) { chunk, running in
                    if !json { Output.write("[\(chunk)]\(String(format: "%.4f", running.perplexity)),") }
                }
                if !json { Output.write("\n") }
            }
        } catch {
            Output.error("quantlab: \(error)")
            throw ExitCode(1)
        }
        let elapsed = seconds(since: start)
        let activity = model.activationStatistics.snapshot
        var outlierFraction: Double?
        if case .llmInt8? = model.activationScheme, activity.columns > 0 {
            outlierFraction = Double(activity.outlierColumns) / Double(activity.columns)
        }
        let speed = Double(plan.chunkCount * plan.contextLength) / elapsed
        let perplexity = divergence?.perplexity ?? accumulator.perplexity
        let report = EvaluationReport(
            model: modelPath, text: textPath, textTokens: setup.textTokens, contextLength: plan.contextLength,
            chunks: plan.chunkCount, scoredTokens: plan.scoredTotal, perplexity: perplexity,
            perplexityError: divergence == nil ? accumulator.perplexityError : nil,
            divergence: divergence, base: base, baseCached: baseCached,
            settings: settings, quantizedBytes: memory?.totalBytes, bitsPerWeight: memory?.bitsPerWeight,
            projected: projected.isEmpty ? nil : Dictionary(uniqueKeysWithValues: projected.map { ($0.0.name, $0.1.bytes) }),
            outlierColumnFraction: outlierFraction, quantizationSeconds: quantizationSeconds,
            calibrationTokens: calibrated?.calibrationTokens, layers: calibrated?.layers,
            tokensPerSecond: speed, threads: threads)
        if json {
            Output.write(try JSON.encode(report) + "\n")
            return
        }
        if let d = divergence {
            Output.write(d.llamaPerplexityText)
        } else {
            Output.write("Final estimate: PPL = \(f(accumulator.perplexity, 4)) +/- \(f(accumulator.perplexityError, 5))\n")
        }
        if let outlierFraction {
            Output.write(
                "LLM.int8(): \(activity.outlierColumns) of \(activity.columns) input columns (\(String(format: "%.3f", outlierFraction * 100)) %) over \(activity.calls) matrix products took the 16-bit path\n"
            )
        }
        Output.write(
            "speed: \(String(format: "%.0f", speed)) tokens/s (\(plan.chunkCount) chunks × \(plan.contextLength) tokens in \(f(elapsed, 2)) s, \(threads) threads)\n"
        )
    }

    private static func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

}
