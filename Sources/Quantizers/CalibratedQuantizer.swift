import Dispatch
import QuantCore

/// One quantized matrix of a calibration-based method: how far its output moves on the
/// calibration inputs, against round-to-nearest with the same bits and groups.
public struct LayerReport: Sendable, Codable, Equatable {
    public var tensor: String
    /// ‖X·Wᵀ − X·Ŵᵀ‖² / ‖X·Wᵀ‖² over the calibration inputs X of this matrix (Ŵ: what the
    /// quantized model multiplies, in the original input space).
    public var relativeError: Double
    /// The same for round-to-nearest on the method's own grid, without the method's search.
    public var rtnRelativeError: Double
    /// What the method chose for this matrix (AWQ's α, GPTQ's damping).
    public var detail: String

    /// One line per quantized matrix: its output error on the calibration inputs, RTN's, and
    /// how many times smaller the method's is; then the means.
    public static func table(_ layers: [LayerReport]) -> String {
        var lines = [
            "output error on the calibration inputs, ‖XWᵀ − XŴᵀ‖² / ‖XWᵀ‖²:",
            "tensor                        method        RTN    RTN/method  choice",
        ]
        for layer in layers {
            lines.append(
                layer.tensor.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(
                        format: "%10.6f %10.6f %10.2f×  ", layer.relativeError, layer.rtnRelativeError,
                        layer.relativeError > 0 ? layer.rtnRelativeError / layer.relativeError : 1)
                    + layer.detail)
        }
        let method = layers.reduce(0) { $0 + $1.relativeError } / Double(max(layers.count, 1))
        let rtn = layers.reduce(0) { $0 + $1.rtnRelativeError } / Double(max(layers.count, 1))
        lines.append(
            "mean".padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%10.6f %10.6f %10.2f×", method, rtn, method > 0 ? rtn / method : 1))
        return lines.joined(separator: "\n") + "\n"
    }
}

/// What a calibration-based method produced for a whole model.
public struct CalibratedResult: Sendable {
    /// New F32 values by tensor name: the quantized matrices (dequantized) and, for AWQ, the
    /// RMSNorm weights the scales were folded into.
    public var values: [String: [Float]]
    /// Exact storage of each quantized matrix.
    public var storage: [String: [QuantizedMatrix.Part]]
    public var layers: [LayerReport]
    public var calibrationTokens: Int
    public var seconds: Double
}

/// The inputs one block's matrices saw, per calibration sequence and all tokens together.
struct CapturedInputs {
    /// [sample][n · columns] by source matrix: 0 (q, k, v), 3 (o), 4 (gate, up), 6 (down).
    private(set) var bySample: [Int: [[Float]]] = [:]
    /// [tokens, columns] by source matrix: every sample's rows, in order.
    private(set) var tokens: [Int: [Float]] = [:]

    /// Runs the calibration sequences through `block`, keeping the inputs of `sources`.
    init(_ inputs: BlockInputs, block: LlamaBlockWeights, sources: Set<Int> = [0, 3, 4, 6], threads: Int) {
        var captured: [Int: [[Float]]] = [:]
        inputs.observe(block, threads: threads) { _, matrix, input in
            if sources.contains(matrix) { captured[matrix, default: []].append(input) }
        }
        bySample = captured
        tokens = captured.mapValues { $0.flatMap { $0 } }
    }

    /// All tokens of the input of `matrix`'s group: [tokens, columns].
    func all(_ matrix: Int) -> [Float] { tokens[Self.source(matrix)]! }

