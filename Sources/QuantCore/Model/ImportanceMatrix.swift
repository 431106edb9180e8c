import Foundation

/// Collects an importance matrix the way llama-imatrix does: for the input of every block matrix,
/// the sum over tokens of x² per input column, and the number of tokens. Quantizers use
/// sum / count, the mean squared activation of each column, to weight their rounding errors.
public final class ImportanceCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var sums: [String: [Double]] = [:]
    private var counts: [String: Int] = [:]

    public init() {}

    func add(_ name: String, input: [Float], count: Int, columns: Int) {
        var partial = [Double](repeating: 0, count: columns)
        for t in 0..<count {
            for i in 0..<columns { partial[i] += Double(input[t * columns + i] * input[t * columns + i]) }
        }
        lock.lock()
        defer { lock.unlock() }
        if sums[name] == nil { sums[name] = partial } else { for i in 0..<columns { sums[name]![i] += partial[i] } }
        counts[name, default: 0] += count
    }

    /// Mean x² per input column, by tensor name.
    public var importance: [String: [Float]] {
        lock.lock()
        defer { lock.unlock() }
        var result: [String: [Float]] = [:]
        for (name, sum) in sums {
            let n = Double(counts[name] ?? 1)
            result[name] = sum.map { Float($0 / n) }
        }
        return result
    }

    /// The matrix as llama.cpp's GGUF imatrix file (`<tensor>.in_sum2`, `<tensor>.counts`,
    /// `imatrix.datasets`, `imatrix.chunk_count`, `imatrix.chunk_size`), so llama-quantize
    /// `--imatrix` can read it.
    public func gguf(dataset: String, chunkCount: Int, chunkSize: Int) throws(GGUFError) -> GGUFWriter {
        lock.lock()
        let snapshot = sums
        let tokenCounts = counts
        lock.unlock()
        var writer = GGUFWriter()
        writer.set("general.type", .string("imatrix"))
        writer.set("imatrix.datasets", .array(.string([dataset])))
        writer.set("imatrix.chunk_count", .uint32(UInt32(chunkCount)))
        writer.set("imatrix.chunk_size", .uint32(UInt32(chunkSize)))
        for name in snapshot.keys.sorted() {
            let values = snapshot[name]!.map { Float($0) }
            try writer.addTensor(name: name + ".in_sum2", shape: [values.count, 1], floats: values)
            try writer.addTensor(name: name + ".counts", shape: [1], floats: [Float(tokenCounts[name] ?? 0)])
        }
        return writer
    }
}

public enum ImportanceMatrix {
    /// Types whose quantizer uses an importance matrix in QuantLab (others refuse one rather
    /// than silently ignore it; Q8_0 and the float types have nothing to weight).
    public static let weightedTypes: [TensorType] = [.q4_0, .q4_1, .q5_0, .q5_1, .iq4_NL, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Reads a llama.cpp GGUF imatrix file: for each tensor, in_sum2 / counts (all ones when a
    /// count is 0, as llama-quantize does).
    public static func load(_ file: GGUFFile) throws(GGUFError) -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        for tensor in file.tensors where tensor.name.hasSuffix(".in_sum2") {
            let name = String(tensor.name.dropLast(".in_sum2".count))
            guard let counts = file.tensor(name + ".counts") else { throw GGUFError(path: file.path, .missingTensor(name + ".counts")) }
            guard tensor.type == .f32, counts.type == .f32, counts.elementCount == 1 else {
                throw GGUFError(
                    path: file.path,
                    .badValue(key: name, expected: "F32 in_sum2 and a single F32 count (one expert)", actual: "\(tensor.type), \(counts.elementCount) counts"))
            }
            let count = file.floats(of: counts)[0].rounded()
            let sums = file.floats(of: tensor)
            result[name] = count > 0 ? sums.map { $0 / count } : sums.map { _ in 1 }
        }
        return result
    }
}

extension ImportanceCollector {
    /// llama-imatrix's loop: runs `model` over every chunk of `plan` (no logits needed) and
    /// returns what the block matrices' inputs recorded. Deterministic: each matrix's input is
    /// added once per chunk, in forward order, whatever the thread count.
    public static func collect(model: LlamaModel, plan: EvaluationPlan, threads: Int) throws(ModelError) -> ImportanceCollector {
        let collector = ImportanceCollector()
        let recording = model.collectingImportance(collector)
        var cache = recording.makeCache(capacity: plan.contextLength)
        for chunk in 0..<plan.chunkCount {
            cache.clear()
            _ = try recording.forward(plan.input(chunk: chunk), cache: &cache, logitRows: 0..<0, threads: threads)
        }
        return collector
    }
}
