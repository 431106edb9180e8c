import Foundation
import TerminalUI

/// Something wrong in a course file, at a line when one is known. Shown as `file:line: message`.
public struct CourseProblem: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// A lesson's TOML front matter.
public struct FrontMatter: Equatable, Sendable {
    public var id: String
    public var title: String
    /// Minutes.
    public var duration: Int
    public var objectives: [String]
}

/// A lesson module: `lessons/NN-slug.md`, parsed.
public struct Lesson: Sendable {
    /// NN from the file name.
    public var number: Int
    /// The file name without NN- and .md.
    public var slug: String
    /// The path shown in messages (relative to the course root).
    public var file: String
    public var frontMatter: FrontMatter
    /// The body, with the course's Markdown extensions applied and quiz blocks turned into
    /// question cards.
    public var blocks: [Block]
    public var questions: [QuizQuestion]
    /// Problems that did not stop the lesson from loading (a bad quiz block, a ragged table).
    public var problems: [CourseProblem]

    public var id: String { frontMatter.id }
    public var title: String { frontMatter.title }
}

public enum LessonLoader {
    /// Lessons larger than this are refused before they are read.
    public static let maxBytes = 1 << 20

    static let frontMatterKeys = ["id", "title", "duration", "objectives"]

    /// Reads and parses a lesson file. Throws the first problem that stops the file from being a
    /// lesson at all (unreadable, too large, not UTF-8, broken front matter).
    public static func load(path: String, displayPath: String, number: Int, slug: String) throws(CourseProblem) -> Lesson {
        let bytes = try BoundedFile.read(path: path, displayPath: displayPath, limit: maxBytes, what: "lesson")
        let text = try decodeUTF8(bytes, file: displayPath)
        return try parse(text, file: displayPath, number: number, slug: slug)
    }

    /// Strict UTF-8 decoding that names the line of the first invalid byte.
    public static func decodeUTF8(_ bytes: [UInt8], file: String) throws(CourseProblem) -> String {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let text = String(validating: body, as: UTF8.self) { return text }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = body.makeIterator()
        var line = 1
        var offset = 0
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                if encoded.count == 1 && encoded.first == 0x0A { line += 1 }
                offset += encoded.count
            case .emptyInput:
                break loop
            case .error:
                let byte = body[body.startIndex + offset]
                throw CourseProblem(
                    file: file, line: line,
                    message:
                        "not valid UTF-8: byte 0x\(String(byte, radix: 16, uppercase: true)) at byte offset \(offset + (bytes.count - body.count)) cannot start or continue a character; save the file as UTF-8"
                )
            }
        }
        throw CourseProblem(file: file, line: nil, message: "not valid UTF-8; save the file as UTF-8")
    }

    /// Parses lesson text (front matter + CommonMark).
    public static func parse(_ rawText: String, file: String, number: Int, slug: String) throws(CourseProblem) -> Lesson {
        let text = rawText.replacingOccurrences(of: "\r\n", with: "\n")
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = lines.first, first.trimming(" ") == "+++" else {
            throw CourseProblem(
                file: file, line: 1,
                message:
                    "a lesson starts with TOML front matter between two lines of +++ (id, title, duration, objectives); the first line is `\(lines.first.map { String($0.prefix(40)) } ?? "")`"
            )
        }
        guard let close = lines.indices.dropFirst().first(where: { lines[$0].trimming(" ") == "+++" }) else {
            throw CourseProblem(
                file: file, line: 1, message: "the front matter opened by +++ on line 1 is never closed: add a line with only +++ after the TOML")
        }
        let frontMatter = try parseFrontMatter(lines[1..<close].joined(separator: "\n"), file: file)
        let body = lines[(close + 1)...].joined(separator: "\n")

        var problems: [CourseProblem] = []
        let parsed = CmarkParser.parse(body, firstLine: close + 2)
        let (extended, extensionProblems) = LessonExtensions.apply(parsed)
        problems += extensionProblems.map { CourseProblem(file: file, line: $0.line, message: $0.message) }

        var walker = QuizWalker(file: file)
        let blocks = walker.transform(extended)
        problems += walker.problems
        problems.sort { ($0.line ?? 0) < ($1.line ?? 0) }
        return Lesson(
            number: number, slug: slug, file: file, frontMatter: frontMatter, blocks: blocks,
            questions: walker.questions, problems: problems)
    }

    static func parseFrontMatter(_ toml: String, file: String) throws(CourseProblem) -> FrontMatter {
        let document: TOMLDocument
        do {
            document = try TOMLDocument(parsing: toml)
        } catch {
            throw CourseProblem(file: file, line: 1 + error.line, message: "front matter is not valid TOML: \(error.message) (column \(error.column))")
        }
        let root = document.root
        func problem(_ key: String, _ message: String) -> CourseProblem {
            CourseProblem(file: file, line: root[key] == nil ? 1 : 1 + document.line(of: key), message: message)
        }
        for key in root.keys.sorted() where !frontMatterKeys.contains(key) {
            var message = "unknown front matter key `\(key)`"
            if let suggestion = Suggestions.closest(to: key, in: frontMatterKeys) { message += "; did you mean `\(suggestion)`?" }
            throw problem(key, message + " (allowed: \(frontMatterKeys.joined(separator: ", ")))")
        }
        guard case .string(let id)? = root["id"], QuizParser.isSlug(id) else {
            throw problem("id", "front matter needs `id`, a lowercase slug such as id = \"why-quantize\"")
        }
        guard case .string(let title)? = root["title"], !title.trimming(" ").isEmpty else {
            throw problem("title", "front matter needs `title`, a non-empty string")
        }
        guard case .integer(let duration)? = root["duration"], (1...240).contains(duration) else {
            throw problem("duration", "front matter needs `duration`, the reading time in whole minutes from 1 to 240, e.g. duration = 15")
        }
        guard case .array(let items)? = root["objectives"], !items.isEmpty else {
            throw problem("objectives", "front matter needs `objectives`, a non-empty list of strings")
        }
        var objectives: [String] = []
        for item in items {
            guard case .string(let s) = item, !s.trimming(" ").isEmpty else {
                throw problem("objectives", "every objective must be a non-empty string")
            }
            objectives.append(s)
        }
        return FrontMatter(id: id, title: title, duration: duration, objectives: objectives)
    }
}

