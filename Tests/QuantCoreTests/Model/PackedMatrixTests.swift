import CKernels
import TestSupport
import Testing

@testable import QuantCore

@Suite struct PackedMatrixTests {
    /// For the types multiplied a row at a time (no panel layout), every output of the packed
    /// product is one kernel dot against the rounded input row, and the thread count does not
    /// change a bit. (The panel types are checked bit for bit in `PackedMatrixPanelTests`.)
    @Test(arguments: DotKernels.types.filter { $0.format.panels == nil })
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

/// The tiled products over panels of 16 rows (CKernels' gemm.c): every path, thread count and
/// batch gives the bits of one independent reference, written here in Swift from the order the
/// kernels promise: per block, the exact integer dot product, then
/// `sum = fma(Float(isum), d_w · d_a, sum)` in block order; for F16, column i into partial sum
/// i mod 4 (each product exact), then `(s0 + s1) + (s2 + s3)`.
@Suite struct PackedMatrixPanelTests {
    static let types: [TensorType] = [.f16, .q8_0, .q4_0]

    /// The F16 reference: weights as FP16 bits, activations rounded to F16.
    static func referenceF16(weights: [UInt8], row: Int, columns: Int, input: [Float], token: Int) -> Float {
        var partial: [Float] = [0, 0, 0, 0]
        for i in 0..<columns {
            let at = 2 * (row * columns + i)
            let w = Half.f16ToF32(UInt16(weights[at]) | UInt16(weights[at + 1]) << 8)
            partial[i % 4] = partial[i % 4].addingProduct(w, Half.f16ToF32(Half.f32ToF16(input[token * columns + i])))
        }
        return (partial[0] + partial[1]) + (partial[2] + partial[3])
    }

    /// The reference for one output: weight row `row` (file layout) against Q8_0 activation row `token`.
    static func reference(_ type: TensorType, weights: [UInt8], row: Int, columns: Int, activations: [UInt8], token: Int) -> Float {
        let blocks = columns / 32
        let rowBytes = type.format.byteCount(elements: columns)!
        func half(_ bytes: [UInt8], _ at: Int) -> Float { Half.f16ToF32(UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8) }
        var sum: Float = 0
        for b in 0..<blocks {
            let w = row * rowBytes + b * type.format.bytesPerBlock
            let y = (token * blocks + b) * 34
            var isum = 0
            for j in 0..<32 {
                let code: Int
                if type == .q8_0 {
                    code = Int(Int8(bitPattern: weights[w + 2 + j]))
                } else {
                    let byte = weights[w + 2 + j % 16]
                    code = Int(j < 16 ? byte & 0x0F : byte >> 4) - 8
                }
                isum += code * Int(Int8(bitPattern: activations[y + 2 + j]))
            }
            sum = sum.addingProduct(Float(isum), half(weights, w) * half(activations, y))  // one rounding
        }
        return sum
    }

    /// Random codes (every byte value, −128 included for Q8_0) under random FP16 scales of either sign.
    static func weights(_ type: TensorType, rows: Int, columns: Int, random: inout SeededRandom) -> [UInt8] {
        if type == .f16 {
            return random.floats(rows * columns, 1).flatMap { value in
                let bits = Half.f32ToF16(value)
                return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
            }
        }
        let blockBytes = type.format.bytesPerBlock
        var bytes = (0..<(rows * columns / 32 * blockBytes)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        for block in 0..<(rows * columns / 32) {
            let d = Half.f32ToF16(random.floats(1, 0.05)[0])
            bytes[block * blockBytes] = UInt8(d & 0xFF)
            bytes[block * blockBytes + 1] = UInt8(d >> 8)
        }
        return bytes
    }

    static func activations(_ input: [Float], count: Int, columns: Int) -> [UInt8] {
        var a = [UInt8](repeating: 0, count: count * columns / 32 * 34)
        input.withUnsafeBufferPointer { x in
            a.withUnsafeMutableBytes { out in
                for t in 0..<count {
                    DotKernels.quantizeActivations(.q8_0, x.baseAddress! + t * columns, count: columns, into: out.baseAddress! + t * columns / 32 * 34)
                }
            }
        }
        return a
    }

    static func product(_ matrix: PackedMatrix, _ input: [Float], count: Int, threads: Int, path: KernelPath) -> [Float] {
        var output = [Float](repeating: .nan, count: count * matrix.rows)
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { matrix.multiply(x.baseAddress!, count: count, into: $0.baseAddress!, threads: threads, path: path) }
        }
        return output
    }

    /// Odd shapes (a partial last panel, one block, tails of the token tiles): each available path
    /// and thread count returns exactly the reference's bits.
    @Test(arguments: types)
    func everyPathGivesTheReferenceBits(type: TensorType) throws {
        var random = SeededRandom(state: 29)
        let shapes = [(1, 32, 1), (17, 64, 3), (33, 96, 9), (45, 576, 13), (5, 32, 8), (16, 192, 1)] + (type == .f16 ? [(3, 5, 7), (17, 7, 2)] : [])
        for (rows, columns, count) in shapes {
            let bytes = Self.weights(type, rows: rows, columns: columns, random: &random)
            let matrix = try #require(PackedMatrix(type: type, rows: rows, columns: columns, bytes: bytes))
            let input = random.floats(count * columns, 3)
            let a = type == .f16 ? [] : Self.activations(input, count: count, columns: columns)
            var expected: [Float] = []
            for t in 0..<count {
                for r in 0..<rows {
                    expected.append(
                        type == .f16
                            ? Self.referenceF16(weights: bytes, row: r, columns: columns, input: input, token: t)
                            : Self.reference(type, weights: bytes, row: r, columns: columns, activations: a, token: t))
                }
            }
            for path in KernelPath.allCases where path.isAvailable {
                for threads in [1, 2, 3] {
                    let got = Self.product(matrix, input, count: count, threads: threads, path: path)
                    #expect(got.map(\.bitPattern) == expected.map(\.bitPattern), "\(type) \(rows)×\(columns), \(count) tokens, \(path), \(threads) threads")
                }
            }
        }
    }

    /// A token's outputs do not depend on the batch it runs in (decode and prefill agree).
    @Test(arguments: types)
    func batchesDoNotChangeAToken(type: TensorType) throws {
        var random = SeededRandom(state: 31)
        let (rows, columns, count) = (40, 128, 11)
        let matrix = try #require(
            PackedMatrix(type: type, rows: rows, columns: columns, bytes: Self.weights(type, rows: rows, columns: columns, random: &random)))
        let input = random.floats(count * columns, 2)
        let batch = Self.product(matrix, input, count: count, threads: 2, path: .current)
        for t in [0, 5, 10] {
            let alone = Self.product(matrix, Array(input[(t * columns)..<((t + 1) * columns)]), count: 1, threads: 1, path: .current)
            #expect(alone == Array(batch[(t * rows)..<((t + 1) * rows)]))
        }
    }

    /// Panels hold the file's bytes and give them back unchanged; the last panel is padded.
    @Test(arguments: types)
    func panelsKeepTheFileBytes(type: TensorType) throws {
        var random = SeededRandom(state: 37)
        let bytes = Self.weights(type, rows: 19, columns: 64, random: &random)
        let matrix = try #require(PackedMatrix(type: type, rows: 19, columns: 64, bytes: bytes))
        #expect(matrix.bytes == bytes)
        #expect(matrix.storage.count == 32 * 64 / type.format.blockSize * type.format.bytesPerBlock)  // two panels of 16 rows
        #expect(matrix.storage.count == ql_panel_bytes(type.format.panels!, 19, 64))
    }
}
