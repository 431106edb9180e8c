import Foundation
import TestSupport
import Testing

@testable import CourseContent
@testable import Grading

@Suite struct ExerciseGradebookTests {
    typealias Book = ExerciseGradebook.Book
    typealias Row = ExerciseGradebook.Row

    static func temporary() throws -> URL { try TestPaths.temporaryFolder("quantlab-gradebook") }

    @Test func studentIdsAreSanitizedForFileNamesAndCells() {
        #expect(ExerciseGradebook.sanitize("j.doe@uni") == "j.doe@uni")
        #expect(ExerciseGradebook.sanitize("Jane Doe/..") == "Jane_Doe_..")
        #expect(ExerciseGradebook.sanitize("-rf") == "_-rf")
        #expect(ExerciseGradebook.sanitize(".hidden") == "_.hidden")
        #expect(ExerciseGradebook.sanitize("Zoë") == "Zo_")
        #expect(ExerciseGradebook.sanitize(String(repeating: "a", count: 150)).count == 100)
    }

    @Test func shardsSplitEveryUnitExactlyOnce() {
        #expect(ExerciseGradebook.Shard("2/4") == .init(index: 2, count: 4))
        for bad in ["0/4", "5/4", "1/0", "a/b", "1/2/3", "", "3"] { #expect(ExerciseGradebook.Shard(bad) == nil, "\(bad)") }
        let shards = (1...4).map { ExerciseGradebook.Shard(index: $0, count: 4) }
        var sizes = [0, 0, 0, 0]
        for student in 0..<200 {
            let owners = shards.filter { $0.contains(student: "s\(student)", exercise: "02-x") }
            #expect(owners.count == 1)
            sizes[owners[0].index - 1] += 1
        }
        // A hash split: every shard gets a share (not all in one).
        #expect(sizes.allSatisfy { $0 > 25 }, "\(sizes)")
    }

    @Test func theCSVHasOneColumnPerGradedMetricAndQuotesCells() {
        var a = Row(
            student: "a", exercise: "02-x", status: .ok, score: 60, max: 100, passed: false, metrics: [.meanKLD: 0.5, .sameTop: 90],
            file: "a/02-x.toml", message: "failed: accuracy")
        a.overrideScore = 70
        a.overrideNote = "late, agreed"
        let b = Row(student: "b", exercise: "02-x", status: .invalid, file: "b/02-x.toml", message: "=cmd, \"quoted\"")
        let expected = [
            "student,exercise,status,score,max,passed,mean_kld,same_top,override_score,override_note,file,message",
            "a,02-x,ok,60,100,no,0.5,90.0,70,\"late, agreed\",a/02-x.toml,failed: accuracy",
            "b,02-x,invalid,,,,,,,,b/02-x.toml,\"'=cmd, \"\"quoted\"\"\"",
        ]
        #expect(ExerciseGradebook.csv([a, b]) == expected.joined(separator: "\n") + "\n")
    }

    @Test func overridesAreCheckedAndKeptBesideTheComputedScore() throws {
        let table = try ExerciseGradebook.overrides("student,exercise,score,note\na,02-x,90,\"regraded, by hand\"\n\n", file: "o.csv")
        #expect(table["a/02-x"]?.score == 90 && table["a/02-x"]?.note == "regraded, by hand")
        let cases: [(String, Int, String)] = [
            ("name,score\n", 1, "the first line must be the header student,exercise,score (optionally ,note)"),
            ("student,exercise,score\na,02-x,ninety\n", 2, "score must be a whole number from 0 to 100000, got \"ninety\""),
            ("student,exercise,score\na,02-x\n", 2, "expected 3 fields (student,exercise,score), got 2"),
            ("student,exercise,score\na,02-x,1\na,02-x,2\n", 3, "a second override for a, 02-x; keep one"),
            ("student,exercise,score\n\"a,02-x,1\n", 2, "a quoted field is not closed"),
        ]
        for (text, line, message) in cases {
            #expect(throws: CourseProblem(file: "o.csv", line: line, message: message)) { try ExerciseGradebook.overrides(text, file: "o.csv") }
        }
        let rows = [Row(student: "a", exercise: "02-x", status: .ok, score: 40, max: 100, passed: false, file: "a/02-x.toml", message: "")]
        let applied = try ExerciseGradebook.apply(table, to: rows, file: "o.csv")
        #expect(applied[0].score == 40 && applied[0].overrideScore == 90)
        let typo = try ExerciseGradebook.overrides("student,exercise,score\nzz,02-x,1\n", file: "o.csv")
        #expect(throws: CourseProblem(file: "o.csv", line: nil, message: "no gradebook row for student/exercise zz/02-x")) {
            try ExerciseGradebook.apply(typo, to: rows, file: "o.csv")
        }
    }

