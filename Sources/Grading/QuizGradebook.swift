import CourseContent
import Exercises
import Foundation

/// A learner's quiz answers as `quantlab quiz export` writes them and `quantlab grade quizzes`
/// reads them (format documented in lessons/README.md, "Quiz answer files").
public struct QuizAnswerFile: Codable, Equatable, Sendable {
    public static let formatName = "quantlab-quiz-answers"
    public static let currentVersion = 1

    public struct Module: Codable, Equatable, Sendable {
        public var module: Int
        public var lessonID: String
        /// When the attempt whose answers these are was finished (ISO 8601).
        public var finishedAt: String
        public var score: Int
        public var max: Int
        /// Question id → the answer as the learner typed it (canonical form).
        public var answers: [String: String]

        enum CodingKeys: String, CodingKey {
            case module
            case lessonID = "lesson_id"
            case finishedAt = "finished_at"
            case score, max, answers
        }

        public init(module: Int, lessonID: String, finishedAt: String, score: Int, max: Int, answers: [String: String]) {
            self.module = module
            self.lessonID = lessonID
            self.finishedAt = finishedAt
            self.score = score
            self.max = max
            self.answers = answers
        }
    }

    public var format: String
    public var version: Int
    public var student: String
    public var exportedAt: String
    public var modules: [Module]

    enum CodingKeys: String, CodingKey {
        case format, version, student
        case exportedAt = "exported_at"
        case modules
    }

    public init(student: String, exportedAt: String, modules: [Module]) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.student = student
        self.exportedAt = exportedAt
        self.modules = modules
    }

    public func json() throws -> String { try JSON.encode(self) + "\n" }

    /// Student ids go into file names and CSV cells: 1–100 of A–Z a–z 0–9 . _ @ -, not starting
    /// with a dot or dash. Returns why `id` is not one, or nil.
    public static func problem(withStudentID id: String) -> String? {
        let allowed = id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._@-".unicodeScalars.contains($0)) }
        if id.isEmpty || id.count > 100 || !allowed || id.hasPrefix(".") || id.hasPrefix("-") {
            return "a student id is 1 to 100 characters of letters, digits, '.', '_', '@' and '-', not starting with '.' or '-' (e.g. jdoe or j.doe@uni)"
        }
        return nil
    }

    /// Decodes and checks a file's contents; throws a message saying what is wrong.
    public static func decode(_ data: [UInt8]) throws(ResponseError) -> QuizAnswerFile {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(data))
        } catch {
            throw ResponseError(message: "not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)")")
        }
        guard let root = object as? [String: Any], root["format"] as? String == formatName else {
            throw ResponseError(message: "not a quiz answer file: it needs \"format\": \"\(formatName)\" (write it with `quantlab quiz export`)")
        }
        guard let version = root["version"] as? Int, version == currentVersion else {
            throw ResponseError(
                message: "answer file version \(root["version"].map { "\($0)" } ?? "missing") is not supported; this quantlab reads version \(currentVersion)")
        }
        do {
            let file = try JSONDecoder().decode(QuizAnswerFile.self, from: Data(data))
            if let problem = problem(withStudentID: file.student) { throw ResponseError(message: "bad \"student\" `\(file.student)`: \(problem)") }
            return file
        } catch let error as ResponseError {
            throw error
        } catch let DecodingError.keyNotFound(key, context) {
            throw ResponseError(message: "missing \"\(key.stringValue)\"\(path(context))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw ResponseError(
                message: "\(path(context, leading: false)) must be \(type == String.self ? "a string" : type == Int.self ? "an integer" : "\(type)")")
        } catch {
            throw ResponseError(message: "unreadable answer file: \(error)")
        }
    }

    static func path(_ context: DecodingError.Context, leading: Bool = true) -> String {
        let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        if keys.isEmpty { return leading ? "" : "the file" }
        return leading ? " in \(keys)" : keys
    }
}

/// `quantlab grade quizzes`: every student's answer file graded against a key (the course's
/// quizzes or an instructor's own lessons). One row per student and module, whatever happens.
public enum QuizGradebook {
    public struct QuestionResult: Equatable, Sendable, Codable {
        public var id: String
        public var answer: String?
        /// nil: not answered.
        public var correct: Bool?
    }

    public struct Row: Equatable, Sendable, Codable {
        public enum Status: String, Equatable, Sendable, Codable, CaseIterable {
            /// Graded.
            case ok
            /// The file has no answers for this module.
            case missing
            /// The file cannot be graded (unreadable, not an answer file, duplicate student), or
            /// names a module the key does not have.
            case invalid
        }

