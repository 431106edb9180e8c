import Foundation
import TestSupport
import Testing

/// `quantlab grade exercises` end to end on a generated class: 53 students (60 ids, 7 of which
/// submitted nothing, so have no folder), 3 exercises, every kind of bad file; graded twice, in
/// shards, and after a kill -9. And `grade quizzes` and `grade merge` on exported quiz answers.
@Suite(.serialized) struct GradeCommandsTests {
    /// Writes the class; returns the folder.
    static func makeClass(in dir: URL) throws -> URL {
        let subs = dir.appendingPathComponent("subs")
        let fm = FileManager.default
        func write(_ student: String, _ exercise: String, _ text: String) throws {
            let folder = subs.appendingPathComponent(student)
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: folder.appendingPathComponent("\(exercise).toml"))
        }
        for i in 0..<60 {
            let s = String(format: "s%02d", i)
            // Two settings per RTN exercise, each file different (a comment) but normalizing alike.
            if i < 50 {
                try write(s, "02-int8-granularity", "# \(s)\nmethod = \"rtn\"\nbits = \(i % 2 == 0 ? 8 : 4)\ngranularity = \"channel\"\n")
            }
            if i < 40 {
                try write(s, "02-int4-group-budget", "# \(s)\nmethod = \"rtn\"\nbits = 4\ngroup_size = \(i % 2 == 0 ? 32 : 64)\n")
            }
        }
        try write("s40", "02-int4-group-budget", "method = \"rtn\"\nbits = 4\ngroupsize = 64\n")  // unknown key
        try write("s41", "02-int4-group-budget", "method = \"rtn\"\nbits = \"4\"\n")  // wrong type
        try Data([0xFF, 0xFE, 0x00, 0x81, 0x13, 0x37]).write(to: subs.appendingPathComponent("s42/02-int4-group-budget.toml"))  // binary
        try fm.createDirectory(at: subs.appendingPathComponent("s42"), withIntermediateDirectories: true)
        try Data().write(to: subs.appendingPathComponent("s43/02-int4-group-budget.toml"))  // empty
        try fm.createSymbolicLink(atPath: subs.appendingPathComponent("s44/02-int4-group-budget.toml").path, withDestinationPath: "/etc/hostname")
        try write("s45", "02-int4-group-budget", "method = \"gguf\"\ntype = \"q4_0\"\n")  // method not allowed
        try write("s46", "02-int4-group-budget", "method = \"rtn\"\nbits = 4\ngroup_size = 96\n")  // does not fit 512-wide rows
        try write("s50", "04-gptq-3bit", "method = \"gptq\"\nbits = 3\ngroup_size = 64\nsamples = 1024\n")  // far too slow
        try write("s51", "04-gptq-3bit", "method = \"gptq\"\nbits = three\n")  // not TOML
        try Data("junk".utf8).write(to: subs.appendingPathComponent("README.txt"))
        try Data("notes".utf8).write(to: subs.appendingPathComponent("s00/notes.txt"))
        try write("weird name!", "02-int8-granularity", "method = \"rtn\"\nbits = 8\ngranularity = \"channel\"\n")
        return subs
    }

    /// The class graded once, shared by the cases below (each writes its own outputs beside it).
    final class Graded: @unchecked Sendable {
        let dir: URL, course: String, subs: String, environment: [String: String]
        let first: CLI.Result, csv: String, rows: [[String]]
        var grade: [String] { ["grade", "exercises", "--submissions", subs, "--timeout", "6", "--jobs", "2"] }
        func out(_ name: String) -> String { dir.appendingPathComponent(name).path }
        func text(_ name: String) throws -> String { try String(contentsOfFile: out(name), encoding: .utf8) }

        init() throws {
            dir = try CLI.temporaryDirectory()
            course = try CLI.smallCourse(in: dir, exercises: ["02-int8-granularity", "02-int4-group-budget", "04-gptq-3bit"]).path
            subs = try GradeCommandsTests.makeClass(in: dir).path
            environment = ["QUANTLAB_CACHE": dir.appendingPathComponent("cache").path, "QUANTLAB_COURSE": course]
            first = try CLI.run(
                [
                    "grade", "exercises", "--submissions", subs, "--timeout", "6", "--jobs", "2", "--out", dir.appendingPathComponent("a.csv").path,
                    "--json", dir.appendingPathComponent("a.json").path, "--feedback-dir", dir.appendingPathComponent("feedback").path,
                ],
                environment: environment)
            csv = (try? String(contentsOfFile: dir.appendingPathComponent("a.csv").path, encoding: .utf8)) ?? ""
            rows = csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        }
    }

    nonisolated(unsafe) static var shared: Graded?
    static func graded() throws -> Graded {
        if let shared { return shared }
        let made = try Graded()
        shared = made
        // The folder outlives every case; it goes when the test process ends.
        atexit { if let dir = GradeCommandsTests.shared?.dir { try? FileManager.default.removeItem(at: dir) } }
        return made
    }

    @Test func everyStudentAndExerciseIsOneRowWithItsStatusAndReason() throws {
        let g = try Self.graded()
        #expect(g.first.status == 0, "\(g.first.stderr)")
        let rows = g.rows
        let csv = g.csv
        // 53 student folders × 3 exercises, each once.
        #expect(rows.count == 53 * 3)
        #expect(Set(rows.map { "\($0[0])/\($0[1])" }).count == rows.count)
        func status(_ student: String, _ exercise: String) -> String? { rows.first { $0[0] == student && $0[1] == exercise }?[2] }
        #expect(status("s00", "02-int8-granularity") == "ok" && status("s01", "02-int8-granularity") == "ok")
        #expect(rows.first { $0[0] == "s00" && $0[1] == "02-int8-granularity" }?[3...5] == ["100", "100", "yes"])
        #expect(rows.first { $0[0] == "s01" && $0[1] == "02-int8-granularity" }?[3...5] == ["40", "100", "no"])
        for (student, expected) in [
            ("s40", "invalid"), ("s41", "invalid"), ("s42", "invalid"), ("s43", "invalid"), ("s44", "invalid"),
            ("s45", "invalid"), ("s46", "invalid"), ("s47", "missing"), ("s10", "ok"),
        ] {
            #expect(status(student, "02-int4-group-budget") == expected, "\(student)")
        }
        #expect(status("s50", "04-gptq-3bit") == "timeout" && status("s51", "04-gptq-3bit") == "invalid" && status("s00", "04-gptq-3bit") == "missing")
        #expect(status("weird_name_", "02-int8-granularity") == "ok")
        #expect(csv.contains("s40/02-int4-group-budget.toml,\"line 3: unknown key `groupsize` for method \"\"rtn\"\"; did you mean `group_size`?"))
        #expect(csv.contains("a symbolic link to /etc/hostname, outside the submissions folder"))
        #expect(csv.contains("not a UTF-8 text file") && csv.contains("the file is empty"))
        #expect(csv.contains("exercise 02-int4-group-budget allows method \"\"rtn\"\", not \"\"gguf\"\""))
        #expect(csv.contains("the settings do not fit the reference model: group_size 96 does not divide"))
        #expect(g.first.stderr.contains("warning: README.txt: not a student folder") && g.first.stderr.contains("warning: s00/notes.txt: not a settings file"))
        let counts = Dictionary(grouping: rows, by: { $0[2] }).mapValues(\.count)
        #expect(counts == ["ok": 50 + 1 + 40, "invalid": 8, "timeout": 1, "missing": 159 - 91 - 9])
        // 93 submissions need a measurement (91 ok, s46 whose groups do not fit, the slow one),
        // in 6 runs: identical settings are measured once.
        #expect(g.first.stderr.contains("93 to measure in 6 runs"), "\(g.first.stderr)")
        let feedback = try String(contentsOfFile: g.out("feedback/s01.md"), encoding: .utf8)
        #expect(feedback.contains("## 02-int8-granularity: 40 / 100, not passed") && feedback.contains("## 04-gptq-3bit: no submission"))
    }

    @Test func gradingAgainFromScratchIsByteIdentical() throws {
        let g = try Self.graded()
        let again = try CLI.run(g.grade + ["--out", g.out("b.csv"), "--json", g.out("b.json"), "--fresh"], environment: g.environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try g.text("b.csv") == g.csv && !g.csv.isEmpty)
        #expect(try g.text("b.json") == g.text("a.json"))
    }

    @Test func fourShardsMergeIntoTheSameGradebookAndAMissingShardIsRefused() throws {
        let g = try Self.graded()
        for k in 1...4 {
            let shard = try CLI.run(
                g.grade + ["--out", g.out("s\(k).csv"), "--json", g.out("s\(k).json"), "--shard", "\(k)/4"], environment: g.environment)
            #expect(shard.status == 0, "\(shard.stderr)")
        }
        let merged = try CLI.run(["grade", "merge"] + (1...4).map { g.out("s\($0).json") } + ["--out", g.out("m.csv"), "--json", g.out("m.json")])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try g.text("m.csv") == g.csv && !g.csv.isEmpty)
        #expect(try g.text("m.json") == g.text("a.json"))
        let partial = try CLI.run(["grade", "merge", g.out("s1.json"), g.out("s2.json"), g.out("s4.json"), "--out", g.out("x.csv")])
        #expect(partial.status == 65 && partial.stderr.contains("missing shard 3/4"))
    }

    /// A worker past the memory cap is that row's error, not the batch's: 1024 calibration
    /// windows do not fit in 256 MiB of address space.
    @Test func aWorkerPastTheMemoryCapIsAnErrorRowAndTheRunExits70() throws {
        let g = try Self.graded()
        let capped = try CLI.run(
            [
                "grade", "exercises", "--submissions", g.subs, "--exercise", "gptq-3bit", "--memory-limit", "256", "--timeout", "60",
                "--out", g.out("cap.csv"),
            ], environment: g.environment)
        // Every row is written, and the run exits 70 because one of them is a tool failure.
        #expect(capped.status == 70 && capped.stderr.contains("1 row is status error (grading failed, not the students' fault)"), "\(capped.stderr)")
        let cappedRow = try g.text("cap.csv").split(separator: "\n").first { $0.hasPrefix("s50,") }.map(String.init) ?? ""
        #expect(cappedRow.hasPrefix("s50,04-gptq-3bit,error,") && cappedRow.contains("(it may have reached the 256 MiB memory cap)"), "\(cappedRow)")
    }

    /// Killed (SIGKILL) once some rows are journaled, then rerun: complete and identical.
    @Test func aKilledRunResumesFromItsJournal() throws {
        let g = try Self.graded()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = g.grade + ["--out", g.out("k.csv"), "--json", g.out("k.json"), "--fresh"]
        var env = ProcessInfo.processInfo.environment
        for (k, v) in g.environment { env[k] = v }
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        func journaled() -> Int { ((try? g.text("k.csv.journal")) ?? "").filter { $0 == "\n" }.count }
        while Date() < deadline, journaled() < 2 { Thread.sleep(forTimeInterval: 0.05) }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let journal = try g.text("k.csv.journal")
        // Complete lines, less the timeout and error rows a rerun tries again.
        let done = journal.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            .filter { !$0.contains("\"status\":\"timeout\"") && !$0.contains("\"status\":\"error\"") }.count
        #expect(journaled() >= 2 && !FileManager.default.fileExists(atPath: g.out("k.csv")))
        let resumed = try CLI.run(g.grade + ["--out", g.out("k.csv"), "--json", g.out("k.json")], environment: g.environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("\(done) already graded (journal)"), "\(resumed.stderr)")
        #expect(try g.text("k.csv") == g.csv && !g.csv.isEmpty)
        #expect(try g.text("k.json") == g.text("a.json"))
    }

    /// The rubric changes (the accuracy target of 02-int8-granularity is relaxed): that
    /// exercise's journaled rows no longer count, and its grades follow the new rubric. On a
    /// copy of the course, so that the other cases keep theirs.
    @Test func aChangedRubricRegradesOnlyItsExercise() throws {
        let g = try Self.graded()
        let copy = g.dir.appendingPathComponent("course-copy")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: g.course), to: copy)
        let environment = ["QUANTLAB_CACHE": g.environment["QUANTLAB_CACHE"]!, "QUANTLAB_COURSE": copy.path]
        let grade = [
            "grade", "exercises", "--submissions", g.subs, "--exercise", "int8-granularity", "--exercise", "int4-group-budget", "--out", g.out("r.csv"),
        ]
        let before = try CLI.run(grade, environment: environment)
        let firstText = try g.text("r.csv")
        #expect(before.status == 0 && firstText.contains("\ns01,02-int8-granularity,ok,40,100,no,"), "\(before.stderr)")
        let spec = copy.appendingPathComponent("exercises/02-int8-granularity/exercise.toml")
        try String(contentsOf: spec, encoding: .utf8).replacingOccurrences(of: "at_most = 0.00006", with: "at_most = 1.0")
            .write(to: spec, atomically: true, encoding: .utf8)
        let regraded = try CLI.run(grade, environment: environment)
        // 02-int4-group-budget's 41 measured rows (40 ok, and s46 whose groups do not fit) stay.
        #expect(regraded.stderr.contains("41 already graded (journal)"), "\(regraded.stderr)")
        #expect(try g.text("r.csv").contains("\ns01,02-int8-granularity,ok,100,100,yes,"))
    }

    /// A course file that cannot be used is the course's fault: grading stops before any row is
    /// written (exit 65), naming the file, instead of marking correct submissions invalid.
    @Test func aBrokenCourseStopsGradingInsteadOfFailingTheStudents() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let course = try CLI.smallCourse(in: dir, exercises: ["02-int8-granularity"])
        let subs = dir.appendingPathComponent("subs/s01")
        try FileManager.default.createDirectory(at: subs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: course.appendingPathComponent("exercises/02-int8-granularity/solution.toml"),
            to: subs.appendingPathComponent("02-int8-granularity.toml"))
        let environment = ["QUANTLAB_CACHE": dir.appendingPathComponent("cache").path, "QUANTLAB_COURSE": course.path]
        let grade = ["grade", "exercises", "--submissions", dir.appendingPathComponent("subs").path, "--out", dir.appendingPathComponent("g.csv").path]

        // The calibration text, replaced by bytes that are not UTF-8.
        let reference = course.appendingPathComponent("exercises/reference")
        try FileManager.default.removeItem(at: reference)
        try FileManager.default.createDirectory(at: reference, withIntermediateDirectories: true)
        for name in ["storyteller-2m-f32.gguf", "eval.txt"] {
            try FileManager.default.createSymbolicLink(
                at: reference.appendingPathComponent(name),
                withDestinationURL: CLI.repository.appendingPathComponent("exercises/reference/\(name)"))
        }
        try Data([0x4F, 0x6E, 0x63, 0x65, 0xFF, 0xFE, 0x0A]).write(to: reference.appendingPathComponent("calibration.txt"))
        let badText = try CLI.run(grade, environment: environment)
        #expect(badText.status == 65, "\(badText.stderr)")
        #expect(badText.stderr.contains("calibration.txt: the text is not valid UTF-8") && badText.stderr.contains("nothing was graded"), "\(badText.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("g.csv").path))

        // A broken exercise spec: its submissions would otherwise be rows "named after no exercise".
        try FileManager.default.copyItem(
            at: CLI.repository.appendingPathComponent("exercises/reference/calibration.txt"),
            to: reference.appendingPathComponent("calibration.txt.good"))
        try FileManager.default.removeItem(at: reference.appendingPathComponent("calibration.txt"))
        try FileManager.default.moveItem(at: reference.appendingPathComponent("calibration.txt.good"), to: reference.appendingPathComponent("calibration.txt"))
        let spec = course.appendingPathComponent("exercises/02-int8-granularity/exercise.toml")
        try String(contentsOf: spec, encoding: .utf8).replacingOccurrences(of: "pass_mark = ", with: "passmark = ").write(
            to: spec, atomically: true, encoding: .utf8)
        let badSpec = try CLI.run(grade, environment: environment)
        #expect(badSpec.status == 65, "\(badSpec.stderr)")
        #expect(
            badSpec.stderr.contains("02-int8-granularity/exercise.toml:") && badSpec.stderr.contains("unknown key `passmark`")
                && badSpec.stderr.contains("1 broken exercise file"), "\(badSpec.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("g.csv").path))
    }

    @Test func exportThenGradeAClass() throws {
        let box = try QuizSandbox()
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
        try QuizSandbox.lesson.replacingOccurrences(of: "answer = 2", with: "answer = 1")
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
