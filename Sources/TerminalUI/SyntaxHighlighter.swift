/// Basic syntax highlighting for the code a lesson shows: Python, Swift, shell and TOML.
/// Line-oriented and forgiving: it colours keywords, strings, comments and numbers, and leaves
/// anything it does not understand as plain text. It never changes the characters.
public enum SyntaxHighlighter {
    public enum Language: Equatable, Sendable {
        case python, swift, shell, toml

        /// The language a fence's info string names ("python", "py", "sh", "bash", …), if known.
        public init?(info: String) {
            let word = info.split(separator: " ").first.map { $0.lowercased() } ?? ""
            switch word {
            case "python", "py", "python3", "pycon": self = .python
            case "swift": self = .swift
            case "sh", "bash", "shell", "zsh", "console", "shell-session": self = .shell
            case "toml": self = .toml
            default: return nil
            }
        }

        var keywords: Set<String> {
            switch self {
            case .python:
                return [
                    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
                    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
                    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
                    "return", "try", "while", "with", "yield", "print",
                ]
            case .swift:
                return [
                    "actor", "as", "async", "await", "break", "case", "catch", "class", "continue", "default",
                    "defer", "do", "else", "enum", "extension", "false", "for", "func", "guard", "if",
                    "import", "in", "init", "let", "nil", "private", "protocol", "public", "repeat",
                    "return", "self", "static", "struct", "switch", "throw", "throws", "true", "try",
                    "var", "where", "while",
                ]
            case .shell:
                return [
                    "if", "then", "else", "elif", "fi", "for", "in", "do", "done", "while", "case", "esac",
                    "function", "export", "local", "return", "cd", "echo", "sudo", "set", "source",
                ]
            case .toml:
                return ["true", "false"]
            }
        }

        var lineComment: String { self == .swift ? "//" : "#" }
    }

    public static let keywordStyle = TextStyle(bold: true, color: .magenta)
    public static let stringStyle = TextStyle(color: .green)
    public static let commentStyle = TextStyle(italic: true, color: .gray)
    public static let numberStyle = TextStyle(color: .cyan)
    public static let nameStyle = TextStyle(color: .blue)

    /// Highlights one line of code. `inString` carries an open triple-quoted string across lines.
    public static func highlight(_ line: String, language: Language, inString: inout String?) -> [Span] {
        var spans: [Span] = []
        let chars = Array(line)
        var i = 0
        var plain = ""
        func flushPlain() {
            if !plain.isEmpty { spans.append(Span(plain)) }
            plain = ""
        }
        func emit(_ text: String, _ style: TextStyle) {
            flushPlain()
            spans.append(Span(text, style))
        }
        func starts(_ token: String, at index: Int) -> Bool {
            index <= chars.count && chars[index...].starts(with: token)
        }

        // Continue a multi-line string.
        if let delimiter = inString {
            if let end = findClosing(delimiter, in: chars, from: 0, escapes: false) {
                emit(String(chars[0..<end + delimiter.count]), stringStyle)
                i = end + delimiter.count
                inString = nil
            } else {
                return [Span(line, stringStyle)]
            }
        }

        // TOML section headers and keys.
        if language == .toml, i == 0 {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("[") {
                let indent = line.count - trimmed.count
                if indent > 0 { spans.append(Span(String(repeating: " ", count: indent))) }
                let header = trimmed.prefix(while: { $0 != "#" })
                emit(String(header), TextStyle(bold: true, color: .blue))
                i = indent + header.count
            } else if let eq = chars.firstIndex(of: "="), !chars[0..<eq].contains("\""), !chars[0..<eq].contains("#") {
                let key = String(chars[0..<eq])
                let keyTrimmed = key.trimming(" ")
                let lead = key.prefix(while: { $0 == " " })
                if !lead.isEmpty { spans.append(Span(String(lead))) }
                emit(keyTrimmed, nameStyle)
                plain = String(key.dropFirst(lead.count + keyTrimmed.count))
                i = eq
            }
        }

        while i < chars.count {
            let c = chars[i]
            if starts(language.lineComment, at: i) {
                emit(String(chars[i...]), commentStyle)
                i = chars.count
            } else if language == .swift && starts("/*", at: i) {
                let end = findClosing("*/", in: chars, from: i + 2, escapes: false).map { $0 + 2 } ?? chars.count
                emit(String(chars[i..<end]), commentStyle)
                i = end
            } else if c == "\"" || c == "'" {
                let triple = String(repeating: String(c), count: 3)
                let delimiter = (language != .shell && starts(triple, at: i)) ? triple : String(c)
                let from = i + delimiter.count
                if let end = findClosing(delimiter, in: chars, from: from, escapes: !(language == .shell && c == "'")) {
                    emit(String(chars[i..<end + delimiter.count]), stringStyle)
                    i = end + delimiter.count
                } else {
                    emit(String(chars[i...]), stringStyle)
                    if delimiter.count == 3 { inString = delimiter }
                    i = chars.count
                }
            } else if c.isNumber && (i == 0 || !(chars[i - 1].isLetter || chars[i - 1] == "_" || chars[i - 1].isNumber)) {
                let hex = starts("0x", at: i) || starts("0X", at: i)
                var end = hex ? i + 2 : i
                while end < chars.count {
                    let d = chars[end]
                    let ok =
                        hex
                        ? d.isHexDigit
                        : (d.isNumber || d == "_" || (d == "." && end + 1 < chars.count && chars[end + 1].isNumber)
                            || ((d == "e" || d == "E") && end + 1 < chars.count && (chars[end + 1].isNumber || chars[end + 1] == "-")))
                    if !ok { break }
                    end += (d == "e" || d == "E") && !hex ? 2 : 1
                }
                end = min(end, chars.count)
                emit(String(chars[i..<end]), numberStyle)
                i = end
            } else if language == .shell && c == "$" {
                var end = i + 1
                if end < chars.count && chars[end] == "{" {
                    end = (chars[end...].firstIndex(of: "}") ?? chars.count - 1) + 1
                } else {
                    while end < chars.count && (chars[end].isLetter || chars[end].isNumber || chars[end] == "_") { end += 1 }
                }
                emit(String(chars[i..<end]), nameStyle)
                i = end
            } else if c.isLetter || c == "_" {
                var end = i
                while end < chars.count && (chars[end].isLetter || chars[end].isNumber || chars[end] == "_") { end += 1 }
                let word = String(chars[i..<end])
                let previous = i > 0 ? chars[i - 1] : " "
                if language.keywords.contains(word) && previous != "." && previous != "-" {
                    emit(word, keywordStyle)
                } else {
                    plain += word
                }
                i = end
            } else {
                plain.append(c)
                i += 1
            }
        }
        flushPlain()
        return spans
    }

    /// Index of the next `delimiter` at or after `start`; with `escapes`, a backslash skips the
    /// character after it.
    private static func findClosing(_ delimiter: String, in chars: [Character], from start: Int, escapes: Bool) -> Int? {
        let t = Array(delimiter)
        var i = start
        while i + t.count <= chars.count {
            if escapes && chars[i] == "\\" {
                i += 2
                continue
            }
            if chars[i..<i + t.count].elementsEqual(t) { return i }
            i += 1
        }
        return nil
    }
}

extension StringProtocol {
    /// The text without leading and trailing `character`s.
    public func trimming(_ character: Character) -> String {
        var s = Substring(self)
        while s.first == character { s = s.dropFirst() }
        while s.last == character { s = s.dropLast() }
        return String(s)
    }
}
