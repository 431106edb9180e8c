import ArgumentParser
import CourseContent
import Grading

/// `quantlab grade merge`: shards into the gradebook a single run writes.
struct GradeMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine the JSON gradebooks of grade exercises (or grade quizzes) --shard K/N runs into one gradebook.",
        discussion:
            "Every shard 1/N … N/N must be given once. The result is byte for byte what one run over all submissions writes; --overrides adds manual scores in their own columns."
    )

    @Argument(help: ArgumentHelp("The shards' JSON gradebooks.", valueName: "shard.json")) var shards: [String]
    @Option(help: ArgumentHelp("The CSV gradebook to write (- for standard output).", valueName: "file")) var out: String
    @Option(help: ArgumentHelp("Also write the merged gradebook as JSON.", valueName: "file")) var json: String?
    @Option(help: ArgumentHelp("Write one Markdown feedback file per student into this folder.", valueName: "dir")) var feedbackDir: String?
    @Option(help: ArgumentHelp("Manual scores: a CSV with the header student,exercise,score[,note].", valueName: "file")) var overrides: String?

    func run() throws {
        switch try faultExit({ () throws(Fault) in try GradebookMerge.merge(shards, overrides: overrides) }) {
        case .quizzes(let book):
            guard feedbackDir == nil else {
                throw fail(.usage("--feedback-dir applies to exercise gradebooks, not quiz gradebooks"))
            }
            try writeOutput(QuizGradebook.csv(book.rows), to: out)
            if let json { try writeOutput(try JSON.encode(book) + "\n", to: json) }
            Output.error("Merged \(shards.count) quiz shards: \(book.rows.count) rows, \(Set(book.rows.map(\.student)).count) students → \(out)")
        case .exercises(let book):
            try GradebookOutput.write(book, csv: out, json: json, feedbackDir: feedbackDir)
            Output.error("Merged \(shards.count) shards: \(book.rows.count) rows, \(Set(book.rows.map(\.student)).count) students → \(out)")
        }
    }
}
