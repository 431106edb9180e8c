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

/// Loads an exercise by folder name, number or slug; a problem is printed and exits 64 (unknown)
/// or 1 (an invalid exercise file).
func findExercise(_ reference: String, course: Course) throws -> Exercise {
    do {
        return try Exercise.find(reference, in: course.root)
    } catch {
        Output.error("quantlab: \(error)")
        throw ExitCode(error.file == reference ? 64 : 1)
    }
}

/// Exit status for a model or text file that cannot be used (EX_DATAERR).
let dataErrorExit: Int32 = 65

/// Opens a GGUF file, turning every failure into a message and exit code 65.
func openModelFile(_ path: String) throws -> GGUFFile {
    do {
        return try GGUFFile.open(path: path)
    } catch {
        Output.error("quantlab: \(error)")
        throw ExitCode(dataErrorExit)
    }
}

func loadModel(_ file: GGUFFile) throws -> (LlamaModel, Tokenizer) {
    do {
        let model = try LlamaModel(file: file)
        let tokenizer = try Tokenizer(TokenizerSpec(file: file))
        return (model, tokenizer)
    } catch {
        Output.error("quantlab: \(file.path): \(error)".replacingOccurrences(of: "\(file.path): \(file.path): ", with: "\(file.path): "))
        throw ExitCode(dataErrorExit)
    }
}

/// A text or settings file, read with the course's bounded reader (a regular file, at most 64 MiB,
/// checked before reading), as UTF-8.
func readText(_ path: String) throws -> String {
    do {
        return try BoundedFile.readText(path: path)
    } catch {
        Output.error("quantlab: \(error)")
        throw ExitCode(dataErrorExit)
    }
}

/// Runs `body`; an error is printed (after `path` unless the message names it) and exits 65.
func dataExit<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let problem as CourseProblem {
        Output.error("quantlab: \(problem)")
        throw ExitCode(dataErrorExit)
    } catch {
        let message = "\(error)"
        Output.error("quantlab: " + (message.contains(path) ? message : "\(path): \(message)"))
        throw ExitCode(dataErrorExit)
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
        Output.error("quantlab: \(problem)")
        throw ExitCode(dataErrorExit)
    } catch {
        Output.error("quantlab: \(settings): \(error)")
        throw ExitCode(dataErrorExit)
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
        Output.error("quantlab: \(path): cannot write: \(error.localizedDescription)")
        throw ExitCode(65)
    }
}
