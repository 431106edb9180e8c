import CourseContent
import Foundation
import QuantCore

/// `quantlab check-course`: every lesson and exercise file checked, and, unless `skipRuns`, each
/// exercise's starter run (it must fail) and solution run (it must pass), timed targets held to
/// their margin, and the reference points compared with what the engine measures now.
public enum CourseVerification {
    public struct Result: Sendable {
        public var report: CourseCheck.Report
        /// One line per run: "NN-slug/starter.toml: 40/100", with the timed speed when measured.
        public var runs: [String]
    }

    /// `run` wraps each exercise run, given a label (the command shows a spinner around it).
    public static func check(
        _ course: Course, skipRuns: Bool, cacheDirectory: String, threads: Int,
        around run: (String, () throws -> ExerciseReport) throws -> ExerciseReport = { try $1() }
    ) -> Result {
        var report = CourseCheck.report(course)
        var ran: [String] = []
        let exercises = Exercise.all(in: course.root)
        for result in exercises {
            let exercise: Exercise
            switch result {
            case .failure(let problem):
                report.add(problem)
                continue
            case .success(let e): exercise = e
            }
            for (name, mustPass) in [("starter", false), ("solution", true)] {
                let path = exercise.directory.appendingPathComponent("\(name).toml").path
                do {
                    let settings = try BoundedFile.readText(path: path, limit: 64 * 1024, what: "settings file")
                    let recipe = try ExerciseRunner.recipe(settings: settings, file: path, exercise: exercise)
                    guard !skipRuns else { continue }
                    let graded = try run("quantizing and evaluating for \(exercise.id)") {
                        try ExerciseReport.run(
                            exercise, recipe: recipe, settingsPath: path, courseRoot: course.root, cacheDirectory: cacheDirectory,
                            threads: threads, fresh: false)
                    }
                    ran.append(
                        "\(exercise.id)/\(name).toml: \(graded.grade.score)/\(graded.grade.maxScore)"
                            + (graded.measurement.speed.map {
                                String(
                                    format: " (decode %.2f× F16, timed, 95%% interval %.2f–%.2f×, %d pairs)", $0.comparison.speedup, $0.comparison.lower,
                                    $0.comparison.upper, $0.comparison.pairs)
                            } ?? ""))
                    if graded.passed != mustPass {
                        report.add(
                            CourseProblem(
                                file: path, line: nil,
                                message: mustPass
                                    ? "the solution must pass exercise \(exercise.id) but scores \(graded.grade.score) of \(graded.grade.maxScore) (pass mark \(exercise.passMark))"
                                    : "the starter must fail exercise \(exercise.id) but scores \(graded.grade.score) of \(graded.grade.maxScore) (pass mark \(exercise.passMark))"
                            ))
                    }
                    // Timed checks: the target must sit well away from what was measured.
                    for problem in TimedCheckMargin.problems(exercise, role: name, file: path, measurement: graded.measurement) { report.add(problem) }
                } catch let problem as CourseProblem {
                    report.add(problem)
                } catch {
                    report.add(CourseProblem(file: path, line: nil, message: "\(error)"))
                }
            }
        }
        if !skipRuns && !exercises.isEmpty {
            // The reference points the exercise reports plot must be what the engine measures now.
            do {
                let measured = try ReferencePoint.measure(courseRoot: course.root, cacheDirectory: cacheDirectory, threads: threads)
                if ReferencePoint.load(courseRoot: course.root) != measured {
                    report.add(
                        CourseProblem(
                            file: ReferencePoint.file(in: course.root).path, line: nil,
                            message: "missing or stale: it differs from what the engine measures now; run quantlab exercise references --write"))
                }
            } catch {
                report.add(CourseProblem(file: ReferencePoint.file(in: course.root).path, line: nil, message: "\(error)"))
            }
        }
        return Result(report: report, runs: ran)
    }
}
