import QuantCore

/// How one tensor is stored.
public enum TensorMethod: Sendable, Equatable {
    /// Kept as it is in the source file (F32 for the reference model).
    case keep
    /// A float or ggml block type, encoded with the reference quantizers.
    case ggml(TensorType)
    case rtn(RTNSettings)
    case bnb4bit(BnB4BitSettings)
    /// A llama-quantize mixture: each tensor's type chosen by llama-quantize's rules.
    case ggmlPreset(LlamaQuantize.Preset)
    /// Activation-aware weight quantization with calibration (see `AWQ`).
    case awq(AWQSettings)
    /// GPTQ with calibration (see `GPTQ`).
    case gptq(GPTQRecipe)
    /// int8 weights used with run-time activation quantization (see `ActivationScheme`):
    /// per output row with an FP32 scale (LLM.int8()), or per tensor (dynamic int8).
    case int8(perRow: Bool)

    /// GGUF methods quantize every matrix, embedding and output included, as llama-quantize does.
    var appliesToAllMatrices: Bool {
        switch self {
        case .ggml, .ggmlPreset: true
        default: false
        }
    }

    public var label: String {
        switch self {
        case .keep: "as source"
        case .ggmlPreset(let preset): preset.rawValue.uppercased()
        case .int8(let perRow): perRow ? "int8 per-row (LLM.int8())" : "int8 per-tensor (dynamic)"
        case .ggml(let type): type.description
        case .rtn(let s):
            "RTN \(s.bits)-bit \(s.symmetric ? "sym" : "asym") "
                + {
                    switch s.granularity {
                    case .tensor: "per-tensor"
                    case .channel: "per-channel"
                    case .group(let size): "g\(size)"
                    }
                }() + (s.clipSearch ? " clip" : "")
        case .bnb4bit(let s): "\(s.quantType.rawValue.uppercased()) b\(s.blocksize)" + (s.doubleQuant ? " DQ" : "")
        case .awq(let s): "AWQ \(s.bits)-bit " + (s.groupSize == -1 ? "per-channel" : "g\(s.groupSize)") + (s.zeroPoint ? "" : " sym")
        case .gptq(let r):
            "GPTQ \(r.matrix.bits)-bit " + (r.matrix.groupSize == -1 ? "per-channel" : "g\(r.matrix.groupSize)")
                + (r.matrix.symmetric ? "" : " asym") + (r.matrix.actOrder ? " act-order" : "")
        }
    }
}

/// A method for the model's block matrices plus per-tensor overrides by name pattern (`*`
/// matches any run of characters; the first matching rule wins). Token embedding and output
/// matrices are kept as in the source unless a rule names them, as bitsandbytes and most GPU
/// methods leave them; GGUF types and mixtures cover them too, as llama-quantize does.
public struct QuantizationRecipe: Sendable, Equatable {
    public struct Rule: Sendable, Equatable {
        public var pattern: String
        public var method: TensorMethod
        public init(pattern: String, method: TensorMethod) {
            self.pattern = pattern
            self.method = method
        }
    }

    public var method: TensorMethod
    public var overrides: [Rule]
    /// Run-time activation quantization (dynamic int8, LLM.int8()); its int8 weights are the
    /// block matrices' method.
    public var activation: ActivationScheme?
    /// GGUF types are rounded with an importance matrix (llama-quantize --imatrix); `apply` and
    /// `exportGGUF` then need one.
    public var importanceMatrix: Bool

    public init(method: TensorMethod, overrides: [Rule] = [], activation: ActivationScheme? = nil, importanceMatrix: Bool = false) {
        self.method = method
        self.overrides = overrides
        self.activation = activation
        self.importanceMatrix = importanceMatrix
    }

    public func method(for tensor: String) -> TensorMethod {
        if let rule = overrides.first(where: { Self.matches($0.pattern, tensor) }) { return rule.method }
        return tensor.hasPrefix("blk.") || method.appliesToAllMatrices ? method : .keep
    }

    /// Glob matching with `*` only, iterative (no backtracking blow-up on hostile patterns).
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern.utf8)
        let s = Array(name.utf8)
        var pi = 0
        var si = 0
        var star = -1
        var mark = 0
        while si < s.count {
            if pi < p.count && p[pi] != UInt8(ascii: "*") && p[pi] == s[si] {
                pi += 1
                si += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = si
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                si = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

/// Exact storage of a quantized model: every tensor's bytes and what they hold.
public struct MemoryReport: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var tensor: String
        public var method: String
        public var elements: Int
        public var bytes: Int
        public var parts: [QuantizedMatrix.Part]
    }

    public var rows: [Row]
    public var totalBytes: Int { rows.reduce(0) { $0 + $1.bytes } }
    public var totalElements: Int { rows.reduce(0) { $0 + $1.elements } }
    public var bitsPerWeight: Double { Double(totalBytes * 8) / Double(max(1, totalElements)) }
}

