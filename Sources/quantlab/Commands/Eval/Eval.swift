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
        try EvaluationPrinter.run(options: options, settings: settings, base: base, text: text, ctx: ctx, chunks: chunks, json: json, layerTable: false)
    }
}
