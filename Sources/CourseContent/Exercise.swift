import Digests
import Foundation

/// A graded exercise: `exercises/NN-slug/exercise.toml`, with `starter.toml` (settings that
/// must fail the rubric) and `solution.toml` (settings that must pass) beside it.
///
/// ```toml
/// title = "INT8: one scale per tensor or per row?"
/// module = 2                      # the lesson it belongs to
/// brief = """Markdown, rendered like a lesson"""
/// methods = ["rtn"]               # the methods a submission may use
/// chunks = 24                     # evaluation chunks of 256 tokens (1–94; default all)
/// pass_mark = 100                 # points needed to pass
///
/// [check.accuracy]                # one table per rubric check, shown in file order
/// metric = "mean_kld"             # see Metric
/// at_most = 0.0002                # or at_least
/// points = 50
/// pass = "feedback when it passes; {value} and {target} are replaced"
/// fail = "feedback when it fails"
/// ```
public struct Exercise: Sendable, Equatable {
    public struct Check: Sendable, Equatable, Codable {
        public enum Comparator: String, Sendable, Codable {
            case atMost = "at_most"
            case atLeast = "at_least"
        }
        public var name: String
        public var metric: Metric
        public var comparator: Comparator
        public var threshold: Double
        public var points: Int
        public var passFeedback: String
        public var failFeedback: String

        public func passes(_ value: Double) -> Bool {
            comparator == .atMost ? value <= threshold : value >= threshold
        }
    }

    /// `NN-slug`, the folder name.
    public var id: String
    public var number: Int
    public var slug: String
    public var title: String
    public var module: Int
    public var brief: String
    public var methods: [QuantizationMethod]
    public var chunks: Int?
    public var passMark: Int
    public var checks: [Check]
    public var directory: URL
    /// SHA-256 of `exercise.toml` as loaded: what a graded row depends on besides the settings.
    public var digest = ""
    public var maxScore: Int { checks.reduce(0) { $0 + $1.points } }

    public init(
        id: String, number: Int, slug: String, title: String, module: Int, brief: String, methods: [QuantizationMethod],
        chunks: Int?, passMark: Int, checks: [Check], directory: URL, digest: String = ""
    ) {
        self.id = id
        self.number = number
        self.slug = slug
        self.title = title
        self.module = module
        self.brief = brief
        self.methods = methods
        self.chunks = chunks
        self.passMark = passMark
        self.checks = checks
        self.directory = directory
        self.digest = digest
    }

    static let keys = ["title", "module", "brief", "methods", "chunks", "pass_mark", "check"]
    static let checkKeys = ["metric", "at_most", "at_least", "points", "pass", "fail"]

