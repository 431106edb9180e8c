/// Re-encodes a GGUF file's tensors in another float type, copying every metadata key, the way
/// llama.cpp's converters store a model: 2-D weight matrices in the target type, 1-D tensors
/// (norms, RoPE factors) kept in F32.
public enum GGUFConverter {
    /// Target types this converter writes; the quantized types come with the quantizers.
    public static let targets: [TensorType] = [.f32, .f16, .bf16]

    /// `general.file_type` values llama.cpp uses (`enum llama_ftype`).
    public static func fileType(for type: TensorType) -> UInt32? {
        switch type {
        case .f32: 0
        case .f16: 1
        case .bf16: 32
        default: nil
        }
    }

    public static func convert(_ file: GGUFFile, to target: TensorType) throws(GGUFError) -> GGUFWriter {
        guard let fileType = fileType(for: target) else {
            throw GGUFError(path: file.path, .badValue(key: "target type", expected: "F32, F16 or BF16", actual: target.description))
        }
        var writer = GGUFWriter(alignment: file.alignment)
        for (key, value) in file.metadata where key != "general.alignment" {
            writer.set(key, value)
        }
        writer.set("general.file_type", .uint32(fileType))
        for tensor in file.tensors {
            let floats = file.floats(of: tensor)
            let type = tensor.shape.count >= 2 ? target : .f32
            try writer.addTensor(name: tensor.name, shape: tensor.shape, type: type, bytes: encode(floats, as: type))
        }
        return writer
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
