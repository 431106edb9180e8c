import ArgumentParser
import CourseContent
import CourseViews
import Foundation
import Grading
import LearnerProgress
import TerminalUI

/// Where the progress store is, and opening it with errors a learner can act on (exit 65).
struct StoreOptions {
    static func path() throws -> String {
        do {
            return try ProgressStore.defaultPath(environment: ProcessInfo.processInfo.environment)
        } catch {
            Output.error("quantlab: \(error)")
            throw ExitCode(65)
        }
    }

    /// Opens (and creates) the store.
    static func open() throws -> ProgressStore {
        try run { try ProgressStore.open(path: try path()) }
    }

    /// The learner's record; empty when no store exists yet (views never create it).
    static func record() throws -> LearnerRecord {
        try run { try ProgressStore.openIfExists(path: try path())?.learnerRecord() ?? LearnerRecord() }
    }

    /// Runs store work; a store error is printed and becomes exit 65.
    @discardableResult
    static func run<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let error as ProgressStoreError {
            Output.error("quantlab: \(error)")
            throw ExitCode(65)
        }
    }
}

extension CourseOptions {
    /// The lesson `reference` names: unknown → usage error (64); invalid file → 1.
    func lesson(_ reference: String, in course: Course, command: any ParsableCommand.Type, name: String) throws -> Lesson {
        let entry: Course.Entry
        do {
            entry = try course.entry(for: reference)
        } catch {
            Output.error("Error: \(error)\nUsage: \(QuantLab.usageString(for: command))\n  See 'quantlab \(name) --help' for more information.")
            throw ExitCode(64)
        }
        switch entry.lesson {
        case .failure(let problem):
            Output.error("quantlab: \(problem)")
            throw ExitCode(1)
        case .success(let lesson):
            return lesson
        }
    }
}

/// Writes a file whole or not at all (temporary file, then rename); `-` is standard output.
func writeOutput(_ text: String, to path: String) throws {
    if path == "-" {
        Output.write(text)
        return
    }
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        Output.error("quantlab: \(path): cannot write: \(error.localizedDescription)")
        throw ExitCode(65)
    }
}

struct Quiz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a module's quiz, or export your answers for an instructor.",
        subcommands: [TakeQuiz.self, ExportQuiz.self],
        defaultSubcommand: TakeQuiz.self)
}

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
    @Option(help: ArgumentHelp("Answer without asking: the answers in order, separated by commas (several choices joined by + or spaces: \"b,a+c,13.04,true\").", valueName: "list"))
    var answers: String?

    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        let lesson = try self.course.lesson(module, in: course, command: TakeQuiz.self, name: "quiz")
        guard !lesson.questions.isEmpty else {
            Output.error("quantlab: module \(lesson.number) (\(lesson.file)) has no quiz questions")
            throw ExitCode(64)
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
            Output.error("Quiz ended after \(answered) of \(total) questions: this attempt was not recorded. Run `quantlab quiz \(lesson.number)` to start again.")
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

struct ExportQuiz: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write your latest answers to every quiz as JSON, for an instructor to grade.",
        discussion: "The file format (versioned) is documented in lessons/README.md, \"Quiz answer files\".")

    @Option(help: ArgumentHelp("Your student id, as your instructor gave it (letters, digits, . _ @ -).", valueName: "id")) var student: String
    @Option(help: ArgumentHelp("The file to write (- for standard output).", valueName: "file")) var out: String

    func validate() throws {
        if let problem = QuizAnswerFile.problem(withStudentID: student) { throw ValidationError("--student: \(problem)") }
    }

    func run() throws {
        let path = try StoreOptions.path()
        let latest = try StoreOptions.run { try ProgressStore.openIfExists(path: path)?.latestAnswers() ?? [] }
        let iso = ISO8601DateFormatter()
        let file = QuizAnswerFile(student: student, exportedAt: iso.string(from: Date()), modules: latest.map {
            QuizAnswerFile.Module(module: $0.module, lessonID: $0.lessonID, finishedAt: iso.string(from: $0.finishedAt),
                                  score: $0.score, max: $0.maxScore, answers: $0.answers)
        })
        try writeOutput(try file.json(), to: out)
        if latest.isEmpty {
            Output.error("quantlab: no finished quiz attempt in \(path); \(out) lists no modules. Take a quiz first: quantlab quiz 1")
        } else if out != "-" {
            Output.error("Wrote the answers of \(latest.count) module\(latest.count == 1 ? "" : "s") to \(out).")
        }
    }
}

struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade a class's submissions (instructors).",
        subcommands: [GradeQuizzes.self, GradeExercises.self, GradeMerge.self, GradeWorker.self])
}

