import Foundation
import TestSupport
import Testing

/// The engine commands on the reference model (small contexts: tests run in debug builds).
@Suite struct ModelCLITests {
    static let reference = CLITests.repository.appendingPathComponent("exercises/reference/storyteller-2m-f32.gguf").path

    static func temporaryDirectory() throws -> URL { try TestPaths.temporaryFolder("quantlab-cli") }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func modelInfoDescribesTheReferenceModel() throws {
        let r = try CLITests.run(["model", "info", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try Self.json(r.stdout)
        #expect(report["architecture"] as? String == "llama")
        let tensors = try #require(report["tensors"] as? [[String: Any]])
        #expect(tensors.count == 4 * 9 + 3)
        let parameters = try #require(report["parameters"] as? Int)
        #expect(parameters == tensors.reduce(0) { $0 + (($1["shape"] as? [Int]) ?? []).reduce(1, *) })
        #expect((1_000_000...4_000_000).contains(parameters))
        #expect(report["bitsPerWeight"] as? Double == 32)
        let text = try CLITests.run(["model", "info"])
        #expect(text.stdout.contains("6 heads of 32, 2 KV heads"))
        #expect(text.stdout.contains("gpt2 (pre: gpt-2), 1024 tokens"))
    }

    @Test func evalIsDeterministicAcrossThreadCounts() throws {
        let one = try CLITests.run(["eval", "--ctx", "64", "--chunks", "2", "--threads", "1", "--json"])
        let two = try CLITests.run(["eval", "--ctx", "64", "--chunks", "2", "--threads", "2", "--json"])
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)\(two.stderr)")
        let a = try Self.json(one.stdout)
        let b = try Self.json(two.stdout)
        let ppl = try #require(a["perplexity"] as? Double)
        #expect(ppl == b["perplexity"] as? Double)
        #expect(a["scoredTokens"] as? Int == 2 * 31)
        // The trained model predicts its own kind of text far better than chance (1024 tokens).
        #expect(ppl > 1 && ppl < 20)
    }

    @Test func evalAgainstABaseReportsDivergence() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f16 = dir.appendingPathComponent("f16.gguf").path
        let convert = try CLITests.run(["model", "convert", "--type", "f16", "-o", f16])
        #expect(convert.status == 0, "\(convert.stderr)")
        let environment = ["QUANTLAB_CACHE": dir.appendingPathComponent("cache").path]
        let arguments = ["eval", "--model", f16, "--base", Self.reference, "--ctx", "32", "--chunks", "2"]
        let first = try CLITests.run(arguments + ["--json"], environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        let report = try Self.json(first.stdout)
        #expect(report["baseCached"] as? Bool == false)
        let divergence = try #require(report["divergence"] as? [String: Any])
        let kld = try #require(divergence["meanKLD"] as? Double)
        // F16 weights are close to F32 but not identical.
        #expect(kld > 0 && kld < 0.01)
        #expect((divergence["sameTopRate"] as? Double ?? 0) > 0.9)
        let second = try CLITests.run(arguments, environment: environment)
        #expect(second.stdout.contains("from the cache"))
        #expect(second.stdout.contains("Mean    KLD:"))
        #expect(second.stdout.contains("Same top p:"))
    }

    @Test func evalWithSettingsQuantizesAndReportsExactMemory() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let settings = dir.appendingPathComponent("rtn4.toml")
        // The evaluation options come from the settings file's [evaluation] table.
        try Data("method = \"rtn\"\nbits = 4\ngranularity = \"group\"\ngroup_size = 64\n[evaluation]\nchunks = 2\ncontext = 32\n".utf8).write(to: settings)
        let environment = ["QUANTLAB_CACHE": dir.appendingPathComponent("cache").path]
        let r = try CLITests.run(["eval", "--settings", settings.path, "--json"], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try Self.json(r.stdout)
        #expect(report["chunks"] as? Int == 2 && report["contextLength"] as? Int == 32 && report["scoredTokens"] as? Int == 30)
        // A flag wins over the file.
        let flagged = try Self.json(try CLITests.run(["eval", "--settings", settings.path, "--chunks", "1", "--json"], environment: environment).stdout)
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
        let rejected = try CLITests.run(["eval", "--settings", bad.path])
        #expect(rejected.status == 65)
        #expect(rejected.stderr.contains("bad.toml:2: `bits` = 9 is out of range; use 2 to 8 (default 4)"))
    }

    /// GPTQ on the reference model through the CLI: a per-matrix table against RTN, exact
    /// AutoGPTQ storage, and AutoGPTQ's default group size refused on 192-wide rows.
    @Test func quantizeReportsEachMatrixAgainstRoundToNearest() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let settings = dir.appendingPathComponent("gptq.toml")
        try Data("method = \"gptq\"\nbits = 4\ngroup_size = 64\nsamples = 2\nseq_len = 64\n".utf8).write(to: settings)
        let environment = ["QUANTLAB_CACHE": dir.appendingPathComponent("cache").path]
        let r = try CLITests.run(["quantize", "--settings", settings.path, "--chunks", "1", "--json"], environment: environment)
        #expect(r.status == 0, "\(r.stderr)")
        let report = try Self.json(r.stdout)
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
        let refused = try CLITests.run(["quantize", "--settings", awq.path])
        #expect(refused.status == 65)
        #expect(
            refused.stderr.contains("group_size 128 does not divide the rows of blk.0.attn_q.weight (192 weights each); group sizes that fit: 32, 64"),
            "\(refused.stderr)")
    }

    @Test func exportWritesTheLlamaQuantizeMixture() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let settings = dir.appendingPathComponent("q4km.toml")
        try Data("method = \"gguf\"\npreset = \"q4_k_m\"\n".utf8).write(to: settings)
        let out = dir.appendingPathComponent("q4km.gguf").path
        let r = try CLITests.run(["export", "--settings", settings.path, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        // llama-quantize's choice for the reference model (192-wide rows fall back): checked
        // tensor for tensor against llama.cpp in QuantizersTests; here the totals.
        #expect(r.stdout.contains("tensors 2 × Q4_K, 2 × Q6_K, 23 × Q5_0, 3 × Q8_0, 9 × F32; 1443072 bytes of tensor data"))
        let info = try CLITests.run(["model", "info", "--model", out, "--json"])
        let report = try Self.json(info.stdout)
        #expect(report["tensorBytes"] as? Int == 1_443_072)
        let rtn = dir.appendingPathComponent("rtn.toml")
        try Data("method = \"rtn\"\n".utf8).write(to: rtn)
        let refused = try CLITests.run(["export", "--settings", rtn.path, "--out", dir.appendingPathComponent("x.gguf").path])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("has no GGUF encoding; only method = \"gguf\" (a type or a preset) can be exported"))
    }

    @Test func imatrixIsCollectedAndUsedByConvert() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imatrix = dir.appendingPathComponent("imatrix.gguf").path
        let collect = try CLITests.run(["imatrix", "--ctx", "32", "--chunks", "2", "-o", imatrix])
        #expect(collect.status == 0, "\(collect.stderr)")
        #expect(collect.stdout.contains("importance of 28 matrices from 2 chunks of 32 tokens"))
        let out = dir.appendingPathComponent("q4.gguf").path
        let weighted = try CLITests.run(["model", "convert", "--type", "q4_0", "--imatrix", imatrix, "-o", out])
        #expect(weighted.status == 0, "\(weighted.stderr)")
        let plain = dir.appendingPathComponent("plain.gguf").path
        _ = try CLITests.run(["model", "convert", "--type", "q4_0", "-o", plain])
        // Same size, different bytes: the importance changes the rounding, not the layout.
        let a = try Data(contentsOf: URL(fileURLWithPath: out))
        let b = try Data(contentsOf: URL(fileURLWithPath: plain))
        #expect(a.count == b.count && a != b)
        let refused = try CLITests.run(["model", "convert", "--type", "q8_0", "--imatrix", imatrix, "-o", dir.appendingPathComponent("x.gguf").path])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--imatrix has nothing to weight in --type q8_0"))
        // On this model every type Q3_K_M picks falls back to a weighted one (192-wide rows).
        let mixture = try CLITests.run(["model", "convert", "--type", "q3_k_m", "--imatrix", imatrix, "-o", dir.appendingPathComponent("y.gguf").path])
        #expect(mixture.status == 0, "\(mixture.stderr)")
    }

    @Test func generateContinuesThePrompt() throws {
        let r = try CLITests.run(["generate", "--prompt", "Once upon a time", "--tokens", "6"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("Once upon a time"))
        #expect(r.stdout.count > "Once upon a time".count + 3)
    }

    @Test func unusableFilesFailWithTheirNameAndExitCode65() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let garbage = dir.appendingPathComponent("garbage.gguf")
        try Data(repeating: 0x41, count: 100).write(to: garbage)
        let bad = try CLITests.run(["model", "info", "--model", garbage.path])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("garbage.gguf: not a GGUF file"))
        let missing = try CLITests.run(["eval", "--model", dir.appendingPathComponent("none.gguf").path])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("none.gguf: cannot open the file"))
        let text = dir.appendingPathComponent("short.txt")
        try Data("Tom ran.".utf8).write(to: text)
        let short = try CLITests.run(["eval", "--text", text.path])
        #expect(short.status == 65)
        #expect(short.stderr.contains("short.txt: the text has"))
        let usage = try CLITests.run(["model", "convert", "--type", "q7_k", "-o", dir.appendingPathComponent("x").path])
        #expect(usage.status == 64)
        #expect(
            usage.stderr.contains(
                "--type must be one of f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, q3_k_m, q4_k_m, q5_k_m, got 'q7_k'"))
    }
}
