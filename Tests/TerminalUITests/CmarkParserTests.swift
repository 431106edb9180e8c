import Testing

@testable import TerminalUI

@Suite struct CmarkParserTests {
    @Test func blocksCarryFileLinesWithOffset() {
        let blocks = CmarkParser.parse("# Title\n\nText *em* and `code`.\n\n```python\nx = 1\n```\n", firstLine: 10)
        #expect(blocks.count == 3)
        #expect(blocks[0] == Block(.heading(level: 1, [.text("Title")]), line: 10))
        #expect(blocks[1] == Block(.paragraph([.text("Text "), .emphasis([.text("em")]), .text(" and "), .code("code"), .text(".")]), line: 12))
        #expect(blocks[2] == Block(.codeBlock(info: "python", literal: "x = 1\n"), line: 14))
    }

    @Test func listsKeepOrderStartAndTightness() {
        let blocks = CmarkParser.parse("3. a\n4. b\n\n- x\n\n- y\n")
        guard case .list(let ordered) = blocks[0].kind, case .list(let bullets) = blocks[1].kind else {
            Issue.record("expected two lists, got \(blocks)")
            return
        }
        #expect(ordered.ordered && ordered.start == 3 && ordered.tight && ordered.items.count == 2)
        #expect(!bullets.ordered && !bullets.tight && bullets.items.count == 2)
    }

    @Test func linksAndBreaks() {
        let blocks = CmarkParser.parse("[ggml](https://github.com/ggml-org/ggml \"t\")\\\nnext\nsoft")
        #expect(
            blocks == [
                Block(
                    .paragraph([
                        .link(url: "https://github.com/ggml-org/ggml", title: "t", [.text("ggml")]),
                        .lineBreak, .text("next"), .softBreak, .text("soft"),
                    ]), line: 1)
            ])
    }

    @Test func parseInlinesOfAFragment() {
        #expect(CmarkParser.parseInlines("**Q4_K** `x|y`") == [.strong([.text("Q4_K")]), .text(" "), .code("x|y")])
        #expect(CmarkParser.parseInlines("") == [])
    }

    @Test func libraryVersionIsReported() {
        #expect(CmarkParser.libraryVersion.split(separator: ".").count == 3)
    }
}
