import Foundation
import Testing

@testable import CourseContent
@testable import CourseViews
@testable import TerminalUI

/// `Fixtures/Everything.md` uses every construct a lesson may; its rendering at 40 and 100
/// columns, plain and styled, is compared with committed files in `Fixtures/golden/`.
/// After an intended change: `QUANTLAB_UPDATE_GOLDEN=1 swift test --filter GoldenTests`, then
/// read the diff before committing it.
@Suite struct GoldenTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func everything() throws -> Lesson {
        try LessonLoader.load(
            path: fixtures.appendingPathComponent("Everything.md").path,
            displayPath: "Everything.md", number: 1, slug: "everything")
    }

    @Test func everythingLoadsWithoutProblems() throws {
        let lesson = try Self.everything()
        #expect(lesson.problems.isEmpty)
        #expect(lesson.questions.map(\.kind) == [.single, .multiple, .truefalse, .numeric, .text])
    }

    @Test(arguments: [(40, false), (40, true), (100, false), (100, true)])
    func renderingMatchesGolden(width: Int, styled: Bool) throws {
        let style: OutputStyle = styled ? .terminal : .plain
        let output = style.serialize(LessonView.render(try Self.everything(), with: MarkdownRenderer(width: width, style: style)))
        let name = "everything-\(width)-\(styled ? "styled" : "plain").txt"
        let golden = Self.fixtures.appendingPathComponent("golden").appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["QUANTLAB_UPDATE_GOLDEN"] == "1" {
            try output.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(output == expected, "\(name) differs; rerun with QUANTLAB_UPDATE_GOLDEN=1 if the change is intended")
        // Whatever the golden says, these always hold:
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            let visible = styled ? String(line).removingEscapes() : String(line)
            #expect(CellWidth.of(visible) <= width, "too wide: \(visible)")
        }
        #expect(output.contains("\u{1B}") == styled)
    }
}

extension String {
    /// Removes SGR and OSC 8 sequences.
    func removingEscapes() -> String {
        var out = ""
        var iterator = makeIterator()
        while let c = iterator.next() {
            guard c == "\u{1B}" else {
                out.append(c)
                continue
            }
            guard let kind = iterator.next() else { break }
            if kind == "[" {
                while let d = iterator.next(), !d.isLetter {}
            } else if kind == "]" {
                while let d = iterator.next() {
                    if d == "\u{1B}" {
                        _ = iterator.next()
                        break
                    }
                }
            }
        }
        return out
    }
}
