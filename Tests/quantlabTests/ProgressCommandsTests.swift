import Foundation
import TestSupport
import Testing

/// `quantlab progress` and `progress reset`, and what every command does with a broken progress store.
@Suite struct ProgressCommandsTests {
    @Test func corruptedStoreIsReportedWithPathAndWayOut() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        try FileManager.default.createDirectory(atPath: box.home, withIntermediateDirectories: true)
        let garbage = Data(String(repeating: "this is not SQLite ", count: 300).utf8)
        try garbage.write(to: URL(fileURLWithPath: box.store))
        let quiz = try box.run(["quiz", "1", "--answers", "b,13.04"])
        #expect(quiz.status == 65)
        #expect(quiz.stdout == "")
        #expect(quiz.stderr.hasPrefix("quantlab: \(box.store): not a readable progress database"))
        #expect(quiz.stderr.contains("mv '\(box.store)' '\(box.store).broken'"))
        #expect(try box.run(["progress"]).status == 65)
        #expect(try box.runBare(["quiz", "export", "--student", "s", "--out", "-"]).status == 65)
        #expect(try box.runBare(["progress", "reset", "--yes"]).status == 65)
        let overview = try box.run([])
        #expect(overview.status == 0)
        #expect(overview.stderr.hasPrefix("quantlab: progress not shown: \(box.store): not a readable progress database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: box.store)) == garbage)
    }

    @Test func progressViewOverviewAndReset() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let fresh = try box.run(["progress", "--no-pager", "--width", "80"])
        #expect(fresh.status == 0)
        #expect(fresh.stdout.contains("│ 1 │ Bits   │  ·   │ not taken │"))
        #expect(fresh.stdout.contains("Next: `quantlab read 1` — read “Bits”."))
        // Views do not create the store.
        #expect(!FileManager.default.fileExists(atPath: box.store))

        #expect(try box.run(["quiz", "1", "--answers", "b,13"]).status == 0)
        let after = try box.run(["progress", "--width", "80"])
        #expect(after.stdout.contains("│ 1 │ Bits   │  ·   │ ██████████ 2/2 ✓ │"))
        #expect(after.stdout.contains("Overall: 1 of 3 steps done (33%)"))
        let overview = try box.run(["--width", "80"])
        #expect(overview.stdout.contains("██████████ 2/2 ✓"))
        #expect(overview.stdout.contains("Next: `quantlab read 1`"))

        let declined = try box.runBare(["progress", "reset"], input: "no\n")
        #expect(declined.status == 1)
        #expect(declined.stdout == "Delete all your progress from \(box.store)? This cannot be undone. Type yes to confirm: ")
        #expect(declined.stderr == "Nothing deleted.\n")
        #expect(try box.runBare(["progress", "reset"]).status == 1)
        #expect(try box.module1()["quizAttempts"] as? Int == 1)

        let one = try box.runBare(["progress", "reset", "--module", "1"], input: "yes\n")
        #expect(one.status == 0)
        #expect(one.stdout.hasSuffix("Deleted your progress in module 1 (“Bits”) (3 records).\n"))
        #expect(try box.module1()["quizAttempts"] as? Int == 0)
        #expect(try box.runBare(["progress", "reset", "--yes"]).stdout == "Deleted all your progress (0 records).\n")
        #expect(try box.runBare(["progress", "reset", "--module", "9", "--yes"]).status == 64)
    }
}

extension QuizSandbox {
    /// `progress --json`, parsed.
    func progress() throws -> [String: Any] {
        let r = try run(["progress", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    func module1() throws -> [String: Any] {
        try #require((try progress()["modules"] as? [[String: Any]])?.first)
    }
}
