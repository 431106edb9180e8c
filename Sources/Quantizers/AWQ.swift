import Foundation
import QuantCore

/// AWQ settings, with AutoAWQ's defaults (`quant_config`: w_bit 4, q_group_size 128,
/// zero_point true; `_search_best_scale`: n_grid 20, duo_scaling true; `apply_clip` true).
public struct AWQSettings: Sendable, Equatable, Codable {
    public var bits: Int
    /// Columns per quantization group; −1 for one group per row.
    public var groupSize: Int
    public var zeroPoint: Bool
    public var grid: Int
    public var duoScaling: Bool
    public var clip: Bool
    public var calibration: CalibrationSettings

    /// AWQ's default calibration: 16 windows of 256 tokens. Its scale search runs the attention
    /// and feed-forward modules 20 times per block over every calibration token, so it costs
    /// about 20× a forward pass; 16 × 256 keeps the reference model under 15 s on two cores.
    public static let defaultCalibration = CalibrationSettings(samples: 16)

    public init(
        bits: Int = 4, groupSize: Int = 128, zeroPoint: Bool = true, grid: Int = 20, duoScaling: Bool = true,
        clip: Bool = true, calibration: CalibrationSettings = AWQSettings.defaultCalibration
    ) {
        self.bits = bits
        self.groupSize = groupSize
        self.zeroPoint = zeroPoint
        self.grid = grid
        self.duoScaling = duoScaling
        self.clip = clip
        self.calibration = calibration
    }

    /// Clip search: shrink the group maximum by up to half, in steps of 1/grid (AutoAWQ's max_shrink 0.5).
    static let maximumShrink = 0.5
    /// Tokens the clip search compares on (AutoAWQ's n_sample_token).
    static let clipTokens = 512

    public func validate(columns: Int, tensor: String) throws(QuantizerError) {
        guard (2...8).contains(bits) else { throw .invalidSetting(key: "w_bit", value: "\(bits)", allowed: "2 to 8") }
        guard (1...100).contains(grid) else { throw .invalidSetting(key: "n_grid", value: "\(grid)", allowed: "1 to 100 (default 20)") }
        try AWQ.checkGroup(groupSize, columns: columns, tensor: tensor, key: "q_group_size")
    }
}

/// Activation-aware weight quantization (Lin et al. 2023, "AWQ"; AutoAWQ's `AwqQuantizer`): per
/// group of layers that read the same input, search a per-input-channel scale s = x̄^α (or, with
/// duo scaling, x̄^α / w̄^(1−α)) over α ∈ {0, 1/n, …, (n−1)/n} that minimises the error of the
/// module's output when the scaled weights W·s are quantized and divided back by s; fold 1/s into
/// the operation before (an RMSNorm weight, or the rows of ffn_up for ffn_down), so the float
/// model is unchanged; then search a clipping range per group of weights; then quantize.
public enum AWQ {
    /// A group-wise integer quantization of a [rows, columns] matrix, as AutoAWQ's
    /// `pseudo_quantize_tensor` computes it (round half to even, like torch.round).
    public struct Quantized: Sendable {
        public var values: [Float]
        public var codes: [Int32]
        public var scales: [Float]
        public var zeros: [Int32]
    }

    static func checkGroup(_ groupSize: Int, columns: Int, tensor: String, key: String) throws(QuantizerError) {
        guard groupSize == -1 || (32...1024).contains(groupSize) else {
            throw .invalidSetting(key: key, value: "\(groupSize)", allowed: "-1 (one group per row) or 32 to 1024")
        }
        guard groupSize == -1 || columns % groupSize == 0 else {
            let fits = [32, 64, 128, 256, 512, 1024].filter { columns % $0 == 0 }
            throw .groupDoesNotDivide(tensor: tensor, rowLength: columns, groupSize: groupSize, suggestions: fits)
        }
    }

    /// Zero point: scale = max(max − min, 1e-5) / (2^b − 1), zero = clamp(−round(min/scale), 0, 2^b − 1),
    /// q = clamp(round(w/scale) + zero, 0, 2^b − 1), w' = (q − zero)·scale. Without: scale =
    /// amax / (2^(b−1) − 1), q = clamp(round(w/scale), −2^(b−1), 2^(b−1) − 1) (an all-zero group keeps 0).
    public static func pseudoQuantize(_ w: [Float], rows: Int, columns: Int, groupSize: Int, bits: Int, zeroPoint: Bool) -> Quantized {
        let g = groupSize == -1 ? columns : groupSize
        let groups = rows * columns / g
        var result = Quantized(
            values: [Float](repeating: 0, count: w.count), codes: [Int32](repeating: 0, count: w.count),
            scales: [Float](repeating: 0, count: groups), zeros: [Int32](repeating: 0, count: groups))
        w.withUnsafeBufferPointer { w in
            for group in 0..<groups {
                let (scale, zero) = quantizeGroup(
                    w.baseAddress! + group * g, count: g, bits: bits, zeroPoint: zeroPoint,
                    values: &result.values, codes: &result.codes, at: group * g)
                result.scales[group] = scale
                result.zeros[group] = zero
            }
        }
        return result
    }

