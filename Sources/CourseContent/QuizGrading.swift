import Foundation
import TerminalUI

/// A learner's answer to one question, parsed from what they typed.
public enum QuizResponse: Equatable, Sendable {
    /// 0-based choice index.
    case choice(Int)
    /// 0-based choice indices.
    case choices(Set<Int>)
    case truth(Bool)
    case number(Double)
    case text(String)

    /// The answer in the syntax a learner types, which `QuizQuestion.parse` reads back: the form
    /// kept in the progress store and in exported answer files.
    public var canonical: String {
        switch self {
        case .choice(let i): return MarkdownRenderer.choiceLabel(i)
        case .choices(let set): return set.sorted().map(MarkdownRenderer.choiceLabel).joined(separator: "+")
        case .truth(let b): return b ? "true" : "false"
        case .number(let n): return QuizResponse.format(n)
        case .text(let s): return s
        }
    }

    /// Shortest decimal form: 13.04, not 13.039999….
    static func format(_ n: Double) -> String {
        n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : "\(n)"
    }
}

/// Why typed input is not an answer to a question; `message` tells how to answer instead.
public struct ResponseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}

/// The outcome of one answer.
public struct QuizGrade: Equatable, Sendable {
    public var correct: Bool
    /// Multiple choice: right choices the learner did not select, 0-based.
    public var missed: [Int] = []
    /// Multiple choice: wrong choices the learner selected, 0-based.
    public var wronglySelected: [Int] = []
    /// The per-choice feedback the learner's answer triggered (Markdown), in choice order.
    public var feedback: [String] = []
}

