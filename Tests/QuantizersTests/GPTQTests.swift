import Foundation
import QuantCore
import Testing

@testable import Quantizers

extension Weights {
    /// An integer in lo…hi from the generator's 24 random bits (scripts/dev/gen-gptq-fixture.py
    /// draws the same numbers).
    mutating func int(_ lo: Int, _ hi: Int) -> Int {
        lo + Int((next() + 1) * 0x1p23) % (hi - lo + 1)
    }
}

/// Calibration inputs X [columns, samples] of small integers whose columns mix 8 shared factors
/// (so H = X Xᵀ is far from diagonal), per-column scales 1…3 (so act-order has an order to find)
/// and ±1 noise; `dead` columns are all zero. H is exact in F32 and F64.
func gptqCalibration(seed: UInt64, columns: Int, samples: Int, dead: [Int] = []) -> [Double] {
    var g = Weights(state: seed)
    let factors = 8
    let mixing = (0..<columns * factors).map { _ in g.int(-2, 2) }
    let scale = (0..<columns).map { _ in g.int(1, 3) }
    let latent = (0..<factors * samples).map { _ in g.int(-3, 3) }
    var x = [Double](repeating: 0, count: columns * samples)
    for c in 0..<columns {
        for n in 0..<samples {
            let mixed = (0..<factors).reduce(0) { $0 + mixing[c * factors + $1] * latent[$1 * samples + n] }
            x[c * samples + n] = Double(scale[c] * mixed + g.int(-1, 1))
        }
    }
    for c in dead { for n in 0..<samples { x[c * samples + n] = 0 } }
    return x
}

/// A diagonal [n, n] matrix.
func diagonal(_ n: Int, _ value: (Int) -> Double) -> [Double] {
    var h = [Double](repeating: 0, count: n * n)
    for i in 0..<n { h[i * n + i] = value(i) }
    return h
}

/// H = X Xᵀ.
func gptqHessian(_ x: [Double], columns: Int, samples: Int) -> [Double] {
    var h = [Double](repeating: 0, count: columns * columns)
    for i in 0..<columns {
        for j in 0...i {
            var s = 0.0
            for n in 0..<samples { s += x[i * samples + n] * x[j * samples + n] }
            h[i * columns + j] = s
            h[j * columns + i] = s
        }
    }
    return h
}

/// ‖W X − Q X‖² = Σ_rows (w − q) H (w − q)ᵀ.
func outputError(_ w: [Float], _ q: [Float], rows: Int, hessian h: [Double]) -> Double {
    let n = w.count / rows
    var total = 0.0
    for r in 0..<rows {
        let d = (0..<n).map { Double(w[r * n + $0] - q[r * n + $0]) }
        for i in 0..<n {
            var s = 0.0
            for j in 0..<n { s += h[i * n + j] * d[j] }
            total += d[i] * s
        }
    }
    return total
}

@Suite struct GPTQTests {
    static let identity64 = diagonal(64) { _ in 1 }

    @Test(arguments: [2, 3, 4, 8], [-1, 32])
    func diagonalHessianGivesTheRTNIntegers(bits: Int, groupSize: Int) throws {
        var g = Weights(state: UInt64(bits * 100 + groupSize + 7))
        let w = g.floats(16 * 64)
        // Any positive diagonal: H⁻¹'s factor has no off-diagonal entries, so no error is passed on.
        let h = diagonal(64) { Double(1 + $0 % 7) * 0.37 }
        for symmetric in [true, false] {
            let settings = GPTQSettings(bits: bits, groupSize: groupSize, symmetric: symmetric)
            let gptq = try GPTQ.quantize(w, rows: 16, columns: 64, hessian: h, name: "w", settings: settings)
            let rtn = try GPTQ.rtn(w, rows: 16, columns: 64, name: "w", settings: settings)
            #expect(gptq.codes == rtn.codes)
            #expect(gptq.scales == rtn.scales && gptq.zeros == rtn.zeros && gptq.groupIndex == rtn.groupIndex)
            #expect(gptq.values == rtn.values)
            #expect(gptq.retries == 0 && gptq.dampingUsed == 0.01)
        }
    }