public enum ModelQuantizer {
    /// Applies a recipe to every tensor of a llama GGUF and returns the model the engine runs
    /// and the exact memory report. GGUF types run packed (`PackedMatrix`, as llama.cpp runs
    /// them); RTN and bitsandbytes weights run dequantized to F32, which reproduces their
    /// accuracy but not their speed. 1-D tensors (norms) stay F32.
    ///
    /// `importance` (tensor name → mean x² per input column) is required when the recipe asks
    /// for an importance matrix, and weights the GGUF types' rounding as llama-quantize does.
    public static func apply(_ recipe: QuantizationRecipe, to file: GGUFFile, importance: [String: [Float]]? = nil) throws -> (LlamaModel, MemoryReport) {
        let result = try quantize(recipe, file, importance: importance)
        return (result.model, result.memory)
    }

    /// A quantized model with everything measured while making it.
    public struct Outcome: Sendable {
        public var model: LlamaModel
        public var memory: MemoryReport
        /// Per-matrix calibration results of GPTQ or AWQ (nil for the other methods).
        public var calibrated: CalibratedResult?
    }

    /// The calibration tokens a recipe's method needs (GPTQ, AWQ), or nil when it needs none.
    public static func calibrationSettings(_ recipe: QuantizationRecipe) -> CalibrationSettings? {
        switch recipe.method {
        case .awq(let s): s.calibration
        case .gptq(let r): r.calibration
        default: nil
        }
    }

    /// `apply`, keeping the calibration report. `calibration` (windows of the calibration text)
    /// is required when `calibrationSettings(recipe)` is not nil.
    /// `base` is `file`'s model when the caller has loaded it already (calibration runs on it).
    public static func quantize(
        _ recipe: QuantizationRecipe, _ file: GGUFFile, base: LlamaModel? = nil, importance: [String: [Float]]? = nil,
        calibration: CalibrationSet? = nil, threads: Int = 2
    ) throws -> Outcome {
        try requireImportance(recipe, importance)
        var calibrated: CalibratedResult?
        if calibrationSettings(recipe) != nil {
            guard let calibration else {
                throw QuantizerError.invalidSetting(key: "method", value: recipe.method.label, allowed: "a calibration set (windows of the calibration text)")
            }
            let base = try base ?? LlamaModel(file: file)
            let skip = Set(file.tensors.map(\.name).filter { $0.hasPrefix("blk.") && recipe.method(for: $0) != recipe.method })
            if case .awq(let settings) = recipe.method {
                calibrated = try AWQ.quantize(base, calibration: calibration, settings: settings, skip: skip, threads: threads)
            } else if case .gptq(let gptq) = recipe.method {
                calibrated = try GPTQ.quantize(base, calibration: calibration, recipe: gptq, skip: skip, threads: threads)
            }
        }
        var writer = GGUFWriter(alignment: file.alignment)
        for (key, value) in file.metadata where key != "general.alignment" { writer.set(key, value) }
        var rows: [MemoryReport.Row] = []
        let methods = resolvedMethods(recipe, file)
        for tensor in file.tensors {
            let floats = file.floats(of: tensor)
            if recipe.activation != nil, tensor.name.hasPrefix("blk."), tensor.shape.count >= 2, recipe.method(for: tensor.name) != recipe.method {
                throw QuantizerError.invalidSetting(
                    key: "overrides", value: tensor.name,
                    allowed: "patterns that leave the block matrices alone (bnb_int8 and dynamic_int8 quantize every block matrix at run time)")
            }
            let method = methods[tensor.name] ?? .keep
            let columns = tensor.shape[0]
            let count = tensor.elementCount
            let matrixRows = count / columns
            if let values = calibrated?.values[tensor.name] {
                // Quantized by the calibration method, or (AWQ) an RMSNorm weight its scales were folded into.
                try writer.addTensor(name: tensor.name, shape: tensor.shape, floats: values)
                let parts = calibrated?.storage[tensor.name] ?? [.init(name: "F32", bytes: count * 4)]
                rows.append(
                    .init(
                        tensor: tensor.name, method: calibrated?.storage[tensor.name] == nil ? "F32" : method.label, elements: count,
                        bytes: parts.reduce(0) { $0 + $1.bytes }, parts: parts))
                continue
            }
            switch method {
            case .keep:
                try writer.addTensor(name: tensor.name, shape: tensor.shape, floats: floats)
                rows.append(
                    .init(
                        tensor: tensor.name, method: tensor.type.description, elements: count, bytes: tensor.byteCount,
                        parts: [.init(name: tensor.type.description, bytes: tensor.byteCount)]))
            case .ggml(let type):
                // Stored as llama.cpp stores it; the engine multiplies it packed, as llama.cpp does.
                let bytes = try GGUFConverter.encode(
                    floats, as: type, tensor: tensor.name, rowLength: columns, path: file.path,
                    importance: recipe.importanceMatrix ? importance?[tensor.name] : nil)
                try writer.addTensor(name: tensor.name, shape: tensor.shape, type: type, bytes: bytes)
                rows.append(
                    .init(
                        tensor: tensor.name, method: type.description, elements: count, bytes: bytes.count,
                        parts: [.init(name: type.description, bytes: bytes.count)]))
            case .rtn(let settings):
                let q = try RTN.quantize(floats, rows: matrixRows, columns: columns, name: tensor.name, settings: settings)
                try writer.addTensor(name: tensor.name, shape: tensor.shape, floats: q.values)
                rows.append(.init(tensor: tensor.name, method: method.label, elements: count, bytes: q.byteCount, parts: q.parts.map(\.sizeOnly)))
            case .ggmlPreset:
                preconditionFailure("presets are resolved to types above")
            case .awq, .gptq:
                throw QuantizerError.shape(
                    tensor: tensor.name, detail: "\(method.label) quantizes the block matrices only; choose another method for this tensor in [overrides]")
            case .int8(let perRow):
                // The engine derives the int8 codes from these weights when the scheme is applied.
                try writer.addTensor(name: tensor.name, shape: tensor.shape, floats: floats)
                let scales = perRow ? matrixRows * 4 : 4
                rows.append(
                    .init(
                        tensor: tensor.name, method: method.label, elements: count, bytes: count + scales,
                        parts: [.init(name: "codes (int8)", bytes: count), .init(name: "scales (FP32)", bytes: scales)]))
            case .bnb4bit(let settings):
                let q = try BnB4Bit.quantize(floats, rows: matrixRows, columns: columns, name: tensor.name, settings: settings)
                try writer.addTensor(name: tensor.name, shape: tensor.shape, floats: q.values)
                rows.append(.init(tensor: tensor.name, method: method.label, elements: count, bytes: q.byteCount, parts: q.parts.map(\.sizeOnly)))
            }
        }
        var model = try LlamaModel(file: GGUFFile(path: file.path, bytes: writer.serialize()))
        if let scheme = recipe.activation { model = model.withActivationScheme(scheme) }
        return Outcome(model: model, memory: MemoryReport(rows: rows), calibrated: calibrated)
    }

