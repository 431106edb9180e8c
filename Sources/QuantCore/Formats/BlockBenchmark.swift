import CKernels
import Dispatch

/// Times one transformer block's seven matrix products (q, k, v, o, gate, up, down) for decode
/// (batch 1, memory-bound) and prefill (a batch of tokens, compute-bound) with the weights stored
/// in each format, against F16 and F32 in the same run. F16 and the quantized formats run
/// through `PackedMatrix`, the engine's own quantized matmul: activations rounded to the
/// format's `vec_dot_type`, rows split over the threads.
public struct BlockBenchmark: Sendable {
    public struct Shape: Sendable, Equatable {
        public var name: String
        public var embedding: Int
        public var feedForward: Int
        /// Llama-2-7B / LLaMA-7B block: 4096 and 11008 (Touvron et al. 2023).
        public static let llama7B = Shape(name: "llama-7b", embedding: 4096, feedForward: 11008)
        /// A small block for tests.
        public static let tiny = Shape(name: "tiny", embedding: 256, feedForward: 768)

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

    public static let formats: [TensorType] = [.f32, .f16, .q8_0, .q4_0, .q4_K]

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
        case packed(PackedMatrix)

        var byteCount: Int {
            switch self {
            case .f32(let w): w.count * 4
            case .packed(let p): p.bytes.count
            }
        }
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
            let stored: [Stored] = try zip(shape.matrices, floats).map { m, w in
                if format == .f32 { return .f32(w) }
                let bytes = try GGUFConverter.encode(w, as: format, tensor: "benchmark", rowLength: m.columns, path: "bench block")
                return .packed(PackedMatrix(type: format, rows: m.rows, columns: m.columns, bytes: bytes)!)
            }
            let bytes = stored.reduce(0) { $0 + $1.byteCount }
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

    /// y = W·x for every matrix and token, as the model's forward pass computes it; the result is
    /// summed into a sink so no work is dropped.
    private func forward(_ stored: [Stored], input: [Float], tokens: Int) {
        var sink: Float = 0
        for (m, weights) in zip(shape.matrices, stored) {
            var output = [Float](repeating: 0, count: tokens * m.rows)
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { out in
                    switch weights {
                    case .f32(let w):
                        w.withUnsafeBufferPointer {
                            Kernels.matmul(weights: $0.baseAddress!, rows: m.rows, columns: m.columns, input: x.baseAddress!, count: tokens,
                                           output: out.baseAddress!, threads: threads)
                        }
                    case .packed(let p):
                        p.multiply(x.baseAddress!, count: tokens, into: out.baseAddress!, threads: threads)
                    }
                }
            }
            sink += output[0]
        }
        KernelBenchmark.consume(sink)
    }
}
