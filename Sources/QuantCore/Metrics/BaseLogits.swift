import Digests
import Foundation

/// The base model's log-probabilities at every scored position of a plan, cached on disk so
/// that comparing many quantized variants against one base runs the base model once.
///
/// Cache file: "QLBASE01", then u32 vocab, u32 n_ctx, u32 chunks, u32 scored per chunk, the
/// 64-hex-digit SHA-256 of the base model file and of the plan's tokens, then the F32 log-probs
/// chunk by chunk. The key (file name) is a hash of all of these, so a changed model, text,
/// tokenizer or context never reads a stale file; a damaged file is recomputed, never trusted.
public struct BaseLogitsCache: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// `$QUANTLAB_CACHE`, else `$XDG_CACHE_HOME/quantlab`, else `~/.cache/quantlab`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["QUANTLAB_CACHE"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/quantlab" }
        return (environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache/quantlab"
    }

    struct Header: Equatable {
        var vocab: Int, context: Int, chunks: Int, scored: Int
        var modelHash: String, tokensHash: String

        var bytes: [UInt8] {
            var writer = ByteWriter()
            writer.bytes(Array("QLBASE01".utf8))
            for value in [vocab, context, chunks, scored] { writer.u32(UInt32(value)) }
            writer.bytes(Array(modelHash.utf8))
            writer.bytes(Array(tokensHash.utf8))
            return writer.buffer
        }
    }

    static func tokensHash(_ plan: EvaluationPlan) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(plan.tokens.count * 4 + 8)
        for token in plan.tokens { withUnsafeBytes(of: token.littleEndian) { bytes.append(contentsOf: $0) } }
        withUnsafeBytes(of: Int32(plan.bos ?? -1).littleEndian) { bytes.append(contentsOf: $0) }
        return SHA256.hex(bytes)
    }

    func path(for header: Header) -> String {
        let key = SHA256.hex(header.bytes).prefix(32)
        return directory + "/base-\(key).logprobs"
    }

    /// Returns the cached log-probs for this model and plan, or computes them with `base`,
    /// stores them (best effort: an unwritable cache directory only costs the speed-up), and
    /// returns them. `cached` reports whether the file was used.
    public func logProbs(base: LlamaModel, baseHash: String, plan: EvaluationPlan, threads: Int) throws -> (values: [Float], cached: Bool) {
        let header = Header(
            vocab: base.config.vocabularySize, context: plan.contextLength, chunks: plan.chunkCount,
            scored: plan.scoredPerChunk, modelHash: baseHash, tokensHash: Self.tokensHash(plan))
        let file = path(for: header)
        let expectedFloats = header.chunks * header.scored * header.vocab
        let headerBytes = header.bytes
        if let data = FileManager.default.contents(atPath: file), data.count == headerBytes.count + expectedFloats * 4,
            Array(data.prefix(headerBytes.count)) == headerBytes
        {
            let values = data.withUnsafeBytes { raw in
                (0..<expectedFloats).map {
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: headerBytes.count + $0 * 4, as: UInt32.self)))
                }
            }
            return (values, true)
        }
        var values: [Float] = []
        values.reserveCapacity(expectedFloats)
        var cache = base.makeCache(capacity: plan.contextLength)
        for chunk in 0..<plan.chunkCount {
            values += try Evaluation.scoredLogProbs(model: base, plan: plan, chunk: chunk, cache: &cache, threads: threads)
        }
        store(values, header: header, at: file)
        return (values, false)
    }

    private func store(_ values: [Float], header: Header, at file: String) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            var data = Data(header.bytes)
            values.withUnsafeBytes { data.append(contentsOf: $0) }
            try data.write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            // The cache is an optimisation; failing to write it leaves results unchanged.
        }
    }
}

extension Evaluation {
    /// Compares `model` against base log-probs (as returned by `BaseLogitsCache.logProbs`) over the plan.
    public static func divergence(
        model: LlamaModel, baseLogProbs: [Float], plan: EvaluationPlan, threads: Int = 2,
        progress: (Int) -> Void = { _ in }
    ) throws -> DivergenceStatistics {
        let vocab = model.config.vocabularySize
        guard baseLogProbs.count == plan.scoredTotal * vocab else {
            throw EvaluationError.vocabularyMismatch(model: vocab, base: baseLogProbs.count / max(1, plan.scoredTotal))
        }
        var accumulator = DivergenceAccumulator()
        var cache = model.makeCache(capacity: plan.contextLength)
        for chunk in 0..<plan.chunkCount {
            let logProbs = try scoredLogProbs(model: model, plan: plan, chunk: chunk, cache: &cache, threads: threads)
            logProbs.withUnsafeBufferPointer { q in
                baseLogProbs.withUnsafeBufferPointer { b in
                    for (r, target) in plan.targets(chunk: chunk).enumerated() {
                        let baseRow = (chunk * plan.scoredPerChunk + r) * vocab
                        accumulator.add(
                            logProbs: UnsafeBufferPointer(rebasing: q[(r * vocab)..<((r + 1) * vocab)]),
                            baseLogProbs: UnsafeBufferPointer(rebasing: b[baseRow..<(baseRow + vocab)]),
                            target: Int(target))
                    }
                }
            }
            progress(chunk + 1)
        }
        return accumulator.statistics()
    }
}
