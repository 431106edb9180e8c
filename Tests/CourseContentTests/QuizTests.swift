import Foundation
import Testing

@testable import CourseContent
@testable import TerminalUI

@Suite struct QuizTests {
    static let valid = """
        id = "q"
        type = "single"
        prompt = "Which?"
        choices = ["a", "b", "c"]
        answer = 2
        explain = "Because."
        """

    func quizProblems(_ quiz: String) throws -> [CourseProblem] {
        try LessonTests().parse(LessonTests.header + "\n## Quiz\n\n```quiz\n" + quiz + "\n```\n").problems
    }

    @Test func unknownQuizTypeNamesLineAndSuggests() throws {
        let problems = try quizProblems(Self.valid.replacingOccurrences(of: "\"single\"", with: "\"singel\""))
        #expect(problems.count == 1)
        // front matter on lines 1–6, fence on line 10, `type` on TOML line 2 → file line 12
        #expect(problems.first?.line == 12)
        #expect(problems.first?.message.contains("unknown quiz type `singel`; did you mean `single`?") == true)
    }

    @Test func answerIndexOutOfRange() throws {
        let problems = try quizProblems(Self.valid.replacingOccurrences(of: "answer = 2", with: "answer = 4"))
        #expect(problems.map(\.line) == [15])
        #expect(problems.first?.message.contains("out of range: there are 3 choices") == true)
        let zero = try quizProblems(Self.valid.replacingOccurrences(of: "answer = 2", with: "answer = 0"))
        #expect(zero.count == 1)
    }

    @Test func quizTOMLSyntaxError() throws {
        let problems = try quizProblems("id = \"q\"\ntype = single\n")
        #expect(problems.first?.line == 12)
        #expect(problems.first?.message.hasPrefix("quiz block is not valid TOML") == true)
    }

    @Test func quizFieldValidation() throws {
        let cases: [(String, String)] = [
            (Self.valid.replacingOccurrences(of: "explain = \"Because.\"", with: ""), "missing `explain`"),
            (Self.valid.replacingOccurrences(of: "prompt", with: "promt"), "did you mean `prompt`?"),
            (Self.valid.replacingOccurrences(of: "answer = 2", with: "answer = true"), "must be the 1-based number"),
            (Self.valid.replacingOccurrences(of: "choices = [\"a\", \"b\", \"c\"]", with: "choices = [\"a\"]"), "at least 2 choices"),
            (Self.valid + "\ntolerance = 0.1", "`tolerance` is only for numeric"),
            (Self.valid + "\n[feedback]\n\"7\" = \"x\"", "feedback key `7` must be a choice number from 1 to 3"),
            ("id = \"m\"\ntype = \"multiple\"\nprompt = \"p\"\nchoices = [\"a\", \"b\"]\nanswer = [1, 1]\nexplain = \"e\"", "lists a choice twice"),
            ("id = \"n\"\ntype = \"numeric\"\nprompt = \"p\"\nanswer = 3\ntolerance = -1\nexplain = \"e\"", "`tolerance` must be a number ≥ 0"),
            ("id = \"x\"\ntype = \"text\"\nprompt = \"p\"\nanswer = []\nexplain = \"e\"", "non-empty list of accepted strings"),
            ("id = \"b\"\ntype = \"truefalse\"\nprompt = \"p\"\nanswer = 1\nexplain = \"e\"", "must be true or false"),
        ]
        for (quiz, expected) in cases {
            let problems = try quizProblems(quiz)
            #expect(problems.contains { $0.message.contains(expected) }, "expected “\(expected)” in \(problems)")
        }
    }

    @Test func everyQuestionTypeParses() throws {
        let quizzes = [
            "id = \"m\"\ntype = \"multiple\"\nprompt = \"p\"\nchoices = [\"a\", \"b\", \"c\"]\nanswer = [3, 1]\nexplain = \"e\"",
            "id = \"b\"\ntype = \"truefalse\"\nprompt = \"p\"\nanswer = false\nexplain = \"e\"\n[feedback]\n\"true\" = \"no\"",
            "id = \"n\"\ntype = \"numeric\"\nprompt = \"p\"\nanswer = 3\ntolerance = 0.5\nunit = \"GB\"\nexplain = \"e\"",
            "id = \"x\"\ntype = \"text\"\nprompt = \"p\"\nanswer = [\"NF4\", \"normal float\"]\nexplain = \"e\"",
        ]
        let lesson = try LessonTests().parse(LessonTests.header + quizzes.map { "\n```quiz\n\($0)\n```\n" }.joined())
        #expect(lesson.problems.isEmpty)
        #expect(lesson.questions.map(\.answer) == [.choices([0, 2]), .truth(false), .number(3, tolerance: 0.5), .text(["NF4", "normal float"])])
        #expect(lesson.questions[1].feedback == [1: "no"])
        #expect(lesson.questions[2].card(number: 3).hint == "a number, in GB")
    }

    @Test func answerTextNormalization() {
        #expect(AnswerText.normalize("  Normal-Float   4! ") == "normalfloat 4")
        #expect(AnswerText.normalize("NF4") == AnswerText.normalize("nf 4".replacingOccurrences(of: " ", with: "")))
        // Full-width forms fold to ASCII (NFKC), so they match what a key spells in ASCII.
        #expect(AnswerText.normalize("Ｑ４") == "q4")
        #expect(AnswerText.normalize("...") == "")
    }
}
