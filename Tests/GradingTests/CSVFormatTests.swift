import CourseContent
import Testing

@testable import Grading

@Suite struct CSVFormatTests {
    @Test func fieldsAreQuotedOnlyWhereNeeded() {
        #expect(CSVFormat.field("plain text") == "plain text")
        #expect(CSVFormat.field("a,b") == "\"a,b\"")
        #expect(CSVFormat.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSVFormat.field("two\nlines") == "\"two\nlines\"")
        #expect(CSVFormat.field("crlf\r\nline") == "\"crlf\r\nline\"")  // one Character, still quoted
        #expect(CSVFormat.field("") == "")
        #expect(CSVFormat.line(["a", "b,c", ""]) == "a,\"b,c\",\n")
    }

    /// Spreadsheets run a cell that starts with = + - @ as a formula; numbers are left alone.
    @Test func formulasAreDefusedButNumbersAreNot() {
        #expect(CSVFormat.field("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"")
        #expect(CSVFormat.field("@SUM(A1)") == "'@SUM(A1)" && CSVFormat.field("+1 mark") == "'+1 mark")
        #expect(CSVFormat.field("-0.25") == "-0.25" && CSVFormat.field("+3") == "+3" && CSVFormat.field("-1e-5") == "-1e-5")
    }

    @Test func recordsReadBackWhatWasWritten() throws {
        let fields = ["s01", "02-int8,granularity", "say \"hi\"", "", "=x"]
        let line = CSVFormat.line(fields)
        #expect(try CSVFormat.record(String(line.dropLast())) == ["s01", "02-int8,granularity", "say \"hi\"", "", "'=x"])
        #expect(try CSVFormat.record(" a , \"b\" ,c") == ["a", "b", "c"])
        #expect(try CSVFormat.record("\"\",x") == ["", "x"])
        #expect(try CSVFormat.record("x\"y,z") == ["x\"y", "z"])  // a quote inside an unquoted field is text
        #expect(try CSVFormat.record("") == [""])
    }

    @Test func malformedQuotesAreRefusedNotSwallowed() {
        #expect(throws: ResponseError(message: "a quoted field is not closed")) { try CSVFormat.record("s1,\"02-x,90") }
        #expect(throws: ResponseError(message: "text after a closing quote in field 2; quote the whole field and double the quotes inside it")) {
            try CSVFormat.record("a,\"x\"y,z")
        }
    }
}
