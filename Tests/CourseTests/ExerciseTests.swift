import Foundation
import QuantCore
import Testing
@testable import Course

@Suite struct ExerciseTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Writes `exercises/NN-slug/exercise.toml` in a fresh course folder.
    func spec(_ text: String, folder: String = "02-demo") throws -> (URL, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-exercise-\(UUID().uuidString)")
        let directory = root.appendingPathComponent("exercises").appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try text.write(to: directory.appendingPathComponent("exercise.toml"), atomically: true, encoding: .utf8)
        return (root, directory)
    }

    static let valid = """
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

    @Test func theCourseExercisesLoad() throws {
        let all = Exercise.all(in: Self.root)
        #expect(all.count >= 3)
        for result in all { _ = try result.get() }
        let e = try Exercise.find("int8-granularity", in: Self.root)
        #expect(e.id == "02-int8-granularity" && e.number == 2 && e.methods == ["rtn"] && e.maxScore == 100)
        #expect(try Exercise.find("4", in: Self.root).id == "04-gptq-3bit")
        #expect(throws: CourseProblem.self) { try Exercise.find("2", in: Self.root) }
    }

    @Test func checksKeepFileOrderAndTheRubricAddsUp() throws {
        let (root, directory) = try spec(Self.valid)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        #expect(e.checks.map(\.name) == ["second", "first"])
        // 4.25 bits passes "at most 4.5" (40 points); 94.5% same top fails "at least 95".
        let grade = ExerciseGrade(exercise: e, metrics: ["block_bits_per_weight": 4.25, "same_top": 94.5], baseline: ["same_top": 100])
        #expect(grade.score == 40 && grade.maxScore == 100 && !grade.passed)
        #expect(grade.lines[0].feedback == "ok 4.250" && grade.lines[1].feedback == "f" && grade.lines[1].baseline == 100)
        // Exactly on the threshold passes; a missing or non-finite metric fails.
        let edge = ExerciseGrade(exercise: e, metrics: ["block_bits_per_weight": 4.5, "same_top": 95], baseline: [:])
        #expect(edge.score == 100 && edge.passed)
        let missing = ExerciseGrade(exercise: e, metrics: ["block_bits_per_weight": .nan], baseline: [:])
        #expect(missing.score == 0 && missing.lines[0].feedback == "over 4.500: n/a")
    }

    @Test func badSpecsNameTheFileTheLineAndWhatIsAllowed() throws {
        let cases: [(String, Int?, String)] = [
            (Self.valid.replacingOccurrences(of: "pass_mark = 60", with: "passmark = 60"), 5,
             "unknown key `passmark`; did you mean `pass_mark`? (allowed: title, module, brief, methods, chunks, pass_mark, check)"),
            (Self.valid.replacingOccurrences(of: "\"same_top\"", with: "\"ppl\""), 15,
             "[check.first] `metric` must be one of \"bits_per_weight\", \"block_bits_per_weight\", \"decode_mb_per_token\", \"decode_speedup\", \"decode_speedup_estimate\", \"llama2_7b_gb\", \"mean_kld\", \"outlier_columns\", \"ppl_ratio\", \"same_top\""),
            (Self.valid.replacingOccurrences(of: "at_least = 95", with: "at_least = 95\nat_most = 99"), 15,
             "[check.first] needs exactly one of `at_most` or `at_least`, a number"),
            (Self.valid.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 101"), 5,
             "`pass_mark` is 101 but the checks give at most 100 points"),
            (Self.valid.replacingOccurrences(of: "methods = [\"rtn\"]", with: "methods = [\"gptqq\"]"), 4,
             "`methods` may hold \"rtn\", \"gguf\", \"gptq\", \"awq\", \"bnb_4bit\", \"bnb_int8\", \"dynamic_int8\""),
            (Self.valid.replacingOccurrences(of: "points = 60", with: "points = 0"), 17, "[check.first] `points` must be an integer from 1 to 1000"),
        ]
        for (text, line, message) in cases {
            let (root, directory) = try spec(text)
            defer { try? FileManager.default.removeItem(at: root) }
            do {
                _ = try Exercise.load(directory: directory)
                Issue.record("accepted: \(message)")
            } catch {
                #expect(error.file.hasSuffix("02-demo/exercise.toml"))
                #expect(error.line == line, "\(message)")
                #expect(error.message == message)
            }
        }
        let (root, directory) = try spec(Self.valid, folder: "demo")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: CourseProblem.self) { try Exercise.load(directory: directory) }
    }

    /// Measured speed is added to a measurement when asked for or when the rubric grades it; a
    /// cached result without it is recomputed, one with it is reused; the other metrics do not change.
    @Test func measuredSpeedIsTakenWhenTheRubricGradesItAndCached() throws {
        let (root, directory) = try spec(Self.valid.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 60\nchunks = 1"))
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent("exercises/reference"),
                                                   withDestinationURL: Self.root.appendingPathComponent("exercises/reference"))
        let cache = root.appendingPathComponent("cache").path
        let plain = try Exercise.load(directory: directory)
        let recipe = try ExerciseRunner.recipe(settings: "method = \"rtn\"\nbits = 8\n", file: "s.toml", exercise: plain)
        let trial = DecodeSpeed.Trial(tokens: 4, repeats: 3)
        let (first, cached1) = try ExerciseRunner.measure(plain, recipe: recipe, courseRoot: root, cacheDirectory: cache, speedTrial: trial, threads: 2)
        #expect(!cached1 && first.speed == nil && first.metrics["decode_speedup"] == nil)

        // The same exercise graded on measured speed.
        try Self.valid.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 60\nchunks = 1")
            .replacingOccurrences(of: "metric = \"same_top\"", with: "metric = \"decode_speedup\"")
            .write(to: directory.appendingPathComponent("exercise.toml"), atomically: true, encoding: .utf8)
        let timed = try Exercise.load(directory: directory)
        #expect(ExerciseRunner.needsMeasuredSpeed(timed) && !ExerciseRunner.needsMeasuredSpeed(plain))
        let (second, cached2) = try ExerciseRunner.measure(timed, recipe: recipe, courseRoot: root, cacheDirectory: cache, speedTrial: trial, threads: 2)
        let speed = try #require(second.speed)
        #expect(!cached2 && speed.tokens == 4 && speed.repeats == 3 && speed.threads == 1)
        #expect(second.metrics["decode_speedup"] == speed.speedup)
        var rest = second.metrics
        rest["decode_speedup"] = nil
        #expect(rest == first.metrics, "the deterministic metrics do not depend on the speed measurement")
        let (third, cached3) = try ExerciseRunner.measure(plain, recipe: recipe, courseRoot: root, cacheDirectory: cache, measureSpeed: true,
                                                          speedTrial: trial, threads: 1)
        #expect(cached3 && third == second)
        let grade = ExerciseGrade(exercise: timed, metrics: third.metrics, baseline: ExerciseRunner.baseline)
        #expect(grade.lines.last?.metric == "decode_speedup" && grade.lines.last?.baseline == 1 && grade.lines.last?.value == speed.speedup)
    }

    @Test func submissionsMayUseOnlyTheExercisesMethods() throws {
        let e = try Exercise.find("02-int8-granularity", in: Self.root)
        do {
            _ = try ExerciseRunner.recipe(settings: "method = \"gptq\"\n", file: "mine.toml", exercise: e)
            Issue.record("gptq accepted")
        } catch {
            #expect(error.description == "mine.toml:1: exercise 02-int8-granularity allows method \"rtn\", not \"gptq\"")
        }
    }
}

@Suite struct ExercisePlotTests {
    @Test func theFrontierKeepsPointsNothingBeatsOnBothAxes() {
        // (bits, kld): b is beaten by a (fewer bits, lower KLD); d ties c on bits but has a higher KLD.
        let points = [(bits: 4.0, kld: 0.01), (bits: 4.5, kld: 0.02), (bits: 8.0, kld: 0.0001), (bits: 3.0, kld: 0.05), (bits: 8.0, kld: 0.001)]
        #expect(ReferencePoint.frontier(points) == [0, 2, 3])
    }

    @Test func thePlotPlacesTheSubmissionAndNamesTheBetterReference() {
        let references = [ReferencePoint(label: "A", settings: "", blockBitsPerWeight: 4, meanKLD: 0.005, pplRatio: 1),
                          ReferencePoint(label: "B", settings: "", blockBitsPerWeight: 8, meanKLD: 0.0001, pplRatio: 1)]
        let behind = ExercisePlot.render(references: references, submission: (bits: 4.5, kld: 0.01))
        #expect(behind.filter { $0.contains("★") }.count == 2)   // the point and the legend
        #expect(behind.filter { $0.contains("◆") }.count == 3)   // two frontier points and the legend
        #expect(behind.last == "A reaches mean KLD 0.005000 with 4.00 bits per weight: your settings are behind the frontier.")
        let ahead = ExercisePlot.render(references: references, submission: (bits: 3, kld: 0.01))
        #expect(ahead.last == "No reference configuration is both smaller and more accurate: your settings are on the frontier.")
    }

    @Test func theCourseHasItsReferencePoints() throws {
        let points = try #require(ReferencePoint.load(courseRoot: ExerciseTests.root))
        #expect(points.map(\.label) == ReferencePoint.configurations.map(\.label))
        // Exact storage: Q4_0 is 18 bytes per 32 weights, NF4 with double quantization ≈ 4.127.
        #expect(points.first { $0.label == "Q4_0" }?.blockBitsPerWeight == 4.5)
    }
}
