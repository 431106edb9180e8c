import Foundation
import TOMLKit
import TerminalUI

/// A parsed TOML value as plain Swift data. The one file in the course target that calls TOMLKit:
/// it converts TOMLKit's reference types into these values right after parsing.
public indirect enum TOMLNode: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLNode])
    case table([String: TOMLNode])
    /// Dates and times, kept as their TOML text.
    case datetime(String)

    /// The TOML type name a learner or author sees in an error message.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .bool: return "boolean"
        case .array: return "array"
        case .table: return "table"
        case .datetime: return "date-time"
        }
    }

    /// The type name with its article, for "got an integer", "got a string".
    public var typeNameWithArticle: String {
        ("aeiou".contains(typeName.first!) ? "an " : "a ") + typeName
    }

    public var number: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }
}

/// A TOML text that failed to parse, with the 1-based line and column inside that text.
public struct TOMLSyntaxError: Error, Equatable, Sendable {
    public var line: Int
    public var column: Int
    public var message: String
}

/// A parsed TOML document: its root table and where each top-level key (and each key of a table
/// section) was written, for messages that point at a line.
public struct TOMLDocument: Sendable {
    public var root: [String: TOMLNode]
    let text: String

    public init(parsing text: String) throws(TOMLSyntaxError) {
        try TOMLHeaderGuard.check(text)
        do {
            let table = try TOMLTable(string: text)
            root = Self.convert(table)
            self.text = text
        } catch let error as TOMLParseError {
            throw TOMLSyntaxError(line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch {
            throw TOMLSyntaxError(line: 1, column: 1, message: "\(error)")
        }
    }

    /// The 1-based line (within the TOML text) where `key` is assigned, optionally inside the
    /// `[section]` table. Falls back to the section header, then to line 1.
    public func line(of key: String, in section: String? = nil) -> Int {
        var currentSection: String?
        var sectionLine: Int?
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.drop(while: { $0 == " " || $0 == "\t" })
            if line.hasPrefix("[") {
                let name = line.dropFirst().prefix(while: { $0 != "]" }).trimming(" ")
                currentSection = name
                if name == section { sectionLine = index + 1 }
                continue
            }
            guard currentSection == section else { continue }
            for candidate in [key, "\"\(key)\"", "'\(key)'"] where line.hasPrefix(candidate) {
                let rest = line.dropFirst(candidate.count).drop(while: { $0 == " " || $0 == "\t" })
                if rest.hasPrefix("=") { return index + 1 }
            }
        }
        return sectionLine ?? 1
    }

    private static func convert(_ table: TOMLTable) -> [String: TOMLNode] {
        var result: [String: TOMLNode] = [:]
        for key in table.keys {
            if let value = table[key] { result[key] = convert(value) }
        }
        return result
    }

    private static func convert(_ value: TOMLValueConvertible) -> TOMLNode {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? 0)
        case .bool: return .bool(value.bool ?? false)
        case .array: return .array((value.array ?? TOMLArray()).map(convert))
        case .table: return .table(convert(value.table ?? TOMLTable()))
        case .date, .time, .dateTime: return .datetime(value.debugDescription)
        }
    }
}

/// toml++ (under TOMLKit) aborts the process with an assertion, in debug and release builds alike,
/// on two kinds of malformed input found by fuzzing: a table header whose first key starts with a
/// character that cannot start a key (`[+x]`, `[ @x]`, `[[.x]]`), and a closing bracket of the
/// other kind inside a value (`a = [1, }`). Course files and learners' settings are untrusted, so
/// both are found here first and reported as syntax errors. The scan follows strings (basic, literal,
/// multi-line) and brackets inside values, so `[` at the start of a line is read as a header only
/// where TOML would read it as one. Coverage-guided fuzzing (scripts/dev/fuzz.sh) found a third: a
/// byte-order mark hides a header from this scan, and a control character after `[` then trips
/// toml++'s key assertion; TOML allows no control character but tab outside line ends, so every
/// other one is refused first, and a leading byte-order mark is read as the start of the line.
enum TOMLHeaderGuard {
    static func check(_ text: String) throws(TOMLSyntaxError) {
        let chars = Array(text.unicodeScalars)
        var line = 1
        var column = 1
        for c in chars {
            if c == "\n" {
                line += 1
                column = 1
                continue
            }
            if (c.value < 0x20 && c != "\t" && c != "\r") || c.value == 0x7F {
                throw TOMLSyntaxError(
                    line: line, column: column,
                    message: "control character U+\(String(format: "%04X", c.value)) is not allowed in TOML (only tab and line breaks are); remove it")
            }
            column += 1
        }
        var i = chars.first == "\u{FEFF}" ? 1 : 0
        line = 1
        var lineStart = true  // only whitespace so far on this line
        var open: [Unicode.Scalar] = []  // brackets opened inside a value
        func isKeyStart(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-" || c == "\"" || c == "'"
        }
        func skipString(_ quote: Unicode.Scalar) {
            let triple = i + 2 < chars.count && chars[i + 1] == quote && chars[i + 2] == quote
            i += triple ? 3 : 1
            while i < chars.count {
                let c = chars[i]
                if c == "\n" {
                    line += 1
                    if !triple { return }  // an unterminated one-line string: toml++ reports it
                }
                if quote == "\"" && c == "\\" {
                    i += 2
                    continue
                }
                if c == quote {
                    if !triple {
                        i += 1
                        return
                    }
                    if i + 2 < chars.count && chars[i + 1] == quote && chars[i + 2] == quote {
                        i += 3
                        while i < chars.count && chars[i] == quote { i += 1 }  // """" ends with a quote inside
                        return
                    }
                }
                i += 1
            }
        }
        while i < chars.count {
            let c = chars[i]
            switch c {
            case "\n":
                line += 1
                lineStart = true
                i += 1
            case " ", "\t", "\r":
                i += 1
            case "#":
                while i < chars.count && chars[i] != "\n" { i += 1 }
            case "\"", "'":
                lineStart = false
                skipString(c)
            case "[" where lineStart && open.isEmpty:
                var j = i + 1
                if j < chars.count && chars[j] == "[" { j += 1 }
                while j < chars.count && (chars[j] == " " || chars[j] == "\t") { j += 1 }
                if j >= chars.count || chars[j] == "\n" || chars[j] == "\r" {
                    throw TOMLSyntaxError(line: line, column: j - i + 1, message: "a table header starts with a key on the same line, e.g. [feedback]")
                }
                if chars[j] != "]" && !isKeyStart(chars[j]) {
                    throw TOMLSyntaxError(
                        line: line, column: j - i + 1,
                        message: "a table header starts with a key (letters, digits, _ or -, or a quoted string), saw '\(chars[j])'")
                }
                lineStart = false
                i = j
            case "[", "{":
                open.append(c)
                lineStart = false
                i += 1
            case "]", "}":
                let expected: Unicode.Scalar = c == "]" ? "[" : "{"
                if let last = open.last, last != expected {
                    throw TOMLSyntaxError(
                        line: line, column: 1,
                        message: "'\(c)' closes a '\(last)': close arrays with ] and inline tables with }")
                }
                if !open.isEmpty { open.removeLast() }
                lineStart = false
                i += 1
            default:
                lineStart = false
                i += 1
            }
        }
    }
}
