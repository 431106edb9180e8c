import ArgumentParser
import CourseContent
import CourseViews
import Exercises
import Foundation
import LearnerProgress
import QuantCore
import TerminalUI

@main
struct QuantLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantlab",
        abstract: "A terminal course on the trade-offs of quantizing language models.",
        discussion: """
            With no command, shows the course overview and the next step.
            Exit codes: 0 ok, 1 a check failed or a course file is invalid (or a quiz ended unfinished), 64 usage error, 65 a model, text or data file (such as the progress store) is unusable, 130 a quiz interrupted by Ctrl-C.
            """,
        version: "0.1.0",
        subcommands: [Overview.self, Lessons.self, Read.self, Quiz.self, ProgressCommand.self, Grade.self, CheckCourse.self,
                      ModelCommand.self, Eval.self, QuantizeCommand.self, ExerciseCommand.self, Export.self, Imatrix.self, Generate.self, Bench.self],
        defaultSubcommand: Overview.self
    )

    static func main() {
        Output.setUp()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct CourseOptions: ParsableArguments {
    @Option(name: .customLong("course"), help: ArgumentHelp("The course folder (holding lessons/). Default: $QUANTLAB_COURSE, else found from the executable or the working directory.", valueName: "dir"))
    var coursePath: String?

    func loadCourse() throws -> Course {
        let root: URL
        do {
            root = try Course.locateRoot(explicit: coursePath, environment: ProcessInfo.processInfo.environment,
                                         executable: CommandLine.arguments[0],
                                         workingDirectory: FileManager.default.currentDirectoryPath)
        } catch {
            Output.error("quantlab: \(error)")
            throw ExitCode(64)
        }
        do {
            return try Course.load(root: root)
        } catch {
            Output.error("quantlab: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Options of commands that render text.
struct DisplayOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Render to this many columns (20–1000). Default: the terminal's width, at most 100.", valueName: "n"))
    var width: Int?

    @Flag(help: "Do not send long output through $PAGER (default `less -R`).")
    var noPager = false

    @Option(help: ArgumentHelp("Colours and links: auto (on a terminal), always, never. NO_COLOR turns them off in every case.", valueName: "when"))
    var color: ColorChoice = .auto

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
    }

    func validate() throws {
        if let width, !(20...1000).contains(width) {
            throw ValidationError("--width must be between 20 and 1000 columns, got \(width)")
        }
    }

    func renderer() -> MarkdownRenderer {
        let terminal = Terminal.current
        let isTTY = color == .auto ? terminal.isTTY : color == .always
        let style = OutputStyle.detect(isTTY: isTTY, environment: terminal.environment)
        return MarkdownRenderer(width: terminal.width(requested: width), style: style)
    }

    func show(_ lines: [StyledLine], with renderer: MarkdownRenderer) {
        Terminal.current.show(renderer.style.serialize(lines), lineCount: lines.count, pager: !noPager)
    }
}

struct Overview: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the course overview and the next suggested step (the default).")

    @OptionGroup var course: CourseOptions
    @OptionGroup var display: DisplayOptions

    func run() throws {
        let course = try course.loadCourse()
        // The overview still shows the course when the progress store cannot be read.
        var record: LearnerRecord?
        do {
            record = try ProgressStore.openIfExists(path: try ProgressStore.defaultPath(environment: ProcessInfo.processInfo.environment))?
                .learnerRecord() ?? LearnerRecord()
        } catch {
            Output.error("quantlab: progress not shown: \(error)")
        }
        let renderer = display.renderer()
        display.show(renderer.render(CourseOverview.blocks(for: course, record: record)), with: renderer)
    }
}

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

struct CheckCourse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-course",
        abstract: "Validate every lesson (front matter, ids, quiz blocks, tables) and every exercise, running each exercise's starter (it must fail) and solution (it must pass). Exits 1 on any problem.",
        discussion: "Running the exercises quantizes and evaluates the reference model a few times; build with -c release. --skip-runs checks the exercise files only.")

    @OptionGroup var course: CourseOptions
    @Flag(help: "Check the exercise files without running their starters and solutions.") var skipRuns = false
    @Flag(help: "Print JSON for scripts.") var json = false

    func run() throws {
        let course = try course.loadCourse()
        var report = CourseCheck.report(course)
        var ran: [String] = []
        let exercises = Exercise.all(in: course.root)
        for result in exercises {
            let exercise: Exercise
            switch result {
            case .failure(let problem):
                report.add(problem)
                continue
            case .success(let e): exercise = e
            }
            for (name, mustPass) in [("starter", false), ("solution", true)] {
                let path = exercise.directory.appendingPathComponent("\(name).toml").path
                do {
                    let settings = try BoundedFile.readText(path: path, limit: 64 * 1024, what: "settings file")
                    let recipe = try ExerciseRunner.recipe(settings: settings, file: path, exercise: exercise)
                    guard !skipRuns else { continue }
                    let graded = try ExerciseRunCommand.grade(exercise, recipe: recipe, settingsPath: path, courseRoot: course.root,
                                                              threads: ProcessInfo.processInfo.activeProcessorCount, fresh: false)
                    ran.append("\(exercise.id)/\(name).toml: \(graded.grade.score)/\(graded.grade.maxScore)" + (graded.measurement.speed.map {
                        String(format: " (decode %.2f× F16, timed, 95%% interval %.2f–%.2f×, %d pairs)", $0.comparison.speedup, $0.comparison.lower, $0.comparison.upper, $0.comparison.pairs)
                    } ?? ""))
                    if graded.passed != mustPass {
                        report.add(CourseProblem(file: path, line: nil, message: mustPass
                            ? "the solution must pass exercise \(exercise.id) but scores \(graded.grade.score) of \(graded.grade.maxScore) (pass mark \(exercise.passMark))"
                            : "the starter must fail exercise \(exercise.id) but scores \(graded.grade.score) of \(graded.grade.maxScore) (pass mark \(exercise.passMark))"))
                    }
                    // Timed checks: the target must sit well away from what was measured.
                    for problem in TimedCheckMargin.problems(exercise, role: name, file: path, measurement: graded.measurement) { report.add(problem) }
                } catch let problem as CourseProblem {
                    report.add(problem)
                } catch {
                    report.add(CourseProblem(file: path, line: nil, message: "\(error)"))
                }
            }
        }
        if !skipRuns && !exercises.isEmpty {
            // The reference points the exercise reports plot must be what the engine measures now.
            do {
                let measured = try ReferencePoint.measure(courseRoot: course.root, cacheDirectory: BaseLogitsCache.defaultDirectory(),
                                                          threads: ProcessInfo.processInfo.activeProcessorCount)
                if ReferencePoint.load(courseRoot: course.root) != measured {
                    report.add(CourseProblem(file: ReferencePoint.file(in: course.root).path, line: nil,
                                             message: "missing or stale: it differs from what the engine measures now; run quantlab exercise references --write"))
                }
            } catch {
                report.add(CourseProblem(file: ReferencePoint.file(in: course.root).path, line: nil, message: "\(error)"))
            }
        }
        Output.write(json ? try report.json() + "\n" : report.text + ran.map { "exercise \($0)\n" }.joined())
        if !report.problems.isEmpty { throw ExitCode(1) }
    }
}
