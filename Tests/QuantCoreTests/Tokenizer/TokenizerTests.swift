import Foundation
import TestSupport
import Testing

@testable import QuantCore

// Fixtures come from scripts/gen-tokenizer-fixtures.py (HF `tokenizers` and `sentencepiece` as oracles).

private let fixtureDirectory = TestPaths.repository.appendingPathComponent("Tests/QuantCoreTests/Fixtures")

private struct Vector: Decodable {
    var text: String?
    var `repeat`: String?
    var count: Int?
    var ids: [Int32]

    var input: String {
        if let text { return text }
        return String(repeating: self.repeat ?? "", count: count ?? 0)
    }
}

private struct BPEFixture: Decodable {
    var tokens: [String]
    var merges: [String]
    var vectors: [String: [Vector]]
}

private struct SPMFixture: Decodable {
    var tokens: [String]
    var scores: [Float]
    var token_types: [Int32]
    var bos_id: Int32
    var eos_id: Int32
    var unk_id: Int32
    var vectors: [Vector]
}

private func loadFixture<T: Decodable>(_ name: String, as: T.Type) throws -> T {
    let data = try Data(contentsOf: fixtureDirectory.appendingPathComponent("tokenizer/\(name)"))
    return try JSONDecoder().decode(T.self, from: data)
}

private func bpeSpec(pre: String?, file: String = "bpe.json") throws -> (TokenizerSpec, BPEFixture) {
    let f = try loadFixture(file, as: BPEFixture.self)
    var spec = TokenizerSpec(model: "gpt2", tokens: f.tokens)
    spec.pre = pre
    spec.merges = f.merges
    spec.tokenTypes = f.tokens.map { $0 == "<|endoftext|>" ? 3 : 1 }
    spec.bosID = 0
    spec.eosID = 0
    return (spec, f)
}

private func spmSpec() throws -> (TokenizerSpec, SPMFixture) {
    let f = try loadFixture("spm.json", as: SPMFixture.self)
    var spec = TokenizerSpec(model: "llama", tokens: f.tokens)
    spec.scores = f.scores
    spec.tokenTypes = f.token_types
    spec.bosID = f.bos_id
    spec.eosID = f.eos_id
    spec.unknownID = f.unk_id
    return (spec, f)
}

private func describe(_ s: String) -> String {
    s.count > 60 ? "\(s.prefix(20).debugDescription)… (\(s.count) chars)" : s.debugDescription
}

struct TokenizerTests {
    // MARK: - Oracle vectors

    /// bpe.json was trained with gpt2's split, bpe-llama3.json with llama3's (so it has merges such
    /// as ".Ċ" that only llama3-style splits produce).
    @Test(arguments: [
        ("gpt-2", "gpt2", "bpe.json"), ("gpt2", "gpt2", "bpe.json"), ("llama-bpe", "llama3", "bpe.json"),
        ("qwen2", "qwen2", "bpe.json"), ("llama-bpe", "llama3", "bpe-llama3.json"), ("llama3", "llama3", "bpe-llama3.json"),
        ("qwen2", "qwen2", "bpe-llama3.json"),
    ])
    func bpeMatchesHuggingFace(pre: String, vectors name: String, file: String) throws {
        let (spec, f) = try bpeSpec(pre: pre, file: file)
        let tokenizer = try Tokenizer(spec)
        let vectors = try #require(f.vectors[name])
        #expect(vectors.count > 30)
        for v in vectors {
            let ids = tokenizer.encode(v.input, addSpecial: false)
            #expect(ids == v.ids, "pre \(pre) (\(file)): \(describe(v.input))")
        }
    }

    @Test func spmMatchesSentencePiece() throws {
        let (spec, f) = try spmSpec()
        let tokenizer = try Tokenizer(spec)
        #expect(f.vectors.count > 30)
        for v in f.vectors {
            let ids = tokenizer.encode(v.input, addSpecial: false)
            #expect(ids == v.ids, "\(describe(v.input))")
        }
    }

