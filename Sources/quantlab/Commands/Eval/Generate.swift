import ArgumentParser
import CourseContent
import Dispatch
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Continue a prompt greedily (always the most likely token), for a qualitative look.")

    @OptionGroup var options: ModelOptions
    @Option(help: ArgumentHelp("The text to continue.", valueName: "text")) var prompt: String
    @Option(help: ArgumentHelp("How many tokens to generate (1–4096). Stops early at end of text or a full context.", valueName: "n")) var tokens = 64

    func validate() throws {
        if !(1...4096).contains(tokens) { throw ValidationError("--tokens must be between 1 and 4096, got \(tokens)") }
    }

    func run() throws {
        let file = try openModelFile(try options.modelPath())
        let (model, tokenizer) = try loadModel(file)
        var ids = tokenizer.encode(prompt, addSpecial: true)
        guard !ids.isEmpty else {
            throw fail(.usage("the prompt produced no tokens; give some text"))
        }
        let capacity = model.config.contextLength
        guard ids.count < capacity else {
            throw fail(.usage("the prompt has \(ids.count) tokens; the model's context holds \(capacity)"))
        }
        // The cache holds only what this run can use: the prompt and the tokens asked for.
        var cache = model.makeCache(capacity: min(capacity, ids.count + tokens))
        Output.write(prompt)
        var pending: [UInt8] = []
        var batch = ids
        for _ in 0..<tokens {
            guard cache.count + batch.count <= capacity else { break }
            let logits: [Float]
            do {
                logits = try model.forward(batch, cache: &cache, threads: options.threadCount)
            } catch {
                Output.error("quantlab: \(error)")
                throw ExitCode(1)
            }
            var best = 0
            for v in 1..<logits.count where logits[v] > logits[best] { best = v }
            let next = Int32(best)
            if next == tokenizer.eosID { break }
            ids.append(next)
            pending += tokenizer.pieceBytes(next)
            // Print whole UTF-8 characters only; a piece may end inside one.
            if let text = String(validating: pending, as: UTF8.self) {
                Output.write(text)
                pending.removeAll()
            }
            batch = [next]
        }
        if !pending.isEmpty { Output.write(String(decoding: pending, as: UTF8.self)) }
        Output.write("\n")
    }
}
