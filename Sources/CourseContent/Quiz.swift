import TerminalUI

/// One quiz question, as written in a lesson's ```quiz block (see lessons/README.md).
public struct QuizQuestion: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        case single, multiple, truefalse, numeric, text

        /// How the learner answers, shown next to the question.
        public var hint: String {
            switch self {
            case .single: return "choose one"
            case .multiple: return "choose all that apply"
            case .truefalse: return "true or false"
            case .numeric: return "a number"
            case .text: return "a short answer"
            }
        }
    }

    public enum Answer: Equatable, Sendable {
        /// 0-based index of the right choice.
        case choice(Int)
        /// 0-based indices of every right choice.
        case choices(Set<Int>)
        case truth(Bool)
        case number(Double, tolerance: Double)
        /// Accepted answers (compared ignoring case, spacing and punctuation).
        case text([String])
    }

    public var id: String
    public var kind: Kind
    /// Inline Markdown.
    public var prompt: String
    /// Inline Markdown, single and multiple choice only.
    public var choices: [String]
    public var answer: Answer
    /// Numeric answers only, e.g. "GB".
    public var unit: String?
    public var explain: String
    /// Feedback shown when the learner picks a choice: 0-based choice index (or 0 = false,
    /// 1 = true for true/false questions) → Markdown.
    public var feedback: [Int: String]
    /// 1-based line of the ```quiz fence in the lesson file.
    public var line: Int
    /// The heading of the lesson section the question follows: where to review it.
    public var section: String

    /// What the learner sees before answering.
    public func card(number: Int) -> QuestionCard {
        var hint = kind.hint
        if kind == .numeric, let unit { hint += ", in \(unit)" }
        return QuestionCard(
            number: number, hint: hint, prompt: CmarkParser.parseInlines(prompt),
            choices: choices.map(CmarkParser.parseInlines))
    }
}

/// Parses and validates the TOML of one quiz block.
enum QuizParser {
    static let keys = ["id", "type", "prompt", "choices", "answer", "tolerance", "unit", "explain", "feedback"]

