import Foundation
import TestSupport
import Testing

@testable import CourseContent

@Suite struct ExerciseTests {
    @Test func theCourseExercisesLoad() throws {
        let all = Exercise.all(in: TestPaths.repository)
        #expect(all.count >= 3)
        for result in all { _ = try result.get() }
        let e = try Exercise.find("int8-granularity", in: TestPaths.repository)
        #expect(e.id == "02-int8-granularity" && e.number == 2 && e.methods == [.rtn] && e.maxScore == 100)
        #expect(try Exercise.find("4", in: TestPaths.repository).id == "04-gptq-3bit")
        #expect(throws: CourseProblem.self) { try Exercise.find("2", in: TestPaths.repository) }
    }

    @Test func badSpecsNameTheFileTheLineAndWhatIsAllowed() throws {
        let cases: [(String, Int?, String)] = [
            (
                TestCourse.exerciseSpec.replacingOccurrences(of: "pass_mark = 60", with: "passmark = 60"), 5,
                "unknown key `passmark`; did you mean `pass_mark`? (allowed: title, module, brief, methods, chunks, pass_mark, check)"
            ),
            (
                TestCourse.exerciseSpec.replacingOccurrences(of: "\"same_top\"", with: "\"ppl\""), 15,
                "[check.first] `metric` must be one of \"bits_per_weight\", \"block_bits_per_weight\", \"decode_mb_per_token\", \"decode_speedup\", \"decode_speedup_estimate\", \"llama2_7b_gb\", \"mean_kld\", \"outlier_columns\", \"ppl_ratio\", \"same_top\""
            ),
            (
                TestCourse.exerciseSpec.replacingOccurrences(of: "at_least = 95", with: "at_least = 95\nat_most = 99"), 15,
                "[check.first] needs exactly one of `at_most` or `at_least`, a number"
            ),
            (
                TestCourse.exerciseSpec.replacingOccurrences(of: "pass_mark = 60", with: "pass_mark = 101"), 5,
                "`pass_mark` is 101 but the checks give at most 100 points"
            ),
            (
                TestCourse.exerciseSpec.replacingOccurrences(of: "methods = [\"rtn\"]", with: "methods = [\"gptqq\"]"), 4,
                "`methods` may hold \"rtn\", \"gguf\", \"gptq\", \"awq\", \"bnb_4bit\", \"bnb_int8\", \"dynamic_int8\""
            ),
            (
                TestCourse.exerciseSpec.replacingOccurrences(of: "points = 60", with: "points = 0"), 17,
                "[check.first] `points` must be an integer from 1 to 1000"
            ),
        ]
        for (text, line, message) in cases {
            let (root, directory) = try TestCourse.exercise(text)
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
        let (root, directory) = try TestCourse.exercise(TestCourse.exerciseSpec, folder: "demo")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(throws: CourseProblem.self) { try Exercise.load(directory: directory) }
    }

    /// Every exercise of the course, not only that it loads: in number order, named by its
    /// folder, with methods and checks, and a rubric that can reach its pass mark.
    @Test func everyCourseExerciseIsConsistent() throws {
        let exercises = try Exercise.all(in: TestPaths.repository).map { try $0.get() }
        #expect(exercises.count >= 3)
        #expect(exercises.map(\.number) == exercises.map(\.number).sorted())
        for e in exercises {
            #expect(e.id == e.directory.lastPathComponent && e.id.hasSuffix("-" + e.slug) && Int(e.id.prefix(2)) == e.number, "\(e.id)")
            #expect(!e.methods.isEmpty && !e.checks.isEmpty && e.passMark <= e.maxScore, "\(e.id)")
        }
    }
}
