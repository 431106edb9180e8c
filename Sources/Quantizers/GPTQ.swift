import Foundation
import QuantCore

/// GPTQ (Frantar, Ashkboos, Hoefler & Alistarh, "GPTQ: Accurate Post-Training Quantization for
/// Generative Pre-trained Transformers", arXiv 2210.17323) for one weight matrix, following the
/// IST-DASLab `gptq.py` and AutoGPTQ's `gptq.py` (`fasterquant`) and `quantizer.py`
/// (`find_params`, per channel, no MSE search) step by step.
///
/// The settings are AutoGPTQ's quantize config: `bits`, `group_size`, `desc_act`,
/// `static_groups`, `sym`, `damp_percent`, and `fasterquant`'s `blocksize`.
public struct GPTQSettings: Sendable, Equatable, Codable {
    /// Bits per weight: 2, 3, 4 or 8 (what AutoGPTQ's packed format supports).
    public var bits: Int
    /// Input columns sharing one scale and zero point per row: −1 (one group per row) or 32…1024,
    /// dividing the number of columns.
    public var groupSize: Int
    /// `desc_act`: quantize the columns in order of descending diag(H) (activation order).
    public var actOrder: Bool
    /// `static_groups`: find every group's scale and zero point up front, from the weights as
    /// given (unpermuted column groups), instead of from the error-updated weights when a group
    /// is reached. With act-order this keeps g_idx in plain column order.
    public var staticGroups: Bool
    /// `sym`: zero point fixed at 2^(bits−1); otherwise an integer zero point per group.
    public var symmetric: Bool
    /// `damp_percent`: this fraction of mean(diag H) is added to H's diagonal; 0 < d < 1.
    public var dampPercent: Double
    /// `blocksize` of `fasterquant`: the width of the lazy batches.
    public var blockSize: Int

    public init(
        bits: Int = 4, groupSize: Int = 128, actOrder: Bool = false, staticGroups: Bool = false,
        symmetric: Bool = true, dampPercent: Double = 0.01, blockSize: Int = 128
    ) {
        self.bits = bits
        self.groupSize = groupSize
        self.actOrder = actOrder
        self.staticGroups = staticGroups
        self.symmetric = symmetric
        self.dampPercent = dampPercent
        self.blockSize = blockSize
    }

    /// Checks the settings against a matrix with `columns` input features; every problem names
    /// the setting (as AutoGPTQ's config spells it), what was given and what is allowed.
    public func validate(columns: Int, tensor: String) throws(QuantizerError) {
        guard [2, 3, 4, 8].contains(bits) else {
            throw .invalidSetting(key: "bits", value: "\(bits)", allowed: "2, 3, 4 or 8")
        }
        guard groupSize == -1 || (32...1024).contains(groupSize) else {
            throw .invalidSetting(key: "group_size", value: "\(groupSize)", allowed: "-1 (one group per row) or 32 to 1024")
        }
        if groupSize > 0, columns % groupSize != 0 {
            let fits = [32, 64, 128, 256, 512, 1024].filter { columns % $0 == 0 }.map(String.init) + ["-1"]
            throw .invalidSetting(
                key: "group_size", value: "\(groupSize)",
                allowed: "a size dividing the \(columns) columns of \(tensor): \(fits.joined(separator: ", "))")
        }
        guard dampPercent.isFinite, dampPercent > 0, dampPercent < 1 else {
            throw .invalidSetting(key: "damp_percent", value: "\(dampPercent)", allowed: "more than 0 and less than 1 (default 0.01)")
        }
        guard blockSize >= 1 else {
            throw .invalidSetting(key: "blocksize", value: "\(blockSize)", allowed: "1 or more (default 128)")
        }
    }
}

