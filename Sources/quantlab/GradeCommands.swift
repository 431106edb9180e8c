import ArgumentParser
import CourseContent
import Dispatch
import Exercises
import Foundation
import Grading
import QuantCore
import Quantizers

/// `quantlab grade exercises`: every submission measured in its own worker process (this
/// binary, `grade worker`) under a time limit and a memory cap, identical settings measured
/// once, rows journaled as they finish so an interrupted run resumes where it stopped.
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
    @Option(help: ArgumentHelp("Memory cap of each worker in MiB (address space); a worker past it fails as error.", valueName: "mib")) var memoryLimit: Int = 4096
    @Flag(help: "Also time decode speed: each recipe on a Llama-7B-shaped block against F16, on one thread (tens of seconds per submission; exercises whose rubric grades it always do).") var measureSpeed = false
    @Option(help: ArgumentHelp("Grade only shard K of N (e.g. 2/4): a fixed split by student and exercise. Combine the shards' --json files with grade merge.", valueName: "K/N"))
    var shard: String?
    @Option(help: ArgumentHelp("Manual scores: a CSV with the header student,exercise,score[,note], kept in their own columns.", valueName: "file")) var overrides: String?
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

    /// A submission to measure, with the key of its journal line.
    struct Unit {
        var submission: ExerciseGradebook.Submission
        var exercise: Exercise
        var journalKey: String
    }

    /// One worker run: the first submission with these normalized settings, and every other.
    final class Job: @unchecked Sendable {
        let exercise: Exercise
        let settings: String
        var units: [Unit]
        init(settings: String, first: Unit) {
            self.exercise = first.exercise
            self.settings = settings
            self.units = [first]
        }
    }

    func run() throws {
        let course = try course.loadCourse()
        let shard = shard.flatMap(ExerciseGradebook.Shard.init)
        // A course file that cannot be read is the course's fault, never a student's: stop before
        // grading anything (exit 65), naming the file.
        var exercises: [Exercise] = [], broken: [CourseProblem] = []
        for result in Exercise.all(in: course.root) {
            switch result {
            case .success(let e): exercises.append(e)
            case .failure(let problem): broken.append(problem)
            }
        }
        if !broken.isEmpty {
            Output.error(broken.map { "quantlab: \($0)" }.joined(separator: "\n")
                + "\nquantlab: the course has \(broken.count) broken exercise file\(broken.count == 1 ? "" : "s") (quantlab check-course lists every problem); nothing was graded")
            throw ExitCode(dataErrorExit)
        }
        let only = try exercise.isEmpty ? nil : exercise.map { try findExercise($0, course: course).id }
        let overrideTable = try overrides.map { path in
            try problemExit(65) { try ExerciseGradebook.overrides(try BoundedFile.readText(path: path, limit: 16 << 20, what: "overrides file"), file: path) }
        }
        let (found, warnings) = try problemExit(64) {
            try ExerciseGradebook.scan(directory: URL(fileURLWithPath: submissions), exercises: exercises, only: only)
        }
        for warning in warnings { Output.error("quantlab: warning: \(warning)") }
        // What every row depends on besides its file: the model, the texts and the exercise's spec.
        let digests: (model: String, context: String)
        do {
            digests = try ExerciseRunner.courseDigest(courseRoot: course.root)
        } catch {
            Output.error("quantlab: the course's reference model or texts cannot be used: \(error); nothing was graded")
            throw ExitCode(dataErrorExit)
        }
        let specs = Dictionary(uniqueKeysWithValues: exercises.map { ($0.id, "\(digests.context)\n\($0.digest)") })
        let mine = found.filter { shard?.contains(student: $0.student, exercise: $0.exercise) ?? true }
        let byID = Dictionary(uniqueKeysWithValues: exercises.map { ($0.id, $0) })

        // The journal: rows finished by an earlier, interrupted run of the same submissions.
        let journalPath = out + ".journal"
        if fresh { try? FileManager.default.removeItem(atPath: journalPath) }
        var journal = try problemExit(65) { try ExerciseGradebook.Journal(path: journalPath) }
        defer { journal.close() }
        let engine = ExerciseRunner.engineVersion

        var rows: [ExerciseGradebook.Row] = []
        var jobTable: [String: Job] = [:]
        var order: [String] = []
        var resumed = 0
        for s in mine {
            let key = ExerciseGradebook.Journal.key(s, engine: engine, measureSpeed: measureSpeed, context: specs[s.exercise] ?? "")
            // error and timeout rows are tried again (say with a larger --timeout or --memory-limit).
            if let done = journal.entries[key], done.status != .error, done.status != .timeout {
                rows.append(done)
                resumed += 1
                continue
            }
            guard let e = byID[s.exercise] else {
                if case .invalid(let message) = s.content {
                    rows.append(.init(student: s.student, exercise: s.exercise, status: .invalid, file: s.file, message: message))
                }
                continue
            }
            switch s.content {
            case .missing:
                rows.append(.init(student: s.student, exercise: e.id, status: .missing, file: "", message: "no \(e.id).toml"))
            case .invalid(let message):
                rows.append(.init(student: s.student, exercise: e.id, status: .invalid, file: s.file, message: message))
            case .failed(let message):
                rows.append(.init(student: s.student, exercise: e.id, status: .error, file: s.file, message: message))
            case .text(let text):
                do {
                    let recipe = try ExerciseRunner.recipe(settings: text, file: s.file, exercise: e)
                    // The measurement cache's key, and whether speed is measured: what one worker run answers.
                    let jobKey = ExerciseRunner.key(recipe: recipe, modelDigest: digests.model, textDigest: digests.context, chunks: e.chunks)
                        + "\(measureSpeed || ExerciseRunner.needsMeasuredSpeed(e))"
                    let unit = Unit(submission: s, exercise: e, journalKey: key)
                    if let job = jobTable[jobKey] {
                        job.units.append(unit)
                    } else {
                        jobTable[jobKey] = Job(settings: text, first: unit)
                        order.append(jobKey)
                    }
                } catch let problem as CourseProblem {
                    rows.append(.init(student: s.student, exercise: e.id, status: .invalid, file: s.file,
                                      message: problem.line.map { "line \($0): \(problem.message)" } ?? problem.message))
                } catch {
                    rows.append(.init(student: s.student, exercise: e.id, status: .invalid, file: s.file, message: "\(error)"))
                }
            }
        }
        let pending = order.map { jobTable[$0]! }
        var slowest: [(String, Double)] = []
        let unitCount = pending.reduce(0) { $0 + $1.units.count }
        Output.error("quantlab: \(mine.count) submissions\(shard.map { " in shard \($0)" } ?? ""): \(resumed) already graded (journal), "
            + "\(mine.count - resumed - unitCount) need no run, \(unitCount) to measure in \(pending.count) runs (identical settings share one)")

        let cache = fresh ? try privateTemporaryDirectory("quantlab-grade") : BaseLogitsCache.defaultDirectory()
        defer { if fresh { try? FileManager.default.removeItem(atPath: cache) } }
        let workers = min(jobs ?? ProcessInfo.processInfo.activeProcessorCount, max(1, pending.count))
        if workers > 1, measureSpeed || pending.contains(where: { ExerciseRunner.needsMeasuredSpeed($0.exercise) }) {
            Output.error("quantlab: warning: decode speed is timed while \(workers) workers share the cores and the memory bandwidth; --jobs 1 gives steadier speeds")
        }
        if !pending.isEmpty {
            // The unquantized model's log-probabilities, once per evaluation length, before the workers need them.
            for chunks in Set(pending.map { $0.exercise.chunks ?? -1 }).sorted() {
                let e = pending.first { ($0.exercise.chunks ?? -1) == chunks }!.exercise
                do {
                    try ExerciseRunner.warmBaseline(e, courseRoot: course.root, cacheDirectory: cache, modelDigest: digests.model,
                                                    threads: ProcessInfo.processInfo.activeProcessorCount)
                } catch {
                    Output.error("quantlab: the reference model cannot be evaluated: \(error)")
                    throw ExitCode(dataErrorExit)
                }
            }
            let threadsEach = max(1, ProcessInfo.processInfo.activeProcessorCount / workers)
            let template = WorkerJob(course: course.root.path, exercise: "", settings: "", file: "", measureSpeed: measureSpeed, threads: threadsEach,
                                     cache: cache, fresh: fresh, memoryLimitMiB: memoryLimit, modelDigest: digests.model)
            let pool = WorkerPool(jobs: pending, workers: workers, timeout: timeout, template: template)
            var journalError: CourseProblem?
            let progress = Progress(total: unitCount)
            pool.run { job, outcome, seconds in
                for (index, unit) in job.units.enumerated() {
                    let (s, e) = (unit.submission, unit.exercise)
                    let row: ExerciseGradebook.Row
                    switch outcome {
                    case .measured(let m): row = ExerciseGradebook.row(s, exercise: e, measurement: m, measureSpeed: measureSpeed)
                    case .failed(let status, let message): row = .init(student: s.student, exercise: e.id, status: status, file: s.file, message: message)
                    }
                    do {
                        try journal.append(row, key: unit.journalKey)
                    } catch let problem as CourseProblem {
                        journalError = problem
                    } catch {
                        journalError = CourseProblem(file: journalPath, line: nil, message: "\(error)")
                    }
                    rows.append(row)
                    progress.finished(row, seconds: index == 0 ? seconds : 0)
                }
            }
            progress.end()
            if let journalError {
                Output.error("quantlab: \(journalError)")
                throw ExitCode(65)
            }
            slowest = progress.slowest
        }
        var book = ExerciseGradebook.Book(engine: engine, submissions: ExerciseGradebook.fingerprint(found), shard: shard,
                                          rows: ExerciseGradebook.sorted(rows))
        if let overrideTable, let path = overrides {
            book.rows = try problemExit(65) { try ExerciseGradebook.apply(overrideTable, to: book.rows, file: path) }
        }
        try Self.write(book, csv: out, json: json, feedbackDir: feedbackDir)
        Output.error(Self.summary(book.rows, slowest: slowest, out: out))
        // Every row is written; rows that failed for QuantLab's or the machine's reasons make the
        // run fail too, so that a script notices (exit 70).
        let failures = book.rows.filter { $0.status == .error }.count
        if failures > 0 {
            Output.error("quantlab: \(failures) row\(failures == 1 ? " is" : "s are") status error (grading failed, not the students' fault); rerun the same command to try \(failures == 1 ? "it" : "them") again")
            throw ExitCode(70)
        }
    }

    /// The CSV, the JSON and the feedback files, each written whole (atomically).
    static func write(_ book: ExerciseGradebook.Book, csv: String, json: String?, feedbackDir: String?) throws {
        try writeOutput(ExerciseGradebook.csv(book.rows), to: csv)
        if let json { try writeOutput(try ExerciseGradebook.json(book), to: json) }
        if let feedbackDir {
            do {
                try FileManager.default.createDirectory(atPath: feedbackDir, withIntermediateDirectories: true)
            } catch {
                Output.error("quantlab: \(feedbackDir): cannot create the feedback folder: \(error.localizedDescription)")
                throw ExitCode(65)
            }
            for (student, rows) in Dictionary(grouping: book.rows, by: \.student) {
                try writeOutput(ExerciseGradebook.feedback(student: student, rows: rows), to: (feedbackDir as NSString).appendingPathComponent("\(student).md"))
            }
        }
    }

    /// Counts by status, a histogram of the scores (percent of the maximum) and the slowest runs.
    static func summary(_ rows: [ExerciseGradebook.Row], slowest: [(String, Double)], out: String) -> String {
        var lines = ["Graded \(Set(rows.map(\.student)).count) students, \(rows.count) rows → \(out)",
                     "  " + ExerciseGradebook.Status.allCases.map { s in "\(rows.filter { $0.status == s }.count) \(s.rawValue)" }.joined(separator: ", ")]
        let percents = rows.compactMap { r -> Int? in
            guard r.status == .ok, let score = r.score, let max = r.max, max > 0 else { return nil }
            return min(9, score * 10 / max)
        }
        if !percents.isEmpty {
            lines.append("  scores of graded rows (percent of the maximum):")
            let counts = (0..<10).map { b in percents.filter { $0 == b }.count }
            let widest = max(1, counts.max()!)
            for b in (0..<10).reversed() where counts[b] > 0 || b == 9 || b == 0 {
                let label = b == 9 ? " 90–100" : String(format: "%3d–%-3d", b * 10, b * 10 + 9)
                lines.append("  \(label) \(String(repeating: "█", count: (counts[b] * 40 + widest - 1) / widest)) \(counts[b])")
            }
        }
        if !slowest.isEmpty {
            lines.append("  slowest runs: " + slowest.prefix(5).map { "\($0.0) \(String(format: "%.1f", $0.1)) s" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    /// A progress bar with an estimate of the time left on a terminal; a line per finished
    /// submission otherwise.
    final class Progress: @unchecked Sendable {
        let total: Int
        let start = DispatchTime.now().uptimeNanoseconds
        let tty = isatty(STDERR_FILENO) == 1
        var done = 0
        var slowest: [(String, Double)] = []
        init(total: Int) { self.total = total }

        func finished(_ row: ExerciseGradebook.Row, seconds: Double) {
            done += 1
            if seconds > 0 {
                slowest.append(("\(row.student)/\(row.exercise)", seconds))
                slowest.sort { $0.1 > $1.1 }
                if slowest.count > 5 { slowest.removeLast() }
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let left = done == 0 ? 0 : elapsed / Double(done) * Double(total - done)
            if tty {
                let width = 30, filled = total == 0 ? width : done * width / total
                let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
                FileHandle.standardError.write(Data("\r\u{1B}[2K\(bar) \(done)/\(total) · \(Self.duration(elapsed)) elapsed · about \(Self.duration(left)) left".utf8))
            } else {
                Output.error("graded \(done)/\(total): \(row.student) \(row.exercise) \(row.status.rawValue)\(row.score.map { " \($0)/\(row.max ?? 0)" } ?? "")"
                    + " · about \(Self.duration(left)) left")
            }
        }

        func end() {
            if tty && total > 0 { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        }

        static func duration(_ seconds: Double) -> String {
            let s = Int(seconds.rounded())
            return s >= 60 ? "\(s / 60) min \(s % 60) s" : "\(s) s"
        }
    }
}

/// A new folder only this user can use (mkdtemp, mode 0700), so other users on a shared machine
/// cannot plant files where the grader reads or writes.
func privateTemporaryDirectory(_ prefix: String) throws -> String {
    var template = Array(FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-XXXXXX").path.utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        Output.error("quantlab: cannot create a temporary folder in \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno)))")
        throw ExitCode(65)
    }
    return String(cString: made)
}

/// Runs `body`; a CourseProblem it throws is printed and exits with `code`.
func problemExit<T>(_ code: Int32, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let problem as CourseProblem {
        Output.error("quantlab: \(problem)")
        throw ExitCode(code)
    }
}

/// What a worker is asked to do, and what it answers, as JSON files.
struct WorkerJob: Codable {
    var course: String
    var exercise: String
    var settings: String
    var file: String
    var measureSpeed: Bool
    var threads: Int
    var cache: String
    var fresh: Bool
    var memoryLimitMiB: Int
    var modelDigest: String
}

struct WorkerResult: Codable {
    var measurement: ExerciseMeasurement?
    /// The settings do not fit the model (status invalid).
    var invalid: String?
    /// Grading failed for a reason that is not the submission's: a course file, the model, the
    /// machine (status error).
    var failed: String?
}

/// Runs jobs in worker processes, `workers` at a time.
final class WorkerPool: @unchecked Sendable {
    enum Outcome {
        case measured(ExerciseMeasurement)
        case failed(ExerciseGradebook.Status, String)
    }

    let jobs: [GradeExercises.Job]
    let workers: Int
    let timeout: Int
    /// Every worker's job file, less the exercise, settings and file name of its submission.
    let template: WorkerJob
    private let lock = NSLock()
    private var next = 0

    init(jobs: [GradeExercises.Job], workers: Int, timeout: Int, template: WorkerJob) {
        self.jobs = jobs
        self.workers = workers
        self.timeout = timeout
        self.template = template
    }

    /// Calls `finished` (one at a time, under a lock) as each job ends.
    func run(_ finished: @escaping (GradeExercises.Job, Outcome, Double) -> Void) {
        nonisolated(unsafe) let finished = finished
        let group = DispatchGroup()
        guard let folder = try? privateTemporaryDirectory("quantlab-workers") else {
            for job in jobs { finished(job, .failed(.error, "cannot create a temporary folder for the workers"), 0) }
            return
        }
        let scratch = URL(fileURLWithPath: folder)
        defer { try? FileManager.default.removeItem(at: scratch) }
        for w in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                defer { group.leave() }
                while true {
                    lock.lock()
                    guard next < jobs.count else { lock.unlock(); return }
                    let job = jobs[next]
                    next += 1
                    lock.unlock()
                    let start = DispatchTime.now().uptimeNanoseconds
                    let outcome = runWorker(job, scratch: scratch.appendingPathComponent("w\(w)"))
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                    lock.lock()
                    finished(job, outcome, seconds)
                    lock.unlock()
                }
            }
            thread.start()
        }
        group.wait()
    }

    private func runWorker(_ job: GradeExercises.Job, scratch: URL) -> Outcome {
        let fm = FileManager.default
        try? fm.createDirectory(at: scratch, withIntermediateDirectories: true)
        let jobFile = scratch.appendingPathComponent("job.json"), resultFile = scratch.appendingPathComponent("result.json")
        let errorFile = scratch.appendingPathComponent("stderr.txt")
        try? fm.removeItem(at: resultFile)
        var spec = template
        (spec.exercise, spec.settings, spec.file) = (job.exercise.id, job.settings, job.units[0].submission.file)
        guard let data = try? JSONEncoder().encode(spec), (try? data.write(to: jobFile)) != nil,
              fm.createFile(atPath: errorFile.path, contents: nil), let errors = FileHandle(forWritingAtPath: errorFile.path) else {
            return .failed(.error, "cannot write the worker's files in \(scratch.path)")
        }
        defer { try? errors.close() }
        let process = Process()
        // This very binary, even if a rebuild replaced the file since the run started.
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["grade", "worker", "--job", jobFile.path, "--result", resultFile.path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        do {
            try process.run()
        } catch {
            return .failed(.error, "cannot start a worker process: \(error.localizedDescription)")
        }
        if ended.wait(timeout: .now() + .seconds(timeout)) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            ended.wait()
            return .failed(.timeout, "stopped after the \(timeout) s limit; settings that need this long (e.g. many calibration samples) cannot be graded in this run")
        }
        if process.terminationReason == .uncaughtSignal {
            let signal = process.terminationStatus
            return .failed(.error, "the worker was killed by signal \(signal)\([SIGKILL, SIGABRT, SIGTRAP, SIGSEGV, SIGILL, SIGBUS].contains(signal) ? " (it may have reached the \(template.memoryLimitMiB) MiB memory cap)" : "")")
        }
        guard let bytes = try? Data(contentsOf: resultFile), let result = try? JSON.decoder.decode(WorkerResult.self, from: bytes) else {
            let stderr = (try? String(contentsOf: errorFile, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            return .failed(.error, "the worker exited with status \(process.terminationStatus) and no result\(stderr.isEmpty ? "" : ": \(stderr)")")
        }
        if let measurement = result.measurement { return .measured(measurement) }
        if let failed = result.failed { return .failed(.error, failed) }
        return .failed(.invalid, result.invalid ?? "the worker returned nothing")
    }
}

/// `quantlab grade worker`: measures one submission for `grade exercises` (not for people).
struct GradeWorker: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Measure one submission for grade exercises (internal).",
                                                    shouldDisplay: false)

    @Option var job: String
    @Option var result: String

    func run() throws {
        let spec: WorkerJob
        do {
            spec = try JSONDecoder().decode(WorkerJob.self, from: Data(contentsOf: URL(fileURLWithPath: job)))
        } catch {
            Output.error("quantlab worker: cannot read \(job): \(error)")
            throw ExitCode(64)
        }
        // The memory cap, and an exit when the parent is gone (killed), so no orphan keeps running.
        var limit = rlimit(rlim_cur: rlim_t(spec.memoryLimitMiB) << 20, rlim_max: rlim_t(spec.memoryLimitMiB) << 20)
        _ = setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
        let parent = getppid()
        Thread {
            while true {
                Thread.sleep(forTimeInterval: 0.5)
                if getppid() != parent { Foundation.exit(70) }
            }
        }.start()
        let answer: WorkerResult
        do {
            let root = URL(fileURLWithPath: spec.course)
            let exercise = try Exercise.find(spec.exercise, in: root)
            let recipe = try ExerciseRunner.recipe(settings: spec.settings, file: spec.file, exercise: exercise)
            let (measurement, _) = try ExerciseRunner.measure(exercise, recipe: recipe, courseRoot: root, cacheDirectory: spec.cache, fresh: spec.fresh,
                                                              measureSpeed: spec.measureSpeed, modelDigest: spec.modelDigest, threads: spec.threads)
            answer = WorkerResult(measurement: measurement)
        } catch let problem as CourseProblem where problem.file == spec.file {
            // A problem in the submission's own file is the learner's (status invalid) …
            answer = WorkerResult(invalid: problem.description)
        } catch let problem as CourseProblem {
            // … one in any other file (a course text, the model, an exercise spec) is not.
            answer = WorkerResult(failed: "not the submission's fault: \(problem)")
        } catch let error as QuantizerError {
            answer = WorkerResult(invalid: "the settings do not fit the reference model: \(error)")
        } catch {
            Output.error("quantlab worker: \(error)")
            throw ExitCode(70)
        }
        do {
            try JSON.compact.encode(answer).write(to: URL(fileURLWithPath: result), options: .atomic)
        } catch {
            Output.error("quantlab worker: cannot write \(result): \(error)")
            throw ExitCode(70)
        }
    }
}

