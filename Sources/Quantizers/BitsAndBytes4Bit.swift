import QuantCore

/// bitsandbytes' 4-bit blockwise formats (`Linear4bit`, `BitsAndBytesConfig(load_in_4bit=True)`):
/// each block of `blocksize` weights is scaled by its absmax into [−1, 1] and every value becomes
/// the index of the nearest entry of a 16-value code (NF4 or FP4), two indices per byte, the first
/// in the high nibble. With double quantization the FP32 absmax constants are themselves
/// quantized: their mean is subtracted, and blocks of 256 are stored as 8-bit indices into
/// bitsandbytes' signed dynamic map with one FP32 absmax per 256 and one FP32 offset per tensor.
///
/// The bytes are those of bitsandbytes 0.50 on the CPU (`bitsandbytes.functional.quantize_4bit`
/// on a float32 tensor), checked against it byte for byte (Tests/QuantizersTests/Fixtures,
/// scripts/dev/gen-bnb-fixtures.py): the 4-bit step is its "default" backend (PyTorch ops, the
/// only 4-bit quantizer on the CPU), the 8-bit step of double quantization its native CPU kernel
/// (`cquantize_blockwise_cpu_fp32`), and the mean is PyTorch's CPU float32 sum.
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
    /// 2, 3, 0, −0.0625, −8, −12, −4, −6, −2, −3], normalised by its maximum 12. Index 8 (sign bit
    /// set, zero magnitude) is +0 as in bitsandbytes' table, whose Python `-0` is the integer 0.
    public static let fp4: [Float] = [0, 0.0625, 8, 12, 4, 6, 2, 3, 0, -0.0625, -8, -12, -4, -6, -2, -3].map { $0 / 12 }

    public static func code(_ type: BnB4BitSettings.QuantType) -> [Float] {
        type == .nf4 ? nf4 : fp4
    }

    /// bitsandbytes' signed dynamic 8-bit map (`create_dynamic_map(signed=True)`): 256 sorted
    /// values with a dynamic exponent, used for the double-quantized absmax constants.
    public static let dynamicMap: [Float] = {
        var data: [Float] = []
        let maxExponentBits = 7
        let nonSignBits = 7
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

    /// torch.linspace in float32 on the CPU: the first half counts up from `start`, the second
    /// half down from `end`, each value `start + step·i` (or `end − step·k`) in one fused
    /// multiply-add, as PyTorch's AVX2 and AVX-512 builds compile it (its baseline "default" build
    /// rounds twice, and gets a different dynamic map).
    static func linspace(_ start: Float, _ end: Float, _ steps: Int) -> [Float] {
        guard steps > 1 else { return [start] }
        let step = (end - start) / Float(steps - 1)
        let half = steps / 2
        return (0..<steps).map { i in
            i < half ? start.addingProduct(step, Float(i)) : end.addingProduct(-step, Float(steps - 1 - i))
        }
    }

    static func pow10(_ e: Int) -> Double {
        var value = 1.0
        for _ in 0..<abs(e) { value *= 10 }
        return e < 0 ? 1 / value : value
    }

    // MARK: The 4-bit step (bitsandbytes' default backend, `quantize_4bit`)

    /// Index of the nearest code value: torch.bucketize(x, midpoints) over the sorted code, which
    /// sends a value exactly on a midpoint to the lower entry.
    static func nearest(_ x: Float, sorted: [Float], midpoints: [Float]) -> Int {
        var lo = 0
        var hi = midpoints.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if midpoints[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The smallest absmax a block divides by: `clamp(min=1e-38)` in float32 (a subnormal).
    static let absmaxFloor = Float(1e-38 as Double)

    /// The 4-bit code indices and FP32 absmax of each block. Full blocks are scaled by the
    /// reciprocal of their absmax (floored at 1e-38, the floor not stored); a final partial block
    /// is divided by its absmax, floored and stored floored — bitsandbytes' arithmetic exactly.
    /// A value is sent to the nearest code entry by bucketing against the midpoints of the sorted
    /// code (a tie to the lower entry; FP4's two zeros sort stably, index 0 first).
    static func quantize4bit(_ values: [Float], blocksize: Int, code: [Float]) -> (indices: [Int], absmax: [Float], padding: Int) {
        let order = code.indices.sorted { (code[$0], $0) < (code[$1], $1) }
        let sorted = order.map { code[$0] }
        let midpoints = (0..<(sorted.count - 1)).map { (sorted[$0] + sorted[$0 + 1]) / 2 }
        func index(_ scaled: Float) -> Int { order[nearest(min(1, max(-1, scaled)), sorted: sorted, midpoints: midpoints)] }
        var indices = [Int](repeating: 0, count: values.count)
        var absmax: [Float] = []
        for start in stride(from: 0, to: values.count, by: blocksize) {
            let end = min(values.count, start + blocksize)
            var amax: Float = 0
            for i in start..<end { amax = max(amax, abs(values[i])) }
            if end - start == blocksize {
                absmax.append(amax)
                let inverse = 1 / max(amax, absmaxFloor)
                for i in start..<end { indices[i] = index(values[i] * inverse) }
            } else {
                let floored = max(amax, absmaxFloor)
                absmax.append(floored)
                for i in start..<end { indices[i] = index(values[i] / floored) }
            }
        }
        // An odd count is padded with a scaled 0 before packing.
        return (indices, absmax, index(0))
    }

    /// Two indices per byte, the first in the high nibble, as bitsandbytes packs them.
    static func pack4(_ indices: [Int], padding: Int) -> [UInt8] {
        stride(from: 0, to: indices.count, by: 2).map { i -> UInt8 in
            let second = i + 1 < indices.count ? indices[i + 1] : padding
            return UInt8(indices[i] << 4 | second)
        }
    }

    static func unpack4(_ data: [UInt8], count: Int) -> [Int] {
        (0..<count).map { i -> Int in
            let byte = data[i / 2]
            return Int(i % 2 == 0 ? byte >> 4 : byte & 0xF)
        }
    }

    /// table[index] × the block's absmax: the weights of bitsandbytes' generic `dequantize_4bit`
    /// (its native CPU kernel writes −0 for FP4 index 8 and, on AVX-512, reads the wrong absmax
    /// when the row length is not a multiple of the block size).
    static func decode(_ indices: [Int], absmax: [Float], blocksize: Int, table: [Float]) -> [Float] {
        indices.indices.map { table[indices[$0]] * absmax[$0 / blocksize] }
    }

    // MARK: Double quantization (the absmax constants)

    /// Blocks of 256 absmax constants in the second level.
    static let doubleQuantBlocksize = 256

    /// The double-quantized absmax constants: the offset (their mean), one 8-bit dynamic-map index
    /// per constant and one FP32 absmax per block of 256 centred constants.
    struct DoubleQuantized {
        var offset: Float
        var codes: [UInt8]
        var absmax: [Float]

        /// `functional.quantize_4bit(compress_statistics=True)` on the CPU: offset = absmax.mean()
        /// (PyTorch's float32 sum, see `torchSum`), then `quantize_blockwise(absmax − offset,
        /// blocksize=256)`, which runs bitsandbytes' native CPU kernel: a block's constants are
        /// multiplied by 1/absmax, clamped to [−1, 1], put on a grid of 65,536 bins
        /// (trunc(fma((v + 1)·0.5, 65535, 0.5))) and each bin looks up the dynamic-map entry whose
        /// midpoint interval holds the bin's centre (`dynamicLookup`). A block whose absmax is 0
        /// stores index 0 throughout.
        init(_ constants: [Float]) {
            let offset = BnB4Bit.torchSum(constants) / Float(constants.count)
            let centred = constants.map { $0 - offset }
            var codes = [UInt8](repeating: 0, count: centred.count)
            var absmax: [Float] = []
            let lookup = BnB4Bit.dynamicLookup
            for start in stride(from: 0, to: centred.count, by: BnB4Bit.doubleQuantBlocksize) {
                let end = min(centred.count, start + BnB4Bit.doubleQuantBlocksize)
                var amax: Float = 0
                for i in start..<end { amax = max(amax, abs(centred[i])) }
                absmax.append(amax)
                guard amax != 0 else { continue }
                let inverse = 1 / amax
                for i in start..<end {
                    let v = min(1, max(-1, centred[i] * inverse))
                    let bin = Int(Float(0.5).addingProduct((v + 1) * 0.5, 65535))
                    codes[i] = lookup[bin & 0xFFFF]
                }
            }
            self.init(offset: offset, codes: codes, absmax: absmax)
        }

        init(offset: Float, codes: [UInt8], absmax: [Float]) {
            self.offset = offset
            self.codes = codes
            self.absmax = absmax
        }

        /// The absmax constants bitsandbytes decodes: map[code] × block absmax, plus the offset.
        var constants: [Float] {
            codes.indices.map { i in
                let scaled = BnB4Bit.dynamicMap[Int(codes[i])] * absmax[i / BnB4Bit.doubleQuantBlocksize]
                return scaled + offset
            }
        }
    }

    /// bitsandbytes' CPU lookup table for 8-bit blockwise quantization (`build_quantize_lut`):
    /// bin i (value −1 + 2i/65535 in float32) holds the first dynamic-map index whose upper
    /// midpoint is not below the value.
    static let dynamicLookup: [UInt8] = {
        let map = dynamicMap
        let midpoints = (0..<(map.count - 1)).map { (map[$0] + map[$0 + 1]) * 0.5 }
        var lookup = [UInt8](repeating: 0, count: 65536)
        var index = 0
        for i in 0..<lookup.count {
            let value = Float(2 * i) / 65535 - 1
            while index < midpoints.count && midpoints[index] < value { index += 1 }
            lookup[i] = UInt8(index)
        }
        return lookup
    }()

    /// `torch.sum` of a contiguous float32 vector on the CPU, one thread (the order of
    /// PyTorch's `cascade_sum`): eight float lanes accumulated four vectors at a time in a
    /// cascade of partial sums, the leftover scalars and then the lanes added in order; fewer than
    /// eight values take the same cascade one scalar wide. Reproduces PyTorch 2.x on x86 (default,
    /// AVX2 and AVX-512 builds); above 32,768 values PyTorch splits the sum across its threads.
    static func torchSum(_ x: [Float]) -> Float {
        let lanes = 8
        guard x.count >= lanes else { return 0 + rowSum(items: x.count, width: 1) { x[$0] }[0] }
        let vectors = x.count / lanes
        let partial = rowSum(items: vectors, width: lanes) { x[$0] }
        var total: Float = 0
        for i in (vectors * lanes)..<x.count { total += x[i] }
        for lane in partial { total += lane }
        return 0 + total
    }

    /// PyTorch's `row_sum`: `items` items of `width` lanes (lane l of item i is element(i·width + l))
    /// summed in four interleaved accumulators, each a four-level cascade (`multi_row_sum`).
    static func rowSum(items: Int, width: Int, element: (Int) -> Float) -> [Float] {
        let ilp = 4
        let levels = 4
        let rows = items / ilp
        let ceilLog2 = rows <= 2 ? 1 : Int.bitWidth - (rows - 1).leadingZeroBitCount
        let levelPower = max(4, ceilLog2 / levels)
        let levelStep = 1 << levelPower
        // acc[level][k · width + lane]
        var acc = [[Float]](repeating: [Float](repeating: 0, count: ilp * width), count: levels)
        var row = 0
        func add(_ row: Int) {
            for e in 0..<(ilp * width) { acc[0][e] += element(row * ilp * width + e) }
        }
        while row + levelStep <= rows {
            for _ in 0..<levelStep {
                add(row)
                row += 1
            }
            for j in 1..<levels {
                for e in 0..<(ilp * width) {
                    acc[j][e] += acc[j - 1][e]
                    acc[j - 1][e] = 0
                }
                if row & ((levelStep - 1) << (j * levelPower)) != 0 { break }
            }
        }
        while row < rows {
            add(row)
            row += 1
        }
        for j in 1..<levels {
            for e in 0..<(ilp * width) { acc[0][e] += acc[j][e] }
        }
        var sum = Array(acc[0][0..<width])
        for item in (rows * ilp)..<items {
            for lane in 0..<width { sum[lane] += element(item * width + lane) }
        }
        for k in 1..<ilp {
            for lane in 0..<width { sum[lane] += acc[0][k * width + lane] }
        }
        return sum
    }

    // MARK: Quantize and dequantize

    /// Quantizes a row-major [rows, columns] matrix. The stored parts, in order:
    /// - codes: the 4-bit code indices, row-major, two per byte (the first in the high nibble; an
    ///   odd count padded with the index of 0);
    /// - without double quantization: the FP32 absmax of each block, little-endian;
    /// - with it: the 8-bit dynamic-map index of each absmax, the FP32 absmax of each block of 256
    ///   of those, and the FP32 offset (little-endian).
    public static func quantize(_ weights: [Float], rows: Int, columns: Int, name: String, settings: BnB4BitSettings) throws(QuantizerError) -> QuantizedMatrix
    {
        try settings.validate()
        guard rows > 0, columns > 0, weights.count == rows * columns else {
            throw .shape(tensor: name, detail: "expected \(rows) × \(columns) weights, got \(weights.count)")
        }
        if let bad = weights.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(tensor: name, index: bad) }
        let table = code(settings.quantType)
        let (indices, absmax, padding) = quantize4bit(weights, blocksize: settings.blocksize, code: table)
        var data = [pack4(indices, padding: padding)]
        var scales = absmax
        if settings.doubleQuant {
            let dq = DoubleQuantized(absmax)
            data += [dq.codes, Packing.float32(dq.absmax), Packing.float32([dq.offset])]
            scales = dq.constants
        } else {
            data.append(Packing.float32(absmax))
        }
        let parts = zip(layout(count: weights.count, settings: settings), data).map { QuantizedMatrix.Part(name: $0.name, data: $1) }
        return QuantizedMatrix(
            name: name, rows: rows, columns: columns, values: decode(indices, absmax: scales, blocksize: settings.blocksize, table: table), parts: parts)
    }

    /// Decodes the stored parts `quantize` writes (read from their bytes alone) to the row-major
    /// F32 weights, bit for bit the `values` of the quantized matrix (and bitsandbytes'
    /// `dequantize_4bit` in float32).
    public static func dequantize(_ parts: [QuantizedMatrix.Part], rows: Int, columns: Int, settings: BnB4BitSettings) throws(QuantizerError) -> [Float] {
        let format = "bitsandbytes 4-bit storage"
        try settings.validate()
        guard rows > 0, columns > 0 else { throw .shape(tensor: format, detail: "expected a positive shape, got \(rows) × \(columns)") }
        let count = rows * columns
        let data = try QuantizedMatrix.storedBytes(parts, layout: layout(count: count, settings: settings), format: format)
        let absmax =
            settings.doubleQuant
            ? DoubleQuantized(offset: Packing.floats(data[3])[0], codes: data[1], absmax: Packing.floats(data[2])).constants
            : Packing.floats(data[1])
        return decode(unpack4(data[0], count: count), absmax: absmax, blocksize: settings.blocksize, table: code(settings.quantType))
    }

    /// The stored parts' names and exact sizes.
    static func layout(count: Int, settings: BnB4BitSettings) -> [(name: String, bytes: Int)] {
        let blocks = (count + settings.blocksize - 1) / settings.blocksize
        let codes = (name: "codes (4-bit \(settings.quantType.rawValue))", bytes: (count + 1) / 2)
        guard settings.doubleQuant else { return [codes, (name: "absmax (FP32)", bytes: blocks * 4)] }
        let second = (blocks + doubleQuantBlocksize - 1) / doubleQuantBlocksize
        return [
            codes, (name: "absmax codes (8-bit)", bytes: blocks), (name: "absmax of absmax (FP32)", bytes: second * 4),
            (name: "absmax offset (FP32)", bytes: 4),
        ]
    }
}
