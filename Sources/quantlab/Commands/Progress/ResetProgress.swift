import ArgumentParser
import Foundation
import LearnerProgress

struct ResetProgress: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reset",
        abstract: "Delete your recorded progress (all of it, or one module's), after asking.")

    @Option(help: ArgumentHelp("Only this module's progress: read mark, quiz attempts, exercise runs.", valueName: "module")) var module: String?
    @Flag(help: "Do not ask for confirmation.") var yes = false
    @OptionGroup var course: CourseOptions

    func run() throws {
        let path = try StoreOptions.path()
        var target: (lessonID: String, number: Int)?
        var what = "all your progress"
        if let module {
            let course = try course.loadCourse()
            let lesson = try self.course.lesson(module, in: course, command: ResetProgress.self, name: "progress reset")
            target = (lesson.id, lesson.number)
            what = "your progress in module \(lesson.number) (“\(lesson.title)”)"
        }
        guard FileManager.default.fileExists(atPath: path) else {
            Output.write("Nothing to reset: no progress recorded yet (\(path)).\n")
            return
        }
        if !yes {
            Output.write("Delete \(what) from \(path)? This cannot be undone. Type yes to confirm: ")
            let reply = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased()
            guard reply == "yes" || reply == "y" else {
                if reply == nil { Output.write("\n") }
                Output.error("Nothing deleted.")
                throw ExitCode(1)
            }
        }
        let deleted = try StoreOptions.run { try ProgressStore.open(path: path).reset(module: target) }
        Output.write("Deleted \(what) (\(deleted) record\(deleted == 1 ? "" : "s")).\n")
    }
}
