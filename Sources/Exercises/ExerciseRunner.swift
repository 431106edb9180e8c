import CourseContent
import Digests
import Dispatch
import Foundation
import QuantCore
import Quantizers

/// What a run of an exercise measured: deterministic metrics (identical on rerun and for any
/// thread count) plus the time quantization took, which is reported but not graded, and, when
/// asked for, the measured decode speed of the recipe on a Llama-7B-shaped block against F16 in
/// the same run (metric `decode_speedup`, the geometric mean of alternating pairs, with its
/// 95% interval; the only timed metric).
public struct ExerciseMeasurement: Sendable, Equatable, Codable {
    public var metrics: [Metric: Double]
    public var quantizationSeconds: Double
    public var evaluatedTokens: Int
    public var calibrationTokens: Int?
    public var layers: [LayerReport]?
    public var speed: BlockDecodeSpeed?

    /// The 95% interval of each timed metric, for grading.
    public var intervals: [Metric: (lower: Double, upper: Double)] {
        guard let s = speed else { return [:] }
        return [.decodeSpeedup: (s.comparison.lower, s.comparison.upper)]
    }

    /// How the timed speed was measured, in one sentence for reports and feedback files.
    public var speedSummary: String? {
        guard let s = speed else { return nil }
        let c = s.comparison
        var text = String(
            format:
                "Decode speed, timed on this machine through one %@ block on %d thread (thread CPU time, %d alternating pairs): F16 %.1f tok/s, yours %.1f tok/s, %.2f× (95%% interval %.2f–%.2f×%@; wall clock %.2f×). Block matrices (q, k, v, o, gate, up, down): %@; %.0f MB against %.0f MB in F16.",
            s.block, s.threads, c.pairs, s.baselineTokensPerSecond, s.tokensPerSecond, c.speedup, c.lower, c.upper,
            c.converged ? "" : ", wider than ±5% after the 30-pair cap", c.wallSpeedup, s.formats.joined(separator: ", "),
            Double(s.bytes) / 1e6, Double(s.baselineBytes) / 1e6)
        for note in s.notes { text += " " + note }
        return text
    }
}

/// Quantizes the course's reference model with a learner's recipe and measures what the rubric
/// checks, against the unquantized model on the evaluation split.
public enum ExerciseRunner {
    /// Changes whenever the engine's arithmetic changes, so cached results are never reused
    /// across versions that would compute them differently.
    public static let engineVersion = "quantlab-engine-6 (F16, Q8_0, Q4_0 in 16-row panels: tiled products, one order of float operations on every path)"

    /// The cache key: engine version, model and text digests, evaluation chunks and the
    /// normalized recipe (the parsed settings, so comments, key order and spelling of defaults
    /// do not matter).
    public static func key(recipe: QuantizationRecipe, modelDigest: String, textDigest: String, chunks: Int?) -> String {
        SHA256.hex(Array("\(engineVersion)\n\(modelDigest)\n\(textDigest)\n\(chunks.map(String.init) ?? "all")\n\(recipe)".utf8))
    }

    /// The unquantized model's value of every metric: the "baseline" column of the report (the
    /// speed metrics compare with the same weights in F16).
    public static var baseline: [Metric: Double] {
        let f16 = MemoryProjection.project(QuantizationRecipe(method: .keep), onto: .llama2_7B)
        return [
            .pplRatio: 1, .meanKLD: 0, .sameTop: 100, .bitsPerWeight: 32, .blockBitsPerWeight: 32,
            .llama2_7bGB: Double(f16.bytes) / 1e9, .outlierColumns: 0, .decodeSpeedupEstimate: 1, .decodeSpeedup: 1,
        ]
    }

    /// Whether grading the exercise needs the measured decode speed.
    public static func needsMeasuredSpeed(_ exercise: Exercise) -> Bool {
        exercise.checks.contains { $0.metric == .decodeSpeedup }
    }