/// Walks a lesson's blocks in reading order, turns ```quiz blocks into question cards and
/// remembers the section heading each question follows.
struct QuizWalker {
    let file: String
    var questions: [QuizQuestion] = []
    var problems: [CourseProblem] = []
    var section = ""
    var idLines: [String: Int] = [:]

    init(file: String) { self.file = file }

    mutating func transform(_ blocks: [Block]) -> [Block] {
        var result: [Block] = []
        for block in blocks { result.append(transform(block)) }
        return result
    }

    mutating func transform(_ block: Block) -> Block {
        switch block.kind {
        case .heading(_, let inlines):
            section = inlines.plainText
            return block
        case .codeBlock(let info, let literal) where info.trimming(" ") == "quiz":
            guard let question = QuizParser.parse(literal, fenceLine: block.line, section: section, file: file, problems: &problems) else {
                let note = Block(.paragraph([.text("This question could not be loaded; `quantlab check-course` says why.")]), line: block.line)
                return Block(.callout(.warning, [note]), line: block.line)
            }
            if let earlier = idLines[question.id] {
                problems.append(
                    CourseProblem(
                        file: file, line: block.line,
                        message: "duplicate quiz id `\(question.id)`: already used on line \(earlier); ids must be unique in a module"))
            }
            idLines[question.id] = block.line
            questions.append(question)
            return Block(.question(question.card(number: questions.count)), line: block.line)
        case .html:
            problems.append(CourseProblem(file: file, line: block.line, message: "raw HTML is shown as text in the terminal; use Markdown instead"))
            return block
        case .blockQuote(let children):
            return Block(.blockQuote(transform(children)), line: block.line)
        case .callout(let kind, let children):
            return Block(.callout(kind, transform(children)), line: block.line)
        case .list(var list):
            var items: [[Block]] = []
            for item in list.items { items.append(transform(item)) }
            list.items = items
            return Block(.list(list), line: block.line)
        default:
            return block
        }
    }
}

/// Reads untrusted files with a size cap checked before reading, and only regular files (a FIFO
/// or device would block or never end).
public enum BoundedFile {
    public static func read(path: String, displayPath: String, limit: Int, what: String) throws(CourseProblem) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CourseProblem(file: displayPath, line: nil, message: "cannot read \(what): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CourseProblem(file: displayPath, line: nil, message: "not a regular file; a \(what) must be a plain text file")
        }
        guard Int(info.st_size) <= limit else {
            throw CourseProblem(
                file: displayPath, line: nil,
                message:
                    "file is \(info.st_size) bytes; a \(what) may be at most \(limit) bytes (\(limit >= 1 << 20 ? "\(limit >> 20) MiB" : "\(limit >> 10) KiB")): split it up"
            )
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CourseProblem(file: displayPath, line: nil, message: "cannot open \(what) for reading")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw CourseProblem(file: displayPath, line: nil, message: "cannot read \(what): \(error.localizedDescription)")
        }
        guard data.count <= limit else {
            throw CourseProblem(file: displayPath, line: nil, message: "file grew past \(limit) bytes while being read")
        }
        return [UInt8](data)
    }

    /// `read`, as UTF-8 text; invalid UTF-8 is a problem naming the file.
    public static func readText(path: String, limit: Int = 64 << 20, what: String = "text file") throws(CourseProblem) -> String {
        let bytes = try read(path: path, displayPath: path, limit: limit, what: what)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CourseProblem(file: path, line: nil, message: "the text is not valid UTF-8")
        }
        return text
    }
}
