/// Times one transformer block's seven matrix products (`DecodeBlock`) for decode (batch 1,
/// memory-bound) and prefill (a batch of tokens, compute-bound) with the weights stored in each
/// format, against F16 in the same run. Decode speed-ups come from `SpeedMeasurement` (pairs
/// alternated until the 95% interval is within ±5% or 30 pairs); prefill is timed once per
/// format. F16 and the quantized formats run through `PackedMatrix`, the engine's quantized
/// matmul: activations rounded to the format's `vec_dot_type`, rows split over the threads.
public struct BlockBenchmark: Sendable {
    public typealias Shape = DecodeBlock.Shape

    public struct Row: Sendable, Codable, Equatable {
        public var format: String
        public var weightBytes: Int
        public var decodeTokensPerSecond: Double
        public var decodeGBPerSecond: Double
        /// Timed against the F16 block in the same run (thread CPU time with one thread, wall
        /// time with more).
        public var decode: SpeedComparison
        public var prefillTokensPerSecond: Double
        public var prefillSpeedupVsF16: Double
    }

    public static let formats: [DecodeBlock.Storage] = [.f32, .packed(.f16), .packed(.q8_0), .packed(.q4_0), .packed(.q4_K)]

    public let shape: Shape
    public let threads: Int
    public let batch: Int
    public let policy: SpeedMeasurement.Policy

    public init(shape: Shape, threads: Int, batch: Int = 64, policy: SpeedMeasurement.Policy = .standard) {
        self.shape = shape
        self.threads = threads
        self.batch = batch
        self.policy = policy
    }

    public func run() throws(GGUFError) -> [Row] {
        let clock = threads == 1 ? SpeedMeasurement.threadClock : SpeedMeasurement.wallClock
        let f16 = try DecodeBlock(shape: shape, formats: [.packed(.f16)], threads: threads)
        let input = f16.input(tokens: batch)
        let f16Prefill = clock { f16.multiply(input, tokens: batch, threads: threads) }.cpu
        var rows: [Row] = []
        for format in Self.formats {
            let block = format == .packed(.f16) ? f16 : try DecodeBlock(shape: shape, formats: [format], threads: threads)
            let decode = SpeedMeasurement.compare(
                baseline: { KernelBenchmark.consume(f16.multiply(input, tokens: 1, threads: threads)) },
                candidate: { KernelBenchmark.consume(block.multiply(input, tokens: 1, threads: threads)) },
                policy: policy, clock: clock)
            let prefill =
                format == .packed(.f16)
                ? f16Prefill
                : clock { KernelBenchmark.consume(block.multiply(input, tokens: batch, threads: threads)) }.cpu
            rows.append(
                Row(
                    format: format.description, weightBytes: block.weightBytes,
                    decodeTokensPerSecond: 1 / decode.candidateSeconds,
                    decodeGBPerSecond: Double(block.weightBytes) / decode.candidateSeconds / 1e9, decode: decode,
                    prefillTokensPerSecond: Double(batch) / prefill, prefillSpeedupVsF16: f16Prefill / prefill))
        }
        return rows
    }
}
