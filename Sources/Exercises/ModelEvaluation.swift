import CourseContent
import Dispatch
import Foundation
import QuantCore
import Quantizers

/// What `quantlab eval` and `quantlab quantize` run: a model (optionally quantized with a
/// settings file) evaluated on a text as llama-perplexity does, against a base model's
/// log-probabilities when there is one. One model is in memory at a time where it can be: a
/// separate base is loaded, its log-probabilities written to the cache, and released before the
/// model is loaded.
public enum ModelEvaluation {
    public struct Request: Sendable {
        public var modelPath: String
        public var textPath: String
        public var settingsPath: String?
        /// The base model; with a settings file and no base, the unquantized model itself.
        public var basePath: String?
        public var contextLength: Int?
        public var chunks: Int?
        public var calibrationPath: String
        public var cacheDirectory: String
        public var threads: Int

        public init(
            modelPath: String, textPath: String, settingsPath: String?, basePath: String?, contextLength: Int?, chunks: Int?, calibrationPath: String,
            cacheDirectory: String, threads: Int
        ) {
            self.modelPath = modelPath
            self.textPath = textPath
            self.settingsPath = settingsPath
            self.basePath = basePath ?? (settingsPath != nil ? modelPath : nil)
            self.contextLength = contextLength
            self.chunks = chunks
            self.calibrationPath = calibrationPath
            self.cacheDirectory = cacheDirectory
            self.threads = threads
        }
    }

    /// What happened so far, for a caller that reports progress.
    public enum Event {
        /// The model is loaded and the text planned.
        case planned(textTokens: Int, plan: EvaluationPlan)
        /// The settings were applied (`projected`: the same recipe on Llama-2-7B and 70B shapes).
        case quantized(ModelMeasurement.Quantized, projected: [(shape: ModelShape, bytes: Int, bitsPerWeight: Double)])
        /// The base log-probabilities are ready.
        case baseReady(cached: Bool)
        /// A chunk was scored (without a base): its number and the running perplexity.
        case chunk(Int, perplexity: Double)
    }

    /// The report, and what the text rendering needs beside it.
    public struct Outcome {
        public var report: EvaluationReport
        public var memory: MemoryReport?
        public var calibrated: CalibratedResult?
        /// LLM.int8()'s outlier columns and calls, when that scheme ran.
        public var activity: (calls: Int, columns: Int, outlierColumns: Int)?
        public var seconds: Double
    }

    /// Why an evaluation stopped: a file that cannot be used (`Fault.input`), or the evaluation
    /// itself failing (`failed`, reported as a failed check, exit 1).
    public enum Failure: Error, CustomStringConvertible {
        case fault(Fault)
        case failed(String)

        public var description: String {
            switch self {
            case .fault(let fault): fault.description
            case .failed(let message): message
            }
        }
    }

