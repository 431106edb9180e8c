/// Swift values for a parsed Markdown document: what libcmark's tree holds, copied out of C memory,
/// plus the course's own block extensions (`table` fences, callouts, question cards) that
/// `LessonExtensions` builds from plain CommonMark.

/// An inline element of a paragraph, heading or table cell.
public indirect enum Inline: Equatable, Sendable {
    case text(String)
    case code(String)
    case emphasis([Inline])
    case strong([Inline])
    case link(url: String, title: String, [Inline])
    case image(url: String, title: String, alt: [Inline])
    case softBreak
    case lineBreak
    case html(String)
}

/// A block with the 1-based line of the source file where it starts.
public struct Block: Equatable, Sendable {
    public var kind: BlockKind
    public var line: Int

    public init(_ kind: BlockKind, line: Int) {
        self.kind = kind
        self.line = line
    }
}

public indirect enum BlockKind: Equatable, Sendable {
    case paragraph([Inline])
    case heading(level: Int, [Inline])
    case codeBlock(info: String, literal: String)
    case html(String)
    case blockQuote([Block])
    case list(ListBlock)
    case thematicBreak
    /// A `table` fence, parsed (see `TableBlock.parse`).
    case table(TableBlock)
    /// A boxed note: a paragraph (or block quote) that starts with one of the callout markers.
    case callout(CalloutKind, [Block])
    /// A quiz question as a learner sees it before answering: never the answer.
    case question(QuestionCard)
}

public struct ListBlock: Equatable, Sendable {
    public var ordered: Bool
    public var start: Int
    public var tight: Bool
    /// Each item is a sequence of blocks.
    public var items: [[Block]]

    public init(ordered: Bool, start: Int, tight: Bool, items: [[Block]]) {
        self.ordered = ordered
        self.start = start
        self.tight = tight
        self.items = items
    }
}

public enum CalloutKind: String, Equatable, Sendable, CaseIterable {
    case tip
    case warning
    case misconception

    /// The texts a paragraph may start with to become this callout, longest first (with and
    /// without the emoji variation selector and the space).
    public var markers: [String] {
        switch self {
        case .tip: return ["💡 Tip:", "💡Tip:"]
        case .warning: return ["⚠️ Warning:", "⚠ Warning:", "⚠️", "⚠"]
        case .misconception: return ["❗ Misconception:", "❗️ Misconception:", "❗Misconception:"]
        }
    }

    /// The title the box shows.
    public var title: String {
        switch self {
        case .tip: return "💡 Tip"
        case .warning: return "⚠️ Warning"
        case .misconception: return "❗ Misconception"
        }
    }
}

public enum ColumnAlignment: String, Equatable, Sendable {
    case left, right, center
}

public struct TableBlock: Equatable, Sendable {
    public var header: [[Inline]]
    public var alignments: [ColumnAlignment]
    public var rows: [[[Inline]]]

    public init(header: [[Inline]], alignments: [ColumnAlignment], rows: [[[Inline]]]) {
        self.header = header
        self.alignments = alignments
        self.rows = rows
    }
}

/// What a question shows before it is answered.
public struct QuestionCard: Equatable, Sendable {
    public var number: Int
    /// A short hint of how to answer, e.g. "choose one".
    public var hint: String
    public var prompt: [Inline]
    public var choices: [[Inline]]

    public init(number: Int, hint: String, prompt: [Inline], choices: [[Inline]]) {
        self.number = number
        self.hint = hint
        self.prompt = prompt
        self.choices = choices
    }
}

extension Inline {
    /// The text a reader sees, without any markup.
    public var plainText: String {
        switch self {
        case .text(let s), .code(let s), .html(let s): return s
        case .emphasis(let c), .strong(let c), .link(_, _, let c), .image(_, _, let c):
            return c.map(\.plainText).joined()
        case .softBreak: return " "
        case .lineBreak: return "\n"
        }
    }
}

extension Array where Element == Inline {
    public var plainText: String { map(\.plainText).joined() }
}
