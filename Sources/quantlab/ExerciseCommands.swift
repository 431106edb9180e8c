import ArgumentParser
import CourseContent
import Digests
import Exercises
import Foundation
import LearnerProgress
import QuantCore
import Quantizers
import TerminalUI

struct ExerciseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exercise",
        abstract: "Graded exercises: quantize the reference model with your settings and get a graded report.",
        subcommands: [ExerciseList.self, ExerciseShow.self, ExerciseRunCommand.self, ExerciseReferences.self])
}

/// Loads an exercise by folder name, number or slug; a problem is printed and exits 64 (unknown)
/// or 1 (an invalid exercise file).
func findExercise(_ reference: String, course: Course) throws -> Exercise {
    do {
        return try Exercise.find(reference, in: course.root)
    } catch {
        Output.error("quantlab: \(error)")
        throw ExitCode(error.file == reference ? 64 : 1)
    }
}

struct ExerciseList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The graded exercises: number, module, title, methods.")

    @OptionGroup var course: CourseOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    struct Row: Codable { var id: String; var module: Int; var title: String; var methods: [String]; var passMark: Int; var maxScore: Int }

    func run() throws {
        let course = try course.loadCourse()
        var rows: [Row] = []
        var problems: [CourseProblem] = []
        for result in Exercise.all(in: course.root) {
            switch result {
            case .success(let e): rows.append(Row(id: e.id, module: e.module, title: e.title, methods: e.methods.map(\.rawValue), passMark: e.passMark, maxScore: e.maxScore))
            case .failure(let problem): problems.append(problem)
            }
        }
        if json {
            Output.write(try JSON.encode(rows) + "\n")
        } else {
            Output.write(rows.map { "\($0.id.padding(toLength: 26, withPad: " ", startingAt: 0)) module \($0.module)  \($0.title)  [\($0.methods.joined(separator: ", "))]" }
                .joined(separator: "\n") + "\n")
        }
        if !problems.isEmpty {
            Output.error(problems.map { "quantlab: \($0)" }.joined(separator: "\n"))
            throw ExitCode(1)
        }
    }
}

struct ExerciseShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "An exercise's brief, allowed methods and rubric.")

    @Argument(help: ArgumentHelp("The exercise: folder name (02-int8-granularity), number (2) or slug.", valueName: "exercise")) var exercise: String
    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        let e = try findExercise(exercise, course: course)
        var markdown = "# Exercise \(e.id): \(e.title)\n\nModule \(e.module) · methods: \(e.methods.map { "`\($0)`" }.joined(separator: ", "))"
            + " · pass mark \(e.passMark) of \(e.maxScore) points\n\n\(e.brief)\n\n## Rubric\n\n"
        for check in e.checks {
            let label = check.metric.label
            markdown += "- **\(check.name)** (\(check.points) points): \(label) \(check.comparator == .atMost ? "at most" : "at least") "
                + "\(check.metric.format(check.threshold))\n"
        }
        markdown += "\nStart from `\(e.directory.appendingPathComponent("starter.toml").path)` and run `quantlab exercise run \(e.id) --settings FILE`.\n"
        let renderer = display.renderer()
        display.show(renderer.render(CmarkParser.parse(markdown)), with: renderer)
    }
}

