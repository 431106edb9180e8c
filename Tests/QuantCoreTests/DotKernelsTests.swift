import Testing
@testable import QuantCore

@Suite struct DotKernelsTests {
    static func blocks(_ type: TensorType, _ values: [Float]) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: type.format.byteCount(elements: values.count)!)
        let quantize = try #require(Quantize.function(for: type))
        try values.withUnsafeBufferPointer { x in try bytes.withUnsafeMutableBytes { try quantize(x, $0) } }
        return bytes
    }

    @Test(arguments: [TensorType.q8_0, .q4_0])
    func kernelsEqualTheDotOfTheDequantizedValues(type: TensorType) throws {
        var random = SeededRandom(state: 17)
        for count in [32, 64, 256, 4096] {
            let w = try Self.blocks(type, random.floats(count, 2))
            let a = try Self.blocks(.q8_0, random.floats(count, 3))
            let dw = try w.withUnsafeBytes { try type.format.dequantize($0, count: count) }
            let da = try a.withUnsafeBytes { try TensorType.q8_0.format.dequantize($0, count: count) }
            // Dequantized values are exact small multiples of the FP16 scales: this double sum is exact.
            let exact = zip(dw, da).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let scalar = w.withUnsafeBytes { wp in a.withUnsafeBytes { DotKernels.dot(type, count: count, weights: wp.baseAddress!, activations: $0.baseAddress!, scalar: true) } }
            let fast = w.withUnsafeBytes { wp in a.withUnsafeBytes { DotKernels.dot(type, count: count, weights: wp.baseAddress!, activations: $0.baseAddress!) } }
            let magnitude = zip(dw, da).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
            // Float accumulation over count/32 block sums: error bounded by a few ulps of the magnitude.
            #expect(abs(Double(scalar) - exact) <= magnitude * 1e-6, "\(type) n=\(count)")
            #expect(abs(Double(fast) - exact) <= magnitude * 1e-6, "\(type) n=\(count)")
        }
    }

    @Test func extremeCodesDoNotOverflow() throws {
        // All codes at ±127 (Q8_0) and −8/7 (Q4_0) against −127: the int16 pair sums stay in range.
        let ones = [Float](repeating: 1, count: 64)
        let minus = [Float](repeating: -1, count: 64)
        for type in DotKernels.types {
            let w = try Self.blocks(type, type == .q4_0 ? minus : ones)
            let a = try Self.blocks(.q8_0, minus)
            let fast = w.withUnsafeBytes { wp in a.withUnsafeBytes { DotKernels.dot(type, count: 64, weights: wp.baseAddress!, activations: $0.baseAddress!) } }
            let scalar = w.withUnsafeBytes { wp in a.withUnsafeBytes { DotKernels.dot(type, count: 64, weights: wp.baseAddress!, activations: $0.baseAddress!, scalar: true) } }
            #expect(fast == scalar)
            #expect(abs(fast - (type == .q4_0 ? 64 : -64)) < 0.1, "\(type): \(fast)")
        }
    }
}

@Suite struct BlockBenchmarkTests {
    @Test func f16KernelMatchesItsScalarTwin() {
        var random = SeededRandom(state: 4)
        for n in [1, 15, 16, 100, 4096] {
            let w = random.floats(n, 1).map { Half.f32ToF16($0) }
            let x = random.floats(n, 2)
            let fast = w.withUnsafeBufferPointer { wp in x.withUnsafeBufferPointer { ql_dot_f16(n, wp.baseAddress!, $0.baseAddress!, scalar: false) } }
            let slow = w.withUnsafeBufferPointer { wp in x.withUnsafeBufferPointer { ql_dot_f16(n, wp.baseAddress!, $0.baseAddress!, scalar: true) } }
            let exact = zip(w, x).reduce(0.0) { $0 + Double(Half.f16ToF32($1.0)) * Double($1.1) }
            #expect(abs(Double(fast) - exact) < 1e-4 * Double(n).squareRoot() + 1e-5)
            #expect(abs(Double(slow) - exact) < 1e-4 * Double(n).squareRoot() + 1e-5)
        }
    }

    /// The benchmark's byte counts are exact per format; speeds are measured, so only their
    /// relation to the in-run F16 baseline is checked.
    @Test func tinyBlockReportsExactWeightBytes() throws {
        let rows = try BlockBenchmark(shape: .tiny, threads: 2, batch: 4, repeats: 1).run()
        let weights = BlockBenchmark.Shape.tiny.weights
        #expect(weights == 4 * 256 * 256 + 3 * 256 * 704)
        #expect(rows.map(\.format) == ["F32", "F16", "Q8_0", "Q4_0"])
        #expect(rows.map(\.weightBytes) == [weights * 4, weights * 2, weights / 32 * 34, weights / 32 * 18])
        #expect(rows[1].decodeSpeedupVsF16 == 1 && rows[1].prefillSpeedupVsF16 == 1)
        #expect(rows.allSatisfy { $0.decodeTokensPerSecond > 0 && $0.prefillTokensPerSecond > 0 })
    }
}

import CKernels

func ql_dot_f16(_ n: Int, _ w: UnsafePointer<UInt16>, _ x: UnsafePointer<Float>, scalar: Bool) -> Float {
    scalar ? ql_vec_dot_f16_f32_scalar(Int32(n), w, x) : ql_vec_dot_f16_f32(Int32(n), w, x)
}
