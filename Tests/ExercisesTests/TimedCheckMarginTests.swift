import Foundation
import QuantCore
import Quantizers
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises
@testable import Grading

@Suite struct TimedCheckMarginTests {
    /// check-course refuses a timed target within 20% of a measured speed-up.
    @Test func timedTargetsMustSitTwentyPercentFromTheMeasuredMedians() throws {
        let (root, directory) = try TestCourse.exercise(ExerciseGradeTests.timedSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        #expect(TimedCheckMargin.problems(e, role: "starter", file: "starter.toml", measurement: ExerciseGradeTests.timed(1.0, 0.95, 1.05)).isEmpty)
        #expect(TimedCheckMargin.problems(e, role: "solution", file: "solution.toml", measurement: ExerciseGradeTests.timed(1.9, 1.8, 2.0)).isEmpty)
        let close = TimedCheckMargin.problems(e, role: "solution", file: "solution.toml", measurement: ExerciseGradeTests.timed(1.55, 1.5, 1.6))
        #expect(
            close.map(\.description) == [
                "solution.toml: the solution of exercise 02-demo is timed at 1.55× (95% interval 1.50–1.60×) on [check.first] `decode_speedup`, 16% from its target 1.30×; a timed target must sit at least 20% from the timed speed-up of both the starter and the solution, so that timing noise cannot turn their grades: move the target or change the solution"
            ])
        // A measurement without timed speed has nothing to check.
        #expect(
            TimedCheckMargin.problems(e, role: "starter", file: "s", measurement: ExerciseMeasurement(metrics: [:], quantizationSeconds: 0, evaluatedTokens: 0))
                .isEmpty)
    }

    /// The margin is relative to the measured speed-up, on both sides of the target (1.3×):
    /// 1.10× is 18% below it and 1.60× is 19% above it; 1.05× (24%) and 1.65× (21%) are far enough.
    @Test func theMarginIsMeasuredFromTheSpeedUpOnBothSides() throws {
        let (root, directory) = try TestCourse.exercise(ExerciseGradeTests.timedSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        func problems(_ speedup: Double) -> [String] {
            TimedCheckMargin.problems(
                e, role: "starter", file: "starter.toml",
                measurement: ExerciseMeasurement(metrics: [.decodeSpeedup: speedup], quantizationSeconds: 0, evaluatedTokens: 0)
            ).map(\.description)
        }
        // Without a timed interval the message gives the speed-up alone.
        #expect(
            problems(1.1) == [
                "starter.toml: the starter of exercise 02-demo is timed at 1.10× on [check.first] `decode_speedup`, 18% from its target 1.30×; a timed target must sit at least 20% from the timed speed-up of both the starter and the solution, so that timing noise cannot turn their grades: move the target or change the starter"
            ])
        #expect(problems(1.6).count == 1 && problems(1.6)[0].contains("timed at 1.60× on [check.first] `decode_speedup`, 19% from its target 1.30×"))
        #expect(problems(1.05).isEmpty && problems(1.65).isEmpty)
        // No speed-up measured (0) is not a speed-up to keep away from.
        #expect(problems(0).isEmpty)
    }

    /// Deterministic metrics do not vary from run to run: a value next to their target is no problem.
    @Test func onlyTimedChecksAreHeldToTheMargin() throws {
        let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        let measurement = ExerciseMeasurement(metrics: [.sameTop: 95.1, .blockBitsPerWeight: 4.49], quantizationSeconds: 0, evaluatedTokens: 0)
        #expect(TimedCheckMargin.problems(e, role: "solution", file: "solution.toml", measurement: measurement).isEmpty)
        #expect(TimedCheckMargin.minimum == 0.2)
    }
}
