import TestSupport
import Testing

@testable import QuantCore

@Suite struct PackedMatrixTests {
    /// Every output of the packed product is one kernel dot against the rounded input row, and
    /// the thread count does not change a bit.
    @Test(arguments: [TensorType.f16, .q8_0, .q4_0, .q4_1, .q5_K, .q4_K, .q6_K])
    func multiplyIsOneDotPerOutput(type: TensorType) throws {
        var random = SeededRandom(state: 5)
        let rows = 37
        let columns = 512
        let count = 3
        let w = random.floats(rows * columns, 1)
        let bytes = try GGUFConverter.encode(w, as: type, tensor: "w", rowLength: columns, path: "test")
        let matrix = try #require(PackedMatrix(type: type, rows: rows, columns: columns, bytes: bytes))
        let input = random.floats(count * columns, 2)
        var one = [Float](repeating: 0, count: count * rows)
        var two = one
        input.withUnsafeBufferPointer { x in
            one.withUnsafeMutableBufferPointer { matrix.multiply(x.baseAddress!, count: count, into: $0.baseAddress!, threads: 1) }
            two.withUnsafeMutableBufferPointer { matrix.multiply(x.baseAddress!, count: count, into: $0.baseAddress!, threads: 2) }
        }
        #expect(one == two)
        let kernel = try #require(DotKernels.kernel(for: type))
        let aBytes = kernel.activationType.format.byteCount(elements: columns)!
        var a = [UInt8](repeating: 0, count: aBytes)
        for t in 0..<count {
            input.withUnsafeBufferPointer { x in
                a.withUnsafeMutableBytes {
                    DotKernels.quantizeActivations(kernel.activationType, x.baseAddress! + t * columns, count: columns, into: $0.baseAddress!)
                }
            }
            for o in [0, 17, rows - 1] {
                let expected = bytes.withUnsafeBytes { wp in
                    a.withUnsafeBytes { DotKernels.dot(type, count: columns, weights: wp.baseAddress! + o * matrix.rowBytes, activations: $0.baseAddress!) }
                }
                #expect(one[t * rows + o] == expected)
            }
        }
        // And close to the F32 product of the dequantized weights (only activation rounding differs).
        let dequantized = matrix.floats()
        for o in 0..<rows {
            let f32 = (0..<columns).reduce(0.0) { $0 + Double(dequantized[o * columns + $1]) * Double(input[$1]) }
            let magnitude = (0..<columns).reduce(0.0) { $0 + abs(Double(dequantized[o * columns + $1]) * Double(input[$1])) }
            #expect(abs(Double(one[o]) - f32) <= magnitude * 0.02, "\(type) row \(o)")
        }
    }

    @Test func refusesWhatItCannotMultiply() {
        #expect(PackedMatrix(type: .q4_K, rows: 2, columns: 192, bytes: []) == nil)  // 192 is not a 256 multiple
        #expect(PackedMatrix(type: .f32, rows: 1, columns: 32, bytes: [UInt8](repeating: 0, count: 128)) == nil)
        #expect(PackedMatrix(type: .q4_0, rows: 2, columns: 32, bytes: [UInt8](repeating: 0, count: 35)) == nil)
        #expect(PackedMatrix(type: .q4_0, rows: 2, columns: 32, bytes: [UInt8](repeating: 0, count: 36)) != nil)
    }
}
