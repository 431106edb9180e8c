import ArgumentParser
import Foundation

struct ProgressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Show how far you are: lessons read, best quiz scores, exercises passed, the next step.",
        subcommands: [ShowProgress.self, ResetProgress.self],
        defaultSubcommand: ShowProgress.self)
}
