import ArgumentParser
import CourseContent
import Foundation
import Grading
import LearnerProgress

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
        let file = QuizAnswerFile(
            student: student, exportedAt: iso.string(from: Date()),
            modules: latest.map {
                QuizAnswerFile.Module(
                    module: $0.module, lessonID: $0.lessonID, finishedAt: iso.string(from: $0.finishedAt),
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