    /// `fenceLine` is the file line of the opening ``` fence; the TOML starts on the next line.
    /// Returns the question, or nil with every problem found appended to `problems`.
    static func parse(
        _ toml: String, fenceLine: Int, section: String, file: String,
        problems: inout [CourseProblem]
    ) -> QuizQuestion? {
        let start = problems.count
        let document: TOMLDocument
        do {
            document = try TOMLDocument(parsing: toml)
        } catch {
            problems.append(
                CourseProblem(
                    file: file, line: fenceLine + error.line,
                    message: "quiz block is not valid TOML: \(error.message) (column \(error.column))"))
            return nil
        }
        let root = document.root
        func fail(_ key: String, _ message: String, section: String? = nil) {
            problems.append(CourseProblem(file: file, line: fenceLine + document.line(of: key, in: section), message: message))
        }

        for key in root.keys.sorted() where !keys.contains(key) {
            var message = "unknown quiz key `\(key)`"
            if let suggestion = Suggestions.closest(to: key, in: keys) { message += "; did you mean `\(suggestion)`?" }
            message += " (allowed: \(keys.joined(separator: ", ")))"
            fail(key, message)
        }

        func string(_ key: String, required: Bool) -> String? {
            guard let value = root[key] else {
                if required { problems.append(CourseProblem(file: file, line: fenceLine, message: "quiz question is missing `\(key)`")) }
                return nil
            }
            guard case .string(let s) = value else {
                fail(key, "`\(key)` must be a string, found \(value.typeName)")
                return nil
            }
            if required && s.trimming(" ").isEmpty {
                fail(key, "`\(key)` must not be empty")
                return nil
            }
            return s
        }

        let id = string("id", required: true)
        if let id, !isSlug(id) {
            fail("id", "quiz id `\(id)` must be a lowercase slug: letters a-z, digits, - and _ (e.g. \"gguf-goal\")")
        }
        let prompt = string("prompt", required: true)
        let explain = string("explain", required: true)
        let unit = string("unit", required: false)

        var kind: QuizQuestion.Kind?
        if let typeName = string("type", required: true) {
            kind = QuizQuestion.Kind(rawValue: typeName)
            if kind == nil {
                let names = QuizQuestion.Kind.allCases.map(\.rawValue)
                var message = "unknown quiz type `\(typeName)`"
                if let suggestion = Suggestions.closest(to: typeName, in: names) { message += "; did you mean `\(suggestion)`?" }
                fail("type", message + " (expected one of: \(names.joined(separator: ", ")))")
            }
        }

        var choices: [String] = []
        var choicesWellFormed = true
        if let value = root["choices"] {
            if case .array(let items) = value, items.allSatisfy({ if case .string = $0 { return true } else { return false } }) {
                choices = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
            } else {
                choicesWellFormed = false
                fail("choices", "`choices` must be an array of strings, e.g. choices = [\"first\", \"second\"]")
            }
        }

        guard let kind else { return nil }
        let hasChoices = kind == .single || kind == .multiple
        if hasChoices && root["choices"] == nil {
            problems.append(CourseProblem(file: file, line: fenceLine, message: "a `\(kind.rawValue)` question needs `choices` (at least 2)"))
        } else if hasChoices && choicesWellFormed && choices.count < 2 {
            fail("choices", "a `\(kind.rawValue)` question needs at least 2 choices, found \(choices.count)")
        }
        if !hasChoices && root["choices"] != nil {
            fail("choices", "`choices` is only for single and multiple questions, not `\(kind.rawValue)`")
        }
        if kind != .numeric {
            for key in ["tolerance", "unit"] where root[key] != nil {
                fail(key, "`\(key)` is only for numeric questions, not `\(kind.rawValue)`")
            }
        }
        for (i, c) in choices.enumerated() where c.trimming(" ").isEmpty {
            fail("choices", "choice \(i + 1) is empty")
        }

        // The answer, checked against the type and the choices.
        var answer: QuizQuestion.Answer?
        if let value = root["answer"] {
            let range = "1 to \(choices.count)"
            switch (kind, value) {
            case (.single, .integer(let i)):
                if choices.count >= 2 && !(1...choices.count).contains(i) {
                    fail("answer", "answer \(i) is out of range: there are \(choices.count) choices, so the answer is \(range) (1-based)")
                } else {
                    answer = .choice(i - 1)
                }
            case (.multiple, .array(let items)):
                let numbers = items.compactMap { if case .integer(let i) = $0 { return i } else { return nil } }
                if numbers.count != items.count || numbers.isEmpty {
                    fail("answer", "a `multiple` answer is a non-empty list of choice numbers, e.g. answer = [1, 3]")
                } else if let bad = numbers.first(where: { !(1...max(choices.count, 1)).contains($0) }), choices.count >= 2 {
                    fail("answer", "answer \(bad) is out of range: there are \(choices.count) choices (\(range), 1-based)")
                } else if Set(numbers).count != numbers.count {
                    fail("answer", "answer lists a choice twice: \(numbers)")
                } else {
                    answer = .choices(Set(numbers.map { $0 - 1 }))
                }
            case (.truefalse, .bool(let b)):
                answer = .truth(b)
            case (.numeric, .integer), (.numeric, .float):
                var tolerance = 0.0
                if let t = root["tolerance"] {
                    if let n = t.number, n >= 0, n.isFinite {
                        tolerance = n
                    } else {
                        fail("tolerance", "`tolerance` must be a number ≥ 0 (absolute), e.g. tolerance = 0.05")
                    }
                }
                if let n = value.number, n.isFinite {
                    answer = .number(n, tolerance: tolerance)
                } else {
                    fail("answer", "a numeric answer must be a finite number")
                }
            case (.text, .array(let items)):
                let strings = items.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
                if strings.count != items.count || strings.isEmpty || strings.contains(where: { AnswerText.normalize($0).isEmpty }) {
                    fail("answer", "a `text` answer is a non-empty list of accepted strings, e.g. answer = [\"nf4\", \"normal float 4\"]")
                } else {
                    answer = .text(strings)
                }
            case (.text, .string(let s)) where !AnswerText.normalize(s).isEmpty:
                answer = .text([s])
            default:
                let expected: String
                switch kind {
                case .single: expected = "the 1-based number of the right choice, e.g. answer = 2"
                case .multiple: expected = "a list of 1-based choice numbers, e.g. answer = [1, 3]"
                case .truefalse: expected = "true or false"
                case .numeric: expected = "a number, e.g. answer = 3.94"
                case .text: expected = "a list of accepted strings, e.g. answer = [\"nf4\"]"
                }
                fail("answer", "a `\(kind.rawValue)` answer must be \(expected); found \(value.typeName)")
            }
        } else {
            problems.append(CourseProblem(file: file, line: fenceLine, message: "quiz question is missing `answer`"))
        }

        // Per-choice feedback.
        var feedback: [Int: String] = [:]
        if let value = root["feedback"] {
            if case .table(let entries) = value {
                for (key, text) in entries.sorted(by: { $0.key < $1.key }) {
                    guard case .string(let message) = text else {
                        fail(key, "feedback for choice \(key) must be a string", section: "feedback")
                        continue
                    }
                    if kind == .truefalse, key == "true" || key == "false" {
                        feedback[key == "true" ? 1 : 0] = message
                    } else if hasChoices, let n = Int(key), (1...max(choices.count, 1)).contains(n) {
                        feedback[n - 1] = message
                    } else {
                        let allowed =
                            kind == .truefalse
                            ? "\"true\" or \"false\""
                            : hasChoices ? "a choice number from 1 to \(choices.count)" : "nothing: \(kind.rawValue) questions take no per-choice feedback"
                        fail(key, "feedback key `\(key)` must be \(allowed)", section: "feedback")
                    }
                }
            } else {
                fail("feedback", "`feedback` must be a table: [feedback] then lines like \"2\" = \"why choice 2 is wrong\"")
            }
        }

        guard problems.count == start, let id, let prompt, let explain, let answer else { return nil }
        return QuizQuestion(
            id: id, kind: kind, prompt: prompt, choices: choices, answer: answer, unit: unit,
            explain: explain, feedback: feedback, line: fenceLine, section: section)
    }

    static func isSlug(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, ("a"..."z").contains(first) || ("0"..."9").contains(first) else { return false }
        return s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}

/// Text answers are compared after normalization: compatibility forms unified (full-width
/// letters, ligatures, non-breaking spaces), case-folded, punctuation dropped, runs of whitespace
/// collapsed.
public enum AnswerText {
    public static func normalize(_ s: String) -> String {
        var out = ""
        var pendingSpace = false
        for character in s.precomposedStringWithCompatibilityMapping.lowercased() {
            if character.isWhitespace {
                pendingSpace = !out.isEmpty
            } else if character.isPunctuation || character.isSymbol {
                continue
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(character)
            }
        }
        return out
    }
}

extension AnswerText {
    /// What two text answers are compared by: the normalized text without any spacing, so that
    /// "zero point", "zero-point" and "ZeroPoint" are the same answer.
    public static func key(_ s: String) -> String {
        normalize(s).filter { !$0.isWhitespace }
    }
}
