import Foundation
import QuantCore
import Quantizers
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises
@testable import Grading

@Suite struct ExerciseTests {
    static let root = TestPaths.repository

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
        #expect(e.id == "02-int8-granularity" && e.number == 2 && e.methods == [.rtn] && e.maxScore == 100)
        #expect(try Exercise.find("4", in: Self.root).id == "04-gptq-3bit")
        #expect(throws: CourseProblem.self) { try Exercise.find("2", in: Self.root) }
    }

    @Test func checksKeepFileOrderAndTheRubricAddsUp() throws {
        let (root, directory) = try spec(Self.valid)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        #expect(e.checks.map(\.name) == ["second", "first"])
        // 4.25 bits passes "at most 4.5" (40 points); 94.5% same top fails "at least 95".
        let grade = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: 4.25, .sameTop: 94.5], baseline: [.sameTop: 100])
        #expect(grade.score == 40 && grade.maxScore == 100 && !grade.passed)
        #expect(grade.lines[0].feedback == "ok 4.250" && grade.lines[1].feedback == "f" && grade.lines[1].baseline == 100)
        // Exactly on the threshold passes; a missing or non-finite metric fails.
        let edge = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: 4.5, .sameTop: 95], baseline: [:])
        #expect(edge.score == 100 && edge.passed)
        let missing = ExerciseGrade(exercise: e, metrics: [.blockBitsPerWeight: .nan], baseline: [:])
        #expect(missing.score == 0 && missing.lines[0].feedback == "over 4.500: n/a")
    }

    static let timedSpec = valid.replacingOccurrences(of: "metric = \"same_top\"\nat_least = 95", with: "metric = \"decode_speedup\"\nat_least = 1.3")

    static func timed(_ speedup: Double, _ lower: Double, _ upper: Double) -> ExerciseMeasurement {
        let comparison = SpeedComparison(
            pairs: 12, speedup: speedup, lower: lower, upper: upper, wallSpeedup: speedup,
            baselineSeconds: 0.02, candidateSeconds: 0.02 / speedup, converged: true)
        let speed = BlockDecodeSpeed(
            block: "llama-7b 4096/11008", threads: 1, formats: Array(repeating: "Q8_0", count: 7),
            baselineBytes: 404_750_336, bytes: 215_048_192, comparison: comparison, notes: [])
        return ExerciseMeasurement(
            metrics: [.blockBitsPerWeight: 4, .decodeSpeedup: speedup], quantizationSeconds: 0,
            evaluatedTokens: 1, speed: speed)
    }

    /// A timed check passes when its interval clears the target, fails when the interval lies
    /// below it, and is graded on the interval's centre and flagged when the interval straddles it.
    @Test func timedChecksAreGradedOnTheirInterval() throws {
        let (root, directory) = try spec(Self.timedSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        func line(_ m: ExerciseMeasurement) -> ExerciseGrade.Line {
            ExerciseGrade(exercise: e, metrics: m.metrics, baseline: ExerciseRunner.baseline, intervals: m.intervals).lines[1]
        }
        let clear = line(Self.timed(1.9, 1.8, 2.0))
        let below = line(Self.timed(1.0, 0.97, 1.04))
        #expect(clear.passed && clear.inconclusive == nil && clear.lower == 1.8 && clear.upper == 2.0)
        #expect(!below.passed && below.inconclusive == nil)
        let above = line(Self.timed(1.35, 1.25, 1.4))
        let under = line(Self.timed(1.28, 1.2, 1.32))
        #expect(above.passed && above.inconclusive == true && above.points == 60)
        #expect(!under.passed && under.inconclusive == true && under.points == 0)
        // Without an interval (a metric that is not timed) the value alone decides.
        #expect(ExerciseGrade(exercise: e, metrics: [.decodeSpeedup: 1.35], baseline: [:]).lines[1].inconclusive == nil)
        // The gradebook's message flags it.
        let submission = ExerciseGradebook.Submission(student: "s", exercise: e.id, file: "s/x.toml", content: .text(""), digest: "d")
        let row = ExerciseGradebook.row(submission, exercise: e, measurement: Self.timed(1.28, 1.2, 1.32), measureSpeed: false)
        #expect(row.message == "failed: first; inconclusive (timed, graded on the interval's centre): first")
        #expect(row.report.contains("(inconclusive: the 95% interval 1.20–1.32× straddles the target; graded on its centre)"))
        #expect(row.report.contains("Decode speed, timed on this machine through one llama-7b 4096/11008 block on 1 thread"))
    }

    /// check-course refuses a timed target within 20% of a measured speed-up.
    @Test func timedTargetsMustSitTwentyPercentFromTheMeasuredMedians() throws {
        let (root, directory) = try spec(Self.timedSpec)
        defer { try? FileManager.default.removeItem(at: root) }
        let e = try Exercise.load(directory: directory)
        #expect(TimedCheckMargin.problems(e, role: "starter", file: "starter.toml", measurement: Self.timed(1.0, 0.95, 1.05)).isEmpty)
        #expect(TimedCheckMargin.problems(e, role: "solution", file: "solution.toml", measurement: Self.timed(1.9, 1.8, 2.0)).isEmpty)
        let close = TimedCheckMargin.problems(e, role: "solution", file: "solution.toml", measurement: Self.timed(1.55, 1.5, 1.6))
        #expect(
            close.map(\.description) == [
                "solution.toml: the solution of exercise 02-demo is timed at 1.55× (95% interval 1.50–1.60×) on [check.first] `decode_speedup`, 16% from its target 1.30×; a timed target must sit at least 20% from the timed speed-up of both the starter and the solution, so that timing noise cannot turn their grades: move the target or change the solution"
            ])
        // A measurement without timed speed has nothing to check.
        #expect(
            TimedCheckMargin.problems(e, role: "starter", file: "s", measurement: ExerciseMeasurement(metrics: [:], quantizationSeconds: 0, evaluatedTokens: 0))
                .isEmpty)
    }

    @Test func badSpecsNameTheFileTheLineAndWhatIsAllowed() throws {
        let cases: [(String, Int?, String)] = [
            (
                Self.valid.replacingOccurrences(of: "pass_mark = 60", with: "passmark = 60"), 5,
                "unknown key `passmark`; did you mean `pass_mark`? (allowed: title, module, brief, methods, chunks, pass_mark, check)"
            ),
            (
                Self.valid.replacingOccurrences(of: "\"same_top\"", with: "\"ppl\""), 15,
                "[check.first] `metric` must be one of \"bits_per_weight\", \"block_bits_per_weight\", \"decode_mb_per_token\", \"decode_speedup\", \"decode_speedup_estimate\", \"llama2_7b_gb\", \"mean_kld\", \"outlier_columns\", \"ppl_ratio\", \"same_top\""
            ),
            (
                Self.valid.replacingOccurrences(of: "at_least = 95", with: "at_least = 95\nat_most = 99"), 15,
                "[check.first] needs exactly one of `at_most` or `at_least`, a number"
            ),
            (
                Self.valid.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 101"), 5,
                "`pass_mark` is 101 but the checks give at most 100 points"
            ),
            (
                Self.valid.replacingOccurrences(of: "methods = [\"rtn\"]", with: "methods = [\"gptqq\"]"), 4,
                "`methods` may hold \"rtn\", \"gguf\", \"gptq\", \"awq\", \"bnb_4bit\", \"bnb_int8\", \"dynamic_int8\""
            ),
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
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("exercises/reference"),
            withDestinationURL: Self.root.appendingPathComponent("exercises/reference"))
        let cache = root.appendingPathComponent("cache").path
        let plain = try Exercise.load(directory: directory)
        let recipe = try ExerciseRunner.recipe(settings: "method = \"rtn\"\nbits = 8\n", file: "s.toml", exercise: plain)
        let trial = BlockDecodeSpeed.Trial(shape: .tiny, policy: .init(minimumPairs: 2, maximumPairs: 3, halfWidth: 0.05))
        let (first, cached1) = try ExerciseRunner.measure(plain, recipe: recipe, courseRoot: root, cacheDirectory: cache, speedTrial: trial, threads: 2)
        #expect(!cached1 && first.speed == nil && first.metrics[.decodeSpeedup] == nil)

        // The same exercise graded on measured speed.
        try Self.valid.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 60\nchunks = 1")
            .replacingOccurrences(of: "metric = \"same_top\"", with: "metric = \"decode_speedup\"")
            .write(to: directory.appendingPathComponent("exercise.toml"), atomically: true, encoding: .utf8)
        let timed = try Exercise.load(directory: directory)
        #expect(ExerciseRunner.needsMeasuredSpeed(timed) && !ExerciseRunner.needsMeasuredSpeed(plain))
        let (second, cached2) = try ExerciseRunner.measure(timed, recipe: recipe, courseRoot: root, cacheDirectory: cache, speedTrial: trial, threads: 2)
        let speed = try #require(second.speed)
        #expect(!cached2 && (2...3).contains(speed.comparison.pairs) && speed.threads == 1 && speed.block == "tiny 256/768")
        // RTN has no packed kernels yet: timed in F32, and the report says so.
        #expect(speed.formats == Array(repeating: "F32", count: 7) && speed.notes.count == 1)
        #expect(second.metrics[.decodeSpeedup] == speed.comparison.speedup)
        var rest = second.metrics
        rest[.decodeSpeedup] = nil
        #expect(rest == first.metrics, "the deterministic metrics do not depend on the speed measurement")
        let (third, cached3) = try ExerciseRunner.measure(
            plain, recipe: recipe, courseRoot: root, cacheDirectory: cache, measureSpeed: true,
            speedTrial: trial, threads: 1)
        #expect(cached3 && third == second)
        let grade = ExerciseGrade(exercise: timed, metrics: third.metrics, baseline: ExerciseRunner.baseline, intervals: third.intervals)
        #expect(grade.lines.last?.metric == .decodeSpeedup && grade.lines.last?.baseline == 1 && grade.lines.last?.value == speed.comparison.speedup)
        #expect(grade.lines.last?.lower == speed.comparison.lower && grade.lines.last?.upper == speed.comparison.upper)
        #expect(third.speedSummary?.contains("timed on this machine") == true)
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
        let references = [
            ReferencePoint(label: "A", settings: "", blockBitsPerWeight: 4, meanKLD: 0.005, pplRatio: 1),
            ReferencePoint(label: "B", settings: "", blockBitsPerWeight: 8, meanKLD: 0.0001, pplRatio: 1),
        ]
        let behind = ExercisePlot.render(references: references, submission: (bits: 4.5, kld: 0.01))
        #expect(behind.filter { $0.contains("★") }.count == 2)  // the point and the legend
        #expect(behind.filter { $0.contains("◆") }.count == 3)  // two frontier points and the legend
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
