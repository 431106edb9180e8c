/// Renders `Block` values as styled terminal lines of at most `width` cells.
///
/// The same layout serves both outputs: on a terminal, spans carry colours and OSC 8 links; in
/// plain output (pipes, `NO_COLOR`) inline code keeps its backticks and links show their URL, so
/// nothing is lost without escapes.
public struct MarkdownRenderer: Sendable {
    public var width: Int
    public var style: OutputStyle

    public init(width: Int, style: OutputStyle) {
        self.width = max(width, 20)
        self.style = style
    }

    public func render(_ blocks: [Block]) -> [StyledLine] {
        renderBlocks(blocks, width: width, depth: 0, tight: false)
    }

    // MARK: - Styles

    static let headingStyles: [TextStyle] = [
        TextStyle(bold: true, color: .cyan),
        TextStyle(bold: true, color: .cyan),
        TextStyle(bold: true),
        TextStyle(bold: true, italic: true),
    ]
    static let codeStyle = TextStyle(color: .yellow)
    static let linkStyle = TextStyle(underline: true, color: .blue)
    static let frameStyle = TextStyle(color: .gray)
    static let mutedStyle = TextStyle(dim: true)
    /// The narrowest a container's content may get before the container drops its decoration.
    static let minimumWidth = 8

    static func calloutStyle(_ kind: CalloutKind) -> TextStyle {
        switch kind {
        case .tip: return TextStyle(color: .green)
        case .warning: return TextStyle(color: .yellow)
        case .misconception: return TextStyle(color: .red)
        }
    }

    // MARK: - Blocks

    func renderBlocks(_ blocks: [Block], width: Int, depth: Int, tight: Bool) -> [StyledLine] {
        var lines: [StyledLine] = []
        for (index, block) in blocks.enumerated() {
            if index > 0 && !tight { lines.append(StyledLine()) }
            lines += renderBlock(block, width: width, depth: depth)
        }
        return lines
    }

    func renderBlock(_ block: Block, width: Int, depth: Int) -> [StyledLine] {
        // Deep nesting can leave little room: containers below `minimumWidth` drop their
        // decoration (bars, boxes, indents) so that no line grows wider than the terminal.
        let width = max(width, 1)
        switch block.kind {
        case .paragraph(let inlines):
            return TextWrapper.wrap(spans(inlines), width: width)
        case .heading(let level, let inlines):
            return heading(level: level, inlines, width: width)
        case .codeBlock(let info, let literal):
            return codeFrame(info: info, literal: literal, width: width)
        case .html(let raw):
            return raw.trimmingTrailingNewlines().split(separator: "\n", omittingEmptySubsequences: false)
                .flatMap { TextWrapper.wrap([Span(String($0), Self.mutedStyle)], width: width) }
        case .blockQuote(let children):
            if width - 2 < Self.minimumWidth { return renderBlocks(children, width: width, depth: depth, tight: false) }
            let inner = renderBlocks(children, width: width - 2, depth: depth, tight: false)
            return inner.map { StyledLine("│ ", Self.frameStyle) + $0 }
        case .list(let list):
            return renderList(list, width: width, depth: depth)
        case .thematicBreak:
            return [StyledLine(String(repeating: "─", count: width), Self.frameStyle)]
        case .table(let table):
            return TableRenderer(renderer: self).render(table, width: width)
        case .callout(let kind, let children):
            return callout(kind, children, width: width, depth: depth)
        case .question(let card):
            return question(card, width: width)
        }
    }

    func heading(level: Int, _ inlines: [Inline], width: Int) -> [StyledLine] {
        let style = Self.headingStyles[min(level, Self.headingStyles.count) - 1]
        var content = spans(inlines, base: style)
        if level >= 3 { content.insert(Span("▸ ", style), at: 0) }
        let lines = TextWrapper.wrap(content, width: width)
        guard level <= 2 else { return lines }
        let rule = level == 1 ? "═" : "─"
        let ruleWidth = lines.map(\.width).max() ?? 0
        return lines + [StyledLine(String(repeating: rule, count: ruleWidth), style)]
    }

