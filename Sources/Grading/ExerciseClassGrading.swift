import CourseContent
import Dispatch
import Exercises
import Foundation
import QuantCore

/// `quantlab grade exercises`: every submission measured in its own worker process under a time
/// limit and a memory cap, identical settings measured once, rows journaled as they finish so an
/// interrupted run resumes where it stopped.
public enum ExerciseClassGrading {
    public struct Request: Sendable {
        public var courseRoot: URL
        /// The folder of student folders.
        public var submissions: URL
        /// Exercises to grade (folder name, number or slug); empty: every exercise someone submitted.
        public var exercises: [String]
        /// The CSV gradebook; its journal is `out + ".journal"`.
        public var out: String
        public var measureSpeed: Bool
        public var shard: ExerciseGradebook.Shard?
        /// A CSV of manual scores (student,exercise,score[,note]).
        public var overrides: String?
        /// Forget the journal and the measurement cache.
        public var fresh: Bool
        /// Worker processes at once (nil: the number of cores).
        public var jobs: Int?
        /// Seconds one worker may take.
        public var timeout: Int
        public var memoryLimitMiB: Int

        public init(
            courseRoot: URL, submissions: URL, exercises: [String], out: String, measureSpeed: Bool, shard: ExerciseGradebook.Shard?,
            overrides: String?, fresh: Bool, jobs: Int?, timeout: Int, memoryLimitMiB: Int
        ) {
            self.courseRoot = courseRoot
            self.submissions = submissions
            self.exercises = exercises
            self.out = out
            self.measureSpeed = measureSpeed
            self.shard = shard
            self.overrides = overrides
            self.fresh = fresh
            self.jobs = jobs
            self.timeout = timeout
            self.memoryLimitMiB = memoryLimitMiB
        }
    }

    /// What a run tells as it goes, for the command to print.
    public enum Event: Sendable {
        case warning(String)
        /// Submissions found, already graded (journal), graded without a run, to measure, in runs.
        case planned(submissions: Int, resumed: Int, withoutRun: Int, toMeasure: Int, runs: Int)
        /// One more row measured: done of total, and the worker's seconds (0 for a row that
        /// shared its settings with the one before).
        case finished(ExerciseGradebook.Row, seconds: Double, done: Int, total: Int)
    }

    public struct Outcome: Sendable {
        public var book: ExerciseGradebook.Book
        /// The five slowest worker runs: student/exercise and seconds.
        public var slowest: [(String, Double)]
        /// Rows with status error: grading failed for QuantLab's or the machine's reasons.
        public var errors: Int { book.rows.filter { $0.status == .error }.count }
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

    /// Grades the class. A course that cannot be used stops the run before any row is graded
    /// (`Fault.course`); a student's file never does.
    public static func run(_ request: Request, report: @escaping (Event) -> Void) throws(Fault) -> Outcome {
        let root = request.courseRoot
        var exercises: [Exercise] = []
        var broken: [CourseProblem] = []
        for result in Exercise.all(in: root) {
            switch result {
            case .success(let e): exercises.append(e)
            case .failure(let problem): broken.append(problem)
            }
        }
        if !broken.isEmpty {
            throw .course(
                broken.map(\.description).joined(separator: "\nquantlab: ")
                    + "\nquantlab: the course has \(broken.count) broken exercise file\(broken.count == 1 ? "" : "s") (quantlab check-course lists every problem); nothing was graded"
            )
        }
        var only: [String]?
        for reference in request.exercises {
            do throws(CourseProblem) {
                only = (only ?? []) + [try Exercise.find(reference, in: root).id]
            } catch {
                throw error.file == reference ? .usage(error.description) : .course(error.description)
            }
        }
        let overrideTable = try request.overrides.map { path throws(Fault) in
            do throws(CourseProblem) {
                return try ExerciseGradebook.overrides(try BoundedFile.readText(path: path, limit: 16 << 20, what: "overrides file"), file: path)
            } catch {
                throw .input(error.description)
            }
        }
        let found: [ExerciseGradebook.Submission]
        do throws(CourseProblem) {
            let scanned = try ExerciseGradebook.scan(directory: request.submissions, exercises: exercises, only: only)
            found = scanned.submissions
            for warning in scanned.warnings { report(.warning(warning)) }
        } catch {
            throw .usage(error.description)
        }
        // What every row depends on besides its file: the model, the texts and the exercise's spec.
        let digests: (model: String, context: String)
        do {
            digests = try ExerciseRunner.courseDigest(courseRoot: root)
        } catch {
            throw .course("the course's reference model or texts cannot be used: \(error); nothing was graded")
        }
        let specs = Dictionary(uniqueKeysWithValues: exercises.map { ($0.id, "\(digests.context)\n\($0.digest)") })
        let mine = found.filter { request.shard?.contains(student: $0.student, exercise: $0.exercise) ?? true }
        let byID = Dictionary(uniqueKeysWithValues: exercises.map { ($0.id, $0) })

        // The journal: rows finished by an earlier, interrupted run of the same submissions.
        let journalPath = request.out + ".journal"
        if request.fresh { try? FileManager.default.removeItem(atPath: journalPath) }
        var journal: ExerciseGradebook.Journal
        do throws(CourseProblem) { journal = try ExerciseGradebook.Journal(path: journalPath) } catch { throw .input(error.description) }
        defer { journal.close() }
        let engine = ExerciseRunner.engineVersion

        var rows: [ExerciseGradebook.Row] = []
        var jobTable: [String: Job] = [:]
        var order: [String] = []
        var resumed = 0
        for s in mine {
            let key = ExerciseGradebook.Journal.key(s, engine: engine, measureSpeed: request.measureSpeed, context: specs[s.exercise] ?? "")
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
                do throws(CourseProblem) {
                    let recipe = try ExerciseRunner.recipe(settings: text, file: s.file, exercise: e)
                    // The measurement cache's key, and whether speed is measured: what one worker run answers.
                    let jobKey =
                        ExerciseRunner.key(recipe: recipe, modelDigest: digests.model, textDigest: digests.context, chunks: e.chunks)
                        + "\(request.measureSpeed || ExerciseRunner.needsMeasuredSpeed(e))"
                    let unit = Unit(submission: s, exercise: e, journalKey: key)
                    if let job = jobTable[jobKey] {
                        job.units.append(unit)
                    } else {
                        jobTable[jobKey] = Job(settings: text, first: unit)
                        order.append(jobKey)
                    }
                } catch {
                    rows.append(
                        .init(
                            student: s.student, exercise: e.id, status: .invalid, file: s.file,
                            message: error.line.map { "line \($0): \(error.message)" } ?? error.message))
                }
            }
        }
        let pending = order.map { jobTable[$0]! }
        let unitCount = pending.reduce(0) { $0 + $1.units.count }
        report(.planned(submissions: mine.count, resumed: resumed, withoutRun: mine.count - resumed - unitCount, toMeasure: unitCount, runs: pending.count))