    @inline(__always)
    static func quantizeGroup(
        _ w: UnsafePointer<Float>, count g: Int, bits: Int, zeroPoint: Bool,
        values: inout [Float], codes: inout [Int32], at offset: Int
    ) -> (scale: Float, zero: Int32) {
        if zeroPoint {
            var lo = w[0]
            var hi = w[0]
            for j in 1..<g {
                lo = min(lo, w[j])
                hi = max(hi, w[j])
            }
            let maxInt = Float((1 << bits) - 1)
            let scale = max(hi - lo, 1e-5) / maxInt
            let zero = min(max(-(lo / scale).rounded(.toNearestOrEven), 0), maxInt)
            for j in 0..<g {
                let q = min(max((w[j] / scale).rounded(.toNearestOrEven) + zero, 0), maxInt)
                codes[offset + j] = Int32(q)
                values[offset + j] = (q - zero) * scale
            }
            return (scale, Int32(zero))
        }
        var amax: Float = 0
        for j in 0..<g { amax = max(amax, abs(w[j])) }
        let maxInt = Float((1 << (bits - 1)) - 1)
        let minInt = -Float(1 << (bits - 1))
        let scale = amax / maxInt
        for j in 0..<g {
            let q = scale > 0 ? min(max((w[j] / scale).rounded(.toNearestOrEven), minInt), maxInt) : 0
            codes[offset + j] = Int32(q)
            values[offset + j] = q * scale
        }
        return (scale, 0)
    }

    /// Bytes of AutoAWQ's GEMM checkpoint layout: qweight (b-bit codes packed in int32 words),
    /// scales (FP16, one per group and output row), qzeros (b-bit zeros packed in int32 words,
    /// with a zero point).
    static func parts(rows: Int, columns: Int, settings: AWQSettings) -> [QuantizedMatrix.Part] {
        let groupsPerRow = settings.groupSize == -1 ? 1 : (columns + settings.groupSize - 1) / settings.groupSize
        let words = { (values: Int) in (values * settings.bits + 31) / 32 * 4 }
        var parts = [
            QuantizedMatrix.Part(name: "qweight (\(settings.bits)-bit in int32)", bytes: columns * words(rows)),
            QuantizedMatrix.Part(name: "scales (FP16)", bytes: groupsPerRow * rows * 2),
        ]
        if settings.zeroPoint { parts.append(.init(name: "qzeros (\(settings.bits)-bit in int32)", bytes: groupsPerRow * words(rows))) }
        return parts
    }

    // MARK: Scale search

    /// Mean |x| per input channel over every calibration token (AutoAWQ's x_mean). x: [tokens, c].
    static func inputMean(_ x: [Float], columns: Int) -> [Float] {
        var sums = [Double](repeating: 0, count: columns)
        let tokens = x.count / columns
        for t in 0..<tokens { for c in 0..<columns { sums[c] += Double(abs(x[t * columns + c])) } }
        return sums.map { Float($0 / Double(tokens)) }
    }

    /// Mean over the rows of |w| / (group max |w| + 1e-6) per input channel (AutoAWQ's w_mean),
    /// for the layers' weights stacked.
    static func weightMean(_ layers: [[Float]], columns: Int, groupSize: Int) -> [Float] {
        let g = groupSize == -1 ? columns : groupSize
        var sums = [Double](repeating: 0, count: columns)
        var rows = 0
        for w in layers {
            for r in 0..<(w.count / columns) {
                for start in stride(from: 0, to: columns, by: g) {
                    var amax: Float = 0
                    for c in start..<(start + g) { amax = max(amax, abs(w[r * columns + c])) }
                    for c in start..<(start + g) { sums[c] += Double(abs(w[r * columns + c]) / (amax + 1e-6)) }
                }
                rows += 1
            }
        }
        return sums.map { Float($0 / Double(rows)) }
    }

    /// The candidate scale for ratio α, normalised by √(max·min) (non-finite entries become 1).
    static func candidateScales(ratio: Float, inputMean: [Float], weightMean: [Float]?) -> [Float] {
        var s = inputMean.indices.map { c -> Float in
            let x = Foundation.pow(inputMean[c], ratio)
            if let weightMean { return max(x / (Foundation.pow(weightMean[c], 1 - ratio) + 1e-4), 1e-4) }
            return max(x, 1e-4)
        }
        let norm = (s.max()! * s.min()!).squareRoot()
        for c in s.indices {
            s[c] /= norm
            if !s[c].isFinite { s[c] = 1 }
        }
        return s
    }

