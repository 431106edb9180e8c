import ArgumentParser
import CourseContent
import Foundation
import QuantCore

struct BenchBlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "block",
        abstract: "Time one transformer block (q, k, v, o, gate, up, down) per weight format against F16 and F32 in the same run.",
        discussion:
            "Decode is batch 1 (memory-bound: GB/s of weights read per token); prefill is a batch of tokens (compute-bound). Quantized formats use ggml's integer dot products against activations rounded to the format's vec_dot type (Q8_0, Q8_1 or Q8_K; F16 for F16). Decode runs alternate with the F16 block's until the 95% interval of the speed-up is within ±5% (or 30 pairs): thread CPU time with --threads 1, wall time otherwise. All figures are timed, so they vary between runs."
    )

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
            throw fail(.tool("\(error)"))
        }
        if json {
            Output.write(try JSON.encode(rows) + "\n")
            return
        }
        var lines = [
            "block \(chosen.name): \(chosen.embedding)/\(chosen.feedForward), \(chosen.weights) weights; \(count) threads; kernels: \(KernelPath.current.rawValue) tiles (F16, Q8_0, Q4_0), \(DotKernels.vectorised ? "AVX2" : "scalar") row dots (the others)",
            "timed on this machine (\(count == 1 ? "thread CPU time" : "wall time")); decode ×F16: geometric mean of alternating pairs, 95% interval",
            "format  weight MB  decode tok/s   GB/s  ×F16  (95% interval, pairs)   prefill tok/s  ×F16",
        ]
        for r in rows {
            lines.append(
                r.format.padding(toLength: 6, withPad: " ", startingAt: 0)
                    + String(
                        format: "%11.1f %13.2f %6.2f %5.2f  (%5.2f–%5.2f, %2d)  %15.1f %5.2f", Double(r.weightBytes) / 1e6, r.decodeTokensPerSecond,
                        r.decodeGBPerSecond, r.decode.speedup, r.decode.lower, r.decode.upper, r.decode.pairs, r.prefillTokensPerSecond, r.prefillSpeedupVsF16))
        }
        Output.write(lines.joined(separator: "\n") + "\n")
    }
}
