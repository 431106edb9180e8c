import ArgumentParser
import CourseContent
import CourseViews
import Foundation
import LearnerProgress

struct Overview: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the course overview and the next suggested step (the default).")

    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        // The overview still shows the course when the progress store cannot be read.
        var record: LearnerRecord?
        do {
            record =
                try ProgressStore.openIfExists(path: try ProgressStore.defaultPath(environment: ProcessInfo.processInfo.environment))?
                .learnerRecord() ?? LearnerRecord()
        } catch {
            Output.error("quantlab: progress not shown: \(error)")
        }
        let renderer = display.renderer()
        display.show(renderer.render(CourseOverview.blocks(for: course, record: record)), with: renderer)
    }
}