    /// Runs the recipe, answering from `cacheDirectory` when the same key was measured before
    /// (unless `fresh`). Decode speed is measured when `measureSpeed` is set or the rubric
    /// grades it; a cached result without it is then recomputed. Returns the measurement and
    /// whether it came from the cache.
    public static func measure(
        _ exercise: Exercise, recipe: QuantizationRecipe, courseRoot: URL, cacheDirectory: String,
        fresh: Bool = false, measureSpeed: Bool = false, speedTrial: BlockDecodeSpeed.Trial = .standard,
        modelDigest knownDigest: String? = nil, threads: Int
    ) throws -> (ExerciseMeasurement, cached: Bool) {
        let measureSpeed = measureSpeed || needsMeasuredSpeed(exercise)
        let modelPath = courseRoot.appendingPathComponent(ReferenceModel.relativePath).path
        let textPath = courseRoot.appendingPathComponent(ReferenceModel.evaluationTextPath).path
        let text = try BoundedFile.readText(path: textPath)
        let file = try GGUFFile.open(path: modelPath)
        // The caller may know the digest (grade exercises computes it once for all its workers).
        let modelDigest = knownDigest ?? ModelMeasurement.digest(file)
        let key = key(recipe: recipe, modelDigest: modelDigest, textDigest: SHA256.hex(Array(text.utf8)), chunks: exercise.chunks)
        let cacheFile = URL(fileURLWithPath: cacheDirectory).appendingPathComponent("exercise-\(key).json")
        if !fresh, let data = try? Data(contentsOf: cacheFile), let cached = try? JSON.decoder.decode(ExerciseMeasurement.self, from: data),
            cached.speed != nil || !measureSpeed
        {
            return (cached, true)
        }

        let setup = try ModelMeasurement.setup(file: file, text: text, textPath: textPath, chunks: exercise.chunks)
        let outcome = try ModelMeasurement.quantize(
            recipe, setup, calibrationPath: courseRoot.appendingPathComponent(ReferenceModel.calibrationTextPath).path,
            threads: threads)
        let divergence = try ModelMeasurement.divergence(
            outcome.model, base: setup.model, baseDigest: modelDigest, plan: setup.plan,
            cacheDirectory: cacheDirectory, threads: threads
        ).statistics
        let base = setup.model
        let seconds = outcome.seconds
        let blocks = outcome.memory.rows.filter { $0.tensor.hasPrefix("blk.") && !$0.tensor.hasSuffix("_norm.weight") }
        var metrics: [Metric: Double] = [
            .pplRatio: divergence.perplexityRatio,
            .meanKLD: divergence.meanKLD,
            .sameTop: divergence.sameTopRate * 100,
            .bitsPerWeight: outcome.memory.bitsPerWeight,
            .blockBitsPerWeight: Double(blocks.reduce(0) { $0 + $1.bytes } * 8) / Double(max(1, blocks.reduce(0) { $0 + $1.elements })),
            .llama2_7bGB: Double(MemoryProjection.project(recipe, onto: .llama2_7B).bytes) / 1e9,
        ]
        // Decode reads every weight once per token, except the embedding, of which it reads one
        // row: the bytes behind a memory-bound decode, compared with the same model in F16 (as
        // checkpoints ship: matrices in F16, norms in F32).
        let vocabulary = Double(base.config.vocabularySize)
        func decodeBytes(_ rows: [(String, Int)]) -> Double {
            rows.reduce(0) { $0 + ($1.0 == "token_embd.weight" ? Double($1.1) / vocabulary : Double($1.1)) }
        }
        let quantizedBytes = decodeBytes(outcome.memory.rows.map { ($0.tensor, $0.bytes) })
        let baseBytes = decodeBytes(file.tensors.map { ($0.name, $0.elementCount * ($0.shape.count >= 2 ? 2 : 4)) })
        metrics[.decodeMBPerToken] = quantizedBytes / 1e6
        metrics[.decodeSpeedupEstimate] = baseBytes / quantizedBytes
        let activity = outcome.model.activationStatistics.snapshot
        if case .llmInt8? = recipe.activation, activity.columns > 0 {
            metrics[.outlierColumns] = Double(activity.outlierColumns) / Double(activity.columns) * 100
        }
        var speed: BlockDecodeSpeed?
        if measureSpeed {
            // Timed on a Llama-7B-shaped block in the recipe's formats, not on this model, whose
            // weights fit in the last-level cache; on one thread, so that grades do not depend
            // on --threads or on what else runs on the machine's other cores.
            speed = try BlockDecodeSpeed.measure(recipe, trial: speedTrial, threads: threads)
            metrics[.decodeSpeedup] = speed?.comparison.speedup
        }
        let measurement = ExerciseMeasurement(
            metrics: metrics, quantizationSeconds: seconds, evaluatedTokens: divergence.tokens,
            calibrationTokens: outcome.calibrated?.calibrationTokens, layers: outcome.calibrated?.layers, speed: speed)
        try? FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        if let data = try? JSON.compact.encode(measurement) { try? data.write(to: cacheFile, options: .atomic) }
        return (measurement, false)
    }

