import Foundation
import TerminalUI
import TestSupport
import Testing

@testable import CourseContent
@testable import CourseViews

@Suite struct QuizSessionTests {
    /// Runs a session on scripted input lines; returns the outcome and the transcript.
    func run(_ lines: [String], seed: UInt64? = nil, echo: Bool = true) throws -> (QuizSession.Outcome, String, QuizSession) {
        let session = QuizSession(
            lesson: try QuizFixture.lesson(), seed: seed,
            renderer: MarkdownRenderer(width: 60, style: .plain), echoInput: echo)
        var input = lines[...]
        var transcript = ""
        var clock = Date(timeIntervalSince1970: 1_700_000_000)
        let outcome = session.run(
            read: { input.popFirst() }, write: { transcript += $0 },
            now: {
                clock += 60
                return clock
            })
        return (outcome, transcript, session)
    }

    @Test func scriptedSessionTranscript() throws {
        let (outcome, transcript, session) = try run(["x", "b", "a c", "yes", "13,1", "13.1", "Zero-Point"])
        let expected = """
            Quiz: Fixture (module 1), 5 questions
            Answer each question and press Enter. Ctrl-D or Ctrl-C quits; an unfinished attempt is not recorded.

            ❓ Question 1 (choose one)
            Which is 8 bits?
              a) Q4_0
              b) Q8_0
              c) F16
            Answer: x
            ↳ “x” is not a choice: type one letter from a to c (or its
            number, 1 to 3).
            Answer: b
            ✓ Right.
            Why: Q8_0 stores 8-bit codes.

            ❓ Question 2 (choose all that apply)
            Which compare predictions?
              a) KLD
              b) PPL ratio
              c) File size
              d) Speed
            Answer: a c
            ✗ Not quite. The answer is a, b. You missed b and should not
            have chosen c.
            Size is what you gain.

            Why: KLD and the PPL ratio compare predictions.

            ❓ Question 3 (true or false)
            KLD is never negative.
            Answer: yes
            ✓ Right.
            Why: Gibbs' inequality.

            ❓ Question 4 (a number, in GiB)
            GiB of 14e9 bytes?
            Answer: 13,1
            ↳ “13,1”: write the decimal point as a dot, e.g. 13.1.
            Answer: 13.1
            ✗ Not quite. The answer is 13.04 GiB (± 0.05).
            Why: 14e9 / 2^30.

            ❓ Question 5 (a short answer)
            Name the integer that stands for 0.0.
            Answer: Zero-Point
            ✓ Right.
            Why: The zero point z.


            """
        #expect(transcript == expected)
        guard case .completed(let attempt) = outcome else {
            Issue.record("expected a completed attempt, got \(outcome)")
            return
        }
        #expect(attempt.score == 3)
        #expect(attempt.maxScore == 5)
        #expect(attempt.answers.map(\.answer) == ["b", "a+c", "true", "13.1", "Zero-Point"])
        #expect(attempt.answers.map(\.correct) == [true, false, true, false, true])
        #expect(attempt.finishedAt.timeIntervalSince(attempt.startedAt) == 60)
        #expect(attempt.lessonID == "fixture" && attempt.module == 1 && attempt.seed == nil)

        let summary = MarkdownRenderer(width: 60, style: .plain).style.serialize(
            session.summary(attempt, previousBest: QuizScore(score: 4, max: 5)))
        #expect(
            summary == """
                Score: 3 of 5 (60%)  ██████░░░░
                Review (quantlab read 1):
                  • section “Metrics”: questions 2 (pick-many), 4 (num)
                Best score so far: 4 of 5 (80%)

                """)
    }

    @Test func endOfInputMidQuizRecordsNothing() throws {
        let (outcome, transcript, _) = try run(["b", "a,b"])
        #expect(outcome == .ended(answered: 2, total: 5))
        #expect(transcript.hasSuffix("Answer: \n"))
        // End of input while being re-asked after an invalid answer ends the same way.
        let (again, _, _) = try run(["nonsense"])
        #expect(again == .ended(answered: 0, total: 5))
    }

    @Test func aTerminalEchoesSoTheSessionDoesNot() throws {
        let (_, transcript, _) = try run(["b"], echo: false)
        #expect(transcript.contains("Answer: ✓ Right."))
    }

    @Test func perfectScoreSummary() throws {
        let (outcome, _, session) = try run(["b", "a,b", "true", "13.04", "zero point"])
        guard case .completed(let attempt) = outcome else {
            Issue.record("not completed")
            return
        }
        let text = OutputStyle.plain.serialize(session.summary(attempt, previousBest: QuizScore(score: 3, max: 5)))
        #expect(text == "Score: 5 of 5 (100%)  ██████████\nEvery answer right.\nBest score so far: 5 of 5 (100%), this attempt (a new best)\n")
        let first = OutputStyle.plain.serialize(session.summary(attempt, previousBest: nil))
        #expect(first.hasSuffix("Best score so far: 5 of 5 (100%), this attempt\n"))
        let tie = OutputStyle.plain.serialize(session.summary(attempt, previousBest: QuizScore(score: 5, max: 5)))
        #expect(tie.hasSuffix("Best score so far: 5 of 5 (100%)\n"))
    }

    @Test func shuffleIsRepeatableAndAPermutation() throws {
        let a = QuizOrder.shuffled(count: 8, seed: 42)
        #expect(a == QuizOrder.shuffled(count: 8, seed: 42))
        #expect(a.sorted() == Array(0..<8))
        #expect(a != QuizOrder.shuffled(count: 8, seed: 43))
        // Fixed values (checked against a Python SplitMix64 + Fisher–Yates): a seed must give the same order in every release.
        #expect(QuizOrder.shuffled(count: 5, seed: 7) == [4, 1, 3, 0, 2])
        #expect(a == [3, 1, 6, 2, 4, 0, 7, 5])
        #expect(QuizOrder.shuffled(count: 1, seed: 1) == [0])
        #expect(QuizOrder.shuffled(count: 0, seed: 1) == [])

        let right = ["pick-one": "b", "pick-many": "a,b", "tf": "true", "num": "13.04", "words": "zero point"]
        let order = QuizOrder.shuffled(count: 5, seed: 42).map { try! QuizFixture.lesson().questions[$0].id }
        let (outcome, transcript, session) = try run(order.map { right[$0]! }, seed: 42)
        #expect(transcript.hasPrefix("Quiz: Fixture (module 1), 5 questions, shuffled with seed 42\n"))
        #expect(session.questions.map(\.id) == order)
        guard case .completed(let attempt) = outcome else {
            Issue.record("not completed")
            return
        }
        // Answers follow the asked order and are stored by question id.
        #expect(attempt.answers.map(\.questionID) == session.questions.map(\.id))
        #expect(attempt.seed == 42)
        #expect(attempt.score == 5)
    }

    @Test func scoreText() {
        #expect(QuizScore(score: 2, max: 3).text == "2 of 3 (67%)")
        #expect(QuizScore(score: 0, max: 0).percent == 0)
    }
}
