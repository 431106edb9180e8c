import Foundation
import TerminalUI
import TestSupport
import Testing

@testable import CourseContent
@testable import CourseViews

@Suite struct CourseOverviewTests {
    /// Module 1 ("A", one question), module 3 with a front matter that is never closed.
    static func course() throws -> (Course, URL) {
        let root = try TestCourse.make([
            "01-a.md": TestCourse.lesson(id: "a", title: "A")
                + "\n```quiz\nid = \"q\"\ntype = \"truefalse\"\nprompt = \"p\"\nanswer = true\nexplain = \"e\"\n```\n",
            "03-broken.md": "+++\nid = \"x\"\n",
        ])
        return (try Course.load(root: root), root)
    }

    static func text(_ blocks: [Block]) -> String {
        OutputStyle.plain.serialize(MarkdownRenderer(width: 100, style: .plain).render(blocks))
    }

    /// Without a learner's record: the modules' table, the first lesson as the next step, and a
    /// warning when a course file cannot be loaded.
    @Test func theOverviewSuggestsTheFirstLessonAndWarnsOfBrokenFiles() throws {
        let (course, root) = try Self.course()
        defer { try? FileManager.default.removeItem(at: root) }
        let text = Self.text(CourseOverview.blocks(for: course))
        #expect(text.hasPrefix("QuantLab\n"))
        #expect(text.contains("Next: `quantlab read 1` — start with “A”."))
        #expect(text.contains("Some course files have problems; `quantlab check-course` lists them."))
        // With a record, the progress table and its next step take their place.
        let progress = Self.text(CourseOverview.blocks(for: course, record: LearnerRecord(lessonsRead: ["a"])))
        #expect(!progress.contains("start with") && progress.contains("Next: `quantlab quiz 1`"))
    }

    /// One row per lesson file: number, title, minutes, questions; a file that does not load
    /// shows its slug and dashes.
    @Test func theLessonTableHasARowPerFile() throws {
        let (course, root) = try Self.course()
        defer { try? FileManager.default.removeItem(at: root) }
        let blocks = CourseOverview.lessonTable(course)
        guard case .table(let table) = try #require(blocks.first).kind else {
            Issue.record("the lesson table is not a table: \(blocks)")
            return
        }
        #expect(table.header.map(\.plainText) == ["#", "Module", "Minutes", "Quiz"])
        #expect(table.alignments == [.right, .left, .right, .right])
        #expect(table.rows.map { $0.map(\.plainText) } == [["1", "A", "10", "1"], ["3", "broken (invalid: see check-course)", "–", "–"]])
    }

    @Test func lessonsJSONDescribesEveryFile() throws {
        let (course, root) = try Self.course()
        defer { try? FileManager.default.removeItem(at: root) }
        let items = try #require(try JSONSerialization.jsonObject(with: Data(try CourseOverview.lessonsJSON(course).utf8)) as? [[String: Any]])
        #expect(items.count == 2)
        #expect(items[0]["number"] as? Int == 1 && items[0]["id"] as? String == "a" && items[0]["title"] as? String == "A")
        #expect(items[0]["duration"] as? Int == 10 && items[0]["questions"] as? Int == 1 && items[0]["status"] as? String == "ok")
        #expect(items[0]["file"] as? String == "lessons/01-a.md" && items[0]["objectives"] as? [String] == ["o"])
        #expect(items[1]["number"] as? Int == 3 && items[1]["slug"] as? String == "broken" && items[1]["status"] as? String == "invalid")
        #expect(items[1]["id"] == nil && (items[1]["problems"] as? [String])?.first?.hasPrefix("lessons/03-broken.md:1:") == true)
    }
}
