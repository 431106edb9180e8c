import QuantCore

/// Round-to-nearest quantization of a weight matrix, the baseline every other method is compared
/// with: each group of weights shares an FP16 scale (and, when asymmetric, a b-bit zero point);
/// every weight becomes the nearest of 2^b levels.
///
/// Storage, produced byte for byte (layout in `RTN.quantize`): the codes packed at `bits` per
/// weight, an FP16 scale per group, and for asymmetric settings the zero points packed at `bits`
/// per group.
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
/// what the stored parts decode to) and the stored parts themselves, byte for byte.
public struct QuantizedMatrix: Sendable {
    /// One stored part of a format (codes, scales, zero points, …). Encoded (JSON) as its name and
    /// size only: the bytes stay out of reports.
    public struct Part: Sendable, Equatable, Codable {
        public let name: String
        /// The stored size: `data.count` where the bytes are held.
        public let bytes: Int
        /// The stored bytes, exactly as the format lays them out; `nil` where only the size is
        /// recorded (memory reports, formats stored elsewhere).
        public private(set) var data: [UInt8]?

        public init(name: String, data: [UInt8]) {
            self.name = name
            self.bytes = data.count
            self.data = data
        }

        public init(name: String, bytes: Int) {
            self.name = name
            self.bytes = bytes
        }

        /// The part without its bytes, as memory reports keep it.
        public var sizeOnly: Part { Part(name: name, bytes: bytes) }

        enum CodingKeys: String, CodingKey { case name, bytes }
    }

    public let name: String
    public let rows: Int
    public let columns: Int
    public let values: [Float]
    public let parts: [Part]

    public var byteCount: Int { parts.reduce(0) { $0 + $1.bytes } }
    public var bitsPerWeight: Double { Double(byteCount * 8) / Double(rows * columns) }

    /// The bytes of each of `parts`, checked against the names and sizes a reader of the format
    /// expects (`layout`), so that a decoder reads only well-formed storage.
    static func storedBytes(_ parts: [Part], layout: [(name: String, bytes: Int)], format: String) throws(QuantizerError) -> [[UInt8]] {
        guard parts.count == layout.count else {
            throw .shape(tensor: format, detail: "expected \(layout.count) stored parts (\(layout.map(\.name).joined(separator: ", "))), got \(parts.count)")
        }
        var result: [[UInt8]] = []
        for (part, expected) in zip(parts, layout) {
            guard part.name == expected.name, let data = part.data, data.count == expected.bytes else {
                throw .shape(
                    tensor: format,
                    detail: "part \"\(part.name)\" (\(part.data?.count.description ?? "no") bytes) is not \"\(expected.name)\" of \(expected.bytes) bytes")
            }
            result.append(data)
        }
        return result
    }
}

/// Little-endian packing shared by the stored formats.
enum Packing {
    /// `values` (each in 0 ..< 2^bits) as a little-endian bit stream of `bits`-bit fields: value i
    /// occupies stream bits i·bits … i·bits + bits − 1, least significant bit first, and stream bit
    /// k is bit k mod 8 of byte ⌊k/8⌋. The last byte is zero-padded.
    static func packBits(_ values: [Int], bits: Int) -> [UInt8] {
        var data = [UInt8](repeating: 0, count: (values.count * bits + 7) / 8)
        for (i, value) in values.enumerated() {
            precondition(value >= 0 && value < 1 << bits, "a \(bits)-bit field holds 0 ..< \(1 << bits), not \(value)")
            let bit = i * bits
            // A field of at most 8 bits spans at most two bytes.
            let shifted = value << (bit % 8)
            data[bit / 8] |= UInt8(truncatingIfNeeded: shifted)
            if shifted > 0xFF { data[bit / 8 + 1] |= UInt8(truncatingIfNeeded: shifted >> 8) }
        }
        return data
    }

