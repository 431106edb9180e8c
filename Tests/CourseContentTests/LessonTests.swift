import Foundation
import TestSupport
import Testing

@testable import CourseContent
@testable import TerminalUI

@Suite struct LessonTests {
    static let header = "+++\nid = \"t\"\ntitle = \"T\"\nduration = 5\nobjectives = [\"o\"]\n+++\n"

    func parse(_ text: String) throws(CourseProblem) -> Lesson {
        try LessonLoader.parse(text, file: "lessons/01-t.md", number: 1, slug: "t")
    }

    func problem(_ text: String) -> CourseProblem? {
        caught { () throws(CourseProblem) in _ = try parse(text) }
    }

    @Test func frontMatterAndBody() throws {
        let lesson = try parse(Self.header + "\n# Title\n\n## Quiz\n\n```quiz\n" + QuizTests.valid + "\n[feedback]\n\"1\" = \"no\"\n```\n")
        #expect(lesson.frontMatter == FrontMatter(id: "t", title: "T", duration: 5, objectives: ["o"]))
        #expect(lesson.problems.isEmpty)
        let q = try #require(lesson.questions.first)
        #expect(q.id == "q" && q.kind == .single && q.answer == .choice(1) && q.line == 12 && q.section == "Quiz")
        #expect(q.feedback == [0: "no"])
        #expect(lesson.blocks.map(\.line) == [8, 10, 12])
        #expect(
            lesson.blocks.last?.kind
                == .question(
                    QuestionCard(
                        number: 1, hint: "choose one", prompt: [.text("Which?")],
                        choices: [[.text("a")], [.text("b")], [.text("c")]])))
    }

    @Test func unterminatedFrontMatter() {
        let p = problem("+++\nid = \"t\"\n# no end\n")
        #expect(p?.line == 1)
        #expect(p?.message.contains("never closed") == true)
    }

    @Test func missingFrontMatter() {
        let p = problem("# Just Markdown\n")
        #expect(p?.line == 1)
        #expect(p?.message.contains("starts with TOML front matter") == true)
    }

    @Test func brokenFrontMatterTOMLNamesTheLine() {
        let p = problem("+++\nid = \"t\"\ntitle = \"T\nduration = 5\n+++\n")
        #expect(p?.line == 3)
        #expect(p?.message.hasPrefix("front matter is not valid TOML") == true)
    }

    @Test func frontMatterFieldErrors() {
        let unknown = problem("+++\nid = \"t\"\ntitel = \"T\"\n+++\n")
        #expect(unknown?.line == 3)
        #expect(unknown?.message.contains("did you mean `title`?") == true)
        let duration = problem("+++\nid = \"t\"\ntitle = \"T\"\nduration = \"15\"\nobjectives = [\"o\"]\n+++\n")
        #expect(duration?.line == 4)
        #expect(duration?.message.contains("duration") == true)
        let id = problem("+++\nid = \"Not A Slug\"\ntitle = \"T\"\nduration = 5\nobjectives = [\"o\"]\n+++\n")
        #expect(id?.line == 2)
    }

    @Test func duplicateQuizId() throws {
        let lesson = try parse(Self.header + "\n```quiz\n" + QuizTests.valid + "\n```\n\n```quiz\n" + QuizTests.valid + "\n```\n")
        #expect(lesson.problems.count == 1)
        #expect(lesson.problems.first?.line == 17)
        #expect(lesson.problems.first?.message.contains("duplicate quiz id `q`: already used on line 8") == true)
    }

    @Test func invalidUTF8NamesTheLine() {
        var bytes = Array((Self.header + "line 7\nline 8 ").utf8)
        bytes += [0xC3, 0x28]
        do {
            _ = try LessonLoader.decodeUTF8(bytes, file: "x.md")
            Issue.record("invalid UTF-8 was accepted")
        } catch {
            #expect(error.line == 8)
            #expect(error.message.contains("0xC3"))
        }
    }

    @Test func oversizedFileIsRefusedBeforeReading() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-big-\(getpid()).md").path
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(truncate(path, 10 * 1024 * 1024) == 0)
        do {
            _ = try LessonLoader.load(path: path, displayPath: "lessons/99-big.md", number: 99, slug: "big")
            Issue.record("a 10 MB lesson was accepted")
        } catch {
            #expect(error.file == "lessons/99-big.md")
            #expect(error.message.contains("10485760 bytes"))
        }
    }

    @Test func directoryIsNotALesson() throws {
        do {
            _ = try LessonLoader.load(path: FileManager.default.temporaryDirectory.path, displayPath: "d.md", number: 1, slug: "d")
            Issue.record("a directory was accepted")
        } catch {
            #expect(error.message.contains("not a regular file"))
        }
    }

    @Test func rawHTMLAndRaggedTablesAreProblems() throws {
        let lesson = try parse(Self.header + "\n<div>x</div>\n\n```table\nA | B\n1\n```\n")
        #expect(lesson.problems.map(\.line) == [8, 12])
    }

    @Test func crlfLineEndingsAreAccepted() throws {
        let lesson = try parse((Self.header + "\n# T\n").replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(lesson.frontMatter.id == "t")
    }
}
