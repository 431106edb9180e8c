import ArgumentParser
import CourseContent
import Dispatch
import Exercises
import Foundation
import QuantCore

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
        let modelPath = try options.modelPath()
        let textPath = try options.resolve(text, default: ReferenceModel.calibrationTextPath, what: "calibration text")
        let body = try readText(textPath)
        let setup = try dataExit(modelPath) {
            try ModelMeasurement.setup(modelPath: modelPath, text: body, textPath: textPath, contextLength: ctx, chunks: chunks)
        }
        let (model, plan) = (setup.model, setup.plan)
        let collector: ImportanceCollector
        do {
            collector = try ImportanceCollector.collect(model: model, plan: plan, threads: options.threadCount)
            let name = URL(fileURLWithPath: textPath).lastPathComponent
            try collector.gguf(dataset: name, chunkCount: plan.chunkCount, chunkSize: plan.contextLength).write(to: output)
        } catch {
            throw fail(.input("\(error)"))
        }
        Output.write(
            "wrote \(output): importance of \(collector.importance.count) matrices from \(plan.chunkCount) chunks of \(plan.contextLength) tokens of \(textPath)\n"
        )
    }
}
