import Foundation

/// Runs the built `quantlab` binary as a learner or an instructor would (quantlabTests): its
/// output and exit status, with throwaway folders and courses for the commands to work in.
public enum CLI {
    public static let repository = TestPaths.repository

    /// The binary built next to this test bundle.
    public static let binary: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ]
        for dir in candidates {
            let url = dir.appendingPathComponent("quantlab")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return candidates[0].appendingPathComponent("quantlab")
    }()

    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// A process for the binary in the repository folder, with the caller's environment less
    /// NO_COLOR and QUANTLAB_COURSE, plus `environment`.
    public static func process(_ arguments: [String], environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = repository
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env.removeValue(forKey: "QUANTLAB_COURSE")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        return process
    }

    /// Runs to the end: `input` piped to standard input (none: /dev/null), the output collected.
    public static func run(
        _ arguments: [String], input: String? = nil, environment: [String: String] = [:], executable: URL = binary
    ) throws -> Result {
        let process = process(arguments, environment: environment)
        process.executableURL = executable
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    public static func temporaryDirectory() throws -> URL { try TestPaths.temporaryFolder("quantlab-cli") }

    /// A course folder with the real lessons, reference model and exercises, except that every
    /// exercise evaluates 2 chunks instead of 32, so debug-build runs stay short.
    public static func smallCourse(in dir: URL, exercises names: [String] = ["02-int8-granularity", "02-int4-group-budget"]) throws -> URL {
        let course = dir.appendingPathComponent("course")
        let exercises = course.appendingPathComponent("exercises")
        try FileManager.default.createDirectory(at: exercises, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: course.appendingPathComponent("lessons"), withDestinationURL: repository.appendingPathComponent("lessons"))
        try FileManager.default.createSymbolicLink(
            at: exercises.appendingPathComponent("reference"),
            withDestinationURL: repository.appendingPathComponent("exercises/reference"))
        for name in names {
            let source = repository.appendingPathComponent("exercises/\(name)")
            let target = exercises.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            for file in ["starter.toml", "solution.toml"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: target.appendingPathComponent(file))
            }
            let spec = try String(contentsOf: source.appendingPathComponent("exercise.toml"), encoding: .utf8)
            try spec.replacingOccurrences(of: "chunks = 32", with: "chunks = 2").write(
                to: target.appendingPathComponent("exercise.toml"), atomically: true, encoding: .utf8)
        }
        return course
    }
}

/// A course with a two-question lesson (module 1) and a second module without a quiz, and an
/// empty progress home: where the quiz, progress, read and grade commands are run.
public struct QuizSandbox {
    public static let lesson = """
        +++
        id = "bits"
        title = "Bits"
        duration = 5
        objectives = ["o"]
        +++

        # Bits

        ## Sizes

        ```quiz
        id = "eight"
        type = "single"
        prompt = "Which is 8 bits?"
        choices = ["Q4_0", "Q8_0"]
        answer = 2
        explain = "Q8_0 stores 8-bit codes."
        [feedback]
        "1" = "Q4_0 is 4-bit."
        ```

        ## Memory

        ```quiz
        id = "gib"
        type = "numeric"
        prompt = "GiB of 14e9 bytes?"
        answer = 13.04
        tolerance = 0.05
        unit = "GiB"
        explain = "14e9 / 2^30."
        ```
        """

    /// Every sandbox of this test process lives under one folder, removed when the process exits.
    static let scratch: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-quiz-tests-\(getpid())")
        atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-quiz-tests-\(getpid())")) }
        return dir
    }()

    public let root: URL
    public var course: String { root.appendingPathComponent("course").path }
    public var home: String { root.appendingPathComponent("home").path }
    public var store: String { root.appendingPathComponent("home/progress.sqlite").path }

    public init() throws {
        root = QuizSandbox.scratch.appendingPathComponent(UUID().uuidString)
        let lessons = root.appendingPathComponent("course/lessons")
        try FileManager.default.createDirectory(at: lessons, withIntermediateDirectories: true)
        try QuizSandbox.lesson.write(to: lessons.appendingPathComponent("01-bits.md"), atomically: true, encoding: .utf8)
        try "+++\nid = \"more\"\ntitle = \"More\"\nduration = 5\nobjectives = [\"o\"]\n+++\n\n# More\n"
            .write(to: lessons.appendingPathComponent("02-more.md"), atomically: true, encoding: .utf8)
    }

    public func run(_ arguments: [String], input: String? = nil) throws -> CLI.Result {
        try CLI.run(arguments + ["--course", course], input: input, environment: ["QUANTLAB_HOME": home])
    }

    /// Runs without --course (for commands that take none).
    public func runBare(_ arguments: [String], input: String? = nil) throws -> CLI.Result {
        try CLI.run(arguments, input: input, environment: ["QUANTLAB_HOME": home, "QUANTLAB_COURSE": course])
    }
}
