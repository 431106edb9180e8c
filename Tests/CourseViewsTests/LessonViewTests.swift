import Testing

@testable import CourseContent
@testable import CourseViews
@testable import TerminalUI

@Suite struct LessonViewTests {
    static let frontMatter = "+++\nid = \"t\"\ntitle = \"Bits\"\nduration = 12\nobjectives = [\"Count `bytes`\", \"Compare\"]\n+++\n"
    static let question = "\n```quiz\nid = \"q\"\ntype = \"truefalse\"\nprompt = \"p\"\nanswer = true\nexplain = \"e\"\n```\n"

    static func view(_ text: String) throws -> [BlockKind] {
        LessonView.blocks(for: try LessonLoader.parse(text, file: "lessons/03-t.md", number: 3, slug: "t")).map(\.kind)
    }

    /// The body's title first, then the module line, the objectives and a rule, then the rest.
    @Test func theHeaderFollowsTheTitle() throws {
        let kinds = try Self.view(Self.frontMatter + "\n# Bits and bytes\n\nText.\n" + Self.question)
        #expect(kinds.count == 7)
        #expect(kinds[0] == .heading(level: 1, [.text("Bits and bytes")]))
        #expect(kinds[1] == .paragraph([.emphasis([.text("Module 3 · 12 min · quiz of 1 question")])]))
        #expect(kinds[2] == .paragraph([.strong([.text("You will be able to:")])]))
        guard case .list(let list) = kinds[3] else {
            Issue.record("no objectives list: \(kinds[3])")
            return
        }
        #expect(
            !list.ordered && list.tight
                && list.items.map { $0.map(\.kind) } == [[.paragraph([.text("Count "), .code("bytes")])], [.paragraph([.text("Compare")])]])
        #expect(kinds[4] == .thematicBreak && kinds[5] == .paragraph([.text("Text.")]))
    }

    /// Without a title in the body, the front matter's title opens the view; the question count
    /// is plural from two, and absent without questions.
    @Test func aMissingTitleComesFromTheFrontMatter() throws {
        let two = try Self.view(Self.frontMatter + "\nText.\n" + Self.question + Self.question.replacingOccurrences(of: "\"q\"", with: "\"r\""))
        #expect(two[0] == .heading(level: 1, [.text("Bits")]))
        #expect(two[1] == .paragraph([.emphasis([.text("Module 3 · 12 min · quiz of 2 questions")])]))
        let none = try Self.view(Self.frontMatter + "\nText.\n")
        #expect(none[1] == .paragraph([.emphasis([.text("Module 3 · 12 min")])]))
    }
}
