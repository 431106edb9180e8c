import CourseContent
import Foundation

/// `quantlab grade merge`: the JSON gradebooks of `--shard K/N` runs, combined into what one run
/// over all submissions writes. Quiz gradebooks and exercise gradebooks each merge with their kind.
public enum GradebookMerge {
    public enum Merged: Sendable {
        case quizzes(QuizGradebook.Book)
        case exercises(ExerciseGradebook.Book)
    }

    /// Reads and merges `paths`; `overrides` (a CSV of manual scores) applies to exercise gradebooks only.
    public static func merge(_ paths: [String], overrides: String?) throws(Fault) -> Merged {
        do throws(CourseProblem) {
            let files = try paths.map { path throws(CourseProblem) in
                (path, try BoundedFile.read(path: path, displayPath: path, limit: 1 << 30, what: "gradebook"))
            }
            struct Format: Decodable { var format: String? }
            if let first = files.first, (try? JSONDecoder().decode(Format.self, from: Data(first.1)))?.format == QuizGradebook.formatName {
                guard overrides == nil else {
                    throw CourseProblem(file: overrides!, line: nil, message: "--overrides applies to exercise gradebooks, not quiz gradebooks")
                }
                return .quizzes(
                    try QuizGradebook.merge(try files.map { file throws(CourseProblem) in (file.0, try QuizGradebook.decode(file.1, file: file.0)) }))
            }
            var book = try ExerciseGradebook.merge(try files.map { file throws(CourseProblem) in (file.0, try ExerciseGradebook.decode(file.1, file: file.0)) })
            if let path = overrides {
                let table = try ExerciseGradebook.overrides(try BoundedFile.readText(path: path, limit: 16 << 20, what: "overrides file"), file: path)
                book.rows = try ExerciseGradebook.apply(table, to: book.rows, file: path)
            }
            return .exercises(book)
        } catch {
            throw .input(error.description)
        }
    }
}
