import Foundation
import TerminalUI

/// A parsed TOML value as plain Swift data (`TOMLParser` builds them).
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

/// A parsed TOML document: its root table and the line of every key (dotted keys and keys of a
/// table section included), for messages that point at a line.
public struct TOMLDocument: Sendable {
    public var root: [String: TOMLNode]
    /// Full dotted path of each key and table header → its 1-based line.
    let keyLines: [String: Int]

    public init(parsing text: String) throws(TOMLSyntaxError) {
        (root, keyLines) = try TOMLParser.parse(text)
    }

    /// The 1-based line where `key` is assigned, optionally inside the `[section]` table (a
    /// dotted key such as `check.accuracy.metric = …` has its own line). Falls back to the
    /// section's header (or its first key), then to line 1.
    public func line(of key: String, in section: String? = nil) -> Int {
        let path = section.map { "\($0).\(key)" } ?? key
        if let line = keyLines[path] { return line }
        guard let section else { return 1 }
        if let line = keyLines[section] { return line }
        return keyLines.filter { $0.key.hasPrefix(section + ".") }.map(\.value).min() ?? 1
    }
}