    /// The first `count` fields of a stream written by `packBits`.
    static func unpackBits(_ data: [UInt8], bits: Int, count: Int) -> [Int] {
        let mask = (1 << bits) - 1
        return (0..<count).map { i in
            let bit = i * bits
            let byte = bit / 8
            let pair = Int(data[byte]) | (byte + 1 < data.count ? Int(data[byte + 1]) << 8 : 0)
            return (pair >> (bit % 8)) & mask
        }
    }

    /// Fixed-width words, least significant byte first.
    static func littleEndian<T: FixedWidthInteger>(_ words: [T]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(words.count * MemoryLayout<T>.size)
        for word in words {
            for k in 0..<MemoryLayout<T>.size { data.append(UInt8(truncatingIfNeeded: word >> (8 * k))) }
        }
        return data
    }

    static func words<T: FixedWidthInteger>(_ data: [UInt8], as type: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        return (0..<(data.count / size)).map { i in
            (0..<size).reduce(T.zero) { $0 | T(data[i * size + $1]) << (8 * $1) }
        }
    }

    static func float32(_ values: [Float]) -> [UInt8] { littleEndian(values.map(\.bitPattern)) }
    static func floats(_ data: [UInt8]) -> [Float] { words(data, as: UInt32.self).map(Float.init(bitPattern:)) }
}

