import CCmark

/// The one place in QuantLab that calls libcmark. It parses CommonMark into cmark's tree, copies
/// the tree into Swift values (`Block`, `Inline`) and frees everything cmark allocated before it
/// returns, so no C memory outlives a call.
public enum CmarkParser {
    /// The libcmark version QuantLab is linked against, e.g. "0.30.2".
    public static var libraryVersion: String {
        String(cString: cmark_version_string())
    }

    /// Parses a CommonMark document. `firstLine` is the file line the text starts on (for text
    /// that follows front matter), so every block's `line` is a line of the original file.
    public static func parse(_ text: String, firstLine: Int = 1) -> [Block] {
        let lineOffset = firstLine - 1
        var utf8 = Array(text.utf8)
        let root: OpaquePointer? = utf8.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(buffer.count, 1)) { chars in
                cmark_parse_document(chars, buffer.count, CMARK_OPT_DEFAULT)
            }
        }
        guard let root else { return [] }
        defer { cmark_node_free(root) }
        return children(of: root).map { block($0, lineOffset: lineOffset) }
    }

    /// Parses a short fragment (a table cell, a quiz prompt) as inline Markdown. A fragment that is
    /// not a single paragraph is flattened to its inline content.
    public static func parseInlines(_ text: String) -> [Inline] {
        var inlines: [Inline] = []
        for block in parse(text) {
            if !inlines.isEmpty { inlines.append(.softBreak) }
            switch block.kind {
            case .paragraph(let c), .heading(_, let c): inlines += c
            case .codeBlock(_, let literal): inlines.append(.code(literal.trimmingTrailingNewlines()))
            default: inlines.append(.text(text))
            }
        }
        return inlines
    }

    // MARK: - Tree walking

    private static func children(of node: OpaquePointer) -> [OpaquePointer] {
        var result: [OpaquePointer] = []
        var child = cmark_node_first_child(node)
        while let current = child {
            result.append(current)
            child = cmark_node_next(current)
        }
        return result
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String {
        guard let pointer else { return "" }
        return String(cString: pointer)
    }

    private static func block(_ node: OpaquePointer, lineOffset: Int) -> Block {
        let line = Int(cmark_node_get_start_line(node)) + lineOffset
        let kind: BlockKind
        switch cmark_node_get_type(node) {
        case CMARK_NODE_PARAGRAPH:
            kind = .paragraph(inlines(of: node))
        case CMARK_NODE_HEADING:
            kind = .heading(level: Int(cmark_node_get_heading_level(node)), inlines(of: node))
        case CMARK_NODE_CODE_BLOCK:
            kind = .codeBlock(info: string(cmark_node_get_fence_info(node)), literal: string(cmark_node_get_literal(node)))
        case CMARK_NODE_HTML_BLOCK:
            kind = .html(string(cmark_node_get_literal(node)))
        case CMARK_NODE_BLOCK_QUOTE:
            kind = .blockQuote(children(of: node).map { block($0, lineOffset: lineOffset) })
        case CMARK_NODE_LIST:
            let items = children(of: node).map { item in
                children(of: item).map { block($0, lineOffset: lineOffset) }
            }
            kind = .list(
                ListBlock(
                    ordered: cmark_node_get_list_type(node) == CMARK_ORDERED_LIST,
                    start: Int(cmark_node_get_list_start(node)),
                    tight: cmark_node_get_list_tight(node) != 0,
                    items: items))
        case CMARK_NODE_THEMATIC_BREAK:
            kind = .thematicBreak
        default:
            // Custom blocks cannot come out of the parser; keep their text rather than lose it.
            kind = .paragraph(inlines(of: node))
        }
        return Block(kind, line: line)
    }

    private static func inlines(of node: OpaquePointer) -> [Inline] {
        children(of: node).map(inline)
    }

    private static func inline(_ node: OpaquePointer) -> Inline {
        switch cmark_node_get_type(node) {
        case CMARK_NODE_TEXT: return .text(string(cmark_node_get_literal(node)))
        case CMARK_NODE_CODE: return .code(string(cmark_node_get_literal(node)))
        case CMARK_NODE_SOFTBREAK: return .softBreak
        case CMARK_NODE_LINEBREAK: return .lineBreak
        case CMARK_NODE_HTML_INLINE: return .html(string(cmark_node_get_literal(node)))
        case CMARK_NODE_EMPH: return .emphasis(inlines(of: node))
        case CMARK_NODE_STRONG: return .strong(inlines(of: node))
        case CMARK_NODE_LINK:
            return .link(url: string(cmark_node_get_url(node)), title: string(cmark_node_get_title(node)), inlines(of: node))
        case CMARK_NODE_IMAGE:
            return .image(url: string(cmark_node_get_url(node)), title: string(cmark_node_get_title(node)), alt: inlines(of: node))
        default:
            return .text(string(cmark_node_get_literal(node)))
        }
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var s = Substring(self)
        while s.last == "\n" { s = s.dropLast() }
        return String(s)
    }
}
