import QuantCore

/// Round-to-nearest quantization of a weight matrix, the baseline every other method is compared
/// with: each group of weights shares an FP16 scale (and, when asymmetric, a b-bit zero point);
/// every weight becomes the nearest of 2^b levels.
///
/// Storage, counted exactly: the codes packed at `bits` per weight, an FP16 scale per group, and
/// for asymmetric settings the zero points packed at `bits` per group.
public struct RTNSettings: Sendable, Equatable, Codable {
    public enum Granularity: Sendable, Equatable, Codable {
        /// One scale for the whole tensor.
        case tensor
        /// One scale per output channel (matrix row).
        case channel
        /// One scale per `size` consecutive weights of a row.
        case group(size: Int)
    }

    public var bits: Int
    public var symmetric: Bool
    public var granularity: Granularity
    /// Search each group's clipping range (shrinking its range in 5 % steps down to 50 %) for the
    /// smallest squared rounding error, instead of always using the full range.
    public var clipSearch: Bool

    public init(bits: Int, symmetric: Bool = true, granularity: Granularity = .channel, clipSearch: Bool = false) {
        self.bits = bits
        self.symmetric = symmetric
        self.granularity = granularity
        self.clipSearch = clipSearch
    }

    /// Checks the settings against a row length; every problem names the setting, what was
    /// given and what is allowed.
    public func validate(rowLength: Int, tensor: String) throws(QuantizerError) {
        guard (2...8).contains(bits) else { throw .invalidSetting(key: "bits", value: "\(bits)", allowed: "2 to 8") }
        if case .group(let size) = granularity {
            guard (32...1024).contains(size) else { throw .invalidSetting(key: "group_size", value: "\(size)", allowed: "32 to 1024") }
            guard rowLength % size == 0 else {
                let divisors = [32, 64, 128, 256, 512, 1024].filter { rowLength % $0 == 0 }
                throw .groupDoesNotDivide(tensor: tensor, rowLength: rowLength, groupSize: size, suggestions: divisors)
            }
        }
    }

    func groupLength(rows: Int, columns: Int) -> Int {
        switch granularity {
        case .tensor: rows * columns
        case .channel: columns
        case .group(let size): size
        }
    }
}

/// Why a quantizer refused its input.
public enum QuantizerError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidSetting(key: String, value: String, allowed: String)
    case groupDoesNotDivide(tensor: String, rowLength: Int, groupSize: Int, suggestions: [Int])
    case nonFinite(tensor: String, index: Int)
    case shape(tensor: String, detail: String)

    public var description: String {
        switch self {
        case .invalidSetting(let key, let value, let allowed):
            "\(key) = \(value) is not allowed; use \(allowed)"
        case .groupDoesNotDivide(let tensor, let rowLength, let groupSize, let suggestions):
            "group_size \(groupSize) does not divide the rows of \(tensor) (\(rowLength) weights each)"
                + (suggestions.isEmpty ? "; use granularity \"channel\"" : "; group sizes that fit: \(suggestions.map(String.init).joined(separator: ", "))")
        case .nonFinite(let tensor, let index):
            "\(tensor): weight \(index) is NaN or infinite; quantization needs finite weights"
        case .shape(let tensor, let detail):
            "\(tensor): \(detail)"
        }
    }
}

/// A quantized weight matrix: the values the engine computes with (dequantized to F32, exactly
/// what the stored codes and FP16 scales decode to) and the exact bytes of each stored part.
public struct QuantizedMatrix: Sendable {
    public struct Part: Sendable, Equatable, Codable {
        public var name: String
        public var bytes: Int
    }

    public let name: String
    public let rows: Int
    public let columns: Int
    public let values: [Float]
    public let parts: [Part]

    public var byteCount: Int { parts.reduce(0) { $0 + $1.bytes } }
    public var bitsPerWeight: Double { Double(byteCount * 8) / Double(rows * columns) }
}

