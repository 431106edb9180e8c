import Foundation

/// One finished quiz attempt: every question answered. Only complete attempts are recorded (see
/// lessons/README.md, "Taking a quiz").
public struct QuizAttempt: Equatable, Sendable {
    public struct Answer: Equatable, Sendable {
        public var questionID: String
        /// What the learner answered, in the syntax they type (`QuizResponse.canonical`).
        public var answer: String
        public var correct: Bool

        public init(questionID: String, answer: String, correct: Bool) {
            self.questionID = questionID
            self.answer = answer
            self.correct = correct
        }
    }

    public var lessonID: String
    public var module: Int
    public var startedAt: Date
    public var finishedAt: Date
    /// The shuffle seed, when the questions were shuffled.
    public var seed: UInt64?
    /// In the order asked.
    public var answers: [Answer]
    /// The number of questions in the quiz.
    public var maxScore: Int

    public var score: Int { answers.filter(\.correct).count }

    public init(lessonID: String, module: Int, startedAt: Date, finishedAt: Date, seed: UInt64?, answers: [Answer], maxScore: Int) {
        self.lessonID = lessonID
        self.module = module
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.seed = seed
        self.answers = answers
        self.maxScore = maxScore
    }
}

/// A score out of a maximum, shown as "6 of 8 (75%)" with a bar.
public struct QuizScore: Equatable, Sendable, Codable {
    public var score: Int
    public var max: Int

    public init(score: Int, max: Int) {
        self.score = score
        self.max = max
    }

    public var fraction: Double { max > 0 ? Double(score) / Double(max) : 0 }
    public var percent: Int { Int((fraction * 100).rounded()) }
    public var text: String { "\(score) of \(max) (\(percent)%)" }
}

/// What a learner has done, as read from the progress store: the input of the progress view.
public struct LearnerRecord: Equatable, Sendable {
    /// Ids of the lessons shown by `quantlab read`.
    public var lessonsRead: Set<String>
    /// Lesson id → best score of a complete quiz attempt.
    public var bestQuiz: [String: QuizScore]
    /// Lesson id → number of complete quiz attempts.
    public var quizAttempts: [String: Int]
    /// Module number → ids of exercises (`NN-slug`) with at least one passing run.
    public var exercisesPassed: [Int: Set<String>]

    public init(
        lessonsRead: Set<String> = [], bestQuiz: [String: QuizScore] = [:], quizAttempts: [String: Int] = [:],
        exercisesPassed: [Int: Set<String>] = [:]
    ) {
        self.lessonsRead = lessonsRead
        self.bestQuiz = bestQuiz
        self.quizAttempts = quizAttempts
        self.exercisesPassed = exercisesPassed
    }
}
