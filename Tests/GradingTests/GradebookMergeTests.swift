import Foundation
import TestSupport
import Testing

@testable import CourseContent
@testable import Grading

@Suite struct GradebookMergeTests {
    typealias Row = ExerciseGradebook.Row

    /// Writes `text` to `name` in `dir`; returns the path.
    static func file(_ dir: URL, _ name: String, _ text: String) throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func exerciseShard(_ k: Int, _ students: [String]) throws -> String {
        let rows = students.map { Row(student: $0, exercise: "02-x", status: .ok, score: 40, max: 100, passed: false, file: "\($0)/02-x.toml", message: "") }
        return try ExerciseGradebook.json(.init(engine: "e1", submissions: "f", shard: .init(index: k, count: 2), rows: rows))
    }

    /// Quiz gradebooks are recognised by their format and merged as quiz gradebooks, rows in the
    /// order one run writes them (by answer file).
    @Test func quizShardsMergeIntoQuizRows() throws {
        let dir = try TestPaths.temporaryFolder("quantlab-merge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.file(
            dir, "q1.json",
            try JSON.encode(QuizGradebook.Book(shard: .init(index: 1, count: 2), rows: [QuizGradebook.invalid("bo", "bo.json", "not valid JSON")])))
        let second = try Self.file(
            dir, "q2.json", try JSON.encode(QuizGradebook.Book(shard: .init(index: 2, count: 2), rows: [QuizGradebook.invalid("al", "al.json", "x")])))
        guard case .quizzes(let book) = try GradebookMerge.merge([first, second], overrides: nil) else {
            Issue.record("quiz gradebooks merged as exercise gradebooks")
            return
        }
        #expect(book.shard == nil && book.format == "quantlab-quiz-gradebook")
        #expect(book.rows.map(\.file) == ["al.json", "bo.json"] && book.rows.map(\.status) == [.invalid, .invalid])
        // Overrides are manual exercise scores: refused for quizzes, naming the overrides file.
        #expect(throws: Fault.input("o.csv: --overrides applies to exercise gradebooks, not quiz gradebooks")) {
            try GradebookMerge.merge([first, second], overrides: "o.csv")
        }
    }

    /// Exercise shards merge by student, and the overrides are applied beside the computed scores.
    @Test func exerciseShardsMergeWithTheirOverrides() throws {
        let dir = try TestPaths.temporaryFolder("quantlab-merge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let shards = [try Self.file(dir, "s2.json", try Self.exerciseShard(2, ["c", "b"])), try Self.file(dir, "s1.json", try Self.exerciseShard(1, ["a"]))]
        let overrides = try Self.file(dir, "o.csv", "student,exercise,score,note\nb,02-x,90,regraded\n")
        guard case .exercises(let book) = try GradebookMerge.merge(shards, overrides: overrides) else {
            Issue.record("exercise gradebooks merged as quiz gradebooks")
            return
        }
        #expect(book.shard == nil && book.engine == "e1")
        #expect(book.rows.map(\.student) == ["a", "b", "c"])
        #expect(book.rows.map(\.score) == [40, 40, 40] && book.rows.map(\.overrideScore) == [nil, 90, nil])
        #expect(book.rows[1].overrideNote == "regraded")
        // Without overrides the rows are as graded.
        guard case .exercises(let plain) = try GradebookMerge.merge(shards, overrides: nil) else { return }
        #expect(plain.rows.allSatisfy { $0.overrideScore == nil })
    }

    /// Every problem is the user's input: exit 65, with the file and what is wrong.
    @Test func unusableInputsAreInputFaults() throws {
        let dir = try TestPaths.temporaryFolder("quantlab-merge")
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.file(dir, "s1.json", try Self.exerciseShard(1, ["a"]))
        #expect(throws: Fault.input("grade merge: missing shard 2/2; grade them first")) { try GradebookMerge.merge([first], overrides: nil) }
        let missing = dir.appendingPathComponent("none.json").path
        #expect(throws: Fault.input("\(missing): cannot read gradebook: No such file or directory")) {
            try GradebookMerge.merge([first, missing], overrides: nil)
        }
        let second = try Self.file(dir, "s2.json", try Self.exerciseShard(2, ["b"]))
        let badOverrides = try Self.file(dir, "o.csv", "student,exercise,score\nzz,02-x,1\n")
        #expect(throws: Fault.input("\(badOverrides): no gradebook row for student/exercise zz/02-x")) {
            try GradebookMerge.merge([first, second], overrides: badOverrides)
        }
        #expect(throws: Fault.input("grade merge: no shard files given")) { try GradebookMerge.merge([], overrides: nil) }
    }
}
