import Foundation
import TerminalUI

/// The course on disk: `lessons/NN-slug.md` under a course root.
public struct Course: Sendable {
    /// One lesson file: its place in the course from its name, and the parsed lesson or why it
    /// could not be parsed.
    public struct Entry: Sendable {
        public var number: Int
        public var slug: String
        public var file: String
        public var lesson: Result<Lesson, CourseProblem>

        public var id: String? { try? lesson.get().id }
    }

    public var root: URL
    public var entries: [Entry]
    /// Problems with the course as a whole: misnamed files, duplicate numbers or ids.
    public var courseProblems: [CourseProblem]

    public var lessons: [Lesson] { entries.compactMap { try? $0.lesson.get() } }

    /// Every problem in the course, file by file, line by line.
    public var problems: [CourseProblem] {
        var all = courseProblems
        for entry in entries {
            switch entry.lesson {
            case .success(let lesson): all += lesson.problems
            case .failure(let problem): all.append(problem)
            }
        }
        return all.sorted { ($0.file, $0.line ?? 0, $0.message) < ($1.file, $1.line ?? 0, $1.message) }
    }

    /// Loads every lesson under `root/lessons`. Throws only when there is no lessons folder.
    public static func load(root: URL) throws(CourseProblem) -> Course {
        try load(root: root, lessonsDirectory: root.appendingPathComponent("lessons"), displayPrefix: "lessons/")
    }

    /// Loads the lesson files of `directory` (or of `directory/lessons` when it has one): an
    /// instructor's answer key kept outside the course. Files are named in messages by their path.
    public static func loadKey(directory: URL) throws(CourseProblem) -> Course {
        var isDir: ObjCBool = false
        let nested = directory.appendingPathComponent("lessons")
        let lessons = FileManager.default.fileExists(atPath: nested.path, isDirectory: &isDir) && isDir.boolValue ? nested : directory
        return try load(root: directory, lessonsDirectory: lessons, displayPrefix: lessons.path + "/")
    }

    static func load(root: URL, lessonsDirectory lessonsDir: URL, displayPrefix: String) throws(CourseProblem) -> Course {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: lessonsDir.path).sorted()
        } catch {
            throw CourseProblem(file: lessonsDir.path, line: nil, message: "cannot list the lessons folder: \(error.localizedDescription)")
        }
        var entries: [Entry] = []
        var problems: [CourseProblem] = []
        for name in names where name.hasSuffix(".md") && name != "README.md" {
            let display = displayPrefix + name
            guard let (number, slug) = parseFileName(name) else {
                problems.append(
                    CourseProblem(
                        file: display, line: nil, message: "lesson files are named NN-slug.md (two digits, a dash, lowercase words), e.g. 01-why-quantize.md"))
                continue
            }
            let path = lessonsDir.appendingPathComponent(name).path
            let result: Result<Lesson, CourseProblem>
            do {
                result = .success(try LessonLoader.load(path: path, displayPath: display, number: number, slug: slug))
            } catch {
                result = .failure(error)
            }
            entries.append(Entry(number: number, slug: slug, file: display, lesson: result))
        }
        entries.sort { ($0.number, $0.file) < ($1.number, $1.file) }

        var numbers: [Int: String] = [:]
        var ids: [String: String] = [:]
        for entry in entries {
            if let other = numbers[entry.number] {
                problems.append(CourseProblem(file: entry.file, line: nil, message: "module number \(entry.number) is also used by \(other)"))
            }
            numbers[entry.number] = entry.file
            if let id = entry.id {
                if let other = ids[id] {
                    problems.append(
                        CourseProblem(file: entry.file, line: 2, message: "lesson id `\(id)` is also used by \(other); ids must be unique in the course"))
                }
                ids[id] = entry.file
            }
        }
        if entries.isEmpty {
            problems.append(CourseProblem(file: String(displayPrefix.dropLast()), line: nil, message: "no lessons: add files named NN-slug.md"))
        }
        return Course(root: root, entries: entries, courseProblems: problems)
    }

    /// "01-why-quantize.md" → (1, "why-quantize").
    static func parseFileName(_ name: String) -> (Int, String)? {
        let stem = name.dropLast(3)
        guard let dash = stem.firstIndex(of: "-") else { return nil }
        let digits = stem[..<dash]
        let slug = String(stem[stem.index(after: dash)...])
        guard (2...3).contains(digits.count), digits.allSatisfy(\.isASCII), let number = Int(digits),
            QuizParser.isSlug(slug)
        else { return nil }
        return (number, slug)
    }

    public enum LookupError: Error, Equatable, Sendable, CustomStringConvertible {
        case notFound(String, suggestion: String?)

        public var description: String {
            switch self {
            case .notFound(let reference, let suggestion):
                var message = "no lesson `\(reference)`"
                if let suggestion { message += "; did you mean `\(suggestion)`?" }
                return message + " (`quantlab lessons` lists them)"
            }
        }
    }

    /// Finds a lesson by number ("1", "01"), id ("why-quantize"), slug or file stem ("01-why-quantize").
    public func entry(for reference: String) throws(LookupError) -> Entry {
        let ref = reference.trimming(" ").lowercased()
        if let n = Int(ref), let entry = entries.first(where: { $0.number == n }) { return entry }
        if let entry = entries.first(where: { $0.id == ref || $0.slug == ref || String(format: "%02d-%@", $0.number, $0.slug) == ref }) {
            return entry
        }
        let names = entries.flatMap { [$0.id, $0.slug].compactMap { $0 } }
        throw LookupError.notFound(reference, suggestion: Suggestions.closest(to: ref, in: Array(Set(names))))
    }

    /// Where the course is: `explicit` (--course), else $QUANTLAB_COURSE, else the nearest folder
    /// with a `lessons` folder above the executable, else above the working directory.
    public static func locateRoot(
        explicit: String?, environment: [String: String], executable: String,
        workingDirectory: String
    ) throws(CourseProblem) -> URL {
        func isCourse(_ url: URL) -> Bool {
            var isDir: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.appendingPathComponent("lessons").path, isDirectory: &isDir) && isDir.boolValue
        }
        for (given, source) in [(explicit, "--course"), (environment["QUANTLAB_COURSE"], "QUANTLAB_COURSE")] {
            guard let given, !given.isEmpty else { continue }
            let url = URL(fileURLWithPath: given, relativeTo: URL(fileURLWithPath: workingDirectory)).standardizedFileURL
            guard isCourse(url) else {
                throw CourseProblem(
                    file: given, line: nil,
                    message: "\(source) names a folder without a lessons/ folder; point it at the QuantLab course (the folder holding lessons/ and exercises/)")
            }
            return url
        }
        let executableURL = URL(fileURLWithPath: executable, relativeTo: URL(fileURLWithPath: workingDirectory)).resolvingSymlinksInPath()
        for start in [executableURL.deletingLastPathComponent(), URL(fileURLWithPath: workingDirectory)] {
            var dir = start.standardizedFileURL
            while true {
                if isCourse(dir) { return dir }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw CourseProblem(
            file: workingDirectory, line: nil,
            message: "cannot find the course (a folder holding lessons/): run quantlab inside the QuantLab folder, pass --course DIR, or set QUANTLAB_COURSE")
    }
}