    /// Each tensor's method with the GGUF choices made concrete: a preset becomes the type
    /// llama-quantize picks, a type falls back as llama-quantize's does for rows its block does
    /// not divide; 1-D tensors are kept.
    static func resolvedMethods(_ recipe: QuantizationRecipe, _ file: GGUFFile) -> [String: TensorMethod] {
        var presetTypes: [String: TensorType] = [:]
        if case .ggmlPreset(let preset) = recipe.method { presetTypes = LlamaQuantize.types(for: file, preset: preset) }
        var methods: [String: TensorMethod] = [:]
        for tensor in file.tensors {
            let method = tensor.shape.count >= 2 ? recipe.method(for: tensor.name) : .keep
            switch method {
            case .ggmlPreset: methods[tensor.name] = .ggml(presetTypes[tensor.name] ?? .f32)
            case .ggml(let type): methods[tensor.name] = .ggml(GGUFConverter.fallback(type, rowLength: tensor.shape[0]))
            default: methods[tensor.name] = method
            }
        }
        return methods
    }

    /// Writes the recipe as a GGUF file llama.cpp-compatible readers load. Only GGUF types can be
    /// stored this way; any tensor another method would quantize is refused by name.
    public static func exportGGUF(_ recipe: QuantizationRecipe, from file: GGUFFile, importance: [String: [Float]]? = nil) throws -> GGUFWriter {
        try requireImportance(recipe, importance)
        let methods = resolvedMethods(recipe, file)
        var types: [String: TensorType] = [:]
        for tensor in file.tensors {
            guard tensor.shape.count >= 2 else {
                types[tensor.name] = .f32
                continue
            }
            switch methods[tensor.name] ?? .keep {
            case .keep: types[tensor.name] = tensor.type.format.blockSize == 1 ? tensor.type : .f32
            case .ggml(let type): types[tensor.name] = type
            case let other:
                throw QuantizerError.shape(
                    tensor: tensor.name, detail: "\(other.label) has no GGUF encoding; only method = \"gguf\" (a type or a preset) can be exported")
            }
        }
        let fileType: UInt32 = {
            if case .ggmlPreset(let preset) = recipe.method { return preset.fileType }
            if case .ggml(let type) = recipe.method { return GGUFConverter.fileType(for: type) ?? 0 }
            return 0
        }()
        return try GGUFConverter.convert(file, fileType: fileType, importance: recipe.importanceMatrix ? importance : nil) { types[$0.name] ?? .f32 }
    }

    static func requireImportance(_ recipe: QuantizationRecipe, _ importance: [String: [Float]]?) throws(QuantizerError) {
        if recipe.importanceMatrix && importance == nil {
            throw QuantizerError.invalidSetting(
                key: "imatrix", value: "true", allowed: "an importance matrix collected from calibration text (quantlab imatrix)")
        }
    }
}
