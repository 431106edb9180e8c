import Testing

@testable import TerminalUI

@Suite struct CellWidthTests {
    @Test(arguments: [
        ("a", 1), ("量", 2), ("한", 2), ("Ａ", 2), ("🦙", 2), ("❗", 2), ("💡", 2),
        ("e\u{301}", 1), ("⚠️", 2), ("⚠", 1), ("👨‍👩‍👧", 2), ("🇫🇷", 2), ("\u{7}", 0), ("\u{200B}", 0),
    ])
    func characterWidth(_ text: String, _ expected: Int) {
        #expect(text.count == 1)
        #expect(CellWidth.of(Character(text)) == expected)
    }

    @Test func combiningMarkAloneIsZeroWide() {
        #expect(CellWidth.of(Unicode.Scalar(0x301)!) == 0)
        #expect(CellWidth.of(Unicode.Scalar(0x5B57)!) == 2)  // 字
    }

    @Test func stringWidthSumsGraphemes() {
        #expect(CellWidth.of("a量🦙") == 5)
        #expect(CellWidth.of("Q4_K_M") == 6)
        #expect(CellWidth.of("cafe\u{301} 量子化") == 11)
        #expect(CellWidth.of("") == 0)
    }

    @Test func tablesAreSortedAndDisjoint() {
        for table in [CellWidthTables.wide, CellWidthTables.zero, CellWidthTables.vs16Wide] {
            for (a, b) in zip(table, table.dropFirst()) {
                #expect(a.upperBound < b.lowerBound)
            }
        }
    }
}
