import Foundation

/// Quantization of activations at run time, applied to the block matrices of the forward pass.
public enum ActivationScheme: Sendable, Equatable {
    /// PyTorch `quantize_dynamic`-style W8A8: weights int8 per tensor (symmetric, amax/127),
    /// each batch of activations int8 per tensor (symmetric, amax/127) at run time, products
    /// accumulated exactly as integers, then scaled back.
    case dynamicInt8
    /// LLM.int8() (Dettmers et al. 2022): weights int8 per output row (absmax/127), activations
    /// int8 per token (absmax/127); every input column in which some |x| exceeds `threshold`
    /// goes through a 16-bit path (FP16 activations times FP16 weights) instead.
    case llmInt8(threshold: Float)
}

/// Counts gathered while a model runs with activation quantization.
public final class ActivationStatistics: @unchecked Sendable {
    private let lock = NSLock()
    private var columns = 0, outlierColumns = 0, calls = 0

    public init() {}

    func record(columns: Int, outliers: Int) {
        lock.lock()
        defer { lock.unlock() }
        self.columns += columns
        outlierColumns += outliers
        calls += 1
    }

    /// Matrix multiplications run, input columns seen, and those that took the 16-bit path.
    public var snapshot: (calls: Int, columns: Int, outlierColumns: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (calls, columns, outlierColumns)
    }
}

/// A weight matrix prepared for integer products: its codes as integer-valued floats (so the SIMD
/// float kernel computes exact integer dot products while every partial sum stays below 2²⁴) and
/// its scales (one per row, or one for the tensor).
struct Int8Matrix: Sendable {
    let rows: Int
    let columns: Int
    let codes: [Float]
    let scales: [Float]
    /// The dequantized weights, for LLM.int8()'s 16-bit outlier path (rounded to FP16).
    let halfWeights: [Float]

    init(_ weights: [Float], rows: Int, columns: Int, perRow: Bool) {
        self.rows = rows
        self.columns = columns
        var scales: [Float] = []
        var codes = [Float](repeating: 0, count: weights.count)
        let groups = perRow ? rows : 1
        let length = perRow ? columns : weights.count
        for g in 0..<groups {
            var amax: Float = 0
            for i in (g * length)..<((g + 1) * length) { amax = max(amax, abs(weights[i])) }
            let scale = amax / 127
            scales.append(scale)
            for i in (g * length)..<((g + 1) * length) { codes[i] = Self.code(weights[i], absmax: amax, bitsandbytes: perRow) }
        }
        self.codes = codes
        self.scales = scales
        halfWeights = (0..<weights.count).map { i in
            Half.f16ToF32(Half.f32ToF16(codes[i] * scales[perRow ? i / columns : 0]))
        }
    }

    func scale(row: Int) -> Float { scales.count == 1 ? scales[0] : scales[row] }

    /// An int8 code for x in a row (or tensor) with this absmax. bitsandbytes' `int8_vectorwise_quant`
    /// (LLM.int8()) multiplies by 127/absmax and rounds half to even (torch.round); the dynamic
    /// int8 scheme divides by the scale absmax/127 and rounds half away from zero.
    @inline(__always)
    static func code(_ x: Float, absmax: Float, bitsandbytes: Bool) -> Float {
        guard absmax > 0 else { return 0 }
        if bitsandbytes { return (x * (127 / absmax)).rounded(.toNearestOrEven) }
        return (x * (1 / (absmax / 127))).rounded()
    }
}

extension ActivationScheme {
    /// y[t][o] = Σᵢ W[o][i]·x[t][i] with quantized activations; `output` is [count, rows].
    func multiply(_ w: Int8Matrix, input x: [Float], count: Int, into output: inout [Float], threads: Int, statistics: ActivationStatistics?) {
        let columns = w.columns
        let rows = w.rows
        precondition(columns * 127 * 127 < 1 << 24, "integer products would exceed float's exact range")
        var codes = [Float](repeating: 0, count: count * columns)
        var rowScales = [Float](repeating: 0, count: count)
        var outliers: [Int] = []
        switch self {
        case .dynamicInt8:
            var amax: Float = 0
            for value in x.prefix(count * columns) { amax = max(amax, abs(value)) }
            for i in 0..<(count * columns) { codes[i] = Int8Matrix.code(x[i], absmax: amax, bitsandbytes: false) }
            for t in 0..<count { rowScales[t] = amax / 127 }
        case .llmInt8(let threshold):
            // One pass over the batch marks the outlier columns; the per-token loops read the mask.
            var isOutlier = [Bool](repeating: false, count: columns)
            for t in 0..<count {
                for i in 0..<columns where abs(x[t * columns + i]) > threshold { isOutlier[i] = true }
            }
            outliers = (0..<columns).filter { isOutlier[$0] }
            for t in 0..<count {
                var amax: Float = 0
                for i in 0..<columns where !isOutlier[i] { amax = max(amax, abs(x[t * columns + i])) }
                rowScales[t] = amax / 127
                for i in 0..<columns where !isOutlier[i] { codes[t * columns + i] = Int8Matrix.code(x[t * columns + i], absmax: amax, bitsandbytes: true) }
            }
        }
        statistics?.record(columns: columns, outliers: outliers.count)
        // Integer part: exact integer dot products (as floats), then both scales.
        Kernels.matmul(w.codes, rows: rows, columns: columns, input: codes, count: count, into: &output, threads: threads)
        for t in 0..<count {
            for o in 0..<rows { output[t * rows + o] *= rowScales[t] * w.scale(row: o) }
        }
        // LLM.int8()'s 16-bit path for the outlier columns.
        guard !outliers.isEmpty else { return }
        // The outlier activations rounded to FP16 once: [count, outliers].
        let halfInputs = (0..<count).flatMap { t in outliers.map { Half.f16ToF32(Half.f32ToF16(x[t * columns + $0])) } }
        output.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            // Output rows split over the threads; each sum runs over the outliers in one order.
            Kernels.parallelFor(rows, threads: threads) { range in
                for o in range {
                    for t in 0..<count {
                        var sum: Float = 0
                        for (k, i) in outliers.enumerated() { sum += halfInputs[t * outliers.count + k] * w.halfWeights[o * columns + i] }
                        out[t * rows + o] += sum
                    }
                }
            }
        }
    }
}
