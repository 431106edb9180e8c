/// A TOML 1.0 reader written for QuantLab's untrusted files (settings, exercise specs, front
/// matter, quiz blocks): every malformed input is a `TOMLSyntaxError` with its line and column,
/// never a crash. It replaces TOMLKit (toml++), which aborted the process on inputs that
/// coverage-guided fuzzing found faster than a guard in front of it could be patched (see
/// scripts/dev/fuzz.sh). Hand-written because no TOML package on this machine returns errors
/// for everything. It also records the line of every key, dotted keys included.
///
/// Values follow the specification (https://toml.io/en/v1.0.0): strings of all four kinds with
/// their escapes, integers (decimal, hex, octal, binary, `_` between digits), floats (with
/// `inf` and `nan`), booleans, date-times (kept as their text), arrays, inline tables, tables and
/// arrays of tables, and the rules against defining a key or a table twice.
struct TOMLParser {
    private let s: [Unicode.Scalar]
    private var i = 0
    private var line = 1
    private var lineStart = 0
    /// Root table under construction.
    private var root = Table()
    /// Path of the table the next key/value lines go into.
    private var current: [String] = []
    /// Line of each key by its full dotted path ("check.accuracy.metric"), and of each table header.
    private(set) var keyLines: [String: Int] = [:]

    /// A table being built: its entries, and how it came to exist (so that redefinitions are caught).
    private final class Table {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        /// Defined by a [header] (a second header for it is an error).
        var explicit = false
        /// Created by a dotted key or an inline table: closed to headers (inline: to everything).
        var dotted = false
        var inline = false
    }

    private enum Entry {
        case value(TOMLNode)
        case table(Table)
        /// An array of tables, `[[name]]`; the last element is the one keys go into.
        case tables([Table])
    }

    init(_ text: String) {
        s = Array(text.unicodeScalars)
    }

    static func parse(_ text: String) throws(TOMLSyntaxError) -> (root: [String: TOMLNode], keyLines: [String: Int]) {
        var parser = TOMLParser(text)
        try parser.document()
        return (Self.entries(parser.root), parser.keyLines)
    }

    // MARK: Document

    private mutating func document() throws(TOMLSyntaxError) {
        if peek() == "\u{FEFF}" { i += 1 }
        while true {
            skipWhitespace()
            guard let c = peek() else { return }
            switch c {
            case "#": try comment()
            case "\n": newline()
            case "\r":
                guard peek(1) == "\n" else { throw error("a carriage return must be followed by a line feed") }
                i += 1
                newline()
            case "[":
                try header()
                try endOfLine()
            default:
                try keyValue(into: current, inline: nil)
                try endOfLine()
            }
        }
    }

    /// After a header or key/value: spaces, an optional comment, then a line break or the end.
    private mutating func endOfLine() throws(TOMLSyntaxError) {
        skipWhitespace()
        if peek() == "#" { try comment() }
        switch peek() {
        case nil: return
        case "\n": newline()
        case "\r" where peek(1) == "\n":
            i += 1
            newline()
        default: throw error("expected the end of the line after the value, found \(describe(peek()))")
        }
    }