extension QuizQuestion {
    /// Reads a typed answer. Choices by letter (`b`) or 1-based number (`2`); several choices
    /// separated by commas, spaces or `+` (`a,c`, `a c`, `a+c`, or `ac`); true/false as
    /// true/false, t/f, yes/no or y/n; numbers with `.` as the decimal point and optionally the
    /// question's unit; text as typed.
    public func parse(_ input: String) -> Result<QuizResponse, ResponseError> {
        let trimmed = input.trimmingCharacters(in: .whitespacesAndNewlines)
        func fail(_ message: String) -> Result<QuizResponse, ResponseError> { .failure(ResponseError(message: message)) }
        if trimmed.isEmpty { return fail("Type your answer (\(answerHint)).") }
        switch kind {
        case .single:
            guard let index = choiceIndex(trimmed.lowercased()) else {
                return fail("“\(trimmed)” is not a choice: \(answerHint).")
            }
            return .success(.choice(index))
        case .multiple:
            let lowered = trimmed.lowercased()
            var tokens = lowered.split(whereSeparator: { $0 == "," || $0 == "+" || $0 == " " || $0 == ";" }).map(String.init)
            // "ac" means a and c when there are few enough choices for every label to be one letter.
            if tokens.count == 1, choices.count <= 26, tokens[0].count > 1, tokens[0].allSatisfy(\.isLetter) {
                tokens = tokens[0].map(String.init)
            }
            var set = Set<Int>()
            for token in tokens {
                guard let index = choiceIndex(token) else { return fail("“\(token)” is not a choice: \(answerHint).") }
                set.insert(index)
            }
            return .success(.choices(set))
        case .truefalse:
            switch trimmed.lowercased() {
            case "true", "t", "yes", "y": return .success(.truth(true))
            case "false", "f", "no", "n": return .success(.truth(false))
            default: return fail("“\(trimmed)” is not true or false: \(answerHint).")
            }
        case .numeric:
            var text = trimmed
            if let unit, text.lowercased().hasSuffix(unit.lowercased()) {
                text = String(text.dropLast(unit.count)).trimmingCharacters(in: .whitespaces)
            }
            if text.contains(","), Double(text.replacingOccurrences(of: ",", with: ".")) != nil {
                return fail("“\(trimmed)”: write the decimal point as a dot, e.g. \(text.replacingOccurrences(of: ",", with: ".")).")
            }
            guard let value = Double(text), value.isFinite,
                text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) })
            else {
                return fail("“\(trimmed)” is not a number: \(answerHint).")
            }
            return .success(.number(value))
        case .text:
            guard !AnswerText.normalize(trimmed).isEmpty else {
                return fail("“\(trimmed)” has no letters or digits: \(answerHint).")
            }
            return .success(.text(trimmed))
        }
    }

    /// How to type an answer to this question.
    public var answerHint: String {
        switch kind {
        case .single:
            return "type one letter from a to \(MarkdownRenderer.choiceLabel(choices.count - 1)) (or its number, 1 to \(choices.count))"
        case .multiple:
            return "type every right letter, e.g. `a,c` or `a c` (letters a to \(MarkdownRenderer.choiceLabel(choices.count - 1)))"
        case .truefalse:
            return "type true or false (t/f, yes/no)"
        case .numeric:
            return "type a number such as 3.5" + (unit.map { " (in \($0); the unit is optional)" } ?? "")
        case .text:
            return "type a short answer; case, spacing and punctuation do not matter"
        }
    }

    /// "b" or "2" → 1.
    func choiceIndex(_ token: String) -> Int? {
        if let n = Int(token) { return (1...choices.count).contains(n) ? n - 1 : nil }
        return choices.indices.first { MarkdownRenderer.choiceLabel($0) == token }
    }

    /// Grades a response. Multiple choice is right only when exactly the right choices are
    /// selected (no partial credit); the grade lists what was missed and what was wrongly chosen.
    /// Numbers are right within the tolerance, boundary included.
    public func grade(_ response: QuizResponse) -> QuizGrade {
        switch (answer, response) {
        case (.choice(let right), .choice(let chosen)):
            return QuizGrade(correct: right == chosen, feedback: feedback[chosen].map { [$0] } ?? [])
        case (.choices(let right), .choices(let chosen)):
            return QuizGrade(
                correct: right == chosen, missed: right.subtracting(chosen).sorted(),
                wronglySelected: chosen.subtracting(right).sorted(),
                feedback: chosen.sorted().compactMap { feedback[$0] })
        case (.truth(let right), .truth(let chosen)):
            return QuizGrade(correct: right == chosen, feedback: feedback[chosen ? 1 : 0].map { [$0] } ?? [])
        case (.number(let right, let tolerance), .number(let given)):
            // A relative epsilon keeps decimal boundaries such as 13.04 ± 0.05 → 13.09 inclusive.
            let slack = tolerance + 1e-9 * max(1, abs(right))
            return QuizGrade(correct: abs(given - right) <= slack)
        case (.text(let accepted), .text(let given)):
            let key = AnswerText.key(given)
            return QuizGrade(correct: accepted.contains { AnswerText.key($0) == key })
        default:
            return QuizGrade(correct: false)
        }
    }

    /// Grades typed input; input that is not an answer to this question is wrong.
    public func grade(typed input: String) -> QuizGrade {
        switch parse(input) {
        case .success(let response): return grade(response)
        case .failure: return QuizGrade(correct: false)
        }
    }

    /// The right answer as a learner would read it: "b) …", "a, c", "true", "13.04 GiB (± 0.05)", "“nf4”".
    public var answerText: String {
        switch answer {
        case .choice(let i): return MarkdownRenderer.choiceLabel(i)
        case .choices(let set): return set.sorted().map(MarkdownRenderer.choiceLabel).joined(separator: ", ")
        case .truth(let b): return b ? "true" : "false"
        case .number(let n, let tolerance):
            var text = QuizResponse.format(n)
            if let unit { text += " \(unit)" }
            if tolerance > 0 { text += " (± \(QuizResponse.format(tolerance)))" }
            return text
        case .text(let accepted): return accepted.map { "“\($0)”" }.joined(separator: " or ")
        }
    }
}
