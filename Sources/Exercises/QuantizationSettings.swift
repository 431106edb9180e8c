import CourseContent
import QuantCore
import Quantizers

/// A learner's quantization settings file (TOML), validated strictly: every problem names the
/// file, the line, the key, what was given, what is allowed and the default.
///
/// ```toml
/// method = "rtn"            # rtn, gguf or bnb_4bit
/// bits = 4                  # the method's own keys, at the top level
/// granularity = "group"
/// group_size = 64
///
/// [overrides]               # optional: tensor-name patterns (* = anything) → "keep" or a ggml type
/// "output.weight" = "q8_0"
///
/// [evaluation]              # optional, for quantlab eval and quantize (exercises fix their own)
/// chunks = 8                # at most this many chunks (1–1000; default all)
/// context = 128             # tokens per chunk (8–4096, within the model's context; default 256)
/// ```
///
/// `gguf` takes `type` or `preset`, and optionally `imatrix = true` (weight the rounding with an
/// importance matrix from the course's calibration text, like llama-quantize --imatrix),
/// `pure = true` (a preset's base type everywhere), `output_type` and `token_embedding_type`.
public enum QuantizationSettings {
    /// The keys each method takes at the top level of a settings file.
    static func keys(_ method: QuantizationMethod) -> [String] {
        switch method {
        case .rtn: ["bits", "symmetric", "granularity", "group_size", "clip_search"]
        case .gguf: ["type", "preset", "imatrix", "pure", "output_type", "token_embedding_type"]
        case .bnb4bit: ["quant_type", "blocksize", "double_quant"]
        case .bnbInt8: ["threshold"]
        case .gptq: ["bits", "group_size", "act_order", "damp_percent", "sym", "true_sequential", "static_groups"] + calibrationKeys
        case .awq: ["w_bit", "q_group_size", "zero_point", "n_grid", "duo_scaling", "clip"] + calibrationKeys
        case .dynamicInt8: []
        }
    }

    /// Calibration keys of GPTQ and AWQ: windows of the calibration text and the sampling seed.
    static let calibrationKeys = ["samples", "seq_len", "seed"]

    /// Bounds on what a settings file may hold, so a hostile file cannot make parsing expensive.
    public static let maximumBytes = 64 * 1024
    static let maximumOverrides = 64

    /// Optional `[evaluation]` settings; nil fields mean the command's defaults.
    public struct EvaluationOptions: Sendable, Equatable {
        public var chunks: Int?
        public var context: Int?
        /// The line of the `[evaluation]` table, nil when the file has none.
        public var line: Int?
        public var isEmpty: Bool { chunks == nil && context == nil }
    }

    static let evaluationKeys = ["chunks", "context"]

    public static func parse(_ text: String, file: String) throws(CourseProblem) -> QuantizationRecipe {
        try parseWithEvaluation(text, file: file).recipe
    }