    public static func run(_ request: Request, progress: (Event) -> Void = { _ in }) throws(Failure) -> Outcome {
        let text = try input(request.textPath) { try BoundedFile.readText(path: request.textPath) }
        var contextLength = request.contextLength
        var chunks = request.chunks
        var recipe: QuantizationRecipe?
        if let settings = request.settingsPath {
            let (parsed, evaluation) = try input(settings) {
                try QuantizationSettings.parseWithEvaluation(try BoundedFile.readText(path: settings), file: settings)
            }
            recipe = parsed
            // [evaluation] in the settings file, unless the request says otherwise.
            contextLength = contextLength ?? evaluation.context
            chunks = chunks ?? evaluation.chunks
        }
        let cache = BaseLogitsCache(directory: request.cacheDirectory)

        // A separate base first: its log-probabilities go to the cache file, then it is released.
        var base: (values: BaseLogProbs, cached: Bool, vocabulary: Int, plan: EvaluationPlan)?
        if let basePath = request.basePath, basePath != request.modelPath {
            // The base's weights are loaded only when its log-probabilities are not cached.
            let (file, digest, planned) = try input(basePath) {
                let file = try GGUFFile.open(path: basePath)
                let planned = try ModelMeasurement.plan(file: file, text: text, textPath: request.textPath, contextLength: contextLength, chunks: chunks)
                return (file, ModelMeasurement.digest(file), planned)
            }
            let vocabulary = planned.config.vocabularySize
            if let values = cache.existing(vocabulary: vocabulary, baseHash: digest, plan: planned.plan) {
                base = (values, true, vocabulary, planned.plan)
            } else {
                let model = try input(basePath) { try LlamaModel(file: file) }
                let values = try evaluating { try cache.logProbs(base: model, baseHash: digest, plan: planned.plan, threads: request.threads).values }
                base = (values, false, vocabulary, planned.plan)
            }
            // The chunking of the base's own context decides the model's, so both score the same tokens.
            contextLength = planned.plan.contextLength
        }

        let setup = try input(request.modelPath) {
            try ModelMeasurement.setup(modelPath: request.modelPath, text: text, textPath: request.textPath, contextLength: contextLength, chunks: chunks)
        }
        let plan = setup.plan
        progress(.planned(textTokens: setup.textTokens, plan: plan))
        if let base, base.vocabulary != setup.model.config.vocabularySize || base.plan != plan {
            throw .fault(
                .input("\(request.basePath!): the base model's tokenizer differs from the model's; KL divergence needs the same vocabulary and tokens"))
        }
        if request.basePath == request.modelPath {
            // The unquantized model is the base: its log-probabilities before quantizing.
            let (values, cached) = try evaluating {
                try cache.logProbs(base: setup.model, baseHash: ModelMeasurement.digest(setup.file), plan: plan, threads: request.threads)
            }
            base = (values, cached, setup.model.config.vocabularySize, plan)
        }
        if let base { progress(.baseReady(cached: base.cached)) }

        var quantized: ModelMeasurement.Quantized?
        var projected: [(shape: ModelShape, bytes: Int, bitsPerWeight: Double)] = []
        if let recipe, let settings = request.settingsPath {
            quantized = try input(settings) { try ModelMeasurement.quantize(recipe, setup, calibrationPath: request.calibrationPath, threads: request.threads) }
            projected = [ModelShape.llama2_7B, .llama2_70B].map { shape in
                let p = MemoryProjection.project(recipe, onto: shape)
                return (shape, p.bytes, p.bitsPerWeight)
            }
            progress(.quantized(quantized!, projected: projected))
        }
        let model = quantized?.model ?? setup.model

        let start = DispatchTime.now().uptimeNanoseconds
        var accumulator = PerplexityAccumulator()
        var divergence: DivergenceStatistics?
        if let base {
            divergence = try evaluating { try Evaluation.divergence(model: model, baseLogProbs: base.values, plan: plan, threads: request.threads) }
        } else {
            accumulator = try evaluating {
                try Evaluation.perplexity(model: model, plan: plan, threads: request.threads) { chunk, running in
                    progress(.chunk(chunk, perplexity: running.perplexity))
                }
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let snapshot = model.activationStatistics.snapshot
        var activity: (calls: Int, columns: Int, outlierColumns: Int)?
        var outlierFraction: Double?
        if case .llmInt8? = model.activationScheme, snapshot.columns > 0 {
            activity = snapshot
            outlierFraction = Double(snapshot.outlierColumns) / Double(snapshot.columns)
        }
        let memory = quantized?.memory
        let calibrated = quantized?.calibrated
        let report = EvaluationReport(
            model: request.modelPath, text: request.textPath, textTokens: setup.textTokens, contextLength: plan.contextLength,
            chunks: plan.chunkCount, scoredTokens: plan.scoredTotal, perplexity: divergence?.perplexity ?? accumulator.perplexity,
            perplexityError: divergence == nil ? accumulator.perplexityError : nil,
            divergence: divergence, base: request.basePath, baseCached: base?.cached,
            settings: request.settingsPath, quantizedBytes: memory?.totalBytes, bitsPerWeight: memory?.bitsPerWeight,
            projected: projected.isEmpty ? nil : Dictionary(uniqueKeysWithValues: projected.map { ($0.shape.name, $0.bytes) }),
            outlierColumnFraction: outlierFraction, quantizationSeconds: quantized?.seconds,
            calibrationTokens: calibrated?.calibrationTokens, layers: calibrated?.layers,
            tokensPerSecond: Double(plan.chunkCount * plan.contextLength) / seconds, threads: request.threads)
        return Outcome(report: report, memory: memory, calibrated: calibrated, activity: activity, seconds: seconds)
    }

    /// Runs `body`; any error is the user's file `path` being unusable (named once in the message).
    private static func input<T>(_ path: String, _ body: () throws -> T) throws(Failure) -> T {
        do {
            return try body()
        } catch let problem as CourseProblem {
            throw .fault(.input("\(problem)"))
        } catch {
            let message = "\(error)"
            throw .fault(.input(message.contains(path) ? message : "\(path): \(message)"))
        }
    }

    /// Runs `body`; an error is the evaluation failing.
    private static func evaluating<T>(_ body: () throws -> T) throws(Failure) -> T {
        do {
            return try body()
        } catch {
            throw .failed("\(error)")
        }
    }
}