struct GradeQuizzes: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quizzes",
        abstract: "Grade every student's quiz answer file: one CSV row per student and module.",
        discussion: """
            Reads DIR/*.json and DIR/<student>/*.json (files written by `quantlab quiz export`). A file that \
            cannot be graded is a row with status `invalid` and a message; a module without answers is a row \
            with status `missing`. Columns: student, module, lesson_id, status, score, max, questions \
            (id=1 right, id=0 wrong, id=- unanswered), file, message.
            """)

    @Option(help: ArgumentHelp("The folder of answer files.", valueName: "dir")) var answers: String
    @Option(help: ArgumentHelp("The CSV file to write (- for standard output).", valueName: "file")) var out: String
    @Flag(help: "Also print the gradebook as JSON on standard output.") var json = false
    @Option(help: ArgumentHelp("Also write the gradebook as a JSON document (what grade merge reads).", valueName: "file")) var jsonFile: String?
    @Option(help: ArgumentHelp("Grade only shard K of N (e.g. 2/4): a fixed split by student. Combine the shards' --json-file outputs with grade merge.", valueName: "K/N"))
    var shard: String?

    func validate() throws {
        if let shard, ExerciseGradebook.Shard(shard) == nil { throw ValidationError("--shard must be K/N with 1 ≤ K ≤ N ≤ 10000 (e.g. 2/4), got '\(shard)'") }
    }
    @Option(help: ArgumentHelp("Grade against your own key: a folder of lesson files with quiz blocks (same format as the course's). Default: the course's quizzes.", valueName: "dir"))
    var key: String?

    @OptionGroup var course: CourseOptions

    func run() throws {
        let keyCourse: Course
        if let key {
            do {
                keyCourse = try Course.loadKey(directory: URL(fileURLWithPath: key))
            } catch {
                Output.error("quantlab: --key: \(error)")
                throw ExitCode(64)
            }
        } else {
            keyCourse = try course.loadCourse()
        }
        let problems = keyCourse.problems
        if !problems.isEmpty {
            Output.error(problems.map { "quantlab: \($0)" }.joined(separator: "\n") + "\nquantlab: the key has problems; fix them first (nothing was graded)")
            throw ExitCode(1)
        }
        let rows: [QuizGradebook.Row]
        do {
            rows = try QuizGradebook.grade(directory: URL(fileURLWithPath: answers), key: keyCourse.lessons, shard: shard.flatMap(ExerciseGradebook.Shard.init))
        } catch {
            Output.error("quantlab: --answers: \(error)")
            throw ExitCode(64)
        }
        try writeOutput(QuizGradebook.csv(rows), to: out)
        if json { Output.write(try QuizGradebook.json(rows)) }
        if let jsonFile {
            try writeOutput(try JSON.encode(QuizGradebook.Book(shard: shard.flatMap(ExerciseGradebook.Shard.init), rows: rows)) + "\n", to: jsonFile)
        }
        let students = Set(rows.map(\.student)).count
        let counts = QuizGradebook.Row.Status.allCases.map { status in "\(rows.filter { $0.status == status }.count) \(status.rawValue)" }
        Output.error("Graded \(students) student\(students == 1 ? "" : "s"): \(rows.count) rows (\(counts.joined(separator: ", "))) → \(out)")
    }
}

struct ProgressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Show how far you are: lessons read, best quiz scores, exercises passed, the next step.",
        subcommands: [ShowProgress.self, ResetProgress.self],
        defaultSubcommand: ShowProgress.self)
}

struct ShowProgress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show your progress (the default).",
        discussion: "Progress is kept in $QUANTLAB_HOME/progress.sqlite (default: $XDG_DATA_HOME/quantlab, else ~/.local/share/quantlab).")

    @Flag(help: "Print JSON for scripts.") var json = false
    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        var report = ProgressReport(course: course, record: try StoreOptions.record())
        report.store = try StoreOptions.path()
        if json {
            Output.write(try report.json() + "\n")
            return
        }
        let renderer = display.renderer()
        display.show(renderer.render(report.blocks()), with: renderer)
    }
}

struct ResetProgress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Delete your recorded progress (all of it, or one module's), after asking.")

    @Option(help: ArgumentHelp("Only this module's progress: read mark, quiz attempts, exercise runs.", valueName: "module")) var module: String?
    @Flag(help: "Do not ask for confirmation.") var yes = false
    @OptionGroup var course: CourseOptions

    func run() throws {
        let path = try StoreOptions.path()
        var target: (lessonID: String, number: Int)?
        var what = "all your progress"
        if let module {
            let course = try course.loadCourse()
            let lesson = try self.course.lesson(module, in: course, command: ResetProgress.self, name: "progress reset")
            target = (lesson.id, lesson.number)
            what = "your progress in module \(lesson.number) (“\(lesson.title)”)"
        }
        guard FileManager.default.fileExists(atPath: path) else {
            Output.write("Nothing to reset: no progress recorded yet (\(path)).\n")
            return
        }
        if !yes {
            Output.write("Delete \(what) from \(path)? This cannot be undone. Type yes to confirm: ")
            let reply = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased()
            guard reply == "yes" || reply == "y" else {
                if reply == nil { Output.write("\n") }
                Output.error("Nothing deleted.")
                throw ExitCode(1)
            }
        }
        let deleted = try StoreOptions.run { try ProgressStore.open(path: path).reset(module: target) }
        Output.write("Deleted \(what) (\(deleted) record\(deleted == 1 ? "" : "s")).\n")
    }
}
