import Foundation
import Testing

@testable import CourseContent

@Suite struct LearnerRecordsTests {
    @Test func anAttemptScoresItsCorrectAnswers() {
        let answers = [
            QuizAttempt.Answer(questionID: "a", answer: "b", correct: true), QuizAttempt.Answer(questionID: "b", answer: "13", correct: false),
            QuizAttempt.Answer(questionID: "c", answer: "true", correct: true),
        ]
        let attempt = QuizAttempt(
            lessonID: "bits", module: 1, startedAt: Date(timeIntervalSince1970: 0), finishedAt: Date(timeIntervalSince1970: 60), seed: nil,
            answers: answers, maxScore: 3)
        #expect(attempt.score == 2)
    }

    /// Percentages are rounded half away from zero: 1 of 8 is 12.5%, shown as 13%.
    @Test func scoresShowAsAFractionAndARoundedPercent() {
        #expect(QuizScore(score: 2, max: 3).text == "2 of 3 (67%)")
        #expect(QuizScore(score: 1, max: 8).percent == 13)
        #expect(QuizScore(score: 7, max: 10).fraction == 0.7)
        #expect(QuizScore(score: 5, max: 5).text == "5 of 5 (100%)")
        // No questions: nothing to divide by.
        #expect(QuizScore(score: 0, max: 0).fraction == 0 && QuizScore(score: 0, max: 0).text == "0 of 0 (0%)")
    }
}
