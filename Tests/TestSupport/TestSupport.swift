import CourseContent
import Foundation
import QuantCore

/// Where the tests find the repository and put throwaway files.
public enum TestPaths {
    /// The repository's root folder (Package.swift, lessons/, exercises/).
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A new, empty folder under the system's temporary folder, named `prefix-UUID`; the caller
    /// removes it.
    public static func temporaryFolder(_ prefix: String = "quantlab-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The error `body` throws, or nil when it returns: for tests of what a parser or a check
/// refuses. The closure names its error type, e.g. `caught { () throws(CourseProblem) in … }`.
public func caught<E: Error>(_ body: () throws(E) -> Void) -> E? {
    do {
        try body()
        return nil
    } catch {
        return error
    }
}

/// Deterministic test data: SplitMix64, as the engine's seeded weights use it.
public struct SeededRandom {
    var generator: SplitMix64
    public init(state: UInt64) { generator = SplitMix64(seed: state) }
    public mutating func next() -> UInt64 { generator.next() }
    /// Uniform in [-scale, scale).
    public mutating func float(_ scale: Float) -> Float { (Float(next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    public mutating func floats(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { _ in float(scale) } }
}

/// Throwaway course folders for tests of loading, quizzes and grading.
public enum TestCourse {
    /// A course folder with the given lesson files (name → text) in `lessons/`; the caller removes it.
    public static func make(_ files: [String: String]) throws -> URL {
        let root = try TestPaths.temporaryFolder("quantlab-course")
        let lessons = root.appendingPathComponent("lessons")
        try FileManager.default.createDirectory(at: lessons, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(to: lessons.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        return root
    }

    /// The smallest valid lesson: front matter and a title.
    public static func lesson(id: String, title: String = "T") -> String {
        "+++\nid = \"\(id)\"\ntitle = \"\(title)\"\nduration = 10\nobjectives = [\"o\"]\n+++\n\n# \(title)\n"
    }

    /// A course folder holding `exercises/<folder>/exercise.toml` with `text`: the course root
    /// (the caller removes it) and the exercise's folder.
    public static func exercise(_ text: String, folder: String = "02-demo") throws -> (root: URL, directory: URL) {
        let root = try TestPaths.temporaryFolder("quantlab-exercise")
        let directory = root.appendingPathComponent("exercises").appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try text.write(to: directory.appendingPathComponent("exercise.toml"), atomically: true, encoding: .utf8)
        return (root, directory)
    }

    /// A valid exercise spec: RTN only, pass mark 60, two checks in this order: `second`
    /// (block bits per weight at most 4.5, 40 points) and `first` (same top token at least 95%,
    /// 60 points).
    public static let exerciseSpec = """
        title = "T"
        module = 2
        brief = "B"
        methods = ["rtn"]
        pass_mark = 60

        [check.second]
        metric = "block_bits_per_weight"
        at_most = 4.5
        points = 40
        pass = "ok {value}"
        fail = "over {target}: {value}"

        [check.first]
        metric = "same_top"
        at_least = 95
        points = 60
        pass = "p"
        fail = "f"
        """
}

/// A lesson with one question of every type, for grading and session tests.
public enum QuizFixture {
    public static let text = """
        +++
        id = "fixture"
        title = "Fixture"
        duration = 5
        objectives = ["o"]
        +++

        ## Bytes

        ```quiz
        id = "pick-one"
        type = "single"
        prompt = "Which is 8 bits?"
        choices = ["Q4_0", "Q8_0", "F16"]
        answer = 2
        explain = "Q8_0 stores 8-bit codes."
        [feedback]
        "1" = "Q4_0 is 4-bit."
        ```

        ## Metrics

        ```quiz
        id = "pick-many"
        type = "multiple"
        prompt = "Which compare predictions?"
        choices = ["KLD", "PPL ratio", "File size", "Speed"]
        answer = [1, 2]
        explain = "KLD and the PPL ratio compare predictions."
        [feedback]
        "3" = "Size is what you gain."
        ```

        ```quiz
        id = "tf"
        type = "truefalse"
        prompt = "KLD is never negative."
        answer = true
        explain = "Gibbs' inequality."
        [feedback]
        "false" = "It is at least 0."
        ```

        ```quiz
        id = "num"
        type = "numeric"
        prompt = "GiB of 14e9 bytes?"
        answer = 13.04
        tolerance = 0.05
        unit = "GiB"
        explain = "14e9 / 2^30."
        ```

        ```quiz
        id = "words"
        type = "text"
        prompt = "Name the integer that stands for 0.0."
        answer = ["zero point"]
        explain = "The zero point z."
        ```
        """

    public static func lesson() throws -> Lesson {
        let lesson = try LessonLoader.parse(text, file: "lessons/01-fixture.md", number: 1, slug: "fixture")
        precondition(lesson.problems.isEmpty, "\(lesson.problems)")
        return lesson
    }

    public static func question(_ id: String) throws -> QuizQuestion {
        guard let question = try lesson().questions.first(where: { $0.id == id }) else {
            throw CourseProblem(file: "lessons/01-fixture.md", line: nil, message: "no question \(id) in the fixture")
        }
        return question
    }
}

/// Settings of a fuzz test: iterations and seed, which QUANTLAB_FUZZ_ITERATIONS and
/// QUANTLAB_FUZZ_SEED override for a longer search; QUANTLAB_FUZZ_DUMP names a file that holds
/// the current input, to recover one that aborts the process.
public struct FuzzOptions {
    public var iterations: Int
    public var rng: SplitMix64
    public let dumpPath: String?

    public init(iterations: Int, seed: UInt64) {
        let environment = ProcessInfo.processInfo.environment
        self.iterations = environment["QUANTLAB_FUZZ_ITERATIONS"].flatMap(Int.init) ?? iterations
        rng = SplitMix64(seed: environment["QUANTLAB_FUZZ_SEED"].flatMap(UInt64.init) ?? seed)
        dumpPath = environment["QUANTLAB_FUZZ_DUMP"]
    }

    public func dump(_ input: String) {
        if let dumpPath { try? input.write(toFile: dumpPath, atomically: false, encoding: .utf8) }
    }
}
