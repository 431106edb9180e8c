import ArgumentParser
import Foundation

struct ExerciseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exercise",
        abstract: "Graded exercises: quantize the reference model with your settings and get a graded report.",
        subcommands: [ExerciseList.self, ExerciseShow.self, ExerciseRunCommand.self, ExerciseReferences.self])
}