struct ExerciseRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Quantize with a settings file, evaluate against the unquantized model, and grade.",
        discussion: "Accuracy and memory are deterministic and graded; results are cached by engine version, model, text and normalized settings (--fresh recomputes). Every run is recorded in your progress. Exits 0 when the submission passes, 1 when it does not.")

    @Argument(help: ArgumentHelp("The exercise: folder name, number or slug.", valueName: "exercise")) var exercise: String
    @Option(help: ArgumentHelp("Your settings (TOML). Default: the exercise's starter.toml.", valueName: "file")) var settings: String?
    @Option(help: ArgumentHelp("Worker threads (results are identical for any count).", valueName: "n")) var threads: Int?
    @Flag(help: "Recompute even when the same settings were measured before.") var fresh = false
    @Flag(help: "Also time decode speed: your recipe on a Llama-7B-shaped block against F16, alternating, on one thread (tens of seconds; exercises that grade metric decode_speedup always do).") var measureSpeed = false
    @Flag(help: "Do not record the run in your progress.") var noRecord = false
    @OptionGroup var course: CourseOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    struct Report: Codable {
        var exercise: String
        var title: String
        var settings: String
        var settingsHash: String
        var cached: Bool
        var grade: ExerciseGrade
        var passed: Bool
        var measurement: ExerciseMeasurement
    }

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
            Output.error("quantlab: \(error)")
            throw ExitCode(dataErrorExit)
        }
        let report = try Self.grade(e, recipe: recipe, settingsPath: settingsPath, courseRoot: course.root,
                                    threads: threads ?? ProcessInfo.processInfo.activeProcessorCount, fresh: fresh, measureSpeed: measureSpeed)
        if !noRecord {
            try StoreOptions.run {
                try StoreOptions.open().record(LearnerProgress.ExerciseRun(exerciseID: e.id, settingsHash: report.settingsHash,
                                                           metrics: Dictionary(uniqueKeysWithValues: report.measurement.metrics.map { ($0.rawValue, $1) }),
                                                           score: Double(report.grade.score), maxScore: Double(report.grade.maxScore),
                                                           passed: report.passed))
            }
        }
        var printed = Self.text(report)
        if e.chunks == ReferencePoint.chunks, let references = ReferencePoint.load(courseRoot: course.root),
           let bits = report.measurement.metrics[.blockBitsPerWeight], let kld = report.measurement.metrics[.meanKLD] {
            printed += "\n" + ExercisePlot.render(references: references, submission: (bits, kld)).joined(separator: "\n") + "\n"
        }
        Output.write(json ? try JSON.encode(report) + "\n" : printed)
        if !report.passed { throw ExitCode(1) }
    }

    /// Measures (or reads from the cache) and grades; shared with check-course.
    static func grade(_ e: Exercise, recipe: QuantizationRecipe, settingsPath: String, courseRoot: URL, threads: Int, fresh: Bool,
                      measureSpeed: Bool = false) throws -> Report {
        let measurement: ExerciseMeasurement, cached: Bool
        do {
            (measurement, cached) = try Spinner.run("quantizing and evaluating for \(e.id)") {
                try ExerciseRunner.measure(e, recipe: recipe, courseRoot: courseRoot,
                                           cacheDirectory: BaseLogitsCache.defaultDirectory(), fresh: fresh, measureSpeed: measureSpeed, threads: threads)
            }
        } catch {
            Output.error("quantlab: \(settingsPath): \(error)")
            throw ExitCode(dataErrorExit)
        }
        let grade = ExerciseGrade(exercise: e, metrics: measurement.metrics, baseline: ExerciseRunner.baseline, intervals: measurement.intervals)
        return Report(exercise: e.id, title: e.title, settings: settingsPath, settingsHash: SHA256.hex(Array("\(recipe)".utf8)),
                      cached: cached, grade: grade, passed: grade.passed, measurement: measurement)
    }

    /// The report as printed: each checked metric against the baseline and the target, the
    /// feedback, and the score.
    static func text(_ r: Report) -> String {
        var lines = ["Exercise \(r.exercise): \(r.title)", "settings: \(r.settings)\(r.cached ? " (measured before; --fresh recomputes)" : "")", ""]
        lines.append("check        metric                              baseline        yours       target")
        for line in r.grade.lines {
            let label = line.metric.label
            lines.append((line.passed ? "✓ " : "✗ ") + line.check.padding(toLength: 11, withPad: " ", startingAt: 0)
                + label.padding(toLength: 32, withPad: " ", startingAt: 0)
                + line.metric.format(line.baseline).leftPadded(to: 11)
                + line.metric.format(line.value).leftPadded(to: 13)
                + "  " + (line.comparator == "at_most" ? "≤ " : "≥ ") + line.metric.format(line.target))
        }
        lines.append("")
        for line in r.grade.lines {
            lines.append("\(line.passed ? "✓" : "✗") \(line.feedback)")
            if line.inconclusive == true, let lower = line.lower, let upper = line.upper {
                lines.append(String(format: "  inconclusive: the 95%% interval %.2f–%.2f× straddles the target, so this check was graded on its centre; run it again on an idle machine.", lower, upper))
            }
        }
        lines.append("")
        let m = r.measurement
        lines.append(String(format: "quantized in %.2f s; evaluated on %d tokens", m.quantizationSeconds, m.evaluatedTokens)
            + (m.calibrationTokens.map { "; \($0) calibration tokens" } ?? ""))
        if let summary = m.speedSummary { lines.append(summary) }
        lines.append("score \(r.grade.score) / \(r.grade.maxScore) (pass mark \(r.grade.passMark)): \(r.passed ? "PASSED" : "not passed yet")")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

struct ExerciseReferences: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "references",
        abstract: "Measure the reference configurations the exercise reports plot (for course authors).",
        discussion: "Prints each configuration's bits per weight and mean KL divergence on 32 evaluation chunks; --write stores them in exercises/reference-points.json, which check-course verifies.")

    @OptionGroup var course: CourseOptions
    @Flag(help: "Write exercises/reference-points.json.") var write = false

    func run() throws {
        let course = try course.loadCourse()
        let points: [ReferencePoint]
        do {
            points = try ReferencePoint.measure(courseRoot: course.root, cacheDirectory: BaseLogitsCache.defaultDirectory(),
                                                threads: ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            Output.error("quantlab: \(error)")
            throw ExitCode(dataErrorExit)
        }
        for p in points {
            Output.write(p.label.padding(toLength: 22, withPad: " ", startingAt: 0) + String(format: "%7.3f bits  KLD %.6f  PPL ratio %.6f\n", p.blockBitsPerWeight, p.meanKLD, p.pplRatio))
        }
        if write {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(points).write(to: ReferencePoint.file(in: course.root), options: .atomic)
            Output.write("wrote \(ReferencePoint.file(in: course.root).path)\n")
        }
    }
}
