import Testing

@testable import TerminalUI

@Suite struct StyledTextTests {
    @Test func colourOnlyOnATerminalWithoutNoColor() {
        #expect(OutputStyle.detect(isTTY: true, environment: [:]) == .terminal)
        #expect(OutputStyle.detect(isTTY: false, environment: [:]) == .plain)
        #expect(OutputStyle.detect(isTTY: true, environment: ["NO_COLOR": "1"]) == .plain)
        #expect(OutputStyle.detect(isTTY: true, environment: ["TERM": "dumb"]) == .plain)
        // An empty NO_COLOR does not count (no-color.org).
        #expect(OutputStyle.detect(isTTY: true, environment: ["NO_COLOR": ""]) == .terminal)
    }

    @Test func plainSerializationHasNoEscapes() {
        let line = StyledLine([Span("bold", TextStyle(bold: true, color: .red, link: "https://x.org")), Span(" text   ")])
        #expect(OutputStyle.plain.serialize(line) == "bold text")
    }

    @Test func terminalSerializationWritesSGRAndOSC8() {
        let line = StyledLine([
            Span("a", TextStyle(bold: true)), Span("b", TextStyle(bold: true)),
            Span("link", TextStyle(underline: true, link: "https://x.org")),
        ])
        let out = OutputStyle.terminal.serialize(line)
        #expect(out == "\u{1B}[1mab\u{1B}[0m\u{1B}]8;;https://x.org\u{1B}\\\u{1B}[4mlink\u{1B}[0m\u{1B}]8;;\u{1B}\\")
    }

    /// SGR parameters in a fixed order: bold 1, dim 2, italic 3, underline 4, then the colour.
    @Test func stylesBecomeSGRParameters() {
        #expect(TextStyle(bold: true, italic: true, underline: true, dim: true, color: .cyan).sgr == "1;2;3;4;36")
        #expect(TextStyle(color: .gray).sgr == "90")
        #expect(TextStyle.plain.sgr == "")
        #expect(OutputStyle.terminal.serialize(StyledLine("x", TextStyle(dim: true, color: .red))) == "\u{1B}[2;31mx\u{1B}[0m")
    }

    /// Colours without hyperlinks (and the other way round) write only their own sequences.
    @Test func coloursAndLinksAreSeparateChoices() {
        let line = StyledLine([Span("a", TextStyle(bold: true, link: "https://x.org"))])
        #expect(OutputStyle(colors: true, hyperlinks: false).serialize(line) == "\u{1B}[1ma\u{1B}[0m")
        #expect(OutputStyle(colors: false, hyperlinks: true).serialize(line) == "\u{1B}]8;;https://x.org\u{1B}\\a\u{1B}]8;;\u{1B}\\")
        // A plain span in colour output has no escape at all.
        #expect(OutputStyle.terminal.serialize(StyledLine("plain")) == "plain")
    }

    /// Width counts terminal cells: wide characters take two, combining marks none.
    @Test func widthIsInCellsAndPaddingFillsIt() {
        let line = StyledLine([Span("量子"), Span("e\u{301}", TextStyle(bold: true))])
        #expect(line.width == 5 && line.plainText == "量子e\u{301}")
        let padded = line.padded(to: 8)
        #expect(padded.width == 8 && padded.spans.last == Span("   "))
        #expect(line.padded(to: 3) == line)
        #expect((StyledLine("a") + StyledLine("b", TextStyle(bold: true))).spans == [Span("a"), Span("b", TextStyle(bold: true))])
        #expect(StyledLine("").spans.isEmpty)
        var appended = StyledLine("a")
        appended.append("")
        #expect(appended.spans.count == 1)
    }

    /// Neighbouring spans of one style merge (one escape sequence for them); trailing spaces go,
    /// across spans.
    @Test func serializationMergesStylesAndTrimsTrailingSpaces() {
        let bold = TextStyle(bold: true)
        let line = StyledLine([Span("a", bold), Span("b", bold), Span("c"), Span("d", bold)])
        #expect(line.coalesced().spans == [Span("ab", bold), Span("c"), Span("d", bold)])
        let trailing = StyledLine([Span("x "), Span("  ", bold), Span(" ")])
        #expect(trailing.trimmingTrailingSpaces().spans == [Span("x")])
        #expect(OutputStyle.plain.serialize([StyledLine("one  "), StyledLine(), StyledLine("two")]) == "one\n\ntwo\n")
    }
}