    /// The matrix whose input `matrix` shares (k and v read q's input; up reads gate's).
    static func source(_ matrix: Int) -> Int { [0, 0, 0, 3, 4, 4, 6][matrix] }
}

extension LlamaConfig {
    /// Checks `validate` against every block matrix not in `skip`, before any work starts.
    func validateBlockMatrices(skip: Set<String>, _ validate: (_ columns: Int, _ tensor: String) throws -> Void) throws {
        for b in 0..<blockCount {
            for m in 0..<7 where !skip.contains(LlamaModel.matrixName(block: b, index: m)) {
                try validate(matrixShape(m).columns, LlamaModel.matrixName(block: b, index: m))
            }
        }
    }
}

enum Gram {
    /// G = XᵀX / tokens for X: [tokens, columns], through the engine's matmul (rows of Xᵀ dotted
    /// with each other), so it is identical for any thread count.
    static func of(_ x: [Float], columns: Int, threads: Int) -> [Float] {
        let tokens = x.count / columns
        var transposed = [Float](repeating: 0, count: x.count)
        for t in 0..<tokens { for c in 0..<columns { transposed[c * tokens + t] = x[t * columns + c] } }
        var g = [Float](repeating: 0, count: columns * columns)
        Kernels.matmul(transposed, rows: columns, columns: tokens, input: transposed, count: columns, into: &g, threads: threads)
        let inverse = 1 / Float(max(tokens, 1))
        return g.map { $0 * inverse }
    }

    /// ‖X·Wᵀ − X·Ŵᵀ‖² / ‖X·Wᵀ‖² = tr(Δ G Δᵀ) / tr(W G Wᵀ), Δ = W − Ŵ, with the products
    /// through the engine's matmul and the traces summed in double precision.
    static func relativeError(_ w: [Float], _ approximation: [Float], gram g: [Float], columns: Int, threads: Int = 2) -> Double {
        let delta = zip(w, approximation).map { $0 - $1 }
        let error = quadraticForm(delta, gram: g, columns: columns, threads: threads)
        let reference = quadraticForm(w, gram: g, columns: columns, threads: threads)
        return reference > 0 ? error / reference : 0
    }

