import CKernels
import TestSupport
import Testing

@testable import QuantCore

@Suite struct DotKernelsTests {
    static func blocks(_ type: TensorType, _ values: [Float]) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: type.format.byteCount(elements: values.count)!)
        let quantize = try #require(Quantize.function(for: type))
        try values.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try quantize(x, $0) } }
        return bytes
    }

    /// Weights in `type` (F16 by conversion) for `values`.
    static func encode(_ type: TensorType, _ values: [Float]) throws -> [UInt8] {
        try GGUFConverter.encode(values, as: type, tensor: "test", rowLength: values.count, path: "test")
    }

    /// One table-driven check over every weight type with a dot kernel: the kernel and its scalar
    /// twin equal the dot product of the dequantized weights and dequantized activations.
    @Test(arguments: DotKernels.types)
    func kernelsEqualTheDotOfTheDequantizedValues(type: TensorType) throws {
        let kernel = try #require(DotKernels.kernel(for: type))
        let activationType = kernel.activationType
        var random = SeededRandom(state: 17)
        for count in [256, 512, 4096] {
            let w = try Self.encode(type, random.floats(count, 2))
            let x = random.floats(count, 3)
            var a = [UInt8](repeating: 0, count: activationType.format.byteCount(elements: count)!)
            x.withUnsafeBufferPointer { xp in
                a.withUnsafeMutableBytes { DotKernels.quantizeActivations(activationType, xp.baseAddress!, count: count, into: $0.baseAddress!) }
            }
            let dw = try w.withUnsafeBytes { try type.format.dequantize($0, count: count) }
            let da = try a.withUnsafeBytes { try activationType.format.dequantize($0, count: count) }
            // The rounded activations are close to the input (the error of an 8-bit code or FP16).
            let amax = x.map(abs).max()!
            #expect(zip(x, da).allSatisfy { abs($0 - $1) <= amax / 127 }, "\(activationType) activations")
            var exact = zip(dw, da).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            if activationType == .q8_1 {
                // ggml applies Q4_1/Q5_1's minimum m through the activation block's FP16 s ≈ d·Σq,
                // not through the exact sum: the kernels must carry exactly that rounding.
                for b in 0..<(count / 32) {
                    let m = Double(Half.f16ToF32(UInt16(w[b * type.format.bytesPerBlock + 2]) | UInt16(w[b * type.format.bytesPerBlock + 3]) << 8))
                    let blockA = Array(a[(b * 36)..<(b * 36 + 36)])
                    let d = Double(Half.f16ToF32(UInt16(blockA[0]) | UInt16(blockA[1]) << 8))
                    let stored = Double(Half.f16ToF32(UInt16(blockA[2]) | UInt16(blockA[3]) << 8))
                    let sum = blockA[4...].reduce(0) { $0 + Int(Int8(bitPattern: $1)) }
                    exact += m * (stored - d * Double(sum))
                }
            }
            let magnitude = zip(dw, da).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            let scalar = w.withUnsafeBytes { wp in
                a.withUnsafeBytes { DotKernels.dot(type, count: count, weights: wp.baseAddress!, activations: $0.baseAddress!, scalar: true) }
            }
            let fast = w.withUnsafeBytes { wp in
                a.withUnsafeBytes { DotKernels.dot(type, count: count, weights: wp.baseAddress!, activations: $0.baseAddress!) }
            }
            // Exact integer block sums, float scales and accumulation: a few ulps of the magnitude.
            #expect(abs(Double(scalar) - exact) <= magnitude * 2e-6, "\(type) n=\(count): \(scalar) vs \(exact)")
            #expect(abs(Double(fast) - exact) <= magnitude * 2e-6, "\(type) n=\(count): \(fast) vs \(exact)")
            if !kernel.hasSIMD { #expect(fast == scalar) }
        }
    }

    /// The vectorised activation rounding equals the reference, byte for byte, ties included.
    @Test func vectorisedActivationRoundingEqualsTheReference() {
        var random = SeededRandom(state: 23)
        var x = random.floats(4096, 3)
        // Exact halves after scaling: amax 127 gives id = 1, so x = k + 0.5 is a tie (roundf: away from zero).
        for k in 0..<32 { x[k] = k == 0 ? 127 : Float(k % 9) - 4.5 }
        x[32..<64] = ArraySlice([Float](repeating: 0, count: 32))
        var fast = [UInt8](repeating: 0, count: 4096 / 32 * 34)
        var slow = fast
        x.withUnsafeBufferPointer { xp in
            fast.withUnsafeMutableBytes { ql_quantize_row_q8_0(4096, xp.baseAddress!, $0.baseAddress!) }
            slow.withUnsafeMutableBytes { ql_quantize_row_q8_0_scalar(4096, xp.baseAddress!, $0.baseAddress!) }
        }
        #expect(fast == slow)
        // −3.5 → −4, 3.5 → 4, −4.5 → −5
        #expect(Int8(bitPattern: fast[2 + 1]) == -4 && Int8(bitPattern: fast[2 + 8]) == 4 && Int8(bitPattern: fast[2 + 9]) == -5)
        // F16: round to nearest even, subnormals and overflow included.
        let values: [Float] = x + [65504, 65520, 1e-7, -6e-8, 3e-5, .infinity, -0.0, 1 + 1.0 / 2048]
        var halves = [UInt16](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { vp in
            halves.withUnsafeMutableBufferPointer { ql_convert_row_f16(Int32(values.count), vp.baseAddress!, $0.baseAddress!) }
        }
        #expect(halves == values.map { Half.f32ToF16($0) })
        // NaNs, in a vectorised group of eight and in the tail: ggml-base's 0x7E00 with the sign on
        // both paths (F16C alone would keep the payloads).
        var nans = (0..<19).map { Float($0) / 7 }
        nans[2] = Float(bitPattern: 0x7FC1_2345)
        nans[11] = Float(bitPattern: 0xFF80_0001)
        nans[18] = Float(bitPattern: 0x7FA0_0000)
        var nanHalves = [UInt16](repeating: 0, count: nans.count)
        nans.withUnsafeBufferPointer { vp in
            nanHalves.withUnsafeMutableBufferPointer { ql_convert_row_f16(Int32(nans.count), vp.baseAddress!, $0.baseAddress!) }
        }
        #expect(nanHalves == nans.map { Half.f32ToF16($0) })
        #expect(nanHalves[2] == 0x7E00 && nanHalves[11] == 0xFE00 && nanHalves[18] == 0x7E00 && nanHalves[3] == Half.f32ToF16(3.0 / 7))
    }

    @Test func q8KActivationsFollowGgml() throws {
        // ggml's sign convention: iscale = −127 / (the value of largest magnitude), so a positive
        // extreme gets code −127 and a negative scale d = 1/iscale; ties round to even (−63.5 → −64).
        var x = [Float](repeating: 0, count: 256)
        x[0] = 4
        x[1] = 2
        x[2] = 4.0 / 127 / 2
        x[17] = 1
        var a = [UInt8](repeating: 0, count: 292)
        x.withUnsafeBufferPointer { xp in a.withUnsafeMutableBytes { DotKernels.quantizeActivations(.q8_K, xp.baseAddress!, count: 256, into: $0.baseAddress!) }
        }
        let d = a.withUnsafeBytes { $0.loadUnaligned(as: Float.self) }
        #expect(d == 1 / (-127 / Float(4)))
        #expect(Int8(bitPattern: a[4]) == -127 && Int8(bitPattern: a[5]) == -64 && a[6] == 0 && Int8(bitPattern: a[21]) == -32)
        let bsums = (0..<16).map { g in a.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 260 + 2 * g, as: Int16.self) } }
        #expect(bsums[0] == -127 - 64 && bsums[1] == -32 && bsums[2...].allSatisfy { $0 == 0 })
        // All zeros: d = 0 and zero codes.
        var zeros = [UInt8](repeating: 0xFF, count: 292)
        [Float](repeating: 0, count: 256).withUnsafeBufferPointer { xp in
            zeros.withUnsafeMutableBytes { DotKernels.quantizeActivations(.q8_K, xp.baseAddress!, count: 256, into: $0.baseAddress!) }
        }
        #expect(zeros.allSatisfy { $0 == 0 })
    }

    @Test func extremeCodesDoNotOverflow() throws {
        // All codes at ±127 (Q8_0) and −8/7 (Q4_0) against −127: the int16 pair sums stay in range.
        let ones = [Float](repeating: 1, count: 64)
        let minus = [Float](repeating: -1, count: 64)
        for type in [TensorType.q8_0, .q4_0] {
            let w = try Self.blocks(type, type == .q4_0 ? minus : ones)
            let a = try Self.blocks(.q8_0, minus)
            let fast = w.withUnsafeBytes { wp in a.withUnsafeBytes { DotKernels.dot(type, count: 64, weights: wp.baseAddress!, activations: $0.baseAddress!) } }
            let scalar = w.withUnsafeBytes { wp in
                a.withUnsafeBytes { DotKernels.dot(type, count: 64, weights: wp.baseAddress!, activations: $0.baseAddress!, scalar: true) }
            }
            #expect(fast == scalar)
            #expect(abs(fast - (type == .q4_0 ? 64 : -64)) < 0.1, "\(type): \(fast)")
        }
    }
}

@Suite struct KernelBenchmarkTests {
    /// A panel type's rows include its tiled products, one token and eight, on every path this
    /// CPU has (and only those); a row-at-a-time type has none.
    @Test func panelTypesReportTheirTiledProducts() throws {
        let benchmark = KernelBenchmark(count: 256, repeats: 2)
        let q8 = try benchmark.run(.q8_0).map(\.operation)
        for path in KernelPath.allCases {
            #expect(q8.contains("gemv 16 rows × 1 (\(path.rawValue))") == path.isAvailable, "\(path)")
            #expect(q8.contains("gemm 16 rows × 8 (\(path.rawValue))") == path.isAvailable, "\(path)")
        }
        #expect(try benchmark.run(.q4_K).allSatisfy { !$0.operation.hasPrefix("gem") })
        #expect(try benchmark.run(.f16).contains { $0.operation == "gemv 16 rows × 1 (scalar)" && $0.cyclesPer32 > 0 })
    }
}
