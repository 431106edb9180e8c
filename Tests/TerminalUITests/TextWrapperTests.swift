import Testing

@testable import TerminalUI

@Suite struct TextWrapperTests {
    func texts(_ lines: [StyledLine]) -> [String] { lines.map(\.plainText) }

    @Test func greedyWrapAtWordBoundaries() {
        let lines = TextWrapper.wrap([Span("aaa bbb ccc dd")], width: 7)
        #expect(texts(lines) == ["aaa bbb", "ccc dd"])
    }

    @Test func collapsesRunsOfSpaces() {
        #expect(texts(TextWrapper.wrap([Span("a    b")], width: 10)) == ["a b"])
    }

    @Test func breaksWordsLongerThanALine() {
        #expect(texts(TextWrapper.wrap([Span("abcdefghij xy")], width: 4)) == ["abcd", "efgh", "ij", "xy"])
    }

    @Test func wideCharactersCountTwoCells() {
        #expect(texts(TextWrapper.wrap([Span("量子化量子化")], width: 5)) == ["量子", "化量", "子化"])
        #expect(texts(TextWrapper.wrap([Span("ab 🦙🦙 cd")], width: 6)) == ["ab", "🦙🦙", "cd"])
    }

    @Test func newlineForcesABreak() {
        #expect(texts(TextWrapper.wrap([Span("one\ntwo three")], width: 20)) == ["one", "two three"])
    }

    @Test func keepsStylesAcrossLines() {
        let bold = TextStyle(bold: true)
        let lines = TextWrapper.wrap([Span("plain "), Span("bold words here", bold)], width: 10)
        #expect(texts(lines) == ["plain bold", "words here"])
        #expect(lines[0].spans.last == Span("bold", bold))
        #expect(lines[1].spans.allSatisfy { $0.style == bold })
    }

    @Test func wordsSpanningStylesStayTogether() {
        let lines = TextWrapper.wrap([Span("xx "), Span("bold", TextStyle(bold: true)), Span(", next")], width: 7)
        #expect(texts(lines) == ["xx", "bold,", "next"])
    }

    @Test func noLineIsWiderThanTheWidth() {
        let text = "Quantization 量子化 stores weights with fewer bits 🦙 e\u{301}e\u{301} supercalifragilistic words, Q4_K_M and Q8_0."
        // From 2 cells up: a 2-cell character cannot fit a 1-cell line (the renderer never goes below 20).
        for width in 2...40 {
            for line in TextWrapper.wrap([Span(text)], width: width) {
                #expect(line.width <= width, "width \(width): \(line.plainText)")
            }
        }
    }
}
