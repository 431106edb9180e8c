import ArgumentParser
import CourseContent
import Foundation
import Grading

/// The CSV, the JSON and the feedback files of an exercise gradebook, each written whole.
enum GradebookOutput {
    static func write(_ book: ExerciseGradebook.Book, csv: String, json: String?, feedbackDir: String?) throws {
        try writeOutput(ExerciseGradebook.csv(book.rows), to: csv)
        if let json { try writeOutput(try ExerciseGradebook.json(book), to: json) }
        guard let feedbackDir else { return }
        do {
            try FileManager.default.createDirectory(atPath: feedbackDir, withIntermediateDirectories: true)
        } catch {
            throw fail(.input("\(feedbackDir): cannot create the feedback folder: \(error.localizedDescription)"))
        }
        for (student, rows) in Dictionary(grouping: book.rows, by: \.student) {
            try writeOutput(ExerciseGradebook.feedback(student: student, rows: rows), to: (feedbackDir as NSString).appendingPathComponent("\(student).md"))
        }
    }
}

/// Runs `body`; a `Fault` it throws is printed and exits with the fault's code.
func faultExit<T>(_ body: () throws(Fault) -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw fail(error)
    }
}