public enum RTN {
    /// Quantizes a row-major [rows, columns] matrix. The stored parts, in order:
    /// - codes: every weight's code, row-major, packed at `bits` per weight (`Packing.packBits`:
    ///   weight i at bit offset i·bits of a little-endian bit stream). Symmetric codes
    ///   −2^(b−1) … 2^(b−1)−1 are stored offset-binary (code + 2^(b−1)); asymmetric codes as they are.
    /// - scales: one FP16 per group, little-endian, in group order (groups run row-major: a row's
    ///   groups left to right, then the next row).
    /// - zero points (asymmetric only): one per group, packed at `bits` each like the codes.
    public static func quantize(_ weights: [Float], rows: Int, columns: Int, name: String, settings: RTNSettings) throws(QuantizerError) -> QuantizedMatrix {
        guard rows > 0, columns > 0, weights.count == rows * columns else {
            throw .shape(tensor: name, detail: "expected \(rows) × \(columns) weights, got \(weights.count)")
        }
        try settings.validate(rowLength: columns, tensor: name)
        if let bad = weights.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(tensor: name, index: bad) }
        let length = settings.groupLength(rows: rows, columns: columns)
        let groups = weights.count / length
        var values = [Float](repeating: 0, count: weights.count)
        var codes = [Int](repeating: 0, count: weights.count)
        var grids: [Grid] = []
        grids.reserveCapacity(groups)
        let shrinks: [Float] = settings.clipSearch ? (0..<11).map { 1 - Float($0) * 0.05 } : [1]
        for g in 0..<groups {
            let range = (g * length)..<((g + 1) * length)
            let slice = weights[range]
            var best = (error: Double.infinity, grid: Grid(half: 0, zero: 0, bits: settings.bits, symmetric: settings.symmetric))
            for shrink in shrinks {
                let grid = Grid(slice, bits: settings.bits, symmetric: settings.symmetric, shrink: shrink)
                let error = slice.reduce(0.0) { sum, x in
                    let d = Double(x - grid.dequantize(grid.code(x)))
                    return sum + d * d
                }
                if error < best.error { best = (error, grid) }
            }
            let grid = best.grid
            grids.append(grid)
            for i in range {
                codes[i] = grid.code(weights[i])
                values[i] = grid.dequantize(codes[i])
            }
        }
        let offset = settings.symmetric ? 1 << (settings.bits - 1) : 0
        var data = [Packing.packBits(codes.map { $0 + offset }, bits: settings.bits), Packing.littleEndian(grids.map(\.half))]
        if !settings.symmetric { data.append(Packing.packBits(grids.map(\.zero), bits: settings.bits)) }
        let parts = zip(layout(count: weights.count, groups: groups, settings: settings), data).map { QuantizedMatrix.Part(name: $0.name, data: $1) }
        return QuantizedMatrix(name: name, rows: rows, columns: columns, values: values, parts: parts)
    }

    /// Decodes the stored parts `quantize` writes (read from their bytes alone) back to the
    /// row-major [rows, columns] F32 weights: (code − zero point) × FP16 scale, bit for bit the
    /// `values` of the quantized matrix.
    public static func dequantize(_ parts: [QuantizedMatrix.Part], rows: Int, columns: Int, settings: RTNSettings) throws(QuantizerError) -> [Float] {
        let format = "RTN storage"
        guard rows > 0, columns > 0 else { throw .shape(tensor: format, detail: "expected a positive shape, got \(rows) × \(columns)") }
        try settings.validate(rowLength: columns, tensor: format)
        let count = rows * columns
        let length = settings.groupLength(rows: rows, columns: columns)
        let groups = count / length
        let data = try QuantizedMatrix.storedBytes(parts, layout: layout(count: count, groups: groups, settings: settings), format: format)
        let offset = settings.symmetric ? 1 << (settings.bits - 1) : 0
        let codes = Packing.unpackBits(data[0], bits: settings.bits, count: count)
        let halves = Packing.words(data[1], as: UInt16.self)
        let zeros = settings.symmetric ? [Int](repeating: 0, count: groups) : Packing.unpackBits(data[2], bits: settings.bits, count: groups)
        let grids = (0..<groups).map { Grid(half: halves[$0], zero: zeros[$0], bits: settings.bits, symmetric: settings.symmetric) }
        return (0..<count).map { grids[$0 / length].dequantize(codes[$0] - offset) }
    }

    /// The stored parts' names and exact sizes.
    static func layout(count: Int, groups: Int, settings: RTNSettings) -> [(name: String, bytes: Int)] {
        var layout = [(name: "codes (\(settings.bits)-bit)", bytes: (count * settings.bits + 7) / 8), (name: "scales (FP16)", bytes: groups * 2)]
        if !settings.symmetric { layout.append((name: "zero points (\(settings.bits)-bit)", bytes: (groups * settings.bits + 7) / 8)) }
        return layout
    }

    /// The levels of one group. Symmetric: codes −2^(b−1) … 2^(b−1)−1 with scale = amax/(2^(b−1)−1)
    /// and no zero point. Asymmetric: codes 0 … 2^b−1, scale = (max − min)/(2^b−1) and an integer
    /// zero point z = round(−min/scale), so that 0 is exactly representable. Scales are rounded to
    /// FP16, as stored, before any weight is rounded.
    struct Grid {
        /// The stored FP16 scale and its value.
        let half: UInt16
        let scale: Float
        let zero: Int
        let bits: Int
        let symmetric: Bool

        init(half: UInt16, zero: Int, bits: Int, symmetric: Bool) {
            self.half = half
            self.scale = Half.f16ToF32(half)
            self.zero = zero
            self.bits = bits
            self.symmetric = symmetric
        }

        init(_ slice: ArraySlice<Float>, bits: Int, symmetric: Bool, shrink: Float) {
            if symmetric {
                let amax = slice.reduce(Float(0)) { max($0, abs($1)) } * shrink
                self.init(half: Half.f32ToF16(amax / Float((1 << (bits - 1)) - 1)), zero: 0, bits: bits, symmetric: true)
            } else {
                let lo = min(0, slice.min()! * shrink)
                let hi = max(0, slice.max()! * shrink)
                let levels = Float((1 << bits) - 1)
                let half = Half.f32ToF16((hi - lo) / levels)
                let s = Half.f16ToF32(half)
                self.init(half: half, zero: s > 0 ? Int(max(0, min(levels, (-lo / s).rounded()))) : 0, bits: bits, symmetric: false)
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
