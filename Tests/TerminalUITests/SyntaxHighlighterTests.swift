import Testing

@testable import TerminalUI

@Suite struct SyntaxHighlighterTests {
    func roles(_ line: String, _ language: SyntaxHighlighter.Language) -> [(String, TextStyle)] {
        var open: String?
        return SyntaxHighlighter.highlight(line, language: language, inString: &open).map { ($0.text, $0.style) }
    }

    @Test func pythonTokens() {
        let spans = roles("import torch  # comment", .python)
        #expect(spans.first! == ("import", SyntaxHighlighter.keywordStyle))
        #expect(spans.last! == ("# comment", SyntaxHighlighter.commentStyle))
        let call = roles("x = f('a', 3.5e-3)", .python)
        #expect(call.contains { $0 == ("'a'", SyntaxHighlighter.stringStyle) })
        #expect(call.contains { $0 == ("3.5e-3", SyntaxHighlighter.numberStyle) })
    }

    @Test func neverChangesTheText() {
        let samples: [(String, SyntaxHighlighter.Language)] = [
            ("let s = \"a \\\"q\\\" b\" // c", .swift), ("echo \"$HOME\" ${X} 'it''s' # x", .shell),
            ("[method] # m", .toml), ("bits = 4  # b", .toml), ("print(\"unterminated", .python), ("x = 0x1F + 12_000", .python),
        ]
        for (line, language) in samples {
            var open: String?
            let spans = SyntaxHighlighter.highlight(line, language: language, inString: &open)
            #expect(spans.map(\.text).joined() == line)
        }
    }

    @Test func tripleQuotedStringSpansLines() {
        var open: String?
        _ = SyntaxHighlighter.highlight("s = \"\"\"start", language: .python, inString: &open)
        #expect(open == "\"\"\"")
        let middle = SyntaxHighlighter.highlight("middle", language: .python, inString: &open)
        #expect(middle == [Span("middle", SyntaxHighlighter.stringStyle)])
        let end = SyntaxHighlighter.highlight("end\"\"\" + x", language: .python, inString: &open)
        #expect(open == nil)
        #expect(end.first == Span("end\"\"\"", SyntaxHighlighter.stringStyle))
    }

    @Test func languagesFromInfoStrings() {
        #expect(SyntaxHighlighter.Language(info: "py") == .python)
        #expect(SyntaxHighlighter.Language(info: "bash title") == .shell)
        #expect(SyntaxHighlighter.Language(info: "rust") == nil)
    }
}