    /// tr(A G Aᵀ) for A: [rows, columns].
    static func quadraticForm(_ a: [Float], gram g: [Float], columns: Int, threads: Int) -> Double {
        let rows = a.count / columns
        // product[t][o] = Σᵢ A[o][i]·G[t][i] = (A·G)[o][t] (G is symmetric).
        var product = [Float](repeating: 0, count: rows * columns)
        Kernels.matmul(a, rows: rows, columns: columns, input: g, count: columns, into: &product, threads: threads)
        var sum = 0.0
        for o in 0..<rows { for t in 0..<columns { sum += Double(a[o * columns + t]) * Double(product[t * rows + o]) } }
        return sum
    }
}

extension AWQ {
    /// AWQ over every block of `model` (AutoAWQ's `AwqQuantizer.quantize`): for each block, the
    /// inputs of its matrices are captured from the float block, the scales of each group of
    /// matrices that share an input are searched against the float module output (q, k, v
    /// against the attention output; gate and up against the feed-forward output; down against
    /// its own output; attn_output against its own output when its input is as wide as attn_v's
    /// output, which grouped-query attention rules out), folded into the RMSNorm weights or into
    /// ffn_up's rows, then the clip ranges are searched (not for q and k) and every matrix is
    /// quantized. The next block's inputs come from the float block, as in AutoAWQ. Matrices in
    /// `skip` are left alone, and a group with one is not scaled.
    public static func quantize(
        _ model: LlamaModel, calibration: CalibrationSet, settings: AWQSettings,
        skip: Set<String> = [], threads: Int
    ) throws -> CalibratedResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let c = model.config
        try c.validateBlockMatrices(skip: skip) { try settings.validate(columns: $0, tensor: $1) }
        var inputs = try BlockInputs(model: model, calibration: calibration)
        var result = CalibratedResult(values: [:], storage: [:], layers: [], calibrationTokens: calibration.tokenCount, seconds: 0)
        for b in 0..<c.blockCount {
            let original = model.blocks[b].floats()  // this block in F32 while it is quantized
            let captured = CapturedInputs(inputs, block: original, threads: threads)
            var block = original
            // Per input group: the scale applied to the matrices' columns (1 where none was searched).
            var columnScales: [Int: [Float]] = [:]
            var ratios: [Int: Float] = [:]
            func included(_ matrices: [Int]) -> Bool { matrices.allSatisfy { !skip.contains(name(b, $0)) } }
            let samples = captured.bySample[0]!.indices

            // q, k, v: the scales fold into attn_norm.
            if included([0, 1, 2]) {
                let reference = samples.flatMap { model.attentionHalf(normedInput: captured.bySample[0]![$0], block: original, threads: threads) }
                let found = try searchScales(
                    layers: [original.query, original.key, original.value], columns: c.embeddingLength,
                    inputMean: inputMean(captured.all(0), columns: c.embeddingLength), settings: settings,
                    reference: reference
                ) { layers in
                    var candidate = original
                    (candidate.query, candidate.key, candidate.value) = (layers[0], layers[1], layers[2])
                    return samples.flatMap { model.attentionHalf(normedInput: captured.bySample[0]![$0], block: candidate, threads: threads) }
                }
                columnScales[0] = found.scales
                ratios[0] = found.ratio
            }
            // attn_output: only when attn_v's rows line up with its columns (no grouped-query attention).
            let (vRows, _) = c.matrixShape(2)
            if vRows == c.matrixShape(3).columns && included([2, 3]) {
                let x = captured.all(3)
                let columns = c.matrixShape(3).columns
                let reference = multiply(original.attentionOutput, columns: columns, input: x, threads: threads)
                let found = try searchScales(
                    layers: [original.attentionOutput], columns: columns, inputMean: inputMean(x, columns: columns),
                    settings: settings, reference: reference
                ) { multiply($0[0], columns: columns, input: x, threads: threads) }
                columnScales[3] = found.scales
                ratios[3] = found.ratio
            }
            // gate, up: the scales fold into ffn_norm.
            if included([4, 5]) {
                let reference = samples.flatMap { model.feedForwardHalf(normedInput: captured.bySample[4]![$0], block: original, threads: threads) }
                let found = try searchScales(
                    layers: [original.gate, original.up], columns: c.embeddingLength,
                    inputMean: inputMean(captured.all(4), columns: c.embeddingLength), settings: settings,
                    reference: reference
                ) { layers in
                    var candidate = original
                    (candidate.gate, candidate.up) = (layers[0], layers[1])
                    return samples.flatMap { model.feedForwardHalf(normedInput: captured.bySample[4]![$0], block: candidate, threads: threads) }
                }
                columnScales[4] = found.scales
                ratios[4] = found.ratio
            }
            // down: the scales fold into ffn_up's rows.
            if included([5, 6]) {
                let x = captured.all(6)
                let columns = c.feedForwardLength
                let reference = multiply(original.down, columns: columns, input: x, threads: threads)
                let found = try searchScales(
                    layers: [original.down], columns: columns, inputMean: inputMean(x, columns: columns),
                    settings: settings, reference: reference
                ) { multiply($0[0], columns: columns, input: x, threads: threads) }
                columnScales[6] = found.scales
                ratios[6] = found.ratio
            }
            fold(&block, scales: columnScales, config: c)

            var grams: [Int: [Float]] = [:]
            for m in 0..<7 where !skip.contains(name(b, m)) {
                let (rows, columns) = c.matrixShape(m)
                let source = CapturedInputs.source(m)
                let s = columnScales[source] ?? [Float](repeating: 1, count: columns)
                // The folded weights (W·s, rows divided by any later scale) and their inputs X/s.
                var w = block[matrix: m]
                var x = captured.all(m)
                for i in x.indices { x[i] /= s[i % columns] }
                if settings.clip && m != 0 && m != 1 { w = clip(w, columns: columns, input: x, settings: settings, threads: threads) }
                let quantized = pseudoQuantize(
                    w, rows: rows, columns: columns, groupSize: settings.groupSize, bits: settings.bits, zeroPoint: settings.zeroPoint)
                block[matrix: m] = quantized.values
                // In the original input space the model multiplies X·(Q/s)ᵀ, with Q's rows already divided by any row scale.
                var effective = quantized.values
                scaleColumns(&effective, columns: columns, by: s.map { 1 / $0 })
                let target = original[matrix: m]
                let rowScaled = rowScaledOriginal(m, original: original, columnScales: columnScales, columns: columns)
                if grams[source] == nil { grams[source] = Gram.of(captured.all(m), columns: columns, threads: threads) }
                let gram = grams[source]!
                let rtn = pseudoQuantize(
                    target, rows: rows, columns: columns, groupSize: settings.groupSize, bits: settings.bits, zeroPoint: settings.zeroPoint
                ).values
                result.layers.append(
                    LayerReport(
                        tensor: name(b, m), relativeError: Gram.relativeError(rowScaled, effective, gram: gram, columns: columns, threads: threads),
                        rtnRelativeError: Gram.relativeError(target, rtn, gram: gram, columns: columns, threads: threads),
                        detail: ratios[source].map { String(format: "α = %.2f", $0) } ?? "no scale search"))
                result.storage[name(b, m)] = parts(rows: rows, columns: columns, settings: settings)
            }
            for m in 0..<7 where !skip.contains(name(b, m)) { result.values[name(b, m)] = block[matrix: m] }
            result.values["blk.\(b).attn_norm.weight"] = block.attentionNorm
            result.values["blk.\(b).ffn_norm.weight"] = block.ffnNorm
            inputs.advance(through: original, threads: threads)
        }
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }

    /// Folds AWQ scales into a block without changing what it computes: for the input group of
    /// matrix `source` with scales s, the matrices reading that input get their columns
    /// multiplied by s and the operation producing it is divided by s — attn_norm (source 0,
    /// q/k/v), attn_v's rows (3, attn_output), ffn_norm (4, gate/up), ffn_up's rows (6, down).
    public static func fold(_ block: inout LlamaBlockWeights, scales: [Int: [Float]], config c: LlamaConfig) {
        // In a fixed order: ffn_up takes gate/up's column scales and down's row scales, and the
        // float rounding of the two products must not depend on a dictionary's order.
        for source in scales.keys.sorted() {
            let s = scales[source]!
            for m in 0..<7 where CapturedInputs.source(m) == source {
                var w = block[matrix: m]
                scaleColumns(&w, columns: c.matrixShape(m).columns, by: s)
                block[matrix: m] = w
            }
            switch source {
            case 0: for i in 0..<c.embeddingLength { block.attentionNorm[i] /= s[i] }
            case 3: scaleRows(&block.value, columns: c.embeddingLength, by: s)
            case 4: for i in 0..<c.embeddingLength { block.ffnNorm[i] /= s[i] }
            default: scaleRows(&block.up, columns: c.embeddingLength, by: s)
            }
        }
    }

    /// The float matrix the quantized one stands for: the original, with ffn_up's rows divided
    /// by down's scales (what the folded model's ffn_up computes before quantization).
    static func rowScaledOriginal(_ m: Int, original: LlamaBlockWeights, columnScales: [Int: [Float]], columns: Int) -> [Float] {
        var w = original[matrix: m]
        if m == 5, let s = columnScales[6] { scaleRows(&w, columns: columns, by: s) }
        if m == 2, let s = columnScales[3] { scaleRows(&w, columns: columns, by: s) }
        return w
    }

    static func name(_ block: Int, _ matrix: Int) -> String { LlamaModel.matrixName(block: block, index: matrix) }

    /// w[r][c] *= s[c].
    static func scaleColumns(_ w: inout [Float], columns: Int, by s: [Float]) {
        for i in w.indices { w[i] *= s[i % columns] }
    }

    /// w[r][·] /= s[r]: folding 1/s into the rows (outputs) of the previous matrix.
    static func scaleRows(_ w: inout [Float], columns: Int, by s: [Float]) {
        for r in 0..<(w.count / columns) { for c in 0..<columns { w[r * columns + c] /= s[r] } }
    }

    /// X·Wᵀ for X: [tokens, columns].
    static func multiply(_ w: [Float], columns: Int, input x: [Float], threads: Int) -> [Float] {
        let rows = w.count / columns
        let tokens = x.count / columns
        var output = [Float](repeating: 0, count: tokens * rows)
        Kernels.matmul(w, rows: rows, columns: columns, input: x, count: tokens, into: &output, threads: threads)
        return output
    }
}

/// GPTQ for a whole model: the matrix settings plus how calibration runs.
public struct GPTQRecipe: Sendable, Equatable, Codable {
    public var matrix: GPTQSettings
    /// Quantize a block's matrices in the order they run (q, k, v; o; gate, up; down), each
    /// group's Hessian taken from inputs that already went through the quantized matrices before
    /// it (AutoGPTQ's true_sequential). Off: every Hessian comes from the float block.
    public var trueSequential: Bool
    public var calibration: CalibrationSettings

