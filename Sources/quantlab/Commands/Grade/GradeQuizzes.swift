import ArgumentParser
import CourseContent
import Foundation
import Grading

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
    @Option(
        help: ArgumentHelp(
            "Grade only shard K of N (e.g. 2/4): a fixed split by student. Combine the shards' --json-file outputs with grade merge.", valueName: "K/N"))
    var shard: String?

    func validate() throws {
        if let shard, ExerciseGradebook.Shard(shard) == nil { throw ValidationError("--shard must be K/N with 1 ≤ K ≤ N ≤ 10000 (e.g. 2/4), got '\(shard)'") }
    }
    @Option(
        help: ArgumentHelp(
            "Grade against your own key: a folder of lesson files with quiz blocks (same format as the course's). Default: the course's quizzes.",
            valueName: "dir"))
    var key: String?

    @OptionGroup var course: CourseOptions

    func run() throws {
        let keyCourse: Course
        if let key {
            do {
                keyCourse = try Course.loadKey(directory: URL(fileURLWithPath: key))
            } catch {
                throw fail(.usage("--key: \(error)"))
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
            throw fail(.usage("--answers: \(error)"))
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
