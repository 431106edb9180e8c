import CourseContent
import Foundation
import TerminalUI

/// The course at a glance: what `quantlab` and `quantlab lessons` show.
public enum CourseOverview {
    /// With `record` (the learner's progress), the table shows what is read and the best quiz
    /// scores, and the next step follows from them (as `quantlab progress` shows it).
    public static func blocks(for course: Course, record: LearnerRecord? = nil) -> [Block] {
        var blocks: [Block] = [
            Block(.heading(level: 1, [.text("QuantLab")]), line: 1),
            Block(
                .paragraph([
                    .text(
                        "A terminal course on the trade-offs of quantizing language models: GGUF, GPTQ, AWQ, INT8/INT4, bitsandbytes and dynamic quantization.")
                ]), line: 1),
        ]
        if let record, !course.lessons.isEmpty {
            let report = ProgressReport(course: course, record: record)
            blocks.append(report.table)
            blocks += report.footer
        } else {
            blocks += lessonTable(course)
        }
        if record == nil, let first = course.lessons.first {
            blocks.append(
                Block(
                    .paragraph([
                        .strong([.text("Next:")]), .text(" "), .code("quantlab read \(first.number)"),
                        .text(" — start with “\(first.title)”."),
                    ]), line: 1))
        }
        let invalid = course.entries.filter { if case .failure = $0.lesson { return true } else { return false } }
        if !invalid.isEmpty || !course.courseProblems.isEmpty {
            blocks.append(
                Block(
                    .callout(
                        .warning,
                        [
                            Block(
                                .paragraph([
                                    .text("Some course files have problems; "), .code("quantlab check-course"), .text(" lists them."),
                                ]), line: 1)
                        ]), line: 1))
        }
        blocks.append(
            Block(
                .paragraph([
                    .text("Commands: "), .code("quantlab lessons"), .text(", "), .code("quantlab read N"),
                    .text(", "), .code("quantlab quiz N"), .text(", "), .code("quantlab progress"),
                    .text(", "), .code("quantlab check-course"), .text(", "), .code("quantlab --help"), .text("."),
                ]), line: 1))
        return blocks
    }

    /// A table of the modules: number, title, minutes, questions.
    public static func lessonTable(_ course: Course) -> [Block] {
        let rows: [[[Inline]]] = course.entries.map { entry in
            switch entry.lesson {
            case .success(let lesson):
                return [
                    [.text(String(lesson.number))], [.text(lesson.title)], [.text(String(lesson.frontMatter.duration))],
                    [.text(String(lesson.questions.count))],
                ]
            case .failure:
                return [
                    [.text(String(entry.number))], [.text(entry.slug), .text(" "), .emphasis([.text("(invalid: see check-course)")])],
                    [.text("–")], [.text("–")],
                ]
            }
        }
        let table = TableBlock(
            header: [[.text("#")], [.text("Module")], [.text("Minutes")], [.text("Quiz")]],
            alignments: [.right, .left, .right, .right], rows: rows)
        return [Block(.table(table), line: 1)]
    }

    struct LessonInfo: Encodable {
        var number: Int
        var id: String?
        var slug: String
        var file: String
        var title: String?
        var duration: Int?
        var objectives: [String]?
        var questions: Int?
        var status: String
        var problems: [String]
    }

    /// `quantlab lessons --json`: one object per lesson file, in course order.
    public static func lessonsJSON(_ course: Course) throws -> String {
        let infos = course.entries.map { entry -> LessonInfo in
            switch entry.lesson {
            case .success(let l):
                return LessonInfo(
                    number: l.number, id: l.id, slug: l.slug, file: l.file, title: l.title,
                    duration: l.frontMatter.duration, objectives: l.frontMatter.objectives,
                    questions: l.questions.count, status: l.problems.isEmpty ? "ok" : "problems",
                    problems: l.problems.map(\.description))
            case .failure(let p):
                return LessonInfo(
                    number: entry.number, id: nil, slug: entry.slug, file: entry.file, title: nil, duration: nil,
                    objectives: nil, questions: nil, status: "invalid", problems: [p.description])
            }
        }
        return try JSON.encode(infos)
    }
}
