import CourseContent
import Digests
import Exercises
import Foundation

/// `quantlab grade exercises`: a class's exercise submissions, `DIR/<student>/<exercise-id>.toml`,
/// graded into one row per (student, exercise) whatever a file contains. This file holds the
/// parts that need no worker processes: finding and checking submissions, the deterministic
/// shard split, the rows, CSV and JSON, the journal that makes a run resumable, merging shards
/// and manual overrides, and the per-student feedback.
public enum ExerciseGradebook {
    public static let formatName = "quantlab-exercise-gradebook"
    public static let currentVersion = 1
    /// Largest settings file read (the settings parser's own limit).
    public static let maxFileBytes = QuantizationSettings.maximumBytes

    public enum Status: String, Codable, Sendable, CaseIterable, Comparable {
        /// Measured and graded.
        case ok
        /// The file cannot be graded as it is (not UTF-8, too large, a symlink out of the folder,
        /// bad settings, a method the exercise does not allow, settings that do not fit the model).
        case invalid
        /// Grading it failed for a reason that is not the file's (the worker crashed or ran out of memory).
        case error
        /// The worker ran past the time limit and was stopped.
        case timeout
        /// The student has no file for this exercise.
        case missing

        public static func < (a: Status, b: Status) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public struct Row: Codable, Equatable, Sendable {
        public var student: String
        public var exercise: String
        public var status: Status
        public var score: Int?
        public var max: Int?
        public var passed: Bool?
        /// The metrics the exercise's rubric grades (ok rows only).
        public var metrics: [Metric: Double]
        /// The submission's path relative to the submissions folder ("" when missing).
        public var file: String
        public var message: String
        /// The report as Markdown, for the student's feedback file.
        public var report: String
        /// A manual score from overrides.csv, kept beside the computed one.
        public var overrideScore: Int?
        public var overrideNote: String?

        public init(
            student: String, exercise: String, status: Status, score: Int? = nil, max: Int? = nil, passed: Bool? = nil,
            metrics: [Metric: Double] = [:], file: String, message: String, report: String = ""
        ) {
            self.student = student
            self.exercise = exercise
            self.status = status
            self.score = score
            self.max = max
            self.passed = passed
            self.metrics = metrics
            self.file = file
            self.message = message
            self.report = report
        }
    }

    /// What `--json` writes and `grade merge` reads.
    public struct Book: Codable, Equatable, Sendable {
        public var format = ExerciseGradebook.formatName
        public var version = ExerciseGradebook.currentVersion
        public var engine: String
        /// A digest of every submission the run found (before the shard split), so that
        /// shards scanned from different states of the folder are not merged.
        public var submissions: String
        /// nil for a whole run or a merge.
        public var shard: Shard?
        public var rows: [Row]

        public init(engine: String, submissions: String, shard: Shard?, rows: [Row]) {
            self.engine = engine
            self.submissions = submissions
            self.shard = shard
            self.rows = rows
        }
    }

    // MARK: Shards

    /// `--shard K/N`: the units whose key hashes to K − 1 modulo N. The split depends only on
    /// the student and exercise names, so every shard of every run agrees on it.
    public struct Shard: Codable, Equatable, Sendable, CustomStringConvertible {
        public var index: Int
        public var count: Int
        public var description: String { "\(index)/\(count)" }

        public init(index: Int, count: Int) {
            self.index = index
            self.count = count
        }

        /// Parses "K/N" with 1 ≤ K ≤ N ≤ 10000.
        public init?(_ text: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), (1...10_000).contains(n), (1...n).contains(k) else { return nil }
            self.init(index: k, count: n)
        }

        public func contains(student: String, exercise: String) -> Bool {
            let digest = SHA256.hex(Array("\(student)/\(exercise)".utf8))
            let value = UInt64(digest.prefix(16), radix: 16)!
            return Int(value % UInt64(count)) == index - 1
        }
    }

    // MARK: Finding submissions

