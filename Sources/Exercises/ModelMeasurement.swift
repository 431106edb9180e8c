import CourseContent
import Digests
import Dispatch
import Foundation
import QuantCore
import Quantizers

/// The one pipeline that quantizes a model with a recipe and evaluates it, as llama-perplexity
/// does: `eval`, `quantize`, `exercise run` and the batch workers all go through it.
public enum ModelMeasurement {
    /// A model ready to evaluate on a text: the file, the unquantized model, its tokenizer and
    /// the llama-perplexity chunking of the text.
    public struct Setup: Sendable {
        public var file: GGUFFile
        public var model: LlamaModel
        public var tokenizer: Tokenizer
        public var textTokens: Int
        public var plan: EvaluationPlan
    }

    /// Opens `modelPath` and plans `text` in chunks of `contextLength` tokens (default 256, or
    /// the model's context if smaller), at most `chunks` of them.
    public static func setup(modelPath: String, text: String, textPath: String, contextLength: Int? = nil, chunks: Int? = nil) throws -> Setup {
        try setup(file: try GGUFFile.open(path: modelPath), text: text, textPath: textPath, contextLength: contextLength, chunks: chunks)
    }

    /// `setup(modelPath:…)` for a file already open.
    public static func setup(file: GGUFFile, text: String, textPath: String, contextLength: Int? = nil, chunks: Int? = nil) throws -> Setup {
        let planned = try plan(file: file, text: text, textPath: textPath, contextLength: contextLength, chunks: chunks)
        return Setup(
            file: file, model: try LlamaModel(file: file), tokenizer: planned.tokenizer, textTokens: planned.textTokens, plan: planned.plan)
    }

    /// The tokenizer and the chunking of `text` for a model file, without loading its weights.
    public static func plan(
        file: GGUFFile, text: String, textPath: String, contextLength: Int? = nil, chunks: Int? = nil
    ) throws -> (config: LlamaConfig, tokenizer: Tokenizer, textTokens: Int, plan: EvaluationPlan) {
        let config = try LlamaConfig(file: file)
        let tokenizer = try Tokenizer(TokenizerSpec(file: file))
        let tokens = tokenizer.encode(text, addSpecial: true)
        do {
            let plan = try EvaluationPlan(
                tokens: tokens, contextLength: contextLength ?? min(256, config.contextLength), maximumChunks: chunks,
                bos: tokenizer.addsBOS ? tokenizer.bosID : nil, modelContext: config.contextLength)
            return (config, tokenizer, tokens.count, plan)
        } catch {
            throw CourseProblem(file: textPath, line: nil, message: "\(error)")
        }
    }

    /// A quantized model with its exact storage, what calibration found, and the time it took
    /// (timed; reported, never graded).
    public struct Quantized: Sendable {
        public var model: LlamaModel
        public var memory: MemoryReport
        public var calibrated: CalibratedResult?
        public var seconds: Double
    }

    /// Applies `recipe` to the setup's model, reading the calibration text at `calibrationPath`
    /// when the recipe needs it (an importance matrix, GPTQ or AWQ windows).
    public static func quantize(_ recipe: QuantizationRecipe, _ setup: Setup, calibrationPath: String, threads: Int) throws -> Quantized {
        let start = DispatchTime.now().uptimeNanoseconds
        let (importance, calibration) = try CalibrationText.inputs(
            for: recipe, path: calibrationPath, model: setup.model, tokenizer: setup.tokenizer,
            threads: threads)
        let outcome = try ModelQuantizer.quantize(recipe, setup.file, base: setup.model, importance: importance, calibration: calibration, threads: threads)
        return Quantized(
            model: outcome.model, memory: outcome.memory, calibrated: outcome.calibrated,
            seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    /// `model` against the base model's log-probabilities on the setup's plan, computed once and
    /// cached in `cacheDirectory` (keyed by `baseDigest` and the tokens).
    public static func divergence(
        _ model: LlamaModel, base: LlamaModel, baseDigest: String, plan: EvaluationPlan, cacheDirectory: String,
        threads: Int
    ) throws -> (statistics: DivergenceStatistics, baseCached: Bool) {
        let (baseLogProbs, cached) = try BaseLogitsCache(directory: cacheDirectory).logProbs(base: base, baseHash: baseDigest, plan: plan, threads: threads)
        return (try Evaluation.divergence(model: model, baseLogProbs: baseLogProbs, plan: plan, threads: threads), cached)
    }

    /// The SHA-256 of a model file (the base log-probabilities' cache key). The file's pages are
    /// released afterwards, so hashing does not leave a second copy of the weights resident.
    public static func digest(_ file: GGUFFile) -> String {
        defer { file.releaseAllPages() }
        return file.withBytes { SHA256.hex($0) }
    }
}

/// What `quantlab eval` and `quantlab quantize` measured, as their `--json` prints it.
public struct EvaluationReport: Codable, Sendable {
    public var model: String
    public var text: String
    public var textTokens: Int
    public var contextLength: Int
    public var chunks: Int
    public var scoredTokens: Int
    public var perplexity: Double
    /// Standard error of the perplexity; absent with --base (the divergence block reports ln(PPL ratio) ± error).
    public var perplexityError: Double?
    public var divergence: DivergenceStatistics?
    public var base: String?
    public var baseCached: Bool?
    public var settings: String?
    public var quantizedBytes: Int?
    public var bitsPerWeight: Double?
    public var projected: [String: Int]?
    public var outlierColumnFraction: Double?
    public var quantizationSeconds: Double?
    public var calibrationTokens: Int?
    public var layers: [LayerReport]?
    public var tokensPerSecond: Double
    public var threads: Int

    public init(
        model: String, text: String, textTokens: Int, contextLength: Int, chunks: Int, scoredTokens: Int, perplexity: Double, perplexityError: Double?,
        divergence: DivergenceStatistics?, base: String?, baseCached: Bool?, settings: String?, quantizedBytes: Int?, bitsPerWeight: Double?,
        projected: [String: Int]?, outlierColumnFraction: Double?, quantizationSeconds: Double?, calibrationTokens: Int?, layers: [LayerReport]?,
        tokensPerSecond: Double, threads: Int
    ) {
        self.model = model
        self.text = text
        self.textTokens = textTokens
        self.contextLength = contextLength
        self.chunks = chunks
        self.scoredTokens = scoredTokens
        self.perplexity = perplexity
        self.perplexityError = perplexityError
        self.divergence = divergence
        self.base = base
        self.baseCached = baseCached
        self.settings = settings
        self.quantizedBytes = quantizedBytes
        self.bitsPerWeight = bitsPerWeight
        self.projected = projected
        self.outlierColumnFraction = outlierColumnFraction
        self.quantizationSeconds = quantizationSeconds
        self.calibrationTokens = calibrationTokens
        self.layers = layers
        self.tokensPerSecond = tokensPerSecond
        self.threads = threads
    }
}