        public var student: String
        public var file: String
        public var module: Int?
        public var lessonID: String?
        public var status: Status
        public var score: Int?
        public var max: Int?
        public var questions: [QuestionResult]
        public var message: String
        /// Whether the row comes from a file that decoded as an answer file (merging shards
        /// needs to know which files claim a student).
        public var decoded: Bool = true
    }

    /// Largest answer file read.
    public static let maxFileBytes = 1 << 20

    /// Answer files: `DIR/*.json` and `DIR/<student>/*.json`, sorted by path.
    public static func answerFiles(in directory: URL) throws(CourseProblem) -> [String] {
        let fm = FileManager.default
        func list(_ relative: String) throws(CourseProblem) -> [String] {
            let url = relative.isEmpty ? directory : directory.appendingPathComponent(relative)
            do {
                return try fm.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") }.sorted()
            } catch {
                throw CourseProblem(file: url.path, line: nil, message: "cannot list the answers folder: \(error.localizedDescription)")
            }
        }
        var files: [String] = []
        for name in try list("") {
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDir)
            if isDir.boolValue {
                files += try list(name).filter { $0.hasSuffix(".json") }.map { "\(name)/\($0)" }
            } else if name.hasSuffix(".json") {
                files.append(name)
            }
        }
        return files
    }

    /// The student a file belongs to by its place: `DIR/<student>/…` or `DIR/<student>.json`.
    /// Shards split by it, so one student's files stay in one shard.
    static func owner(_ relative: String) -> String {
        relative.contains("/") ? String(relative.split(separator: "/")[0]) : String(relative.dropLast(5))
    }

    /// Files in the order a run grades them: top-level name, then the name inside a folder.
    static func fileOrder(_ a: String, _ b: String) -> Bool {
        let x = a.split(separator: "/", maxSplits: 1).map(String.init)
        let y = b.split(separator: "/", maxSplits: 1).map(String.init)
        return x.lexicographicallyPrecedes(y)
    }

    /// Grades every answer file under `directory` (only `shard`'s, when given) against `key`
    /// (lessons with quizzes).
    public static func grade(directory: URL, key: [Lesson], shard: ExerciseGradebook.Shard? = nil) throws(CourseProblem) -> [Row] {
        var rows: [Row] = []
        var seen: [String: String] = [:]
        for relative in try answerFiles(in: directory) where shard?.contains(student: owner(relative), exercise: "quizzes") ?? true {
            let fallbackID = owner(relative)
            let file: QuizAnswerFile
            do {
                let bytes = try BoundedFile.read(
                    path: directory.appendingPathComponent(relative).path, displayPath: relative,
                    limit: maxFileBytes, what: "quiz answer file")
                file = try QuizAnswerFile.decode(bytes)
            } catch let problem as CourseProblem {
                rows.append(invalid(fallbackID, relative, problem.message, decoded: false))
                continue
            } catch {
                rows.append(invalid(fallbackID, relative, "\(error)", decoded: false))
                continue
            }
            if let other = seen[file.student] {
                rows.append(duplicate(file.student, relative, first: other))
                continue
            }
            seen[file.student] = relative
            rows += grade(file, path: relative, key: key)
        }
        return rows
    }

    static func duplicate(_ student: String, _ file: String, first: String) -> Row {
        invalid(student, file, "student `\(student)` was already graded from \(first); only that file counts")
    }

    static func invalid(_ student: String, _ file: String, _ message: String, decoded: Bool = true) -> Row {
        Row(
            student: student, file: file, module: nil, lessonID: nil, status: .invalid, score: nil, max: nil, questions: [], message: message,
            decoded: decoded)
    }

    /// One decoded file against the key: a row per key module, plus a row per module the key lacks.
    public static func grade(_ file: QuizAnswerFile, path: String, key: [Lesson]) -> [Row] {
        var rows: [Row] = []
        for lesson in key where !lesson.questions.isEmpty {
            let matches = file.modules.filter { $0.lessonID == lesson.id }
            guard let module = matches.last else {
                rows.append(
                    Row(
                        student: file.student, file: path, module: lesson.number, lessonID: lesson.id, status: .missing,
                        score: 0, max: lesson.questions.count,
                        questions: lesson.questions.map { QuestionResult(id: $0.id, answer: nil, correct: nil) },
                        message: "no answers for module \(lesson.number) (`\(lesson.id)`)"))
                continue
            }
            var notes: [String] = []
            if matches.count > 1 { notes.append("module listed \(matches.count) times; the last one is graded") }
            let results = lesson.questions.map { question -> QuestionResult in
                guard let answer = module.answers[question.id] else { return QuestionResult(id: question.id, answer: nil, correct: nil) }
                if case .failure(let error) = question.parse(answer) { notes.append("`\(question.id)`: \(error.message)") }
                return QuestionResult(id: question.id, answer: answer, correct: question.grade(typed: answer).correct)
            }
            let known = Set(lesson.questions.map(\.id))
            let unknown = module.answers.keys.filter { !known.contains($0) }.sorted()
            if !unknown.isEmpty { notes.append("ignored answers to questions the key does not have: \(unknown.joined(separator: ", "))") }
            let unanswered = results.filter { $0.correct == nil }.count
            if unanswered > 0 { notes.append("\(unanswered) question\(unanswered == 1 ? "" : "s") unanswered") }
            rows.append(
                Row(
                    student: file.student, file: path, module: lesson.number, lessonID: lesson.id, status: .ok,
                    score: results.filter { $0.correct == true }.count, max: results.count, questions: results,
                    message: notes.joined(separator: "; ")))
        }
        let keyIDs = Set(key.map(\.id))
        for module in file.modules where !keyIDs.contains(module.lessonID) {
            rows.append(
                Row(
                    student: file.student, file: path, module: module.module, lessonID: module.lessonID, status: .invalid,
                    score: nil, max: nil, questions: [], message: "module `\(module.lessonID)` is not in the key"))
        }
        return rows
    }

    /// student,module,lesson_id,status,score,max,questions,file,message; `questions` is
    /// `id=1;id=0;id=-` (right, wrong, unanswered) in the key's order.
    public static func csv(_ rows: [Row]) -> String {
        var out = CSVFormat.line(["student", "module", "lesson_id", "status", "score", "max", "questions", "file", "message"])
        for row in rows {
            let questions = row.questions.map { "\($0.id)=\($0.correct.map { $0 ? "1" : "0" } ?? "-")" }.joined(separator: ";")
            let fields = [
                row.student, row.module.map(String.init) ?? "", row.lessonID ?? "", row.status.rawValue,
                row.score.map(String.init) ?? "", row.max.map(String.init) ?? "", questions, row.file, row.message,
            ]
            out += CSVFormat.line(fields)
        }
        return out
    }

    public static func json(_ rows: [Row]) throws -> String { try JSON.encode(rows) + "\n" }

    // MARK: Shards

    public static let formatName = "quantlab-quiz-gradebook"

    /// What `--json-file` writes and `grade merge` reads.
    public struct Book: Codable, Equatable, Sendable {
        public var format = QuizGradebook.formatName
        public var version = 1
        public var shard: ExerciseGradebook.Shard?
        public var rows: [Row]
        public init(shard: ExerciseGradebook.Shard?, rows: [Row]) {
            self.shard = shard
            self.rows = rows
        }
    }

    public static func decode(_ bytes: [UInt8], file: String) throws(CourseProblem) -> Book {
        guard let book = try? JSON.decoder.decode(Book.self, from: Data(bytes)), book.format == formatName, book.version == 1 else {
            throw CourseProblem(file: file, line: nil, message: "not a quiz gradebook written by quantlab grade quizzes --json-file (\(formatName) version 1)")
        }
        return book
    }

    /// Shards into what one run writes. A student whose files fell into different shards (a
    /// file elsewhere naming the same student) keeps the rows of the first file in run order,
    /// and each later file becomes one `invalid` row, as a single run grades them.
    public static func merge(_ books: [(file: String, book: Book)]) throws(CourseProblem) -> Book {
        try ExerciseGradebook.checkShards(books.map { ($0.file, $0.book.shard, nil) })
        var byFile: [String: [Row]] = [:]
        var from: [String: String] = [:]  // answer file → the shard gradebook it came from
        for (file, book) in books {
            for row in book.rows {
                if let other = from[row.file], other != file {
                    throw CourseProblem(file: file, line: nil, message: "answer file \(row.file) appears in two shards (also \(other))")
                }
                from[row.file] = file
                byFile[row.file, default: []].append(row)
            }
        }
        var rows: [Row] = []
        var seen: [String: String] = [:]
        for file in byFile.keys.sorted(by: fileOrder) {
            let fileRows = byFile[file]!
            guard fileRows.contains(where: \.decoded), let student = fileRows.first?.student else {
                rows += fileRows
                continue
            }
            if let first = seen[student] {
                rows.append(duplicate(student, file, first: first))
            } else {
                seen[student] = file
                rows += fileRows
            }
        }
        return Book(shard: nil, rows: rows)
    }
}