    /// One (student, exercise) of the run, before grading.
    public struct Submission: Sendable, Equatable {
        public enum Content: Sendable, Equatable {
            case text(String)
            case invalid(String)
            /// Not the file's fault (the student's folder cannot be read): status error.
            case failed(String)
            case missing
        }
        /// The sanitized student id used in every output.
        public var student: String
        public var exercise: String
        /// Relative to the submissions folder; "" when missing.
        public var file: String
        public var content: Content
        /// SHA-256 of the file's bytes (journal key), "" when there are none.
        public var digest: String
    }

    /// Student ids go into CSV cells and feedback file names: letters, digits, '.', '_', '@' and
    /// '-'; anything else becomes '_', a leading '.' or '-' gets a '_' before it, and the id is cut
    /// to 100 characters.
    /// The digest a Book records: every submission's student, exercise, file and bytes.
    public static func fingerprint(_ submissions: [Submission]) -> String {
        SHA256.hex(Array(submissions.map { "\($0.student)\t\($0.exercise)\t\($0.file)\t\($0.digest)" }.joined(separator: "\n").utf8))
    }

    public static func sanitize(_ name: String) -> String {
        var id = String(
            name.unicodeScalars.map { s -> Character in
                s.isASCII && (CharacterSet.alphanumerics.contains(s) || "._@-".unicodeScalars.contains(s)) ? Character(s) : "_"
            })
        if id.isEmpty || id.hasPrefix(".") || id.hasPrefix("-") { id = "_" + id }
        return String(id.prefix(100))
    }

