import ArgumentParser
import CourseContent
import CourseViews
import Foundation

struct TakeQuiz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "take",
        abstract: "Answer a module's quiz one question at a time (the default: `quantlab quiz 1`).",
        discussion: """
            Answer choices by letter or number (several: `a,c` or `a c`), true/false as true or false, numbers \
            with a dot for the decimal point (the unit is optional), text as you like: case, spacing and \
            punctuation are ignored. Input that is not an answer is asked again. Answers may come from a pipe, \
            one per line. Only a finished attempt is recorded: end of input (Ctrl-D) or Ctrl-C mid-quiz ends \
            without recording anything (exit 1, or 130 for Ctrl-C).
            """)

    @Argument(help: ArgumentHelp("The module: its number (1), id (why-quantize) or file name.", valueName: "module"))
    var module: String

    @Flag(help: "Ask the questions in a random order.") var shuffle = false
    @Option(help: ArgumentHelp("Shuffle with this seed, for a repeatable order (implies --shuffle).", valueName: "n")) var seed: UInt64?
    @Option(
        help: ArgumentHelp(
            "Answer without asking: the answers in order, separated by commas (several choices joined by + or spaces: \"b,a+c,13.04,true\").", valueName: "list"
        ))
    var answers: String?

    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        let lesson = try self.course.lesson(module, in: course, command: TakeQuiz.self, name: "quiz")
        guard !lesson.questions.isEmpty else {
            throw fail(.usage("module \(lesson.number) (\(lesson.file)) has no quiz questions"))
        }
        let seed = self.seed ?? (shuffle ? UInt64.random(in: 0...999_999) : nil)
        let session = QuizSession(lesson: lesson, seed: seed, renderer: display.renderer(), echoInput: isatty(STDIN_FILENO) != 1 || answers != nil)
        var given = try scriptedAnswers(for: session.questions)
        // A broken store is reported before the learner spends time on the questions.
        let store = try StoreOptions.open()

        QuizInterrupt.arm()
        let read: () -> String? = given == nil ? { readLine(strippingNewline: true) } : { given!.isEmpty ? nil : given!.removeFirst() }
        let outcome = session.run(read: read, write: Output.write)
        switch outcome {
        case .ended(let answered, let total):
            QuizInterrupt.disarm()
            Output.error(
                "Quiz ended after \(answered) of \(total) questions: this attempt was not recorded. Run `quantlab quiz \(lesson.number)` to start again.")
            throw ExitCode(1)
        case .completed(let attempt):
            // Recording is one transaction; Ctrl-C waits for it so that what is said is what happened.
            QuizInterrupt.hold()
            defer { QuizInterrupt.disarm() }
            let previousBest = try StoreOptions.run { try store.learnerRecord().bestQuiz[lesson.id] }
            try StoreOptions.run { try store.record(attempt) }
            Output.write(display.renderer().style.serialize(session.summary(attempt, previousBest: previousBest)))
        }
    }

    /// --answers split and checked against the questions before anything is asked.
    func scriptedAnswers(for questions: [QuizQuestion]) throws -> [String]? {
        guard let answers else { return nil }
        let items = answers.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if items.count > questions.count {
            throw ValidationError("--answers has \(items.count) answers; the quiz has \(questions.count) questions")
        }
        for (i, (item, question)) in zip(items, questions).enumerated() {
            if case .failure(let error) = question.parse(item) {
                throw ValidationError("--answers: answer \(i + 1) (“\(item)”) to question \(i + 1) (`\(question.id)`): \(error.message)")
            }
        }
        return items
    }
}

/// Ctrl-C during a quiz: say that nothing was recorded and exit 130 (the shell's code for SIGINT).
enum QuizInterrupt {
    static func arm() {
        // A parent may have started us with SIGINT blocked (the mask is inherited): unblock it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            let message: StaticString = "\nQuiz interrupted: this attempt was not recorded.\n"
            _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
            _exit(130)
        }
    }

    /// Ignore Ctrl-C while the attempt is written.
    static func hold() { signal(SIGINT, SIG_IGN) }

    static func disarm() { signal(SIGINT, SIG_DFL) }
}
