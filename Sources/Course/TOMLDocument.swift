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
