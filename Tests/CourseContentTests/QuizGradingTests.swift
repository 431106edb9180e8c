import Foundation
import TestSupport
import Testing

@testable import CourseContent

@Suite struct QuizGradingTests {
    func grade(_ id: String, _ input: String) throws -> Bool {
        let question = try QuizFixture.question(id)
        let response = try question.parse(input).get()
        return question.grade(response).correct
    }

    func parseError(_ id: String, _ input: String) throws -> String? {
        if case .failure(let error) = try QuizFixture.question(id).parse(input) { return error.message }
        return nil
    }

    @Test func singleChoiceByLetterOrNumber() throws {
        #expect(try grade("pick-one", "b"))
        #expect(try grade("pick-one", " B "))
        #expect(try grade("pick-one", "2"))
        #expect(try !grade("pick-one", "a"))
        #expect(try !grade("pick-one", "3"))
        #expect(try parseError("pick-one", "d") == "“d” is not a choice: type one letter from a to c (or its number, 1 to 3).")
        #expect(try parseError("pick-one", "0") != nil)
        #expect(try parseError("pick-one", "4") != nil)
        #expect(try parseError("pick-one", "a,b") != nil)
        #expect(try parseError("pick-one", "   ") == "Type your answer (type one letter from a to c (or its number, 1 to 3)).")
    }

    @Test func singleChoiceFeedbackIsForTheChosenChoice() throws {
        let q = try QuizFixture.question("pick-one")
        #expect(q.grade(.choice(0)).feedback == ["Q4_0 is 4-bit."])
        #expect(q.grade(.choice(2)).feedback == [])
        #expect(q.grade(.choice(1)).feedback == [])
    }

    @Test func multipleChoiceNeedsExactlyTheRightSet() throws {
        for input in ["a,b", "b,a", "a b", "a+b", "ab", "1,2", "A, B", "a,b,a"] {
            #expect(try grade("pick-many", input), "\(input)")
        }
        let q = try QuizFixture.question("pick-many")
        // Partial selections: no partial credit; the grade says what was missed and what was extra.
        let partial = q.grade(.choices([0]))
        #expect(!partial.correct)
        #expect(partial.missed == [1])
        #expect(partial.wronglySelected == [])
        let extra = q.grade(.choices([0, 1, 2]))
        #expect(!extra.correct)
        #expect(extra.missed == [])
        #expect(extra.wronglySelected == [2])
        #expect(extra.feedback == ["Size is what you gain."])
        let disjoint = q.grade(.choices([2, 3]))
        #expect(disjoint.missed == [0, 1] && disjoint.wronglySelected == [2, 3])
        #expect(try parseError("pick-many", "a,x") == "“x” is not a choice: type every right letter, e.g. `a,c` or `a c` (letters a to d).")
        #expect(try parseError("pick-many", "a,5") != nil)
    }

