/// Lays out a `TableBlock` in a box: columns as wide as their content when that fits, otherwise
/// shrunk toward their longest word with cells wrapped; cells aligned per column. When even one
/// cell per column cannot fit, each row is shown as "header: value" lines instead.
struct TableRenderer {
    let renderer: MarkdownRenderer

    func render(_ table: TableBlock, width: Int) -> [StyledLine] {
        let columns = table.header.count
        guard columns > 0 else { return [] }
        let headerStyle = TextStyle(bold: true)
        let header = table.header.map { renderer.spans($0, base: headerStyle) }
        let rows = table.rows.map { row in row.map { renderer.spans($0) } }

        let available = width - (3 * columns + 1)
        guard available >= 3 * columns else { return stacked(header: header, rows: rows, width: width) }

        let all = [header] + rows
        let natural = (0..<columns).map { c in all.map { Self.width($0[c]) }.max() ?? 0 }
        let longestWord = (0..<columns).map { c in all.map { Self.longestWord($0[c]) }.max() ?? 0 }
        let widths = Self.columnWidths(natural: natural, minimum: longestWord, available: available)

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

    /// Column widths that fit `available` cells: natural widths when they fit; otherwise start
    /// from each column's longest word (capped at an even share) and hand the remaining cells, one
    /// at a time, to the column that lacks the most.
    static func columnWidths(natural: [Int], minimum: [Int], available: Int) -> [Int] {
        let natural = natural.map { max($0, 1) }
        if natural.reduce(0, +) <= available { return natural }
        let share = max(available / natural.count, 1)
        var widths = zip(minimum, natural).map { max(min($0, share, $1), 1) }
        var remaining = available - widths.reduce(0, +)
        while remaining > 0 {
            var best = -1
            var bestDeficit = 0
            for (c, w) in widths.enumerated() where natural[c] - w > bestDeficit {
                best = c
                bestDeficit = natural[c] - w
            }
            if best < 0 { break }
            widths[best] += 1
            remaining -= 1
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

    static func width(_ spans: [Span]) -> Int {
        spans.reduce(0) { $0 + CellWidth.of($1.text) }
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