    /// A 10,000-character word: the merge loop must stay O(n log n) and still give the oracle's ids.
    @Test func longWordWithoutSpaces() throws {
        let (spec, f) = try bpeSpec(pre: "gpt-2")
        let tokenizer = try Tokenizer(spec)
        let long = try #require(f.vectors["gpt2"]?.first { $0.repeat != nil })
        #expect(long.input.count == 10_000)
        #expect(tokenizer.encode(long.input, addSpecial: false) == long.ids)
        let (sspec, sf) = try spmSpec()
        let spm = try Tokenizer(sspec)
        let slong = try #require(sf.vectors.first { $0.repeat != nil })
        #expect(spm.encode(slong.input, addSpecial: false) == slong.ids)
        // and a single unbroken run of a character the vocabulary has no merges for
        let run = String(repeating: "ж", count: 10_000)
        #expect(tokenizer.decode(tokenizer.encode(run, addSpecial: false)) == run)
        #expect(spm.decode(spm.encode(run, addSpecial: false)) == run)
    }

    // MARK: - Round trips and pieces

    private static let samples = [
        "Hello world", " leading", "trailing  ", "tabs\tand\nnewlines\r\n", "I'm fine, you're not",
        "1234567 and 3.14", "ünïcödé café", "日本語のテキスト", "emoji 😀🎉 👨\u{200D}👩\u{200D}👧", "e\u{301} a\u{308}",
        "nbsp\u{A0}em\u{2003}", "", "   ", "a1b22c333",
    ]

    @Test func bpeRoundTrip() throws {
        for pre in ["qwen2", "smollm", "llama-bpe", "gpt-2", "default", "starcoder", "falcon"] {
            let (spec, _) = try bpeSpec(pre: pre)
            let tokenizer = try Tokenizer(spec)
            for s in Self.samples {
                #expect(tokenizer.decode(tokenizer.encode(s, addSpecial: false)) == s, "pre \(pre): \(s.debugDescription)")
            }
        }
    }

    @Test func bpeCleanSpacesLikeLlamaCpp() throws {
        // gpt-2 sets clean_spaces in llama.cpp; qwen2 does not.
        let text = "a , b ' c 's and it 're ok ?"
        let gpt2 = try Tokenizer(bpeSpec(pre: "gpt-2").0)
        #expect(gpt2.decode(gpt2.encode(text, addSpecial: false)) == "a, b'c's and it're ok?")
        let qwen = try Tokenizer(bpeSpec(pre: "qwen2").0)
        #expect(qwen.decode(qwen.encode(text, addSpecial: false)) == text)
    }

    @Test func spmRoundTrip() throws {
        let tokenizer = try Tokenizer(spmSpec().0)
        for s in Self.samples {
            // llama.cpp drops the space of the space prefix from the first piece…
            #expect(tokenizer.decode(tokenizer.encode(s, addSpecial: false)) == s, "\(s.debugDescription)")
            // …but not when the first token is BOS (llama_detokenize keeps it then).
            if !s.isEmpty {
                #expect(tokenizer.decode(tokenizer.encode(s, addSpecial: true)) == " " + s, "\(s.debugDescription)")
            }
        }
    }

