import Foundation
import TestSupport
import Testing

@testable import CourseContent

@Suite struct CourseTests {
    static let repository = TestPaths.repository

    static func makeCourse(_ files: [String: String]) throws -> URL { try TestCourse.make(files) }
    static func lesson(id: String, title: String = "T") -> String { TestCourse.lesson(id: id, title: title) }

    @Test func theCourseItselfPassesItsChecks() throws {
        let course = try Course.load(root: Self.repository)
        #expect(course.problems.map(\.description) == [])
        #expect(course.lessons.count >= 2)
        #expect(course.lessons.allSatisfy { !$0.questions.isEmpty })
    }

    @Test func lookupByNumberIdSlugAndSuggestion() throws {
        let root = try Self.makeCourse([
            "01-why-quantize.md": Self.lesson(id: "why-quantize"),
            "02-basics.md": Self.lesson(id: "int-basics"),
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let course = try Course.load(root: root)
        #expect(try course.entry(for: "1").slug == "why-quantize")
        #expect(try course.entry(for: "02").slug == "basics")
        #expect(try course.entry(for: "int-basics").number == 2)
        #expect(try course.entry(for: "basics").number == 2)
        #expect(try course.entry(for: "01-why-quantize").number == 1)
        #expect(throws: Course.LookupError.notFound("why-quantise", suggestion: "why-quantize")) {
            try course.entry(for: "why-quantise")
        }
        #expect(throws: Course.LookupError.notFound("9", suggestion: nil)) { try course.entry(for: "9") }
    }

    @Test func courseLevelProblems() throws {
        let root = try Self.makeCourse([
            "01-a.md": Self.lesson(id: "same"),
            "01-b.md": Self.lesson(id: "same"),
            "notes.md": "x",
            "03-broken.md": "+++\nid = \"x\"\n",
            "README.md": "not a lesson",
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let course = try Course.load(root: root)
        let text = course.problems.map(\.description)
        #expect(text.contains("lessons/01-b.md: module number 1 is also used by lessons/01-a.md"))
        #expect(text.contains("lessons/01-b.md:2: lesson id `same` is also used by lessons/01-a.md; ids must be unique in the course"))
        #expect(text.contains { $0.hasPrefix("lessons/notes.md: lesson files are named NN-slug.md") })
        #expect(text.contains { $0.hasPrefix("lessons/03-broken.md:1: the front matter opened by +++") })
        #expect(course.entries.count == 3)
        let report = CourseCheck.report(course)
        #expect(!report.ok && report.problems.count == 4 && report.lessons == 3)
        // A broken lesson is still found by number, so `read 3` can say what is wrong with it.
        guard case .failure = try course.entry(for: "3").lesson else {
            Issue.record("lesson 3 should have failed to load")
            return
        }
    }

    @Test func locateRootPrefersExplicitThenEnvironment() throws {
        let root = try Self.makeCourse(["01-a.md": Self.lesson(id: "a")])
        defer { try? FileManager.default.removeItem(at: root) }
        let found = try Course.locateRoot(explicit: root.path, environment: [:], executable: "/nonexistent/quantlab", workingDirectory: "/")
        #expect(found.path == root.standardizedFileURL.path)
        let fromEnv = try Course.locateRoot(explicit: nil, environment: ["QUANTLAB_COURSE": root.path], executable: "/x/quantlab", workingDirectory: "/")
        #expect(fromEnv.path == root.standardizedFileURL.path)
        #expect(throws: CourseProblem.self) {
            try Course.locateRoot(explicit: "/nonexistent", environment: [:], executable: "/x", workingDirectory: "/")
        }
        let fromBinary = try Course.locateRoot(
            explicit: nil, environment: [:], executable: Self.repository.path + "/.build/release/quantlab",
            workingDirectory: "/")
        #expect(fromBinary.path == Self.repository.standardizedFileURL.path)
    }

    @Test func fileNames() {
        #expect(Course.parseFileName("01-why-quantize.md")! == (1, "why-quantize"))
        #expect(Course.parseFileName("123-x.md")! == (123, "x"))
        #expect(Course.parseFileName("1-x.md") == nil)
        #expect(Course.parseFileName("01-Bad Name.md") == nil)
        #expect(Course.parseFileName("01.md") == nil)
    }
}
