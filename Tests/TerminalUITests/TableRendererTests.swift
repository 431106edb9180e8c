import Testing

@testable import TerminalUI

@Suite struct TableRendererTests {
    @Test func narrowTablesStackRows() {
        let markdown = "```table\nFormat | Bits per weight | Bytes per block | Notes\nQ4_0 | 4.5 | 18 | nibbles\n```"
        let wide = MarkdownRendererTests().render(markdown, width: 80)
        #expect(wide.first!.hasPrefix("┌"))
        #expect(Set(wide.map { CellWidth.of($0) }).count == 1)
        let narrow = MarkdownRendererTests().render(markdown, width: 24)
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

    /// Columns as wide as their content: a rule of ─ two cells wider than each column, cells
    /// padded to the column's width between │ and one space each side.
    @Test func aTableThatFitsIsBoxedAtItsNaturalWidths() {
        #expect(
            MarkdownRendererTests().render("```table\nA | B\n1 | 22\n```", width: 40) == [
                "┌───┬────┐", "│ A │ B  │", "├───┼────┤", "│ 1 │ 22 │", "└───┴────┘",
            ])
    }

    /// 20 cells leave 13 for two columns (7 go to the frame): "Name" keeps its 4, "Note" gets 9,
    /// so "small and fast" wraps; a row of several lines puts a rule between all rows.
    @Test func wrappedCellsSeparateTheRows() {
        let lines = MarkdownRendererTests().render("```table\nName | Note\nq4 | small and fast\nq8 | big\n```", width: 20)
        #expect(
            lines == [
                "┌──────┬───────────┐", "│ Name │ Note      │", "├──────┼───────────┤", "│ q4   │ small and │", "│      │ fast      │",
                "├──────┼───────────┤", "│ q8   │ big       │", "└──────┴───────────┘",
            ])
        #expect(lines.allSatisfy { CellWidth.of($0) == 20 })
    }

    @Test func cellsAreAlignedInTerminalCells() {
        #expect(TableRenderer.align(StyledLine("ab"), width: 5, .left).plainText == "ab   ")
        #expect(TableRenderer.align(StyledLine("ab"), width: 5, .right).plainText == "   ab")
        // Centred: the odd cell goes to the right.
        #expect(TableRenderer.align(StyledLine("ab"), width: 5, .center).plainText == " ab  ")
        // "量" is two cells wide.
        #expect(TableRenderer.align(StyledLine("量"), width: 4, .center).plainText == " 量 ")
        #expect(TableRenderer.align(StyledLine("量"), width: 3, .right).plainText == " 量")
        // Already too wide: left as it is.
        #expect(TableRenderer.align(StyledLine("abcdef"), width: 4, .right).plainText == "abcdef")
    }

    @Test func theLongestWordIsMeasuredInCells() {
        #expect(TableRenderer.longestWord([Span("Bits per"), Span(" weight", TextStyle(bold: true))]) == 6)
        #expect(TableRenderer.longestWord([Span("日本語 x")]) == 6)
        #expect(TableRenderer.longestWord([]) == 0)
    }
}
