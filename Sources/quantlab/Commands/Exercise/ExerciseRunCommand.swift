import ArgumentParser
import CourseContent
import Exercises
import Foundation
import LearnerProgress
import QuantCore
import Quantizers

/// `quantlab exercise run`: measures and grades a settings file (`ExerciseReport.run`), records the run, prints the report.
struct ExerciseRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Quantize with a settings file, evaluate against the unquantized model, and grade.",
        discussion:
            "Accuracy and memory are deterministic and graded; results are cached by engine version, model, text and normalized settings (--fresh recomputes). Every run is recorded in your progress. Exits 0 when the submission passes, 1 when it does not."
    )

    @Argument(help: ArgumentHelp("The exercise: folder name, number or slug.", valueName: "exercise")) var exercise: String
    @Option(help: ArgumentHelp("Your settings (TOML). Default: the exercise's starter.toml.", valueName: "file")) var settings: String?
    @Option(help: ArgumentHelp("Worker threads (results are identical for any count).", valueName: "n")) var threads: Int?
    @Flag(help: "Recompute even when the same settings were measured before.") var fresh = false
    @Flag(
        help:
            "Also time decode speed: your recipe on a Llama-7B-shaped block against F16, alternating, on one thread (tens of seconds; exercises that grade metric decode_speedup always do)."
    ) var measureSpeed = false
    @Flag(help: "Do not record the run in your progress.") var noRecord = false
    @OptionGroup var course: CourseOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }

    func run() throws {
        let course = try course.loadCourse()
        let e = try findExercise(exercise, course: course)
        let settingsPath = settings ?? e.directory.appendingPathComponent("starter.toml").path
        let text = try readText(settingsPath)
        let recipe: QuantizationRecipe
        do {
            recipe = try ExerciseRunner.recipe(settings: text, file: settingsPath, exercise: e)
        } catch {
            throw fail(.input("\(error)"))
        }
        let report: ExerciseReport
        do {
            report = try Spinner.run("quantizing and evaluating for \(e.id)") {
                try ExerciseReport.run(
                    e, recipe: recipe, settingsPath: settingsPath, courseRoot: course.root, cacheDirectory: BaseLogitsCache.defaultDirectory(),
                    threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, fresh: fresh, measureSpeed: measureSpeed)
            }
        } catch {
            throw fail(.input("\(settingsPath): \(error)"))
        }
        if !noRecord {
            try StoreOptions.run {
                try StoreOptions.open().record(
                    LearnerProgress.ExerciseRun(
                        exerciseID: e.id, settingsHash: report.settingsHash,
                        metrics: Dictionary(uniqueKeysWithValues: report.measurement.metrics.map { ($0.rawValue, $1) }),
                        score: Double(report.grade.score), maxScore: Double(report.grade.maxScore),
                        passed: report.passed))
            }
        }
        Output.write(json ? try JSON.encode(report) + "\n" : report.textWithPlot(exercise: e, courseRoot: course.root))
        if !report.passed { throw ExitCode(1) }
    }
}
