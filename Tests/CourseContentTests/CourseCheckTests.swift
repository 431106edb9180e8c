import Foundation
import TestSupport
import Testing

@testable import CourseContent

@Suite struct CourseCheckTests {
    @Test func aCleanCourseSaysWhatWasChecked() throws {
        let root = try TestCourse.make([
            "01-a.md": TestCourse.lesson(id: "a")
                + "\n```quiz\nid = \"q\"\ntype = \"truefalse\"\nprompt = \"p\"\nanswer = true\nexplain = \"e\"\n```\n"
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let report = CourseCheck.report(try Course.load(root: root))
        #expect(report.ok && report.lessons == 1 && report.questions == 1 && report.problems.isEmpty)
        #expect(report.text == "checked 1 lesson and 1 quiz question: no problems\n")
    }

    /// One `file:line: message` line per problem (no line: `file: message`), then the count;
    /// adding a problem (an exercise's) makes the report fail.
    @Test func problemsAreListedAndCounted() throws {
        var report = CourseCheck.Report(ok: true, lessons: 2, questions: 0, problems: [])
        report.add(CourseProblem(file: "exercises/02-x/exercise.toml", line: 4, message: "`methods` may hold \"rtn\""))
        #expect(!report.ok)
        #expect(report.text == "exercises/02-x/exercise.toml:4: `methods` may hold \"rtn\"\nchecked 2 lessons and 0 quiz questions: 1 problem\n")
        report.add(CourseProblem(file: "lessons/notes.md", line: nil, message: "not a lesson"))
        #expect(report.text.hasSuffix("lessons/notes.md: not a lesson\nchecked 2 lessons and 0 quiz questions: 2 problems\n"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as? [String: Any])
        let problems = try #require(json["problems"] as? [[String: Any]])
        #expect(json["ok"] as? Bool == false && problems.count == 2)
        #expect(problems[0]["line"] as? Int == 4 && problems[1]["line"] == nil)
    }
}
