import ArgumentParser
import Foundation
import QuantCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (build with -c release).",
        subcommands: [BenchKernels.self])
}

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Quantize, dequantize and dot throughput per format, as llama.cpp's test-quantize-perf reports it.",
        discussion: "Cycles per 32 values are the minimum over the repeats (rdtsc); GB/s counts the bytes each operation reads. Compare formats within one run.")

    @Option(help: ArgumentHelp("Only this type (q8_0 or q4_0). Default: both.", valueName: "type")) var type: String?
    @Option(help: ArgumentHelp("Values per operation, a multiple of 32 (default 4096, about L1/L2-resident).", valueName: "n")) var size = 4096
    @Flag(help: "Print JSON for scripts.") var json = false

    func validate() throws {
        guard size >= 32, size % 32 == 0, size <= 1 << 26 else { throw ValidationError("--size must be a multiple of 32 between 32 and 67108864, got \(size)") }
    }

    func run() throws {
        var types = DotKernels.types
        if let type {
            guard let chosen = TensorType(name: type), DotKernels.types.contains(chosen) else {
                Output.error("quantlab: --type must be one of \(DotKernels.types.map { $0.description.lowercased() }.joined(separator: ", ")), got '\(type)'")
                throw ExitCode(64)
            }
            types = [chosen]
        }
        let benchmark = KernelBenchmark(count: size)
        let rows = try types.flatMap { try benchmark.run($0) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            Output.write(String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n")
            return
        }
        var lines = ["\(size) values per operation; AVX2 kernels: \(DotKernels.vectorised ? "yes" : "no (scalar only)")",
                     "type  operation               cycles/32 values      GB/s"]
        for row in rows {
            lines.append(row.type.padding(toLength: 6, withPad: " ", startingAt: 0)
                + row.operation.padding(toLength: 24, withPad: " ", startingAt: 0)
                + String(format: "%16.2f  %8.2f", row.cyclesPer32, row.gigabytesPerSecond))
        }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}
