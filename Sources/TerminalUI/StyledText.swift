/// Text with terminal styles, and its serialization to plain text or ANSI escape sequences.

public enum TerminalColor: Int, Equatable, Sendable {
    case red = 31
    case green = 32
    case yellow = 33
    case blue = 34
    case magenta = 35
    case cyan = 36
    case gray = 90
}

public struct TextStyle: Equatable, Sendable {
    public var bold = false
    public var italic = false
    public var underline = false
    public var dim = false
    public var color: TerminalColor?
    /// Target of an OSC 8 hyperlink.
    public var link: String?

    public init(
        bold: Bool = false, italic: Bool = false, underline: Bool = false, dim: Bool = false,
        color: TerminalColor? = nil, link: String? = nil
    ) {
        self.bold = bold
        self.italic = italic
        self.underline = underline
        self.dim = dim
        self.color = color
        self.link = link
    }

    public static let plain = TextStyle()

    /// SGR parameters, e.g. "1;36".
    var sgr: String {
        var codes: [String] = []
        if bold { codes.append("1") }
        if dim { codes.append("2") }
        if italic { codes.append("3") }
        if underline { codes.append("4") }
        if let color { codes.append(String(color.rawValue)) }
        return codes.joined(separator: ";")
    }
}

public struct Span: Equatable, Sendable {
    public var text: String
    public var style: TextStyle

    public init(_ text: String, _ style: TextStyle = .plain) {
        self.text = text
        self.style = style
    }
}

/// One output line: spans without a newline.
public struct StyledLine: Equatable, Sendable {
    public var spans: [Span]

    public init(_ spans: [Span] = []) { self.spans = spans }
    public init(_ text: String, _ style: TextStyle = .plain) { self.spans = text.isEmpty ? [] : [Span(text, style)] }

    public var width: Int { spans.reduce(0) { $0 + CellWidth.of($1.text) } }
    public var plainText: String { spans.map(\.text).joined() }

    public static func + (lhs: StyledLine, rhs: StyledLine) -> StyledLine { StyledLine(lhs.spans + rhs.spans) }

    public mutating func append(_ text: String, _ style: TextStyle = .plain) {
        guard !text.isEmpty else { return }
        spans.append(Span(text, style))
    }

    /// Pads with spaces to `width` cells (no-op when already that wide).
    public func padded(to width: Int) -> StyledLine {
        let missing = width - self.width
        guard missing > 0 else { return self }
        var copy = self
        copy.append(String(repeating: " ", count: missing))
        return copy
    }

    /// Merges neighbouring spans of the same style, so each style change is written once.
    func coalesced() -> StyledLine {
        var merged: [Span] = []
        for span in spans {
            if let last = merged.last, last.style == span.style {
                merged[merged.count - 1].text += span.text
            } else {
                merged.append(span)
            }
        }
        return StyledLine(merged)
    }

    /// Removes trailing spaces, which a terminal would not show anyway.
    func trimmingTrailingSpaces() -> StyledLine {
        var spans = self.spans
        while let last = spans.last {
            var text = Substring(last.text)
            while text.last == " " { text = text.dropLast() }
            if text.isEmpty {
                spans.removeLast()
                continue
            }
            spans[spans.count - 1].text = String(text)
            break
        }
        return StyledLine(spans)
    }
}

/// How output may be decorated. `plain` emits no escape byte at all.
public struct OutputStyle: Equatable, Sendable {
    public var colors: Bool
    public var hyperlinks: Bool

    public init(colors: Bool, hyperlinks: Bool) {
        self.colors = colors
        self.hyperlinks = hyperlinks
    }

    public static let plain = OutputStyle(colors: false, hyperlinks: false)
    public static let terminal = OutputStyle(colors: true, hyperlinks: true)

    /// Colours and links only on a terminal and never when `NO_COLOR` is set (https://no-color.org).
    public static func detect(isTTY: Bool, environment: [String: String]) -> OutputStyle {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .plain }
        if environment["TERM"] == "dumb" { return .plain }
        return isTTY ? .terminal : .plain
    }

    /// Serializes lines to text, ending each with "\n".
    public func serialize(_ lines: [StyledLine]) -> String {
        var out = ""
        for line in lines {
            out += serialize(line)
            out += "\n"
        }
        return out
    }

    public func serialize(_ line: StyledLine) -> String {
        let line = line.trimmingTrailingSpaces()
        guard colors || hyperlinks else { return line.plainText }
        var out = ""
        for span in line.coalesced().spans {
            let link = hyperlinks ? span.style.link : nil
            let sgr = colors ? span.style.sgr : ""
            if let link { out += "\u{1B}]8;;\(link)\u{1B}\\" }
            if !sgr.isEmpty { out += "\u{1B}[\(sgr)m" }
            out += span.text
            if !sgr.isEmpty { out += "\u{1B}[0m" }
            if link != nil { out += "\u{1B}]8;;\u{1B}\\" }
        }
        return out
    }
}
