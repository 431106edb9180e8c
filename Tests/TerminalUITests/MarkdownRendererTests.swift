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
