import Foundation
import TerminalUI
import TestSupport
import Testing

@testable import CourseContent
@testable import CourseViews

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