    private mutating func header() throws(TOMLSyntaxError) {
        let headerLine = line
        i += 1
        let array = peek() == "["
        if array { i += 1 }
        skipWhitespace()
        let path = try key()
        skipWhitespace()
        guard peek() == "]" else { throw error("a table header ends with ]\(array ? "]" : ""), found \(describe(peek()))") }
        i += 1
        if array {
            guard peek() == "]" else { throw error("an array-of-tables header ends with ]], found \(describe(peek()))") }
            i += 1
        }
        // Walk to the parent, creating implicit tables; the last segment is the header's own.
        var table = root
        var walked: [String] = []
        for name in path.dropLast() {
            walked.append(name)
            table = try descend(table, name, path: walked, forHeader: true)
        }
        let last = path.last!
        let full = path.joined(separator: ".")
        if array {
            switch table.entries[last] {
            case nil:
                let t = Table()
                t.explicit = true
                insert(table, last, .tables([t]))
            case .tables(let list)?:
                let t = Table()
                t.explicit = true
                table.entries[last] = .tables(list + [t])
            default: throw error("\(full) is already defined and is not an array of tables", line: headerLine)
            }
        } else {
            switch table.entries[last] {
            case nil:
                let t = Table()
                t.explicit = true
                insert(table, last, .table(t))
            case .table(let t)?:
                guard !t.explicit, !t.dotted, !t.inline else { throw error("table [\(full)] is defined twice", line: headerLine) }
                t.explicit = true
            default: throw error("\(full) is already defined as a value", line: headerLine)
            }
        }
        current = path
        keyLines[full] = headerLine
    }

    /// The table `name` inside `table`, created when absent; the last table of an array of tables.
    private mutating func descend(_ table: Table, _ name: String, path: [String], forHeader: Bool) throws(TOMLSyntaxError) -> Table {
        switch table.entries[name] {
        case nil:
            let t = Table()
            t.dotted = !forHeader
            insert(table, name, .table(t))
            return t
        case .table(let t)?:
            if t.inline { throw error("\(path.joined(separator: ".")) is an inline table and cannot be extended") }
            if !forHeader && t.explicit { throw error("\(path.joined(separator: ".")) is a table defined by a header; add keys under its header") }
            return t
        case .tables(let list)?:
            if !forHeader { throw error("\(path.joined(separator: ".")) is an array of tables; a dotted key cannot extend it") }
            return list.last!
        case .value?:
            throw error("\(path.joined(separator: ".")) is already a value, not a table")
        }
    }

    private func insert(_ table: Table, _ name: String, _ entry: Entry) {
        table.entries[name] = entry
        table.order.append(name)
    }

    /// `key = value` into the table at `base` (a header's path), or into `inline`.
    private mutating func keyValue(into base: [String], inline: Table?) throws(TOMLSyntaxError) {
        let keyLine = line
        let path = try key()
        skipWhitespace()
        guard peek() == "=" else { throw error("expected = after the key \(path.joined(separator: ".")), found \(describe(peek()))") }
        i += 1
        skipWhitespace()
        let value = try self.value()
        var table: Table
        if let inline {
            table = inline
        } else {
            table = root
            var walked: [String] = []
            for name in base {
                walked.append(name)
                table = try descend(table, name, path: walked, forHeader: true)
            }
        }
        var walked = base
        for name in path.dropLast() {
            walked.append(name)
            table = try descend(table, name, path: walked, forHeader: false)
        }
        let last = path.last!
        let full = (base + path).joined(separator: ".")
        guard table.entries[last] == nil else { throw error("the key \(full) is defined twice", line: keyLine) }
        if case .table(let t) = value { insert(table, last, .table(t)) } else if case .node(let n) = value { insert(table, last, .value(n)) }
        if inline == nil { keyLines[full] = keyLine }
    }

    // MARK: Keys

    /// A key: bare or quoted segments joined by dots.
    private mutating func key() throws(TOMLSyntaxError) -> [String] {
        var path: [String] = []
        while true {
            skipWhitespace()
            guard let c = peek() else { throw error("expected a key, found the end of the text") }
            if c == "\"" {
                path.append(try basicString())
            } else if c == "'" {
                path.append(try literalString())
            } else if Self.isBare(c) {
                var name = ""
                while let c = peek(), Self.isBare(c) {
                    name.unicodeScalars.append(c)
                    i += 1
                }
                path.append(name)
            } else {
                throw error("expected a key (letters, digits, _ or -, or a quoted name), found \(describe(c))")
            }
            skipWhitespace()
            guard peek() == "." else { return path }
            i += 1
        }
    }

    private static func isBare(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
    }

    // MARK: Values

    private enum Parsed {
        case node(TOMLNode)
        case table(Table)
    }

    private mutating func value() throws(TOMLSyntaxError) -> Parsed {
        guard let c = peek() else { throw error("expected a value, found the end of the text") }
        switch c {
        case "\"":
            if peek(1) == "\"" && peek(2) == "\"" { return .node(.string(try multilineString("\""))) }
            return .node(.string(try basicString()))
        case "'":
            if peek(1) == "'" && peek(2) == "'" { return .node(.string(try multilineString("'"))) }
            return .node(.string(try literalString()))
        case "[": return .node(try array())
        case "{": return .table(try inlineTable())
        case "t", "f": return .node(.bool(try boolean()))
        default:
            if c == "+" || c == "-" || c == "i" || c == "n" || ("0"..."9").contains(c) { return .node(try numberOrDate()) }
            throw error("expected a value (a string, number, boolean, date, array or inline table), found \(describe(c))")
        }
    }

    private mutating func boolean() throws(TOMLSyntaxError) -> Bool {
        if match("true") { return true }
        if match("false") { return false }
        throw error("expected true or false")
    }

    private mutating func array() throws(TOMLSyntaxError) -> TOMLNode {
        i += 1
        var items: [TOMLNode] = []
        while true {
            try skipArraySpace()
            guard let c = peek() else { throw error("an array is not closed with ]") }
            if c == "]" {
                i += 1
                return .array(items)
            }
            switch try value() {
            case .node(let n): items.append(n)
            case .table(let t): items.append(.table(Self.entries(t)))
            }
            try skipArraySpace()
            switch peek() {
            case ",": i += 1
            case "]":
                i += 1
                return .array(items)
            default: throw error("expected , or ] in an array, found \(describe(peek()))")
            }
        }
    }

    /// Whitespace, line breaks and comments, which arrays may hold between their values.
    private mutating func skipArraySpace() throws(TOMLSyntaxError) {
        while let c = peek() {
            if c == " " || c == "\t" {
                i += 1
            } else if c == "\n" {
                newline()
            } else if c == "\r" && peek(1) == "\n" {
                i += 1
                newline()
            } else if c == "#" {
                try comment()
            } else {
                return
            }
        }
    }

    private mutating func inlineTable() throws(TOMLSyntaxError) -> Table {
        i += 1
        let table = Table()
        table.inline = true
        skipWhitespace()
        if peek() == "}" {
            i += 1
            return table
        }
        while true {
            skipWhitespace()
            try keyValue(into: [], inline: table)
            skipWhitespace()
            switch peek() {
            case ",": i += 1
            case "}":
                i += 1
                Self.closeInline(table)
                return table
            default: throw error("expected , or } in an inline table (which stays on one line), found \(describe(peek()))")
            }
        }
    }

    /// Tables made by dotted keys inside an inline table are part of it: closed to later additions.
    private static func closeInline(_ table: Table) {
        table.inline = true
        for entry in table.entries.values {
            if case .table(let t) = entry { closeInline(t) }
        }
    }

    // MARK: Strings

    private mutating func basicString() throws(TOMLSyntaxError) -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("a string is not closed with \"") }
            switch c {
            case "\"":
                i += 1
                return String(out)
            case "\\": out.append(try escape())
            case "\n", "\r": throw error("a string is not closed with \" on its line (use \"\"\" for several lines)")
            default:
                try checkControl(c)
                out.append(c)
                i += 1
            }
        }
    }

    private mutating func literalString() throws(TOMLSyntaxError) -> String {
        i += 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else { throw error("a literal string is not closed with '") }
            if c == "'" {
                i += 1
                return String(out)
            }
            if c == "\n" || c == "\r" { throw error("a literal string is not closed with ' on its line (use ''' for several lines)") }
            try checkControl(c)
            out.append(c)
            i += 1
        }
    }

    /// A multi-line string: basic (`"""`, with escapes and line-ending backslashes) or literal
    /// (`'''`, taken as written). Up to two more quotes before the closing three belong to it.
    private mutating func multilineString(_ quote: Unicode.Scalar) throws(TOMLSyntaxError) -> String {
        let basic = quote == "\""
        i += 3
        try trimFirstNewline()
        var out = String.UnicodeScalarView()
        while true {
            guard let c = peek() else {
                throw error(basic ? "a multi-line string is not closed with \"\"\"" : "a multi-line literal string is not closed with '''")
            }
            if c == quote && peek(1) == quote && peek(2) == quote {
                var quotes = 3
                while peek(quotes) == quote && quotes < 5 { quotes += 1 }
                for _ in 0..<(quotes - 3) { out.append(quote) }
                i += quotes
                return String(out)
            }
            if basic && c == "\\" {
                // A backslash at the end of a line trims the line break and the whitespace after it.
                var j = i + 1
                while let w = peek(j - i), w == " " || w == "\t" { j += 1 }
                if peek(j - i) == "\n" || (peek(j - i) == "\r" && peek(j - i + 1) == "\n") {
                    i = j
                    while let w = peek(), w == " " || w == "\t" || w == "\n" || w == "\r" {
                        if w == "\n" { newline() } else { i += 1 }
                    }
                    continue
                }
                out.append(try escape())
                continue
            }
            if c == "\n" {
                out.append(c)
                newline()
                continue
            }
            if c == "\r" {
                guard peek(1) == "\n" else { throw error("a carriage return must be followed by a line feed") }
                out.append("\r")
                i += 1
                continue
            }
            try checkControl(c)
            out.append(c)
            i += 1
        }
    }

    /// A line break right after the opening quotes is not part of a multi-line string.
    private mutating func trimFirstNewline() throws(TOMLSyntaxError) {
        if peek() == "\n" {
            newline()
        } else if peek() == "\r" && peek(1) == "\n" {
            i += 1
            newline()
        }
    }

    private func checkControl(_ c: Unicode.Scalar) throws(TOMLSyntaxError) {
        if (c.value < 0x20 && c != "\t") || c.value == 0x7F {
            throw error("control character U+\(Self.hex(c.value, 4)) is not allowed in a string; write it as an escape such as \\u\(Self.hex(c.value, 4))")
        }
    }

    private mutating func escape() throws(TOMLSyntaxError) -> Unicode.Scalar {
        i += 1
        guard let c = peek() else { throw error("a string ends with a lone backslash") }
        i += 1
        switch c {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let count = c == "u" ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                guard let d = peek(), let digit = Self.hexDigit(d) else { throw error("\\\(c) needs \(count) hexadecimal digits") }
                value = value << 4 | digit
                i += 1
            }
            guard let scalar = Unicode.Scalar(value) else { throw error("\\\(c)\(Self.hex(value, count)) is not a Unicode scalar value") }
            return scalar
        default: throw error("\\\(Character(c)) is not an escape TOML knows (\\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)")
        }
    }

    // MARK: Numbers and dates

    private mutating func numberOrDate() throws(TOMLSyntaxError) -> TOMLNode {
        let start = i
        // The token runs to a character that ends a value (a space may sit inside a date-time:
        // 1979-05-27 07:32:00).
        var token = ""
        while let c = peek(), !(c == "," || c == "]" || c == "}" || c == "#" || c == "\n" || c == "\r" || c == " " || c == "\t") {
            token.unicodeScalars.append(c)
            i += 1
        }
        if Self.isDate(token), peek() == " ", let next = peek(1), ("0"..."9").contains(next) {
            i += 1
            token += " "
            while let c = peek(), !(c == "," || c == "]" || c == "}" || c == "#" || c == "\n" || c == "\r" || c == " " || c == "\t") {
                token.unicodeScalars.append(c)
                i += 1
            }
        }
        if let node = Self.dateTime(token) { return node }
        if let value = Self.integer(token) { return .integer(value) }
        if let value = Self.float(token) { return .float(value) }
        i = start
        throw error("\(token.isEmpty ? "nothing" : "\"\(token)\"") is not a TOML number, boolean or date")
    }

    static func integer(_ t: String) -> Int? {
        var text = Substring(t)
        var negative = false
        for prefix in ["0x", "0o", "0b"] where text.hasPrefix(prefix) {
            let radix = prefix == "0x" ? 16 : prefix == "0o" ? 8 : 2
            let digits = text.dropFirst(2)
            guard Self.underscoresOK(digits), !digits.isEmpty else { return nil }
            return Int(digits.replacingOccurrences(of: "_", with: ""), radix: radix)
        }
        if text.first == "+" || text.first == "-" {
            negative = text.first == "-"
            text = text.dropFirst()
        }
        guard !text.isEmpty, text.allSatisfy({ ("0"..."9").contains($0) || $0 == "_" }), Self.underscoresOK(text) else { return nil }
        if text.count > 1 && text.first == "0" { return nil }  // no leading zeros
        return Int((negative ? "-" : "") + text.replacingOccurrences(of: "_", with: ""))
    }

    static func float(_ t: String) -> Double? {
        var text = Substring(t)
        var sign = ""
        if text.first == "+" || text.first == "-" {
            sign = text.first == "-" ? "-" : ""
            text = text.dropFirst()
        }
        if text == "inf" { return sign == "-" ? -.infinity : .infinity }
        if text == "nan" { return .nan }
        // digits [. digits] [e [+-] digits], each digit run with single _ between digits.
        let lowered = text.lowercased()
        let exponentSplit = lowered.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
        let mantissa = exponentSplit[0]
        let exponent = exponentSplit.count == 2 ? exponentSplit[1] : nil
        guard exponent != nil || mantissa.contains(".") else { return nil }
        let mantissaParts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = mantissaParts[0]
        guard Self.isDigits(whole), !(whole.count > 1 && whole.first == "0") else { return nil }
        if mantissaParts.count == 2 { guard Self.isDigits(mantissaParts[1]) else { return nil } }
        if var e = exponent {
            if e.first == "+" || e.first == "-" { e = e.dropFirst() }
            guard Self.isDigits(e) else { return nil }
        }
        return Double(sign + lowered.replacingOccurrences(of: "_", with: ""))
    }

    /// Digits with single underscores between them.
    private static func isDigits(_ t: Substring) -> Bool {
        !t.isEmpty && t.allSatisfy { ("0"..."9").contains($0) || $0 == "_" } && underscoresOK(t)
    }

    private static func underscoresOK(_ t: Substring) -> Bool {
        t.first != "_" && t.last != "_" && !t.contains("__")
    }

    private static func isDate(_ t: String) -> Bool {
        let c = Array(t.unicodeScalars)
        guard c.count == 10 else { return false }
        return c.indices.allSatisfy { [4, 7].contains($0) ? c[$0] == "-" : ("0"..."9").contains(c[$0]) }
    }

    /// RFC 3339 date-times, local date-times, dates and times, kept as their text.
    static func dateTime(_ t: String) -> TOMLNode? {
        let c = Array(t.unicodeScalars)
        func digits(_ range: Range<Int>) -> Bool { range.upperBound <= c.count && range.allSatisfy { ("0"..."9").contains(c[$0]) } }
        func time(at k: Int) -> Int? {
            // hh:mm:ss[.fraction]; returns the index after it.
            guard digits(k..<(k + 2)), k + 2 < c.count, c[k + 2] == ":", digits((k + 3)..<(k + 5)), k + 5 < c.count, c[k + 5] == ":",
                digits((k + 6)..<(k + 8))
            else { return nil }
            var j = k + 8
            if j < c.count && c[j] == "." {
                j += 1
                let first = j
                while j < c.count && ("0"..."9").contains(c[j]) { j += 1 }
                guard j > first else { return nil }
            }
            return j
        }
        if let end = time(at: 0), end == c.count { return .datetime(t) }
        guard c.count >= 10, digits(0..<4), c[4] == "-", digits(5..<7), c[7] == "-", digits(8..<10) else { return nil }
        if c.count == 10 { return .datetime(t) }
        guard c[10] == "T" || c[10] == "t" || c[10] == " ", var j = time(at: 11) else { return nil }
        if j == c.count { return .datetime(t) }
        if c[j] == "Z" || c[j] == "z" {
            j += 1
        } else if c[j] == "+" || c[j] == "-" {
            guard digits((j + 1)..<(j + 3)), j + 3 < c.count, c[j + 3] == ":", digits((j + 4)..<(j + 6)) else { return nil }
            j += 6
        } else {
            return nil
        }
        return j == c.count ? .datetime(t) : nil
    }

    // MARK: Scanning

    private func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        i + offset < s.count ? s[i + offset] : nil
    }

    private mutating func match(_ word: String) -> Bool {
        let scalars = Array(word.unicodeScalars)
        guard i + scalars.count <= s.count, Array(s[i..<(i + scalars.count)]) == scalars else { return false }
        i += scalars.count
        return true
    }

    private mutating func skipWhitespace() {
        while let c = peek(), c == " " || c == "\t" { i += 1 }
    }

    private mutating func newline() {
        i += 1
        line += 1
        lineStart = i
    }

    private mutating func comment() throws(TOMLSyntaxError) {
        while let c = peek(), c != "\n" {
            if c == "\r" && peek(1) == "\n" { break }
            if (c.value < 0x20 && c != "\t") || c.value == 0x7F {
                throw error("control character U+\(Self.hex(c.value, 4)) is not allowed in a comment")
            }
            i += 1
        }
    }

    private func error(_ message: String, line: Int? = nil) -> TOMLSyntaxError {
        TOMLSyntaxError(line: line ?? self.line, column: line == nil ? i - lineStart + 1 : 1, message: message)
    }

    private func describe(_ c: Unicode.Scalar?) -> String {
        guard let c else { return "the end of the text" }
        if c == "\n" || c == "\r" { return "the end of the line" }
        if c.value < 0x20 || c.value == 0x7F { return "U+\(Self.hex(c.value, 4))" }
        return "'\(Character(c))'"
    }

    private static func hexDigit(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": c.value - 48
        case "a"..."f": c.value - 87
        case "A"..."F": c.value - 55
        default: nil
        }
    }

    private static func hex(_ value: UInt32, _ width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    // MARK: Output

    private static func entries(_ table: Table) -> [String: TOMLNode] {
        var out: [String: TOMLNode] = [:]
        for (name, entry) in table.entries {
            switch entry {
            case .value(let v): out[name] = v
            case .table(let t): out[name] = .table(entries(t))
            case .tables(let list): out[name] = .array(list.map { .table(entries($0)) })
            }
        }
        return out
    }
}
