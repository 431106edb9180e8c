import ArgumentParser
import CourseContent
import Foundation
import TerminalUI

struct ExerciseShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "An exercise's brief, allowed methods and rubric.")

    @Argument(help: ArgumentHelp("The exercise: folder name (02-int8-granularity), number (2) or slug.", valueName: "exercise")) var exercise: String
    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        let e = try findExercise(exercise, course: course)
        var markdown =
            "# Exercise \(e.id): \(e.title)\n\nModule \(e.module) · methods: \(e.methods.map { "`\($0)`" }.joined(separator: ", "))"
            + " · pass mark \(e.passMark) of \(e.maxScore) points\n\n\(e.brief)\n\n## Rubric\n\n"
        for check in e.checks {
            let label = check.metric.label
            markdown +=
                "- **\(check.name)** (\(check.points) points): \(label) \(check.comparator == .atMost ? "at most" : "at least") "
                + "\(check.metric.format(check.threshold))\n"
        }
        markdown += "\nStart from `\(e.directory.appendingPathComponent("starter.toml").path)` and run `quantlab exercise run \(e.id) --settings FILE`.\n"
        let renderer = display.renderer()
        display.show(renderer.render(CmarkParser.parse(markdown)), with: renderer)
    }
}
