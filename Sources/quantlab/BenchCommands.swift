import ArgumentParser
import CourseContent
import Foundation
import QuantCore

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (build with -c release).",
        subcommands: [BenchKernels.self, BenchBlock.self])
}

struct BenchKernels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Quantize, dequantize and dot throughput per format, as llama.cpp's test-quantize-perf reports it.",
        discussion: "Cycles per 32 values are the minimum over the repeats (rdtsc); GB/s counts the bytes each operation reads. Compare formats within one run.")

    @Option(help: ArgumentHelp("Only this weight type (f16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k … q6_k, iq4_nl). Default: all of them.", valueName: "type")) var type: String?
    @Option(help: ArgumentHelp("Values per operation, a multiple of the type's block (32, or 256 for the K-quants and for all types together; default 4096, about L1/L2-resident).", valueName: "n")) var size = 4096
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
        for type in types where size % type.format.blockSize != 0 {
            Output.error("quantlab: --size \(size) is not a multiple of \(type)'s \(type.format.blockSize)-value block; use a multiple of \(type.format.blockSize)")
            throw ExitCode(64)
        }
        let benchmark = KernelBenchmark(count: size)
        let rows = try types.flatMap { try benchmark.run($0) }
        if json {
            Output.write(try JSON.encode(rows) + "\n")
            return
        }
        var lines = ["\(size) values per operation; AVX2 kernels: \(DotKernels.vectorised ? "yes" : "no (scalar only)")",
                     "type    operation                           cycles/32 values      GB/s"]
        for row in rows {
            lines.append(row.type.padding(toLength: 8, withPad: " ", startingAt: 0)
                + row.operation.padding(toLength: 36, withPad: " ", startingAt: 0)
                + String(format: "%16.2f  %8.2f", row.cyclesPer32, row.gigabytesPerSecond))
        }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}

struct BenchBlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block",
        abstract: "Time one transformer block (q, k, v, o, gate, up, down) per weight format against F16 and F32 in the same run.",
        discussion: "Decode is batch 1 (memory-bound: GB/s of weights read per token); prefill is a batch of tokens (compute-bound). Quantized formats use ggml's integer dot products against activations rounded to the format's vec_dot type (Q8_0, Q8_1 or Q8_K; F16 for F16). Decode runs alternate with the F16 block's until the 95% interval of the speed-up is within ±5% (or 30 pairs): thread CPU time with --threads 1, wall time otherwise. All figures are timed, so they vary between runs.")

    @Option(help: ArgumentHelp("Block shape: llama-7b (4096/11008, ~800 MB of F32 weights) or tiny.", valueName: "name")) var shape = "llama-7b"
    @Option(help: ArgumentHelp("Worker threads. Default: all cores.", valueName: "n")) var threads: Int?
    @Option(help: ArgumentHelp("Prefill batch (tokens), 64 or more for the compute-bound case.", valueName: "n")) var batch = 64
    @Flag(help: "Print JSON for scripts.") var json = false

    func validate() throws {
        guard ["llama-7b", "tiny"].contains(shape) else { throw ValidationError("--shape must be llama-7b or tiny, got '\(shape)'") }
        guard (1...512).contains(batch) else { throw ValidationError("--batch must be between 1 and 512, got \(batch)") }
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }

    func run() throws {
        let chosen: BlockBenchmark.Shape = shape == "tiny" ? .tiny : .llama7B
        let count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let rows: [BlockBenchmark.Row]
        do {
            rows = try BlockBenchmark(shape: chosen, threads: count, batch: batch).run()
        } catch {
            Output.error("quantlab: \(error)")
            throw ExitCode(70)
        }
        if json {
            Output.write(try JSON.encode(rows) + "\n")
            return
        }
        var lines = ["block \(chosen.name): \(chosen.embedding)/\(chosen.feedForward), \(chosen.weights) weights; \(count) threads; AVX2 kernels: \(DotKernels.vectorised ? "yes" : "no")",
                     "timed on this machine (\(count == 1 ? "thread CPU time" : "wall time")); decode ×F16: geometric mean of alternating pairs, 95% interval",
                     "format  weight MB  decode tok/s   GB/s  ×F16  (95% interval, pairs)   prefill tok/s  ×F16"]
        for r in rows {
            lines.append(r.format.padding(toLength: 6, withPad: " ", startingAt: 0)
                + String(format: "%11.1f %13.2f %6.2f %5.2f  (%5.2f–%5.2f, %2d)  %15.1f %5.2f", Double(r.weightBytes) / 1e6, r.decodeTokensPerSecond,
                         r.decodeGBPerSecond, r.decode.speedup, r.decode.lower, r.decode.upper, r.decode.pairs, r.prefillTokensPerSecond, r.prefillSpeedupVsF16))
        }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}
