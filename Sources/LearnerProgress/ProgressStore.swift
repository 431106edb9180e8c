import CourseContent
import Foundation
import GRDB

/// Why the progress store cannot be used. `description` names the file and says what to do.
public struct ProgressStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Equatable, Sendable {
        /// No QUANTLAB_HOME, XDG_DATA_HOME or HOME to put the store under.
        case noLocation
        /// The folder or file cannot be created or opened.
        case cannotOpen
        /// The file is not an SQLite database, or a damaged one.
        case corrupt
        /// An SQLite database, but not QuantLab's.
        case foreign
        /// Written by a newer QuantLab (it has migrations this one does not know).
        case newerVersion
        /// A read or write failed (disk full, read-only, locked too long).
        case failed
    }

    public var kind: Kind
    public var path: String
    /// What SQLite or the file system said.
    public var detail: String

    public init(_ kind: Kind, path: String, detail: String) {
        self.kind = kind
        self.path = path
        self.detail = detail
    }

    public var description: String {
        let aside = "move it aside (mv '\(path)' '\(path).broken') to start a fresh one, or set QUANTLAB_HOME to another folder"
        switch kind {
        case .noLocation:
            return "cannot tell where to keep your progress: \(detail); set QUANTLAB_HOME to a folder"
        case .cannotOpen:
            return "\(path): cannot open the progress store: \(detail); check the folder's permissions, or set QUANTLAB_HOME to another folder"
        case .corrupt:
            return
                "\(path): not a readable progress database (\(detail)). Nothing was changed. Your progress in it cannot be read: restore the file from a backup, or \(aside)"
        case .foreign:
            return "\(path): an SQLite database that is not QuantLab's progress store (\(detail)). Nothing was changed: \(aside)"
        case .newerVersion:
            return "\(path): written by a newer QuantLab (\(detail)). Nothing was changed: update quantlab, or \(aside)"
        case .failed:
            return "\(path): \(detail); nothing from this command was saved"
        }
    }
}

/// One run of a graded exercise, as the exercise runner reports it.
public struct ExerciseRun: Equatable, Sendable {
    /// The exercise folder name, `NN-slug`; NN ties it to module NN.
    public var exerciseID: String
    /// Hash of the normalized settings that were run.
    public var settingsHash: String
    /// Metric name → value (e.g. "ppl_ratio", "bits_per_weight"). Names, not `Metric` values:
    /// a run recorded by an earlier QuantLab stays readable when a metric is renamed or retired.
    public var metrics: [String: Double]
    public var score: Double
    public var maxScore: Double
    public var passed: Bool
    public var ranAt: Date

    public init(
        exerciseID: String, settingsHash: String, metrics: [String: Double], score: Double, maxScore: Double,
        passed: Bool, ranAt: Date = Date()
    ) {
        self.exerciseID = exerciseID
        self.settingsHash = settingsHash
        self.metrics = metrics
        self.score = score
        self.maxScore = maxScore
        self.passed = passed
        self.ranAt = ranAt
    }

    /// NN of `NN-slug`, nil when the id does not start with a number.
    public var module: Int? { exerciseID.split(separator: "-", maxSplits: 1).first.flatMap { Int($0) } }
}

/// The latest complete attempt of one module's quiz, with its answers: what instructors collect.
public struct LatestAnswers: Equatable, Sendable {
    public var module: Int
    public var lessonID: String
    public var finishedAt: Date
    public var score: Int
    public var maxScore: Int
    /// Question id → the answer as typed (canonical form).
    public var answers: [String: String]
}

/// The learner's progress in SQLite (`progress.sqlite`): lessons read, complete quiz attempts
/// with every answer, exercise runs. Versioned migrations; every write is one transaction, so a
/// process killed mid-write leaves the file as it was before that write.
public final class ProgressStore: Sendable {
    public let path: String
    let queue: DatabaseQueue

    /// SQLite's application id for QuantLab files: "QLab".
    static let applicationID: Int32 = 0x514C_6162
    public static let fileName = "progress.sqlite"

