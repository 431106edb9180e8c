import ArgumentParser
import CourseContent
import Dispatch
import Foundation
import LearnerProgress
import QuantCore
import TerminalUI

/// Options naming a model: a GGUF file, or the course's reference model.
struct ModelOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A llama-family GGUF file. Default: the course's reference model.", valueName: "file"))
    var model: String?

    @Option(help: ArgumentHelp("Worker threads (results are identical for any count). Default: all cores.", valueName: "n"))
    var threads: Int?

    @OptionGroup var course: CourseOptions

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
    }

    var threadCount: Int { threads ?? ProcessInfo.processInfo.activeProcessorCount }

    /// The course folder, when one can be found (for the default model and texts).
    func courseRoot() -> URL? {
        try? Course.locateRoot(
            explicit: course.coursePath, environment: ProcessInfo.processInfo.environment,
            executable: CommandLine.arguments[0], workingDirectory: FileManager.default.currentDirectoryPath)
    }

    /// A path given on the command line, or the course file at `relative`.
    func resolve(_ given: String?, default relative: String, what: String) throws -> String {
        if let given { return given }
        guard let root = courseRoot() else {
            throw fail(.usage("cannot find the course folder for the default \(what); pass --course DIR or name the file explicitly"))
        }
        return root.appendingPathComponent(relative).path
    }

    func modelPath() throws -> String {
        try resolve(model, default: ReferenceModel.relativePath, what: "model")
    }
}

/// Options every command takes.
struct CourseOptions: ParsableArguments {
    @Option(
        name: .customLong("course"),
        help: ArgumentHelp(
            "The course folder (holding lessons/). Default: $QUANTLAB_COURSE, else found from the executable or the working directory.", valueName: "dir"))
    var coursePath: String?

    func loadCourse() throws -> Course {
        let root: URL
        do {
            root = try Course.locateRoot(
                explicit: coursePath, environment: ProcessInfo.processInfo.environment,
                executable: CommandLine.arguments[0],
                workingDirectory: FileManager.default.currentDirectoryPath)
        } catch {
            throw fail(.usage("\(error)"))
        }
        do {
            return try Course.load(root: root)
        } catch {
            throw fail(.author("\(error)"))
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

/// Where the progress store is, and opening it with errors a learner can act on (exit 65).
struct StoreOptions {
    static func path() throws -> String {
        do {
            return try ProgressStore.defaultPath(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw fail(.input("\(error)"))
        }
    }

    /// Opens (and creates) the store.
    static func open() throws -> ProgressStore {
        try run { try ProgressStore.open(path: try path()) }
    }

    /// The learner's record; empty when no store exists yet (views never create it).
    static func record() throws -> LearnerRecord {
        try run { try ProgressStore.openIfExists(path: try path())?.learnerRecord() ?? LearnerRecord() }
    }

    /// Runs store work; a store error is printed and becomes exit 65.
    @discardableResult
    static func run<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch let error as ProgressStoreError {
            throw fail(.input("\(error)"))
        }
    }
}

extension CourseOptions {
    /// The lesson `reference` names: unknown → usage error (64); invalid file → 1.
    func lesson(_ reference: String, in course: Course, command: any ParsableCommand.Type, name: String) throws -> Lesson {
        let entry: Course.Entry
        do {
            entry = try course.entry(for: reference)
        } catch {
            Output.error("Error: \(error)\nUsage: \(QuantLab.usageString(for: command))\n  See 'quantlab \(name) --help' for more information.")
            throw ExitCode(64)
        }
        switch entry.lesson {
        case .failure(let problem):
            throw fail(.author(problem.description))
        case .success(let lesson):
            return lesson
        }
    }
}