    public init(matrix: GPTQSettings = GPTQSettings(), trueSequential: Bool = true, calibration: CalibrationSettings = CalibrationSettings()) {
        self.matrix = matrix
        self.trueSequential = trueSequential
        self.calibration = calibration
    }
}

extension GPTQ {
    /// GPTQ over every block of `model`, as AutoGPTQ's `quantize` runs it: block by block, the
    /// Hessian H = 2·XᵀX/n of each matrix's calibration inputs, each matrix quantized with it,
    /// and the next block's inputs computed through the quantized block. Matrices in `skip` keep
    /// their weights.
    public static func quantize(
        _ model: LlamaModel, calibration: CalibrationSet, recipe: GPTQRecipe,
        skip: Set<String> = [], threads: Int
    ) throws -> CalibratedResult {
        let start = DispatchTime.now().uptimeNanoseconds
        let c = model.config
        try c.validateBlockMatrices(skip: skip) { try recipe.matrix.validate(columns: $0, tensor: $1) }
        var inputs = try BlockInputs(model: model, calibration: calibration)
        var result = CalibratedResult(values: [:], storage: [:], layers: [], calibrationTokens: calibration.tokenCount, seconds: 0)
        let order: [[Int]] = recipe.trueSequential ? [[0, 1, 2], [3], [4, 5], [6]] : [Array(0..<7)]
        for b in 0..<c.blockCount {
            let original = model.blocks[b].floats()  // this block in F32 while it is quantized
            var block = original
            for group in order {
                let matrices = group.filter { !skip.contains(LlamaModel.matrixName(block: b, index: $0)) }
                guard !matrices.isEmpty else { continue }
                // The inputs of this group's matrices, through the block as quantized so far.
                let sources = Set(matrices.map(CapturedInputs.source))
                let captured = CapturedInputs(inputs, block: block, sources: sources, threads: threads)
                var grams: [Int: [Float]] = [:]
                for source in sources { grams[source] = Gram.of(captured.all(source), columns: c.matrixShape(source).columns, threads: threads) }
                for m in matrices {
                    let (rows, columns) = c.matrixShape(m)
                    let gram = grams[CapturedInputs.source(m)]!
                    let name = LlamaModel.matrixName(block: b, index: m)
                    let quantized = try quantize(
                        original[matrix: m], rows: rows, columns: columns, hessian: gram.map { 2 * $0 }, name: name,
                        settings: recipe.matrix)
                    let rtn = try rtn(original[matrix: m], rows: rows, columns: columns, name: name, settings: recipe.matrix)
                    block[matrix: m] = quantized.values
                    result.values[name] = quantized.values
                    result.storage[name] = quantized.parts.map(\.sizeOnly)
                    let damping = String(format: "damp %.3g", quantized.dampingUsed) + (quantized.retries > 0 ? " after \(quantized.retries) retries" : "")
                    result.layers.append(
                        LayerReport(
                            tensor: name,
                            relativeError: Gram.relativeError(original[matrix: m], quantized.values, gram: gram, columns: columns, threads: threads),
                            rtnRelativeError: Gram.relativeError(original[matrix: m], rtn.values, gram: gram, columns: columns, threads: threads),
                            detail: damping))
                }
            }
            inputs.advance(through: block, threads: threads)
        }
        result.layers.sort {
            ($0.tensor.blockIndex, LlamaModel.blockMatrixNames.firstIndex(of: $0.tensor.matrixName) ?? 0)
                < ($1.tensor.blockIndex, LlamaModel.blockMatrixNames.firstIndex(of: $1.tensor.matrixName) ?? 0)
        }
        result.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return result
    }
}

extension String {
    /// 3 for "blk.3.attn_q.weight".
    fileprivate var blockIndex: Int { Int(split(separator: ".")[1]) ?? 0 }
    /// "attn_q" for "blk.3.attn_q.weight".
    fileprivate var matrixName: String { String(split(separator: ".")[2]) }
}
