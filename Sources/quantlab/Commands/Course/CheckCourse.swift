import ArgumentParser
import CourseContent
import Exercises
import Foundation
import QuantCore

/// `quantlab check-course`: `CourseVerification.check`, printed.
struct CheckCourse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-course",
        abstract:
            "Validate every lesson (front matter, ids, quiz blocks, tables) and every exercise, running each exercise's starter (it must fail) and solution (it must pass). Exits 1 on any problem.",
        discussion:
            "Running the exercises quantizes and evaluates the reference model a few times; build with -c release. --skip-runs checks the exercise files only.")

    @OptionGroup var course: CourseOptions
    @Flag(help: "Check the exercise files without running their starters and solutions.") var skipRuns = false
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
        let result = CourseVerification.check(
            try course.loadCourse(), skipRuns: skipRuns, cacheDirectory: BaseLogitsCache.defaultDirectory(),
            threads: ProcessInfo.processInfo.activeProcessorCount
        ) { label, body in try Spinner.run(label, body) }
        Output.write(json ? try result.report.json() + "\n" : result.report.text + result.runs.map { "exercise \($0)\n" }.joined())
        if !result.report.problems.isEmpty { throw ExitCode(1) }
    }
}