    /// Loads and validates `directory/exercise.toml`; every problem names the file and line.
    public static func load(directory: URL) throws(CourseProblem) -> Exercise {
        let name = directory.lastPathComponent
        let file = directory.appendingPathComponent("exercise.toml").path
        guard let dash = name.firstIndex(of: "-"), let number = Int(name[..<dash]), name.count > 3 else {
            throw CourseProblem(file: directory.path, line: nil, message: "an exercise folder is named NN-slug (e.g. 02-int8-granularity), got \(name)")
        }
        let text: String
        let digest: String
        do {
            let bytes = try BoundedFile.read(path: file, displayPath: file, limit: 256 * 1024, what: "exercise file")
            guard let decoded = String(validating: bytes, as: UTF8.self) else {
                throw CourseProblem(file: file, line: nil, message: "the file is not valid UTF-8")
            }
            text = decoded
            digest = SHA256.hex(bytes)
        } catch let problem as CourseProblem {
            throw problem
        } catch {
            throw CourseProblem(file: file, line: nil, message: "\(error)")
        }
        let document: TOMLDocument
        do {
            document = try TOMLDocument(parsing: text)
        } catch {
            throw CourseProblem(file: file, line: error.line, message: "not valid TOML: \(error.message)")
        }
        let root = document.root
        func problem(_ key: String, _ message: String, section: String? = nil) -> CourseProblem {
            CourseProblem(file: file, line: document.line(of: key, in: section), message: message)
        }
        for key in root.keys.sorted() where !keys.contains(key) {
            var message = "unknown key `\(key)`"
            if let guess = Suggestions.closest(to: key, in: keys) { message += "; did you mean `\(guess)`?" }
            throw problem(key, message + " (allowed: \(keys.joined(separator: ", ")))")
        }
        func string(_ key: String) throws(CourseProblem) -> String {
            guard case .string(let value)? = root[key], !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw problem(key, "`\(key)` must be a non-empty string")
            }
            return value
        }
        func integer(_ key: String, _ range: ClosedRange<Int>) throws(CourseProblem) -> Int {
            guard case .integer(let value)? = root[key], range.contains(value) else {
                throw problem(key, "`\(key)` must be an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        guard case .array(let methodNodes)? = root["methods"], !methodNodes.isEmpty else {
            throw problem("methods", "`methods` must be a list of allowed methods, e.g. [\"rtn\"]")
        }
        var methods: [QuantizationMethod] = []
        for node in methodNodes {
            guard case .string(let name) = node, let method = QuantizationMethod(rawValue: name) else {
                throw problem("methods", "`methods` may hold \(QuantizationMethod.quotedNames)")
            }
            methods.append(method)
        }
        guard case .table(let checkTable)? = root["check"], !checkTable.isEmpty else {
            throw problem("check", "an exercise needs at least one [check.NAME] table")
        }
        var checks: [(line: Int, check: Check)] = []
        for (checkName, node) in checkTable {
            let section = "check.\(checkName)"
            guard case .table(let fields) = node else { throw problem(checkName, "`check.\(checkName)` must be a table") }
            for key in fields.keys.sorted() where !checkKeys.contains(key) {
                var message = "unknown key `\(key)` in [\(section)]"
                if let guess = Suggestions.closest(to: key, in: checkKeys) { message += "; did you mean `\(guess)`?" }
                throw problem(key, message, section: section)
            }
            guard case .string(let name)? = fields["metric"], let metric = Metric(rawValue: name) else {
                throw problem("metric", "[\(section)] `metric` must be one of \(Metric.quotedNames)", section: section)
            }
            let comparator: Check.Comparator
            let threshold: Double
            switch (fields["at_most"]?.number, fields["at_least"]?.number) {
            case (let value?, nil): (comparator, threshold) = (.atMost, value)
            case (nil, let value?): (comparator, threshold) = (.atLeast, value)
            default: throw problem("metric", "[\(section)] needs exactly one of `at_most` or `at_least`, a number", section: section)
            }
            guard case .integer(let points)? = fields["points"], (1...1000).contains(points) else {
                throw problem("points", "[\(section)] `points` must be an integer from 1 to 1000", section: section)
            }
            guard case .string(let pass)? = fields["pass"], case .string(let fail)? = fields["fail"] else {
                throw problem("pass", "[\(section)] needs `pass` and `fail` feedback strings", section: section)
            }
            checks.append(
                (
                    document.line(of: "metric", in: section),
                    Check(
                        name: checkName, metric: metric, comparator: comparator, threshold: threshold, points: points,
                        passFeedback: pass, failFeedback: fail)
                ))
        }
        let chunks: Int? = root["chunks"] == nil ? nil : try integer("chunks", 1...1000)
        let exercise = Exercise(
            id: name, number: number, slug: String(name[name.index(after: dash)...]), title: try string("title"),
            module: try integer("module", 1...99), brief: try string("brief"), methods: methods, chunks: chunks,
            passMark: try integer("pass_mark", 1...100_000), checks: checks.sorted { $0.line < $1.line }.map(\.check),
            directory: directory, digest: digest)
        guard exercise.passMark <= exercise.maxScore else {
            throw problem("pass_mark", "`pass_mark` is \(exercise.passMark) but the checks give at most \(exercise.maxScore) points")
        }
        return exercise
    }

    /// Every `exercises/NN-slug/` folder of the course, in number order (the reference model's
    /// folder is not an exercise).
    public static func all(in courseRoot: URL) -> [Result<Exercise, CourseProblem>] {
        let folder = courseRoot.appendingPathComponent("exercises")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.first?.isNumber == true }.sorted().map { name in
            Result { () throws(CourseProblem) -> Exercise in try load(directory: folder.appendingPathComponent(name)) }
        }
    }

    /// Finds an exercise by folder name, number or slug.
    public static func find(_ reference: String, in courseRoot: URL) throws(CourseProblem) -> Exercise {
        let candidates = all(in: courseRoot)
        let loaded = candidates.compactMap { try? $0.get() }
        if let exact = loaded.first(where: { $0.id == reference || $0.slug == reference }) { return exact }
        let byNumber = loaded.filter { Int(reference) == $0.number }
        if byNumber.count == 1 { return byNumber[0] }
        if byNumber.count > 1 {
            throw CourseProblem(
                file: reference, line: nil,
                message: "exercise number \(reference) is ambiguous: \(byNumber.map(\.id).joined(separator: ", ")); use the folder name or the slug")
        }
        if let broken = candidates.first(where: { if case .failure(let p) = $0 { return p.file.contains("/\(reference)") } else { return false } }),
            case .failure(let problem) = broken
        {
            throw problem
        }
        let known = candidates.compactMap { try? $0.get().id }
        throw CourseProblem(
            file: reference, line: nil,
            message: "no exercise \"\(reference)\"; choose one of \(known.joined(separator: ", ")) (or its number or slug)")
    }
}
