import CourseContent
import Foundation
import TerminalUI

/// Deterministic question order: SplitMix64 driving a Fisher–Yates shuffle, so a seed gives the
/// same order on every platform and Swift version.
public struct QuizOrder {
    public static func shuffled(count: Int, seed: UInt64) -> [Int] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var order = Array(0..<count)
        if count < 2 { return order }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }
}

/// Asks a lesson's questions one at a time. It reads answers through `read` (nil = end of
/// input) and writes rendered text through `write`; the caller owns the terminal and the store.
public struct QuizSession {
    public enum Outcome: Equatable, Sendable {
        case completed(QuizAttempt)
        /// Input ended after `answered` of `total` questions: nothing to record.
        case ended(answered: Int, total: Int)
    }

    public var lesson: Lesson
    /// Indices into `lesson.questions`, in the order asked.
    public var order: [Int]
    public var seed: UInt64?
    public var renderer: MarkdownRenderer
    /// Repeat each answer after the prompt: input from a pipe is not echoed by a terminal, and a
    /// transcript should show what was answered.
    public var echoInput: Bool

    public init(lesson: Lesson, seed: UInt64?, renderer: MarkdownRenderer, echoInput: Bool) {
        self.lesson = lesson
        self.seed = seed
        self.order = seed.map { QuizOrder.shuffled(count: lesson.questions.count, seed: $0) } ?? Array(lesson.questions.indices)
        self.renderer = renderer
        self.echoInput = echoInput
    }

    static let rightStyle = TextStyle(bold: true, color: .green)
    static let wrongStyle = TextStyle(bold: true, color: .red)
    static let mutedStyle = TextStyle(dim: true)

    /// The questions in the order asked.
    public var questions: [QuizQuestion] { order.map { lesson.questions[$0] } }

    public func run(read: () -> String?, write: (String) -> Void, now: () -> Date = Date.init) -> Outcome {
        let started = now()
        let questions = self.questions
        var intro = "Quiz: \(lesson.title) (module \(lesson.number)), \(questions.count) question\(questions.count == 1 ? "" : "s")"
        if let seed { intro += ", shuffled with seed \(seed)" }
        write(
            serialize([
                StyledLine(intro, TextStyle(bold: true)),
                StyledLine("Answer each question and press Enter. Ctrl-D or Ctrl-C quits; an unfinished attempt is not recorded.", Self.mutedStyle),
                StyledLine(),
            ]))
        var answers: [QuizAttempt.Answer] = []
        for (position, question) in questions.enumerated() {
            write(serialize(renderer.question(question.card(number: position + 1), width: renderer.width)))
            var response: QuizResponse?
            while response == nil {
                write(renderer.style.serialize(StyledLine("Answer:", TextStyle(bold: true))) + " ")
                guard let line = read() else {
                    write("\n")
                    return .ended(answered: answers.count, total: questions.count)
                }
                if echoInput { write(line + "\n") }
                switch question.parse(line) {
                case .success(let parsed): response = parsed
                case .failure(let error): write(serialize(TextWrapper.wrap([Span("↳ " + error.message, Self.mutedStyle)], width: renderer.width)))
                }
            }
            guard let response else { continue }
            let grade = question.grade(response)
            answers.append(QuizAttempt.Answer(questionID: question.id, answer: response.canonical, correct: grade.correct))
            write(serialize(verdict(for: question, grade: grade) + [StyledLine()]))
        }
        return .completed(
            QuizAttempt(
                lessonID: lesson.id, module: lesson.number, startedAt: started, finishedAt: now(),
                seed: seed, answers: answers, maxScore: questions.count))
    }

    /// Right or wrong, the feedback the answer triggered, and the explanation.
    public func verdict(for question: QuizQuestion, grade: QuizGrade) -> [StyledLine] {
        var lines: [StyledLine] = []
        if grade.correct {
            lines.append(StyledLine("✓ Right.", Self.rightStyle))
        } else {
            var head = [Span("✗ Not quite.", Self.wrongStyle), Span(" The answer is \(question.answerText).")]
            if !grade.missed.isEmpty || !grade.wronglySelected.isEmpty {
                var parts: [String] = []
                if !grade.missed.isEmpty { parts.append("missed \(grade.missed.map(MarkdownRenderer.choiceLabel).joined(separator: ", "))") }
                if !grade.wronglySelected.isEmpty {
                    parts.append("should not have chosen \(grade.wronglySelected.map(MarkdownRenderer.choiceLabel).joined(separator: ", "))")
                }
                head.append(Span(" You " + parts.joined(separator: " and ") + "."))
            }
            lines += TextWrapper.wrap(head, width: renderer.width)
        }
        var blocks = grade.feedback.map { Block(.paragraph(CmarkParser.parseInlines($0)), line: 1) }
        blocks.append(Block(.paragraph([.strong([.text("Why:")]), .text(" ")] + CmarkParser.parseInlines(question.explain)), line: 1))
        return lines + renderer.render(blocks)
    }

    /// The end of a quiz: score, what to review, best score so far (`previousBest`: of the
    /// attempts before this one).
    public func summary(_ attempt: QuizAttempt, previousBest: QuizScore?) -> [StyledLine] {
        let score = QuizScore(score: attempt.score, max: attempt.maxScore)
        var lines = [StyledLine("Score: \(score.text)  \(ProgressBar.bar(score.fraction))", TextStyle(bold: true))]
        let missed = questions.enumerated().filter { position, question in
            !(attempt.answers.first { $0.questionID == question.id }?.correct ?? false)
        }
        if missed.isEmpty {
            lines.append(StyledLine("Every answer right."))
        } else {
            lines.append(StyledLine("Review (quantlab read \(lesson.number)):"))
            var sections: [(String, [String])] = []
            for (position, question) in missed {
                let section = question.section.isEmpty ? lesson.title : question.section
                let label = "\(position + 1) (\(question.id))"
                if let i = sections.firstIndex(where: { $0.0 == section }) { sections[i].1.append(label) } else { sections.append((section, [label])) }
            }
            for (section, labels) in sections {
                let questions = (labels.count == 1 ? "question " : "questions ") + labels.joined(separator: ", ")
                let wrapped = TextWrapper.wrap([Span("section “\(section)”: \(questions)")], width: renderer.width - 4)
                lines += wrapped.enumerated().map { StyledLine($0.offset == 0 ? "  • " : "    ") + $0.element }
            }
        }
        if let previous = previousBest, previous.fraction >= score.fraction {
            lines.append(StyledLine("Best score so far: \(previous.text)"))
        } else {
            lines.append(StyledLine("Best score so far: \(score.text), this attempt" + (previousBest == nil ? "" : " (a new best)")))
        }
        return lines
    }

    func serialize(_ lines: [StyledLine]) -> String { renderer.style.serialize(lines) }
}
