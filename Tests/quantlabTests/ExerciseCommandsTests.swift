import Foundation
import TestSupport
import Testing

/// `quantlab exercise list`, `show` and `run` on a copy of the course that evaluates 2 chunks.
@Suite(.serialized) struct ExerciseCommandsTests {
    @Test func runGradesCachesAndRecords() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let course = try CLI.smallCourse(in: dir).path
        let environment = [
            "QUANTLAB_CACHE": dir.appendingPathComponent("cache").path, "QUANTLAB_HOME": dir.appendingPathComponent("home").path,
            "QUANTLAB_COURSE": course,
        ]
        // The solution with a comment and an explicit default: the same normalized settings.
        let mine = dir.appendingPathComponent("mine.toml")
        try Data("# per-row scales\nmethod = \"rtn\"\nbits = 8\ngranularity = \"channel\"\nsymmetric = true\n".utf8).write(to: mine)
        let first = try CLI.run(["exercise", "run", "02-int8-granularity", "--settings", mine.path, "--json"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let a = try ModelCommandsTests.json(first.stdout)
        #expect(a["cached"] as? Bool == false && a["passed"] as? Bool == true)
        let grade = try #require(a["grade"] as? [String: Any])
        #expect(grade["score"] as? Int == 100 && grade["maxScore"] as? Int == 100)
        let metrics = try #require((a["measurement"] as? [String: Any])?["metrics"] as? [String: Double])
        #expect((a["measurement"] as? [String: Any])?["evaluatedTokens"] as? Int == 2 * 127)
        #expect(
            Set(metrics.keys) == [
                "ppl_ratio", "mean_kld", "same_top", "bits_per_weight", "block_bits_per_weight", "llama2_7b_gb",
                "decode_mb_per_token", "decode_speedup_estimate",
            ])
        // 8-bit codes plus one FP16 scale per row: 1,572,864 × 8 + 16 × 6,912 rows, over the weights.
        #expect(metrics["block_bits_per_weight"] == Double(1_572_864 * 8 + 16 * 6_912) / 1_572_864)

        let solution = try CLI.run(
            ["exercise", "run", "int8-granularity", "--settings", course + "/exercises/02-int8-granularity/solution.toml", "--json"],
            environment: environment)
        let b = try ModelCommandsTests.json(solution.stdout)
        #expect(b["cached"] as? Bool == true)
        #expect((b["measurement"] as? [String: Any])?["metrics"] as? [String: Double] == metrics)
        let fresh = try CLI.run(
            ["exercise", "run", "02-int8-granularity", "--settings", mine.path, "--fresh", "--threads", "1", "--json"],
            environment: environment)
        let c = try ModelCommandsTests.json(fresh.stdout)
        #expect(c["cached"] as? Bool == false)
        #expect((c["measurement"] as? [String: Any])?["metrics"] as? [String: Double] == metrics, "same metrics with 1 thread, recomputed")
        // Two exercises belong to module 2, so the number alone does not name one.
        let ambiguous = try CLI.run(["exercise", "run", "2"], environment: environment)
        #expect(ambiguous.status == 64)
        #expect(ambiguous.stderr.contains("exercise number 2 is ambiguous: 02-int4-group-budget, 02-int8-granularity"))

        // The same settings against the INT4 exercise's rubric: measured once, graded differently
        // (accurate enough, but 8 bits are over its 4.5-bit budget).
        let over = try CLI.run(["exercise", "run", "int4-group-budget", "--settings", mine.path], environment: environment)
        #expect(over.status == 1)
        #expect(over.stdout.contains("(measured before; --fresh recomputes)"))
        #expect(over.stdout.contains("✓ accuracy") && over.stdout.contains("✗ budget"))
        #expect(over.stdout.contains("score 60 / 100 (pass mark 100): not passed yet"))
        let progress = try CLI.run(["progress", "--json"], environment: environment)
        #expect(progress.stdout.contains("02-int8-granularity"))

        let wrong = dir.appendingPathComponent("wrong.toml")
        try Data("method = \"gptq\"\n".utf8).write(to: wrong)
        let refused = try CLI.run(["exercise", "run", "02-int8-granularity", "--settings", wrong.path], environment: environment)
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("wrong.toml:1: exercise 02-int8-granularity allows method \"rtn\", not \"gptq\""))
        let unknown = try CLI.run(["exercise", "run", "99-nothing"], environment: environment)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("no exercise \"99-nothing\""))
    }

    @Test func listAndShow() throws {
        let list = try CLI.run(["exercise", "list", "--json"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("\"id\" : \"04-gptq-3bit\""))
        let show = try CLI.run(["exercise", "show", "gptq-3bit", "--no-pager", "--width", "80"])
        #expect(show.status == 0)
        #expect(show.stdout.contains("Exercise 04-gptq-3bit"))
        #expect(show.stdout.contains("mean KL divergence at most 0.030000"))
    }
}
