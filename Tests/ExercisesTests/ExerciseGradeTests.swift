import Foundation
import QuantCore
import Quantizers
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises
@testable import Grading

@Suite struct ExerciseGradeTests {
    static let timedSpec = TestCourse.exerciseSpec.replacingOccurrences(
        of: "metric = \"same_top\"\nat_least = 95", with: "metric = \"decode_speedup\"\nat_least = 1.3")

    static func timed(_ speedup: Double, _ lower: Double, _ upper: Double) -> ExerciseMeasurement {
        let comparison = SpeedComparison(
            pairs: 12, speedup: speedup, lower: lower, upper: upper, wallSpeedup: speedup,
            baselineSeconds: 0.02, candidateSeconds: 0.02 / speedup, converged: true)
        let speed = BlockDecodeSpeed(
            block: "llama-7b 4096/11008", threads: 1, formats: Array(repeating: "Q8_0", count: 7),
            baselineBytes: 404_750_336, bytes: 215_048_192, comparison: comparison, notes: [])
        return ExerciseMeasurement(
            metrics: [.blockBitsPerWeight: 4, .decodeSpeedup: speedup], quantizationSeconds: 0,
            evaluatedTokens: 1, speed: speed)
    }

    @Test func checksKeepFileOrderAndTheRubricAddsUp() throws {
        let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        #expect(e.checks.map(\.name) == ["second", "first"])
        // 4.25 bits passes "at most 4.5" (40 points); 94.5% same top fails "at least 95".
        let grade = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: 4.25, .sameTop: 94.5], baseline: [.sameTop: 100])
        #expect(grade.score == 40 && grade.maxScore == 100 && !grade.passed)
        #expect(grade.lines[0].feedback == "ok 4.250" && grade.lines[1].feedback == "f" && grade.lines[1].baseline == 100)
        // Exactly on the threshold passes; a missing or non-finite metric fails.
        let edge = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: 4.5, .sameTop: 95], baseline: [:])
        #expect(edge.score == 100 && edge.passed)
        let missing = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: .nan], baseline: [:])
        #expect(missing.score == 0 && missing.lines[0].feedback == "over 4.500: n/a")
    }

    /// A timed check passes when its interval clears the target, fails when the interval lies
    /// below it, and is graded on the interval's centre and flagged when the interval straddles it.
    @Test func timedChecksAreGradedOnTheirInterval() throws {
        let (root, directory) = try TestCourse.exercise(Self.timedSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        func line(_ m: ExerciseMeasurement) -> ExerciseGrade.Line {
            ExerciseGrade(exercise: e, metrics: m.metrics, baseline: ExerciseRunner.baseline, intervals: m.intervals).lines[1]
        }
        let clear = line(Self.timed(1.9, 1.8, 2.0))
        let below = line(Self.timed(1.0, 0.97, 1.04))
        #expect(clear.passed && clear.inconclusive == nil && clear.lower == 1.8 && clear.upper == 2.0)
        #expect(!below.passed && below.inconclusive == nil)
        let above = line(Self.timed(1.35, 1.25, 1.4))
        let under = line(Self.timed(1.28, 1.2, 1.32))
        #expect(above.passed && above.inconclusive == true && above.points == 60)
        #expect(!under.passed && under.inconclusive == true && under.points == 0)
        // Without an interval (a metric that is not timed) the value alone decides.
        #expect(ExerciseGrade(exercise: e, metrics: [.decodeSpeedup: 1.35], baseline: [:]).lines[1].inconclusive == nil)
        // The gradebook's message flags it.
        let submission = ExerciseGradebook.Submission(student: "s", exercise: e.id, file: "s/x.toml", content: .text(""), digest: "d")
        let row = ExerciseGradebook.row(submission, exercise: e, measurement: Self.timed(1.28, 1.2, 1.32), measureSpeed: false)
        #expect(row.message == "failed: first; inconclusive (timed, graded on the interval's centre): first")
        #expect(row.report.contains("(inconclusive: the 95% interval 1.20–1.32× straddles the target; graded on its centre)"))
        #expect(row.report.contains("Decode speed, timed on this machine through one llama-7b 4096/11008 block on 1 thread"))
    }

    /// The pass mark is inclusive: the 60 points of `first` alone reach pass mark 60, the 40 of
    /// `second` alone do not.
    @Test func thePassMarkIsReachedAtExactlyItsScore() throws {
        let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        let firstOnly = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: 8.5, .sameTop: 99], baseline: [:])
        #expect(firstOnly.score == 60 && firstOnly.passMark == 60 && firstOnly.passed)
        #expect(firstOnly.lines.map(\.points) == [0, 60] && firstOnly.lines.map(\.maxPoints) == [40, 60])
        #expect(firstOnly.lines[0].feedback == "over 4.500: 8.500")
        let secondOnly = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: 4, .sameTop: 90], baseline: [:])
        #expect(secondOnly.score == 40 && !secondOnly.passed)
    }

    /// Each line records the check as written (comparator and target) beside the value and the
    /// unquantized baseline; a metric the baseline lacks has a NaN baseline.
    @Test func linesCarryTheCheckTheValueAndTheBaseline() throws {
        let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        let grade = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: 4.5, .sameTop: 96], baseline: [.sameTop: 100, .meanKLD: 0])
        #expect(grade.lines.map(\.check) == ["second", "first"] && grade.lines.map(\.metric) == [.blockBitsPerWeight, .sameTop])
        #expect(grade.lines.map(\.comparator) == ["at_most", "at_least"] && grade.lines.map(\.target) == [4.5, 95])
        #expect(grade.lines.map(\.value) == [4.5, 96] && grade.lines[0].baseline.isNaN && grade.lines[1].baseline == 100)
        #expect(grade.lines.allSatisfy { $0.inconclusive == nil && $0.lower == nil && $0.upper == nil })
        #expect(grade.score == 100 && grade.maxScore == 100)
    }

    /// An "at most" timed target is judged on the interval the other way round: wholly below the
    /// target passes, wholly above fails, across it is graded on the centre and flagged.
    @Test func anAtMostTimedCheckUsesTheIntervalTheOtherWay() throws {
        let spec = Self.timedSpec.replacingOccurrences(of: "at_least = 1.3", with: "at_most = 1.3")
        let (root, directory) = try TestCourse.exercise(spec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        func line(_ m: ExerciseMeasurement) -> ExerciseGrade.Line {
            ExerciseGrade(exercise: e, metrics: m.metrics, baseline: [:], intervals: m.intervals).lines[1]
        }
        #expect(line(Self.timed(1.1, 1.0, 1.2)).passed && line(Self.timed(1.1, 1.0, 1.2)).inconclusive == nil)
        #expect(!line(Self.timed(1.5, 1.4, 1.6)).passed && line(Self.timed(1.5, 1.4, 1.6)).inconclusive == nil)
        let across = line(Self.timed(1.28, 1.2, 1.35))
        #expect(across.passed && across.inconclusive == true && across.points == 60)
        let acrossAbove = line(Self.timed(1.32, 1.25, 1.4))
        #expect(!acrossAbove.passed && acrossAbove.inconclusive == true && acrossAbove.points == 0)
    }
}
