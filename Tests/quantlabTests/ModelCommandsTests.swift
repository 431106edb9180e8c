import Foundation
import TestSupport
import Testing

/// The model commands (`model info`, `model convert`, `export`, `imatrix`) on the reference model.
@Suite struct ModelCommandsTests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func modelInfoDescribesTheReferenceModel() throws {
        let r = try CLI.run(["model", "info", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let report = try Self.json(r.stdout)
        #expect(report["architecture"] as? String == "llama")
        let tensors = try #require(report["tensors"] as? [[String: Any]])
        #expect(tensors.count == 4 * 9 + 3)
        let parameters = try #require(report["parameters"] as? Int)
        #expect(parameters == tensors.reduce(0) { $0 + (($1["shape"] as? [Int]) ?? []).reduce(1, *) })
        #expect((1_000_000...4_000_000).contains(parameters))
        #expect(report["bitsPerWeight"] as? Double == 32)
        let text = try CLI.run(["model", "info"])
        #expect(text.stdout.contains("6 heads of 32, 2 KV heads"))
        #expect(text.stdout.contains("gpt2 (pre: gpt-2), 1024 tokens"))
    }

    @Test func exportWritesTheLlamaQuantizeMixture() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let settings = dir.appendingPathComponent("q4km.toml")
        try Data("method = \"gguf\"\npreset = \"q4_k_m\"\n".utf8).write(to: settings)
        let out = dir.appendingPathComponent("q4km.gguf").path
        let r = try CLI.run(["export", "--settings", settings.path, "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        // llama-quantize's choice for the reference model (192-wide rows fall back): checked
        // tensor for tensor against llama.cpp in QuantizersTests; here the totals.
        #expect(r.stdout.contains("tensors 2 × Q4_K, 2 × Q6_K, 23 × Q5_0, 3 × Q8_0, 9 × F32; 1443072 bytes of tensor data"))
        let info = try CLI.run(["model", "info", "--model", out, "--json"])
        let report = try Self.json(info.stdout)
        #expect(report["tensorBytes"] as? Int == 1_443_072)
        let rtn = dir.appendingPathComponent("rtn.toml")
        try Data("method = \"rtn\"\n".utf8).write(to: rtn)
        let refused = try CLI.run(["export", "--settings", rtn.path, "--out", dir.appendingPathComponent("x.gguf").path])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("has no GGUF encoding; only method = \"gguf\" (a type or a preset) can be exported"))
    }

    @Test func imatrixIsCollectedAndUsedByConvert() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imatrix = dir.appendingPathComponent("imatrix.gguf").path
        let collect = try CLI.run(["imatrix", "--ctx", "32", "--chunks", "2", "-o", imatrix])
        #expect(collect.status == 0, "\(collect.stderr)")
        #expect(collect.stdout.contains("importance of 28 matrices from 2 chunks of 32 tokens"))
        let out = dir.appendingPathComponent("q4.gguf").path
        let weighted = try CLI.run(["model", "convert", "--type", "q4_0", "--imatrix", imatrix, "-o", out])
        #expect(weighted.status == 0, "\(weighted.stderr)")
        let plain = dir.appendingPathComponent("plain.gguf").path
        _ = try CLI.run(["model", "convert", "--type", "q4_0", "-o", plain])
        // Same size, different bytes: the importance changes the rounding, not the layout.
        let a = try Data(contentsOf: URL(fileURLWithPath: out))
        let b = try Data(contentsOf: URL(fileURLWithPath: plain))
        #expect(a.count == b.count && a != b)
        let refused = try CLI.run(["model", "convert", "--type", "q8_0", "--imatrix", imatrix, "-o", dir.appendingPathComponent("x.gguf").path])
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("--imatrix has nothing to weight in --type q8_0"))
        // On this model every type Q3_K_M picks falls back to a weighted one (192-wide rows).
        let mixture = try CLI.run(["model", "convert", "--type", "q3_k_m", "--imatrix", imatrix, "-o", dir.appendingPathComponent("y.gguf").path])
        #expect(mixture.status == 0, "\(mixture.stderr)")
    }

    @Test func unusableFilesFailWithTheirNameAndExitCode65() throws {
        let dir = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let garbage = dir.appendingPathComponent("garbage.gguf")
        try Data(repeating: 0x41, count: 100).write(to: garbage)
        let bad = try CLI.run(["model", "info", "--model", garbage.path])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("garbage.gguf: not a GGUF file"))
        let missing = try CLI.run(["eval", "--model", dir.appendingPathComponent("none.gguf").path])
        #expect(missing.status == 65)
        #expect(missing.stderr.contains("none.gguf: cannot open the file"))
        let text = dir.appendingPathComponent("short.txt")
        try Data("Tom ran.".utf8).write(to: text)
        let short = try CLI.run(["eval", "--text", text.path])
        #expect(short.status == 65)
        #expect(short.stderr.contains("short.txt: the text has"))
        let usage = try CLI.run(["model", "convert", "--type", "q7_k", "-o", dir.appendingPathComponent("x").path])
        #expect(usage.status == 64)
        #expect(
            usage.stderr.contains(
                "--type must be one of f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_nl, q3_k_m, q4_k_m, q5_k_m, got 'q7_k'"))
    }
}
