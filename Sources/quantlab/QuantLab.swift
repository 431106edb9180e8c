import ArgumentParser
import Foundation
import QuantCore

@main
struct QuantLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantlab",
        abstract: "A terminal course on the trade-offs of quantizing language models.",
        discussion: """
            With no command, shows the course overview and the next step.
            Exit codes: 0 ok, 1 a check failed or a course file is invalid (or a quiz ended unfinished), 64 usage error, 65 a model, text or data file (such as the progress store) is unusable, 130 a quiz interrupted by Ctrl-C.
            """,
        version: "0.1.0",
        subcommands: [
            Overview.self, Lessons.self, Read.self, Quiz.self, ProgressCommand.self, Grade.self, CheckCourse.self,
            ModelCommand.self, Eval.self, QuantizeCommand.self, ExerciseCommand.self, Export.self, Imatrix.self, Generate.self, Bench.self,
        ],
        defaultSubcommand: Overview.self
    )

    static func main() {
        Output.setUp()
        // QUANTLAB_KERNELS names a path this CPU lacks (or no path): say which one runs instead.
        if let note = KernelPath.selection.note { Output.error("quantlab: \(note)") }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
