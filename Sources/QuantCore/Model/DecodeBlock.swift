/// One transformer block's seven weight matrices (q, k, v, o, gate, up, down) with Llama shapes,
/// filled with seeded synthetic weights and stored in a chosen format per matrix: the workload
/// behind every timed decode figure (`bench block`, measured-speed grades). A Llama-7B-shaped
/// block holds about 200 M weights (405 MB in F16), far more than a last-level cache, so decode
/// through it waits on memory as decode through a real model does.
public struct DecodeBlock: Sendable {
    public struct Shape: Sendable, Equatable {
        public var name: String
        public var embedding: Int
        public var feedForward: Int
        /// Llama-2-7B / LLaMA-7B block: 4096 and 11008 (Touvron et al. 2023).
        public static let llama7B = Shape(name: "llama-7b", embedding: 4096, feedForward: 11008)
        /// A small block for tests.
        public static let tiny = Shape(name: "tiny", embedding: 256, feedForward: 768)

        public init(name: String, embedding: Int, feedForward: Int) {
            self.name = name
            self.embedding = embedding
            self.feedForward = feedForward
        }

        /// The seven matrices in llama.cpp's order: name (as in `blk.N.<name>.weight`), rows
        /// (outputs) and columns (inputs).
        public var matrices: [(name: String, rows: Int, columns: Int)] {
            let d = embedding
            let f = feedForward
            return [
                ("attn_q", d, d), ("attn_k", d, d), ("attn_v", d, d), ("attn_output", d, d),
                ("ffn_gate", f, d), ("ffn_up", f, d), ("ffn_down", d, f),
            ]
        }

        public var weights: Int { matrices.reduce(0) { $0 + $1.rows * $1.columns } }
    }

    /// How one matrix is stored and multiplied: F32 through the engine's F32 matmul, or packed
    /// in a ggml type through `PackedMatrix` (F16 included).
    public enum Storage: Sendable, Hashable, CustomStringConvertible {
        case f32
        case packed(TensorType)

        public var description: String {
            switch self {
            case .f32: "F32"
            case .packed(let type): type.description
            }
        }

        /// Bytes of a `rows` × `columns` matrix.
        public func bytes(rows: Int, columns: Int) -> Int {
            switch self {
            case .f32: rows * columns * 4
            case .packed(let type): type.format.byteCount(elements: rows * columns) ?? rows * columns * 4
            }
        }
    }

    public let shape: Shape
    public let formats: [Storage]
    let matrices: [WeightMatrix]
    /// Bytes of the seven matrices as stored: what one decoded token reads.
    public let weightBytes: Int

    /// Builds the block with `formats[i]` for matrix i (or one format for all). Weights are
    /// seeded per row, so every format holds the same values before rounding and the result
    /// does not depend on `threads`, which only speeds up quantizing. Refuses a format whose
    /// block size does not divide the rows or that has no dot kernel.
    public init(shape: Shape, formats: [Storage], threads: Int) throws(GGUFError) {
        let formats = Self.expand(formats, shape: shape)
        var built: [WeightMatrix] = []
        for index in formats.indices { built.append(try Self.matrix(index, of: shape, as: formats[index], threads: threads)) }
        self.init(shape: shape, formats: formats, matrices: built)
    }

    init(shape: Shape, formats: [Storage], matrices: [WeightMatrix]) {
        self.shape = shape
        self.formats = formats
        self.matrices = matrices
        self.weightBytes = zip(shape.matrices, formats).reduce(0) { $0 + $1.1.bytes(rows: $1.0.rows, columns: $1.0.columns) }
    }

    /// A baseline block and a candidate block for timing one against the other, built matrix by
    /// matrix in turn so that neither gets systematically different memory (allocated earlier or
    /// later, among other allocations); a candidate in the baseline's formats is the baseline
    /// block itself.
    public static func pair(shape: Shape, baseline: [Storage], candidate: [Storage], threads: Int) throws(GGUFError) -> (DecodeBlock, DecodeBlock) {
        let baseline = expand(baseline, shape: shape)
        let candidate = expand(candidate, shape: shape)
        var first: [WeightMatrix] = []
        var second: [WeightMatrix] = []
        for index in baseline.indices {
            first.append(try matrix(index, of: shape, as: baseline[index], threads: threads))
            if candidate != baseline { second.append(try matrix(index, of: shape, as: candidate[index], threads: threads)) }
        }
        let base = DecodeBlock(shape: shape, formats: baseline, matrices: first)
        return (base, candidate == baseline ? base : DecodeBlock(shape: shape, formats: candidate, matrices: second))
    }

