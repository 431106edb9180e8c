import CKernels

/// A weight matrix kept in its ggml format and multiplied the way ggml's CPU backend multiplies
/// it: every input row is first rounded to the format's `vec_dot_type` (Q8_0, Q8_1, Q8_K or
/// F16), then each output is an integer dot product of a weight row against it. This is what
/// makes a quantized model both smaller in memory and faster: the weights are never expanded to
/// F32, and decode reads the stored bytes once per token instead of four per weight. F16, Q8_0
/// and Q4_0 are stored in panels of 16 interleaved rows and multiplied by tiled kernels that
/// decode each weight block once for a tile of tokens (ggml's repacked path); the other types one
/// row at a time through their dot kernel.
public struct PackedMatrix: Sendable {
    public let type: TensorType
    /// Output features (ggml's ne[1]).
    public let rows: Int
    /// Input features (ggml's ne[0]); a multiple of the type's block size.
    public let columns: Int
    /// The weights as stored in memory: the file's rows (rows × rowBytes bytes, row-major), or,
    /// for the types with a panel layout (the format table's `panels`), the same blocks
    /// interleaved 16 rows at a time (`ql_pack_panels`; the last panel padded with zero rows).
    public let storage: [UInt8]
    /// Bytes of one row in the file's layout.
    public let rowBytes: Int
    let kernel: DotKernel

    /// Whether a `type` matrix with rows of `columns` values can be multiplied packed.
    public static func canPack(_ type: TensorType, columns: Int) -> Bool {
        DotKernels.kernel(for: type) != nil && columns > 0 && columns % type.format.blockSize == 0
    }

    /// Takes `bytes` of a `rows` × `columns` matrix of `type` in the file's row-major layout;
    /// nil when the type has no dot kernel, the columns are not whole blocks, or the byte count
    /// does not match.
    public init?(type: TensorType, rows: Int, columns: Int, bytes: [UInt8]) {
        guard Self.canPack(type, columns: columns), rows > 0, let kernel = DotKernels.kernel(for: type),
            let rowBytes = type.format.byteCount(elements: columns),
            case (let total, false) = rows.multipliedReportingOverflow(by: rowBytes), total == bytes.count,
            rows <= Int(Int32.max), columns <= Int(Int32.max)
        else { return nil }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.rowBytes = rowBytes
        self.kernel = kernel
        if let layout = type.format.panels {
            storage = bytes.withUnsafeBytes { source in
                [UInt8](unsafeUninitializedCapacity: ql_panel_bytes(layout, Int32(rows), Int32(columns))) { buffer, initialized in
                    ql_pack_panels(layout, source.baseAddress!, Int32(rows), Int32(columns), buffer.baseAddress!)
                    initialized = buffer.count
                }
            }
        } else {
            storage = bytes
        }
    }

    /// The weights in the file's layout (ggml's row-major blocks), as written to a GGUF.
    public var bytes: [UInt8] {
        guard let layout = type.format.panels else { return storage }
        return storage.withUnsafeBytes { panels in
            [UInt8](unsafeUninitializedCapacity: rows * rowBytes) { buffer, initialized in
                ql_unpack_panels(layout, panels.baseAddress!, Int32(rows), Int32(columns), buffer.baseAddress!)
                initialized = rows * rowBytes
            }
        }
    }

