import CourseContent
import TerminalUI

/// How a lesson reads in the terminal: a header with the module number, duration and objectives,
/// then the body.
public enum LessonView {
    public static func blocks(for lesson: Lesson) -> [Block] {
        let count = lesson.questions.count
        var meta = "Module \(lesson.number) · \(lesson.frontMatter.duration) min"
        if count > 0 { meta += " · quiz of \(count) question\(count == 1 ? "" : "s")" }
        var header: [Block] = [Block(.paragraph([.emphasis([.text(meta)])]), line: 1)]
        if !lesson.blocks.contains(where: { if case .heading(1, _) = $0.kind { return true } else { return false } }) {
            header.insert(Block(.heading(level: 1, [.text(lesson.title)]), line: 1), at: 0)
        }
        header.append(Block(.paragraph([.strong([.text("You will be able to:")])]), line: 1))
        let items = lesson.frontMatter.objectives.map { [Block(.paragraph(CmarkParser.parseInlines($0)), line: 1)] }
        header.append(Block(.list(ListBlock(ordered: false, start: 1, tight: true, items: items)), line: 1))
        header.append(Block(.thematicBreak, line: 1))

        // The module title (the body's first H1) goes first, then the header, then the rest.
        var body = lesson.blocks
        if let first = body.first, case .heading(1, _) = first.kind {
            body.removeFirst()
            return [first] + header + body
        }
        return header + body
    }

    public static func render(_ lesson: Lesson, with renderer: MarkdownRenderer) -> [StyledLine] {
        renderer.render(blocks(for: lesson))
    }
}