    @Test func rtnIsFindParamsPerGroup() throws {
        // One row, one group: xmin = min(x, 0) = −1, xmax = 0.5; sym: xmax = 1, xmin = −1,
        // scale = 2/15, zero = 8; codes round(x / scale) + 8 (−1/scale is −7.4999995 in F32).
        let w: [Float] = [-1, 0.5, 0.25, 0] + [Float](repeating: 0, count: 28)
        let sym = try GPTQ.rtn(w, rows: 1, columns: 32, name: "w", settings: GPTQSettings(bits: 4, groupSize: -1))
        #expect(sym.scales == [Float(2) / 15] && sym.zeros == [8])
        #expect(Array(sym.codes.prefix(4)) == [1, 12, 10, 8])
        #expect(sym.values[0] == Half.f16ToF32(Half.f32ToF16(Float(2) / 15)) * -7)
        // Asymmetric: scale = 1.5/15 = 0.1, zero = round(1/0.1) = 10; 0.25/0.1 = 2.5 rounds to even.
        let asym = try GPTQ.rtn(w, rows: 1, columns: 32, name: "w", settings: GPTQSettings(bits: 4, groupSize: -1, symmetric: false))
        #expect(asym.zeros == [10] && Array(asym.codes.prefix(4)) == [0, 15, 12, 10])
        // No negative weight: zero point 0, which qzeros (zero − 1) cannot hold; stored wrapped
        // (4 bits of 1s) and read back as 0.
        let positive = try GPTQ.rtn(w.map(abs), rows: 1, columns: 32, name: "w", settings: GPTQSettings(bits: 4, groupSize: -1, symmetric: false))
        #expect(positive.zeros == [0] && positive.parts[1].data?.first == 0x0F)
        #expect(try GPTQ.dequantize(positive.parts, rows: 1, columns: 32, bits: 4, groups: 1) == positive.values)
        // An all-zero group uses xmin = −1, xmax = 1.
        let zero = try GPTQ.rtn([Float](repeating: 0, count: 32), rows: 1, columns: 32, name: "w", settings: GPTQSettings(bits: 3, groupSize: 32))
        #expect(zero.scales == [Float(2) / 7] && zero.codes.allSatisfy { $0 == 4 } && zero.values.allSatisfy { $0 == 0 })
    }