    /// The recipe and the `[evaluation]` options of a settings file.
    public static func parseWithEvaluation(_ text: String, file: String) throws(CourseProblem) -> (recipe: QuantizationRecipe, evaluation: EvaluationOptions) {
        guard text.utf8.count <= maximumBytes else {
            throw CourseProblem(file: file, line: nil, message: "the settings file has \(text.utf8.count) bytes; at most \(maximumBytes) are allowed")
        }
        let document: TOMLDocument
        do {
            document = try TOMLDocument(parsing: text)
        } catch {
            throw CourseProblem(file: file, line: error.line, message: "not valid TOML: \(error.message) (column \(error.column))")
        }
        let root = document.root
        func problem(_ key: String, _ message: String, section: String? = nil) -> CourseProblem {
            CourseProblem(file: file, line: document.line(of: key, in: section), message: message)
        }
        guard let methodNode = root["method"] else {
            throw CourseProblem(file: file, line: 1, message: "`method` is missing; set it to one of \(QuantizationMethod.quotedNames), e.g. method = \"rtn\"")
        }
        guard case .string(let name) = methodNode else {
            throw problem("method", "`method` must be a string, one of \(QuantizationMethod.quotedNames); got \(methodNode.typeNameWithArticle)")
        }
        guard let method = QuantizationMethod(rawValue: name) else {
            var message = "unknown method \"\(name)\""
            if let guess = Suggestions.closest(to: name, in: QuantizationMethod.allCases.map(\.rawValue)) { message += "; did you mean \"\(guess)\"?" }
            throw problem("method", message + " (available: \(QuantizationMethod.quotedNames))")
        }
        let allowed = keys(method)
        for key in root.keys.sorted() where !["method", "overrides", "evaluation"].contains(key) && !allowed.contains(key) {
            var message = "unknown key `\(key)` for method \"\(method)\""
            if let guess = Suggestions.closest(to: key, in: allowed + ["overrides", "evaluation"]) { message += "; did you mean `\(guess)`?" }
            throw problem(
                key,
                message
                    + (allowed.isEmpty
                        ? " (this method takes no settings; only [overrides] and [evaluation])"
                        : " (allowed: \(allowed.joined(separator: ", ")), overrides, evaluation)"))
        }
        var evaluation = EvaluationOptions()
        if let node = root["evaluation"] {
            guard case .table(let table) = node else {
                throw problem("evaluation", "`evaluation` must be a table: [evaluation] followed by chunks = N and/or context = N")
            }
            evaluation.line = document.line(of: "\u{0}", in: "evaluation")  // the [evaluation] header
            for key in table.keys.sorted() where !evaluationKeys.contains(key) {
                var message = "unknown key `\(key)` in [evaluation]"
                if let guess = Suggestions.closest(to: key, in: evaluationKeys) { message += "; did you mean `\(guess)`?" }
                throw CourseProblem(file: file, line: document.line(of: key, in: "evaluation"), message: message + " (allowed: chunks, context)")
            }
            let reader = Reader(
                root: table,
                problem: { key, message in
                    CourseProblem(file: file, line: document.line(of: key, in: "evaluation"), message: "[evaluation] " + message)
                })
            if table["chunks"] != nil { evaluation.chunks = try reader.integer("chunks", default: 0, range: 1...1000, defaultText: "all") }
            if table["context"] != nil { evaluation.context = try reader.integer("context", default: 256, range: 8...4096) }
        }
        let values = Reader(root: root, problem: { key, message in problem(key, message) })
        let recipeMethod: TensorMethod
        var activation: ActivationScheme?
        var importanceMatrix = false
        var typeRules: [QuantizationRecipe.Rule] = []
        switch method {
        case .dynamicInt8:
            recipeMethod = .int8(perRow: false)
            activation = .dynamicInt8
        case .gptq:
            let bits = try values.integer("bits", default: 4, range: 2...8)
            guard [2, 3, 4, 8].contains(bits) else {
                throw problem("bits", "`bits` = \(bits) is not allowed; GPTQ uses 2, 3, 4 or 8 (default 4)")
            }
            let damp = try values.number("damp_percent", default: 0.01, range: 0...1)
            guard damp > 0 && damp < 1 else {
                throw problem("damp_percent", "`damp_percent` = \(damp) is out of range; use more than 0 and less than 1 (default 0.01)")
            }
            let actOrder = try values.bool("act_order", default: false)
            let staticGroups = try values.bool("static_groups", default: false)
            recipeMethod = .gptq(
                GPTQRecipe(
                    matrix: GPTQSettings(
                        bits: bits, groupSize: try values.groupSize("group_size", default: 128), actOrder: actOrder,
                        staticGroups: staticGroups, symmetric: try values.bool("sym", default: true), dampPercent: damp),
                    trueSequential: try values.bool("true_sequential", default: true),
                    calibration: try values.calibration()))
        case .awq:
            recipeMethod = .awq(
                AWQSettings(
                    bits: try values.integer("w_bit", default: 4, range: 2...8),
                    groupSize: try values.groupSize("q_group_size", default: 128),
                    zeroPoint: try values.bool("zero_point", default: true),
                    grid: try values.integer("n_grid", default: 20, range: 1...100),
                    duoScaling: try values.bool("duo_scaling", default: true),
                    clip: try values.bool("clip", default: true),
                    calibration: try values.calibration(defaults: AWQSettings.defaultCalibration)))
        case .bnbInt8:
            let threshold = try values.number("threshold", default: 6.0, range: 0...1000)
            recipeMethod = .int8(perRow: true)
            activation = .llmInt8(threshold: Float(threshold))
        case .rtn:
            let bits = try values.integer("bits", default: 4, range: 2...8)
            let symmetric = try values.bool("symmetric", default: true)
            let granularity = try values.choice("granularity", default: "group", allowed: ["tensor", "channel", "group"])
            let groupSize = try values.integer("group_size", default: 64, range: 32...1024)
            if root["group_size"] != nil && granularity != "group" {
                throw problem("group_size", "`group_size` only applies with granularity = \"group\" (granularity is \"\(granularity)\")")
            }
            let clip = try values.bool("clip_search", default: false)
            let kind: RTNSettings.Granularity = granularity == "tensor" ? .tensor : granularity == "channel" ? .channel : .group(size: groupSize)
            recipeMethod = .rtn(RTNSettings(bits: bits, symmetric: symmetric, granularity: kind, clipSearch: clip))
        case .gguf:
            let names = GGUFConverter.targets.map { $0.description.lowercased() }
            let presets = LlamaQuantize.Preset.allCases.map(\.rawValue)
            switch (root["type"] != nil, root["preset"] != nil) {
            case (false, false):
                throw CourseProblem(
                    file: file, line: 1, message: "method \"gguf\" needs `type`, one of \(quoted(names)), or `preset`, one of \(quoted(presets))")
            case (true, true):
                throw problem(
                    "preset", "set either `type` (one type for every matrix, like llama-quantize --pure) or `preset` (a llama-quantize mixture), not both")
            case (true, false):
                if root["pure"] != nil {
                    throw problem(
                        "pure",
                        "`pure` applies to a `preset` (every matrix at the preset's base type, like llama-quantize --pure); a single `type` is already pure")
                }
                let type = try values.choice("type", default: nil, allowed: names)
                recipeMethod = .ggml(TensorType(name: type)!)
            case (false, true):
                let preset = LlamaQuantize.Preset(rawValue: try values.choice("preset", default: nil, allowed: presets))!
                recipeMethod = try values.bool("pure", default: false) ? .ggml(preset.base) : .ggmlPreset(preset)
            }
            importanceMatrix = try values.bool("imatrix", default: false)
            // llama-quantize's --output-tensor-type and --token-embedding-type: rules ahead of [overrides].
            for (key, tensor) in [("output_type", "output.weight"), ("token_embedding_type", "token_embd.weight")] where root[key] != nil {
                let type = try values.choice(key, default: nil, allowed: names)
                typeRules.append(.init(pattern: tensor, method: .ggml(TensorType(name: type)!)))
            }
        case .bnb4bit:
            let quantType = try values.choice("quant_type", default: "fp4", allowed: ["nf4", "fp4"])
            let blocksize = try values.integer("blocksize", default: 64, range: 32...4096)
            guard BnB4BitSettings.allowedBlocksizes.contains(blocksize) else {
                throw problem(
                    "blocksize",
                    "blocksize = \(blocksize) is not allowed; use one of \(BnB4BitSettings.allowedBlocksizes.map(String.init).joined(separator: ", ")) (default 64)"
                )
            }
            let double = try values.bool("double_quant", default: false)
            recipeMethod = .bnb4bit(BnB4BitSettings(quantType: quantType == "nf4" ? .nf4 : .fp4, blocksize: blocksize, doubleQuant: double))
        }
        var overrides = typeRules
        if let node = root["overrides"] {
            guard case .table(let table) = node else {
                throw problem("overrides", "`overrides` must be a table: [overrides] followed by lines such as \"output.weight\" = \"q8_0\"")
            }
            guard table.count <= maximumOverrides else {
                throw problem("overrides", "[overrides] has \(table.count) rules; at most \(maximumOverrides) are allowed")
            }
            let choices = ["keep"] + GGUFConverter.targets.map { $0.description.lowercased() }
            for pattern in table.keys.sorted() {
                let line = document.line(of: pattern, in: "overrides")
                guard !pattern.isEmpty, pattern.count <= 200 else {
                    throw CourseProblem(file: file, line: line, message: "an override pattern must have 1 to 200 characters")
                }
                guard case .string(let value)? = table[pattern], choices.contains(value.lowercased()) else {
                    throw CourseProblem(file: file, line: line, message: "override \"\(pattern)\" must be one of \(quoted(choices))")
                }
                let method: TensorMethod = value.lowercased() == "keep" ? .keep : .ggml(TensorType(name: value)!)
                overrides.append(.init(pattern: pattern, method: method))
            }
        }
        return (QuantizationRecipe(method: recipeMethod, overrides: overrides, activation: activation, importanceMatrix: importanceMatrix), evaluation)
    }

