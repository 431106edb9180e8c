import CKernels
import Dispatch

/// Quantized dot products against Q8_0 activations (ggml's `vec_dot_type` for Q8_0 and Q4_0):
/// thin Swift entry points to the C kernels, with their scalar twins.
public enum DotKernels {
    /// Weight types that have an integer dot kernel.
    public static let types: [TensorType] = [.q8_0, .q4_0]

    /// Whether the AVX2 versions run on this CPU.
    public static var vectorised: Bool { ql_have_avx2() != 0 }

    /// Σ x·y over `count` values: `weights` in `type`'s blocks, `activations` in Q8_0 blocks.
    public static func dot(_ type: TensorType, count: Int, weights: UnsafeRawPointer, activations: UnsafeRawPointer, scalar: Bool = false) -> Float {
        switch (type, scalar) {
        case (.q8_0, false): ql_vec_dot_q8_0_q8_0(Int32(count), weights, activations)
        case (.q8_0, true): ql_vec_dot_q8_0_q8_0_scalar(Int32(count), weights, activations)
        case (.q4_0, false): ql_vec_dot_q4_0_q8_0(Int32(count), weights, activations)
        case (.q4_0, true): ql_vec_dot_q4_0_q8_0_scalar(Int32(count), weights, activations)
        default: preconditionFailure("no dot kernel for \(type)")
        }
    }
}

/// Kernel throughput in the terms llama.cpp's `test-quantize-perf` prints: the minimum cycles
/// per 32 values over repeated runs, and GB/s of the data each operation reads.
public struct KernelBenchmark: Sendable {
    public struct Row: Sendable, Codable, Equatable {
        public var type: String
        public var operation: String
        public var cyclesPer32: Double
        public var gigabytesPerSecond: Double
    }

    public let count: Int
    public let repeats: Int

    nonisolated(unsafe) static var sink: Float = 0

    /// Keeps benchmarked results alive so the optimiser cannot drop the work.
    @inline(never) static func consume(_ value: Float) { sink += value }

    public init(count: Int, repeats: Int = 200) {
        self.count = count
        self.repeats = repeats
    }

    /// Times quantize (reference), dequantize and dot for `type` on `count` values.
    public func run(_ type: TensorType) throws -> [Row] {
        var random: UInt64 = 0x1234_5678
        let values: [Float] = (0..<count).map { _ in
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: random >> 11) % 2001 - 1000) / 250
        }
        let format = type.format
        let bytes = format.byteCount(elements: count)!
        var quantized = [UInt8](repeating: 0, count: bytes)
        var activations = [UInt8](repeating: 0, count: TensorType.q8_0.format.byteCount(elements: count)!)
        var output = [Float](repeating: 0, count: count)
        let quantize = Quantize.function(for: type)!
        try values.withUnsafeBufferPointer { x in
            try activations.withUnsafeMutableBytes { try Quantize.q8_0(x, $0) }
        }
        var rows: [Row] = []
        func measure(_ operation: String, bytesRead: Int, _ body: () throws -> Void) rethrows {
            var best = UInt64.max, bestNanos = UInt64.max
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                let c0 = ql_cycles()
                try body()
                let c1 = ql_cycles()
                let nanos = DispatchTime.now().uptimeNanoseconds - start
                best = min(best, c1 &- c0)
                bestNanos = min(bestNanos, max(nanos, 1))
            }
            rows.append(Row(type: type.description, operation: operation,
                            cyclesPer32: Double(best) / Double(count / 32),
                            gigabytesPerSecond: Double(bytesRead) / Double(bestNanos)))
        }
        try values.withUnsafeBufferPointer { x in
            try quantized.withUnsafeMutableBytes { q in
                try measure("quantize_row_ref", bytesRead: count * 4) { try quantize(x, q) }
            }
        }
        quantized.withUnsafeBytes { q in
            output.withUnsafeMutableBufferPointer { out in
                measure("dequantize_row", bytesRead: bytes) { format.dequantize(q, out) }
            }
        }
        var sink: Float = 0
        quantized.withUnsafeBytes { q in
            activations.withUnsafeBytes { a in
                measure("vec_dot_q8_0 (scalar)", bytesRead: bytes + a.count) {
                    sink += DotKernels.dot(type, count: count, weights: q.baseAddress!, activations: a.baseAddress!, scalar: true)
                }
                measure(DotKernels.vectorised ? "vec_dot_q8_0 (AVX2)" : "vec_dot_q8_0", bytesRead: bytes + a.count) {
                    sink += DotKernels.dot(type, count: count, weights: q.baseAddress!, activations: a.baseAddress!)
                }
            }
        }
        KernelBenchmark.consume(sink)
        return rows
    }
}
