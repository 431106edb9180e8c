import CourseContent
import Foundation
import Testing

@testable import LearnerProgress

@Suite struct ProgressStoreTests {
    /// A fresh folder; the store path inside it.
    /// Every store of this test process lives under one folder, removed when the process exits.
    static let scratch: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-store-tests-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-store-tests-\(getpid())")) }
        return dir
    }()

    static func temporaryPath() throws -> String {
        let dir = scratch.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent("progress.sqlite").path
    }

    static func attempt(_ lessonID: String = "why-quantize", module: Int = 1, correct: [Bool], at time: TimeInterval) -> QuizAttempt {
        QuizAttempt(
            lessonID: lessonID, module: module, startedAt: Date(timeIntervalSince1970: time - 30),
            finishedAt: Date(timeIntervalSince1970: time), seed: nil,
            answers: correct.enumerated().map { .init(questionID: "q\($0.offset)", answer: $0.element ? "a" : "b", correct: $0.element) },
            maxScore: correct.count)
    }

    @Test func defaultPathFollowsTheEnvironment() throws {
        #expect(try ProgressStore.defaultPath(environment: ["QUANTLAB_HOME": "/q", "XDG_DATA_HOME": "/x", "HOME": "/h"]) == "/q/progress.sqlite")
        #expect(try ProgressStore.defaultPath(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]) == "/x/quantlab/progress.sqlite")
        // A relative XDG_DATA_HOME is invalid by the spec and ignored.
        #expect(try ProgressStore.defaultPath(environment: ["XDG_DATA_HOME": "x", "HOME": "/h"]) == "/h/.local/share/quantlab/progress.sqlite")
        #expect(throws: ProgressStoreError.self) { try ProgressStore.defaultPath(environment: [:]) }
    }

    @Test func migratesAMissingAndAnEmptyFile() throws {
        for createEmpty in [false, true] {
            let path = try Self.temporaryPath()
            if createEmpty { _ = FileManager.default.createFile(atPath: path, contents: Data()) }
            let store = try ProgressStore.open(path: path)
            #expect(try store.learnerRecord() == LearnerRecord())
            let applied = try store.queue.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
            #expect(applied == ["v1"])
            let id = try store.queue.read { db in try Int32.fetchOne(db, sql: "PRAGMA application_id") }
            #expect(id == 0x514C_6162)
            // Opening again is a no-op.
            _ = try ProgressStore.open(path: path)
        }
    }

    @Test func viewsDoNotCreateTheFile() throws {
        let path = try Self.temporaryPath()
        #expect(try ProgressStore.openIfExists(path: path) == nil)
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func corruptedFileIsAnErrorNamingThePathAndTheWayOut() throws {
        let path = try Self.temporaryPath()
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: path))
        do {
            _ = try ProgressStore.open(path: path)
            Issue.record("a corrupted file opened")
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.description.hasPrefix("\(path): not a readable progress database (SQLite: file is not a database)"))
            #expect(error.description.contains("mv '\(path)' '\(path).broken'"))
            #expect(error.description.contains("QUANTLAB_HOME"))
        }
        // Not a silent reset: the file is untouched.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    @Test func truncatedDatabaseIsReportedNotReset() throws {
        let path = try Self.temporaryPath()
        let store = try ProgressStore.open(path: path)
        for i in 0..<50 { try store.record(Self.attempt(correct: [true, false, true], at: 1_700_000_000 + Double(i))) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        // Keep the header, wreck the pages after it.
        bytes.replaceSubrange(100..<bytes.count, with: Data(repeating: 0xA5, count: bytes.count - 100))
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(throws: ProgressStoreError.self) {
            try ProgressStore.open(path: path).learnerRecord()
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }

    @Test func foreignAndNewerDatabasesAreRefused() throws {
        let foreign = try Self.temporaryPath()
        let other = try ProgressStore.open(path: foreign)
        try other.queue.write { db in
            try db.execute(sql: "PRAGMA application_id = 42")
        }
        #expect(throws: ProgressStoreError(.foreign, path: foreign, detail: "application id 42")) { try ProgressStore.open(path: foreign) }

        let tablesOnly = try Self.temporaryPath()
        let db = try ProgressStore.open(path: tablesOnly)
        try db.queue.write { db in
            try db.execute(sql: "PRAGMA application_id = 0; DROP TABLE grdb_migrations; CREATE TABLE photos (id INTEGER)")
        }
        #expect(throws: ProgressStoreError.self) { try ProgressStore.open(path: tablesOnly) }

        let newer = try Self.temporaryPath()
        let store = try ProgressStore.open(path: newer)
        try store.queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2')") }
        do {
            _ = try ProgressStore.open(path: newer)
            Issue.record("a newer store opened")
        } catch {
            #expect(error.kind == .newerVersion)
            #expect(error.description.contains("schema migrations v2 are unknown to this version"))
            #expect(error.description.contains("update quantlab"))
        }
    }

    @Test func recordsAttemptsBestScoresAndLatestAnswers() throws {
        let store = try ProgressStore.open(path: try Self.temporaryPath())
        try store.record(Self.attempt(correct: [true, false, false, false], at: 1_700_000_100))
        try store.record(Self.attempt(correct: [true, true, true, false], at: 1_700_000_200))
        try store.record(Self.attempt(correct: [false, true, false, false], at: 1_700_000_300))
        try store.record(Self.attempt("int8-int4-basics", module: 2, correct: [true, true], at: 1_700_000_400))
        try store.markRead(lessonID: "why-quantize", module: 1)
        try store.markRead(lessonID: "why-quantize", module: 1)

        let record = try store.learnerRecord()
        #expect(record.lessonsRead == ["why-quantize"])
        #expect(record.bestQuiz["why-quantize"] == QuizScore(score: 3, max: 4))
        #expect(record.bestQuiz["int8-int4-basics"] == QuizScore(score: 2, max: 2))
        #expect(record.quizAttempts == ["why-quantize": 3, "int8-int4-basics": 1])
        let times = try store.queue.read { db in try Int.fetchOne(db, sql: "SELECT times FROM lesson_read") }
        #expect(times == 2)

        // The latest attempt, not the best, is what an instructor gets.
        let latest = try store.latestAnswers()
        #expect(latest.map(\.lessonID) == ["why-quantize", "int8-int4-basics"])
        #expect(latest[0].score == 1)
        #expect(latest[0].answers == ["q0": "b", "q1": "a", "q2": "b", "q3": "b"])
        #expect(latest[0].finishedAt == Date(timeIntervalSince1970: 1_700_000_300))

        let history = try store.attempts(lessonID: "why-quantize")
        #expect(history.map(\.score.score) == [1, 3, 1])
    }

    @Test func aFailedWriteLeavesNothingBehind() throws {
        let store = try ProgressStore.open(path: try Self.temporaryPath())
        // Two answers to the same position violate the primary key half-way through the write.
        var attempt = Self.attempt(correct: [true, true], at: 1_700_000_000)
        try store.queue.write { db in
            try db.execute(sql: "CREATE TRIGGER fail_second BEFORE INSERT ON quiz_answer WHEN NEW.position = 1 BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
        }
        #expect(throws: ProgressStoreError.self) { try store.record(attempt) }
        let counts = try store.queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM quiz_attempt"), try Int.fetchOne(db, sql: "SELECT count(*) FROM quiz_answer"))
        }
        #expect(counts.0 == 0 && counts.1 == 0)
        #expect(try store.learnerRecord().bestQuiz.isEmpty)
        attempt.answers.removeLast()
        attempt.maxScore = 1
        try store.record(attempt)
        #expect(try store.learnerRecord().bestQuiz["why-quantize"] == QuizScore(score: 1, max: 1))
    }

    @Test func exerciseRunsAreRecordedAndReadBack() throws {
        let store = try ProgressStore.open(path: try Self.temporaryPath())
        let recorder = store
        try recorder.record(
            ExerciseRun(
                exerciseID: "01-rtn-int8", settingsHash: "abc", metrics: ["ppl_ratio": 1.01, "bpw": 8.5],
                score: 8, maxScore: 10, passed: true, ranAt: Date(timeIntervalSince1970: 1_700_000_000)))
        try recorder.record(
            ExerciseRun(
                exerciseID: "01-rtn-int4", settingsHash: "def", metrics: [:], score: 2, maxScore: 10,
                passed: false, ranAt: Date(timeIntervalSince1970: 1_700_000_001)))
        try recorder.record(ExerciseRun(exerciseID: "free-play", settingsHash: "x", metrics: [:], score: 1, maxScore: 1, passed: true))
        #expect(try store.learnerRecord().exercisesPassed == [1: ["01-rtn-int8"]])
        let runs = try store.exerciseRuns(exerciseID: "01-rtn-int8")
        #expect(runs.count == 1)
        #expect(runs[0].metrics == ["ppl_ratio": 1.01, "bpw": 8.5])
        #expect(runs[0].settingsHash == "abc" && runs[0].score == 8 && runs[0].passed)
        #expect(try store.exerciseRuns().count == 3)
        #expect(throws: ProgressStoreError.self) {
            try recorder.record(ExerciseRun(exerciseID: "01-x", settingsHash: "h", metrics: ["bad": .nan], score: 0, maxScore: 1, passed: false))
        }
    }

    @Test func resetOneModuleOrEverything() throws {
        let store = try ProgressStore.open(path: try Self.temporaryPath())
        try store.record(Self.attempt(correct: [true, false], at: 1_700_000_000))
        try store.record(Self.attempt("b", module: 2, correct: [true], at: 1_700_000_001))
        try store.markRead(lessonID: "why-quantize", module: 1)
        try store.record(ExerciseRun(exerciseID: "01-rtn", settingsHash: "h", metrics: [:], score: 1, maxScore: 1, passed: true))
        // Module 1: its attempt (2 answers), read mark and exercise run.
        #expect(try store.reset(module: ("why-quantize", 1)) == 5)
        let record = try store.learnerRecord()
        #expect(record.lessonsRead.isEmpty && record.exercisesPassed.isEmpty)
        #expect(record.bestQuiz == ["b": QuizScore(score: 1, max: 1)])
        #expect(try store.reset() == 2)
        #expect(try store.learnerRecord() == LearnerRecord())
    }
}