    @Test func trueFalseSpellings() throws {
        for input in ["true", "TRUE", "t", "yes", "Y"] { #expect(try grade("tf", input)) }
        for input in ["false", "f", "no", "n"] { #expect(try !grade("tf", input)) }
        #expect(try parseError("tf", "maybe") != nil)
        #expect(try parseError("tf", "1") != nil)
        let q = try QuizFixture.question("tf")
        #expect(q.grade(.truth(false)).feedback == ["It is at least 0."])
        #expect(q.grade(.truth(true)).feedback == [])
    }

    @Test func numericToleranceBoundariesAreInclusive() throws {
        // 13.04 ± 0.05: 12.99 and 13.09 are right (decimal boundaries despite binary rounding).
        for input in ["13.04", "13.09", "12.99", "13.0", "13.06 GiB", "13.06gib", "+13.04", "1.304e1"] {
            #expect(try grade("num", input), "\(input)")
        }
        for input in ["13.0901", "12.9899", "14", "-13.04"] {
            #expect(try !grade("num", input), "\(input)")
        }
        #expect(try parseError("num", "13,04") == "“13,04”: write the decimal point as a dot, e.g. 13.04.")
        #expect(try parseError("num", "thirteen") == "“thirteen” is not a number: type a number such as 3.5 (in GiB; the unit is optional).")
        #expect(try parseError("num", "nan") != nil)
        #expect(try parseError("num", "inf") != nil)
        #expect(try parseError("num", "13.04 GB") != nil)
        #expect(try parseError("num", "0x10") != nil)
    }

    @Test func exactNumericAnswer() throws {
        let q = QuizQuestion(
            id: "x", kind: .numeric, prompt: "p", choices: [], answer: .number(4.25, tolerance: 0), unit: nil,
            explain: "e", feedback: [:], line: 1, section: "")
        #expect(q.grade(.number(4.25)).correct)
        #expect(!q.grade(.number(4.2501)).correct)
        #expect(!q.grade(.number(4.2499)).correct)
    }

    @Test func textIgnoresCaseSpacingPunctuationAndUnicodeForms() throws {
        for input in [
            "zero point", "Zero Point", "  zero   point ", "zero-point", "ZeroPoint", "zero_point!",
            "zero\u{00A0}point", "ＺＥＲＯ ＰＯＩＮＴ", "\"zero point.\"", "zero\tpoint",
        ] {
            #expect(try grade("words", input), "\(input)")
        }
        for input in ["zero", "point zero", "zero points"] {
            #expect(try !grade("words", input), "\(input)")
        }
        #expect(try parseError("words", "?!") == "“?!” has no letters or digits: type a short answer; case, spacing and punctuation do not matter.")
        // Composed and decomposed accents are the same answer.
        let q = QuizQuestion(
            id: "x", kind: .text, prompt: "p", choices: [], answer: .text(["café"]), unit: nil,
            explain: "e", feedback: [:], line: 1, section: "")
        #expect(q.grade(.text("cafe\u{0301}")).correct)
        #expect(q.grade(.text("CAFÉ")).correct)
        #expect(!q.grade(.text("cafe")).correct)
    }

    @Test func canonicalFormsParseBackToTheSameAnswer() throws {
        let lesson = try QuizFixture.lesson()
        let responses: [String: QuizResponse] = [
            "pick-one": .choice(2), "pick-many": .choices([0, 3]), "tf": .truth(false),
            "num": .number(13.04), "words": .text("Zero, point"),
        ]
        for question in lesson.questions {
            let response = try #require(responses[question.id])
            #expect(try question.parse(response.canonical).get() == response, "\(question.id)")
        }
        #expect(QuizResponse.choices([0, 3]).canonical == "a+d")
        #expect(QuizResponse.number(3).canonical == "3")
        #expect(QuizResponse.number(0.05).canonical == "0.05")
    }

    @Test func gradingTypedInputThatIsNotAnAnswerIsWrong() throws {
        #expect(try !QuizFixture.question("pick-one").grade(typed: "zz").correct)
        #expect(try QuizFixture.question("num").grade(typed: "13.05").correct)
    }

    @Test func answerTextForEveryType() throws {
        let lesson = try QuizFixture.lesson()
        #expect(lesson.questions.map(\.answerText) == ["b", "a, b", "true", "13.04 GiB (± 0.05)", "“zero point”"])
    }

    @Test func everyLessonQuestionAcceptsItsOwnAnswer() throws {
        // The course's own keys, answered with the canonical form of the right answer.
        let course = try Course.load(root: TestPaths.repository)
        for lesson in course.lessons {
            for question in lesson.questions {
                let right: QuizResponse
                switch question.answer {
                case .choice(let i): right = .choice(i)
                case .choices(let set): right = .choices(set)
                case .truth(let b): right = .truth(b)
                case .number(let n, _): right = .number(n)
                case .text(let accepted): right = .text(accepted[0])
                }
                #expect(question.grade(typed: right.canonical).correct, "\(lesson.file) \(question.id)")
            }
        }
    }
}
