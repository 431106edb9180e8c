import Foundation
import Testing

@testable import QuantCore

@Suite struct SpeedMeasurementTests {
    @Test func theMedianIsTheMiddleValue() {
        #expect(SpeedMeasurement.median([3, 1, 2]) == 2)
        #expect(SpeedMeasurement.median([4, 1, 3, 2]) == 2.5)
        #expect(SpeedMeasurement.median([7]) == 7)
        #expect(SpeedMeasurement.median([]).isNaN)
    }

    @Test func studentsTQuantilesComeFromTheTable() {
        #expect(SpeedMeasurement.tQuantile975(degreesOfFreedom: 1) == 12.706)
        #expect(SpeedMeasurement.tQuantile975(degreesOfFreedom: 4) == 2.776)
        #expect(SpeedMeasurement.tQuantile975(degreesOfFreedom: 29) == 2.045)
        #expect(SpeedMeasurement.tQuantile975(degreesOfFreedom: 100) == 1.960)
    }

    /// The interval is Student's t over the log ratios, worked by hand: logs 0.1, 0.2, 0.3 have
    /// mean 0.2 and standard deviation 0.1, so the half-width is 4.303 · 0.1 / √3.
    @Test func theIntervalIsStudentsTOverLogRatios() {
        let (centre, lower, upper) = SpeedMeasurement.confidenceInterval([exp(0.1), exp(0.2), exp(0.3)])
        let half = 4.303 * 0.1 / 3.0.squareRoot()
        #expect(abs(log(centre) - 0.2) < 1e-12)
        #expect(abs(log(lower) - (0.2 - half)) < 1e-12)
        #expect(abs(log(upper) - (0.2 + half)) < 1e-12)
        let flat = SpeedMeasurement.confidenceInterval([2, 2, 2, 2])
        #expect(abs(flat.lower - 2) < 1e-12 && abs(flat.upper - 2) < 1e-12)
    }

    /// A scripted clock: each call of a workload returns the next scripted time for it.
    final class Script: @unchecked Sendable {
        var log: [String] = []
        var baseline: [Double], candidate: [Double]
        init(baseline: [Double], candidate: [Double]) {
            self.baseline = baseline
            self.candidate = candidate
        }
        func run(_ name: String) {
            log.append(name)
        }
        var clock: SpeedMeasurement.Clock {
            { [self] body in
                body()
                let which = log.last!
                let t = which == "B" ? baseline.removeFirst() : candidate.removeFirst()
                return .init(cpu: t, wall: t * 1.5)
            }
        }
    }

    @Test func pairsAlternateAfterOneWarmUpEach() {
        let script = Script(baseline: Array(repeating: 2, count: 40), candidate: Array(repeating: 1, count: 40))
        // The warm-up runs are not timed, so they do not consume the script.
        var warm = 0
        let result = SpeedMeasurement.compare(
            baseline: { if warm < 2 { warm += 1 } else { script.run("B") } },
            candidate: { if warm < 2 { warm += 1 } else { script.run("C") } },
            policy: .standard, clock: script.clock)
        #expect(script.log.joined() == "BCCBBCCBBC")
        #expect(result.pairs == 5 && result.converged)
        #expect(result.speedup == 2 && abs(result.lower - 2) < 1e-12 && abs(result.upper - 2) < 1e-12)
        #expect(result.wallSpeedup == 2 && result.baselineSeconds == 2 && result.candidateSeconds == 1)
    }

    @Test func noisyPairsStopAtTheCapUnconverged() {
        // Ratios alternate 1.5 and 3: the interval stays far wider than ±5%.
        let script = Script(baseline: (0..<40).map { $0 % 2 == 0 ? 1.5 : 3 }, candidate: Array(repeating: 1, count: 40))
        let result = SpeedMeasurement.compare(
            baseline: { script.run("B") }, candidate: { script.run("C") },
            policy: .init(minimumPairs: 5, maximumPairs: 12, halfWidth: 0.05), clock: script.clock)
        #expect(result.pairs == 12 && !result.converged)
        #expect(result.lower < 2.12 && result.upper > 2.12 && result.relativeHalfWidth > 0.05)
        // The point estimate is the geometric mean, √(1.5 × 3), the interval's centre.
        #expect(abs(result.speedup - 4.5.squareRoot()) < 1e-12 && abs(result.speedup - (result.lower * result.upper).squareRoot()) < 1e-9)
    }

    @Test func verdictsCompareTheIntervalWithTheTarget() {
        #expect(SpeedComparison.verdict(lower: 1.6, upper: 1.8, atLeast: 1.5) == .pass)
        #expect(SpeedComparison.verdict(lower: 1.1, upper: 1.4, atLeast: 1.5) == .fail)
        #expect(SpeedComparison.verdict(lower: 1.4, upper: 1.6, atLeast: 1.5) == .inconclusive)
        #expect(SpeedComparison.verdict(lower: 1.5, upper: 1.6, atLeast: 1.5) == .pass)
        #expect(SpeedComparison.verdict(lower: 0.5, upper: 0.9, atMost: 1) == .pass)
        #expect(SpeedComparison.verdict(lower: 1.1, upper: 1.2, atMost: 1) == .fail)
        #expect(SpeedComparison.verdict(lower: 0.9, upper: 1.1, atMost: 1) == .inconclusive)
    }

    /// The real clock measures the calling thread's CPU time: a sleep takes wall time but
    /// almost no CPU time.
    @Test func theThreadClockCountsCPUTimeNotSleep() {
        let t = SpeedMeasurement.threadClock { usleep(50_000) }
        #expect(t.wall >= 0.045)
        #expect(t.cpu < 0.02)
    }
}
