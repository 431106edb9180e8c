import ArgumentParser
import Grading

/// `quantlab grade worker`: measures one submission for `grade exercises` (not for people).
struct GradeWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker", abstract: "Measure one submission for grade exercises (internal).",
        shouldDisplay: false)

    @Option var job: String
    @Option var result: String

    func run() throws {
        do {
            let spec = try GradingWorker.job(at: job)
            GradingWorker.confine(memoryLimitMiB: spec.memoryLimitMiB)
            try GradingWorker.write(try GradingWorker.answer(spec), to: result)
        } catch {
            Output.error("quantlab worker: \(error)")
            throw ExitCode(error.exitCode)
        }
    }
}