    /// The unquantized model, its tokenizer and the exercise's evaluation plan.
    /// Computes (or finds) the unquantized model's log-probabilities for an exercise's
    /// evaluation in `cacheDirectory`, so that parallel graders do not all compute them.
    public static func warmBaseline(_ exercise: Exercise, courseRoot: URL, cacheDirectory: String, modelDigest: String, threads: Int) throws {
        let textPath = courseRoot.appendingPathComponent(ReferenceModel.evaluationTextPath).path
        let setup = try ModelMeasurement.setup(
            modelPath: courseRoot.appendingPathComponent(ReferenceModel.relativePath).path,
            text: try BoundedFile.readText(path: textPath), textPath: textPath, chunks: exercise.chunks)
        _ = try BaseLogitsCache(directory: cacheDirectory).logProbs(base: setup.model, baseHash: modelDigest, plan: setup.plan, threads: threads)
    }

    /// What a graded row depends on besides the settings: the model's and the texts' digests.
    public static func courseDigest(courseRoot: URL) throws -> (model: String, context: String) {
        let file = try GGUFFile.open(path: courseRoot.appendingPathComponent(ReferenceModel.relativePath).path)
        let model = ModelMeasurement.digest(file)
        var texts = model
        for path in [ReferenceModel.evaluationTextPath, ReferenceModel.calibrationTextPath] {
            let full = courseRoot.appendingPathComponent(path).path
            let bytes = try BoundedFile.read(path: full, displayPath: full, limit: 64 << 20, what: "text file")
            // Graders read these as UTF-8 text; a text that is not would fail every submission.
            guard String(validating: bytes, as: UTF8.self) != nil else {
                throw CourseProblem(file: full, line: nil, message: "the text is not valid UTF-8")
            }
            texts += "\n" + SHA256.hex(bytes)
        }
        return (model, SHA256.hex(Array(texts.utf8)))
    }

    /// Parses a settings file for an exercise, refusing methods the exercise does not allow.
    public static func recipe(settings text: String, file: String, exercise: Exercise) throws(CourseProblem) -> QuantizationRecipe {
        let (recipe, evaluation) = try QuantizationSettings.parseWithEvaluation(text, file: file)
        guard evaluation.isEmpty else {
            throw CourseProblem(
                file: file, line: evaluation.line,
                message:
                    "exercise \(exercise.id) fixes its own evaluation (\(exercise.chunks.map { "\($0) chunks" } ?? "every chunk") of 256 tokens) so that every submission is graded alike; remove the [evaluation] table (it applies to quantlab eval and quantize)"
            )
        }
        guard let method = QuantizationSettings.method(of: recipe), exercise.methods.contains(method) else {
            let used = QuantizationSettings.method(of: recipe).map { "\"\($0)\"" } ?? "no method"
            throw CourseProblem(
                file: file, line: 1,
                message: "exercise \(exercise.id) allows method \(QuantizationSettings.quoted(exercise.methods.map(\.rawValue))), not \(used)")
        }
        return recipe
    }
}
