import ArgumentParser
import Dispatch
import Exercises
import Foundation
import QuantCore
import Quantizers

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
                importance = try CalibrationText.inputs(
                    for: recipe, path: try options.resolve(nil, default: ReferenceModel.calibrationTextPath, what: "calibration text"),
                    model: model, tokenizer: tokenizer, threads: options.threadCount
                ).importance
            }
            let writer = try ModelQuantizer.exportGGUF(recipe, from: file, importance: importance)
            try writer.write(to: output)
            return writer
        }
        let bytes = writer.tensors.reduce(0) { $0 + $1.bytes.count }
        let elements = writer.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) }
        let counts = Dictionary(grouping: writer.tensors, by: \.type).map { "\($0.value.count) × \($0.key)" }.sorted()
        Output.write(
            "wrote \(output): tensors \(counts.joined(separator: ", ")); \(bytes) bytes of tensor data, \(String(format: "%.4f", Double(bytes * 8) / Double(max(elements, 1)))) bits per weight\n"
        )
    }
}
