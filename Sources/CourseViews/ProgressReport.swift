import CourseContent
import Foundation
import TerminalUI

/// `quantlab progress`: per module, read or not, best quiz score, exercises passed; overall
/// completion and the next suggested step.
public struct ProgressReport: Equatable, Sendable, Encodable {
    /// A quiz counts as passed from this share of right answers on.
    public static let passMark = 0.7

    public struct Module: Equatable, Sendable, Encodable {
        public var number: Int
        public var id: String
        public var title: String
        public var read: Bool
        public var questions: Int
        public var quizBest: QuizScore?
        public var quizAttempts: Int
        public var quizPassed: Bool
        public var exercisesPassed: [String]
        /// Read, and the quiz (if any) passed.
        public var complete: Bool
    }

    public struct Step: Equatable, Sendable, Encodable {
        /// The command to run, or nil when everything is done.
        public var command: String?
        public var text: String
    }

    public var modules: [Module]
    /// Steps done (each module: read; its quiz passed) out of all steps.
    public var stepsDone: Int
    public var steps: Int
    public var percent: Int
    public var next: Step
    /// The progress store's path, when the caller knows it.
    public var store: String?

    public init(course: Course, record: LearnerRecord) {
        modules = course.lessons.map { lesson in
            let best = record.bestQuiz[lesson.id]
            let passed = lesson.questions.isEmpty || (best.map { $0.fraction >= Self.passMark - 1e-9 } ?? false)
            let read = record.lessonsRead.contains(lesson.id)
            return Module(
                number: lesson.number, id: lesson.id, title: lesson.title, read: read,
                questions: lesson.questions.count, quizBest: best, quizAttempts: record.quizAttempts[lesson.id] ?? 0,
                quizPassed: passed && !lesson.questions.isEmpty,
                exercisesPassed: (record.exercisesPassed[lesson.number] ?? []).sorted(), complete: read && passed)
        }
        steps = modules.reduce(0) { $0 + 1 + ($1.questions > 0 ? 1 : 0) }
        stepsDone = modules.reduce(0) { $0 + ($1.read ? 1 : 0) + ($1.quizPassed ? 1 : 0) }
        percent = steps > 0 ? Int((Double(stepsDone) * 100 / Double(steps)).rounded(.down)) : 0
        if let module = modules.first(where: { !$0.complete }) {
            if !module.read {
                next = Step(command: "quantlab read \(module.number)", text: "read “\(module.title)”")
            } else {
                next = Step(
                    command: "quantlab quiz \(module.number)",
                    text: "take the quiz of “\(module.title)” (passed from \(Int(Self.passMark * 100))%)")
            }
        } else {
            next = Step(command: nil, text: "Every module is read and its quiz passed. Retake a quiz to improve your best score.")
        }
    }

    /// The per-module table.
    public var table: Block {
        let rows: [[[Inline]]] = modules.map { m in
            let quiz: String
            if m.questions == 0 {
                quiz = "no quiz"
            } else if let best = m.quizBest {
                quiz = "\(ProgressBar.bar(best.fraction)) \(best.score)/\(best.max)" + (m.quizPassed ? " ✓" : "")
            } else {
                quiz = "not taken"
            }
            return [
                [.text(String(m.number))], [.text(m.title)], [.text(m.read ? "✓" : "·")], [.text(quiz)],
                [.text(m.exercisesPassed.isEmpty ? "–" : String(m.exercisesPassed.count))],
            ]
        }
        return Block(
            .table(
                TableBlock(
                    header: [[.text("#")], [.text("Module")], [.text("Read")], [.text("Best quiz")], [.text("Exercises")]],
                    alignments: [.right, .left, .center, .left, .right], rows: rows)), line: 1)
    }

    /// Overall completion and the next step.
    public var footer: [Block] {
        var blocks = [
            Block(
                .paragraph([
                    .strong([.text("Overall:")]),
                    .text(" \(stepsDone) of \(steps) steps done (\(percent)%) \(ProgressBar.bar(Double(percent) / 100))"),
                ]), line: 1)
        ]
        if let command = next.command {
            blocks.append(Block(.paragraph([.strong([.text("Next:")]), .text(" "), .code(command), .text(" — \(next.text).")]), line: 1))
        } else {
            blocks.append(Block(.paragraph([.strong([.text("Next:")]), .text(" " + next.text)]), line: 1))
        }
        return blocks
    }

    public func blocks() -> [Block] {
        [Block(.heading(level: 1, [.text("Your progress")]), line: 1), table] + footer
    }

    public func json() throws -> String { try JSON.encode(self) }
}