    /// Row `row` as F32 into `destination` (`columns` values): the row's blocks dequantized.
    public func row(_ row: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition(row >= 0 && row < rows, "row \(row) outside 0..<\(rows)")
        var blocks = [UInt8](repeating: 0, count: rowBytes)
        storage.withUnsafeBytes { source in
            if let layout = type.format.panels {
                ql_unpack_panel_row(layout, source.baseAddress!, Int32(columns), Int32(row), &blocks)
            } else {
                blocks.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[(row * rowBytes)..<((row + 1) * rowBytes)])) }
            }
        }
        blocks.withUnsafeBytes { type.format.dequantize($0, UnsafeMutableBufferPointer(start: destination, count: columns)) }
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
    /// input: [count, columns]; output: [count, rows]. Threads take whole groups of 16 output
    /// rows and every value is computed the same way whatever the group or batch, so the result
    /// depends neither on the thread count nor on `path` (for the panel types; the others run
    /// ggml-style row dot products, whose scalar twin sums in another order).
    public func multiply(
        _ input: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>,
        threads: Int, path: KernelPath = .current
    ) {
        let rows = rows
        let columns = columns
        // a: [count, activation row] — the inputs in the vec_dot type.
        let activations = activations(input, count: count)
        let activationRowBytes = activations.count / max(count, 1)
        nonisolated(unsafe) let output = output
        if type.format.panels != nil {
            let prepared = panelInput(activations, count: count)
            Kernels.parallelFor((rows + 15) / 16, threads: threads) { panels in
                panelProduct(prepared, tokens: count, panels: panels, into: output, path: path)
            }
            return
        }
        let dot = path == .scalar ? kernel.scalar : kernel.fast
        let n = Int32(columns)
        let rowBytes = rowBytes
        storage.withUnsafeBytes { w in
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

    /// `count` input rows ([count, columns]) rounded to the kernel's activation type, row after row.
    func activations(_ input: UnsafePointer<Float>, count: Int) -> [UInt8] {
        let activationType = kernel.activationType
        let rowBytes = activationType.format.byteCount(elements: columns)!
        var activations = [UInt8](repeating: 0, count: count * rowBytes)
        activations.withUnsafeMutableBytes { a in
            for t in 0..<count { DotKernels.quantizeActivations(activationType, input + t * columns, count: columns, into: a.baseAddress! + t * rowBytes) }
        }
        return activations
    }

    /// Input rows as the panel kernels read them: Q8_0 rows with each block's code sum (Q8_0 and
    /// Q4_0 panels), or the F16-rounded values as F32 (F16 panels; exact), in `values`.
    struct PanelInput: @unchecked Sendable {
        var blocks: [UInt8] = []
        var sums: [Int32] = []
        var values: [Float] = []
    }

    /// `activations` (count rows in the vec_dot type) prepared for `panelProduct`.
    func panelInput(_ activations: [UInt8], count: Int) -> PanelInput {
        var prepared = PanelInput()
        if type.format.panels == QL_PANEL_F16 {
            activations.withUnsafeBytes { a in prepared.values = a.bindMemory(to: UInt16.self).map { ql_fp16_to_fp32($0) } }
        } else {
            // s: [count, blocks] — each activation block's code sum, which the kernels take off.
            let blocks = columns / 32
            prepared.sums = [Int32](repeating: 0, count: count * blocks)
            activations.withUnsafeBytes { a in ql_q8_0_block_sums(a.baseAddress!, Int32(count), Int32(blocks), &prepared.sums) }
            prepared.blocks = activations
        }
        return prepared
    }

    /// Outputs of panels `panels` (16 rows each) for the first `tokens` rows of `input`, into
    /// output [tokens, rows].
    func panelProduct(_ input: PanelInput, tokens: Int, panels: Range<Int>, into output: UnsafeMutablePointer<Float>, path: KernelPath) {
        guard let layout = type.format.panels else { preconditionFailure("\(type) has no panel layout") }
        storage.withUnsafeBytes { w in
            if layout == QL_PANEL_F16 {
                input.values.withUnsafeBufferPointer { a in
                    ql_gemm_panels_f16(
                        path.c, w.baseAddress!, Int32(rows), Int32(columns), Int32(panels.lowerBound), Int32(panels.upperBound), a.baseAddress!,
                        Int32(tokens), output, Int32(rows))
                }
            } else {
                input.blocks.withUnsafeBytes { a in
                    input.sums.withUnsafeBufferPointer { s in
                        ql_gemm_panels(
                            path.c, layout, w.baseAddress!, Int32(rows), Int32(columns), Int32(panels.lowerBound), Int32(panels.upperBound),
                            a.baseAddress!, Int32(tokens), s.baseAddress!, output, Int32(rows))
                    }
                }
            }
        }
    }
}
