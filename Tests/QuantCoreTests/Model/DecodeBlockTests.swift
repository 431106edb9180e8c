import Testing

@testable import QuantCore

@Suite struct DecodeBlockTests {
    @Test func weightBytesAreExactPerFormat() throws {
        let shape = DecodeBlock.Shape.tiny
        let mixed: [DecodeBlock.Storage] = [.packed(.q8_0), .packed(.q4_0), .packed(.q4_K), .f32, .packed(.f16), .packed(.q6_K), .packed(.q5_0)]
        let block = try DecodeBlock(shape: shape, formats: mixed, threads: 2)
        let d = 256
        let f = 768
        #expect(block.weightBytes == d * d / 32 * 34 + d * d / 32 * 18 + d * d / 256 * 144 + d * d * 4 + f * d * 2 + f * d / 256 * 210 + d * f / 32 * 22)
        #expect(block.formats.map(\.description) == ["Q8_0", "Q4_0", "Q4_K", "F32", "F16", "Q6_K", "Q5_0"])
    }

    /// Weights are seeded per row, so the block holds the same values whatever the threads,
    /// and each format multiplies them to close results.
    @Test func theSameWeightsWhateverTheThreads() throws {
        let one = try DecodeBlock(shape: .tiny, formats: [.packed(.q4_K)], threads: 1)
        let two = try DecodeBlock(shape: .tiny, formats: [.packed(.q4_K)], threads: 2)
        let input = one.input(tokens: 2)
        #expect(one.multiply(input, tokens: 2, threads: 1) == two.multiply(input, tokens: 2, threads: 2))
        let f32 = try DecodeBlock(shape: .tiny, formats: [.f32], threads: 2)
        let f16 = try DecodeBlock(shape: .tiny, formats: [.packed(.f16)], threads: 2)
        let exact = f32.multiply(input, tokens: 1, threads: 1)
        let half = f16.multiply(input, tokens: 1, threads: 1)
        #expect(exact != 0 && abs(exact - half) < 0.01 * abs(exact) + 1e-3)
        // Values in ±0.025, not all alike.
        let w = DecodeBlock.weights(rows: 3..<5, columns: 300, seed: 7)
        #expect(w.allSatisfy { abs($0) <= 0.025 } && Set(w).count > 590)
        #expect(w == Array(DecodeBlock.weights(rows: 0..<5, columns: 300, seed: 7)[900...]))
    }

    /// A pair built in turn holds what two separately built blocks hold; a candidate in the
    /// baseline's formats shares the baseline's matrices.
    @Test func aPairHoldsTheSameBlocksAsSeparateBuilds() throws {
        let (base, candidate) = try DecodeBlock.pair(shape: .tiny, baseline: [.packed(.f16)], candidate: [.packed(.q4_0)], threads: 2)
        let input = base.input(tokens: 1)
        #expect(
            base.multiply(input, tokens: 1, threads: 1)
                == (try DecodeBlock(shape: .tiny, formats: [.packed(.f16)], threads: 1)).multiply(input, tokens: 1, threads: 1))
        #expect(
            candidate.multiply(input, tokens: 1, threads: 1)
                == (try DecodeBlock(shape: .tiny, formats: [.packed(.q4_0)], threads: 1)).multiply(input, tokens: 1, threads: 1))
        #expect(candidate.formats == Array(repeating: .packed(.q4_0), count: 7) && base.formats == Array(repeating: .packed(.f16), count: 7))
        let (same, again) = try DecodeBlock.pair(shape: .tiny, baseline: [.packed(.f16)], candidate: Array(repeating: .packed(.f16), count: 7), threads: 2)
        guard case .packed(let a) = same.matrices[0], case .packed(let b) = again.matrices[0] else {
            Issue.record("F16 matrices are packed")
            return
        }
        #expect(a.bytes.withUnsafeBufferPointer { $0.baseAddress } == b.bytes.withUnsafeBufferPointer { $0.baseAddress })
    }

    @Test func aFormatThatCannotTileTheRowsIsRefused() {
        let shape = DecodeBlock.Shape(name: "odd", embedding: 192, feedForward: 512)
        #expect(throws: GGUFError.self) { try DecodeBlock(shape: shape, formats: [.packed(.q4_K)], threads: 1) }
    }
}
