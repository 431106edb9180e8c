/// The course's extensions to CommonMark, recognised in an already parsed document so that the
/// files stay plain CommonMark (see lessons/README.md):
/// - a fenced block with info string `table` is a table: a header line, an optional alignment line
///   (`:--- | ---: | :---:`), then rows; cells separated by `|` and holding inline Markdown;
/// - a paragraph starting with `💡 Tip:`, `⚠️` or `❗ Misconception:` is a boxed callout, and so is a
///   block quote whose first paragraph starts with one (for callouts of several paragraphs).
public enum LessonExtensions {
    /// A problem found while applying the extensions, at a file line.
    public struct Problem: Equatable, Sendable {
        public var line: Int
        public var message: String
    }

    public static func apply(_ blocks: [Block]) -> (blocks: [Block], problems: [Problem]) {
        var problems: [Problem] = []
        let result = blocks.map { transform($0, problems: &problems) }
        return (result, problems)
    }

    private static func transform(_ block: Block, problems: inout [Problem]) -> Block {
        switch block.kind {
        case .codeBlock(let info, let literal) where info.trimming(" ") == "table":
            let (table, tableProblems) = TableBlock.parse(literal, firstLine: block.line + 1)
            problems += tableProblems
            return Block(.table(table), line: block.line)
        case .paragraph(let inlines):
            if let (kind, rest) = callout(in: inlines) {
                return Block(.callout(kind, rest.isEmpty ? [] : [Block(.paragraph(rest), line: block.line)]), line: block.line)
            }
            return block
        case .blockQuote(let children):
            let inner = children.map { transform($0, problems: &problems) }
            if let first = children.first, case .paragraph(let inlines) = first.kind, let (kind, rest) = callout(in: inlines) {
                var body = Array(inner.dropFirst())
                if !rest.isEmpty { body.insert(Block(.paragraph(rest), line: first.line), at: 0) }
                return Block(.callout(kind, body), line: block.line)
            }
            return Block(.blockQuote(inner), line: block.line)
        case .list(var list):
            list.items = list.items.map { item in item.map { transform($0, problems: &problems) } }
            return Block(.list(list), line: block.line)
        default:
            return block
        }
    }

    /// The callout a paragraph opens, and the paragraph without its marker.
    static func callout(in inlines: [Inline]) -> (CalloutKind, [Inline])? {
        guard case .text(let first)? = inlines.first else { return nil }
        for kind in CalloutKind.allCases {
            for marker in kind.markers where first.hasPrefix(marker) {
                let remainder = String(first.dropFirst(marker.count).drop(while: { $0 == " " }))
                var rest = Array(inlines.dropFirst())
                if !remainder.isEmpty {
                    rest.insert(.text(remainder), at: 0)
                } else if case .softBreak? = rest.first {
                    rest.removeFirst()
                }
                return (kind, rest)
            }
        }
        return nil
    }
}

extension TableBlock {
    /// Parses the body of a `table` fence. `firstLine` is the file line of the fence's first
    /// content line, used in problems.
    public static func parse(_ literal: String, firstLine: Int) -> (TableBlock, [LessonExtensions.Problem]) {
        var problems: [LessonExtensions.Problem] = []
        var rows: [(line: Int, cells: [String])] = []
        for (offset, raw) in literal.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = raw.trimming(" ")
            if text.isEmpty { continue }
            rows.append((firstLine + offset, splitCells(text)))
        }
        guard let header = rows.first else {
            problems.append(.init(line: firstLine - 1, message: "empty table: a `table` block needs a header line with cells separated by |"))
            return (TableBlock(header: [], alignments: [], rows: []), problems)
        }
        var body = Array(rows.dropFirst())
        var alignments = Array(repeating: ColumnAlignment.left, count: header.cells.count)
        if let second = body.first, let parsed = alignmentRow(second.cells) {
            if parsed.count != header.cells.count {
                problems.append(.init(line: second.line, message: "table alignment line has \(parsed.count) cells; the header has \(header.cells.count)"))
            }
            for (i, a) in parsed.enumerated() where i < alignments.count { alignments[i] = a }
            body.removeFirst()
        }
        for row in body where row.cells.count != header.cells.count {
            problems.append(
                .init(
                    line: row.line,
                    message: "table row has \(row.cells.count) cells; the header has \(header.cells.count) (separate cells with |, write \\| for a literal bar)"
                ))
        }
        let columns = header.cells.count
        let cells: [[[Inline]]] = body.map { row in
            (0..<columns).map { i in i < row.cells.count ? CmarkParser.parseInlines(row.cells[i]) : [] }
        }
        return (TableBlock(header: header.cells.map(CmarkParser.parseInlines), alignments: alignments, rows: cells), problems)
    }

    /// Splits a table line on `|`, except `\|` and bars inside `code`; an outer leading or trailing
    /// bar is optional.
    static func splitCells(_ line: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var inCode = false
        var previous: Character = " "
        for character in line {
            if character == "`" { inCode.toggle() }
            if character == "|" && !inCode && previous != "\\" {
                cells.append(current)
                current = ""
            } else if character == "|" && previous == "\\" && !inCode {
                current.removeLast()
                current.append("|")
            } else {
                current.append(character)
            }
            previous = character
        }
        cells.append(current)
        if line.hasPrefix("|") { cells.removeFirst() }
        if line.hasSuffix("|") && !line.hasSuffix("\\|") && cells.count > 1 { cells.removeLast() }
        return cells.map { $0.trimming(" ") }
    }

    static func alignmentRow(_ cells: [String]) -> [ColumnAlignment]? {
        var result: [ColumnAlignment] = []
        for cell in cells {
            let dashes = cell.filter { $0 != ":" }
            guard !dashes.isEmpty, dashes.allSatisfy({ $0 == "-" }) else { return nil }
            switch (cell.hasPrefix(":"), cell.hasSuffix(":")) {
            case (true, true): result.append(.center)
            case (false, true): result.append(.right)
            default: result.append(.left)
            }
        }
        return result
    }
}
