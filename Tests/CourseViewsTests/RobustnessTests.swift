import Foundation
import QuantCore
import TestSupport
import Testing

@testable import CourseContent
@testable import CourseViews
@testable import TerminalUI

/// Lesson files are untrusted input: whatever bytes they hold, loading and rendering must end with
/// a lesson or a problem, never a crash or a line wider than the terminal.
@Suite struct RobustnessTests {
    /// (The fuzz knobs, `FuzzOptions`, are in TestSupport.)
    static let fragments = [
        "+++", "```", "```quiz", "```table", "|", "\n", "\n\n", "> ", "- ", "1. ", "💡 Tip:", "❗ Misconception:",
        "answer = ", "type = \"single\"", "choices = [", "\"", "[feedback]", "量", "🦙", "\u{301}", "*", "`", "#", "\t", "> > > > > ", "    - ", "  1. ",
    ]

    @Test func mutatedLessonsNeverCrash() throws {
        let original = try String(contentsOf: GoldenTests.fixtures.appendingPathComponent("Everything.md"), encoding: .utf8)
        var fuzz = FuzzOptions(iterations: 300, seed: 42)
        let iterations = fuzz.iterations
        var loaded = 0
        var refused = 0
        for _ in 0..<iterations {
            var chars = Array(original)
            for _ in 0..<Int.random(in: 1...8, using: &fuzz.rng) {
                let at = Int.random(in: 0..<chars.count, using: &fuzz.rng)
                switch Int.random(in: 0..<3, using: &fuzz.rng) {
                case 0: chars.insert(contentsOf: Self.fragments.randomElement(using: &fuzz.rng)!, at: at)
                case 1: chars.removeSubrange(at..<min(chars.count, at + Int.random(in: 1...40, using: &fuzz.rng)))
                default: chars.insert(Character(Unicode.Scalar(UInt8.random(in: 0...127, using: &fuzz.rng))), at: at)
                }
            }
            fuzz.dump(String(chars))
            do {
                let lesson = try LessonLoader.parse(String(chars), file: "fuzz.md", number: 1, slug: "fuzz")
                loaded += 1
                for width in [20, 33, 80] {
                    let lines = LessonView.render(lesson, with: MarkdownRenderer(width: width, style: .plain))
                    let tooWide = lines.filter { $0.width > width }
                    #expect(tooWide.isEmpty, "width \(width): \(tooWide.map(\.plainText))")
                }
            } catch {
                refused += 1
                #expect(error.file == "fuzz.md")
                #expect(!error.message.isEmpty)
            }
        }
        #expect(loaded + refused == iterations)
        #expect(loaded > 0 && refused > 0)  // the mutations exercise both paths
    }

    @Test func theCourseRendersWithinEveryWidth() throws {
        let course = try Course.load(root: TestPaths.repository)
        for lesson in course.lessons {
            for width in [40, 80, 120] {
                let lines = LessonView.render(lesson, with: MarkdownRenderer(width: width, style: .terminal))
                let tooWide = lines.filter { $0.width > width }
                #expect(tooWide.isEmpty, "\(lesson.file) at \(width): \(tooWide.map(\.plainText))")
            }
        }
    }
}
