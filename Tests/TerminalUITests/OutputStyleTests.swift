import Testing

@testable import TerminalUI

@Suite struct OutputStyleTests {
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
}
