import ArgumentParser
import CourseContent
import Foundation

struct ExerciseList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "The graded exercises: number, module, title, methods.")

    @OptionGroup var course: CourseOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    struct Row: Codable {
        var id: String
        var module: Int
        var title: String
        var methods: [String]
        var passMark: Int
        var maxScore: Int
    }

    func run() throws {
        let course = try course.loadCourse()
        var rows: [Row] = []
        var problems: [CourseProblem] = []
        for result in Exercise.all(in: course.root) {
            switch result {
            case .success(let e):
                rows.append(Row(id: e.id, module: e.module, title: e.title, methods: e.methods.map(\.rawValue), passMark: e.passMark, maxScore: e.maxScore))
            case .failure(let problem): problems.append(problem)
            }
        }
        if json {
            Output.write(try JSON.encode(rows) + "\n")
        } else {
            Output.write(
                rows.map {
                    "\($0.id.padding(toLength: 26, withPad: " ", startingAt: 0)) module \($0.module)  \($0.title)  [\($0.methods.joined(separator: ", "))]"
                }
                .joined(separator: "\n") + "\n")
        }
        if !problems.isEmpty {
            Output.error(problems.map { "quantlab: \($0)" }.joined(separator: "\n"))
            throw ExitCode(1)
        }
    }
}
