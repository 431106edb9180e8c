import QuantCore

/// bitsandbytes' 4-bit blockwise formats (`Linear4bit`, `BitsAndBytesConfig(load_in_4bit=True)`):
/// each block of `blocksize` weights is scaled by its absmax into [−1, 1] and every value becomes
/// the index of the nearest entry of a 16-value code (NF4 or FP4), two indices per byte, the first
/// in the high nibble. With double quantization the FP32 absmax constants are themselves
/// quantized: their mean is subtracted, and blocks of 256 are stored as 8-bit indices into
/// bitsandbytes' signed dynamic map with one FP32 absmax per 256 and one FP32 offset per tensor.
/// The algorithm follows bitsandbytes 0.50's reference ("default" backend) kernels.
public struct BnB4BitSettings: Sendable, Equatable, Codable {
    public enum QuantType: String, Sendable, Codable, CaseIterable { case nf4, fp4 }

    public var quantType: QuantType
    public var blocksize: Int
    public var doubleQuant: Bool

    public init(quantType: QuantType = .nf4, blocksize: Int = 64, doubleQuant: Bool = false) {
        self.quantType = quantType
        self.blocksize = blocksize
        self.doubleQuant = doubleQuant
    }

    /// Block sizes bitsandbytes accepts for 4-bit quantization.
    public static let allowedBlocksizes = [32, 64, 128, 256, 512, 1024, 2048, 4096]

    public func validate() throws(QuantizerError) {
        guard Self.allowedBlocksizes.contains(blocksize) else {
            throw .invalidSetting(key: "blocksize", value: "\(blocksize)", allowed: Self.allowedBlocksizes.map(String.init).joined(separator: ", "))
        }
    }
}

public enum BnB4Bit {
    /// NF4: the 16 values bitsandbytes stores (`get_4bit_type("nf4")`; QLoRA, Dettmers et al. 2023).
    public static let nf4: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]

    /// FP4 (E2M1 with bitsandbytes' encoding): `get_4bit_type("fp4")` = [0, 0.0625, 8, 12, 4, 6,
    /// 2, 3, −0, −0.0625, −8, −12, −4, −6, −2, −3], normalised by its maximum 12.
    public static let fp4: [Float] = [0, 0.0625, 8, 12, 4, 6, 2, 3, -0.0, -0.0625, -8, -12, -4, -6, -2, -3].map { $0 / 12 }

    public static func code(_ type: BnB4BitSettings.QuantType) -> [Float] {
        type == .nf4 ? nf4 : fp4
    }

    /// bitsandbytes' signed dynamic 8-bit map (`create_dynamic_map(signed=True)`): 256 sorted
    /// values with a dynamic exponent, used for the double-quantized absmax constants.
    public static let dynamicMap: [Float] = {
        var data: [Float] = []
        let maxExponentBits = 7, nonSignBits = 7
        for i in 0..<maxExponentBits {
            let fractionItems = (1 << (i + nonSignBits - maxExponentBits)) + 1
            let boundaries = linspace(0.1, 1, fractionItems)
            let scale = Float(pow10(-(maxExponentBits - 1) + i))
            for k in 0..<(fractionItems - 1) {
                let mean = (boundaries[k] + boundaries[k + 1]) / 2
                data.append(scale * mean)
                data.append(-(scale * mean))
            }
        }
        data.append(0)
        data.append(1)
        return data.sorted()
    }()

    /// torch.linspace in float32: the first half counts up from `start`, the second half down from `end`.
    static func linspace(_ start: Float, _ end: Float, _ steps: Int) -> [Float] {
        guard steps > 1 else { return [start] }
        let step = (end - start) / Float(steps - 1)
        let half = steps / 2
        return (0..<steps).map { i in i < half ? start + step * Float(i) : end - step * Float(steps - 1 - i) }
    }

    static func pow10(_ e: Int) -> Double {
        var value = 1.0
        for _ in 0..<abs(e) { value *= 10 }
        return e < 0 ? 1 / value : value
    }

    /// Index of the nearest code value: torch.bucketize(x, midpoints) over the sorted code, which
    /// sends a value exactly on a midpoint to the lower entry.
    static func nearest(_ x: Float, sorted: [Float], midpoints: [Float]) -> Int {
        var lo = 0, hi = midpoints.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if midpoints[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Quantizes and dequantizes absmax-scaled blocks against `code`, returning the code indices
    /// and the absmax per block.
    static func blockwise(_ values: [Float], blocksize: Int, code: [Float]) -> (indices: [Int], absmax: [Float]) {
        let order = code.indices.sorted { code[$0] < code[$1] }
        let sorted = order.map { code[$0] }
        let midpoints = (0..<(sorted.count - 1)).map { (sorted[$0] + sorted[$0 + 1]) / 2 }
        var indices = [Int](repeating: 0, count: values.count)
        var absmax: [Float] = []
        var start = 0
        while start < values.count {
            let end = min(values.count, start + blocksize)
            var amax: Float = 0
            for i in start..<end { amax = max(amax, abs(values[i])) }
            absmax.append(amax)
            let inverse = 1 / max(amax, 1e-38)
            for i in start..<end {
                let scaled = min(1, max(-1, values[i] * inverse))
                indices[i] = order[nearest(scaled, sorted: sorted, midpoints: midpoints)]
            }
            start = end
        }
        return (indices, absmax)
    }

    public static func quantize(_ weights: [Float], rows: Int, columns: Int, name: String, settings: BnB4BitSettings) throws(QuantizerError) -> QuantizedMatrix {
        try settings.validate()
        guard rows > 0, columns > 0, weights.count == rows * columns else {
            throw .shape(tensor: name, detail: "expected \(rows) × \(columns) weights, got \(weights.count)")
        }
        if let bad = weights.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(tensor: name, index: bad) }
        let table = code(settings.quantType)
        let (indices, absmax) = blockwise(weights, blocksize: settings.blocksize, code: table)
        var scales = absmax
        var parts = [QuantizedMatrix.Part(name: "codes (4-bit \(settings.quantType.rawValue))", bytes: (weights.count + 1) / 2)]
        if settings.doubleQuant {
            // Double quantization: absmax − mean, in blocks of 256, as 8-bit dynamic-map indices.
            let offset = absmax.reduce(Float(0), +) / Float(absmax.count)
            let centred = absmax.map { $0 - offset }
            let (codes, second) = blockwise(centred, blocksize: 256, code: dynamicMap)
            for (i, c) in codes.enumerated() { scales[i] = dynamicMap[c] * second[i / 256] + offset }
            parts.append(.init(name: "absmax codes (8-bit)", bytes: absmax.count))
            parts.append(.init(name: "absmax of absmax (FP32)", bytes: second.count * 4))
            parts.append(.init(name: "absmax offset (FP32)", bytes: 4))
        } else {
            parts.append(.init(name: "absmax (FP32)", bytes: absmax.count * 4))
        }
        var values = [Float](repeating: 0, count: weights.count)
        for i in 0..<weights.count { values[i] = table[indices[i]] * scales[i / settings.blocksize] }
        return QuantizedMatrix(name: name, rows: rows, columns: columns, values: values, parts: parts)
    }
}
