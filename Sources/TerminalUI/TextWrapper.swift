/// Greedy word wrapping of styled text to a width in terminal cells.
///
/// Words are runs of non-space characters, possibly spanning several styles ("**bold**,"). Runs of
/// spaces collapse to one space between words; "\n" in a span forces a line break. A word wider
/// than the line is broken between grapheme clusters, never inside one.
public enum TextWrapper {
    private struct Word {
        var segments: [Span] = []
        var width = 0
        var isEmpty: Bool { segments.isEmpty }
    }

    private enum Token {
        case word(Word)
        case space(TextStyle)
        case newline
    }

    public static func wrap(_ spans: [Span], width: Int) -> [StyledLine] {
        let width = max(width, 1)
        var lines: [StyledLine] = []
        var current = StyledLine()
        var currentWidth = 0
        var pendingSpace: TextStyle?

        func flush() {
            lines.append(current)
            current = StyledLine()
            currentWidth = 0
            pendingSpace = nil
        }

        for token in tokenize(spans) {
            switch token {
            case .newline:
                flush()
            case .space(let style):
                if currentWidth > 0 { pendingSpace = style }
            case .word(let word):
                let spaceWidth = pendingSpace == nil ? 0 : 1
                if currentWidth > 0 && currentWidth + spaceWidth + word.width > width {
                    flush()
                }
                if let space = pendingSpace, currentWidth > 0 {
                    current.append(" ", space)
                    currentWidth += 1
                }
                pendingSpace = nil
                if word.width <= width - currentWidth {
                    current.spans += word.segments
                    currentWidth += word.width
                } else {
                    // Longer than a whole line: break it between characters.
                    for segment in word.segments {
                        var piece = ""
                        for character in segment.text {
                            let w = CellWidth.of(character)
                            if currentWidth + w > width && currentWidth > 0 {
                                current.append(piece, segment.style)
                                piece = ""
                                flush()
                            }
                            piece.append(character)
                            currentWidth += w
                        }
                        current.append(piece, segment.style)
                    }
                }
            }
        }
        if !current.spans.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    private static func tokenize(_ spans: [Span]) -> [Token] {
        var tokens: [Token] = []
        var word = Word()
        func endWord() {
            if !word.isEmpty { tokens.append(.word(word)) }
            word = Word()
        }
        for span in spans {
            var piece = ""
            var pieceWidth = 0
            func endPiece() {
                if !piece.isEmpty {
                    word.segments.append(Span(piece, span.style))
                    word.width += pieceWidth
                }
                piece = ""
                pieceWidth = 0
            }
            for character in span.text {
                if character == "\n" {
                    endPiece()
                    endWord()
                    tokens.append(.newline)
                } else if character == " " || character == "\t" {
                    endPiece()
                    endWord()
                    if case .space = tokens.last {} else { tokens.append(.space(span.style)) }
                } else {
                    piece.append(character)
                    pieceWidth += CellWidth.of(character)
                }
            }
            endPiece()
        }
        endWord()
        return tokens
    }
}
