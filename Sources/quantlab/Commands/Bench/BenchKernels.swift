import ArgumentParser
import CourseContent
import Foundation
import QuantCore

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Quantize, dequantize and dot throughput per format, as llama.cpp's test-quantize-perf reports it.",
        discussion: "Cycles per 32 values are the minimum over the repeats (rdtsc); GB/s counts the bytes each operation reads. Compare formats within one run."
    )

    @Option(help: ArgumentHelp("Only this weight type (f16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k … q6_k, iq4_nl). Default: all of them.", valueName: "type"))
    var type: String?
    @Option(
        help: ArgumentHelp(
            "Values per operation, a multiple of the type's block (32, or 256 for the K-quants and for all types together; default 4096, about L1/L2-resident).",
            valueName: "n")) var size = 4096
    @Flag(help: "Print JSON for scripts.") var json = false

    func validate() throws {
        guard size >= 32, size % 32 == 0, size <= 1 << 26 else { throw ValidationError("--size must be a multiple of 32 between 32 and 67108864, got \(size)") }
    }

    func run() throws {
        var types = DotKernels.types
        if let type {
            guard let chosen = TensorType(name: type), DotKernels.types.contains(chosen) else {
                throw fail(.usage("--type must be one of \(DotKernels.types.map { $0.description.lowercased() }.joined(separator: ", ")), got '\(type)'"))
            }
            types = [chosen]
        }
        for type in types where size % type.format.blockSize != 0 {
            throw fail(.usage("--size \(size) is not a multiple of \(type)'s \(type.format.blockSize)-value block; use a multiple of \(type.format.blockSize)"))
        }
        let benchmark = KernelBenchmark(count: size)
        let rows = try types.flatMap { try benchmark.run($0) }
        if json {
            Output.write(try JSON.encode(rows) + "\n")
            return
        }
        var lines = [
            "\(size) values per operation; row dot products: \(DotKernels.vectorised ? "AVX2" : "scalar only"); tiled products (gemv, gemm): every path this CPU has, \(KernelPath.current.rawValue) by default",
            "type    operation                           cycles/32 values      GB/s",
        ]
        for path in KernelPath.allCases where !path.isAvailable {
            lines.insert("skipped: the \(path.rawValue) path (this CPU lacks its instructions)", at: 1)
        }
        for row in rows {
            lines.append(
                row.type.padding(toLength: 8, withPad: " ", startingAt: 0)
                    + row.operation.padding(toLength: 36, withPad: " ", startingAt: 0)
                    + String(format: "%16.2f  %8.2f", row.cyclesPer32, row.gigabytesPerSecond))
        }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}
