import Foundation
import Testing

/// `quantlab quiz`, `progress`, `quiz export` and `grade quizzes` as a learner and an instructor
/// run them: piped answers, end of input, signals, a broken store.
@Suite struct QuizCLITests {
    static let lesson = """
        +++
        id = "bits"
        title = "Bits"
        duration = 5
        objectives = ["o"]
        +++

        # Bits

        ## Sizes

        ```quiz
        id = "eight"
        type = "single"
        prompt = "Which is 8 bits?"
        choices = ["Q4_0", "Q8_0"]
        answer = 2
        explain = "Q8_0 stores 8-bit codes."
        [feedback]
        "1" = "Q4_0 is 4-bit."
        ```

        ## Memory

        ```quiz
        id = "gib"
        type = "numeric"
        prompt = "GiB of 14e9 bytes?"
        answer = 13.04
        tolerance = 0.05
        unit = "GiB"
        explain = "14e9 / 2^30."
        ```
        """

    /// A course with the lesson above (module 1) and a second module without a quiz, and an
    /// empty progress home.
    struct Sandbox {
        /// Every sandbox of this test process lives under one folder, removed when the process exits.
        static let scratch: URL = {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-quiz-tests-\(getpid())")
            atexit { try? FileManager.default.removeItem(at: FileManager.default.temporaryDirectory.appendingPathComponent("quantlab-quiz-tests-\(getpid())")) }
            return dir
        }()

        let root: URL
        var course: String { root.appendingPathComponent("course").path }
        var home: String { root.appendingPathComponent("home").path }
        var store: String { root.appendingPathComponent("home/progress.sqlite").path }

        init() throws {
            root = Sandbox.scratch.appendingPathComponent(UUID().uuidString)
            let lessons = root.appendingPathComponent("course/lessons")
            try FileManager.default.createDirectory(at: lessons, withIntermediateDirectories: true)
            try QuizCLITests.lesson.write(to: lessons.appendingPathComponent("01-bits.md"), atomically: true, encoding: .utf8)
            try "+++\nid = \"more\"\ntitle = \"More\"\nduration = 5\nobjectives = [\"o\"]\n+++\n\n# More\n"
                .write(to: lessons.appendingPathComponent("02-more.md"), atomically: true, encoding: .utf8)
        }

        func run(_ arguments: [String], input: String? = nil) throws -> CLITests.Result {
            try QuizCLITests.run(arguments + ["--course", course], input: input, environment: ["QUANTLAB_HOME": home])
        }

        /// Runs without --course (for commands that take none).
        func runBare(_ arguments: [String], input: String? = nil) throws -> CLITests.Result {
            try QuizCLITests.run(arguments, input: input, environment: ["QUANTLAB_HOME": home, "QUANTLAB_COURSE": course])
        }

        func progress() throws -> [String: Any] {
            let r = try run(["progress", "--json"])
            #expect(r.status == 0, "\(r.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }

        func module1() throws -> [String: Any] {
            try #require((try progress()["modules"] as? [[String: Any]])?.first)
        }
    }

    static func process(_ arguments: [String], environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = CLITests.binary
        process.arguments = arguments
        process.currentDirectoryURL = CLITests.repository
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "NO_COLOR")
        env.removeValue(forKey: "QUANTLAB_COURSE")
        for (k, v) in environment { env[k] = v }
        process.environment = env
        return process
    }

    static func run(
        _ arguments: [String], input: String?, environment: [String: String],
        executable: URL = CLITests.binary
    ) throws -> CLITests.Result {
        let process = process(arguments, environment: environment)
        process.executableURL = executable
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let stdin = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        try process.run()
        if let input {
            try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CLITests.Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func pipedSessionTranscriptAndRecord() throws {
        let box = try Sandbox()
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
        let box = try Sandbox()
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
        let box = try Sandbox()
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
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let a = try box.run(["quiz", "1", "--seed", "5"])
        let b = try box.run(["quiz", "1", "--seed", "5", "--shuffle"])
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.hasPrefix("Quiz: Bits (module 1), 2 questions, shuffled with seed 5\n"))
    }

    /// Starts a quiz, answers the first question, and waits until the second is asked.
    static func startAndAnswerOne(_ box: Sandbox) throws -> (Process, Pipe, FileHandle) {
        let process = Self.process(["quiz", "1", "--course", box.course], environment: ["QUANTLAB_HOME": box.home])
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
        let box = try Sandbox()
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
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let process = Self.process(["quiz", "1", "--course", box.course], environment: ["QUANTLAB_HOME": box.home])
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

    @Test func corruptedStoreIsReportedWithPathAndWayOut() throws {
        let box = try Sandbox()
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
        let box = try Sandbox()
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

    @Test func readMarksTheLessonOnlyOnATerminal() throws {
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        #expect(try box.run(["read", "1", "--no-pager"]).status == 0)
        #expect(try box.module1()["read"] as? Bool == false)
        // `script` gives the command a pseudo-terminal, as a learner's terminal would.
        let command = "'\(CLITests.binary.path)' read 1 --no-pager --course '\(box.course)'"
        let r = try Self.run(
            ["-qec", command, "/dev/null"], input: nil, environment: ["QUANTLAB_HOME": box.home],
            executable: URL(fileURLWithPath: "/usr/bin/script"))
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("Bits"))
        #expect(try box.module1()["read"] as? Bool == true)
        #expect(try box.progress()["stepsDone"] as? Int == 1)
    }

    @Test func exportThenGradeAClass() throws {
        let box = try Sandbox()
        defer { try? FileManager.default.removeItem(at: box.root) }
        let answers = box.root.appendingPathComponent("answers")
        try FileManager.default.createDirectory(at: answers.appendingPathComponent("s2"), withIntermediateDirectories: true)
        #expect(try box.run(["quiz", "1", "--answers", "a,13.04"]).status == 0)
        let export = try box.runBare(["quiz", "export", "--student", "s1", "--out", answers.appendingPathComponent("s1.json").path])
        #expect(export.status == 0)
        #expect(export.stderr == "Wrote the answers of 1 module to \(answers.appendingPathComponent("s1.json").path).\n")
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: answers.appendingPathComponent("s1.json"))) as? [String: Any])
        #expect(file["format"] as? String == "quantlab-quiz-answers")
        #expect(file["version"] as? Int == 1)
        #expect(file["student"] as? String == "s1")
        let modules = try #require(file["modules"] as? [[String: Any]])
        #expect(modules.count == 1)
        #expect(modules[0]["answers"] as? [String: String] == ["eight": "a", "gib": "13.04"])
        #expect(modules[0]["lesson_id"] as? String == "bits")

