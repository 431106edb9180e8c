/// Re-encodes a GGUF file's tensors in another type, copying every metadata key: every 2-D
/// weight matrix in the target type (what llama-quantize calls `--pure`: no per-tensor mixture),
/// 1-D tensors (norms, RoPE factors) kept in F32, as llama.cpp stores them.
public enum GGUFConverter {
    /// Target types this converter writes.
    public static let targets: [TensorType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_NL]

    /// `general.file_type` values llama.cpp uses (`enum llama_ftype`).
    public static func fileType(for type: TensorType) -> UInt32? {
        switch type {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q5_1: 9
        case .q2_K: 10  // MOSTLY_Q2_K
        case .q3_K: 11  // MOSTLY_Q3_K_S: every matrix in Q3_K
        case .q4_K: 14  // MOSTLY_Q4_K_S: every matrix in Q4_K
        case .q5_K: 16  // MOSTLY_Q5_K_S
        case .q6_K: 18
        case .iq4_NL: 25
        case .bf16: 32
        default: nil
        }
    }

    public static func convert(_ file: GGUFFile, to target: TensorType, importance: [String: [Float]]? = nil) throws(GGUFError) -> GGUFWriter {
        guard let fileType = fileType(for: target) else {
            throw GGUFError(
                path: file.path, .badValue(key: "target type", expected: targets.map(\.description).joined(separator: ", "), actual: target.description))
        }
        return try convert(file, fileType: fileType, importance: importance) { $0.shape.count >= 2 ? fallback(target, rowLength: $0.shape[0]) : .f32 }
    }

    /// llama-quantize's `tensor_type_fallback`: a type whose block does not divide the row length
    /// is replaced by a 32-block type of similar size, and by F16 when even that does not fit.
    public static func fallback(_ type: TensorType, rowLength: Int) -> TensorType {
        guard rowLength % type.format.blockSize != 0 else { return type }
        let replacement: TensorType =
            switch type {
            case .q2_K, .q3_K: .q4_0
            case .q4_K: .q5_0
            case .q5_K: .q5_1
            case .q6_K: .q8_0
            default: type
            }
        return rowLength % replacement.format.blockSize == 0 ? replacement : .f16
    }

    /// Writes every tensor in the type `typeFor` chooses (which must fit the tensor's rows),
    /// with `general.file_type` set to `fileType` (llama.cpp's `llama_ftype` number).
    public static func convert(
        _ file: GGUFFile, fileType: UInt32, importance: [String: [Float]]? = nil,
        typeFor: (GGUFTensorInfo) -> TensorType
    ) throws(GGUFError) -> GGUFWriter {
        var writer = GGUFWriter(alignment: file.alignment)
        for (key, value) in file.metadata where key != "general.alignment" {
            writer.set(key, value)
        }
        writer.set("general.file_type", .uint32(fileType))
        for tensor in file.tensors {
            let floats = file.floats(of: tensor)
            let type = typeFor(tensor)
            let bytes = try encode(
                floats, as: type, tensor: tensor.name, rowLength: tensor.shape[0], path: file.path,
                importance: importance?[tensor.name])
            try writer.addTensor(name: tensor.name, shape: tensor.shape, type: type, bytes: bytes)
        }
        return writer
    }

    /// A tensor's bytes in `type`: floats as they are, block types through the reference
    /// quantizer, weighted by `importance` (one value per column) where the type has a weighted
    /// quantizer. Every failure names the tensor.
    public static func encode(
        _ floats: [Float], as type: TensorType, tensor: String, rowLength columns: Int, path: String,
        importance: [Float]? = nil
    ) throws(GGUFError) -> [UInt8] {
        guard columns % type.format.blockSize == 0 else {
            throw GGUFError(
                path: path, .shapeNotBlockMultiple(tensor: tensor, rowLength: UInt64(columns), blockSize: type.format.blockSize, type: type.description))
        }
        let rows = floats.count / columns
        if let importance, ImportanceMatrix.weightedTypes.contains(type) {
            guard importance.count == columns else {
                throw GGUFError(
                    path: path, .badValue(key: tensor + " importance", expected: "\(columns) values (the row length)", actual: "\(importance.count)"))
            }
            return try encode(floats, as: type, tensor: tensor, path: path) { x, y throws(Quantize.Failure) in
                try Quantize.weighted(type, x, rows: rows, columns: columns, importance: importance, y)
            }
        }
        if let quantize = Quantize.function(for: type) {
            return try encode(floats, as: type, tensor: tensor, path: path) { x, y throws(Quantize.Failure) in try quantize(x, y) }
        }
        return encode(floats, as: type)
    }

    /// Runs a quantizer over `values` into a new buffer, turning its failure into a GGUFError
    /// that names the tensor.
    static func encode(
        _ values: [Float], as type: TensorType, tensor: String, path: String,
        _ quantize: (UnsafeBufferPointer<Float>, UnsafeMutableRawBufferPointer) throws(Quantize.Failure) -> Void
    ) throws(GGUFError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: type.format.byteCount(elements: values.count)!)
        let failure: Quantize.Failure? = values.withUnsafeBufferPointer { x in
            out.withUnsafeMutableBytes { y in
                do throws(Quantize.Failure) {
                    try quantize(x, y)
                    return nil
                } catch {
                    return error
                }
            }
        }
        if let failure {
            throw GGUFError(path: path, .badValue(key: tensor, expected: "finite weights", actual: failure.description))
        }
        return out
    }

    /// Little-endian bytes of `values` in F32, F16 or BF16.
    static func encode(_ values: [Float], as type: TensorType) -> [UInt8] {
        var out = ByteWriter()
        out.buffer.reserveCapacity(values.count * (type == .f32 ? 4 : 2))
        switch type {
        case .f16: for v in values { out.u16(Half.f32ToF16(v)) }
        case .bf16: for v in values { out.u16(Half.f32ToBF16(v)) }
        default: for v in values { out.u32(v.bitPattern) }
        }
        return out.buffer
    }
}
