import ArgumentParser
import CourseContent
import Dispatch
import Foundation
import Grading
import TerminalUI

/// `quantlab grade exercises`: parses, runs `ExerciseClassGrading.run`, prints its progress and summary.
struct GradeExercises: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exercises",
        abstract: "Grade a class's exercise submissions: one CSV row per student and exercise.",
        discussion: """
            Layout: DIR/<student>/<exercise-id>.toml (e.g. subs/jdoe/02-int8-granularity.toml). Student ids are the \
            folder names, with characters other than letters, digits, '.', '_', '@' and '-' written as '_'. Junk \
            (top-level files, hidden entries, files not ending in .toml) is skipped with a warning. Every student gets \
            a row for every exercise of the run (--exercise, or every exercise someone submitted): status ok, \
            invalid (the file cannot be graded as it is), error (grading failed: not the file's fault), timeout or \
            missing. Identical settings are measured once. Rows are journaled in OUT.journal as they finish; rerun \
            the same command after an interruption to grade only the rest. Accuracy and memory grades are identical \
            on every run; timed speed (--measure-speed, or a rubric that grades decode_speedup) is not, and is \
            steadier with --jobs 1.
            """)

    @Option(help: ArgumentHelp("The folder of student folders.", valueName: "dir")) var submissions: String
    @Option(help: ArgumentHelp("Grade only this exercise (folder name, number or slug); repeat for more.", valueName: "id")) var exercise: [String] = []
    @Option(help: ArgumentHelp("The CSV gradebook to write (its journal is written beside it).", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Also write the gradebook as JSON (what grade merge reads).", valueName: "file")) var json: String?
    @Option(help: ArgumentHelp("Write one Markdown feedback file per student into this folder.", valueName: "dir")) var feedbackDir: String?
    @Option(help: ArgumentHelp("Worker processes at once. Default: the number of cores.", valueName: "n")) var jobs: Int?
    @Option(help: ArgumentHelp("Seconds one submission may take before it is stopped (status timeout).", valueName: "seconds")) var timeout: Int = 300
    @Option(help: ArgumentHelp("Memory cap of each worker in MiB (address space); a worker past it fails as error.", valueName: "mib")) var memoryLimit: Int =
        4096
    @Flag(
        help:
            "Also time decode speed: each recipe on a Llama-7B-shaped block against F16, on one thread (tens of seconds per submission; exercises whose rubric grades it always do)."
    ) var measureSpeed = false
    @Option(
        help: ArgumentHelp(
            "Grade only shard K of N (e.g. 2/4): a fixed split by student and exercise. Combine the shards' --json files with grade merge.", valueName: "K/N"))
    var shard: String?
    @Option(help: ArgumentHelp("Manual scores: a CSV with the header student,exercise,score[,note], kept in their own columns.", valueName: "file"))
    var overrides: String?
    @Flag(help: "Forget the journal and the measurement cache: grade everything again.") var fresh = false
    @OptionGroup var course: CourseOptions

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be between 1 and 64, got \(jobs)") }
        guard (1...86_400).contains(timeout) else { throw ValidationError("--timeout must be between 1 and 86400 seconds, got \(timeout)") }
        guard (256...1_048_576).contains(memoryLimit) else { throw ValidationError("--memory-limit must be between 256 and 1048576 MiB, got \(memoryLimit)") }
        if let shard, ExerciseGradebook.Shard(shard) == nil { throw ValidationError("--shard must be K/N with 1 ≤ K ≤ N ≤ 10000 (e.g. 2/4), got '\(shard)'") }
        guard out != "-" else { throw ValidationError("--out must be a file: its journal is kept beside it") }
        if shard != nil && overrides != nil {
            throw ValidationError("--overrides applies to a whole class: give it to grade merge, which combines the shards")
        }
    }

    func run() throws {
        let shard = shard.flatMap(ExerciseGradebook.Shard.init)
        let request = ExerciseClassGrading.Request(
            courseRoot: try course.loadCourse().root, submissions: URL(fileURLWithPath: submissions), exercises: exercise, out: out,
            measureSpeed: measureSpeed, shard: shard, overrides: overrides, fresh: fresh, jobs: jobs, timeout: timeout, memoryLimitMiB: memoryLimit)
        let progress = GradingProgress()
        let outcome = try faultExit { () throws(Fault) in
            try ExerciseClassGrading.run(request) { event in
                switch event {
                case .warning(let text): Output.error("quantlab: warning: \(text)")
                case .planned(let found, let resumed, let withoutRun, let toMeasure, let runs):
                    Output.error(
                        "quantlab: \(found) submissions\(shard.map { " in shard \($0)" } ?? ""): \(resumed) already graded (journal), "
                            + "\(withoutRun) need no run, \(toMeasure) to measure in \(runs) runs (identical settings share one)")
                case .finished(let row, _, let done, let total): progress.show(row, done: done, total: total)
                }
            }
        }
        progress.end()
        try GradebookOutput.write(outcome.book, csv: out, json: json, feedbackDir: feedbackDir)
        Output.error(ExerciseClassGrading.summary(outcome.book.rows, slowest: outcome.slowest, out: out))
        // Every row is written; rows that failed for QuantLab's or the machine's reasons make the
        // run fail too, so that a script notices (exit 70).
        if outcome.errors > 0 {
            throw fail(
                .tool(
                    "\(outcome.errors) row\(outcome.errors == 1 ? " is" : "s are") status error (grading failed, not the students' fault); rerun the same command to try \(outcome.errors == 1 ? "it" : "them") again"
                ))
        }
    }
}

/// Batch progress on standard error: a bar with the time left on a terminal, a line per row otherwise.
final class GradingProgress: @unchecked Sendable {
    let start = DispatchTime.now().uptimeNanoseconds
    let tty = isatty(STDERR_FILENO) == 1
    var shown = false

    func show(_ row: ExerciseGradebook.Row, done: Int, total: Int) {
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        if tty {
            shown = true
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(ProgressBar.line(done: done, total: total, elapsed: elapsed))".utf8))
        } else {
            let left = ProgressBar.timeLeft(done: done, total: total, elapsed: elapsed)
            Output.error(
                "graded \(done)/\(total): \(row.student) \(row.exercise) \(row.status.rawValue)\(row.score.map { " \($0)/\(row.max ?? 0)" } ?? "")"
                    + " · about \(ProgressBar.duration(left)) left")
        }
    }

    func end() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