        try
            "{\"format\": \"quantlab-quiz-answers\", \"version\": 1, \"student\": \"s2\", \"exported_at\": \"x\", \"modules\": [{\"module\": 1, \"lesson_id\": \"bits\", \"finished_at\": \"x\", \"score\": 0, \"max\": 2, \"answers\": {\"eight\": \"b\"}}]}"
            .write(to: answers.appendingPathComponent("s2/quiz.json"), atomically: true, encoding: .utf8)
        try "garbage".write(to: answers.appendingPathComponent("s3.json"), atomically: true, encoding: .utf8)

        let csv = box.root.appendingPathComponent("grades.csv")
        let graded = try box.run(["grade", "quizzes", "--answers", answers.path, "--out", csv.path])
        #expect(graded.status == 0, "\(graded.stderr)")
        #expect(graded.stderr == "Graded 3 students: 3 rows (2 ok, 0 missing, 1 invalid) → \(csv.path)\n")
        let text = try String(contentsOf: csv, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[1] == "s1,1,bits,ok,1,2,eight=0;gib=1,s1.json,")
        #expect(lines[2] == "s2,1,bits,ok,1,2,eight=1;gib=-,s2/quiz.json,1 question unanswered")
        #expect(lines[3].hasPrefix("s3,,,invalid,,,,s3.json,not valid JSON"))

        // An instructor's own key (outside the course): here "a" is the right choice.
        let key = box.root.appendingPathComponent("key")
        try FileManager.default.createDirectory(at: key, withIntermediateDirectories: true)
        try Self.lesson.replacingOccurrences(of: "answer = 2", with: "answer = 1")
            .write(to: key.appendingPathComponent("01-bits.md"), atomically: true, encoding: .utf8)
        let keyed = try box.run(["grade", "quizzes", "--answers", answers.path, "--out", "-", "--key", key.path, "--json"])
        #expect(keyed.status == 0)
        #expect(keyed.stdout.hasPrefix("student,module,lesson_id,status,score,max,questions,file,message\ns1,1,bits,ok,2,2,eight=1;gib=1,s1.json,\n"))
        #expect(keyed.stdout.contains("\"status\" : \"invalid\""))

        // Shards: a split by student whose merge is the single run's gradebook, also when a
        // file elsewhere names a student again (x.json as s1, in shard 1 while s1.json is in shard 3:
        // graded in its shard, invalid in one run, so after merging).
        try "{\"format\": \"quantlab-quiz-answers\", \"version\": 1, \"student\": \"s1\", \"exported_at\": \"x\", \"modules\": []}"
            .write(to: answers.appendingPathComponent("x.json"), atomically: true, encoding: .utf8)
        let whole = try box.run(["grade", "quizzes", "--answers", answers.path, "--out", csv.path])
        #expect(whole.status == 0)
        let wholeCSV = try String(contentsOf: csv, encoding: .utf8)
        #expect(wholeCSV.contains("s1,,,invalid,,,,x.json,student `s1` was already graded from s1.json; only that file counts"))
        var parts: [String] = []
        for k in 1...3 {
            let part = box.root.appendingPathComponent("q\(k).json").path
            let r = try box.run(["grade", "quizzes", "--answers", answers.path, "--out", "-", "--shard", "\(k)/3", "--json-file", part])
            #expect(r.status == 0, "\(r.stderr)")
            parts.append(part)
        }
        let first = try String(contentsOfFile: parts[0], encoding: .utf8)
        #expect(first.contains("\"file\" : \"x.json\"") && first.contains("\"status\" : \"missing\"") && !first.contains("s1.json"))
        let merged = box.root.appendingPathComponent("merged.csv")
        let merge = try box.runBare(["grade", "merge"] + parts + ["--out", merged.path])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try String(contentsOf: merged, encoding: .utf8) == wholeCSV)
        #expect(try box.runBare(["grade", "merge", parts[0], parts[1], "--out", "-"]).stderr.contains("missing shard 3/3"))
        try FileManager.default.removeItem(at: answers.appendingPathComponent("x.json"))

        // A key with a problem grades nothing; a missing answers folder is a usage error.
        try "+++\nid = \"x\"\n".write(to: key.appendingPathComponent("02-broken.md"), atomically: true, encoding: .utf8)
        let broken = try box.run(["grade", "quizzes", "--answers", answers.path, "--out", "-", "--key", key.path])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("02-broken.md:1: the front matter opened by +++"))
        #expect(try box.run(["grade", "quizzes", "--answers", "/nonexistent", "--out", "-"]).status == 64)
    }
}
