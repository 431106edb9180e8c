import ArgumentParser
import CourseContent
import Dispatch
import Foundation
import QuantCore
import Quantizers

struct ModelConvert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Write a copy of a model in another type: one type for every weight matrix, or a llama-quantize mixture.",
        discussion:
            "A single type works like llama-quantize --pure (rows a type's block does not divide fall back as llama-quantize does); q3_k_m, q4_k_m and q5_k_m apply llama-quantize's per-tensor rules. 1-D tensors (norms) stay F32. Quantized types use ggml's reference quantizers, byte for byte (with --imatrix, its importance-weighted ones)."
    )

    @OptionGroup var options: ModelOptions
    @Option(
        help: ArgumentHelp(
            "Target: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, or the mixtures q3_k_m, q4_k_m, q5_k_m.",
            valueName: "type")) var type: String
    @Option(name: .shortAndLong, help: ArgumentHelp("The GGUF file to write.", valueName: "file")) var output: String
    @Option(
        help: ArgumentHelp(
            "An importance matrix (quantlab imatrix or llama-imatrix GGUF) to weight the rounding, as llama-quantize --imatrix does: every quantized type and preset (q8_0 has nothing to weight).",
            valueName: "file")) var imatrix: String?

    func run() throws {
        let preset = LlamaQuantize.Preset(rawValue: type.lowercased())
        let target = TensorType(name: type)
        guard preset != nil || (target.map { GGUFConverter.targets.contains($0) } ?? false) else {
            let names = GGUFConverter.targets.map { $0.description.lowercased() } + LlamaQuantize.Preset.allCases.map(\.rawValue)
            throw fail(.usage("--type must be one of \(names.joined(separator: ", ")), got '\(type)'"))
        }
        var importance: [String: [Float]]?
        if let imatrix {
            guard preset != nil || target.map({ ImportanceMatrix.weightedTypes.contains($0) }) == true else {
                throw fail(
                    .usage(
                        "--imatrix has nothing to weight in --type \(type): its rounding does not use one (weighted types: \(ImportanceMatrix.weightedTypes.map { $0.description.lowercased() }.joined(separator: ", ")) and the presets); drop --imatrix"
                    ))
            }
            do {
                importance = try ImportanceMatrix.load(GGUFFile.open(path: imatrix))
            } catch {
                throw fail(.input("\(error)"))
            }
        }
        let file = try openModelFile(try options.modelPath())
        do {
            let writer =
                try preset.map { try LlamaQuantize.quantize(file, preset: $0, importance: importance) }
                ?? GGUFConverter.convert(file, to: target!, importance: importance)
            try writer.write(to: output)
        } catch {
            throw fail(.input("\(error)"))
        }
        let written = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        Output.write(
            "wrote \(output): \(written) bytes (\(formatBytes(written))), \(preset.map { "llama-quantize mixture \($0.rawValue.uppercased())" } ?? "weight matrices as \(target!)")\n"
        )
    }
}
