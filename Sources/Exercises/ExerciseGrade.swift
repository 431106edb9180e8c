import CourseContent
import QuantCore

/// How a submission scored on an exercise's rubric.
public struct ExerciseGrade: Sendable, Equatable, Codable {
    public struct Line: Sendable, Equatable, Codable {
        public var check: String
        public var metric: Metric
        public var baseline: Double
        public var value: Double
        public var comparator: String
        public var target: Double
        public var passed: Bool
        public var points: Int
        public var maxPoints: Int
        public var feedback: String
        /// A timed metric whose 95% interval straddles the target: graded on the geometric
        /// mean of the pairs (the interval's centre), and flagged (nil when the interval decided, or for deterministic metrics).
        public var inconclusive: Bool?
        /// The 95% interval of a timed metric.
        public var lower: Double?
        public var upper: Double?
    }

    public var lines: [Line]
    public var score: Int
    public var maxScore: Int
    public var passMark: Int
    public var passed: Bool { score >= passMark }

    /// The rubric applied to measured metrics; `baseline` holds the unquantized model's values.
    /// A timed metric with a 95% interval in `intervals` passes when the interval clears the
    /// target, fails when it lies wholly on the wrong side, and otherwise is graded on its value
    /// (the geometric mean, the interval's centre) and marked inconclusive.
    public init(
        exercise: Exercise, metrics: [Metric: Double], baseline: [Metric: Double],
        intervals: [Metric: (lower: Double, upper: Double)] = [:]
    ) {
        lines = exercise.checks.map { check in
            let value = metrics[check.metric] ?? .nan
            var passed = value.isFinite && check.passes(value)
            var inconclusive: Bool?
            let interval = intervals[check.metric]
            if let interval, value.isFinite {
                let (lower, upper) = interval
                switch check.comparator == .atLeast
                    ? SpeedComparison.verdict(lower: lower, upper: upper, atLeast: check.threshold)
                    : SpeedComparison.verdict(lower: lower, upper: upper, atMost: check.threshold)
                {
                case .pass: passed = true
                case .fail: passed = false
                case .inconclusive: inconclusive = true
                }
            }
            let feedback = (passed ? check.passFeedback : check.failFeedback)
                .replacingOccurrences(of: "{value}", with: check.metric.format(value))
                .replacingOccurrences(of: "{target}", with: check.metric.format(check.threshold))
            return Line(
                check: check.name, metric: check.metric, baseline: baseline[check.metric] ?? .nan, value: value,
                comparator: check.comparator.rawValue, target: check.threshold, passed: passed,
                points: passed ? check.points : 0, maxPoints: check.points, feedback: feedback,
                inconclusive: inconclusive, lower: interval?.lower, upper: interval?.upper)
        }
        score = lines.reduce(0) { $0 + $1.points }
        maxScore = exercise.maxScore
        passMark = exercise.passMark
    }
}
