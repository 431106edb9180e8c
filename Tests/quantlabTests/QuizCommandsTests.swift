import Foundation
import TestSupport
import Testing

/// `quantlab quiz` and `quiz export` as a learner runs them: piped answers, end of input, signals.
@Suite struct QuizCommandsTests {
    @Test func pipedSessionTranscriptAndRecord() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let r = try box.run(["quiz", "1"], input: "c\na\n13.09 GiB\n13.5\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "")
        #expect(
            r.stdout == """
                Quiz: Bits (module 1), 2 questions
                Answer each question and press Enter. Ctrl-D or Ctrl-C quits; an unfinished attempt is not recorded.

                ❓ Question 1 (choose one)
                Which is 8 bits?
                  a) Q4_0
                  b) Q8_0
                Answer: c
                ↳ “c” is not a choice: type one letter from a to b (or its number, 1 to 2).
                Answer: a
                ✗ Not quite. The answer is b.
                Q4_0 is 4-bit.

                Why: Q8_0 stores 8-bit codes.

                ❓ Question 2 (a number, in GiB)
                GiB of 14e9 bytes?
                Answer: 13.09 GiB
                ✓ Right.
                Why: 14e9 / 2^30.

                Score: 1 of 2 (50%)  █████░░░░░
                Review (quantlab read 1):
                  • section “Sizes”: question 1 (eight)
                Best score so far: 1 of 2 (50%), this attempt

                """)
        let module = try box.module1()
        #expect(module["quizAttempts"] as? Int == 1)
        #expect((module["quizBest"] as? [String: Int]) == ["score": 1, "max": 2])
        // The leftover line ("13.5") was never read as an answer.

        // A better attempt raises the best score; a worse one does not lower it.
        let better = try box.run(["quiz", "bits", "--answers", "b,13.04"])
        #expect(better.stdout.hasSuffix("Best score so far: 2 of 2 (100%), this attempt (a new best)\n"))
        let worse = try box.run(["quiz", "01-bits", "--answers", "1,0"])
        #expect(worse.stdout.hasSuffix("Best score so far: 2 of 2 (100%)\n"))
        #expect((try box.module1()["quizBest"] as? [String: Int]) == ["score": 2, "max": 2])
        #expect(try box.module1()["quizAttempts"] as? Int == 3)
    }

    @Test func endOfInputMidQuizIsNotRecorded() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let r = try box.run(["quiz", "1"], input: "b\n")
        #expect(r.status == 1)
        #expect(r.stdout.hasSuffix("Answer: \n"))
        #expect(r.stderr == "Quiz ended after 1 of 2 questions: this attempt was not recorded. Run `quantlab quiz 1` to start again.\n")
        #expect(try box.module1()["quizAttempts"] as? Int == 0)
        // No input at all.
        #expect(try box.run(["quiz", "1"]).status == 1)
        // Fewer --answers than questions end the same way.
        let short = try box.run(["quiz", "1", "--answers", "b"])
        #expect(short.status == 1 && short.stderr.hasPrefix("Quiz ended after 1 of 2"))
        #expect(try box.module1()["quizAttempts"] as? Int == 0)
    }

    @Test func badAnswersAndModulesAreUsageErrors() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let bad = try box.run(["quiz", "1", "--answers", "b,lots"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--answers: answer 2 (“lots”) to question 2 (`gib`): “lots” is not a number"))
        #expect(try box.run(["quiz", "1", "--answers", "b,13,true"]).status == 64)
        let unknown = try box.run(["quiz", "bitz"])
        #expect(unknown.status == 64 && unknown.stderr.contains("did you mean `bits`?"))
        let noQuiz = try box.run(["quiz", "2"])
        #expect(noQuiz.status == 64 && noQuiz.stderr.contains("has no quiz questions"))
        #expect(try box.runBare(["quiz", "export", "--out", "x.json"]).status == 64)
        #expect(try box.runBare(["quiz", "export", "--student", "a b", "--out", "x.json"]).status == 64)
        // Nothing was recorded by any of these, and no store was created.
        #expect(!FileManager.default.fileExists(atPath: box.store))
    }

    @Test func shuffledOrderIsRepeatable() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let a = try box.run(["quiz", "1", "--seed", "5"])
        let b = try box.run(["quiz", "1", "--seed", "5", "--shuffle"])
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.hasPrefix("Quiz: Bits (module 1), 2 questions, shuffled with seed 5\n"))
    }

    /// Starts a quiz, answers the first question, and waits until the second is asked.
    static func startAndAnswerOne(_ box: QuizSandbox) throws -> (Process, Pipe, FileHandle) {
        let process = CLI.process(["quiz", "1", "--course", box.course], environment: ["QUANTLAB_HOME": box.home])
        let out = Pipe()
        let stdin = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = stdin
        try process.run()
        try stdin.fileHandleForWriting.write(contentsOf: Data("b\n".utf8))
        var seen = ""
        while !seen.contains("Question 2") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        #expect(seen.contains("✓ Right."))
        return (process, out, stdin.fileHandleForWriting)
    }

    @Test func killDashNineMidQuizLeavesNoAttempt() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        #expect(try box.run(["quiz", "1", "--answers", "a,1"]).status == 0)
        let (process, _, stdin) = try Self.startAndAnswerOne(box)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? stdin.close()
        #expect(process.terminationReason == .uncaughtSignal)
        let module = try box.module1()
        #expect(module["quizAttempts"] as? Int == 1)
        #expect((module["quizBest"] as? [String: Int]) == ["score": 0, "max": 2])
        let export = try box.runBare(["quiz", "export", "--student", "s1", "--out", "-"])
        #expect(export.stdout.contains("\"eight\" : \"a\""))
    }

    @Test func ctrlCMidQuizSaysNothingWasRecorded() throws {
        let box = try QuizSandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let process = CLI.process(["quiz", "1", "--course", box.course], environment: ["QUANTLAB_HOME": box.home])
        let out = Pipe()
        let err = Pipe()
        let stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin
        try process.run()
        var seen = ""
        while !seen.contains("Answer: ") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGINT)
        // Were the signal lost, end of input would end the quiz (exit 1) instead of hanging the test.
        try? stdin.fileHandleForWriting.close()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(String(decoding: stderr, as: UTF8.self) == "\nQuiz interrupted: this attempt was not recorded.\n")
        #expect(try box.module1()["quizAttempts"] as? Int == 0)
    }
}
