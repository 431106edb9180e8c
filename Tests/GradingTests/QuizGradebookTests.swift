import Foundation
import TestSupport
import Testing

@testable import CourseContent
@testable import Grading

@Suite struct QuizGradebookTests {
    static func answerFile(student: String, answers: [String: String], lessonID: String = "fixture") -> String {
        let file = QuizAnswerFile(
            student: student, exportedAt: "2025-01-01T00:00:00Z",
            modules: [
                .init(module: 1, lessonID: lessonID, finishedAt: "2025-01-01T00:00:00Z", score: 0, max: 5, answers: answers)
            ])
        return try! file.json()
    }

    static func folder(_ files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-grade-\(UUID().uuidString)")
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func gradesEveryFileAndReportsBadOnesAsRows() throws {
        let dir = try Self.folder([
            "alice.json": Self.answerFile(
                student: "alice", answers: ["pick-one": "b", "pick-many": "a+b", "tf": "true", "num": "13.09", "words": "Zero point"]),
            "bob/quiz.json": Self.answerFile(student: "bob", answers: ["pick-one": "a", "num": "lots", "extra": "x"]),
            "carol.json": "{ not json",
            "dave.json": "{\"format\": \"something-else\"}",
            "erin.json": "{\"format\": \"quantlab-quiz-answers\", \"version\": 99}",
            "frank.json": "{\"format\": \"quantlab-quiz-answers\", \"version\": 1, \"student\": \"frank\", \"exported_at\": \"x\"}",
            "alice2.json": Self.answerFile(student: "alice", answers: [:]),
            "gina.json": Self.answerFile(student: "gina", answers: [:], lessonID: "not-in-key"),
            "notes.txt": "ignored",
        ])
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = try QuizGradebook.grade(directory: dir, key: [try QuizFixture.lesson()])
        let byFile = Dictionary(grouping: rows, by: \.file)

        let alice = try #require(byFile["alice.json"]?.first)
        #expect(alice.status == .ok && alice.score == 5 && alice.max == 5 && alice.message == "")

        let bob = try #require(byFile["bob/quiz.json"]?.first)
        #expect(bob.status == .ok && bob.score == 0 && bob.max == 5)
        #expect(bob.questions.map(\.correct) == [false, nil, nil, false, nil])
        #expect(bob.message.contains("`num`: “lots” is not a number"))
        #expect(bob.message.contains("ignored answers to questions the key does not have: extra"))
        #expect(bob.message.contains("3 questions unanswered"))

        #expect(byFile["carol.json"]?.first?.status == .invalid)
        #expect(byFile["carol.json"]?.first?.student == "carol")
        #expect(byFile["carol.json"]?.first?.message.hasPrefix("not valid JSON") == true)
        #expect(byFile["dave.json"]?.first?.message.hasPrefix("not a quiz answer file") == true)
        #expect(byFile["erin.json"]?.first?.message == "answer file version 99 is not supported; this quantlab reads version 1")
        #expect(byFile["frank.json"]?.first?.message == "missing \"modules\"")
        #expect(byFile["alice2.json"]?.first?.message == "student `alice` was already graded from alice.json; only that file counts")

        let gina = try #require(byFile["gina.json"])
        #expect(gina.map(\.status) == [.missing, .invalid])
        #expect(gina[1].message == "module `not-in-key` is not in the key")
        #expect(byFile["notes.txt"] == nil)
        #expect(rows.count == 9)
    }

    @Test func csvHasOneRowPerStudentAndModuleWithQuoting() throws {
        let lesson = try QuizFixture.lesson()
        let file = try QuizAnswerFile.decode(Array(Self.answerFile(student: "ann", answers: ["pick-one": "b", "tf": "f"]).utf8))
        var rows = QuizGradebook.grade(file, path: "ann.json", key: [lesson])
        rows.append(QuizGradebook.invalid("=cmd", "x.json", "bad \"quote\", and comma"))
        let csv = QuizGradebook.csv(rows)
        #expect(
            csv == """
                student,module,lesson_id,status,score,max,questions,file,message
                ann,1,fixture,ok,1,5,pick-one=1;pick-many=-;tf=0;num=-;words=-,ann.json,3 questions unanswered
                '=cmd,,,invalid,,,,x.json,"bad ""quote"", and comma"

                """)
    }

    @Test func studentIDs() {
        #expect(QuizAnswerFile.problem(withStudentID: "j.doe@uni-x_1") == nil)
        for bad in ["", "-x", ".x", "a b", "a/b", "a,b", "é", String(repeating: "a", count: 101)] {
            #expect(QuizAnswerFile.problem(withStudentID: bad) != nil, "\(bad)")
        }
    }

    @Test func answersFolderThatDoesNotExist() {
        #expect(throws: CourseProblem.self) {
            try QuizGradebook.grade(directory: URL(fileURLWithPath: "/nonexistent/answers"), key: [])
        }
    }
}