    /// Quantize(W·s)/s for one layer: the weights AWQ would run with scale s, in the original
    /// input space.
    static func scaledQuantized(_ w: [Float], columns: Int, scales s: [Float], settings: AWQSettings) -> [Float] {
        let rows = w.count / columns
        var scaled = w
        for r in 0..<rows { for c in 0..<columns { scaled[r * columns + c] *= s[c] } }
        var q = pseudoQuantize(scaled, rows: rows, columns: columns, groupSize: settings.groupSize, bits: settings.bits, zeroPoint: settings.zeroPoint).values
        for r in 0..<rows { for c in 0..<columns { q[r * columns + c] /= s[c] } }
        return q
    }

    /// AutoAWQ's `_compute_best_scale`: the grid ratio whose scales give the lowest mean squared
    /// error of `inspect(candidate layers)` against `reference`. Returns the scales and α.
    static func searchScales(
        layers: [[Float]], columns: Int, inputMean: [Float], settings: AWQSettings,
        reference: [Float], inspect: ([[Float]]) -> [Float]
    ) throws(QuantizerError) -> (scales: [Float], ratio: Float, loss: Double) {
        let weightMean = settings.duoScaling ? weightMean(layers, columns: columns, groupSize: settings.groupSize) : nil
        var best: (scales: [Float], ratio: Float, loss: Double)?
        for step in 0..<settings.grid {
            let ratio = Float(step) / Float(settings.grid)
            let s = candidateScales(ratio: ratio, inputMean: inputMean, weightMean: weightMean)
            let output = inspect(layers.map { scaledQuantized($0, columns: columns, scales: s, settings: settings) })
            var sum = 0.0
            for i in output.indices {
                let d = Double(reference[i] - output[i])
                sum += d * d
            }
            let loss = sum / Double(max(output.count, 1))
            if loss.isFinite && loss < (best?.loss ?? .infinity) { best = (s, ratio, loss) }
        }
        guard let best else { throw .shape(tensor: "AWQ scale search", detail: "every candidate scale gave a non-finite loss") }
        return best
    }

    // MARK: Clip search

    /// AutoAWQ's `_compute_best_clip`: per output row and group, the maximum |w| among
    /// max·(1 − i/grid), i < grid·0.5, whose quantized group output on (a sample of) the layer's
    /// inputs is closest to the unquantized one. Returns the clamped weights. x: [tokens, columns].
    static func clip(_ w: [Float], columns: Int, input x: [Float], settings: AWQSettings, threads: Int = 2) -> [Float] {
        let rows = w.count / columns
        let tokens = x.count / columns
        let g = settings.groupSize == -1 ? columns : settings.groupSize
        let step = max(1, tokens / AWQSettings.clipTokens)
        // xs: [sampled tokens, columns], every step-th calibration token (AutoAWQ's input_feat[:, 0::step]).
        let sampled = stride(from: 0, to: tokens, by: step).map { $0 }
        var xs = [Float](repeating: 0, count: sampled.count * columns)
        for (k, t) in sampled.enumerated() { for c in 0..<columns { xs[k * columns + c] = x[t * columns + c] } }
        let shrinks = Int(AWQSettings.maximumShrink * Double(settings.grid))
        var result = w
        result.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            xs.withUnsafeBufferPointer { xs in
                // Rows are independent: splitting them over threads cannot change a value.
                Kernels.parallelFor(rows, threads: threads) { range in
                    var original = [Float](repeating: 0, count: sampled.count)
                    var clamped = [Float](repeating: 0, count: g)
                    var values = clamped
                    var codes = [Int32](repeating: 0, count: g)
                    for r in range {
                        for start in stride(from: 0, to: columns, by: g) {
                            let group = out.baseAddress! + r * columns + start
                            var maxAbs: Float = 0
                            for j in 0..<g { maxAbs = max(maxAbs, abs(group[j])) }
                            for k in 0..<sampled.count { original[k] = Kernels.dot(xs.baseAddress! + k * columns + start, group, g) }
                            var bestError = Double(1e9)
                            var bestMax = maxAbs
                            for i in 0..<shrinks {
                                let limit = maxAbs * (1 - Float(i) / Float(settings.grid))
                                for j in 0..<g { clamped[j] = min(max(group[j], -limit), limit) }
                                _ = clamped.withUnsafeBufferPointer {
                                    quantizeGroup(
                                        $0.baseAddress!, count: g, bits: settings.bits, zeroPoint: settings.zeroPoint,
                                        values: &values, codes: &codes, at: 0)
                                }
                                var error = 0.0
                                values.withUnsafeBufferPointer { q in
                                    for k in 0..<sampled.count {
                                        let d = Double(Kernels.dot(xs.baseAddress! + k * columns + start, q.baseAddress!, g) - original[k])
                                        error += d * d
                                    }
                                }
                                error /= Double(sampled.count)
                                if error < bestError {
                                    bestError = error
                                    bestMax = limit
                                }
                            }
                            for j in 0..<g { group[j] = min(max(group[j], -bestMax), bestMax) }
                        }
                    }
                }
            }
        }
        return result
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