        var slowest: [(String, Double)] = []
        if !pending.isEmpty {
            let cache = request.fresh ? try privateTemporaryDirectory("quantlab-grade") : BaseLogitsCache.defaultDirectory()
            defer { if request.fresh { try? FileManager.default.removeItem(atPath: cache) } }
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let workers = min(request.jobs ?? cores, pending.count)
            if workers > 1, request.measureSpeed || pending.contains(where: { ExerciseRunner.needsMeasuredSpeed($0.exercise) }) {
                report(.warning("decode speed is timed while \(workers) workers share the cores and the memory bandwidth; --jobs 1 gives steadier speeds"))
            }
            // The unquantized model's log-probabilities, once per evaluation length, before the workers need them.
            for chunks in Set(pending.map { $0.exercise.chunks ?? -1 }).sorted() {
                let e = pending.first { ($0.exercise.chunks ?? -1) == chunks }!.exercise
                do {
                    try ExerciseRunner.warmBaseline(e, courseRoot: root, cacheDirectory: cache, modelDigest: digests.model, threads: cores)
                } catch {
                    throw .course("the reference model cannot be evaluated: \(error); nothing was graded")
                }
            }
            let template = WorkerJob(
                course: root.path, exercise: "", settings: "", file: "", measureSpeed: request.measureSpeed,
                threads: max(1, cores / workers), cache: cache, fresh: request.fresh,
                memoryLimitMiB: request.memoryLimitMiB, modelDigest: digests.model)
            var journalError: CourseProblem?
            var done = 0
            WorkerPool(jobs: pending, workers: workers, timeout: request.timeout, template: template).run { job, outcome, seconds in
                for (index, unit) in job.units.enumerated() {
                    let (s, e) = (unit.submission, unit.exercise)
                    let row: ExerciseGradebook.Row
                    switch outcome {
                    case .measured(let m): row = ExerciseGradebook.row(s, exercise: e, measurement: m, measureSpeed: request.measureSpeed)
                    case .failed(let status, let message): row = .init(student: s.student, exercise: e.id, status: status, file: s.file, message: message)
                    }
                    do throws(CourseProblem) {
                        try journal.append(row, key: unit.journalKey)
                    } catch {
                        journalError = error
                    }
                    rows.append(row)
                    done += 1
                    if index == 0 && seconds > 0 {
                        slowest.append(("\(row.student)/\(row.exercise)", seconds))
                        slowest.sort { $0.1 > $1.1 }
                        if slowest.count > 5 { slowest.removeLast() }
                    }
                    report(.finished(row, seconds: index == 0 ? seconds : 0, done: done, total: unitCount))
                }
            }
            if let journalError { throw .input(journalError.description) }
        }
        var book = ExerciseGradebook.Book(
            engine: engine, submissions: ExerciseGradebook.fingerprint(found), shard: request.shard,
            rows: ExerciseGradebook.sorted(rows))
        if let overrideTable, let path = request.overrides {
            do throws(CourseProblem) { book.rows = try ExerciseGradebook.apply(overrideTable, to: book.rows, file: path) } catch {
                throw .input(error.description)
            }
        }
        return Outcome(book: book, slowest: slowest)
    }

    /// Counts by status, a histogram of the scores (percent of the maximum) and the slowest runs.
    public static func summary(_ rows: [ExerciseGradebook.Row], slowest: [(String, Double)], out: String) -> String {
        var lines = [
            "Graded \(Set(rows.map(\.student)).count) students, \(rows.count) rows → \(out)",
            "  " + ExerciseGradebook.Status.allCases.map { s in "\(rows.filter { $0.status == s }.count) \(s.rawValue)" }.joined(separator: ", "),
        ]
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
}
