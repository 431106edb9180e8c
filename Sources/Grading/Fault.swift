import CourseContent

/// Why grading stopped, by whose fault it is: the one place that decides a command's exit code.
/// A learner's own file never stops grading (it is an `invalid` row, see `WorkerResult`); a failure
/// of QuantLab or the machine is never recorded as a learner's (it is an `error` row, or `tool`).
public enum Fault: Error, Sendable, Equatable, CustomStringConvertible {
    /// A course file (an exercise spec, the reference model, a text) cannot be used: nothing is
    /// graded, so no student is failed for it. Exit 65.
    case course(String)
    /// The command's input is wrong (a submissions folder that cannot be read, an unknown
    /// exercise). Exit 64.
    case usage(String)
    /// An instructor's file (the journal, an overrides table, a shard) is unusable. Exit 65.
    case input(CourseProblem)
    /// QuantLab or the machine failed (a temporary folder, a worker that cannot start). Exit 70.
    case tool(String)

    /// The process exit code, as the README documents them.
    public var exitCode: Int32 {
        switch self {
        case .usage: 64
        case .course, .input: 65
        case .tool: 70
        }
    }

    public var description: String {
        switch self {
        case .course(let message), .usage(let message), .tool(let message): message
        case .input(let problem): problem.description
        }
    }
}
