import Foundation

/// `quantlab check-course`.
public enum CourseCheck {
    public struct Report: Encodable, Sendable {
        public var ok: Bool
        public var lessons: Int
        public var questions: Int
        public var problems: [Problem]

        public struct Problem: Encodable, Sendable {
            public var file: String
            public var line: Int?
            public var message: String
        }

        public var text: String {
            var out = problems.map { p in p.line.map { "\(p.file):\($0): \(p.message)" } ?? "\(p.file): \(p.message)" }
                .joined(separator: "\n")
            if !out.isEmpty { out += "\n" }
            let summary = "checked \(lessons) lesson\(lessons == 1 ? "" : "s") and \(questions) quiz question\(questions == 1 ? "" : "s"): "
            out += summary + (problems.isEmpty ? "no problems" : "\(problems.count) problem\(problems.count == 1 ? "" : "s")") + "\n"
            return out
        }

        public func json() throws -> String { try JSON.encode(self) }

        /// Records one more problem (an exercise's), keeping `ok` in step.
        public mutating func add(_ problem: CourseProblem) {
            problems.append(Problem(file: problem.file, line: problem.line, message: problem.message))
            ok = false
        }
    }

    public static func report(_ course: Course) -> Report {
        let problems = course.problems.map { Report.Problem(file: $0.file, line: $0.line, message: $0.message) }
        return Report(
            ok: problems.isEmpty, lessons: course.entries.count,
            questions: course.lessons.reduce(0) { $0 + $1.questions.count }, problems: problems)
    }
}
