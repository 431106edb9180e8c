/// Lays out a `TableBlock` in a box: columns as wide as their content when that fits, otherwise
/// shrunk toward their longest word with cells wrapped; cells aligned per column. When the
/// columns cannot hold their words, each row is shown as "header: value" lines instead.
struct TableRenderer {
    let renderer: MarkdownRenderer

    func render(_ table: TableBlock, width: Int) -> [StyledLine] {
        let columns = table.header.count
        guard columns > 0 else { return [] }
        let headerStyle = TextStyle(bold: true)
        let header = table.header.map { renderer.spans($0, base: headerStyle) }
        let rows = table.rows.map { row in row.map { renderer.spans($0) } }

        let available = width - (3 * columns + 1)
        let all = [header] + rows
        let natural = (0..<columns).map { c in all.map { StyledLine($0[c]).width }.max() ?? 0 }
        let longestWord = (0..<columns).map { c in all.map { Self.longestWord($0[c]) }.max() ?? 0 }
        // Too narrow for the words of every column (words up to 16 cells count whole): one
        // "header: value" line per cell reads better than words cut to pieces.
        if longestWord.map({ min($0, 16) }).reduce(0, +) > available {
            return stacked(header: header, rows: rows, width: width)
        }
        let widths = Self.columnWidths(natural: natural, available: available)

        let frame = MarkdownRenderer.frameStyle
        func rule(_ left: String, _ middle: String, _ right: String) -> StyledLine {
            StyledLine(left + widths.map { String(repeating: "─", count: $0 + 2) }.joined(separator: middle) + right, frame)
        }
        func rowLines(_ cells: [[Span]]) -> [StyledLine] {
            let wrapped = (0..<columns).map { c in TextWrapper.wrap(cells[c], width: widths[c]) }
            let height = wrapped.map(\.count).max() ?? 1
            return (0..<height).map { lineIndex in
                var line = StyledLine("│", frame)
                for c in 0..<columns {
                    let content = lineIndex < wrapped[c].count ? wrapped[c][lineIndex] : StyledLine()
                    line = line + StyledLine(" ") + Self.align(content, width: widths[c], table.alignments[c]) + StyledLine(" ")
                    line.append("│", frame)
                }
                return line
            }
        }

        var lines = [rule("┌", "┬", "┐")]
        lines += rowLines(header)
        lines.append(rule("├", "┼", "┤"))
        let bodies = rows.map(rowLines)
        let separateRows = bodies.contains { $0.count > 1 }
        for (index, body) in bodies.enumerated() {
            if index > 0 && separateRows { lines.append(rule("├", "┼", "┤")) }
            lines += body
        }
        lines.append(rule("└", "┴", "┘"))
        return lines
    }

    /// Column widths that fit `available` cells: natural widths when they fit. Otherwise columns
    /// narrower than an even share of the space keep their natural width (repeatedly, as the
    /// share grows), and the wide ones split what is left in proportion to their natural widths.
    static func columnWidths(natural: [Int], available: Int) -> [Int] {
        let natural = natural.map { max($0, 1) }
        if natural.reduce(0, +) <= available { return natural }
        var widths = natural
        var open = Array(natural.indices)
        var space = available
        while true {
            let share = space / open.count
            let fits = open.filter { natural[$0] <= share }
            if fits.isEmpty || fits.count == open.count { break }
            for c in fits { space -= natural[c] }
            open.removeAll { fits.contains($0) }
        }
        let total = open.reduce(0) { $0 + natural[$1] }
        for c in open { widths[c] = max(space * natural[c] / total, 1) }
        // Hand out the cells lost to rounding, one each to the columns that lack the most.
        var left = available - widths.reduce(0, +)
        let neediest = open.sorted { (widths[$1] - natural[$1], $0) < (widths[$0] - natural[$0], $1) }
        for c in neediest where left > 0 {
            widths[c] += 1
            left -= 1
        }
        return widths
    }

    static func align(_ line: StyledLine, width: Int, _ alignment: ColumnAlignment) -> StyledLine {
        let missing = max(width - line.width, 0)
        switch alignment {
        case .left: return line.padded(to: width)
        case .right: return StyledLine(String(repeating: " ", count: missing)) + line
        case .center:
            let left = missing / 2
            return (StyledLine(String(repeating: " ", count: left)) + line).padded(to: width)
        }
    }

    static func longestWord(_ spans: [Span]) -> Int {
        let text = spans.map(\.text).joined()
        return text.split(separator: " ").map { CellWidth.of($0) }.max() ?? 0
    }

    /// Narrow fallback: every row as "header: value" lines, rows separated by a blank line.
    func stacked(header: [[Span]], rows: [[[Span]]], width: Int) -> [StyledLine] {
        var lines: [StyledLine] = []
        for (index, row) in rows.enumerated() {
            if index > 0 { lines.append(StyledLine()) }
            for (c, cell) in row.enumerated() {
                lines += TextWrapper.wrap(header[c] + [Span(": ", TextStyle(bold: true))] + cell, width: width)
            }
        }
        return lines
    }
}