    func renderList(_ list: ListBlock, width: Int, depth: Int) -> [StyledLine] {
        let bullets = ["•", "◦", "▪"]
        let lastNumber = list.start + max(list.items.count - 1, 0)
        let numberWidth = String(lastNumber).count
        let markerWidth = list.ordered ? numberWidth + 2 : 2
        var lines: [StyledLine] = []
        for (index, item) in list.items.enumerated() {
            if index > 0 && !list.tight { lines.append(StyledLine()) }
            let marker: String
            if list.ordered {
                let number = String(list.start + index)
                marker = String(repeating: " ", count: numberWidth - number.count) + number + ". "
            } else {
                marker = bullets[depth % bullets.count] + " "
            }
            if width - markerWidth < Self.minimumWidth {
                lines.append(StyledLine(marker, Self.frameStyle))
                lines += renderBlocks(item, width: width, depth: depth + 1, tight: list.tight)
                continue
            }
            let body = renderBlocks(item, width: width - markerWidth, depth: depth + 1, tight: list.tight)
            for (lineIndex, line) in (body.isEmpty ? [StyledLine()] : body).enumerated() {
                let prefix = lineIndex == 0 ? StyledLine(marker, Self.frameStyle) : StyledLine(String(repeating: " ", count: markerWidth))
                lines.append(line.spans.isEmpty && lineIndex > 0 ? line : prefix + line)
            }
        }
        return lines
    }

    /// A framed code block with its language in the top border and basic highlighting.
    func codeFrame(info: String, literal: String, width: Int) -> [StyledLine] {
        let language = SyntaxHighlighter.Language(info: info)
        let label = info.split(separator: " ").first.map(String.init) ?? ""
        let sourceLines = literal.trimmingTrailingNewlines()
            .replacingTabs()
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        let longest = sourceLines.map { CellWidth.of($0) }.max() ?? 0
        if width - 4 < Self.minimumWidth {
            return sourceLines.flatMap { Self.hardBreak([Span($0)], first: width, rest: width) }
        }
        let inner = max(min(width - 4, max(longest, CellWidth.of(label) + 2)), Self.minimumWidth)
        let frame = Self.frameStyle

        var lines: [StyledLine] = []
        var top = StyledLine("┌─", frame)
        if !label.isEmpty && CellWidth.of(label) + 3 <= inner {
            top.append(" ", frame)
            top.append(label, TextStyle(bold: true, color: .gray))
            top.append(" ", frame)
        }
        top.append(String(repeating: "─", count: max(inner + 2 - (top.width - 1), 0)) + "┐", frame)
        lines.append(top)

        var open: String?
        for source in sourceLines {
            let highlighted: [Span]
            if let language, style.colors {
                highlighted = SyntaxHighlighter.highlight(source, language: language, inString: &open)
            } else {
                highlighted = source.isEmpty ? [] : [Span(source)]
            }
            for (index, chunk) in Self.hardBreak(highlighted, first: inner, rest: inner - 2).enumerated() {
                var line = StyledLine("│ ", frame)
                if index > 0 { line.append("↪ ", Self.frameStyle) }
                line = line + chunk
                lines.append(line.padded(to: inner + 2) + StyledLine(" │", frame))
            }
        }
        lines.append(StyledLine("└" + String(repeating: "─", count: inner + 2) + "┘", frame))
        return lines
    }

    /// Cuts spans into lines of at most `first` cells, then `rest` cells. A line breaks after its
    /// last space when that space is in the line's second half (code reads better split between
    /// words), otherwise between characters.
    static func hardBreak(_ spans: [Span], first: Int, rest: Int) -> [StyledLine] {
        let cells: [(Character, TextStyle)] = spans.flatMap { span in span.text.map { ($0, span.style) } }
        var lines: [StyledLine] = []
        var start = 0
        var limit = first
        while start < cells.count {
            var used = 0
            var end = start
            while end < cells.count && used + CellWidth.of(cells[end].0) <= limit {
                used += CellWidth.of(cells[end].0)
                end += 1
            }
            if end == start { end = start + 1 }  // a character wider than the line still moves on
            if end < cells.count, let space = cells[start..<end].lastIndex(where: { $0.0 == " " }), space - start >= limit / 2 {
                end = space + 1
            }
            lines.append(line(from: cells[start..<end]))
            start = end
            limit = max(rest, 1)
        }
        return lines.isEmpty ? [StyledLine()] : lines
    }

    private static func line(from cells: ArraySlice<(Character, TextStyle)>) -> StyledLine {
        var line = StyledLine()
        for (character, style) in cells {
            if let last = line.spans.last, last.style == style {
                line.spans[line.spans.count - 1].text.append(character)
            } else {
                line.spans.append(Span(String(character), style))
            }
        }
        return line
    }

