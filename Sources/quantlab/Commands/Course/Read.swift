import ArgumentParser
import CourseViews
import Foundation

struct Read: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read a lesson module in the terminal.")

    @Argument(help: ArgumentHelp("The module: its number (1), id (why-quantize) or file name (01-why-quantize).", valueName: "lesson"))
    var lesson: String

    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        let lesson = try self.course.lesson(self.lesson, in: course, command: Read.self, name: "read")
        let renderer = display.renderer()
        display.show(LessonView.render(lesson, with: renderer), with: renderer)
        // Shown on a terminal counts as read; piped output (scripts, `| head`) does not.
        if Terminal.current.isTTY {
            try StoreOptions.run { try StoreOptions.open().markRead(lessonID: lesson.id, module: lesson.number) }
        }
        if !lesson.problems.isEmpty {
            Output.error(lesson.problems.map { "quantlab: \($0)" }.joined(separator: "\n"))
            throw ExitCode(1)
        }
    }
}