    /// `$QUANTLAB_HOME/progress.sqlite`, else `$XDG_DATA_HOME/quantlab/…` (when absolute), else
    /// `~/.local/share/quantlab/…`.
    public static func defaultPath(environment: [String: String]) throws(ProgressStoreError) -> String {
        if let home = environment["QUANTLAB_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home).appendingPathComponent(fileName).path
        }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("quantlab").appendingPathComponent(fileName).path
        }
        if let home = environment["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home).appendingPathComponent(".local/share/quantlab").appendingPathComponent(fileName).path
        }
        throw ProgressStoreError(.noLocation, path: "", detail: "QUANTLAB_HOME, XDG_DATA_HOME and HOME are all unset")
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    PRAGMA application_id = \(applicationID);
                    CREATE TABLE lesson_read (
                        lesson_id TEXT PRIMARY KEY NOT NULL,
                        module INTEGER NOT NULL,
                        first_read_at DATETIME NOT NULL,
                        last_read_at DATETIME NOT NULL,
                        times INTEGER NOT NULL
                    );
                    CREATE TABLE quiz_attempt (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        lesson_id TEXT NOT NULL,
                        module INTEGER NOT NULL,
                        started_at DATETIME NOT NULL,
                        finished_at DATETIME NOT NULL,
                        score INTEGER NOT NULL,
                        max_score INTEGER NOT NULL,
                        seed INTEGER
                    );
                    CREATE INDEX quiz_attempt_lesson ON quiz_attempt(lesson_id, finished_at);
                    CREATE TABLE quiz_answer (
                        attempt_id INTEGER NOT NULL REFERENCES quiz_attempt(id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        question_id TEXT NOT NULL,
                        answer TEXT NOT NULL,
                        correct BOOLEAN NOT NULL,
                        PRIMARY KEY (attempt_id, position)
                    );
                    CREATE TABLE exercise_run (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        exercise_id TEXT NOT NULL,
                        module INTEGER,
                        settings_hash TEXT NOT NULL,
                        metrics TEXT NOT NULL,
                        score REAL NOT NULL,
                        max_score REAL NOT NULL,
                        passed BOOLEAN NOT NULL,
                        ran_at DATETIME NOT NULL
                    );
                    CREATE INDEX exercise_run_exercise ON exercise_run(exercise_id);
                    """)
        }
        return migrator
    }

    init(path: String, queue: DatabaseQueue) {
        self.path = path
        self.queue = queue
    }

    /// Opens the store, creating the file and its folder when missing, and migrates it.
    public static func open(path: String) throws(ProgressStoreError) -> ProgressStore {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ProgressStoreError(.cannotOpen, path: path, detail: "cannot create \(folder.path): \(error.localizedDescription)")
        }
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG {
            throw ProgressStoreError(.cannotOpen, path: path, detail: "not a regular file")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw map(error, path: path)
        }
        let store = ProgressStore(path: path, queue: queue)
        try store.migrate()
        return store
    }

    /// Opens the store when its file exists; nil otherwise (views never create it).
    public static func openIfExists(path: String) throws(ProgressStoreError) -> ProgressStore? {
        FileManager.default.fileExists(atPath: path) ? try open(path: path) : nil
    }

    func migrate() throws(ProgressStoreError) {
        let path = self.path
        try guarded {
            try queue.writeWithoutTransaction { db in
                let id = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
                if id != 0 && id != Self.applicationID {
                    throw ProgressStoreError(.foreign, path: path, detail: "application id \(id)")
                }
                if id == 0 && !tables.isEmpty {
                    throw ProgressStoreError(.foreign, path: path, detail: "it holds tables \(tables.sorted().prefix(5).joined(separator: ", "))")
                }
                let migrator = Self.migrator
                if try migrator.hasBeenSuperseded(db) {
                    let unknown = try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
                    throw ProgressStoreError(
                        .newerVersion, path: path, detail: "schema migrations \(unknown.joined(separator: ", ")) are unknown to this version")
                }
            }
            try Self.migrator.migrate(queue)
        }
    }

    /// Runs database work, turning every error into a `ProgressStoreError` that names the file.
    func guarded<T>(_ work: () throws -> T) throws(ProgressStoreError) -> T {
        do {
            return try work()
        } catch {
            throw Self.map(error, path: path)
        }
    }

    static func map(_ error: any Error, path: String) -> ProgressStoreError {
        if let error = error as? ProgressStoreError { return error }
        guard let error = error as? DatabaseError else {
            return ProgressStoreError(.failed, path: path, detail: "\(error)")
        }
        let message = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        switch error.resultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT:
            return ProgressStoreError(.corrupt, path: path, detail: "SQLite: \(message)")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return ProgressStoreError(.cannotOpen, path: path, detail: "SQLite: \(message)")
        default:
            return ProgressStoreError(.failed, path: path, detail: "SQLite: \(message)")
        }
    }

    // MARK: - Writes (one transaction each)

    /// Records that a lesson was shown.
    public func markRead(lessonID: String, module: Int, at date: Date = Date()) throws(ProgressStoreError) {
        try guarded {
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO lesson_read (lesson_id, module, first_read_at, last_read_at, times) VALUES (?, ?, ?, ?, 1)
                        ON CONFLICT(lesson_id) DO UPDATE SET module = excluded.module, last_read_at = excluded.last_read_at, times = times + 1
                        """, arguments: [lessonID, module, date, date])
            }
        }
    }

    /// Records a complete attempt and its answers, all or nothing. Returns the attempt's id.
    @discardableResult
    public func record(_ attempt: QuizAttempt) throws(ProgressStoreError) -> Int64 {
        try guarded {
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO quiz_attempt (lesson_id, module, started_at, finished_at, score, max_score, seed)
                        VALUES (?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        attempt.lessonID, attempt.module, attempt.startedAt, attempt.finishedAt, attempt.score,
                        attempt.maxScore, attempt.seed.map { Int64(bitPattern: $0) },
                    ])
                let id = db.lastInsertedRowID
                for (position, answer) in attempt.answers.enumerated() {
                    try db.execute(
                        sql: "INSERT INTO quiz_answer (attempt_id, position, question_id, answer, correct) VALUES (?, ?, ?, ?, ?)",
                        arguments: [id, position, answer.questionID, answer.answer, answer.correct])
                }
                return id
            }
        }
    }

    public func record(_ run: ExerciseRun) throws(ProgressStoreError) {
        let metrics: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            metrics = String(decoding: try encoder.encode(run.metrics), as: UTF8.self)
        } catch {
            throw ProgressStoreError(.failed, path: path, detail: "metrics cannot be stored (\(error)); only finite numbers can")
        }
        try guarded {
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO exercise_run (exercise_id, module, settings_hash, metrics, score, max_score, passed, ran_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [run.exerciseID, run.module, run.settingsHash, metrics, run.score, run.maxScore, run.passed, run.ranAt])
            }
        }
    }

    /// Deletes everything recorded, or only what belongs to one module (by lesson id and
    /// number). Returns the number of rows deleted (answers included).
    @discardableResult
    public func reset(module: (lessonID: String, number: Int)? = nil) throws(ProgressStoreError) -> Int {
        try guarded {
            try queue.write { db in
                var deleted = 0
                if let module {
                    deleted +=
                        try Int.fetchOne(
                            db, sql: "SELECT count(*) FROM quiz_answer WHERE attempt_id IN (SELECT id FROM quiz_attempt WHERE lesson_id = ?)",
                            arguments: [module.lessonID]) ?? 0
                    for (table, column, value) in [
                        ("lesson_read", "lesson_id", module.lessonID as any DatabaseValueConvertible),
                        ("quiz_attempt", "lesson_id", module.lessonID),
                        ("exercise_run", "module", module.number),
                    ] {
                        try db.execute(sql: "DELETE FROM \(table) WHERE \(column) = ?", arguments: [value])
                        deleted += db.changesCount
                    }
                } else {
                    deleted += try Int.fetchOne(db, sql: "SELECT count(*) FROM quiz_answer") ?? 0
                    for table in ["lesson_read", "quiz_attempt", "exercise_run"] {
                        try db.execute(sql: "DELETE FROM \(table)")
                        deleted += db.changesCount
                    }
                }
                return deleted
            }
        }
    }

    // MARK: - Reads

    /// Everything the progress view needs.
    public func learnerRecord() throws(ProgressStoreError) -> LearnerRecord {
        try guarded {
            try queue.read { db in
                var record = LearnerRecord()
                record.lessonsRead = Set(try String.fetchAll(db, sql: "SELECT lesson_id FROM lesson_read"))
                // The best attempt: highest share of right answers, then the most recent.
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT lesson_id, score, max_score, n FROM (
                            SELECT lesson_id, score, max_score, count(*) OVER (PARTITION BY lesson_id) AS n,
                                   row_number() OVER (PARTITION BY lesson_id
                                       ORDER BY CAST(score AS REAL) / max(max_score, 1) DESC, finished_at DESC, id DESC) AS rank
                            FROM quiz_attempt)
                        WHERE rank = 1
                        """)
                {
                    let id: String = row["lesson_id"]
                    record.bestQuiz[id] = QuizScore(score: row["score"], max: row["max_score"])
                    record.quizAttempts[id] = row["n"]
                }
                for row in try Row.fetchAll(db, sql: "SELECT DISTINCT module, exercise_id FROM exercise_run WHERE passed AND module IS NOT NULL") {
                    record.exercisesPassed[row["module"], default: []].insert(row["exercise_id"])
                }
                return record
            }
        }
    }

    /// Complete attempts of one module's quiz, newest first: (finished, score).
    public func attempts(lessonID: String) throws(ProgressStoreError) -> [(finishedAt: Date, score: QuizScore)] {
        try guarded {
            try queue.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT finished_at, score, max_score FROM quiz_attempt WHERE lesson_id = ? ORDER BY finished_at DESC, id DESC",
                    arguments: [lessonID]
                )
                .map { (finishedAt: $0["finished_at"], score: QuizScore(score: $0["score"], max: $0["max_score"])) }
            }
        }
    }

    /// The latest complete attempt of every module's quiz, in module order.
    public func latestAnswers() throws(ProgressStoreError) -> [LatestAnswers] {
        try guarded {
            try queue.read { db in
                let attempts = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, lesson_id, module, finished_at, score, max_score FROM (
                            SELECT *, row_number() OVER (PARTITION BY lesson_id ORDER BY finished_at DESC, id DESC) AS rank FROM quiz_attempt)
                        WHERE rank = 1 ORDER BY module, lesson_id
                        """)
                return try attempts.map { row in
                    let id: Int64 = row["id"]
                    var answers: [String: String] = [:]
                    for answer in try Row.fetchAll(db, sql: "SELECT question_id, answer FROM quiz_answer WHERE attempt_id = ?", arguments: [id]) {
                        answers[answer["question_id"]] = answer["answer"]
                    }
                    return LatestAnswers(
                        module: row["module"], lessonID: row["lesson_id"], finishedAt: row["finished_at"],
                        score: row["score"], maxScore: row["max_score"], answers: answers)
                }
            }
        }
    }

    /// Exercise runs, newest first (for the exercise runner's history and for tests).
    public func exerciseRuns(exerciseID: String? = nil) throws(ProgressStoreError) -> [ExerciseRun] {
        try guarded {
            try queue.read { db in
                let filter = exerciseID == nil ? "" : "WHERE exercise_id = ?"
                return try Row.fetchAll(
                    db, sql: "SELECT * FROM exercise_run \(filter) ORDER BY ran_at DESC, id DESC",
                    arguments: StatementArguments(exerciseID.map { [$0] } ?? [])
                ).map { row in
                    let metricsText: String = row["metrics"]
                    let metrics = (try? JSONDecoder().decode([String: Double].self, from: Data(metricsText.utf8))) ?? [:]
                    return ExerciseRun(
                        exerciseID: row["exercise_id"], settingsHash: row["settings_hash"], metrics: metrics,
                        score: row["score"], maxScore: row["max_score"], passed: row["passed"], ranAt: row["ran_at"])
                }
            }
        }
    }
}
