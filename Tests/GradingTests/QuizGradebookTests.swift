import Foundation
import TerminalUI
import TestSupport
import Testing

@testable import CourseContent
@testable import CourseViews
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

@Suite struct ProgressReportTests {
    static func course() throws -> Course {
        let root = try TestCourse.make([
            "01-a.md": TestCourse.lesson(id: "a", title: "A")
                + "\n```quiz\nid = \"q\"\ntype = \"truefalse\"\nprompt = \"p\"\nanswer = true\nexplain = \"e\"\n```\n",
            "02-b.md": TestCourse.lesson(id: "b", title: "B"),
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        return try Course.load(root: root)
    }

    @Test func nextStepFollowsWhatIsDone() throws {
        let course = try Self.course()
        var record = LearnerRecord()
        var report = ProgressReport(course: course, record: record)
        #expect(report.steps == 3 && report.stepsDone == 0 && report.percent == 0)
        #expect(report.next.command == "quantlab read 1")

        record.lessonsRead = ["a"]
        record.bestQuiz["a"] = QuizScore(score: 0, max: 1)
        record.quizAttempts["a"] = 1
        report = ProgressReport(course: course, record: record)
        #expect(report.next.command == "quantlab quiz 1")
        #expect(report.modules[0].quizPassed == false && report.stepsDone == 1 && report.percent == 33)

        record.bestQuiz["a"] = QuizScore(score: 1, max: 1)
        record.exercisesPassed[1] = ["01-rtn"]
        report = ProgressReport(course: course, record: record)
        #expect(report.next.command == "quantlab read 2")
        #expect(report.modules[0].complete && report.modules[0].exercisesPassed == ["01-rtn"])

        record.lessonsRead.insert("b")
        report = ProgressReport(course: course, record: record)
        #expect(report.next.command == nil && report.percent == 100)
        // Module 2 has no quiz: reading it completes it.
        #expect(report.modules[1].complete && !report.modules[1].quizPassed)
    }

    @Test func passMarkBoundary() throws {
        let course = try TestCourse.make([
            "01-a.md": TestCourse.lesson(id: "a")
                + (1...10).map {
                    "\n```quiz\nid = \"q\($0)\"\ntype = \"truefalse\"\nprompt = \"p\"\nanswer = true\nexplain = \"e\"\n```\n"
                }.joined()
        ])
        defer { try? FileManager.default.removeItem(at: course) }
        let loaded = try Course.load(root: course)
        #expect(ProgressReport(course: loaded, record: LearnerRecord(bestQuiz: ["a": QuizScore(score: 7, max: 10)])).modules[0].quizPassed)
        #expect(!ProgressReport(course: loaded, record: LearnerRecord(bestQuiz: ["a": QuizScore(score: 6, max: 10)])).modules[0].quizPassed)
    }

    @Test func tableAndFooterText() throws {
        let course = try Self.course()
        let report = ProgressReport(course: course, record: LearnerRecord(lessonsRead: ["a"], bestQuiz: ["a": QuizScore(score: 1, max: 1)]))
        let text = OutputStyleText.render(report.blocks())
        #expect(text.contains("│ 1 │ A      │  ✓   │ ██████████ 1/1 ✓ │"))
        #expect(text.contains("│ 2 │ B      │  ·   │ no quiz          │"))
        #expect(text.contains("Overall: 2 of 3 steps done (66%) ███████░░░"))
        #expect(text.contains("Next: `quantlab read 2` — read “B”."))
        let json = try report.json()
        #expect(json.contains("\"stepsDone\" : 2"))
    }
}

enum OutputStyleText {
    static func render(_ blocks: [Block]) -> String {
        OutputStyle.plain.serialize(MarkdownRenderer(width: 100, style: .plain).render(blocks))
    }
}
