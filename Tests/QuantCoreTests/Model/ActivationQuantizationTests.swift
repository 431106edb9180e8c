import Foundation
import Testing

@testable import QuantCore

@Suite struct ActivationQuantizationTests {
    /// The integer path equals a straightforward computation of the same quantization.
    @Test func dynamicInt8MatchesAHandComputedW8A8Product() {
        let w: [Float] = [0.5, -1.0, 0.25, 2.0, 0.0, -0.75]  // 2 rows × 3 columns
        let x: [Float] = [1.0, -2.0, 0.5, 3.0, 0.1, -0.2]  // 2 tokens
        let matrix = Int8Matrix(w, rows: 2, columns: 3, perRow: false)
        var y = [Float](repeating: 0, count: 4)
        ActivationScheme.dynamicInt8.multiply(matrix, input: x, count: 2, into: &y, threads: 1, statistics: nil)
        let sw: Float = 2.0 / 127
        let sx: Float = 3.0 / 127
        let qw = w.map { ($0 / sw).rounded() }
        let qx = x.map { ($0 / sx).rounded() }
        for t in 0..<2 {
            for o in 0..<2 {
                let exact = (0..<3).reduce(Float(0)) { $0 + qw[o * 3 + $1] * qx[t * 3 + $1] } * sx * sw
                #expect(abs(y[t * 2 + o] - exact) <= abs(exact) * 1e-6)
                let float = (0..<3).reduce(Float(0)) { $0 + w[o * 3 + $1] * x[t * 3 + $1] }
                #expect(abs(y[t * 2 + o] - float) < 0.05)
            }
        }
    }

    @Test func llmInt8SendsOutlierColumnsThroughSixteenBits() {
        // Weights exactly on their int8 grids (row scales 0.01), so only activations are rounded.
        let w: [Float] = [1.27, -0.64, 0.25, 0.5, 1.27, -0.3]
        // Column 1 holds a value above the threshold 6 in one token: the whole column is an outlier.
        let x: [Float] = [0.5, 20.0, -0.25, 0.1, 0.3, 0.2]
        let statistics = ActivationStatistics()
        var y = [Float](repeating: 0, count: 4)
        ActivationScheme.llmInt8(threshold: 6).multiply(
            Int8Matrix(w, rows: 2, columns: 3, perRow: true), input: x, count: 2, into: &y, threads: 1, statistics: statistics)
        #expect(statistics.snapshot.outlierColumns == 1 && statistics.snapshot.columns == 3)
        for t in 0..<2 {
            for o in 0..<2 {
                let float = (0..<3).reduce(Float(0)) { $0 + w[o * 3 + $1] * x[t * 3 + $1] }
                #expect(abs(y[t * 2 + o] - float) < 0.01, "t \(t) o \(o): \(y[t * 2 + o]) vs \(float)")
            }
        }
        // Without the decomposition the outlier would set the token's scale and crush the rest.
        var crushed = [Float](repeating: 0, count: 4)
        ActivationScheme.llmInt8(threshold: 100).multiply(
            Int8Matrix(w, rows: 2, columns: 3, perRow: true), input: x, count: 2, into: &crushed, threads: 1, statistics: nil)
        let exact: Float = 1.27 * 0.5 - 0.64 * 20 - 0.25 * 0.25
        let errorWith = abs(y[0] - exact)
        let errorWithout = abs(crushed[0] - exact)
        #expect(errorWith < errorWithout)
    }

    @Test func modelWithActivationQuantizationStaysCloseAndDeterministic() throws {
        let weights = TinyModel.weights()
        let base = LlamaModel(config: TinyModel.config, weights: weights)
        let tokens: [Int32] = [1, 5, 3, 10, 0, 7, 7, 2, 9]
        var c0 = base.makeCache()
        let reference = try base.forward(tokens, cache: &c0, logitRows: 0..<9)
        for scheme in [ActivationScheme.dynamicInt8, .llmInt8(threshold: 6)] {
            let model = base.withActivationScheme(scheme)
            var c1 = model.makeCache()
            var c2 = model.makeCache()
            let one = try model.forward(tokens, cache: &c1, logitRows: 0..<9, threads: 1)
            let two = try model.forward(tokens, cache: &c2, logitRows: 0..<9, threads: 3)
            #expect(one.map(\.bitPattern) == two.map(\.bitPattern))
            let worst = zip(one, reference).map { abs($0 - $1) }.max()!
            #expect(worst > 0 && worst < 0.5, "\(scheme): \(worst)")
            #expect(model.activationStatistics.snapshot.calls == 2 * 2 * 7)
        }
    }
}
