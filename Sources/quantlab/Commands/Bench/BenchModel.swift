import ArgumentParser
import CourseContent
import Foundation
import QuantCore

struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "llama-bench's prompt-processing and generation tests on a whole model, with the same model in F16 timed in the same run.",
        discussion:
            "pp<p>: one batch of p tokens from an empty cache; tg<n>: n tokens one at a time. Each test warms up once, then the model and its F16 twin alternate for -r repeats; tokens/s are mean ± standard deviation (wall time). A model that is not F16 gets its F16 twin converted in memory (its size is printed) unless --base names one. All figures are timed."
    )

    @OptionGroup var options: ModelOptions
    @Option(name: [.customShort("p"), .long], help: ArgumentHelp("Prompt tokens (pp test; 0 skips it).", valueName: "n")) var prompt = 512
    @Option(name: [.customShort("n"), .long], help: ArgumentHelp("Generated tokens (tg test; 0 skips it).", valueName: "n")) var generate = 128
    @Option(name: [.customShort("r"), .long], help: ArgumentHelp("Repeats of each test.", valueName: "n")) var repeats = 3
    @Option(help: ArgumentHelp("The F16 model to compare with. Default: the model converted to F16 in memory.", valueName: "file")) var base: String?
    @Flag(help: "Print JSON for scripts.") var json = false

    func validate() throws {
        guard (0...16384).contains(prompt), (0...16384).contains(generate), prompt + generate > 0 else {
            throw ValidationError("-p and -n must be between 0 and 16384, and not both 0; got \(prompt) and \(generate)")
        }
        guard (1...100).contains(repeats) else { throw ValidationError("-r must be between 1 and 100, got \(repeats)") }
    }

    func run() throws {
        let path = try options.modelPath()
        let file = try openModelFile(path)
        let (model, _) = try loadModel(file)
        let twin: LlamaModel
        var note = "F16: the model itself"
        if let base {
            twin = try loadModel(try openModelFile(base)).0
            note = "F16: \(base)"
        } else if file.tensors.allSatisfy({ $0.shape.count < 2 || $0.type == .f16 }) {
            twin = model
        } else {
            let image = try dataExit(path) { try GGUFConverter.convert(file, to: .f16).serialize() }
            twin = try loadModel(try dataExit(path) { try GGUFFile(path: path + " (F16)", bytes: image) }).0
            note = "F16: converted in memory, \(formatBytes(twin.weightBytes)) of weights"
        }
        guard twin.config.vocabularySize == model.config.vocabularySize, twin.config.embeddingLength == model.config.embeddingLength else {
            throw fail(.input("\(base ?? path): not the same architecture as \(path); the F16 comparison needs the same shapes"))
        }
        let rows: [ModelBenchmark.Row]
        do {
            rows = try ModelBenchmark(promptTokens: prompt, generatedTokens: generate, repeats: repeats, threads: options.threadCount).run(model, f16: twin)
        } catch {
            throw fail(.input("\(path): \(error)"))
        }
        if json {
            Output.write(try JSON.encode(rows) + "\n")
            return
        }
        let name = (path as NSString).lastPathComponent
        let size = formatBytes(file.fileSize)
        let params = String(format: "%.2f M", Double(model.config.parameterCount) / 1e6)
        var lines = [
            "timed on this machine (wall time, \(repeats) repeats after a warm-up); \(note); kernels: \(KernelPath.current.rawValue)",
            "| model | size | params | threads | test | t/s | F16 t/s | ×F16 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows {
            lines.append(
                "| \(name) | \(size) | \(params) | \(options.threadCount) | \(r.test) | "
                    + String(
                        format: "%.2f ± %.2f | %.2f ± %.2f | %.2f |", r.tokensPerSecond, r.standardDeviation, r.f16TokensPerSecond, r.f16StandardDeviation,
                        r.speedupOverF16))
        }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}
