import Foundation
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises

@Suite struct ExerciseReportTests {
    /// The demo exercise graded on 4.25 block bits (passes `second`, 40 points) and 94.5% same
    /// top token (fails `first`), against a baseline of 32 bits and 100%.
    static func report(cached: Bool = false, calibrationTokens: Int? = nil) throws -> (ExerciseReport, URL) {
        let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec)
        let e = try Exercise.load(directory: directory)
        let grade = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: 4.25, .sameTop: 94.5], baseline: [.blockBitsPerWeight: 32, .sameTop: 100])
        var measurement = ExerciseMeasurement(metrics: [.blockBitsPerWeight: 4.25, .sameTop: 94.5], quantizationSeconds: 1.5, evaluatedTokens: 254)
        measurement.calibrationTokens = calibrationTokens
        let report = ExerciseReport(
            exercise: e.id, title: e.title, settings: "mine.toml", settingsHash: "h", cached: cached, grade: grade, passed: grade.passed,
            measurement: measurement)
        return (report, root)
    }

    /// Columns: the check padded to 11, the metric's label to 32, baseline right-aligned in 11,
    /// the value in 13, then the comparator and the target.
    @Test func theTextTableLinesUpEachCheck() throws {
        let (report, root) = try Self.report()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(
            report.text == """
                Exercise 02-demo: T
                settings: mine.toml

                check        metric                              baseline        yours       target
                ✓ second     bits per weight, block matrices      32.000        4.250  ≤ 4.500
                ✗ first      same top token                      100.00%       94.50%  ≥ 95.00%

                ✓ ok 4.250
                ✗ f

                quantized in 1.50 s; evaluated on 254 tokens
                score 40 / 100 (pass mark 60): not passed yet

                """)
    }

    @Test func aCachedRunAndCalibrationTokensAreSaid() throws {
        let (report, root) = try Self.report(cached: true, calibrationTokens: 128)
        defer { try? FileManager.default.removeItem(at: root) }
        let lines = report.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[1] == "settings: mine.toml (measured before; --fresh recomputes)")
        #expect(lines.contains("quantized in 1.50 s; evaluated on 254 tokens; 128 calibration tokens"))
    }

    @Test func theFeedbackFileIsAMarkdownTable() throws {
        let (report, root) = try Self.report()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(
            ExerciseReport.markdown(grade: report.grade, measurement: report.measurement) == """
                | check | metric | baseline | yours | target |
                |---|---|---|---|---|
                | ✓ second | bits per weight, block matrices | 32.000 | 4.250 | ≤ 4.500 |
                | ✗ first | same top token | 100.00% | 94.50% | ≥ 95.00% |

                - ✓ ok 4.250
                - ✗ f
                """)
    }

    /// A timed check graded on its interval's centre says so, in the text and the feedback file.
    @Test func anInconclusiveTimedCheckIsExplained() throws {
        let (root, directory) = try TestCourse.exercise(ExerciseGradeTests.timedSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        let measurement = ExerciseGradeTests.timed(1.28, 1.2, 1.32)
        let grade = ExerciseGrade(exercise: e, metrics: measurement.metrics, baseline: ExerciseRunner.baseline, intervals: measurement.intervals)
        let report = ExerciseReport(
            exercise: e.id, title: e.title, settings: "s.toml", settingsHash: "h", cached: false, grade: grade, passed: grade.passed,
            measurement: measurement)
        let lines = report.text.split(separator: "\n").map(String.init)
        let feedback = try #require(lines.firstIndex(of: "✗ f"))
        #expect(
            lines[feedback + 1]
                == "  inconclusive: the 95% interval 1.20–1.32× straddles the target, so this check was graded on its centre; run it again on an idle machine."
        )
        let summary = try #require(measurement.speedSummary)
        #expect(lines.contains(summary))
        let markdown = ExerciseReport.markdown(grade: grade, measurement: measurement).split(separator: "\n").map(String.init)
        let item = try #require(markdown.firstIndex(of: "- ✗ f"))
        #expect(markdown[item + 1] == "  (inconclusive: the 95% interval 1.20–1.32× straddles the target; graded on its centre)")
        #expect(markdown.last == summary)
    }

    /// The plot needs the reference points' 32 chunks: an exercise evaluated otherwise gets the text alone.
    @Test func thePlotIsLeftOutUnlessTheChunksMatchTheReferencePoints() throws {
        let (report, root) = try Self.report()
        defer { try? FileManager.default.removeItem(at: root) }
        let (other, directory) = try TestCourse.exercise(TestCourse.exerciseSpec.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 60\nchunks = 2"))
        defer { try? FileManager.default.removeItem(at: other) }
        let e = try Exercise.load(directory: directory)
        #expect(e.chunks == 2 && ReferencePoint.chunks == 32)
        #expect(report.textWithPlot(exercise: e, courseRoot: TestPaths.repository) == report.text)
    }
}
