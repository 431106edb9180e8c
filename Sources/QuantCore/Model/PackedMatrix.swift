/// A weight matrix kept in its ggml format and multiplied the way ggml's CPU backend multiplies
/// it: every input row is first rounded to the format's `vec_dot_type` (Q8_0, Q8_1, Q8_K or
/// F16), then each output is one integer dot product of a weight row against it. This is what
/// makes a quantized model both smaller in memory and faster: the weights are never expanded to
/// F32, and decode reads `bytes.count` bytes per token instead of four per weight.
public struct PackedMatrix: Sendable {
    public let type: TensorType
    /// Output features (ggml's ne[1]).
    public let rows: Int
    /// Input features (ggml's ne[0]); a multiple of the type's block size.
    public let columns: Int
    /// rows × rowBytes bytes, row-major.
    public let bytes: [UInt8]
    public let rowBytes: Int
    let kernel: DotKernel

    /// Whether a `type` matrix with rows of `columns` values can be multiplied packed.
    public static func canPack(_ type: TensorType, columns: Int) -> Bool {
        DotKernels.kernel(for: type) != nil && columns > 0 && columns % type.format.blockSize == 0
    }

    /// Wraps `bytes` of a `rows` × `columns` matrix of `type`; nil when the type has no dot
    /// kernel, the columns are not whole blocks, or the byte count does not match.
    public init?(type: TensorType, rows: Int, columns: Int, bytes: [UInt8]) {
        guard Self.canPack(type, columns: columns), rows > 0, let kernel = DotKernels.kernel(for: type),
            let rowBytes = type.format.byteCount(elements: columns),
            case (let total, false) = rows.multipliedReportingOverflow(by: rowBytes), total == bytes.count
        else { return nil }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.bytes = bytes
        self.rowBytes = rowBytes
        self.kernel = kernel
    }

    /// The weights as F32 (ggml's `to_float`), [rows, columns].
    public func floats() -> [Float] {
        bytes.withUnsafeBytes { source in
            [Float](unsafeUninitializedCapacity: rows * columns) { buffer, initialized in
                type.format.dequantize(source, buffer)
                initialized = rows * columns
            }
        }
    }

    /// `output[t][o] = Σᵢ W[o][i] · round(input[t])[i]` for `count` input rows.
    /// input: [count, columns]; output: [count, rows]. Output rows are split across threads;
    /// every value is one dot product, so the result does not depend on the thread count.
    public func multiply(
        _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
        threads: Int, scalar: Bool = false
    ) {
        // a: [count, activation row] — the inputs in the vec_dot type.
        let activationType = kernel.activationType
        let activationRowBytes = activationType.format.byteCount(elements: columns)!
        var activations = [UInt8](repeating: 0, count: count * activationRowBytes)
        activations.withUnsafeMutableBytes { a in
            for t in 0..<count {
                DotKernels.quantizeActivations(activationType, input + t * columns, count: columns, into: a.baseAddress! + t * activationRowBytes)
            }
        }
        let dot = scalar ? kernel.scalar : kernel.fast
        let n = Int32(columns)
        let rows = rows
        let rowBytes = rowBytes
        nonisolated(unsafe) let output = output
        bytes.withUnsafeBytes { w in
            activations.withUnsafeBytes { a in
                // Blocks of 16 output rows: each weight row is read once per batch of inputs.
                Kernels.parallelFor((rows + 15) / 16, threads: threads) { range in
                    for block in range {
                        for o in (block * 16)..<min(rows, block * 16 + 16) {
                            let row = w.baseAddress! + o * rowBytes
                            for t in 0..<count {
                                output[t * rows + o] = dot(n, row, a.baseAddress! + t * activationRowBytes)
                            }
                        }
                    }
                }
            }
        }
    }
}
