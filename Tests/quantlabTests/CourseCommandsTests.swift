import Foundation
import TestSupport
import Testing

/// The course commands (the overview, `lessons`, `read`, `check-course`) run as a learner would,
/// checking output and exit codes.
@Suite struct CourseCommandsTests {
    @Test func overviewListsModulesAndNextStep() throws {
        let r = try CLI.run([])
        #expect(r.status == 0)
        #expect(r.stdout.contains("Why quantize"))
        #expect(r.stdout.contains("Next: `quantlab read 1`"))
        #expect(!r.stdout.contains("\u{1B}"))
    }

    @Test func readPipedIsPlainAndWrapped() throws {
        let r = try CLI.run(["read", "1", "--no-pager", "--width", "60"])
        #expect(r.status == 0)
        #expect(!r.stdout.contains("\u{1B}"))
        #expect(r.stdout.hasPrefix("Why quantize\n"))
        #expect(r.stdout.split(separator: "\n").allSatisfy { $0.count <= 60 })
    }

    @Test func noColorWinsOverColorAlways() throws {
        let styled = try CLI.run(["read", "1", "--color", "always", "--no-pager"])
        #expect(styled.stdout.contains("\u{1B}["))
        let plain = try CLI.run(["read", "1", "--color", "always", "--no-pager"], environment: ["NO_COLOR": "1"])
        #expect(plain.status == 0)
        #expect(!plain.stdout.contains("\u{1B}"))
    }

    @Test func unknownLessonIsAUsageErrorWithSuggestion() throws {
        let r = try CLI.run(["read", "why-quantise"])
        #expect(r.status == 64)
        #expect(r.stderr.contains("did you mean `why-quantize`?"))
        #expect(r.stderr.contains("Usage: quantlab read"))
    }

    @Test func usageErrorsExit64() throws {
        #expect(try CLI.run(["read", "1", "--width", "5"]).status == 64)
        #expect(try CLI.run(["no-such-command"]).status == 64)
        #expect(try CLI.run(["read"]).status == 64)
        #expect(try CLI.run(["--course", "/nonexistent"]).status == 64)
    }

    @Test func lessonsJSON() throws {
        let r = try CLI.run(["lessons", "--json"])
        #expect(r.status == 0)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(items.first?["number"] as? Int == 1)
        #expect(items.first?["id"] as? String == "why-quantize")
        #expect(items.allSatisfy { $0["status"] as? String == "ok" })
    }

    @Test func checkCoursePassesOnTheCourse() throws {
        let r = try CLI.run(["check-course", "--skip-runs"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.hasSuffix("no problems\n"))
    }

    @Test func checkCourseReportsFileAndLineAndExits1() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-cli-\(UUID().uuidString)")
        let lessons = root.appendingPathComponent("lessons")
        try FileManager.default.createDirectory(at: lessons, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let quiz = "```quiz\nid = \"q\"\ntype = \"single\"\nprompt = \"p\"\nchoices = [\"a\", \"b\"]\nanswer = 3\nexplain = \"e\"\n```\n"
        try ("+++\nid = \"a\"\ntitle = \"A\"\nduration = 5\nobjectives = [\"o\"]\n+++\n\n" + quiz)
            .write(to: lessons.appendingPathComponent("01-a.md"), atomically: true, encoding: .utf8)
        try Data([0x2B, 0x2B, 0x2B, 0x0A, 0xFF, 0x0A]).write(to: lessons.appendingPathComponent("02-b.md"))

        let r = try CLI.run(["check-course", "--course", root.path])
        #expect(r.status == 1)
        #expect(r.stdout.contains("lessons/01-a.md:13: answer 3 is out of range"))
        #expect(r.stdout.contains("lessons/02-b.md:2: not valid UTF-8"))
        #expect(r.stdout.hasSuffix("2 problems\n"))

        let json = try CLI.run(["check-course", "--course", root.path, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == false)
        #expect((report["problems"] as? [[String: Any]])?.count == 2)

        let read = try CLI.run(["read", "2", "--course", root.path])
        #expect(read.status == 1)
        #expect(read.stderr.contains("lessons/02-b.md:2: not valid UTF-8"))
        // A lesson with a bad question still renders, reports the problem and exits 1.
        let partial = try CLI.run(["read", "1", "--course", root.path])
        #expect(partial.status == 1)
        #expect(partial.stdout.contains("This question could not be loaded"))
        #expect(partial.stderr.contains("lessons/01-a.md:13:"))
    }

    @Test func closedPipeEndsQuietly() throws {
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["read", "1", "--no-pager"]
        process.currentDirectoryURL = CLI.repository
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try out.fileHandleForReading.close()  // like `| head` that has already exited
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    @Test func readMarksTheLessonOnlyOnATerminal() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        #expect(try box.run(["read", "1", "--no-pager"]).status == 0)
        #expect(try box.module1()["read"] as? Bool == false)
        // `script` gives the command a pseudo-terminal, as a learner's terminal would.
        let command = "'\(CLI.binary.path)' read 1 --no-pager --course '\(box.course)'"
        let r = try CLI.run(
            ["-qec", command, "/dev/null"], input: nil, environment: ["QUANTLAB_HOME": box.home],
            executable: URL(fileURLWithPath: "/usr/bin/script"))
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("Bits"))
        #expect(try box.module1()["read"] as? Bool == true)
        #expect(try box.progress()["stepsDone"] as? Int == 1)
    }
}
