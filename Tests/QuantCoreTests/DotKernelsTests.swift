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
