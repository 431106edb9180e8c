/// Why a command stopped, by whose fault it is: the one place that decides an exit code (the
/// README's table). In batch grading a learner's own file never stops the run (it is an `invalid`
/// row, see `WorkerResult`), and a failure of QuantLab or the machine is never recorded as a
/// learner's (it is an `error` row, or `tool`).
public enum Fault: Error, Sendable, Equatable, CustomStringConvertible {
    /// A course file (an exercise spec, the reference model, a text) cannot be used: nothing is
    /// graded, so no student is failed for it. Exit 65.
    case course(String)
    /// The command's input is wrong (a submissions folder that cannot be read, an unknown
    /// exercise). Exit 64.
    case usage(String)
    /// A course file its author must fix (a lesson, a quiz block, an exercise spec), where the
    /// command is about that file: `file:line` and what is wrong. Exit 1.
    case author(String)
    /// A file the user gave is unusable: a settings file, a model or text, the progress store, an
    /// instructor's journal, overrides table or shard. Exit 65.
    case input(String)
    /// QuantLab or the machine failed (a temporary folder, a worker that cannot start). Exit 70.
    case tool(String)

    /// The process exit code, as the README documents them.
    public var exitCode: Int32 {
        switch self {
        case .author: 1
        case .usage: 64
        case .course, .input: 65
        case .tool: 70
        }
    }

    public var description: String {
        switch self {
        case .author(let message), .course(let message), .usage(let message), .input(let message), .tool(let message): message
        }
    }
}