/// One matrix quantized by GPTQ (or by `GPTQ.rtn`, the same grid without error compensation).
///
/// Layouts: `codes` and `values` are row-major [rows, columns] in the original column order;
/// `scales` and `zeros` are row-major [rows, groupCount] (as `fasterquant` returns them; the
/// checkpoint stores their transpose); `groupIndex[j]` is the group of input column j (g_idx).
public struct GPTQResult: Sendable {
    public var name: String
    public var rows: Int
    public var columns: Int
    public var bits: Int
    /// The weights the stored parts decode to: FP16(scale) × (code − zero), in F32 (the
    /// algorithm itself rounds with the F32 scales; the codes are the same).
    public var values: [Float]
    /// The integer codes, 0 … 2^bits − 1.
    public var codes: [UInt8]
    /// The F32 scales the algorithm rounded with (stored as FP16).
    public var scales: [Float]
    /// The zero points (symmetric: 2^(bits−1)). AutoGPTQ's qzeros store zero − 1 (format v1).
    public var zeros: [Int]
    /// g_idx: the group of each input column.
    public var groupIndex: [Int32]
    public var groupCount: Int
    /// The order the columns were quantized in (`perm`; the identity without act-order).
    public var order: [Int]
    /// Storage as an AutoGPTQ checkpoint holds it, with its bytes: qweight, qzeros, scales, g_idx
    /// (layout in `GPTQ.layout`).
    public var parts: [QuantizedMatrix.Part]
    /// The damp_percent finally used: the setting × 10^retries.
    public var dampingUsed: Double
    /// How many times the Cholesky factorizations failed and were retried with 10× damping.
    public var retries: Int
    /// The sum of `fasterquant`'s Losses, Σ (w − q)² / (2 d²) with d the diagonal of the upper
    /// Cholesky factor of H⁻¹ (for `GPTQ.rtn`: ½ Σ (w − q)², d = 1).
    public var error: Double

    public var byteCount: Int { parts.reduce(0) { $0 + $1.bytes } }
    public var bitsPerWeight: Double { Double(byteCount * 8) / Double(rows * columns) }
    /// The result as the engine's quantized matrix (values and storage parts).
    public var matrix: QuantizedMatrix {
        QuantizedMatrix(name: name, rows: rows, columns: columns, values: values, parts: parts)
    }
}

public enum GPTQ {
    /// How many times the Cholesky factorizations are retried, each with 10× the damping.
    public static let maxRetries = 4

    /// GPTQ of a row-major [rows, columns] weight matrix (rows = output features) given the
    /// [columns, columns] Hessian H = (2/n) Σ x xᵀ of the layer's inputs (F32, as AutoGPTQ holds it).
    public static func quantize(
        _ weights: [Float], rows: Int, columns: Int, hessian: [Float], name: String,
        settings: GPTQSettings
    ) throws(QuantizerError) -> GPTQResult {
        try quantize(weights, rows: rows, columns: columns, hessian: hessian.map(Double.init), name: name, settings: settings)
    }