/// `quantlab grade merge`: shards into the gradebook a single run writes.
struct GradeMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the JSON gradebooks of grade exercises (or grade quizzes) --shard K/N runs into one gradebook.",
        discussion: "Every shard 1/N … N/N must be given once. The result is byte for byte what one run over all submissions writes; --overrides adds manual scores in their own columns.")

    @Argument(help: ArgumentHelp("The shards' JSON gradebooks.", valueName: "shard.json")) var shards: [String]
    @Option(help: ArgumentHelp("The CSV gradebook to write (- for standard output).", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Also write the merged gradebook as JSON.", valueName: "file")) var json: String?
    @Option(help: ArgumentHelp("Write one Markdown feedback file per student into this folder.", valueName: "dir")) var feedbackDir: String?
    @Option(help: ArgumentHelp("Manual scores: a CSV with the header student,exercise,score[,note].", valueName: "file")) var overrides: String?

    func run() throws {
        let files = try problemExit(65) { try shards.map { path in (path, try BoundedFile.read(path: path, displayPath: path, limit: 1 << 30, what: "gradebook")) } }
        // Quiz gradebooks (grade quizzes --json-file) merge into the quiz CSV.
        struct Format: Decodable { var format: String? }
        if let first = files.first, (try? JSONDecoder().decode(Format.self, from: Data(first.1)))?.format == QuizGradebook.formatName {
            guard overrides == nil, feedbackDir == nil else {
                Output.error("quantlab: --overrides and --feedback-dir apply to exercise gradebooks, not quiz gradebooks")
                throw ExitCode(64)
            }
            let book = try problemExit(65) { try QuizGradebook.merge(try files.map { ($0.0, try QuizGradebook.decode($0.1, file: $0.0)) }) }
            try writeOutput(QuizGradebook.csv(book.rows), to: out)
            if let json { try writeOutput(try JSON.encode(book) + "\n", to: json) }
            Output.error("Merged \(shards.count) quiz shards: \(book.rows.count) rows, \(Set(book.rows.map(\.student)).count) students → \(out)")
            return
        }
        var book = try problemExit(65) {
            try ExerciseGradebook.merge(try files.map { ($0.0, try ExerciseGradebook.decode($0.1, file: $0.0)) })
        }
        if let path = overrides {
            let table = try problemExit(65) { try ExerciseGradebook.overrides(try BoundedFile.readText(path: path, limit: 16 << 20, what: "overrides file"), file: path) }
            book.rows = try problemExit(65) { try ExerciseGradebook.apply(table, to: book.rows, file: path) }
        }
        try GradeExercises.write(book, csv: out, json: json, feedbackDir: feedbackDir)
        Output.error("Merged \(shards.count) shards: \(book.rows.count) rows, \(Set(book.rows.map(\.student)).count) students → \(out)")
    }
}
