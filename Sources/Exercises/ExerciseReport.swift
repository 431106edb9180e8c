import CourseContent
import Digests
import Foundation
import Quantizers

/// One graded run of an exercise, as `exercise run` prints it (text or JSON) and check-course
/// counts it: the measurement and the rubric applied to it.
public struct ExerciseReport: Codable, Sendable {
    public var exercise: String
    public var title: String
    public var settings: String
    /// SHA-256 of the normalized recipe (what the progress store records).
    public var settingsHash: String
    public var cached: Bool
    public var grade: ExerciseGrade
    public var passed: Bool
    public var measurement: ExerciseMeasurement

    /// Measures the recipe (or reads the cached measurement) and grades it.
    public static func run(
        _ e: Exercise, recipe: QuantizationRecipe, settingsPath: String, courseRoot: URL, cacheDirectory: String,
        threads: Int, fresh: Bool, measureSpeed: Bool = false
    ) throws -> ExerciseReport {
        let (measurement, cached) = try ExerciseRunner.measure(
            e, recipe: recipe, courseRoot: courseRoot, cacheDirectory: cacheDirectory,
            fresh: fresh, measureSpeed: measureSpeed, threads: threads)
        let grade = ExerciseGrade(exercise: e, metrics: measurement.metrics, baseline: ExerciseRunner.baseline, intervals: measurement.intervals)
        return ExerciseReport(
            exercise: e.id, title: e.title, settings: settingsPath, settingsHash: SHA256.hex(Array("\(recipe)".utf8)),
            cached: cached, grade: grade, passed: grade.passed, measurement: measurement)
    }

    /// The report as printed: each checked metric against the baseline and the target, the
    /// feedback, and the score.
    public var text: String {
        func padded(_ s: String, _ width: Int) -> String { s.count >= width ? s : String(repeating: " ", count: width - s.count) + s }
        var lines = ["Exercise \(exercise): \(title)", "settings: \(settings)\(cached ? " (measured before; --fresh recomputes)" : "")", ""]
        lines.append("check        metric                              baseline        yours       target")
        for line in grade.lines {
            lines.append(
                (line.passed ? "✓ " : "✗ ") + line.check.padding(toLength: 11, withPad: " ", startingAt: 0)
                    + line.metric.label.padding(toLength: 32, withPad: " ", startingAt: 0)
                    + padded(line.metric.format(line.baseline), 11) + padded(line.metric.format(line.value), 13)
                    + "  " + (line.comparator == "at_most" ? "≤ " : "≥ ") + line.metric.format(line.target))
        }
        lines.append("")
        for line in grade.lines {
            lines.append("\(line.passed ? "✓" : "✗") \(line.feedback)")
            if line.inconclusive == true, let lower = line.lower, let upper = line.upper {
                lines.append(
                    String(
                        format:
                            "  inconclusive: the 95%% interval %.2f–%.2f× straddles the target, so this check was graded on its centre; run it again on an idle machine.",
                        lower, upper))
            }
        }
        lines.append("")
        let m = measurement
        lines.append(
            String(format: "quantized in %.2f s; evaluated on %d tokens", m.quantizationSeconds, m.evaluatedTokens)
                + (m.calibrationTokens.map { "; \($0) calibration tokens" } ?? ""))
        if let summary = m.speedSummary { lines.append(summary) }
        lines.append("score \(grade.score) / \(grade.maxScore) (pass mark \(grade.passMark)): \(passed ? "PASSED" : "not passed yet")")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The text with the reference-points plot under it, when the exercise is evaluated on the
    /// chunks the reference points were measured on.
    public func textWithPlot(exercise e: Exercise, courseRoot: URL) -> String {
        guard e.chunks == ReferencePoint.chunks, let references = ReferencePoint.load(courseRoot: courseRoot),
            let bits = measurement.metrics[.blockBitsPerWeight], let kld = measurement.metrics[.meanKLD]
        else { return text }
        return text + "\n" + ExercisePlot.render(references: references, submission: (bits, kld)).joined(separator: "\n") + "\n"
    }

    /// The same report in Markdown, for a student's feedback file (`grade exercises --feedback-dir`).
    public static func markdown(grade: ExerciseGrade, measurement: ExerciseMeasurement) -> String {
        var lines = ["| check | metric | baseline | yours | target |", "|---|---|---|---|---|"]
        for line in grade.lines {
            lines.append(
                "| \(line.passed ? "✓" : "✗") \(line.check) | \(line.metric.label) | \(line.metric.format(line.baseline)) | "
                    + "\(line.metric.format(line.value)) | \(line.comparator == "at_most" ? "≤" : "≥") \(line.metric.format(line.target)) |")
        }
        lines.append("")
        for line in grade.lines {
            lines.append("- \(line.passed ? "✓" : "✗") \(line.feedback)")
            if line.inconclusive == true, let lower = line.lower, let upper = line.upper {
                lines.append(String(format: "  (inconclusive: the 95%% interval %.2f–%.2f× straddles the target; graded on its centre)", lower, upper))
            }
        }
        if let summary = measurement.speedSummary {
            lines.append("")
            lines.append(summary)
        }
        return lines.joined(separator: "\n")
    }
}