    /// GPTQ of a row-major [rows, columns] weight matrix (rows = output features) given the
    /// [columns, columns] Hessian H = (2/n) Σ x xᵀ of the layer's inputs. Only H's lower triangle
    /// is read (as torch's Cholesky does).
    ///
    /// Precision: the weights, their error updates, the scales and H⁻¹'s factor as used in the
    /// updates are F32 (as in the reference); damping and the three factorizations are done in F64.
    public static func quantize(
        _ weights: [Float], rows: Int, columns n: Int, hessian: [Double], name: String,
        settings: GPTQSettings
    ) throws(QuantizerError) -> GPTQResult {
        try check(weights, rows: rows, columns: n, name: name, settings: settings)
        guard hessian.count == n * n else {
            throw .shape(tensor: name, detail: "the Hessian must be \(n) × \(n) (\(n * n) values), got \(hessian.count)")
        }
        if let bad = hessian.firstIndex(where: { !$0.isFinite }) {
            throw .shape(tensor: name, detail: "Hessian entry (\(bad / n), \(bad % n)) is NaN or infinite")
        }
        let grid = GridMaker(bits: settings.bits, symmetric: settings.symmetric)
        let groupSize = settings.groupSize > 0 ? settings.groupSize : n
        let groupCount = n / groupSize
        var w = weights
        var h = hessian
        // Without groups every row keeps the parameters of its whole, original row: `find_params(W)`
        // runs before dead columns are zeroed.
        let rowGrids = (0..<rows).map { r in w.withUnsafeBufferPointer { grid.find($0.baseAddress! + r * n, count: n) } }
        // Dead inputs (never active, diag H = 0): H[i, i] = 1 and W[:, i] = 0.
        for i in 0..<n where h[i * n + i] == 0 {
            h[i * n + i] = 1
            for r in 0..<rows { w[r * n + i] = 0 }
        }
        var staticGrids: [Grid] = []
        if settings.staticGroups, settings.groupSize > 0 {
            staticGrids = w.withUnsafeBufferPointer { p in
                (0..<rows).flatMap { r in (0..<groupCount).map { g in grid.find(p.baseAddress! + r * n + g * groupSize, count: groupSize) } }
            }
        }
        // Act-order: descending diag(H), ties in ascending column order (a stable sort; torch's
        // default argsort leaves the order of ties unspecified).
        let order =
            settings.actOrder
            ? (0..<n).sorted { h[$0 * n + $0] > h[$1 * n + $1] || (h[$0 * n + $0] == h[$1 * n + $1] && $0 < $1) }
            : Array(0..<n)
        if settings.actOrder {
            h = (0..<n * n).map { h[order[$0 / n] * n + order[$0 % n]] }
        }
        let (hinv, dampingUsed, retries) = try factor(h, n: n, name: name, dampPercent: settings.dampPercent)

        var codes = [UInt8](repeating: 0, count: rows * n)
        var grids = [Grid](repeating: Grid(scale: 1, zero: 0), count: rows * groupCount)
        var loss = 0.0
        var row = [Float](repeating: 0, count: n)
        var rowCodes = [UInt8](repeating: 0, count: n)
        let batch = LazyBatch(columns: n, blockSize: min(settings.blockSize, n), maxq: grid.maxq)
        defer { batch.deallocate() }
        hinv.withUnsafeBufferPointer { hinv in
            for r in 0..<rows {
                for c in 0..<n { row[c] = w[r * n + order[c]] }
                if settings.groupSize <= 0 { grids[r] = rowGrids[r] }
                loss += batch.run(row: &row, codes: &rowCodes, hinv: hinv.baseAddress!, grid: rowGrids[r]) { c, W in
                    // A group's parameters, when column c (in quantization order) starts one.
                    guard settings.groupSize > 0 else { return nil }
                    if settings.staticGroups { return staticGrids[r * groupCount + order[c] / groupSize] }
                    guard c % groupSize == 0 else { return nil }
                    // From W, which holds the updates of earlier batches but not yet this batch's.
                    let found = grid.find(W + c, count: groupSize)
                    grids[r * groupCount + c / groupSize] = found
                    return found
                }
                for c in 0..<n { codes[r * n + order[c]] = rowCodes[c] }
            }
        }
        // g_idx: the group of each column's position in the quantization order (static groups:
        // of the column itself).
        var groupIndex = [Int32](repeating: 0, count: n)
        for c in 0..<n where settings.groupSize > 0 {
            groupIndex[order[c]] = Int32(settings.staticGroups ? order[c] / groupSize : c / groupSize)
        }
        if settings.staticGroups, settings.groupSize > 0 { grids = staticGrids }
        return assemble(
            name: name, rows: rows, columns: n, settings: settings, codes: codes, grids: grids,
            groupIndex: groupIndex, order: order, dampingUsed: dampingUsed, retries: retries, error: loss)
    }

