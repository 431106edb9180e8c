import CourseContent

/// RFC 4180 CSV, the one module every gradebook writes and reads through. Hand-written (about
/// 60 lines, tested directly): CSV.swift 2.5.2 (yaslab), the package the machine has, builds in
/// seconds but reads an unclosed quote by swallowing the rest of the file into one field, and
/// a stray quote inside a field without an error; instructors' files must fail with their line.
public enum CSVFormat {
    /// One line: the fields quoted where needed, then "\n".
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// One field: quoted when it holds a comma, a quote or a line break (quotes doubled); a text
    /// that starts with = + - @ and is not a number gets a leading ' so that spreadsheets do not
    /// run it as a formula.
    public static func field(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first), Double(value) == nil { value = "'" + value }
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The fields of one record written on one line; spaces around a field are dropped. A quote
    /// that is not closed, or text after a closing quote, is refused.
    public static func record(_ line: String) throws(ResponseError) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var closed = false
        var atStart = true
        for c in line {
            if quoted {
                if c == "\"" {
                    quoted = false
                    closed = true
                } else {
                    field.append(c)
                }
            } else if c == "\"" && closed {
                // "" inside a quoted field: a literal quote, and the field goes on.
                field.append("\"")
                quoted = true
                closed = false
            } else if c == "," {
                fields.append(field)
                field = ""
                atStart = true
                closed = false
                continue
            } else if c == "\"" && atStart {
                quoted = true
            } else if closed && !c.isWhitespace {
                throw ResponseError(message: "text after a closing quote in field \(fields.count + 1); quote the whole field and double the quotes inside it")
            } else if !closed {
                field.append(c)
            }
            if !c.isWhitespace || quoted { atStart = false }
        }
        guard !quoted else { throw ResponseError(message: "a quoted field is not closed") }
        fields.append(field)
        return fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
