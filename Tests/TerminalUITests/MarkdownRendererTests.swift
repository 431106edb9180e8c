import Testing

@testable import TerminalUI

@Suite struct MarkdownRendererTests {
    func render(_ markdown: String, width: Int, style: OutputStyle = .plain) -> [String] {
        let (blocks, _) = LessonExtensions.apply(CmarkParser.parse(markdown))
        return MarkdownRenderer(width: width, style: style).render(blocks).map { style.serialize($0) }
    }

    @Test func plainInlineCodeKeepsBackticksAndLinksShowURLs() {
        let lines = render("Use `Q8_0`, see [docs](https://e.org).", width: 80)
        #expect(lines == ["Use `Q8_0`, see docs <https://e.org>."])
    }

    @Test func headingsAreUnderlinedToTheirWidth() {
        #expect(render("# Title\n\n## Sub 量", width: 40) == ["Title", "═════", "", "Sub 量", "──────"])
    }

    @Test func codeFrameLinesHaveEqualWidth() {
        let lines = render("```python\nx = 1\na_very_long_line_of_code = something(with, many, arguments, that, overflow)\n```", width: 40)
        let widths = Set(lines.map { CellWidth.of($0) })
        #expect(widths == [40])
        #expect(lines[0].hasPrefix("┌─ python "))
        #expect(lines.contains { $0.hasPrefix("│ ↪ ") })
    }

    @Test func hardBreakPrefersSpacesInTheSecondHalf() {
        let lines = MarkdownRenderer.hardBreak([Span("alpha beta gamma")], first: 12, rest: 10).map(\.plainText)
        #expect(lines == ["alpha beta ", "gamma"])
        let noSpace = MarkdownRenderer.hardBreak([Span("abcdefghij")], first: 4, rest: 4).map(\.plainText)
        #expect(noSpace == ["abcd", "efgh", "ij"])
    }

    @Test func orderedListNumbersAreRightAligned() {
        let lines = render("9. nine\n10. ten", width: 40)
        #expect(lines == [" 9. nine", "10. ten"])
    }

    @Test func calloutBoxFillsTheWidth() {
        let lines = render("💡 Tip: measure first.", width: 30)
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { CellWidth.of($0) == 30 })
        #expect(lines[1] == "│ measure first." + String(repeating: " ", count: 12) + " │")
    }

    @Test func narrowTablesStackRows() {
        let markdown = "```table\nFormat | Bits per weight | Bytes per block | Notes\nQ4_0 | 4.5 | 18 | nibbles\n```"
        let wide = render(markdown, width: 80)
        #expect(wide.first!.hasPrefix("┌"))
        #expect(Set(wide.map { CellWidth.of($0) }).count == 1)
        let narrow = render(markdown, width: 24)
        #expect(narrow == ["Format: Q4_0", "Bits per weight: 4.5", "Bytes per block: 18", "Notes: nibbles"])
    }

    @Test func columnWidthsShrinkToFit() {
        #expect(TableRenderer.columnWidths(natural: [5, 10], available: 20) == [5, 10])
        // The short column keeps its 10 cells; 30 and 40 share the other 30 in proportion.
        #expect(TableRenderer.columnWidths(natural: [30, 10, 40], available: 40) == [13, 10, 17])
        // Two rounds: 3 fits the first share (60/4 = 15), 18 the second (57/3 = 19); the two 50s
        // split 39 as 19 + 19 and the leftover cell goes to the leftmost.
        #expect(TableRenderer.columnWidths(natural: [3, 18, 50, 50], available: 60) == [3, 18, 20, 19])
    }

    @Test func questionCardsNeverShowAnswers() {
        let card = QuestionCard(number: 2, hint: "choose one", prompt: [.text("Which?")], choices: [[.text("x")], [.code("y")]])
        let lines = MarkdownRenderer(width: 40, style: .plain).render([Block(.question(card), line: 1)]).map(\.plainText)
        #expect(lines == ["❓ Question 2 (choose one)", "Which?", "  a) x", "  b) `y`"])
    }

    @Test func choiceLabelsContinuePastZ() {
        #expect(MarkdownRenderer.choiceLabel(0) == "a")
        #expect(MarkdownRenderer.choiceLabel(25) == "z")
        #expect(MarkdownRenderer.choiceLabel(26) == "aa")
    }
}