    @Test func mergingNeedsEveryShardOnceFromOneEngine() throws {
        func book(_ k: Int, _ n: Int, _ students: [String], engine: String = "e1", submissions: String = "f") -> (String, Book) {
            (
                "s\(k).json",
                Book(
                    engine: engine, submissions: submissions, shard: .init(index: k, count: n),
                    rows: students.map { Row(student: $0, exercise: "02-x", status: .missing, file: "", message: "m") })
            )
        }
        let merged = try ExerciseGradebook.merge([book(2, 2, ["b", "d"]), book(1, 2, ["c", "a"])])
        #expect(merged.shard == nil && merged.rows.map(\.student) == ["a", "b", "c", "d"])
        #expect(throws: CourseProblem(file: "grade merge", line: nil, message: "missing shard 2/2; grade them first")) {
            try ExerciseGradebook.merge([book(1, 2, ["a"])])
        }
        #expect(throws: CourseProblem(file: "s1.json", line: nil, message: "shard 1/2 is also s1.json")) {
            try ExerciseGradebook.merge([book(1, 2, ["a"]), book(1, 2, ["b"])])
        }
        #expect(throws: CourseProblem(file: "s2.json", line: nil, message: "shard 2/3 does not belong to a run split 2 ways (s1.json)")) {
            try ExerciseGradebook.merge([book(1, 2, ["a"]), book(2, 3, ["b"])])
        }
        #expect(throws: CourseProblem(file: "s2.json", line: nil, message: "graded by e2, s1.json by e1; regrade with one quantlab")) {
            try ExerciseGradebook.merge([book(1, 2, ["a"]), book(2, 2, ["b"], engine: "e2")])
        }
        #expect(
            throws: CourseProblem(
                file: "s2.json", line: nil,
                message: "this shard found other submissions than s1.json (the folder changed between the runs); grade every shard of one state of the folder")
        ) {
            try ExerciseGradebook.merge([book(1, 2, ["a"]), book(2, 2, ["b"], submissions: "g")])
        }
        #expect(throws: CourseProblem(file: "s2.json", line: nil, message: "a, 02-x appears in two shards")) {
            try ExerciseGradebook.merge([book(1, 2, ["a"]), book(2, 2, ["a"])])
        }
        let json = try ExerciseGradebook.json(merged)
        #expect(try ExerciseGradebook.decode(Array(json.utf8), file: "m.json") == merged)
        #expect(throws: CourseProblem.self) { try ExerciseGradebook.decode(Array("{\"format\": \"other\"}".utf8), file: "x.json") }
    }

    /// A line cut short by a kill is dropped (and cut from the file), the complete ones reused.
    @Test func theJournalSurvivesATornLastLine() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("g.csv.journal").path
        var journal = try ExerciseGradebook.Journal(path: path)
        let row = Row(student: "a", exercise: "02-x", status: .ok, score: 1, max: 2, passed: false, metrics: [.meanKLD: .nan], file: "a/02-x.toml", message: "")
        try journal.append(row, key: "k1")
        journal.close()
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"key\":\"k2\",\"row\":{\"stud".utf8))
        try handle.close()
        var reopened = try ExerciseGradebook.Journal(path: path)
        #expect(reopened.entries.count == 1 && reopened.entries["k1"]?.student == "a" && reopened.entries["k1"]?.metrics[.meanKLD]?.isNaN == true)
        try reopened.append(row, key: "k3")
        reopened.close()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines.allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") })
    }

    /// What the scan finds: every student × exercise of the run, junk skipped with warnings,
    /// files refused for what they are.
    @Test func theScanFindsEverySubmissionAndRefusesBadFiles() throws {
        let dir = try Self.temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let exercises = try ["02-int8-granularity", "02-int4-group-budget"].map {
            try Exercise.load(directory: TestPaths.repository.appendingPathComponent("exercises/\($0)"))
        }
        let subs = dir.appendingPathComponent("subs")
        let fm = FileManager.default
        for folder in ["ann", "bo b", "bo_b", "cy"] { try fm.createDirectory(at: subs.appendingPathComponent(folder), withIntermediateDirectories: true) }
        try Data("method = \"rtn\"\n".utf8).write(to: subs.appendingPathComponent("ann/02-int8-granularity.toml"))
        try Data("x".utf8).write(to: subs.appendingPathComponent("ann/notes.md"))
        try Data("method = \"rtn\"\n".utf8).write(to: subs.appendingPathComponent("bo b/int8-granularity.toml"))
        try Data(repeating: 0x41, count: ExerciseGradebook.maxFileBytes + 1).write(to: subs.appendingPathComponent("bo_b/02-int8-granularity.toml"))
        try Data("secret".utf8).write(to: dir.appendingPathComponent("outside.toml"))
        try fm.createSymbolicLink(
            atPath: subs.appendingPathComponent("cy/02-int8-granularity.toml").path, withDestinationPath: dir.appendingPathComponent("outside.toml").path)
        try fm.createSymbolicLink(
            atPath: subs.appendingPathComponent("cy/02-int4-group-budget.toml").path,
            withDestinationPath: subs.appendingPathComponent("ann/02-int8-granularity.toml").path)
        try Data("x".utf8).write(to: subs.appendingPathComponent("grades.csv"))

        let (found, warnings) = try ExerciseGradebook.scan(directory: subs, exercises: exercises)
        let summary = found.map { s -> String in
            let content: String
            switch s.content {
            case .text: content = "text"
            case .missing: content = "missing"
            case .invalid(let message), .failed(let message): content = message
            }
            return "\(s.student) \(s.exercise) \(s.file): \(content)"
        }
        #expect(
            summary == [
                "ann 02-int4-group-budget : missing",
                "ann 02-int8-granularity ann/02-int8-granularity.toml: text",
                "bo_b 02-int4-group-budget : missing",
                "bo_b 02-int8-granularity bo_b/02-int8-granularity.toml: file is \(ExerciseGradebook.maxFileBytes + 1) bytes; a settings file may be at most \(ExerciseGradebook.maxFileBytes) bytes (64 KiB): split it up",
                "bo_b~2 02-int4-group-budget : missing",
                "bo_b~2 02-int8-granularity : missing",
                "bo_b~2 int8-granularity bo b/int8-granularity.toml: no exercise \"int8-granularity\" in the course; name it 02-int8-granularity.toml",
                "cy 02-int4-group-budget cy/02-int4-group-budget.toml: text",
                "cy 02-int8-granularity cy/02-int8-granularity.toml: a symbolic link to \(dir.appendingPathComponent("outside.toml").resolvingSymlinksInPath().path), outside the submissions folder; submit the file itself",
            ])
        // The folder whose name needs no change keeps it; the one that does takes the next free id.
        #expect(
            warnings == [
                "ann/notes.md: not a settings file (<exercise-id>.toml); skipped", "bo b: student id written as bo_b~2",
                "grades.csv: not a student folder (submissions are DIR/<student>/<exercise-id>.toml); skipped",
            ])
        // --exercise: only that exercise, other files skipped silently.
        let only = try ExerciseGradebook.scan(directory: subs, exercises: exercises, only: ["02-int4-group-budget", "02-int4-group-budget"]).submissions
        #expect(only.map(\.exercise) == ["02-int4-group-budget", "02-int4-group-budget", "02-int4-group-budget", "02-int4-group-budget"])
        #expect(throws: CourseProblem.self) { try ExerciseGradebook.scan(directory: dir.appendingPathComponent("nope"), exercises: exercises) }
    }
}