    func callout(_ kind: CalloutKind, _ children: [Block], width: Int, depth: Int) -> [StyledLine] {
        let border = Self.calloutStyle(kind)
        let titleStyle = TextStyle(bold: true, color: border.color)
        let inner = width - 4
        if inner < Self.minimumWidth {
            return TextWrapper.wrap([Span(kind.title, titleStyle)], width: width) + renderBlocks(children, width: width, depth: depth, tight: false)
        }
        var body = renderBlocks(children, width: inner, depth: depth, tight: false)
        var top = StyledLine("╭─ ", border)
        if CellWidth.of(kind.title) + 6 <= width {
            top.append(kind.title, titleStyle)
            top.append(" ", border)
        } else {
            // Too narrow for the title in the border: it opens the box's body instead.
            top = StyledLine("╭─", border)
            body = TextWrapper.wrap([Span(kind.title, titleStyle)], width: inner) + body
        }
        top.append(String(repeating: "─", count: max(width - 1 - top.width, 0)) + "╮", border)
        var lines = [top]
        for line in body {
            lines.append(StyledLine("│ ", border) + line.padded(to: inner) + StyledLine(" │", border))
        }
        lines.append(StyledLine("╰" + String(repeating: "─", count: width - 2) + "╯", border))
        return lines
    }

    /// A quiz question as the learner sees it before answering.
    public func question(_ card: QuestionCard, width: Int) -> [StyledLine] {
        let titleStyle = TextStyle(bold: true, color: .cyan)
        var title = [Span("❓ Question \(card.number)", titleStyle)]
        if !card.hint.isEmpty { title.append(Span(" (\(card.hint))", Self.mutedStyle)) }
        var lines = TextWrapper.wrap(title, width: width)
        lines += TextWrapper.wrap(spans(card.prompt), width: width)
        for (index, choice) in card.choices.enumerated() {
            let letter = Self.choiceLabel(index) + ") "
            let body = TextWrapper.wrap(spans(choice), width: width - 2 - letter.count)
            for (lineIndex, line) in body.enumerated() {
                let prefix =
                    lineIndex == 0
                    ? StyledLine("  ") + StyledLine(letter, TextStyle(bold: true))
                    : StyledLine(String(repeating: " ", count: 2 + letter.count))
                lines.append(prefix + line)
            }
        }
        return lines
    }

    /// "a", "b", … "z", "aa", …: the letter a learner types for a choice.
    public static func choiceLabel(_ index: Int) -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        return index < 26 ? String(letters[index]) : choiceLabel(index / 26 - 1) + String(letters[index % 26])
    }

    // MARK: - Inlines

    public func spans(_ inlines: [Inline], base: TextStyle = .plain) -> [Span] {
        var result: [Span] = []
        for inline in inlines { appendSpans(inline, base: base, to: &result) }
        return result
    }

    private func appendSpans(_ inline: Inline, base: TextStyle, to result: inout [Span]) {
        switch inline {
        case .text(let text):
            result.append(Span(text, base))
        case .code(let code):
            if style.colors {
                var s = base
                s.color = Self.codeStyle.color
                result.append(Span(code, s))
            } else {
                result.append(Span("`" + code + "`", base))
            }
        case .emphasis(let children):
            var s = base
            s.italic = true
            for child in children { appendSpans(child, base: s, to: &result) }
        case .strong(let children):
            var s = base
            s.bold = true
            for child in children { appendSpans(child, base: s, to: &result) }
        case .link(let url, _, let children):
            var s = base
            s.underline = true
            s.color = Self.linkStyle.color
            s.link = url
            for child in children { appendSpans(child, base: s, to: &result) }
            let text = children.plainText
            if !style.hyperlinks && !url.isEmpty && text != url && "mailto:" + text != url {
                result.append(Span(" <\(url)>", base))
            }
        case .image(let url, _, let alt):
            let text = alt.plainText
            result.append(Span("[image: \(text.isEmpty ? url : text)]", TextStyle(italic: true, link: url)))
            if !style.hyperlinks { result.append(Span(" <\(url)>", base)) }
        case .softBreak:
            result.append(Span(" ", base))
        case .lineBreak:
            result.append(Span("\n", base))
        case .html(let raw):
            result.append(Span(raw, Self.mutedStyle))
        }
    }
}

extension String {
    func replacingTabs() -> String {
        guard contains("\t") else { return self }
        var out = ""
        var column = 0
        for character in self {
            if character == "\t" {
                let n = 4 - column % 4
                out += String(repeating: " ", count: n)
                column += n
            } else {
                out.append(character)
                column = character == "\n" ? 0 : column + 1
            }
        }
        return out
    }
}
