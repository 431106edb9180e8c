import ArgumentParser
import CourseContent
import Dispatch
import Exercises
import Foundation
import QuantCore
import Quantizers

func seconds(since start: DispatchTime) -> Double {
    Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
}

/// Prints why the command stops and gives its exit code: every stop goes through here, and
/// `Fault` (CourseContent) is the one table of exit codes.
func fail(_ fault: Fault) -> ExitCode {
    Output.error("quantlab: \(fault)")
    return ExitCode(fault.exitCode)
}

/// Loads an exercise by folder name, number or slug: an unknown one is a usage error, an invalid
/// exercise file its author's.
func findExercise(_ reference: String, course: Course) throws -> Exercise {
    do {
        return try Exercise.find(reference, in: course.root)
    } catch {
        throw fail(error.file == reference ? .usage(error.description) : .author(error.description))
    }
}

/// Exit status for a model or text file that cannot be used (EX_DATAERR), as `Fault.input` gives it.
let dataErrorExit: Int32 = Fault.input("").exitCode

/// Opens a GGUF file, turning every failure into a message and exit code 65.
func openModelFile(_ path: String) throws -> GGUFFile {
    do {
        return try GGUFFile.open(path: path)
    } catch {
        throw fail(.input("\(error)"))
    }
}

func loadModel(_ file: GGUFFile) throws -> (LlamaModel, Tokenizer) {
    do {
        let model = try LlamaModel(file: file)
        let tokenizer = try Tokenizer(TokenizerSpec(file: file))
        return (model, tokenizer)
    } catch {
        throw fail(.input("\(file.path): \(error)".replacingOccurrences(of: "\(file.path): \(file.path): ", with: "\(file.path): ")))
    }
}

/// A text or settings file, read with the course's bounded reader (a regular file, at most 64 MiB,
/// checked before reading), as UTF-8.
func readText(_ path: String) throws -> String {
    do {
        return try BoundedFile.readText(path: path)
    } catch {
        throw fail(.input("\(error)"))
    }
}

/// Runs `body`; an error is printed (after `path` unless the message names it) and exits 65.
func dataExit<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let problem as CourseProblem {
        throw fail(.input("\(problem)"))
    } catch {
        let message = "\(error)"
        throw fail(.input(message.contains(path) ? message : "\(path): \(message)"))
    }
}

/// Runs `body` with the recipe of a settings file. A problem in the file or in applying it is
/// printed with the file's name and ends the command with exit 65.
func withRecipe<T>(_ settings: String, _ body: (QuantizationRecipe) throws -> T) throws -> T {
    try withSettings(settings) { recipe, _ in try body(recipe) }
}

/// withRecipe, with the file's `[evaluation]` options too.
func withSettings<T>(_ settings: String, _ body: (QuantizationRecipe, QuantizationSettings.EvaluationOptions) throws -> T) throws -> T {
    do {
        let (recipe, evaluation) = try QuantizationSettings.parseWithEvaluation(try readText(settings), file: settings)
        return try body(recipe, evaluation)
    } catch let exit as ExitCode {
        throw exit
    } catch let problem as CourseProblem {
        throw fail(.input("\(problem)"))
    } catch {
        throw fail(.input("\(settings): \(error)"))
    }
}

func formatBytes(_ bytes: Int) -> String {
    if bytes < 1024 { return "\(bytes) B" }
    if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
    if bytes < 1 << 30 { return String(format: "%.2f MiB", Double(bytes) / 1_048_576) }
    return String(format: "%.2f GiB", Double(bytes) / 1_073_741_824)
}

/// Writes a file whole or not at all (temporary file, then rename); `-` is standard output.
func writeOutput(_ text: String, to path: String) throws {
    if path == "-" {
        Output.write(text)
        return
    }
    do {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw fail(.input("\(path): cannot write: \(error.localizedDescription)"))
    }
}
