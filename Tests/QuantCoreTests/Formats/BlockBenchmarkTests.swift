import CKernels
import TestSupport
import Testing

@testable import QuantCore

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
        let rows = try BlockBenchmark(shape: .tiny, threads: 2, batch: 4, policy: .init(minimumPairs: 2, maximumPairs: 2, halfWidth: 0.05)).run()
        let weights = BlockBenchmark.Shape.tiny.weights
        #expect(weights == 4 * 256 * 256 + 3 * 256 * 768)
        #expect(rows.map(\.format) == ["F32", "F16", "Q8_0", "Q4_0", "Q4_K"])
        #expect(rows.map(\.weightBytes) == [weights * 4, weights * 2, weights / 32 * 34, weights / 32 * 18, weights / 256 * 144])
        #expect(rows[1].prefillSpeedupVsF16 == 1)
        #expect(rows.allSatisfy { $0.decode.pairs == 2 && $0.decode.lower <= $0.decode.upper && $0.decodeTokensPerSecond > 0 && $0.prefillTokensPerSecond > 0 })
    }
}

func ql_dot_f16(_ n: Int, _ w: UnsafePointer<UInt16>, _ x: UnsafePointer<Float>, scalar: Bool) -> Float {
    scalar ? ql_vec_dot_f16_f32_scalar(Int32(n), w, x) : ql_vec_dot_f16_f32(Int32(n), w, x)
}
