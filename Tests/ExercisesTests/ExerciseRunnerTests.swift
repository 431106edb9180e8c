import Foundation
import QuantCore
import Quantizers
import TestSupport
import Testing

@testable import CourseContent
@testable import Exercises
@testable import Grading

@Suite struct ExerciseRunnerTests {
    /// Measured speed is added to a measurement when asked for or when the rubric grades it; a
    /// cached result without it is recomputed, one with it is reused; the other metrics do not change.
    @Test func measuredSpeedIsTakenWhenTheRubricGradesItAndCached() throws {
        let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 60\nchunks = 1"))
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createSymbolicLink(
            at: root.appendingPathComponent("exercises/reference"),
            withDestinationURL: TestPaths.repository.appendingPathComponent("exercises/reference"))
        let cache = root.appendingPathComponent("cache").path
        let plain = try Exercise.load(directory: directory)
        let recipe = try ExerciseRunner.recipe(settings: "method = \"rtn\"\nbits = 8\n", file: "s.toml", exercise: plain)
        let trial = BlockDecodeSpeed.Trial(shape: .tiny, policy: .init(minimumPairs: 2, maximumPairs: 3, halfWidth: 0.05))
        let (first, cached1) = try ExerciseRunner.measure(plain, recipe: recipe, courseRoot: root, cacheDirectory: cache, speedTrial: trial, threads: 2)
        #expect(!cached1 && first.speed == nil && first.metrics[.decodeSpeedup] == nil)

        // The same exercise graded on measured speed.
        try TestCourse.exerciseSpec.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 60\nchunks = 1")
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
        let e = try Exercise.find("02-int8-granularity", in: TestPaths.repository)
        do {
            _ = try ExerciseRunner.recipe(settings: "method = \"gptq\"\n", file: "mine.toml", exercise: e)
            Issue.record("gptq accepted")
        } catch {
            #expect(error.description == "mine.toml:1: exercise 02-int8-granularity allows method \"rtn\", not \"gptq\"")
        }
    }
}