    static func expand(_ formats: [Storage], shape: Shape) -> [Storage] {
        precondition(formats.count == 1 || formats.count == shape.matrices.count)
        return formats.count == 1 ? Array(repeating: formats[0], count: shape.matrices.count) : formats
    }

    /// Matrix `index` of the block in `format`.
    static func matrix(_ index: Int, of shape: Shape, as format: Storage, threads: Int) throws(GGUFError) -> WeightMatrix {
        let m = shape.matrices[index]
        let seed = UInt64(0x5EED_0000) + UInt64(index) << 32
        guard case .packed(let type) = format else { return .f32(weights(rows: 0..<m.rows, columns: m.columns, seed: seed)) }
        guard PackedMatrix.canPack(type, columns: m.columns), let rowBytes = type.format.byteCount(elements: m.columns) else {
            throw GGUFError(
                path: "decode block",
                .unsupported(
                    "\(type) cannot run packed on \(m.columns)-value rows (block of \(type.format.blockSize) values)"))
        }
        var bytes = [UInt8](repeating: 0, count: m.rows * rowBytes)
        var failure: GGUFError?
        let chunk = 64
        bytes.withUnsafeMutableBytes { out in
            nonisolated(unsafe) let out = out
            nonisolated(unsafe) var failures = [GGUFError?](repeating: nil, count: (m.rows + chunk - 1) / chunk)
            failures.withUnsafeMutableBufferPointer { slots in
                nonisolated(unsafe) let slots = slots
                Kernels.parallelFor(slots.count, threads: threads) { range in
                    for c in range {
                        let rows = (c * chunk)..<min(m.rows, c * chunk + chunk)
                        do throws(GGUFError) {
                            let encoded = try GGUFConverter.encode(
                                weights(rows: rows, columns: m.columns, seed: seed), as: type,
                                tensor: "blk.0.\(m.name).weight", rowLength: m.columns, path: "decode block")
                            encoded.withUnsafeBytes { (out.baseAddress! + rows.lowerBound * rowBytes).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                        } catch {
                            slots[c] = error
                        }
                    }
                }
            }
            failure = failures.compactMap { $0 }.first
        }
        if let failure { throw failure }
        return .packed(PackedMatrix(type: type, rows: m.rows, columns: m.columns, bytes: bytes)!)
    }

    /// Synthetic weights of the given rows: uniform in ±0.025, each row from its own SplitMix64
    /// stream, so any split of the rows gives the same values.
    static func weights(rows: Range<Int>, columns: Int, seed: UInt64) -> [Float] {
        var values = [Float](repeating: 0, count: rows.count * columns)
        for (i, row) in rows.enumerated() {
            var random = SplitMix64(seed: seed &+ UInt64(row))
            for j in 0..<columns {
                values[i * columns + j] = Float(Int64(random.next() >> 43) - (1 << 20)) / Float(1 << 20) * 0.025
            }
        }
        return values
    }

    /// A batch of `tokens` synthetic input rows, as wide as the widest matrix input.
    public func input(tokens: Int) -> [Float] {
        let width = max(shape.embedding, shape.feedForward)
        var random = SplitMix64(seed: 0x1A9E7)
        return (0..<(tokens * width)).map { _ in Float(Int64(random.next() >> 43) - (1 << 20)) / Float(1 << 20) }
    }

    /// y = W·x for every matrix of the block and each of `tokens` input rows (`input` from
    /// `input(tokens:)`), as the forward pass computes them; returns a sum of outputs so that
    /// no work can be dropped.
    @discardableResult
    public func multiply(_ input: [Float], tokens: Int, threads: Int) -> Float {
        var sink: Float = 0
        for (m, weights) in zip(shape.matrices, matrices) {
            var output = [Float](repeating: 0, count: tokens * m.rows)
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { out in
                    weights.multiply(rows: m.rows, columns: m.columns, x.baseAddress!, count: tokens, into: out.baseAddress!, threads: threads)
                }
            }
            sink += output[0]
        }
        return sink
    }
}
