import Foundation
import TestSupport
import Testing

/// The engine commands `eval`, `quantize` and `generate` on the reference model (small contexts:
/// tests run in debug builds).
@Suite struct EvalCommandsTests {
    static let reference = CLI.repository.appendingPathComponent("exercises/reference/storyteller-2m-f32.gguf").path

    @Test func evalIsDeterministicAcrossThreadCounts() throws {
        let one = try CLI.run(["eval", "--ctx", "64", "--chunks", "2", "--threads", "1", "--json"])
        let two = try CLI.run(["eval", "--ctx", "64", "--chunks", "2", "--threads", "2", "--json"])
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)\(two.stderr)")
        let a = try ModelCommandsTests.json(one.stdout)
        let b = try ModelCommandsTests.json(two.stdout)
        let ppl = try #require(a["perplexity"] as? Double)
        #expect(ppl == b["perplexity"] as? Double)
        #expect(a["scoredTokens"] as? Int == 2 * 31)
        // The trained model predicts its own kind of text far better than chance (1024 tokens).
        #expect(ppl > 1 && ppl < 20)
    }

    @Test func evalAgainstABaseReportsDivergence() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f16 = dir.appendingPathComponent("f16.gguf").path
        let convert = try CLI.run(["model", "convert", "--type", "f16", "-o", f16])
        #expect(convert.status == 0, "\(convert.stderr)")
        let environment = ["QUANTLAB_CACHE": dir.appendingPathComponent("cache").path]
        let arguments = ["eval", "--model", f16, "--base", Self.reference, "--ctx", "32", "--chunks", "2"]
        let first = try CLI.run(arguments + ["--json"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let report = try ModelCommandsTests.json(first.stdout)
        #expect(report["baseCached"] as? Bool == false)
        let divergence = try #require(report["divergence"] as? [String: Any])
        let kld = try #require(divergence["meanKLD"] as? Double)
        // F16 weights are close to F32 but not identical.
        #expect(kld > 0 && kld < 0.01)
        #expect((divergence["sameTopRate"] as? Double ?? 0) > 0.9)
        let second = try CLI.run(arguments, environment: environment)
        #expect(second.stdout.contains("from the cache"))
        #expect(second.stdout.contains("Mean    KLD:"))
        #expect(second.stdout.contains("Same top p:"))
    }

    @Test func evalWithSettingsQuantizesAndReportsExactMemory() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let settings = dir.appendingPathComponent("rtn4.toml")
        // The evaluation options come from the settings file's [evaluation] table.
        try Data("method = \"rtn\"\nbits = 4\ngranularity = \"group\"\ngroup_size = 64\n[evaluation]\nchunks = 2\ncontext = 32\n".utf8).write(to: settings)
        let environment = ["QUANTLAB_CACHE": dir.appendingPathComponent("cache").path]
        let r = try CLI.run(["eval", "--settings", settings.path, "--json"], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try ModelCommandsTests.json(r.stdout)
        #expect(report["chunks"] as? Int == 2 && report["contextLength"] as? Int == 32 && report["scoredTokens"] as? Int == 30)
        // A flag wins over the file.
        let flagged = try ModelCommandsTests.json(
            try CLI.run(["eval", "--settings", settings.path, "--chunks", "1", "--json"], environment: environment).stdout)
        #expect(flagged["chunks"] as? Int == 1 && flagged["contextLength"] as? Int == 32)
        // 1,572,864 block weights at 4.25 bits = 835,584 bytes; embedding and output F32
        // (2 × 786,432 bytes); 9 norms of 192 F32 values per… 4 blocks × 2 + 1 = 9 × 768 bytes.
        #expect(report["quantizedBytes"] as? Int == 835_584 + 2 * 786_432 + 9 * 768)
        let divergence = try #require(report["divergence"] as? [String: Any])
        #expect((divergence["meanKLD"] as? Double ?? 0) > 0)
        // The same recipe on Llama-2-7B: 6,476,005,376 block weights × 4.25 / 8, embedding and
        // output in F16 (2 × 32000 × 4096 × 2 bytes), 65 norms of 4096 in F32.
        let projected = try #require(report["projected"] as? [String: Int])
        #expect(projected["Llama-2-7B"] == 3_440_377_856 + 524_288_000 + 1_064_960)
        let bad = dir.appendingPathComponent("bad.toml")
        try Data("method = \"rtn\"\nbits = 9\n".utf8).write(to: bad)
        let rejected = try CLI.run(["eval", "--settings", bad.path])
        #expect(rejected.status == 65)
        #expect(rejected.stderr.contains("bad.toml:2: `bits` = 9 is out of range; use 2 to 8 (default 4)"))
    }

    /// GPTQ on the reference model through the CLI: a per-matrix table against RTN, exact
    /// AutoGPTQ storage, and AutoGPTQ's default group size refused on 192-wide rows.
    @Test func quantizeReportsEachMatrixAgainstRoundToNearest() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let settings = dir.appendingPathComponent("gptq.toml")
        try Data("method = \"gptq\"\nbits = 4\ngroup_size = 64\nsamples = 2\nseq_len = 64\n".utf8).write(to: settings)
        let environment = ["QUANTLAB_CACHE": dir.appendingPathComponent("cache").path]
        let r = try CLI.run(["quantize", "--settings", settings.path, "--chunks", "1", "--json"], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try ModelCommandsTests.json(r.stdout)
        #expect(report["calibrationTokens"] as? Int == 128)
        let layers = try #require(report["layers"] as? [[String: Any]])
        #expect(layers.count == 28 && layers.first?["tensor"] as? String == "blk.0.attn_q.weight")
        let errors = layers.map { ($0["relativeError"] as? Double ?? 1, $0["rtnRelativeError"] as? Double ?? 0) }
        #expect(errors.reduce(0) { $0 + $1.0 } < errors.reduce(0) { $0 + $1.1 })
        // AutoGPTQ's layout: 4-bit codes (786,432 bytes), 4-bit zeros and FP16 scales per group of 64
        // (24,576 groups: 12,288 + 49,152 bytes), an int32 g_idx per input column (4 × 1,664 columns).
        #expect(report["quantizedBytes"] as? Int == 786_432 + 12_288 + 49_152 + 4 * 4 * 1_664 + 2 * 786_432 + 9 * 768)
        let awq = dir.appendingPathComponent("awq.toml")
        try Data("method = \"awq\"\n".utf8).write(to: awq)
        let refused = try CLI.run(["quantize", "--settings", awq.path])
        #expect(refused.status == 65)
        #expect(
            refused.stderr.contains("group_size 128 does not divide the rows of blk.0.attn_q.weight (192 weights each); group sizes that fit: 32, 64"),
            "\(refused.stderr)")
    }

    @Test func generateContinuesThePrompt() throws {
        let r = try CLI.run(["generate", "--prompt", "Once upon a time", "--tokens", "6"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("Once upon a time"))
        #expect(r.stdout.count > "Once upon a time".count + 3)
    }
}
