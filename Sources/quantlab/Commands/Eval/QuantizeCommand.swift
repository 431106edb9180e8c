import ArgumentParser
import CourseContent
import Dispatch
import Foundation
import QuantCore
import Quantizers

struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize the model with a settings file and report each matrix's error against round-to-nearest, then the model-level metrics.",
        discussion:
            "For GPTQ and AWQ the table compares each matrix's output error on the calibration inputs with RTN on the same grid; every method then gets eval's perplexity, KL divergence against the unquantized model, exact memory and the time quantization took."
    )

    @OptionGroup var options: ModelOptions
    @Option(help: ArgumentHelp("The settings file (TOML).", valueName: "file")) var settings: String
    @Option(help: ArgumentHelp("The text to evaluate. Default: the reference evaluation split.", valueName: "file")) var text: String?
    @Option(help: ArgumentHelp("Evaluate at most this many chunks. Default: all full chunks.", valueName: "n")) var chunks: Int?
    @Flag(help: "Print JSON for scripts.") var json = false

    func validate() throws {
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be at least 1, got \(chunks)") }
    }

    func run() throws {
        try EvaluationPrinter.run(options: options, settings: settings, base: nil, text: text, ctx: nil, chunks: chunks, json: json, layerTable: true)
    }
}
