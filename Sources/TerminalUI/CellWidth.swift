/// Width of text in terminal cells: East Asian wide and fullwidth characters and emoji take 2
/// cells, combining marks and other zero-width code points take 0, everything else 1. Measured per
/// grapheme cluster (Swift `Character`), so "é" written as e + U+0301 is 1 cell and a ZWJ emoji
/// sequence is 2. Tables: `CellWidthTables.swift`, generated from the Unicode data.
public enum CellWidth {
    /// Cells taken by one code point on its own.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v == 0 { return 0 }
        if v < 0x20 || (v >= 0x7F && v < 0xA0) { return 0 }  // C0/C1 controls print nothing
        if v < 0x300 { return 1 }  // fast path: Latin
        if contains(CellWidthTables.zero, v) { return 0 }
        if contains(CellWidthTables.wide, v) { return 2 }
        return 1
    }

    /// Cells taken by one grapheme cluster.
    public static func of(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if scalars.count == 1 { return of(first) }
        var width = 0
        var emojiPresentation = false
        for scalar in scalars {
            if scalar.value == 0xFE0F { emojiPresentation = true }
            width = max(width, of(scalar))
        }
        if emojiPresentation && contains(CellWidthTables.vs16Wide, first.value) { width = 2 }
        return width
    }

    /// Cells taken by a string.
    public static func of<S: StringProtocol>(_ text: S) -> Int {
        var total = 0
        for character in text { total += of(character) }
        return total
    }

    private static func contains(_ table: [ClosedRange<UInt32>], _ value: UInt32) -> Bool {
        var lo = 0
        var hi = table.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            if value < table[mid].lowerBound {
                hi = mid - 1
            } else if value > table[mid].upperBound {
                lo = mid + 1
            } else {
                return true
            }
        }
        return false
    }
}
