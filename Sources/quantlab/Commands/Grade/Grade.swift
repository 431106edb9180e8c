import ArgumentParser
import Foundation

struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade a class's submissions (instructors).",
        subcommands: [GradeQuizzes.self, GradeExercises.self, GradeMerge.self, GradeWorker.self])
}
