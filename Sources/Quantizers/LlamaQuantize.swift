import QuantCore

/// llama-quantize's per-tensor type choice (`llama_tensor_get_type` in llama.cpp's
/// src/llama-quant.cpp) for the llama architecture and the K-quant mixtures QuantLab writes.
public enum LlamaQuantize {
    public enum Preset: String, CaseIterable, Sendable {
        case q3_K_M = "q3_k_m"
        case q4_K_M = "q4_k_m"
        case q5_K_M = "q5_k_m"

        /// The mixture's base type and its `general.file_type` (`llama_ftype`).
        public var base: TensorType {
            switch self {
            case .q3_K_M: .q3_K
            case .q4_K_M: .q4_K
            case .q5_K_M: .q5_K
            }
        }

        public var fileType: UInt32 {
            switch self {
            case .q3_K_M: 12
            case .q4_K_M: 15
            case .q5_K_M: 17
            }
        }
    }

    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers and every third
    /// layer in between get more bits.
    public static func useMoreBits(_ layer: Int, _ layers: Int) -> Bool {
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2
    }

    /// The type of every tensor in `file` under `preset`, in file order, with the shape fallbacks.
    public static func types(for file: GGUFFile, preset: Preset) -> [String: TensorType] {
        types(for: file.tensors.map { ($0.name, $0.shape) }, preset: preset)
    }

    /// The same choice for a list of tensor names and ggml shapes, in file order.
    public static func types(for tensors: [(name: String, shape: [Int])], preset: Preset) -> [String: TensorType] {
        let attentionV = tensors.filter { $0.name.hasSuffix("attn_v.weight") }.count
        let ffnDown = tensors.filter { $0.name.hasSuffix("ffn_down.weight") }.count
        let tied = !tensors.contains { $0.name == "output.weight" }
        var seenV = 0
        var seenDown = 0
        var result: [String: TensorType] = [:]
        for tensor in tensors {
            guard tensor.shape.count >= 2, tensor.name.hasSuffix("weight") else {
                result[tensor.name] = .f32
                continue
            }
            var type = preset.base
            if tensor.name == "output.weight" || (tied && tensor.name == "token_embd.weight") {
                // Output: Q6_K, or Q8_0 when its rows do not fill a 256-value super-block.
                type = tensor.shape[0] % 256 != 0 ? .q8_0 : .q6_K
            } else if tensor.name.hasSuffix("attn_v.weight") {
                if preset == .q3_K_M {
                    type = seenV < 2 ? .q5_K : .q4_K
                } else if useMoreBits(seenV, attentionV) {
                    type = .q6_K
                }
                // llama.cpp's 70B rule (LLM_TYPE_70B: a llama with 80 layers): its attn_v is 8× smaller
                // than attn_q because 8 heads share it, so a Q3_K/Q4_K attn_v gets Q5_K.
                if attentionV == 80 && (type == .q3_K || type == .q4_K) { type = .q5_K }
                seenV += 1
            } else if tensor.name.hasSuffix("ffn_down.weight") {
                if preset == .q3_K_M {
                    type = seenDown < ffnDown / 16 ? .q5_K : .q4_K
                } else if useMoreBits(seenDown, ffnDown) {
                    type = .q6_K
                }
                seenDown += 1
            } else if tensor.name.hasSuffix("attn_output.weight") && preset == .q3_K_M {
                type = .q4_K
            }
            result[tensor.name] = GGUFConverter.fallback(type, rowLength: tensor.shape[0])
        }
        return result
    }

    /// Writes the mixture, as llama-quantize would, with an importance matrix when given. Every
    /// type the mixture picks must then have a weighted quantizer (or none to weight, like Q8_0).
    public static func quantize(_ file: GGUFFile, preset: Preset, importance: [String: [Float]]? = nil) throws(GGUFError) -> GGUFWriter {
        let types = types(for: file, preset: preset)
        if importance != nil {
            let unweighted = Set(types.values).subtracting(ImportanceMatrix.weightedTypes + [.q8_0, .f32, .f16, .bf16])
            guard unweighted.isEmpty else {
                throw GGUFError(
                    path: file.path,
                    .unsupported(
                        "\(preset.rawValue.uppercased()) uses \(unweighted.map(\.description).sorted().joined(separator: ", ")) on this model, which QuantLab cannot weight with an importance matrix yet (weighted: \(ImportanceMatrix.weightedTypes.map(\.description).joined(separator: ", "))); quantize without --imatrix"
                    ))
            }
        }
        return try GGUFConverter.convert(file, fileType: preset.fileType, importance: importance) { types[$0.name] ?? .f32 }
    }
}