    @Test(arguments: [3, 4])
    func beatsRTNOnCorrelatedInputs(bits: Int) throws {
        let rows = 32
        let columns = 128
        let samples = 256
        var g = Weights(state: UInt64(40 + bits))
        let w = g.floats(rows * columns)
        let h = gptqHessian(gptqCalibration(seed: 5, columns: columns, samples: samples), columns: columns, samples: samples)
        for (actOrder, staticGroups) in [(false, false), (true, false), (true, true), (false, true)] {
            let settings = GPTQSettings(bits: bits, groupSize: 32, actOrder: actOrder, staticGroups: staticGroups)
            let gptq = try GPTQ.quantize(w, rows: rows, columns: columns, hessian: h, name: "w", settings: settings)
            let rtn = try GPTQ.rtn(w, rows: rows, columns: columns, name: "w", settings: settings)
            let ratio = outputError(w, gptq.values, rows: rows, hessian: h) / outputError(w, rtn.values, rows: rows, hessian: h)
            #expect(ratio < 0.25, "bits \(bits) act_order \(actOrder) static_groups \(staticGroups): GPTQ/RTN output error \(ratio)")
            #expect(gptq.values.allSatisfy { $0.isFinite })
        }
        // AutoGPTQ holds H in F32: the F32 entry point reads the same (here exact) Hessian.
        let viaF32 = try GPTQ.quantize(
            w, rows: rows, columns: columns, hessian: h.map { Float($0) }, name: "w", settings: GPTQSettings(bits: bits, groupSize: 32))
        #expect(
            try viaF32.codes == GPTQ.quantize(w, rows: rows, columns: columns, hessian: h, name: "w", settings: GPTQSettings(bits: bits, groupSize: 32)).codes)
        // Per-row groups too, and act-order actually reorders.
        let perRow = try GPTQ.quantize(
            w, rows: rows, columns: columns, hessian: h, name: "w", settings: GPTQSettings(bits: bits, groupSize: -1, actOrder: true))
        let rtn = try GPTQ.rtn(w, rows: rows, columns: columns, name: "w", settings: GPTQSettings(bits: bits, groupSize: -1))
        #expect(outputError(w, perRow.values, rows: rows, hessian: h) < 0.25 * outputError(w, rtn.values, rows: rows, hessian: h))
        #expect(perRow.order != Array(0..<columns) && perRow.order.sorted() == Array(0..<columns))
    }

    @Test func groupsInsideOneLazyBatchSeeTheBatchsStartingWeights() throws {
        // find_params reads W, which a lazy batch updates only when it ends: without act-order,
        // groups inside the first batch get the parameters of the weights as given, exactly those
        // of static groups; with batches as narrow as the groups they see the updated weights.
        var g = Weights(state: 23)
        let w = g.floats(16 * 128)
        let h = gptqHessian(gptqCalibration(seed: 6, columns: 128, samples: 200), columns: 128, samples: 200)
        func run(_ settings: GPTQSettings) throws -> GPTQResult {
            try GPTQ.quantize(w, rows: 16, columns: 128, hessian: h, name: "w", settings: settings)
        }
        let dynamic = try run(GPTQSettings(bits: 4, groupSize: 32))
        let fixed = try run(GPTQSettings(bits: 4, groupSize: 32, staticGroups: true))
        #expect(dynamic.codes == fixed.codes && dynamic.scales == fixed.scales)
        let narrow = try run(GPTQSettings(bits: 4, groupSize: 32, blockSize: 32))
        #expect(narrow.scales != fixed.scales)
        #expect((0..<16).allSatisfy { narrow.scales[$0 * 4] == fixed.scales[$0 * 4] })  // group 0: nothing updated yet
    }

    @Test func storageIsAutoGPTQs() throws {
        // 64 × 256 (out × in), 4-bit g128, act-order: qweight [256/32·4, 64] int32 = 64·256·4/8
        // bytes; qzeros [2, 64/32·4] int32; scales [2, 64] FP16; g_idx [256] int32.
        let w = Weights(state: 1).floatsOf(64 * 256)
        let h = diagonal(256) { _ in 1 }
        let q4 = try GPTQ.quantize(w, rows: 64, columns: 256, hessian: h, name: "w", settings: GPTQSettings(bits: 4, groupSize: 128, actOrder: true))
        #expect(q4.parts.map(\.bytes) == [8192, 64, 256, 1024])
        #expect(q4.parts.map(\.name) == ["qweight (int32, 4-bit codes)", "qzeros (int32, 4-bit zero points − 1)", "scales (FP16)", "g_idx (int32)"])
        #expect(q4.groupCount == 2 && q4.matrix.byteCount == 9536)
        #expect(try GPTQ.dequantize(q4.parts, rows: 64, columns: 256, bits: 4, groups: 2) == q4.values)
        // 3-bit, one group per row: 32 codes in 3 words; qzeros [1, 64/32·3]; one scale per row.
        let q3 = try GPTQ.quantize(w, rows: 64, columns: 256, hessian: h, name: "w", settings: GPTQSettings(bits: 3, groupSize: -1))
        #expect(q3.parts.map(\.bytes) == [6144, 24, 128, 1024])
        #expect(try GPTQ.dequantize(q3.parts, rows: 64, columns: 256, bits: 3, groups: 1) == q3.values)
        // Off the 32 grid (AutoGPTQ's kernels refuse it) the zero-padded 32-code blocks are counted:
        // 16 rows of 8-bit zero points still take one 32-code block, 8 words.
        #expect(GPTQ.layout(rows: 16, columns: 64, bits: 8, groups: 2).map(\.bytes) == [16 * 64, 2 * 8 * 4, 2 * 16 * 2, 64 * 4])
    }

    @Test func badSettingsNameTheKey() {
        let w = [Float](repeating: 0.5, count: 256)
        let h = diagonal(256) { _ in 1 }
        func attempt(_ settings: GPTQSettings) throws {
            _ = try GPTQ.quantize(w, rows: 1, columns: 256, hessian: h, name: "blk.0.ffn_up.weight", settings: settings)
        }
        let damp = "more than 0 and less than 1 (default 0.01)"
        #expect(throws: QuantizerError.invalidSetting(key: "damp_percent", value: "0.0", allowed: damp)) { try attempt(GPTQSettings(dampPercent: 0)) }
        #expect(throws: QuantizerError.invalidSetting(key: "damp_percent", value: "1.0", allowed: damp)) { try attempt(GPTQSettings(dampPercent: 1)) }
        #expect(throws: QuantizerError.invalidSetting(key: "bits", value: "5", allowed: "2, 3, 4 or 8")) { try attempt(GPTQSettings(bits: 5)) }
        #expect(
            throws: QuantizerError.invalidSetting(
                key: "group_size", value: "48",
                allowed: "a size dividing the 256 columns of blk.0.ffn_up.weight: 32, 64, 128, 256, -1")
        ) {
            try attempt(GPTQSettings(groupSize: 48))
        }
        #expect(throws: QuantizerError.invalidSetting(key: "group_size", value: "0", allowed: "-1 (one group per row) or 32 to 1024")) {
            try attempt(GPTQSettings(groupSize: 0))
        }
        #expect(throws: QuantizerError.shape(tensor: "w", detail: "the Hessian must be 64 × 64 (4096 values), got 4095")) {
            try GPTQ.quantize(
                [Float](repeating: 0, count: 64), rows: 1, columns: 64, hessian: [Double](repeating: 0, count: 4095), name: "w",
                settings: GPTQSettings(groupSize: -1))
        }
    }

    @Test func singularAndIndefiniteHessians() throws {
        var g = Weights(state: 17)
        let w = g.floats(8 * 64)
        // All zero: every column dead (H[i, i] = 1, W[:, i] = 0), the row parameters still from W.
        let dead = try GPTQ.quantize(
            w, rows: 8, columns: 64, hessian: [Double](repeating: 0, count: 64 * 64), name: "w",
            settings: GPTQSettings(groupSize: -1, actOrder: true))
        #expect(dead.values.allSatisfy { $0 == 0 } && dead.codes.allSatisfy { $0 == 8 } && dead.retries == 0)
        #expect(dead.order == Array(0..<64))  // ties keep column order
        // Rank 3: damping alone makes it positive definite.
        let x = (0..<64 * 3).map { _ in Double(g.int(-4, 4)) }
        let lowRank = try GPTQ.quantize(
            w, rows: 8, columns: 64, hessian: gptqHessian(x, columns: 64, samples: 3), name: "w",
            settings: GPTQSettings(groupSize: 32, actOrder: true))
        #expect(lowRank.values.allSatisfy { $0.isFinite } && lowRank.error.isFinite)
        // Indefinite ([[1, 3], [3, 1]] blocks, eigenvalues 4 and −2): damping by 0.01, 0.1 and 1 ×
        // mean diag fails — three retries, damp_percent 10.
        let indefinite = (0..<64 * 64).map { i -> Double in
            let (r, c) = (i / 64, i % 64)
            return r == c ? 1 : (r / 2 == c / 2 ? 3 : 0)
        }
        let retried = try GPTQ.quantize(w, rows: 8, columns: 64, hessian: indefinite, name: "w", settings: GPTQSettings(groupSize: -1))
        #expect(retried.retries == 3 && abs(retried.dampingUsed - 10) < 1e-9)
        #expect(retried.values.allSatisfy { $0.isFinite } && retried.error.isFinite)
        // A negative diagonal cannot be damped into shape: a clear error naming the tensor.
        let negative = GPTQSettings(groupSize: -1)
        #expect(throws: QuantizerError.self) {
            try GPTQ.quantize(w, rows: 8, columns: 64, hessian: Self.identity64.map { -$0 }, name: "blk.3.attn_v.weight", settings: negative)
        }
        do {
            _ = try GPTQ.quantize(w, rows: 8, columns: 64, hessian: Self.identity64.map { -$0 }, name: "blk.3.attn_v.weight", settings: negative)
        } catch {
            #expect(error.description.hasPrefix("blk.3.attn_v.weight: the Hessian is not positive definite"))
        }
        #expect(throws: QuantizerError.shape(tensor: "w", detail: "Hessian entry (0, 1) is NaN or infinite")) {
            var h = Self.identity64
            h[1] = .nan
            return try GPTQ.quantize(w, rows: 8, columns: 64, hessian: h, name: "w", settings: negative)
        }
    }

    // MARK: - Agreement with AutoGPTQ's fasterquant (scripts/dev/gen-gptq-fixture.py)

    /// A case of Fixtures/gptq.json: the problem (inputs drawn from seeds), AutoGPTQ's codes, g_idx,
    /// order, row 0's scales and loss, or (`packed`) the bytes its QuantLinear.pack stores.
    struct Case: Decodable {
        var name: String
        var bits: Int
        var group_size: Int
        var act_order: Bool
        var static_groups: Bool
        var sym: Bool
        var blocksize: Int
        var rows: Int
        var columns: Int
        var samples: Int
        var weight_seed: UInt64
        var input_seed: UInt64
        var dead: [Int]
        var g_idx: [Int32]
        var codes: [String]?
        var order: [Int]?
        var scales: [Float]?
        var loss: Double?
        var qweight: [String]?
        var qzeros: [String]?
        var scales_f16: [String]?

        func quantize() throws -> GPTQResult {
            let w = Weights(state: weight_seed).floatsOf(rows * columns)
            let h = gptqHessian(gptqCalibration(seed: input_seed, columns: columns, samples: samples, dead: dead), columns: columns, samples: samples)
            let settings = GPTQSettings(
                bits: bits, groupSize: group_size, actOrder: act_order, staticGroups: static_groups,
                symmetric: sym, blockSize: blocksize)
            return try GPTQ.quantize(w, rows: rows, columns: columns, hessian: h, name: name, settings: settings)
        }
    }

    struct Fixture: Decodable {
        var cases: [Case]
        var packed: [Case]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/gptq.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    @Test(arguments: 0..<6)
    func agreesWithTheReference(index: Int) throws {
        let c = Self.fixture.cases[index]
        let q = try c.quantize()
        let expected = try #require(c.codes).joined().map { UInt8(String($0), radix: 16)! }
        try #require(expected.count == q.codes.count)
        let differing = zip(q.codes, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(c.name): \(differing) of \(expected.count) codes differ")
        #expect(q.groupIndex == c.g_idx && q.order == c.order)
        // Row 0's scales and the loss, up to F32 rounding in the error updates.
        let scales = Array(q.scales.prefix(q.groupCount))
        let reference = try #require(c.scales)
        #expect(zip(scales, reference).allSatisfy { abs($0 - $1) <= 1e-5 * abs($1) }, "\(c.name): \(scales) vs \(reference)")
        let loss = try #require(c.loss)
        #expect(abs(q.error - loss) <= 1e-4 * loss, "\(c.name): loss \(q.error) vs \(loss)")
    }

    @Test(arguments: 0..<2)
    func storesAutoGPTQsBytes(index: Int) throws {
        let c = Self.fixture.packed[index]
        let q = try c.quantize()
        func words(_ hex: [String]?) -> [UInt8] { Packing.littleEndian((hex ?? []).map { UInt32($0, radix: 16)! }) }
        let halves = Packing.littleEndian((c.scales_f16 ?? []).map { UInt16($0, radix: 16)! })
        let g = Packing.littleEndian(c.g_idx.map { UInt32(bitPattern: $0) })
        #expect(q.parts.map { $0.data ?? [] } == [words(c.qweight), words(c.qzeros), halves, g], "\(c.name)")
        #expect(try GPTQ.dequantize(q.parts, rows: c.rows, columns: c.columns, bits: c.bits, groups: q.groupCount) == q.values)
    }
}

extension Weights {
    /// `floats` on a copy, for one-line fixtures.
    func floatsOf(_ n: Int) -> [Float] {
        var copy = self
        return copy.floats(n)
    }
}
