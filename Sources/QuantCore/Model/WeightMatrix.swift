/// A weight matrix as the engine holds and multiplies it: F32 values, or the file's blocks kept
/// packed in their ggml format (never expanded to F32). Shape [rows, columns] (ggml's
/// [columns, rows]): one row per output feature.
public enum WeightMatrix: Sendable {
    /// Row-major F32 values.
    case f32([Float])
    /// A ggml type multiplied in place (`PackedMatrix`).
    case packed(PackedMatrix)

    /// Bytes the matrix occupies in memory.
    public var byteCount: Int {
        switch self {
        case .f32(let values): values.count * MemoryLayout<Float>.size
        case .packed(let matrix): matrix.storage.count
        }
    }

    /// The values as F32 (dequantized when packed): [rows, columns]. A copy of the whole
    /// matrix, for the calibration methods that work on one matrix at a time in F32.
    public func floats() -> [Float] {
        switch self {
        case .f32(let values): values
        case .packed(let matrix): matrix.floats()
        }
    }

    /// Row `row` as F32 into `destination` (`columns` values): ggml's `get_rows`, used for the
    /// token embedding.
    func row(_ row: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
        switch self {
        case .f32(let values):
            values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + row * columns, count: columns) }
        case .packed(let matrix):
            matrix.row(row, into: destination)
        }
    }

    /// `output[t][o] = Σᵢ W[o][i] · input[t][i]` for `count` rows of `input` ([count, columns]
    /// into [count, rows]); a packed matrix rounds the input to its activation type first.
    /// Threads take whole groups of output rows, so the result does not depend on their count.
    func multiply(
        rows: Int, columns: Int, _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>, threads: Int
    ) {
        switch self {
        case .f32(let values):
            values.withUnsafeBufferPointer {
                Kernels.matmul(weights: $0.baseAddress!, rows: rows, columns: columns, input: input, count: count, output: output, threads: threads)
            }
        case .packed(let matrix):
            matrix.multiply(input, count: count, into: output, threads: threads)
        }
    }
}
