import QuantCore

/// The bytes a recipe would take on published model shapes, computed tensor by tensor with the
/// same storage rules as on the reference model (no estimate factors).
public struct ModelShape: Sendable, Equatable {
    public var name: String
    public var blocks: Int
    public var embedding: Int
    public var feedForward: Int
    public var heads: Int
    public var kvHeads: Int
    public var vocabulary: Int

    /// Llama-2-7B and Llama-2-70B (Touvron et al. 2023, the models' config.json): 4096/11008,
    /// 32 layers, 32 heads; 8192/28672, 80 layers, 64 heads of which 8 KV heads; vocabulary 32000.
    public static let llama2_7B = ModelShape(name: "Llama-2-7B", blocks: 32, embedding: 4096, feedForward: 11008, heads: 32, kvHeads: 32, vocabulary: 32000)
    public static let llama2_70B = ModelShape(name: "Llama-2-70B", blocks: 80, embedding: 8192, feedForward: 28672, heads: 64, kvHeads: 8, vocabulary: 32000)

    /// Tensor names and ggml shapes ([columns, rows]) in llama.cpp's file order.
    public var tensors: [(name: String, shape: [Int])] {
        let d = embedding
        let kv = embedding / heads * kvHeads
        var list: [(String, [Int])] = [("token_embd.weight", [d, vocabulary])]
        for b in 0..<blocks {
            list += [
                ("blk.\(b).attn_norm.weight", [d]), ("blk.\(b).attn_q.weight", [d, d]), ("blk.\(b).attn_k.weight", [d, kv]),
                ("blk.\(b).attn_v.weight", [d, kv]), ("blk.\(b).attn_output.weight", [d, d]), ("blk.\(b).ffn_norm.weight", [d]),
                ("blk.\(b).ffn_gate.weight", [d, feedForward]), ("blk.\(b).ffn_up.weight", [d, feedForward]),
                ("blk.\(b).ffn_down.weight", [feedForward, d]),
            ]
        }
        list += [("output_norm.weight", [d]), ("output.weight", [d, vocabulary])]
        return list
    }
}

public enum MemoryProjection {
    /// Exact bytes of a [rows, columns] matrix under a method, from the shapes alone.
    public static func bytes(_ method: TensorMethod, rows: Int, columns: Int, source: TensorType) -> Int {
        let count = rows * columns
        switch method {
        case .keep, .ggmlPreset:
            return source.format.byteCount(elements: count) ?? count * 4
        case .ggml(let type):
            let chosen = GGUFConverter.fallback(type, rowLength: columns)
            return chosen.format.byteCount(elements: count) ?? count * 2
        case .rtn(let s):
            // A group size that does not divide the rows is counted with a partial last group.
            let groups: Int =
                switch s.granularity {
                case .tensor: 1
                case .channel: rows
                case .group(let size): rows * ((columns + size - 1) / size)
                }
            return (count * s.bits + 7) / 8 + groups * 2 + (s.symmetric ? 0 : (groups * s.bits + 7) / 8)
        case .int8(let perRow):
            return count + (perRow ? rows * 4 : 4)
        case .awq(let s):
            return AWQ.parts(rows: rows, columns: columns, settings: s).reduce(0) { $0 + $1.bytes }
        case .gptq(let r):
            let groups = r.matrix.groupSize == -1 ? 1 : (columns + r.matrix.groupSize - 1) / r.matrix.groupSize
            return GPTQ.layout(rows: rows, columns: columns, bits: r.matrix.bits, groups: groups).reduce(0) { $0 + $1.bytes }
        case .bnb4bit(let s):
            let blocks = (count + s.blocksize - 1) / s.blocksize
            let scales = s.doubleQuant ? blocks + (blocks + 255) / 256 * 4 + 4 : blocks * 4
            return (count + 1) / 2 + scales
        }
    }

    /// Total bytes and bits per weight of `recipe` on `shape`, with unquantized tensors in `source`
    /// (F16, as such models are published) and norms in F32.
    public static func project(_ recipe: QuantizationRecipe, onto shape: ModelShape, source: TensorType = .f16) -> (
        bytes: Int, parameters: Int, bitsPerWeight: Double
    ) {
        let tensors = shape.tensors
        var presetTypes: [String: TensorType] = [:]
        if case .ggmlPreset(let preset) = recipe.method { presetTypes = LlamaQuantize.types(for: tensors, preset: preset) }
        var bytes = 0
        var parameters = 0
        for (name, dims) in tensors {
            let count = dims.reduce(1, *)
            parameters += count
            guard dims.count >= 2 else {
                bytes += count * 4
                continue
            }
            var method = recipe.method(for: name)
            if case .ggmlPreset = method { method = .ggml(presetTypes[name] ?? source) }
            bytes += Self.bytes(method, rows: count / dims[0], columns: dims[0], source: source)
        }
        return (bytes, parameters, Double(bytes * 8) / Double(parameters))
    }
}
