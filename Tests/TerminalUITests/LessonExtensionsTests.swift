import Testing

@testable import TerminalUI

@Suite struct LessonExtensionsTests {
    @Test func tableWithAlignmentEscapesAndCode() {
        let (table, problems) = TableBlock.parse("A | B | C\n:-- | --: | :-:\n`a|b` | x \\| y | *z*\n", firstLine: 5)
        #expect(problems.isEmpty)
        #expect(table.alignments == [.left, .right, .center])
        #expect(table.header.map(\.plainText) == ["A", "B", "C"])
        #expect(table.rows.count == 1)
        #expect(table.rows[0][0] == [.code("a|b")])
        #expect(table.rows[0][1].plainText == "x | y")
        #expect(table.rows[0][2] == [.emphasis([.text("z")])])
    }

    @Test func outerPipesAreOptional() {
        #expect(TableBlock.splitCells("| a | b |") == ["a", "b"])
        #expect(TableBlock.splitCells("a | b") == ["a", "b"])
    }

    @Test func raggedRowsAreReportedAtTheirLine() {
        let (table, problems) = TableBlock.parse("A | B\n1 | 2 | 3\n4\n", firstLine: 20)
        #expect(problems.map(\.line) == [21, 22])
        #expect(problems[0].message.contains("3 cells; the header has 2"))
        #expect(table.rows[1].count == 2)  // padded
    }

    @Test func emptyTableIsAProblem() {
        let (_, problems) = TableBlock.parse("\n", firstLine: 8)
        #expect(problems.count == 1 && problems[0].line == 7)
    }

    @Test func calloutsFromParagraphsAndBlockQuotes() {
        let blocks = CmarkParser.parse("💡 Tip: calibrate.\n\n⚠️ careful\n\n> ❗ Misconception: one.\n>\n> two.\n\n> plain quote\n")
        let (out, problems) = LessonExtensions.apply(blocks)
        #expect(problems.isEmpty)
        #expect(out[0].kind == .callout(.tip, [Block(.paragraph([.text("calibrate.")]), line: 1)]))
        #expect(out[1].kind == .callout(.warning, [Block(.paragraph([.text("careful")]), line: 3)]))
        guard case .callout(.misconception, let body) = out[2].kind else {
            Issue.record("expected a misconception callout, got \(out[2])")
            return
        }
        #expect(body.map(\.kind) == [.paragraph([.text("one.")]), .paragraph([.text("two.")])])
        guard case .blockQuote = out[3].kind else {
            Issue.record("a block quote without a marker stays a block quote")
            return
        }
    }
}