    /// Lists `directory/<student>/<exercise-id>.toml`. `exercises` are the course's; `only`
    /// restricts the run to some of them (then other students' files for other exercises are
    /// skipped silently). Without `only`, the run covers every exercise some student submitted.
    /// Every student gets a submission for every exercise of the run (missing when absent).
    /// Junk (top-level files, hidden entries, files that are not `.toml`) is skipped with a warning.
    public static func scan(directory: URL, exercises: [Exercise], only: [String]? = nil) throws(CourseProblem) -> (
        submissions: [Submission], warnings: [String]
    ) {
        let only = only.map { Array(Set($0)).sorted() }
        let fm = FileManager.default
        let root = directory.resolvingSymlinksInPath().standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CourseProblem(
                file: directory.path, line: nil, message: "not a folder; --submissions names a folder of student folders (DIR/<student>/<exercise-id>.toml)")
        }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: root).sorted()
        } catch {
            throw CourseProblem(file: directory.path, line: nil, message: "cannot list the submissions folder: \(error.localizedDescription)")
        }
        let ids = Set(exercises.map(\.id))
        var warnings: [String] = []
        var found: [(student: String, files: [String: String], failure: String?)] = []  // files: exercise id → relative path
        var unknown: [Submission] = []
        // Names that need no sanitizing keep their id; the others take what is left (~2, ~3 …),
        // so a new oddly named folder never renames an existing student.
        var taken = Set(names.filter { sanitize($0) == $0 })
        for name in names {
            if name.hasPrefix(".") {
                warnings.append("\(name): hidden entry skipped")
                continue
            }
            let path = (root as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0 else {
                warnings.append("\(name): cannot be read (\(String(cString: strerror(errno)))); skipped")
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                warnings.append("\(name): a symbolic link, not a student folder; skipped")
                continue
            }
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                warnings.append("\(name): not a student folder (submissions are DIR/<student>/<exercise-id>.toml); skipped")
                continue
            }
            var student = sanitize(name)
            if student != name {
                if taken.contains(student) {
                    var n = 2
                    while taken.contains("\(student)~\(n)") { n += 1 }
                    student = "\(student)~\(n)"
                }
                taken.insert(student)
                warnings.append("\(name): student id written as \(student)")
            }
            var files: [String: String] = [:]
            let entries: [String]
            do {
                entries = try fm.contentsOfDirectory(atPath: path).sorted()
            } catch {
                found.append((student, [:], "cannot list the student's folder \(name): \(error.localizedDescription)"))
                continue
            }
            for entry in entries {
                let relative = "\(name)/\(entry)"
                guard !entry.hasPrefix("."), entry.hasSuffix(".toml") else {
                    warnings.append("\(relative): not a settings file (<exercise-id>.toml); skipped")
                    continue
                }
                let stem = String(entry.dropLast(5))
                if ids.contains(stem) {
                    if only == nil || only!.contains(stem) { files[stem] = relative }
                } else if only == nil {
                    let guess =
                        exercises.first { $0.slug == stem || String($0.number) == stem }.map { "; name it \($0.id).toml" }
                        ?? Suggestions.closest(to: stem, in: exercises.map(\.id)).map { "; did you mean \($0).toml?" } ?? ""
                    unknown.append(
                        Submission(
                            student: student, exercise: stem, file: relative,
                            content: .invalid("no exercise \"\(stem)\" in the course\(guess)"), digest: ""))
                }
            }
            found.append((student, files, nil))
        }
        let run = only ?? exercises.map(\.id).filter { id in found.contains { $0.files[id] != nil } }
        var submissions: [Submission] = unknown
        for (student, files, failure) in found {
            for exercise in run {
                if let failure {
                    submissions.append(Submission(student: student, exercise: exercise, file: "", content: .failed(failure), digest: ""))
                    continue
                }
                guard let relative = files[exercise] else {
                    submissions.append(Submission(student: student, exercise: exercise, file: "", content: .missing, digest: ""))
                    continue
                }
                submissions.append(read(relative, root: root, student: student, exercise: exercise))
            }
        }
        return (submissions.sorted { ($0.student, $0.exercise) < ($1.student, $1.exercise) }, warnings)
    }

    /// Reads one submission: a regular file (a symlink is followed only when it stays inside the
    /// submissions folder), at most `maxFileBytes`, UTF-8.
    static func read(_ relative: String, root: String, student: String, exercise: String) -> Submission {
        func invalid(_ message: String) -> Submission {
            Submission(student: student, exercise: exercise, file: relative, content: .invalid(message), digest: "")
        }
        let path = (root as NSString).appendingPathComponent(relative)
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        guard resolved.hasPrefix(root + "/") else {
            return invalid("a symbolic link to \(resolved), outside the submissions folder; submit the file itself")
        }
        let bytes: [UInt8]
        do throws(CourseProblem) {
            bytes = try BoundedFile.read(path: resolved, displayPath: relative, limit: maxFileBytes, what: "settings file")
        } catch {
            return invalid(error.message)
        }
        let digest = SHA256.hex(bytes)
        guard !bytes.isEmpty else {
            return Submission(
                student: student, exercise: exercise, file: relative, content: .invalid("the file is empty; it needs at least method = \"...\""), digest: digest
            )
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return Submission(
                student: student, exercise: exercise, file: relative,
                content: .invalid("not a UTF-8 text file (a settings file is TOML text; was a binary or another encoding submitted?)"), digest: digest)
        }
        return Submission(student: student, exercise: exercise, file: relative, content: .text(text), digest: digest)
    }

    // MARK: Rows

    /// The row of a graded measurement: the rubric's score and the metrics it checks. The
    /// measured speed is reported only when `measureSpeed` or the rubric asks for it (a cached
    /// measurement may hold one from an earlier run, which must not change this row).
    public static func row(_ submission: Submission, exercise: Exercise, measurement: ExerciseMeasurement, measureSpeed: Bool) -> Row {
        var measurement = measurement
        if !measureSpeed && !ExerciseRunner.needsMeasuredSpeed(exercise) {
            measurement.speed = nil
            measurement.metrics[.decodeSpeedup] = nil
        }
        let grade = ExerciseGrade(exercise: exercise, metrics: measurement.metrics, baseline: ExerciseRunner.baseline, intervals: measurement.intervals)
        var metrics: [Metric: Double] = [:]
        for line in grade.lines { metrics[line.metric] = line.value }
        let failed = grade.lines.filter { !$0.passed }.map(\.check)
        let inconclusive = grade.lines.filter { $0.inconclusive == true }.map(\.check)
        var message = failed.isEmpty ? "" : "failed: \(failed.joined(separator: ", "))"
        if !inconclusive.isEmpty {
            message += (message.isEmpty ? "" : "; ") + "inconclusive (timed, graded on the interval's centre): \(inconclusive.joined(separator: ", "))"
        }
        return Row(
            student: submission.student, exercise: exercise.id, status: .ok, score: grade.score, max: grade.maxScore, passed: grade.passed,
            metrics: metrics, file: submission.file,
            message: message,
            report: ExerciseReport.markdown(grade: grade, measurement: measurement))
    }

    /// Sorted by student, then exercise: the order of every output.
    public static func sorted(_ rows: [Row]) -> [Row] {
        rows.sorted { ($0.student, $0.exercise, $0.file) < ($1.student, $1.exercise, $1.file) }
    }

    // MARK: CSV, JSON, feedback

    /// The metric columns: every metric some row was graded on, by name.
    static func metricColumns(_ rows: [Row]) -> [Metric] {
        Set(rows.flatMap(\.metrics.keys)).sorted()
    }

    /// student,exercise,status,score,max,passed,<metrics…>,override_score,override_note,file,message
    public static func csv(_ rows: [Row]) -> String {
        let metrics = metricColumns(rows)
        var out = CSVFormat.line(
            ["student", "exercise", "status", "score", "max", "passed"] + metrics.map(\.rawValue)
                + ["override_score", "override_note", "file", "message"])
        for row in rows {
            let score: String = row.score.map(String.init) ?? ""
            let max: String = row.max.map(String.init) ?? ""
            let passed: String = row.passed.map { $0 ? "yes" : "no" } ?? ""
            var fields: [String] = [row.student, row.exercise, row.status.rawValue, score, max, passed]
            for metric in metrics { fields.append(row.metrics[metric].map { "\($0)" } ?? "") }
            fields.append(row.overrideScore.map(String.init) ?? "")
            fields += [row.overrideNote ?? "", row.file, row.message]
            out += CSVFormat.line(fields)
        }
        return out
    }

    public static func json(_ book: Book) throws -> String { try JSON.encode(book) + "\n" }

    /// Reads a gradebook JSON (a shard's, for merging).
    public static func decode(_ bytes: [UInt8], file: String) throws(CourseProblem) -> Book {
        let book: Book
        do {
            book = try JSON.decoder.decode(Book.self, from: Data(bytes))
        } catch {
            throw CourseProblem(file: file, line: nil, message: "not a gradebook written by quantlab grade exercises --json: \(error)")
        }
        guard book.format == formatName, book.version == currentVersion else {
            throw CourseProblem(file: file, line: nil, message: "format \(book.format) version \(book.version) is not \(formatName) version \(currentVersion)")
        }
        return book
    }

    /// One Markdown file per student: each exercise's status, score and report.
    public static func feedback(student: String, rows: [Row]) -> String {
        var text = "# Exercise feedback for \(student)\n"
        for row in rows {
            text += "\n## \(row.exercise): "
            switch row.status {
            case .ok: text += "\(row.score ?? 0) / \(row.max ?? 0), \(row.passed == true ? "passed" : "not passed")\n\n\(row.report)\n"
            case .missing: text += "no submission\n\nNo file `\(row.exercise).toml` was found in your folder.\n"
            case .invalid: text += "not graded: the file has a problem\n\n`\(row.file)`: \(row.message)\n"
            case .error: text += "not graded: grading failed\n\n\(row.message) Your instructor has been told; this is not a problem with your file.\n"
            case .timeout: text += "not graded: too slow\n\n\(row.message)\n"
            }
            if let score = row.overrideScore {
                text += "\nScore set by your instructor: \(score)\(row.overrideNote.map { " (\($0))" } ?? "").\n"
            }
        }
        return text
    }

    // MARK: Overrides and merging

    /// overrides.csv: a header `student,exercise,score[,note]`, then one line per manual score.
    public static func overrides(_ text: String, file: String) throws(CourseProblem) -> [String: (score: Int, note: String?)] {
        var result: [String: (Int, String?)] = [:]
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let header = lines.first, let columns = try? CSVFormat.record(String(header)),
            columns.prefix(3) == ["student", "exercise", "score"], columns.count <= 4, columns.count == 3 || columns[3] == "note"
        else {
            throw CourseProblem(file: file, line: 1, message: "the first line must be the header student,exercise,score (optionally ,note)")
        }
        for (index, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let fields: [String]
            do {
                fields = try CSVFormat.record(String(line))
            } catch {
                throw CourseProblem(file: file, line: index + 1, message: error.message)
            }
            guard fields.count == columns.count else {
                throw CourseProblem(
                    file: file, line: index + 1, message: "expected \(columns.count) fields (\(columns.joined(separator: ","))), got \(fields.count)")
            }
            guard let score = Int(fields[2]), (0...100_000).contains(score) else {
                throw CourseProblem(file: file, line: index + 1, message: "score must be a whole number from 0 to 100000, got \"\(fields[2])\"")
            }
            let key = "\(fields[0])/\(fields[1])"
            guard result[key] == nil else {
                throw CourseProblem(file: file, line: index + 1, message: "a second override for \(fields[0]), \(fields[1]); keep one")
            }
            result[key] = (score, fields.count == 4 && !fields[3].isEmpty ? fields[3] : nil)
        }
        return result
    }

    /// Applies overrides to their rows; an override naming no row is an error (a typo would
    /// otherwise be lost silently).
    public static func apply(_ overrides: [String: (score: Int, note: String?)], to rows: [Row], file: String) throws(CourseProblem) -> [Row] {
        var rows = rows
        var used: Set<String> = []
        for i in rows.indices {
            let key = "\(rows[i].student)/\(rows[i].exercise)"
            guard let o = overrides[key] else { continue }
            rows[i].overrideScore = o.score
            rows[i].overrideNote = o.note
            used.insert(key)
        }
        let unused = overrides.keys.filter { !used.contains($0) }.sorted()
        guard unused.isEmpty else {
            throw CourseProblem(file: file, line: nil, message: "no gradebook row for \(unused.map { "student/exercise \($0)" }.joined(separator: ", "))")
        }
        return rows
    }

    /// Shards of one run into the gradebook a single run writes: every shard K/N present once,
    /// the same engine, no (student, exercise) twice.
    public static func merge(_ books: [(file: String, book: Book)]) throws(CourseProblem) -> Book {
        try checkShards(books.map { ($0.file, $0.book.shard, $0.book.engine) })
        let first = books[0]
        for (file, book) in books where book.submissions != first.book.submissions {
            throw CourseProblem(
                file: file, line: nil,
                message:
                    "this shard found other submissions than \(first.file) (the folder changed between the runs); grade every shard of one state of the folder")
        }
        var rows: [Row] = []
        var keys: Set<String> = []
        for (file, book) in books {
            for row in book.rows {
                guard keys.insert("\(row.student)/\(row.exercise)/\(row.file)").inserted else {
                    throw CourseProblem(file: file, line: nil, message: "\(row.student), \(row.exercise) appears in two shards")
                }
                rows.append(row)
            }
        }
        return Book(engine: first.book.engine, submissions: first.book.submissions, shard: nil, rows: sorted(rows))
    }

    /// Every shard K/N of one split present once (and, for exercises, graded by one engine).
    public static func checkShards(_ shards: [(file: String, shard: Shard?, engine: String?)]) throws(CourseProblem) {
        guard let first = shards.first else { throw CourseProblem(file: "grade merge", line: nil, message: "no shard files given") }
        guard let count = first.shard?.count else {
            throw CourseProblem(file: first.file, line: nil, message: "not a shard (written without --shard); nothing to merge")
        }
        var seen: [Int: String] = [:]
        for (file, shard, engine) in shards {
            guard let shard, shard.count == count else {
                throw CourseProblem(
                    file: file, line: nil, message: "shard \(shard?.description ?? "none") does not belong to a run split \(count) ways (\(first.file))")
            }
            guard engine == first.engine else {
                throw CourseProblem(
                    file: file, line: nil, message: "graded by \(engine ?? "?"), \(first.file) by \(first.engine ?? "?"); regrade with one quantlab")
            }
            if let other = seen[shard.index] { throw CourseProblem(file: file, line: nil, message: "shard \(shard) is also \(other)") }
            seen[shard.index] = file
        }
        let absent = (1...count).filter { seen[$0] == nil }
        guard absent.isEmpty else {
            throw CourseProblem(
                file: "grade merge", line: nil,
                message: "missing shard\(absent.count == 1 ? "" : "s") \(absent.map { "\($0)/\(count)" }.joined(separator: ", ")); grade them first")
        }
    }

    // MARK: The journal

    /// Rows already graded, one JSON object per line, appended (and flushed to disk) as each
    /// submission finishes, keyed by the submission's content and how it is graded. A line cut
    /// short by a kill is ignored; its submission is graded again.
    public struct Journal {
        public let path: String
        public private(set) var entries: [String: Row] = [:]
        private var handle: FileHandle?

        struct Entry: Codable {
            var key: String
            var row: Row
        }

        /// The key of a submission's row: who, which exercise, the file's bytes, the engine and
        /// whether speed is measured.
        /// `context` stands for everything else a row depends on: the exercise's spec (its
        /// rubric), the model and the texts.
        public static func key(_ s: Submission, engine: String, measureSpeed: Bool, context: String) -> String {
            SHA256.hex(Array("\(s.student)\n\(s.exercise)\n\(s.file)\n\(s.digest)\n\(engine)\n\(measureSpeed)\n\(context)".utf8))
        }

        public init(path: String) throws(CourseProblem) {
            self.path = path
            let fm = FileManager.default
            if fm.fileExists(atPath: path) {
                guard let data = fm.contents(atPath: path) else {
                    throw CourseProblem(file: path, line: nil, message: "cannot read the journal; delete it to grade everything again")
                }
                var complete = data
                if let last = data.lastIndex(of: UInt8(ascii: "\n")) {
                    complete = data.prefix(through: last)
                    if last + 1 < data.count {
                        // A line cut short by a kill: drop it, so the next append starts on a clean line.
                        truncate(path, off_t(last + 1))
                    }
                } else {
                    complete = Data()
                    truncate(path, 0)
                }
                for line in complete.split(separator: UInt8(ascii: "\n")) {
                    if let entry = try? JSON.decoder.decode(Entry.self, from: Data(line)) { entries[entry.key] = entry.row }
                }
            } else {
                guard fm.createFile(atPath: path, contents: nil) else {
                    throw CourseProblem(file: path, line: nil, message: "cannot create the journal beside the output; is the folder writable?")
                }
            }
            handle = FileHandle(forWritingAtPath: path)
            guard handle != nil else { throw CourseProblem(file: path, line: nil, message: "cannot open the journal for writing") }
        }

        /// Appends one finished row and syncs it to disk before returning.
        public mutating func append(_ row: Row, key: String) throws(CourseProblem) {
            entries[key] = row
            do {
                var line = try JSON.compact.encode(Entry(key: key, row: row))
                line.append(UInt8(ascii: "\n"))
                try handle!.seekToEnd()
                try handle!.write(contentsOf: line)
                try handle!.synchronize()
            } catch {
                throw CourseProblem(file: path, line: nil, message: "cannot write the journal: \(error.localizedDescription)")
            }
        }

        public func close() { try? handle?.close() }
    }
}
