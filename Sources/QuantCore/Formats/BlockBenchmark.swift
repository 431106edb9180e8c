import CKernels
import Dispatch

/// Times one transformer block's seven matrix products (q, k, v, o, gate, up, down) for decode
/// (batch 1, memory-bound) and prefill (a batch of tokens, compute-bound) with the weights stored
/// in each format, against F16 and F32 in the same run. Quantized formats multiply against
/// activations rounded to Q8_0 (ggml's `vec_dot_type`), rows split over the threads.
public struct BlockBenchmark: Sendable {
    public struct Shape: Sendable, Equatable {
        public var name: String
        public var embedding: Int
        public var feedForward: Int
        /// Llama-2-7B / LLaMA-7B block: 4096 and 11008 (Touvron et al. 2023).
        public static let llama7B = Shape(name: "llama-7b", embedding: 4096, feedForward: 11008)
        /// A small block for tests.
        public static let tiny = Shape(name: "tiny", embedding: 256, feedForward: 704)

        /// (rows, columns) of the seven matrices.
        var matrices: [(rows: Int, columns: Int)] {
            let d = embedding, f = feedForward
            return [(d, d), (d, d), (d, d), (d, d), (f, d), (f, d), (d, f)]
        }
        public var weights: Int { matrices.reduce(0) { $0 + $1.rows * $1.columns } }
    }

    public struct Row: Sendable, Codable, Equatable {
        public var format: String
        public var weightBytes: Int
        public var decodeTokensPerSecond: Double
        public var decodeGBPerSecond: Double
        public var decodeSpeedupVsF16: Double
        public var prefillTokensPerSecond: Double
        public var prefillSpeedupVsF16: Double
        /// Spread of the decode repeats: (slowest − fastest) / median.
        public var decodeSpread: Double
    }

    public static let formats: [TensorType] = [.f32, .f16, .q8_0, .q4_0]

    public let shape: Shape
    public let threads: Int
    public let batch: Int
    public let repeats: Int

    public init(shape: Shape, threads: Int, batch: Int = 64, repeats: Int = 7) {
        self.shape = shape
        self.threads = threads
        self.batch = batch
        self.repeats = repeats
    }

    /// Weights of one matrix in one format.
    enum Stored {
        case f32([Float])
        case f16([UInt16])
        case blocks(TensorType, [UInt8])
    }

    public func run() throws -> [Row] {
        var random: UInt64 = 0x5EED
        func next() -> Float {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: random >> 11) % 20001 - 10000) / 400_000
        }
        let floats = shape.matrices.map { m in (0..<(m.rows * m.columns)).map { _ in next() } }
        let input = (0..<(batch * max(shape.embedding, shape.feedForward))).map { _ in next() * 40 }
        var results: [(TensorType, Int, [Double], Double)] = []
        for format in Self.formats {
            let stored: [Stored] = try floats.map { w in
                switch format {
                case .f32: return .f32(w)
                case .f16: return .f16(w.map { Half.f32ToF16($0) })
                default:
                    var bytes = [UInt8](repeating: 0, count: format.format.byteCount(elements: w.count)!)
                    let quantize = Quantize.function(for: format)!
                    try w.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try quantize(x, $0) } }
                    return .blocks(format, bytes)
                }
            }
            let bytes = zip(shape.matrices, stored).reduce(0) { sum, pair in
                switch pair.1 {
                case .f32(let w): sum + w.count * 4
                case .f16(let w): sum + w.count * 2
                case .blocks(_, let b): sum + b.count
                }
            }
            var decode: [Double] = []
            for _ in 0..<repeats { decode.append(time { forward(stored, input: input, tokens: 1) }) }
            let prefill = time { forward(stored, input: input, tokens: batch) }
            results.append((format, bytes, decode.sorted(), prefill))
        }
        let f16 = results.first { $0.0 == .f16 }!
        let f16Decode = f16.2[f16.2.count / 2], f16Prefill = f16.3
        return results.map { format, bytes, decode, prefill in
            let median = decode[decode.count / 2]
            return Row(format: format.description, weightBytes: bytes,
                       decodeTokensPerSecond: 1 / median, decodeGBPerSecond: Double(bytes) / median / 1e9,
                       decodeSpeedupVsF16: f16Decode / median,
                       prefillTokensPerSecond: Double(batch) / prefill, prefillSpeedupVsF16: f16Prefill / prefill,
                       decodeSpread: (decode.last! - decode.first!) / median)
        }
    }

    private func time(_ body: () -> Void) -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// y = W·x for every matrix and token; the result is summed into a sink so no work is dropped.
    private func forward(_ stored: [Stored], input: [Float], tokens: Int) {
        var sink: Float = 0
        for (m, weights) in zip(shape.matrices, stored) {
            var output = [Float](repeating: 0, count: tokens * m.rows)
            var activations: [UInt8] = []
            if case .blocks = weights {
                activations = [UInt8](repeating: 0, count: tokens * m.columns / 32 * 34)
                input.withUnsafeBufferPointer { x in
                    activations.withUnsafeMutableBytes { a in
                        for t in 0..<tokens {
                            ql_quantize_row_q8_0(Int32(m.columns), x.baseAddress! + t * m.columns, a.baseAddress! + t * m.columns / 32 * 34)
                        }
                    }
                }
            }
            output.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                input.withUnsafeBufferPointer { x in
                    activations.withUnsafeBytes { a in
                        Kernels.parallelFor(m.rows, threads: threads) { rows in
                            for o in rows {
                                for t in 0..<tokens {
                                    out[t * m.rows + o] = dot(weights, row: o, columns: m.columns, x: x.baseAddress! + t * m.columns,
                                                              q8: a.baseAddress.map { $0 + t * m.columns / 32 * 34 })
                                }
                            }
                        }
                    }
                }
            }
            sink += output[0]
        }
        KernelBenchmark.consume(sink)
    }

    private func dot(_ weights: Stored, row: Int, columns: Int, x: UnsafePointer<Float>, q8: UnsafeRawPointer?) -> Float {
        switch weights {
        case .f32(let w):
            return w.withUnsafeBufferPointer { Kernels.dot($0.baseAddress! + row * columns, x, columns) }
        case .f16(let w):
            return w.withUnsafeBufferPointer { ql_vec_dot_f16_f32(Int32(columns), $0.baseAddress! + row * columns, x) }
        case .blocks(let type, let b):
            let rowBytes = columns / 32 * type.format.bytesPerBlock
            return b.withUnsafeBytes { DotKernels.dot(type, count: columns, weights: $0.baseAddress! + row * rowBytes, activations: q8!) }
        }
    }
}