public enum RTN {
    /// Quantizes a row-major [rows, columns] matrix.
    public static func quantize(_ weights: [Float], rows: Int, columns: Int, name: String, settings: RTNSettings) throws(QuantizerError) -> QuantizedMatrix {
        guard rows > 0, columns > 0, weights.count == rows * columns else {
            throw .shape(tensor: name, detail: "expected \(rows) × \(columns) weights, got \(weights.count)")
        }
        try settings.validate(rowLength: columns, tensor: name)
        if let bad = weights.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(tensor: name, index: bad) }
        let length = settings.groupLength(rows: rows, columns: columns)
        let groups = weights.count / length
        var values = [Float](repeating: 0, count: weights.count)
        for g in 0..<groups {
            let range = (g * length)..<((g + 1) * length)
            let slice = weights[range]
            var best = (error: Double.infinity, grid: Grid(scale: 0, zero: 0, bits: settings.bits, symmetric: settings.symmetric))
            let shrinks: [Float] = settings.clipSearch ? (0..<11).map { 1 - Float($0) * 0.05 } : [1]
            for shrink in shrinks {
                let grid = Grid(slice, bits: settings.bits, symmetric: settings.symmetric, shrink: shrink)
                let error = slice.reduce(0.0) { sum, x in
                    let d = Double(x - grid.dequantize(grid.code(x)))
                    return sum + d * d
                }
                if error < best.error { best = (error, grid) }
            }
            for i in range { values[i] = best.grid.dequantize(best.grid.code(weights[i])) }
        }
        let codeBytes = (weights.count * settings.bits + 7) / 8
        var parts = [QuantizedMatrix.Part(name: "codes (\(settings.bits)-bit)", bytes: codeBytes),
                     QuantizedMatrix.Part(name: "scales (FP16)", bytes: groups * 2)]
        if !settings.symmetric {
            parts.append(QuantizedMatrix.Part(name: "zero points (\(settings.bits)-bit)", bytes: (groups * settings.bits + 7) / 8))
        }
        return QuantizedMatrix(name: name, rows: rows, columns: columns, values: values, parts: parts)
    }

    /// The levels of one group. Symmetric: codes −2^(b−1) … 2^(b−1)−1 with scale = amax/(2^(b−1)−1)
    /// and no zero point. Asymmetric: codes 0 … 2^b−1, scale = (max − min)/(2^b−1) and an integer
    /// zero point z = round(−min/scale), so that 0 is exactly representable. Scales are rounded to
    /// FP16, as stored, before any weight is rounded.
    struct Grid {
        let scale: Float
        let zero: Int
        let bits: Int
        let symmetric: Bool

        init(scale: Float, zero: Int, bits: Int, symmetric: Bool) {
            self.scale = scale
            self.zero = zero
            self.bits = bits
            self.symmetric = symmetric
        }

        init(_ slice: ArraySlice<Float>, bits: Int, symmetric: Bool, shrink: Float) {
            self.bits = bits
            self.symmetric = symmetric
            if symmetric {
                let amax = slice.reduce(Float(0)) { max($0, abs($1)) } * shrink
                scale = Half.f16ToF32(Half.f32ToF16(amax / Float((1 << (bits - 1)) - 1)))
                zero = 0
            } else {
                let lo = min(0, slice.min()! * shrink), hi = max(0, slice.max()! * shrink)
                let levels = Float((1 << bits) - 1)
                let s = Half.f16ToF32(Half.f32ToF16((hi - lo) / levels))
                scale = s
                zero = s > 0 ? Int(max(0, min(levels, (-lo / s).rounded()))) : 0
            }
        }

        func code(_ x: Float) -> Int {
            guard scale > 0, scale.isFinite else { return symmetric ? 0 : zero }
            let q = Int((x / scale).rounded()) + zero
            return symmetric ? max(-(1 << (bits - 1)), min((1 << (bits - 1)) - 1, q)) : max(0, min((1 << bits) - 1, q))
        }

        func dequantize(_ code: Int) -> Float {
            Float(code - zero) * scale
        }
    }
}
