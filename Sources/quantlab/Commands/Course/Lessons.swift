import ArgumentParser
import CourseContent
import CourseViews
import Foundation

struct Lessons: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the lesson modules.")

    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
        let course = try course.loadCourse()
        if json {
            Output.write(try CourseOverview.lessonsJSON(course) + "\n")
            return
        }
        let renderer = display.renderer()
        display.show(renderer.render(CourseOverview.lessonTable(course)), with: renderer)
    }
}