    @Test func pieces() throws {
        let (spec, _) = try spmSpec()
        let spm = try Tokenizer(spec)
        let the = Int32(try #require(spec.tokens.firstIndex(of: "▁the")))
        #expect(spm.pieceBytes(the) == Array(" the".utf8))
        let byte = Int32(try #require(spec.tokens.firstIndex(of: "<0xE6>")))
        #expect(spm.pieceBytes(byte) == [0xE6])
        #expect(spm.pieceBytes(1) == Array("<s>".utf8))
        #expect(spm.pieceBytes(-1) == [])
        #expect(spm.pieceBytes(Int32(spec.tokens.count)) == [])
        #expect(spm.decode([1, the, 2]) == " the")  // control tokens omitted

        let (bspec, _) = try bpeSpec(pre: "gpt-2")
        let bpe = try Tokenizer(bspec)
        let gt = Int32(try #require(bspec.tokens.firstIndex(of: "Ġt")))
        #expect(bpe.pieceBytes(gt) == Array(" t".utf8))
        #expect(bpe.pieceBytes(0) == Array("<|endoftext|>".utf8))
        #expect(bpe.decode([0, gt]) == " t")
        // "ꙮ" (EA 99 AE) split over byte-level tokens: each piece is a partial sequence
        let ids = bpe.encode("ꙮ", addSpecial: false)
        #expect(ids.count == 3)
        #expect(ids.flatMap { bpe.pieceBytes($0) } == [0xEA, 0x99, 0xAE])
        #expect(bpe.decode([ids[0]]) == "\u{FFFD}")
    }

    // MARK: - Special tokens

    @Test func spmBOSAndEOS() throws {
        var (spec, _) = try spmSpec()
        var tokenizer = try Tokenizer(spec)
        #expect(tokenizer.addsBOS && !tokenizer.addsEOS)
        #expect(tokenizer.bosID == 1 && tokenizer.eosID == 2)
        let plain = tokenizer.encode("Hello world", addSpecial: false)
        #expect(tokenizer.encode("Hello world", addSpecial: true) == [1] + plain)
        #expect(tokenizer.encode("", addSpecial: true) == [1])
        #expect(tokenizer.encode("", addSpecial: false) == [])
        spec.addEOS = true
        spec.addBOS = false
        tokenizer = try Tokenizer(spec)
        #expect(tokenizer.encode("Hello world", addSpecial: true) == plain + [2])
        // parse_special is false: the text "<s>" is not the BOS token
        #expect(!tokenizer.encode("<s>", addSpecial: false).contains(1))
        // without the space prefix
        spec.addSpacePrefix = false
        tokenizer = try Tokenizer(spec)
        let noPrefix = tokenizer.encode("Hello", addSpecial: false)
        #expect(noPrefix != Array(plain.prefix(noPrefix.count)))
        #expect(tokenizer.decode(noPrefix) == "Hello")
    }

    @Test func bpeBOSAndEOS() throws {
        var (spec, _) = try bpeSpec(pre: "gpt-2")
        var tokenizer = try Tokenizer(spec)
        #expect(!tokenizer.addsBOS && !tokenizer.addsEOS)
        let plain = tokenizer.encode("Hello", addSpecial: false)
        #expect(tokenizer.encode("Hello", addSpecial: true) == plain)
        spec.addBOS = true
        spec.addEOS = true
        tokenizer = try Tokenizer(spec)
        #expect(tokenizer.encode("Hello", addSpecial: true) == [0] + plain + [0])
        #expect(tokenizer.encode("Hello", addSpecial: false) == plain)
        // llama3-family pre-tokenizers add BOS by default
        tokenizer = try Tokenizer(bpeSpec(pre: "llama3").0)
        #expect(tokenizer.addsBOS)
        #expect(tokenizer.encode("Hello", addSpecial: true).first == 0)
        #expect(tokenizer.isEndOfGeneration(0))
        // llama.cpp's gpt2 default BOS/EOS id is 11 when the metadata has none
        spec.bosID = nil
        spec.eosID = nil
        spec.addEOS = nil
        tokenizer = try Tokenizer(spec)
        #expect(tokenizer.bosID == 11 && tokenizer.eosID == 11)
    }

    @Test func userDefinedTokensAreSplitOut() throws {
        var (spec, _) = try bpeSpec(pre: "gpt-2")
        spec.tokens.append("<tool>")
        spec.tokenTypes?.append(4)
        let tokenizer = try Tokenizer(spec)
        let tool = Int32(spec.tokens.count - 1)
        let ids = tokenizer.encode("x<tool>y <tool>", addSpecial: false)
        let expected = tokenizer.encode("x", addSpecial: false) + [tool] + tokenizer.encode("y ", addSpecial: false) + [tool]
        #expect(ids == expected)
        #expect(tokenizer.decode(ids) == "x<tool>y <tool>")
        // control tokens are not parsed from text (parse_special = false)
        #expect(!tokenizer.encode("<|endoftext|>", addSpecial: false).contains(0))
    }

    @Test func spmByteFallbackWithoutByteTokens() throws {
        // no <0xNN> tokens: characters outside the vocabulary become the unknown token
        var spec = TokenizerSpec(model: "llama", tokens: ["<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "ab"])
        spec.scores = [0, 0, 0, -1, -2, -3, -0.5, -0.25]
        spec.tokenTypes = [2, 3, 3, 1, 1, 1, 1, 1]
        let tokenizer = try Tokenizer(spec)
        // "▁ab": "ab" (-0.25) outscores "▁a" (-0.5), and "▁ab" is not a token
        #expect(tokenizer.encode("ab", addSpecial: false) == [3, 7])
        #expect(tokenizer.encode("aé", addSpecial: false) == [6, 0, 0])
        #expect(tokenizer.decode([6, 0, 0]) == "a")
    }

    // MARK: - Bad metadata

    @Test func rejectsBadMetadata() throws {
        let (good, _) = try bpeSpec(pre: "gpt-2")

        func expectError(_ expected: TokenizerError, _ edit: (inout TokenizerSpec) -> Void) {
            var spec = good
            edit(&spec)
            #expect(throws: expected) { _ = try Tokenizer(spec) }
        }
        expectError(.unsupportedModel("bert")) { $0.model = "bert" }
        expectError(.unsupportedPreTokenizer("made-up")) { $0.pre = "made-up" }
        expectError(.missingMerges) { $0.merges = nil }
        expectError(.malformedMerge(index: 1, value: "nospace")) { $0.merges![1] = "nospace" }
        expectError(.malformedMerge(index: 0, value: " x")) { $0.merges![0] = " x" }
        expectError(.emptyVocabulary) {
            $0.tokens = []
            $0.tokenTypes = nil
        }
        expectError(.countMismatch(key: "tokenizer.ggml.scores", expected: good.tokens.count, actual: 3)) {
            $0.scores = [0, 0, 0]
        }
        expectError(.countMismatch(key: "tokenizer.ggml.token_type", expected: good.tokens.count, actual: 1)) {
            $0.tokenTypes = [1]
        }
        expectError(.tokenIDOutOfRange(key: "tokenizer.ggml.bos_token_id", id: 500, vocabularySize: 500)) {
            $0.bosID = 500
        }
        expectError(.tokenIDOutOfRange(key: "tokenizer.ggml.eos_token_id", id: -3, vocabularySize: 500)) {
            $0.eosID = -3
        }
        expectError(.tokenIDOutOfRange(key: "tokenizer.ggml.unknown_token_id", id: 9999, vocabularySize: 500)) {
            $0.unknownID = 9999
        }
        expectError(.tokenIDOutOfRange(key: "tokenizer.ggml.padding_token_id", id: 501, vocabularySize: 500)) {
            $0.paddingID = 501
        }
        expectError(.duplicateToken(text: "!", firstID: 1, secondID: 2)) { $0.tokens[2] = "!" }
        expectError(.specialTokenMissing(addKey: "tokenizer.ggml.add_bos_token", idKey: "tokenizer.ggml.bos_token_id")) {
            $0.tokens = ["a", "b"]
            $0.tokenTypes = nil
            $0.bosID = nil
            $0.addBOS = true
        }
        #expect(TokenizerError.unsupportedPreTokenizer("made-up").description.contains("made-up"))
        #expect(
            TokenizerError.countMismatch(key: "tokenizer.ggml.scores", expected: 5, actual: 3).description
                .contains("tokenizer.ggml.scores"))
    }

    @Test func toleratesOddButHarmlessMetadata() throws {
        // merges whose parts are not tokens, and a vocabulary missing byte tokens: no crash
        var spec = TokenizerSpec(model: "gpt2", tokens: ["a", "b", "ab", ""])
        spec.pre = "gpt-2"
        spec.merges = ["a b", "x y", "ab zz", "Ġ a"]
        let tokenizer = try Tokenizer(spec)
        #expect(tokenizer.encode("ab", addSpecial: false) == [2])
        // bytes without tokens are dropped, as llama.cpp does ("c"; the "Ġ" of " a")
        #expect(tokenizer.encode("abc a", addSpecial: false) == [2, 0])
        #expect(tokenizer.tokenText(3) == "[EMPTY_3]")
        #expect(tokenizer.decode([0, 1, 99, -1]) == "ab")
        var spm = TokenizerSpec(model: "llama", tokens: ["<unk>"])
        spm.tokenTypes = [2]
        // default BOS id 1 is outside this vocabulary, so adding BOS cannot be honoured
        #expect(
            throws: TokenizerError.specialTokenMissing(
                addKey: "tokenizer.ggml.add_bos_token",
                idKey: "tokenizer.ggml.bos_token_id")
        ) { _ = try Tokenizer(spm) }
        spm.addBOS = false
        let s = try Tokenizer(spm)
        #expect(s.bosID == nil && s.unknownID == 0)
        // "▁hi": no pieces and no byte tokens; every byte becomes <unk>
        #expect(s.encode("hi", addSpecial: false) == [0, 0, 0, 0, 0])
    }

    // MARK: - Performance shape (correctness on a large input; timing is not asserted)

    @Test func encodesLargeText() throws {
        let tokenizer = try Tokenizer(bpeSpec(pre: "llama-bpe").0)
        var text = ""
        while text.utf8.count < 100_000 {
            text += "The quick brown fox, 12345 times; ünïcödé 日本語 😀\n\t  "
        }
        let ids = tokenizer.encode(text, addSpecial: false)
        #expect(ids.count > 10_000)
        #expect(tokenizer.decode(ids) == text)
    }

    // MARK: - Reference model (exercises/reference/tokenizer.json + Fixtures/reference-tokens.json)

    @Test func referenceModelVectors() throws {
        let root = fixtureDirectory.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let tokenizerJSON = root.appendingPathComponent("exercises/reference/tokenizer.json")
        let vectorsJSON = fixtureDirectory.appendingPathComponent("reference-tokens.json")
        guard FileManager.default.fileExists(atPath: tokenizerJSON.path),
            FileManager.default.fileExists(atPath: vectorsJSON.path)
        else {
            return  // produced elsewhere; nothing to check until both exist
        }
        let hf = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: tokenizerJSON)) as? [String: Any])
        let model = try #require(hf["model"] as? [String: Any])
        let vocab = try #require(model["vocab"] as? [String: Int])
        var tokens = [String](repeating: "", count: vocab.count)
        for (text, id) in vocab where id < tokens.count { tokens[id] = text }
        var types = [Int32](repeating: 1, count: tokens.count)
        for added in (hf["added_tokens"] as? [[String: Any]]) ?? [] {
            guard let id = added["id"] as? Int, let content = added["content"] as? String else { continue }
            if id >= tokens.count {
                tokens += [String](repeating: "", count: id - tokens.count + 1)
                types += [Int32](repeating: 1, count: id - types.count + 1)
            }
            tokens[id] = content
            types[id] = (added["special"] as? Bool ?? false) ? 3 : 4
        }
        let merges: [String] = ((model["merges"] as? [Any]) ?? []).compactMap {
            if let s = $0 as? String { return s }
            if let pair = $0 as? [String], pair.count == 2 { return pair[0] + " " + pair[1] }
            return nil
        }
        var spec = TokenizerSpec(model: "gpt2", tokens: tokens)
        spec.pre = "gpt-2"
        spec.merges = merges
        spec.tokenTypes = types
        let tokenizer = try Tokenizer(spec)

        let any = try JSONSerialization.jsonObject(with: Data(contentsOf: vectorsJSON))
        let list: [[String: Any]] =
            (any as? [[String: Any]])
            ?? ((any as? [String: Any])?["vectors"] as? [[String: Any]]) ?? []
        #expect(!list.isEmpty, "reference-tokens.json has no vectors")
        var checked = 0
        for v in list {
            guard let text = v["text"] as? String, let ids = (v["ids"] ?? v["tokens"]) as? [Any] else { continue }
            let expected = ids.compactMap { ($0 as? NSNumber)?.int32Value ?? ($0 as? Int).map(Int32.init) }
            #expect(expected.count == ids.count)
            #expect(tokenizer.encode(text, addSpecial: false) == expected, "\(describe(text))")
            checked += 1
        }
        #expect(checked == list.count)
    }
}