    /// The settings-file method a recipe came from (nil for a recipe that keeps every tensor,
    /// which no settings file gives).
    public static func method(of recipe: QuantizationRecipe) -> QuantizationMethod? {
        switch recipe.method {
        case .rtn: .rtn
        case .ggml, .ggmlPreset: .gguf
        case .gptq: .gptq
        case .awq: .awq
        case .bnb4bit: .bnb4bit
        case .int8: recipe.activation == .dynamicInt8 ? .dynamicInt8 : .bnbInt8
        case .keep: nil
        }
    }

    static func quoted(_ items: [String]) -> String {
        items.map { "\"\($0)\"" }.joined(separator: ", ")
    }

    /// Typed reads with the allowed range and the default in every message.
    struct Reader {
        let root: [String: TOMLNode]
        let problem: (String, String) -> CourseProblem

        func integer(_ key: String, default value: Int, range: ClosedRange<Int>, defaultText: String? = nil) throws(CourseProblem) -> Int {
            guard let node = root[key] else { return value }
            let shown = defaultText ?? String(value)
            guard case .integer(let given) = node else {
                throw problem(
                    key, "`\(key)` must be an integer from \(range.lowerBound) to \(range.upperBound) (default \(shown)); got \(node.typeNameWithArticle)")
            }
            guard range.contains(given) else {
                throw problem(key, "`\(key)` = \(given) is out of range; use \(range.lowerBound) to \(range.upperBound) (default \(shown))")
            }
            return given
        }