    /// The same quantizer grid (`find_params` per row and group of consecutive columns) applied
    /// to the weights as given, without error compensation: the "RTN with the same bits and group"
    /// baseline. `actOrder`, `staticGroups`, `dampPercent` and `blockSize` play no part.
    public static func rtn(
        _ weights: [Float], rows: Int, columns n: Int, name: String,
        settings: GPTQSettings
    ) throws(QuantizerError) -> GPTQResult {
        try check(weights, rows: rows, columns: n, name: name, settings: settings)
        let grid = GridMaker(bits: settings.bits, symmetric: settings.symmetric)
        let groupSize = settings.groupSize > 0 ? settings.groupSize : n
        let groupCount = n / groupSize
        var codes = [UInt8](repeating: 0, count: rows * n)
        var grids: [Grid] = []
        var loss = 0.0
        weights.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                for g in 0..<groupCount {
                    let start = r * n + g * groupSize
                    let current = grid.find(p.baseAddress! + start, count: groupSize)
                    grids.append(current)
                    for i in start..<(start + groupSize) {
                        let code = current.code(p[i], maxq: grid.maxq)
                        codes[i] = UInt8(code)
                        let diff = Double(p[i] - current.dequantize(code))
                        loss += diff * diff / 2
                    }
                }
            }
        }
        let groupIndex = (0..<n).map { Int32($0 / groupSize) }
        return assemble(
            name: name, rows: rows, columns: n, settings: settings, codes: codes, grids: grids,
            groupIndex: groupIndex, order: Array(0..<n), dampingUsed: 0, retries: 0, error: loss)
    }

    /// Decodes the stored parts `quantize` and `rtn` write (read from their bytes alone) back to
    /// the row-major [rows, columns] F32 weights, FP16(scale) × (code − zero) with each column's
    /// group from g_idx: bit for bit the result's `values`.
    public static func dequantize(_ parts: [QuantizedMatrix.Part], rows: Int, columns: Int, bits: Int, groups: Int) throws(QuantizerError) -> [Float] {
        let format = "GPTQ storage"
        guard rows > 0, columns > 0, groups > 0, [2, 3, 4, 8].contains(bits) else {
            throw .shape(tensor: format, detail: "expected a positive shape and 2, 3, 4 or 8 bits, got \(rows) × \(columns), \(groups) groups, \(bits) bits")
        }
        let data = try QuantizedMatrix.storedBytes(parts, layout: layout(rows: rows, columns: columns, bits: bits, groups: groups), format: format)
        guard let values = decode(data, rows: rows, columns: columns, bits: bits, groups: groups) else {
            throw .shape(tensor: format, detail: "g_idx names a group outside 0 ..< \(groups)")
        }
        return values
    }

    /// AutoGPTQ's storage (the QuantLinear buffers of format v1, little-endian), for a
    /// [rows, columns] matrix (rows = out_features):
    /// - qweight: int32 [columns / 32 · bits, rows]: each row's codes along the input dimension as
    ///   a little-endian stream of `bits`-bit fields (code j at stream bit j·bits; 3-bit codes
    ///   straddle words), word w of row r at [w, r]: rows · columns · bits / 8 bytes;
    /// - qzeros: int32 [groups, rows / 32 · bits]: per group, the zero points minus one packed the
    ///   same way along the rows (a zero point of 0, which v1 cannot hold — AutoGPTQ's packer
    ///   smears its −1 into the following fields — is stored as 2^bits − 1 and read back as 0);
    /// - scales: FP16 [groups, rows];
    /// - g_idx: int32 [columns] (stored with or without act-order).
    /// AutoGPTQ's kernels need rows and columns to be multiples of 32; other sizes are stored with
    /// the last 32-code block zero-padded.
    static func layout(rows: Int, columns: Int, bits: Int, groups: Int) -> [(name: String, bytes: Int)] {
        [
            (name: "qweight (int32, \(bits)-bit codes)", bytes: packedWords(columns, bits: bits) * rows * 4),
            (name: "qzeros (int32, \(bits)-bit zero points − 1)", bytes: groups * packedWords(rows, bits: bits) * 4),
            (name: "scales (FP16)", bytes: groups * rows * 2),
            (name: "g_idx (int32)", bytes: columns * 4),
        ]
    }

    /// The int32 words that hold `count` codes: `bits` words per 32 codes.
    static func packedWords(_ count: Int, bits: Int) -> Int { (count + 31) / 32 * bits }

    /// `count` codes packed into little-endian 32-bit words as AutoGPTQ's `pack` does.
    private static func pack(_ codes: [Int], bits: Int) -> [UInt32] {
        let padded = codes + [Int](repeating: 0, count: packedWords(codes.count, bits: bits) * 32 / bits - codes.count)
        return Packing.words(Packing.packBits(padded, bits: bits), as: UInt32.self)
    }

    private static func unpack(_ words: [UInt32], bits: Int, count: Int) -> [Int] {
        Packing.unpackBits(Packing.littleEndian(words), bits: bits, count: count)
    }

    private static func encode(codes: [UInt8], grids: [Grid], groupIndex: [Int32], rows: Int, columns: Int, bits: Int) -> [QuantizedMatrix.Part] {
        let groups = grids.count / rows
        let maxq = (1 << bits) - 1
        let rowWords = packedWords(columns, bits: bits)
        var qweight = [UInt32](repeating: 0, count: rowWords * rows)
        for r in 0..<rows {
            let words = pack(codes[(r * columns)..<((r + 1) * columns)].map(Int.init), bits: bits)
            for w in 0..<rowWords { qweight[w * rows + r] = words[w] }
        }
        var qzeros: [UInt32] = []
        var scales = [UInt16](repeating: 0, count: groups * rows)
        for g in 0..<groups {
            qzeros += pack((0..<rows).map { (Int(grids[$0 * groups + g].zero) - 1) & maxq }, bits: bits)
            for r in 0..<rows { scales[g * rows + r] = Half.f32ToF16(grids[r * groups + g].scale) }
        }
        let data = [
            Packing.littleEndian(qweight), Packing.littleEndian(qzeros), Packing.littleEndian(scales),
            Packing.littleEndian(groupIndex.map { UInt32(bitPattern: $0) }),
        ]
        return zip(layout(rows: rows, columns: columns, bits: bits, groups: groups), data).map { QuantizedMatrix.Part(name: $0.name, data: $1) }
    }

    /// The weights the stored bytes decode to (nil when g_idx is out of range).
    private static func decode(_ data: [[UInt8]], rows: Int, columns: Int, bits: Int, groups: Int) -> [Float]? {
        let maxq = (1 << bits) - 1
        let qweight = Packing.words(data[0], as: UInt32.self)
        let qzeros = Packing.words(data[1], as: UInt32.self)
        let scales = Packing.words(data[2], as: UInt16.self).map(Half.f16ToF32)
        let groupIndex = Packing.words(data[3], as: UInt32.self).map { Int(Int32(bitPattern: $0)) }
        guard groupIndex.allSatisfy({ (0..<groups).contains($0) }) else { return nil }
        let rowWords = packedWords(columns, bits: bits)
        let groupWords = packedWords(rows, bits: bits)
        let zeros = (0..<groups).map { g in
            unpack(Array(qzeros[(g * groupWords)..<((g + 1) * groupWords)]), bits: bits, count: rows).map { ($0 + 1) & maxq }
        }
        var values = [Float](repeating: 0, count: rows * columns)
        for r in 0..<rows {
            let codes = unpack((0..<rowWords).map { qweight[$0 * rows + r] }, bits: bits, count: columns)
            for j in 0..<columns {
                let g = groupIndex[j]
                values[r * columns + j] = scales[g * rows + r] * Float(codes[j] - zeros[g][r])
            }
        }
        return values
    }

    // MARK: - Shared pieces

    private static func check(_ weights: [Float], rows: Int, columns: Int, name: String, settings: GPTQSettings) throws(QuantizerError) {
        guard rows > 0, columns > 0, weights.count == rows * columns else {
            throw .shape(tensor: name, detail: "expected \(rows) × \(columns) weights, got \(weights.count)")
        }
        try settings.validate(columns: columns, tensor: name)
        if let bad = weights.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(tensor: name, index: bad) }
    }

    private static func assemble(
        name: String, rows: Int, columns n: Int, settings: GPTQSettings, codes: [UInt8], grids: [Grid],
        groupIndex: [Int32], order: [Int], dampingUsed: Double, retries: Int, error: Double
    ) -> GPTQResult {
        let groupCount = grids.count / rows
        let parts = encode(codes: codes, grids: grids, groupIndex: groupIndex, rows: rows, columns: n, bits: settings.bits)
        // The values are what the stored bytes decode to, so that they and `dequantize` agree bit for bit.
        let values = decode(parts.map { $0.data ?? [] }, rows: rows, columns: n, bits: settings.bits, groups: groupCount)!
        return GPTQResult(
            name: name, rows: rows, columns: n, bits: settings.bits, values: values, codes: codes,
            scales: grids.map(\.scale), zeros: grids.map { Int($0.zero) }, groupIndex: groupIndex,
            groupCount: groupCount, order: order, parts: parts,
            dampingUsed: dampingUsed, retries: retries, error: error)
    }

    /// `fasterquant`'s column loop for one row (rows are independent given H⁻¹), over buffers
    /// allocated once: W1, Err1 and the trailing update.
    private struct LazyBatch {
        let columns: Int
        let blockSize: Int
        let maxq: Float
        let W1: UnsafeMutablePointer<Float>
        let err1: UnsafeMutablePointer<Float>
        let update: UnsafeMutablePointer<Float>

        init(columns: Int, blockSize: Int, maxq: Float) {
            self.columns = columns
            self.blockSize = blockSize
            self.maxq = maxq
            W1 = .allocate(capacity: blockSize)
            err1 = .allocate(capacity: blockSize)
            update = .allocate(capacity: columns)
        }

        func deallocate() {
            W1.deallocate()
            err1.deallocate()
            update.deallocate()
        }

        /// Quantizes `row` (the row of W in quantization order, updated in place) into `codes`,
        /// starting with `grid` and switching to `groupStart(c, W)` where that is not nil; returns
        /// the row's Losses. `hinv` is the upper Cholesky factor of H⁻¹, [columns, columns].
        func run(
            row: inout [Float], codes: inout [UInt8], hinv: UnsafePointer<Float>, grid: Grid,
            groupStart: (Int, UnsafeMutablePointer<Float>) -> Grid?
        ) -> Double {
            let n = columns
            var current = grid
            var loss = 0.0
            row.withUnsafeMutableBufferPointer { rowBuffer in
                let W = rowBuffer.baseAddress!
                var i1 = 0
                while i1 < n {
                    let i2 = min(i1 + blockSize, n)
                    let count = i2 - i1
                    for k in 0..<count { W1[k] = W[i1 + k] }
                    for i in 0..<count {
                        let c = i1 + i
                        if let next = groupStart(c, W) { current = next }
                        let hrow = hinv + c * n
                        let d = hrow[c]
                        let x = W1[i]
                        let code = current.code(x, maxq: maxq)
                        codes[c] = UInt8(code)
                        let q = current.dequantize(code)
                        let scaled = Double(x - q) / Double(d)
                        loss += scaled * scaled / 2
                        // W1[:, i:] -= err1 · Hinv1[i, i:]
                        let e = (x - q) / d
                        err1[i] = e
                        for k in i..<count { W1[k] -= e * hrow[i1 + k] }
                    }
                    // W[:, i2:] -= Err1 · Hinv[i1:i2, i2:]
                    if i2 < n {
                        for j in i2..<n { update[j] = 0 }
                        for k in 0..<count {
                            let e = err1[k]
                            let hrow = hinv + (i1 + k) * n
                            for j in i2..<n { update[j] += e * hrow[j] }
                        }
                        for j in i2..<n { W[j] -= update[j] }
                    }
                    i1 = i2
                }
            }
            return loss
        }
    }

    /// One row's parameters for one group: `quantize(x) = scale · (clamp(round(x / scale) + zero, 0, maxq) − zero)`
    /// with round-half-to-even (torch.round), all in F32.
    struct Grid: Sendable {
        var scale: Float
        var zero: Float

        @inline(__always) func code(_ x: Float, maxq: Float) -> Int {
            let v = (x / scale).rounded(.toNearestOrEven) + zero
            // NaN (a zero scale from subnormal weights) becomes code 0 rather than a crash.
            return v >= 0 ? Int(min(v, maxq)) : 0
        }

        @inline(__always) func dequantize(_ code: Int) -> Float {
            scale * (Float(code) - zero)
        }
    }

    /// `Quantizer.find_params` (per channel, weight=True, mse=False) for one row's group.
    struct GridMaker {
        let maxq: Float
        let symmetric: Bool

        init(bits: Int, symmetric: Bool) {
            maxq = Float((1 << bits) - 1)
            self.symmetric = symmetric
        }

        func find(_ x: UnsafePointer<Float>, count: Int) -> Grid {
            var lo: Float = 0
            var hi: Float = 0
            for i in 0..<count {
                lo = min(lo, x[i])
                hi = max(hi, x[i])
            }
            if symmetric {
                // A row with no negative weight keeps xmin = 0, so its codes above zero only
                // reach (maxq − 1)/2 steps: the reference's behaviour, kept.
                hi = max(abs(lo), hi)
                if lo < 0 { lo = -hi }
            }
            if lo == 0, hi == 0 {
                lo = -1
                hi = 1
            }
            let scale = (hi - lo) / maxq
            return Grid(scale: scale, zero: symmetric ? (maxq + 1) / 2 : (-lo / scale).rounded(.toNearestOrEven))
        }
    }

    /// H⁻¹'s upper Cholesky factor, as `fasterquant` builds it: H += damp·I with
    /// damp = damp_percent × mean(diag H); L = chol(H); H⁻¹ = cholesky_inverse(L); U = chol(H⁻¹, upper).
    /// A failed factorization is retried with 10× the damping, up to `maxRetries` times.
    private static func factor(_ h: [Double], n: Int, name: String, dampPercent: Double) throws(QuantizerError) -> (
        hinv: [Float], damping: Double, retries: Int
    ) {
        let meanDiagonal = (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(n)
        var percent = dampPercent
        for retries in 0...maxRetries {
            if retries > 0 { percent = dampPercent * pow(10, Double(retries)) }
            var a = h
            for i in 0..<n { a[i * n + i] += percent * meanDiagonal }
            if let u = Cholesky.inverseUpperFactor(&a, n: n) {
                return (u.map(Float.init), percent, retries)
            }
        }
        throw .shape(
            tensor: name,
            detail: "the Hessian is not positive definite, even with damp_percent \(percent) "
                + "(\(maxRetries) retries at 10× damping each); calibrate with more, or more varied, samples")
    }
}

