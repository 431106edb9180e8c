import ArgumentParser
import Dispatch
import Foundation

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect or convert a GGUF model.",
        subcommands: [ModelInfo.self, ModelConvert.self])
}
