import CKernels
import Dispatch

/// One row of the dot-product table: what ggml rounds activations to before a dot with this
/// weight type (its `vec_dot_type`), and the kernel with its scalar twin. Every kernel sums
/// exact integer products per block and differs from its twin only in float accumulation order.
public struct DotKernel: Sendable {
    public typealias Function = @Sendable (_ count: Int32, _ weights: UnsafeRawPointer, _ activations: UnsafeRawPointer) -> Float

    /// The activations' type: Q8_0, Q8_1, Q8_K or F16.
    public let activationType: TensorType
    let fast: Function
    let scalar: Function
    /// Whether `fast` is vectorised on CPUs with AVX2 (every kernel is, today).
    public let hasSIMD: Bool
}

/// Quantized dot products as ggml's CPU backend computes them: thin Swift entry points to the C
/// kernels, with their scalar twins, and the activation rounding each weight type needs.
public enum DotKernels {
    /// The kernel for each weight type the engine multiplies without dequantizing (the format
    /// table's `dot`).
    public static func kernel(for type: TensorType) -> DotKernel? { type.format.dot }

    /// Weight types that have a dot kernel, in ggml's numbering order.
    public static let types: [TensorType] = TensorType.allCases.filter { kernel(for: $0) != nil }

    /// Whether the AVX2 versions run on this CPU.
    public static var vectorised: Bool { ql_have_avx2() != 0 }

    /// Σ x·y over `count` values: `weights` in `type`'s blocks, `activations` in the blocks of
    /// `kernel(for: type)!.activationType`.
    public static func dot(_ type: TensorType, count: Int, weights: UnsafeRawPointer, activations: UnsafeRawPointer, scalar: Bool = false) -> Float {
        guard let kernel = kernel(for: type) else { preconditionFailure("no dot kernel for \(type)") }
        return scalar ? kernel.scalar(Int32(count), weights, activations) : kernel.fast(Int32(count), weights, activations)
    }

    /// Rounds `count` floats to `type` (Q8_0, Q8_1, Q8_K or F16) as ggml's `from_float` does;
    /// `output` holds `type.format.byteCount(elements: count)` bytes.
    public static func quantizeActivations(_ type: TensorType, _ x: UnsafePointer<Float>, count: Int, into output: UnsafeMutableRawPointer) {
        guard let round = type.format.quantizeActivations else { preconditionFailure("\(type) is not an activation type") }
        round(x, count, output)
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
    @inline(never) public static func consume(_ value: Float) { sink += value }

    public init(count: Int, repeats: Int = 200) {
        self.count = count
        self.repeats = repeats
    }

    /// Times quantize (reference), dequantize and dot for `type` on `count` values.
    public func run(_ type: TensorType) throws -> [Row] {
        var random: UInt64 = 0x1234_5678
        let values: [Float] = (0..<count).map { _ in
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: random >> 11) % 2001 - 1000) / 250
        }
        let format = type.format
        let bytes = format.byteCount(elements: count)!
        var quantized = [UInt8](repeating: 0, count: bytes)
        var output = [Float](repeating: 0, count: count)
        var rows: [Row] = []
        func measure(_ operation: String, bytesRead: Int, dots: Int = 1, _ body: () throws -> Void) rethrows {
            var best = UInt64.max
            var bestNanos = UInt64.max
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                let c0 = ql_cycles()
                try body()
                let c1 = ql_cycles()
                let nanos = DispatchTime.now().uptimeNanoseconds - start
                best = min(best, c1 &- c0)
                bestNanos = min(bestNanos, max(nanos, 1))
            }
            rows.append(
                Row(
                    type: type.description, operation: operation,
                    cyclesPer32: Double(best) / Double(dots * count / 32),
                    gigabytesPerSecond: Double(bytesRead) / Double(bestNanos)))
        }
        if let quantize = Quantize.function(for: type) {
            try values.withUnsafeBufferPointer { x in
                try quantized.withUnsafeMutableBytes { q in
                    try measure("quantize_row_ref", bytesRead: count * 4) { try quantize(x, q) }
                }
            }
        }
        quantized.withUnsafeBytes { q in
            output.withUnsafeMutableBufferPointer { out in
                measure("dequantize_row", bytesRead: bytes) { format.dequantize(q, out) }
            }
        }
        guard let kernel = DotKernels.kernel(for: type) else { return rows }
        let dotType = kernel.activationType
        var activations = [UInt8](repeating: 0, count: dotType.format.byteCount(elements: count)!)
        values.withUnsafeBufferPointer { x in
            activations.withUnsafeMutableBytes { a in
                measure("quantize_row_\(dotType.description.lowercased()) (activations)", bytesRead: count * 4) {
                    DotKernels.quantizeActivations(dotType, x.baseAddress!, count: count, into: a.baseAddress!)
                }
            }
        }
        var sink: Float = 0
        let name = "vec_dot_\(dotType.description.lowercased())"
        let n = Int32(count)
        quantized.withUnsafeBytes { q in
            activations.withUnsafeBytes { a in
                // The kernel is looked up once, so the timed loop holds the kernel call alone.
                measure("\(name) (scalar)", bytesRead: bytes + a.count) { sink += kernel.scalar(n, q.baseAddress!, a.baseAddress!) }
                if kernel.hasSIMD && DotKernels.vectorised {
                    measure("\(name) (AVX2)", bytesRead: bytes + a.count) { sink += kernel.fast(n, q.baseAddress!, a.baseAddress!) }
                }
            }
        }
        KernelBenchmark.consume(sink)
        if format.panels != nil {
            panelRows(type, values: values) { operation, bytesRead, dots, body in measure(operation, bytesRead: bytesRead, dots: dots, body) }
        }
        return rows
    }

    /// The tiled products the engine runs for `type` (panels of 16 rows), per available path:
    /// one token (decode, `gemv`) and a tile of 8 tokens (prefill, `gemm`), in cycles per 32
    /// values of one row's dot product, so the figures compare with vec_dot's.
    private func panelRows(_ type: TensorType, values: [Float], measure: (String, Int, Int, () -> Void) -> Void) {
        let rows = Int(QL_PANEL_ROWS)
        let tokens = 8
        let weights = (0..<rows).flatMap { r in values.indices.map { values[($0 + 7 * r) % values.count] } }
        guard let bytes = try? GGUFConverter.encode(weights, as: type, tensor: "bench", rowLength: count, path: "bench"),
            let matrix = PackedMatrix(type: type, rows: rows, columns: count, bytes: bytes)
        else { return }
        let input = (0..<tokens).flatMap { t in values.indices.map { values[($0 + 13 * t) % values.count] } }
        var output = [Float](repeating: 0, count: tokens * rows)
        // Activations as the engine prepares them; only the kernel call is timed.
        let activations = input.withUnsafeBufferPointer { matrix.activations($0.baseAddress!, count: tokens) }
        let rowBytes = activations.count / tokens
        let prepared = matrix.panelInput(activations, count: tokens)
        output.withUnsafeMutableBufferPointer { out in
            for path in KernelPath.allCases where path.isAvailable {
                for (name, n) in [("gemv", 1), ("gemm", tokens)] {
                    measure("\(name) \(rows) rows × \(n) (\(path.rawValue))", bytes.count + n * rowBytes, n * rows) {
                        matrix.panelProduct(prepared, tokens: n, panels: 0..<1, into: out.baseAddress!, path: path)
                    }
                }
            }
        }
        KernelBenchmark.consume(output[0])
    }
}