        /// −1 (one group per row) or 32…1024; whether it divides the rows is checked against the model.
        func groupSize(_ key: String, default value: Int) throws(CourseProblem) -> Int {
            let size = try integer(key, default: value, range: -1...1024)
            guard size == -1 || size >= 32 else {
                throw problem(key, "`\(key)` = \(size) is out of range; use -1 (one group per row) or 32 to 1024 (default \(value))")
            }
            return size
        }

        /// samples (1…1024, default 32 for GPTQ, 16 for AWQ), seq_len (2…4096, default 256; the
        /// model's context is checked when quantizing) and seed (default 0).
        func calibration(defaults: CalibrationSettings = CalibrationSettings()) throws(CourseProblem) -> CalibrationSettings {
            return CalibrationSettings(
                samples: try integer("samples", default: defaults.samples, range: 1...CalibrationSettings.maximumSamples),
                sequenceLength: try integer("seq_len", default: defaults.sequenceLength, range: 2...4096),
                seed: UInt64(try integer("seed", default: 0, range: 0...Int(Int32.max))))
        }

        func number(_ key: String, default value: Double, range: ClosedRange<Double>) throws(CourseProblem) -> Double {
            guard let node = root[key] else { return value }
            guard let given = node.number, given.isFinite else {
                throw problem(
                    key, "`\(key)` must be a number from \(range.lowerBound) to \(range.upperBound) (default \(value)); got \(node.typeNameWithArticle)")
            }
            guard range.contains(given) else {
                throw problem(key, "`\(key)` = \(given) is out of range; use \(range.lowerBound) to \(range.upperBound) (default \(value))")
            }
            return given
        }

        func bool(_ key: String, default value: Bool) throws(CourseProblem) -> Bool {
            guard let node = root[key] else { return value }
            guard case .bool(let given) = node else {
                throw problem(key, "`\(key)` must be true or false (default \(value)); got \(node.typeNameWithArticle)")
            }
            return given
        }

        /// `value` nil: the key is required (the caller checks presence first).
        func choice(_ key: String, default value: String?, allowed: [String]) throws(CourseProblem) -> String {
            let fallback = value.map { "default \"\($0)\"" } ?? "required"
            guard let node = root[key] else { return value ?? allowed[0] }
            guard case .string(let given) = node else {
                throw problem(key, "`\(key)` must be a string, one of \(quoted(allowed)) (\(fallback)); got \(node.typeNameWithArticle)")
            }
            guard allowed.contains(given.lowercased()) else {
                var message = "`\(key)` = \"\(given)\" is not allowed; use one of \(quoted(allowed)) (\(fallback))"
                if let guess = Suggestions.closest(to: given.lowercased(), in: allowed) { message += "; did you mean \"\(guess)\"?" }
                throw problem(key, message)
            }
            return given.lowercased()
        }
    }
}
