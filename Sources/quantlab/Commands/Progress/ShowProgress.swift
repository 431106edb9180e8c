import ArgumentParser
import CourseContent
import CourseViews
import Foundation

struct ShowProgress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show your progress (the default).",
        discussion: "Progress is kept in $QUANTLAB_HOME/progress.sqlite (default: $XDG_DATA_HOME/quantlab, else ~/.local/share/quantlab).")

    @Flag(help: "Print JSON for scripts.") var json = false
    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        var report = ProgressReport(course: course, record: try StoreOptions.record())
        report.store = try StoreOptions.path()
        if json {
            Output.write(try report.json() + "\n")
            return
        }
        let renderer = display.renderer()
        display.show(renderer.render(report.blocks()), with: renderer)
    }
}