/// Dense Cholesky pieces for `GPTQ` in F64, row-major, over contiguous rows.
enum Cholesky {
    /// Overwrites the lower triangle of `a` with L (a = L Lᵀ, reading a's lower triangle) and
    /// zeroes the upper; false when a pivot is not positive and finite.
    static func lower(_ a: UnsafeMutablePointer<Double>, n: Int) -> Bool {
        for j in 0..<n {
            let rowJ = a + j * n
            var s = rowJ[j]
            for k in 0..<j { s -= rowJ[k] * rowJ[k] }
            guard s > 0, s.isFinite else { return false }
            let pivot = s.squareRoot()
            rowJ[j] = pivot
            for i in (j + 1)..<n {
                let rowI = a + i * n
                var t = rowI[j]
                for k in 0..<j { t -= rowI[k] * rowJ[k] }
                rowI[j] = t / pivot
            }
            for k in (j + 1)..<n { rowJ[k] = 0 }
        }
        return true
    }

    /// The upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ U), H positive definite, row-major; nil
    /// when a factorization fails or anything is not finite. `a` is used as scratch.
    static func inverseUpperFactor(_ a: inout [Double], n: Int) -> [Double]? {
        var t = [Double](repeating: 0, count: n * n)
        let ok = a.withUnsafeMutableBufferPointer { ap -> Bool in
            t.withUnsafeMutableBufferPointer { tp -> Bool in
                let L = ap.baseAddress!
                let M = tp.baseAddress!
                guard lower(L, n: n) else { return false }
                // M = (L⁻¹)ᵀ, upper triangular, one row of M (a column of L⁻¹) at a time:
                // M[j, i] = (δij − Σ_{j≤k<i} L[i, k] M[j, k]) / L[i, i].
                for j in 0..<n {
                    let rowJ = M + j * n
                    for i in j..<n {
                        let rowI = L + i * n
                        var s: Double = i == j ? 1 : 0
                        for k in j..<i { s -= rowI[k] * rowJ[k] }
                        rowJ[i] = s / rowI[i]
                    }
                }
                // H⁻¹ = L⁻ᵀ L⁻¹ = M Mᵀ: H⁻¹[i, j] = Σ_{k ≥ max(i, j)} M[i, k] M[j, k]; lower triangle into L.
                for i in 0..<n {
                    let rowI = M + i * n
                    for j in 0...i {
                        let rowJ = M + j * n
                        var s = 0.0
                        for k in i..<n { s += rowI[k] * rowJ[k] }
                        L[i * n + j] = s
                    }
                }
                guard lower(L, n: n) else { return false }
                // U = Lᵀ of H⁻¹'s lower factor.
                for i in 0..<n {
                    for j in 0..<n { M[i * n + j] = j >= i ? L[j * n + i] : 0 }
                }
                return (0..<n * n).allSatisfy { M[$0].isFinite }
            }
        }
        return ok ? t : nil
    }
}
