import Foundation
import TestSupport
import Testing

@testable import CourseContent

@Suite struct TOMLDocumentTests {
    @Test func valuesAndKeyLines() throws {
        let doc = try TOMLDocument(parsing: "a = 1\nb = [1.5, \"x\"]\n\n[feedback]\n\"2\" = \"why\"\nflag = true\n")
        #expect(doc.root["a"] == .integer(1))
        #expect(doc.root["b"] == .array([.float(1.5), .string("x")]))
        #expect(doc.root["feedback"] == .table(["2": .string("why"), "flag": .bool(true)]))
        #expect(doc.line(of: "b") == 2)
        #expect(doc.line(of: "2", in: "feedback") == 5)
        #expect(doc.line(of: "missing", in: "feedback") == 4)
        #expect(doc.line(of: "missing") == 1)
    }

    @Test func syntaxErrorsCarryTheLine() {
        #expect(throws: TOMLSyntaxError.self) { try TOMLDocument(parsing: "a = 1\nb = \n") }
        do {
            _ = try TOMLDocument(parsing: "a = 1\nb = \"open\n")
            Issue.record("an unclosed string was accepted")
        } catch {
            #expect(error.line == 2)
        }
    }

    /// toml++ (the parser QuantLab used before its own) aborted the process on these; each must be a
    /// syntax error on the header's line.
    @Test(arguments: ["[+x]", "a = 1\n[ @x]", "[[+x]]", "[.]", "\n\n[\t%]\n", "[\n[t]]", "x = 1\n["])
    func headersThatWouldAbortAreSyntaxErrors(_ text: String) {
        do {
            _ = try TOMLDocument(parsing: text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.message.hasPrefix("expected a key"), "\(error.message)")
            #expect(error.line == text.prefix(while: { $0 != "[" }).filter { $0 == "\n" }.count + 1)
        }
    }

    /// Found by scripts/dev/fuzz.sh: a byte-order mark, `[`, a control character, a quote. toml++
    /// asserted in parse_key (the process aborted).
    @Test func controlCharactersAreSyntaxErrorsWithTheirPlace() {
        #expect(
            throws: TOMLSyntaxError(line: 1, column: 3, message: "expected a key (letters, digits, _ or -, or a quoted name), found U+0001")
        ) {
            try TOMLDocument(parsing: "\u{FEFF}[\u{01}\"")
        }
        #expect(
            throws: TOMLSyntaxError(line: 2, column: 6, message: "control character U+007F is not allowed in a string; write it as an escape such as \\u007F")
        ) {
            try TOMLDocument(parsing: "a = 1\nb = \"\u{7F}\"")
        }
    }

    /// A byte-order mark does not hide a header from the guard, and a file with one still parses.
    @Test func aByteOrderMarkStartsTheFirstLine() throws {
        do {
            _ = try TOMLDocument(parsing: "\u{FEFF}[+x]\n")
            Issue.record("accepted a header starting with +")
        } catch {
            #expect(error.message.hasPrefix("expected a key") && error.line == 1, "\(error.message)")
        }
        #expect(try TOMLDocument(parsing: "\u{FEFF}method = \"rtn\"\n").root == ["method": .string("rtn")])
    }

    @Test(arguments: ["a = [1, }", "a = ['b',}]", "a = {b = [1,}}", "a = [}]"])
    func mismatchedClosingBracketsAreSyntaxErrors(_ text: String) {
        #expect(throws: TOMLSyntaxError.self) { try TOMLDocument(parsing: text) }
    }

    @Test(arguments: [
        ("a = [\n[+3],\n]", ["a": TOMLNode.array([.array([.integer(3)])])]),
        ("s = \"\"\"\n[+x]\n\"\"\"", ["s": .string("[+x]\n")]),
        ("s = '''\n[@]\n'''", ["s": .string("[@]\n")]),
        ("t = { a = [\n[-1]] }", ["t": .table(["a": .array([.array([.integer(-1)])])])]),
        ("# [+x]\n[ok]", ["ok": .table([:])]),
    ])
    func bracketsInsideValuesStringsAndCommentsAreNotHeaders(_ text: String, _ expected: [String: TOMLNode]) throws {
        #expect(try TOMLDocument(parsing: text).root == expected)
    }

    @Test func mutatedTOMLNeverAbortsTheProcess() {
        let original =
            "id = \"q\"\ntype = \"single\"\nchoices = [\"a\", 'b', \"\"\"c\"\"\"]\nanswer = [1, 2]\n[feedback]\n\"1\" = \"x\"\n[[t.u]]\nv = { w = 1.5e3 }\n"
        let fragments = ["[", "[[", "]", "+", "@", ".", "\"", "'", "\"\"\"", "'''", "\n", " ", "=", "{", "}", "#", "\\", ",", "\t", "x"]
        var fuzz = FuzzOptions(iterations: 3000, seed: 2026)
        let iterations = fuzz.iterations
        var parsed = 0
        for _ in 0..<iterations {
            var chars = Array(original.unicodeScalars)
            for _ in 0..<Int.random(in: 1...4, using: &fuzz.rng) {
                let at = Int.random(in: 0...chars.count, using: &fuzz.rng)
                if Bool.random(using: &fuzz.rng) || chars.isEmpty {
                    chars.insert(contentsOf: fragments.randomElement(using: &fuzz.rng)!.unicodeScalars, at: at)
                } else {
                    chars.remove(at: min(at, chars.count - 1))
                }
            }
            var text = ""
            text.unicodeScalars.append(contentsOf: chars)
            fuzz.dump(text)
            if (try? TOMLDocument(parsing: text)) != nil { parsed += 1 }
        }
        #expect(parsed > 0 && parsed < iterations)
    }
}
