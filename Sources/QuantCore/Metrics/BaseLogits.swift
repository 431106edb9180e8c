import Digests
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

        init(vocab: Int, context: Int, chunks: Int, scored: Int, modelHash: String, tokensHash: String) {
            (self.vocab, self.context, self.chunks, self.scored, self.modelHash, self.tokensHash) = (vocab, context, chunks, scored, modelHash, tokensHash)
        }

        /// The header of a base model's log-probabilities over `plan`.
        init(vocabulary: Int, baseHash: String, plan: EvaluationPlan) {
            self.init(
                vocab: vocabulary, context: plan.contextLength, chunks: plan.chunkCount, scored: plan.scoredPerChunk, modelHash: baseHash,
                tokensHash: BaseLogitsCache.tokensHash(plan))
        }

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

    /// The base model's log-probabilities for this model and plan: the cached file when it is
    /// there and whole, else computed chunk by chunk with `base` and written to the cache as they
    /// come (to a temporary file, deleted when the handle goes, when the cache directory cannot
    /// be written). Never held in memory whole: `BaseLogProbs` reads one chunk at a time.
    /// `cached` reports whether the file was there already.
    public func logProbs(base: LlamaModel, baseHash: String, plan: EvaluationPlan, threads: Int) throws -> (values: BaseLogProbs, cached: Bool) {
        let header = Header(vocabulary: base.config.vocabularySize, baseHash: baseHash, plan: plan)
        let file = path(for: header)
        if let existing = open(header) { return (existing, true) }
        // Written beside its final name and renamed when complete, so a reader never sees half a file.
        let (partial, temporary) = Self.createWritable(directory: directory, name: (file as NSString).lastPathComponent)
        guard let output = FileHandle(forWritingAtPath: partial) else {
            throw EvaluationError.cacheUnwritable(path: partial)
        }
        do {
            try output.write(contentsOf: header.bytes)
            var cache = base.makeCache(capacity: plan.contextLength)
            for chunk in 0..<plan.chunkCount {
                let values = try Evaluation.scoredLogProbs(model: base, plan: plan, chunk: chunk, cache: &cache, threads: threads)
                try values.withUnsafeBytes { try output.write(contentsOf: Data($0)) }
            }
            try output.close()
        } catch {
            try? output.close()
            unlink(partial)
            throw error
        }
        let final = temporary ? partial : file
        if !temporary && rename(partial, file) != 0 {
            unlink(partial)
            throw EvaluationError.cacheUnwritable(path: file)
        }
        guard
            let values = BaseLogProbs(
                path: final, header: header.bytes, vocab: header.vocab, scored: header.scored, chunks: header.chunks, temporary: temporary)
        else { throw EvaluationError.cacheUnwritable(path: final) }
        return (values, false)
    }

    /// The cached log-probabilities of a base model with this vocabulary and file hash for this
    /// plan, when the cache holds them whole; nil otherwise (then `logProbs` computes them).
    public func existing(vocabulary: Int, baseHash: String, plan: EvaluationPlan) -> BaseLogProbs? {
        open(Header(vocabulary: vocabulary, baseHash: baseHash, plan: plan))
    }

    /// The cache file for `header`, when it is there and whole.
    private func open(_ header: Header) -> BaseLogProbs? {
        BaseLogProbs(path: path(for: header), header: header.bytes, vocab: header.vocab, scored: header.scored, chunks: header.chunks)
    }

    /// A new file for writing: in the cache directory when it can be created there, else in the
    /// system's temporary directory (`temporary` true: the caller deletes it when done).
    private static func createWritable(directory: String, name: String) -> (path: String, temporary: Bool) {
        let suffix = ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        if (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil {
            let path = directory + "/" + name + suffix
            if FileManager.default.createFile(atPath: path, contents: nil) { return (path, false) }
        }
        let path = NSTemporaryDirectory() + "/quantlab-" + name + suffix
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return (path, true)
    }
}

/// The base model's log-probabilities in a file (the cache's format), read one chunk at a time.
public final class BaseLogProbs: Sendable {
    public let vocab: Int
    public let scoredPerChunk: Int
    public let chunks: Int
    private let path: String
    private let descriptor: Int32
    private let dataOffset: Int
    private let temporary: Bool

    /// Opens `path` when it holds `header` and exactly the log-probs it promises; nil otherwise
    /// (a missing, short, long or foreign file is recomputed, never trusted).
    init?(path: String, header: [UInt8], vocab: Int, scored: Int, chunks: Int, temporary: Bool = false) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var info = stat()
        var found = [UInt8](repeating: 0, count: header.count)
        guard fstat(descriptor, &info) == 0, Int(info.st_size) == header.count + chunks * scored * vocab * 4,
            pread(descriptor, &found, header.count, 0) == header.count, found == header
        else {
            close(descriptor)
            return nil
        }
        self.path = path
        self.descriptor = descriptor
        self.dataOffset = header.count
        self.vocab = vocab
        self.scoredPerChunk = scored
        self.chunks = chunks
        self.temporary = temporary
    }

    deinit {
        close(descriptor)
        if temporary { unlink(path) }
    }

    /// The log-probs of chunk `chunk`: [scoredPerChunk, vocab].
    public func chunk(_ chunk: Int) throws -> [Float] {
        precondition(chunk >= 0 && chunk < chunks, "chunk \(chunk) outside 0..<\(chunks)")
        let count = scoredPerChunk * vocab
        var values = [Float](repeating: 0, count: count)
        let offset = dataOffset + chunk * count * 4
        let read = values.withUnsafeMutableBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                done += n
            }
            return done
        }
        guard read == count * 4 else { throw EvaluationError.cacheUnreadable(path: path) }
        return values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
    }
}

extension Evaluation {
    /// Compares `model` against the base log-probs (`BaseLogitsCache.logProbs`) over the plan,
    /// one chunk of each at a time.
    public static func divergence(
        model: LlamaModel, baseLogProbs: BaseLogProbs, plan: EvaluationPlan, threads: Int = 2,
        progress: (Int) -> Void = { _ in }
    ) throws -> DivergenceStatistics {
        let vocab = model.config.vocabularySize
        guard baseLogProbs.vocab == vocab, baseLogProbs.chunks == plan.chunkCount, baseLogProbs.scoredPerChunk == plan.scoredPerChunk else {
            throw EvaluationError.vocabularyMismatch(model: vocab, base: baseLogProbs.vocab)
        }
        var accumulator = DivergenceAccumulator()
        var cache = model.makeCache(capacity: plan.contextLength)
        for chunk in 0..<plan.chunkCount {
            let logProbs = try scoredLogProbs(model: model, plan: plan, chunk: chunk, cache: &cache, threads: threads)
            let baseChunk = try baseLogProbs.chunk(chunk)
            logProbs.withUnsafeBufferPointer { q in
                baseChunk.withUnsafeBufferPointer { b in
                    for (r, target) in plan.targets(chunk: chunk).enumerated() {
                        let row = (r * vocab)..<((r + 1) * vocab)
                        accumulator.add(
                            logProbs: UnsafeBufferPointer(rebasing: q[row]), baseLogProbs: UnsafeBufferPointer(rebasing: b[row]), target: Int(target))
                    }
                }
            }
            progress(chunk + 1)
        }
        return accumulator.statistics()
    }
}
