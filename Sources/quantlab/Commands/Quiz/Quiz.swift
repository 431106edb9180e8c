import ArgumentParser
import Foundation

struct Quiz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take a module's quiz, or export your answers for an instructor.",
        subcommands: [TakeQuiz.self, ExportQuiz.self],
        defaultSubcommand: TakeQuiz.self)
}
