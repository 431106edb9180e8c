import CourseContent
import QuantCore

/// check-course's rule for timed checks (metric `decode_speedup`): a target must sit at least
/// 20% from the speed-up the starter and the solution are measured at, so that run-to-run noise
/// (a few percent on an idle machine, more beside a busy core) cannot turn their grades. The
/// rule is applied to measurements, not to the numbers in the spec.
public enum TimedCheckMargin {
    public static let minimum = 0.20

    /// The problems with `measurement` of `role` ("starter" or "solution") at `file`: one per
    /// timed check whose target lies within `minimum` of the measured speed-up.
    public static func problems(_ exercise: Exercise, role: String, file: String, measurement: ExerciseMeasurement) -> [CourseProblem] {
        exercise.checks.compactMap { check -> CourseProblem? in
            guard check.metric.isTimed, let value = measurement.metrics[check.metric], value > 0 else { return nil }
            let distance = abs(check.threshold - value) / value
            guard distance < minimum else { return nil }
            let interval = measurement.intervals[check.metric].map { String(format: " (95%% interval %.2f–%.2f×)", $0.lower, $0.upper) } ?? ""
            return CourseProblem(
                file: file, line: nil,
                message: String(
                    format:
                        "the %@ of exercise %@ is timed at %.2f×%@ on [check.%@] `%@`, %.0f%% from its target %.2f×; a timed target must sit at least %.0f%% from the timed speed-up of both the starter and the solution, so that timing noise cannot turn their grades: move the target or change the %@",
                    role, exercise.id, value, interval, check.name, check.metric.rawValue, distance * 100, check.threshold, minimum * 100, role))
        }
    }
}
