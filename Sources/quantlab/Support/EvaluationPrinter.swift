import ArgumentParser
import CourseContent
import Exercises
import Foundation
import QuantCore
import Quantizers

/// The printing shared by `eval` and `quantize`: `ModelEvaluation.run` (Exercises) does the
/// work; this prints its progress and report as llama-perplexity would, or the JSON report.
enum EvaluationPrinter {
    static func run(options: ModelOptions, settings: String?, base: String?, text: String?, ctx: Int?, chunks: Int?, json: Bool, layerTable: Bool) throws {
        let request = ModelEvaluation.Request(
            modelPath: try options.modelPath(), textPath: try options.resolve(text, default: ReferenceModel.evaluationTextPath, what: "evaluation text"),
            settingsPath: settings, basePath: base, contextLength: ctx, chunks: chunks,
            calibrationPath: try options.resolve(nil, default: ReferenceModel.calibrationTextPath, what: "calibration text"),
            cacheDirectory: BaseLogitsCache.defaultDirectory(), threads: options.threadCount)
        let outcome: ModelEvaluation.Outcome
        do {
            outcome = try ModelEvaluation.run(request) { event in if !json { printEvent(event, request: request, layerTable: layerTable) } }
        } catch .fault(let fault) {
            throw fail(fault)
        } catch .failed(let message) {
            Output.error("quantlab: \(message)")
            throw ExitCode(1)
        }
        let report = outcome.report
        if json {
            Output.write(try JSON.encode(report) + "\n")
            return
        }
        if let d = report.divergence {
            Output.write(d.llamaPerplexityText)
        } else {
            Output.write("\nFinal estimate: PPL = \(f(report.perplexity, 4)) +/- \(f(report.perplexityError ?? 0, 5))\n")
        }
        if let activity = outcome.activity, let fraction = report.outlierColumnFraction {
            Output.write(
                "LLM.int8(): \(activity.outlierColumns) of \(activity.columns) input columns (\(f(fraction * 100, 3)) %) over \(activity.calls) matrix products took the 16-bit path\n"
            )
        }
        Output.write(
            "speed: \(f(report.tokensPerSecond, 0)) tokens/s (\(report.chunks) chunks × \(report.contextLength) tokens in \(f(outcome.seconds, 2)) s, \(report.threads) threads)\n"
        )
    }

    private static func printEvent(_ event: ModelEvaluation.Event, request: ModelEvaluation.Request, layerTable: Bool) {
        switch event {
        case .planned(let textTokens, let plan):
            Output.write(
                "model: \(request.modelPath)\ntext: \(request.textPath): \(textTokens) tokens; \(plan.chunkCount) chunks of \(plan.contextLength), \(plan.scoredTotal) tokens scored\n"
            )
        case .quantized(let quantized, let projected):
            let memory = quantized.memory
            let methods = Dictionary(grouping: memory.rows, by: \.method).map { method, rows in
                "\(method): \(rows.count) tensors, \(rows.reduce(0) { $0 + $1.bytes }) bytes"
            }.sorted()
            Output.write(
                "settings: \(request.settingsPath ?? "")\n  " + methods.joined(separator: "\n  ")
                    + "\n  total \(memory.totalBytes) bytes of tensor data, \(f(memory.bitsPerWeight, 4)) bits per weight (exact, scales and zero points included)\n"
                    + projected.map { p in
                        "  the same recipe on \(p.shape.name): \(p.bytes) bytes (\(f(Double(p.bytes) / 1e9, 2)) GB), \(f(p.bitsPerWeight, 3)) bits per weight (unquantized tensors F16)\n"
                    }.joined())
            Output.write("  quantized in \(f(quantized.seconds, 2)) s\(quantized.calibrated.map { ", \($0.calibrationTokens) calibration tokens" } ?? "")\n")
            if layerTable, let calibrated = quantized.calibrated {
                Output.write(LayerReport.table(calibrated.layers))
            }
        case .baseReady(let cached):
            Output.write("base: \(request.basePath ?? "") (log-probabilities \(cached ? "from the cache" : "computed and cached"))\n")
        case .chunk(let chunk, let perplexity):
            Output.write("[\(chunk)]\(f(perplexity, 4)),")
        }
    }

    private static func f(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
}
