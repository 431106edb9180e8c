import CKernels
import Foundation
import TestSupport
import Testing

@testable import QuantCore

@Suite struct KernelsTests {
    @Test func kernelsAgreeWithTheirScalarTwins() {
        var r = SeededRandom(state: 11)
        for n in [1, 7, 8, 9, 31, 64, 100] {
            let a = r.floats(n, 1)
            let b = r.floats(n, 1)
            let fast = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { Kernels.dot(x.baseAddress!, $0.baseAddress!, n) } }
            let slow = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { Kernels.dotScalar(x.baseAddress!, $0.baseAddress!, n) } }
            #expect(abs(fast - slow) < 1e-5 * Float(n))
        }
        // The matmul (AVX2 and its C twin) equals the Swift dot bit for bit, for any split.
        for (rows, columns, count) in [(1, 1, 1), (5, 7, 3), (33, 100, 9), (16, 192, 4), (3, 512, 5)] {
            let w = r.floats(rows * columns, 1)
            let x = r.floats(count * columns, 2)
            var expected = [Float](repeating: 0, count: rows * count)
            for t in 0..<count {
                for o in 0..<rows {
                    expected[t * rows + o] = w.withUnsafeBufferPointer { wp in
                        x.withUnsafeBufferPointer { Kernels.dot(wp.baseAddress! + o * columns, $0.baseAddress! + t * columns, columns) }
                    }
                }
            }
            for (threads, scalar) in [(1, false), (2, false), (2, true)] {
                var out = [Float](repeating: .nan, count: rows * count)
                w.withUnsafeBufferPointer { wp in
                    x.withUnsafeBufferPointer { xp in
                        out.withUnsafeMutableBufferPointer {
                            Kernels.matmul(
                                weights: wp.baseAddress!, rows: rows, columns: columns, input: xp.baseAddress!, count: count,
                                output: $0.baseAddress!, threads: threads, scalar: scalar)
                        }
                    }
                }
                #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "\(rows)×\(columns), \(count) inputs, \(threads) threads, scalar \(scalar)")
            }
        }
        var values: [Float] = [1, 2, 3, 1000]
        values.withUnsafeMutableBufferPointer { Kernels.softmax($0.baseAddress!, count: 3) }
        let e = [exp(-2.0), exp(-1.0), 1.0]
        for i in 0..<3 { #expect(abs(Double(values[i]) - e[i] / e.reduce(0, +)) < 1e-6) }
        #expect(values[3] == 1000)
    }

    /// SwiGLU's step, gate = silu(gate) · up with silu(x) = x / (1 + e^−x): silu(0) = 0, and each
    /// value is x / (1 + expf(−x)) · u to the bit, computed here with the same expf.
    @Test func swigluIsSiluTimesUp() {
        let x: [Float] = [0, 2, -3, 10, -20, 0.5]
        let up: [Float] = [7, 0.5, 2, -1, 3, 1]
        var gate = x
        ql_swiglu_f32(Int32(x.count), &gate, up)
        #expect(gate[0] == 0)
        #expect(abs(Double(gate[1]) - 2 / (1 + exp(-2.0)) * 0.5) < 1e-6)
        #expect(gate.map(\.bitPattern) == zip(x, up).map { (($0 / (1 + expf(-$0))) * $1).bitPattern })
    }
}
