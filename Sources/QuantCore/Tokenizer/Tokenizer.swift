// Tokenizers built from GGUF metadata whose token ids match llama.cpp's `llama_tokenize`
// (add_special as given, parse_special: false) and whose pieces match `llama_token_to_piece`.
//
// - gpt2: byte-level BPE. Pre-tokenizer split by `tokenizer.ggml.pre` (PreTokenizer.swift), then
//   merges by rank inside each word (`llm_tokenizer_bpe_session::tokenize`).
// - llama: SentencePiece-style (`llm_tokenizer_spm_session`): "▁" for spaces, optional "▁" prefix,
//   bigram merges by highest score, byte fallback to `<0xNN>` tokens.
// Before either, user-defined tokens found in the text are split out as whole tokens
// (`tokenizer_st_partition` with parse_special = false).

public final class Tokenizer: Sendable {
    enum Kind: Sendable { case bpe, spm }

    private struct Merge: Sendable {
        let rank: Int32
        let result: Int32
    }

    private enum Fragment {
        case text(Range<Int>)
        case token(Int32)
    }

    private let kind: Kind
    private let tokenTexts: [[UInt8]]
    private let attrs: [UInt32]
    private let scores: [Float]
    private let tokenIDs: [ByteKey: Int32]
    private let pieces: [[UInt8]]
    private let maxTokenLength: Int

    // BPE
    private let preTokenizer: PreTokenizer
    private let ignoreMerges: Bool
    private let byteSymbols: [Int32]
    private let merges: [UInt64: Merge]
    private let symbolTokens: [Int32]
    private let asciiByteTokens: [Int32]

    // SPM
    private let byteFallbackTokens: [Int32]

    // special tokens and flags
    public let bosID: Int32?
    public let eosID: Int32?
    /// `tokenizer.ggml.unknown_token_id` (or the model type's default).
    public let unknownID: Int32?
    /// `tokenizer.ggml.padding_token_id`.
    public let paddingID: Int32?
    public let addsBOS: Bool
    public let addsEOS: Bool
    private let addSpacePrefix: Bool
    private let cleanSpaces: Bool
    private let userDefinedTokens: [Int32]
    private let endOfGeneration: Set<Int32>

    public var vocabularySize: Int { tokenTexts.count }

    // MARK: - Construction

    public init(_ spec: TokenizerSpec) throws {
        let kind: Kind
        switch spec.model {
        case "gpt2": kind = .bpe
        case "llama": kind = .spm
        default: throw TokenizerError.unsupportedModel(spec.model)
        }
        self.kind = kind

        let n = spec.tokens.count
        guard n > 0 else { throw TokenizerError.emptyVocabulary }
        if let s = spec.scores, s.count != n {
            throw TokenizerError.countMismatch(key: "tokenizer.ggml.scores", expected: n, actual: s.count)
        }
        if let t = spec.tokenTypes, t.count != n {
            throw TokenizerError.countMismatch(key: "tokenizer.ggml.token_type", expected: n, actual: t.count)
        }

        // pre-tokenizer configuration (gpt2 only)
        var config = PreTokenizerConfig(steps: [])
        if kind == .bpe {
            guard let c = PreTokenizerConfig.forPre(spec.pre) else {
                throw TokenizerError.unsupportedPreTokenizer(spec.pre ?? "")
            }
            config = c
            guard spec.merges != nil else { throw TokenizerError.missingMerges }
        }

        // vocabulary
        var texts: [[UInt8]] = []
        texts.reserveCapacity(n)
        var ids: [ByteKey: Int32] = [:]
        ids.reserveCapacity(n)
        var maxLen = 0
        for (i, token) in spec.tokens.enumerated() {
            let word = token.isEmpty ? "[EMPTY_\(i)]" : token
            let bytes = Array(word.utf8)
            let key = ByteKey(bytes)
            if let first = ids[key] {
                throw TokenizerError.duplicateToken(text: word, firstID: Int(first), secondID: i)
            }
            ids[key] = Int32(i)
            texts.append(bytes)
            maxLen = max(maxLen, bytes.count)
        }
        self.tokenTexts = texts
        self.tokenIDs = ids
        self.maxTokenLength = maxLen
        self.scores = spec.scores ?? [Float](repeating: 0, count: n)
        var attrs =
            spec.tokenTypes.map { $0.map(TokenAttr.fromType) }
            ?? [UInt32](repeating: TokenAttr.normal, count: n)

        // special token ids: llama.cpp's defaults per model type, overridden by the metadata
        func resolve(_ value: Int32?, key: String, default def: Int32?) throws -> Int32? {
            if let value {
                guard value >= 0 && Int(value) < n else {
                    throw TokenizerError.tokenIDOutOfRange(key: key, id: value, vocabularySize: n)
                }
                return value
            }
            guard let def, Int(def) < n else { return nil }
            return def
        }
        let defaults: (bos: Int32?, eos: Int32?, unk: Int32?) = kind == .spm ? (1, 2, 0) : (11, 11, nil)
        let bos = try resolve(
            spec.bosID, key: "tokenizer.ggml.bos_token_id",
            default: config.bosDisabled ? nil : defaults.bos)
        let eos = try resolve(spec.eosID, key: "tokenizer.ggml.eos_token_id", default: defaults.eos)
        let unk = try resolve(spec.unknownID, key: "tokenizer.ggml.unknown_token_id", default: defaults.unk)
        let pad = try resolve(spec.paddingID, key: "tokenizer.ggml.padding_token_id", default: nil)
        self.bosID = bos
        self.eosID = eos
        self.unknownID = unk
        self.paddingID = pad

        let addBOS = spec.addBOS ?? (kind == .spm ? true : config.addBOS)
        let addEOS = spec.addEOS ?? false
        if addBOS && bos == nil {
            throw TokenizerError.specialTokenMissing(addKey: "tokenizer.ggml.add_bos_token", idKey: "tokenizer.ggml.bos_token_id")
        }
        if addEOS && eos == nil {
            throw TokenizerError.specialTokenMissing(addKey: "tokenizer.ggml.add_eos_token", idKey: "tokenizer.ggml.eos_token_id")
        }
        self.addsBOS = addBOS
        self.addsEOS = addEOS
        self.addSpacePrefix = spec.addSpacePrefix ?? (kind == .spm)
        self.cleanSpaces = kind == .bpe ? config.cleanSpaces : false

        // llama.cpp marks control-looking tokens as control by their text, whatever their type
        var eog = Set<Int32>()
        for (i, t) in spec.tokens.enumerated() {
            if Self.endOfGenerationTexts.contains(t) {
                eog.insert(Int32(i))
                attrs[i] |= TokenAttr.control
            } else if Self.fillInTheMiddleTexts.contains(t) {
                attrs[i] |= TokenAttr.control
                if Self.fillInTheMiddleEOGTexts.contains(t) { eog.insert(Int32(i)) }
            }
            if Self.alwaysRenderedTexts.contains(t) {
                attrs[i] = TokenAttr.userDefined
            }
        }
        if let eos { eog.insert(eos) }
        // o200k_harmony / solar-open: "<|end|>" is not end-of-generation but rendered text.
        let has = { (t: String) in ids[ByteKey(Array(t.utf8))] }
        if let end = has("<|end|>"),
            (has("<|return|>") != nil && has("<|call|>") != nil)
                || (has("<|calls|>") != nil && has("<|flush|>") != nil)
        {
            eog.remove(end)
            attrs[Int(end)] = TokenAttr.userDefined
        }
        // gemma4 / paddleocr: "</s>" is a normal token when "<|tool_response>" exists.
        if has("<|tool_response>") != nil, let s = has("</s>") {
            eog.remove(s)
            attrs[Int(s)] = TokenAttr.normal
        }
        self.endOfGeneration = eog
        self.attrs = attrs

        // user-defined tokens are split out of raw text, longest first
        let userDefined = (0..<n).filter { attrs[$0] & TokenAttr.userDefined != 0 }
        self.userDefinedTokens =
            userDefined
            .sorted { texts[$0].count != texts[$1].count ? texts[$0].count > texts[$1].count : $0 < $1 }
            .map { Int32($0) }

        // pieces (llama_token_to_piece with special = true)
        var pieces: [[UInt8]] = []
        pieces.reserveCapacity(n)
        for i in 0..<n {
            pieces.append(Self.renderPiece(texts[i], attr: attrs[i], kind: kind))
        }
        self.pieces = pieces

        // BPE symbol tables: every string that can appear as a symbol gets an integer id.
        self.preTokenizer = PreTokenizer(steps: config.steps)
        self.ignoreMerges = config.ignoreMerges
        var symbolIndex: [ByteKey: Int32] = [:]
        var symbolTokens: [Int32] = []
        func intern(_ bytes: [UInt8]) -> Int32 {
            let key = ByteKey(bytes)
            if let s = symbolIndex[key] { return s }
            let s = Int32(symbolTokens.count)
            symbolIndex[key] = s
            symbolTokens.append(ids[key] ?? -1)
            return s
        }
        var byteSymbols: [Int32] = []
        var mergeTable: [UInt64: Merge] = [:]
        var asciiByteTokens = [Int32](repeating: -1, count: 256)
        if kind == .bpe, let merges = spec.merges {
            byteSymbols = (0..<256).map { intern(ByteLevel.byteToUTF8[$0]) }
            mergeTable.reserveCapacity(merges.count)
            for (rank, merge) in merges.enumerated() {
                let bytes = Array(merge.utf8)
                // llama.cpp: word.find(' ', 1)
                guard bytes.count > 1, let space = bytes[1...].firstIndex(of: 0x20) else {
                    throw TokenizerError.malformedMerge(index: rank, value: merge)
                }
                let left = Array(bytes[..<space])
                let right = Array(bytes[(space + 1)...])
                let l = intern(left)
                let r = intern(right)
                let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
                if mergeTable[key] == nil {
                    mergeTable[key] = Merge(rank: Int32(rank), result: intern(left + right))
                }
            }
            for b in 0x21...0x7E {
                asciiByteTokens[b] = ids[ByteKey([UInt8(b)])] ?? -1
            }
        }
        self.byteSymbols = byteSymbols
        self.merges = mergeTable
        self.symbolTokens = symbolTokens
        self.asciiByteTokens = asciiByteTokens

        // SPM byte fallback: "<0xNN>", else the single-byte token (llama_vocab::byte_to_token)
        var fallback = [Int32](repeating: -1, count: 256)
        if kind == .spm {
            let hex = Array("0123456789ABCDEF".utf8)
            for b in 0..<256 {
                let name: [UInt8] = [0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]
                if let id = ids[ByteKey(name)] {
                    fallback[b] = id
                } else if b < 0x80, let id = ids[ByteKey([UInt8(b)])] {
                    fallback[b] = id
                } else if let unk {
                    fallback[b] = unk  // llama.cpp would throw here; fall back to the unknown token
                }
            }
        }
        self.byteFallbackTokens = fallback
    }

    private static let endOfGenerationTexts: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
    ]
    private static let fillInTheMiddleEOGTexts: Set<String> = [
        "<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]",
        "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", "<|file_sep|>",
    ]
    private static let fillInTheMiddleTexts: Set<String> = fillInTheMiddleEOGTexts.union([
        "<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>",
        "<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>",
        "<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>",
    ])
    private static let alwaysRenderedTexts: Set<String> = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]

    /// `llama_token_to_piece(special: true)`.
    private static func renderPiece(_ text: [UInt8], attr: UInt32, kind: Kind) -> [UInt8] {
        if attr & (TokenAttr.unknown | TokenAttr.control | TokenAttr.userDefined) != 0 {
            return text
        }
        if attr & TokenAttr.normal != 0 {
            switch kind {
            case .spm: return unescapeWhitespace(text)
            case .bpe: return decodeByteLevel(text)
            }
        }
        if attr & TokenAttr.byte != 0 {
            return [byteOfByteToken(text)]
        }
        return []
    }

    /// "▁" → " "
    private static func unescapeWhitespace(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = 0
        while i < text.count {
            if i + 2 < text.count && text[i] == 0xE2 && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                out.append(0x20)
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }

    /// llama.cpp's `llama_decode_text`: byte-level codepoints back to bytes.
    private static func decodeByteLevel(_ text: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        let s = String(decoding: text, as: UTF8.self)
        for scalar in s.unicodeScalars {
            if let b = ByteLevel.codepointToByte[scalar.value] {
                out.append(b)
            } else {
                out += Array("[UNK_BYTE_0x".utf8)
                for c in String(scalar).utf8 {
                    let h = String(c, radix: 16)
                    out += Array((h.count < 2 ? "0" + h : h).utf8)
                }
                out += text
                out += Array("]".utf8)
            }
        }
        return out
    }

    /// llama.cpp's `token_to_byte`: strtol(text.substr(3, 2), 16).
    private static func byteOfByteToken(_ text: [UInt8]) -> UInt8 {
        guard text.count > 3 else { return 0 }
        var value = 0
        for c in text[3..<min(5, text.count)] {
            let d: Int
            switch c {
            case 0x30...0x39: d = Int(c) - 0x30
            case 0x41...0x46: d = Int(c) - 0x41 + 10
            case 0x61...0x66: d = Int(c) - 0x61 + 10
            default: return UInt8(value & 0xFF)
            }
            value = value * 16 + d
        }
        return UInt8(value & 0xFF)
    }

    // MARK: - Queries

    /// Whether generation should stop at this token (llama.cpp's `special_eog_ids`).
    public func isEndOfGeneration(_ id: Int32) -> Bool { endOfGeneration.contains(id) }

    /// Whether the token is a control token (omitted by `decode`).
    public func isControl(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < attrs.count && attrs[Int(id)] & TokenAttr.control != 0
    }

    /// The token's text as stored in the vocabulary.
    public func tokenText(_ id: Int32) -> String? {
        guard id >= 0 && Int(id) < tokenTexts.count else { return nil }
        return String(decoding: tokenTexts[Int(id)], as: UTF8.self)
    }

    /// The text of one token as llama.cpp's `llama_token_to_piece(…, special: true)` renders it:
    /// byte-level tokens decoded to bytes, SPM "▁" → space, `<0xNN>` → that byte, control and
    /// user-defined tokens as their text. Empty for an id outside the vocabulary.
    public func pieceBytes(_ id: Int32) -> [UInt8] {
        guard id >= 0 && Int(id) < pieces.count else { return [] }
        return pieces[Int(id)]
    }

    /// Decodes ids to text as llama.cpp's `llama_detokenize(remove_special: false, unparse_special: false)`:
    /// control and unknown tokens omitted, the leading space of the SPM space prefix dropped from the
    /// first token (only when that first token is not BOS, as in llama.cpp), gpt2 "clean spaces"
    /// applied where the pre-tokenizer asks for it; invalid UTF-8 becomes U+FFFD.
    /// Ids outside the vocabulary are skipped.
    public func decode(_ ids: [Int32]) -> String {
        var out: [UInt8] = []
        var removeSpace = addSpacePrefix
        for id in ids {
            defer { removeSpace = false }
            guard id >= 0 && Int(id) < pieces.count else { continue }
            if attrs[Int(id)] & (TokenAttr.unknown | TokenAttr.control) != 0 { continue }
            let piece = pieces[Int(id)]
            if removeSpace && piece.first == 0x20 {
                out += piece.dropFirst()
            } else {
                out += piece
            }
        }
        if cleanSpaces { Self.cleanUpSpaces(&out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// llama.cpp's `clean_spaces` passes of `detokenize`, byte for byte.
    static func cleanUpSpaces(_ text: inout [UInt8]) {
        let space: UInt8 = 0x20
        let apostrophe: UInt8 = 0x27
        // first pass: " ?", " !", " .", " ,"
        let total1 = text.count
        var total = total1 > 0 ? 1 : 0
        var i = 1
        while i < total1 {
            let x = text[i]
            if text[i - 1] == space && (x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C) {
                total -= 1
            }
            text[total] = x
            total += 1
            i += 1
        }
        // second pass: " ' " → "'"
        let total2 = total
        total = total2 > 0 ? 1 : 0
        i = 1
        while i < total2 {
            let x = text[i]
            if x == apostrophe && i + 1 < total2 && text[i - 1] == space && text[i + 1] == space {
                total -= 1
                i += 1
                text[i] = 0
            }
            text[total] = x
            total += 1
            i += 1
        }
        // third pass: " 's", " 'm", " 're", " 've"
        let total3 = total
        total = total3 > 0 ? 1 : 0
        i = 1
        while i < total3 {
            let x = text[i]
            if text[i - 1] == space && x == apostrophe && i + 1 < total3 {
                let x1 = text[i + 1]
                if x1 == 0x74 || x1 == 0x64 {
                    // " 't", " 'd": kept
                } else if x1 == 0x73 || x1 == 0x6D {
                    total -= 1
                } else if i + 2 < total3 {
                    let x2 = text[i + 2]
                    if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) {
                        total -= 1
                    }
                }
            }
            text[total] = x
            total += 1
            i += 1
        }
        text.removeSubrange(total...)
    }

    // MARK: - Encoding

    /// Token ids as llama.cpp's `llama_tokenize(text, add_special: addSpecial, parse_special: false)`.
    public func encode(_ text: String, addSpecial: Bool) -> [Int32] {
        let bytes = Array(text.utf8)
        var out: [Int32] = []
        out.reserveCapacity(bytes.count / 3 + 4)
        let fragments = partition(bytes)
        switch kind {
        case .spm:
            var workspace = SPMWorkspace()
            var isPrevSpecial = true
            if addSpecial && addsBOS, let bos = bosID { out.append(bos) }
            for fragment in fragments {
                switch fragment {
                case .text(let range):
                    var escaped: [UInt8] = []
                    escaped.reserveCapacity(range.count + 3)
                    if addSpacePrefix && isPrevSpecial { escaped += [0xE2, 0x96, 0x81] }
                    for b in bytes[range] {
                        if b == 0x20 { escaped += [0xE2, 0x96, 0x81] } else { escaped.append(b) }
                    }
                    spmTokenize(escaped, &workspace, &out)
                    isPrevSpecial = false
                case .token(let id):
                    out.append(id)
                    isPrevSpecial = true
                }
            }
            if addSpecial && addsEOS, let eos = eosID { out.append(eos) }
        case .bpe:
            var workspace = BPEWorkspace()
            if addSpecial && addsBOS, let bos = bosID { out.append(bos) }
            for fragment in fragments {
                switch fragment {
                case .text(let range):
                    bpeTokenize(bytes[range], &workspace, &out)
                case .token(let id):
                    out.append(id)
                }
            }
            if addSpecial && addsEOS, let eos = eosID { out.append(eos) }
        }
        return out
    }

    /// Splits user-defined tokens out of the text (`tokenizer_st_partition`, parse_special = false).
    private func partition(_ bytes: [UInt8]) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for id in userDefinedTokens {
            let needle = tokenTexts[Int(id)]
            guard !needle.isEmpty else { continue }
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            for fragment in fragments {
                guard case .text(let range) = fragment else {
                    next.append(fragment)
                    continue
                }
                var start = range.lowerBound
                while let match = Self.find(needle, in: bytes, from: start, to: range.upperBound) {
                    if match > start { next.append(.text(start..<match)) }
                    next.append(.token(id))
                    start = match + needle.count
                }
                if start < range.upperBound { next.append(.text(start..<range.upperBound)) }
            }
            fragments = next
        }
        return fragments
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8], from: Int, to: Int) -> Int? {
        let m = needle.count
        guard to - from >= m else { return nil }
        let first = needle[0]
        var i = from
        let last = to - m
        while i <= last {
            if hay[i] == first {
                var j = 1
                while j < m && hay[i + j] == needle[j] { j += 1 }
                if j == m { return i }
            }
            i += 1
        }
        return nil
    }

    // MARK: BPE

    private struct BPESymbol {
        var symbol: Int32
        var start: Int32
        var length: Int32
        var prev: Int32
        var next: Int32
    }

    private struct BPEBigram: HeapOrdered {
        var left: Int32
        var right: Int32
        var rank: Int32
        var leftSymbol: Int32
        var rightSymbol: Int32
        var result: Int32

        @inline(__always)
        static func before(_ a: BPEBigram, _ b: BPEBigram) -> Bool {
            a.rank < b.rank || (a.rank == b.rank && a.left < b.left)
        }
    }

    private struct BPEWorkspace {
        var symbols: [BPESymbol] = []
        var heap = BinaryHeap<BPEBigram>()
        var encoded: [UInt8] = []
    }

    private func bpeTokenize(_ bytes: ArraySlice<UInt8>, _ ws: inout BPEWorkspace, _ out: inout [Int32]) {
        // codepoints of the fragment, with their byte offsets
        var cpts: [UInt32] = []
        var byteOffsets: [Int] = [bytes.startIndex]
        cpts.reserveCapacity(bytes.count)
        byteOffsets.reserveCapacity(bytes.count + 1)
        var offset = bytes.startIndex
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            cpts.append(scalar.value)
            offset += UTF8.width(scalar)
            byteOffsets.append(offset)
        }
        let flags = cpts.map(CharClass.of)
        var index = 0
        for length in preTokenizer.split(cpts, flags) {
            let word = bytes[byteOffsets[index]..<byteOffsets[index + length]]
            index += length
            bpeWord(word, &ws, &out)
        }
    }

    private func bpeWord(_ word: ArraySlice<UInt8>, _ ws: inout BPEWorkspace, _ out: inout [Int32]) {
        guard !word.isEmpty else { return }
        if ignoreMerges {
            ws.encoded.removeAll(keepingCapacity: true)
            for b in word { ws.encoded += ByteLevel.byteToUTF8[Int(b)] }
            if let id = tokenIDs[ByteKey(ws.encoded)] {
                out.append(id)
                return
            }
        }
        ws.symbols.removeAll(keepingCapacity: true)
        ws.heap.removeAll()
        let base = word.startIndex
        let n = word.count
        for (i, b) in word.enumerated() {
            ws.symbols.append(
                BPESymbol(
                    symbol: byteSymbols[Int(b)], start: Int32(i), length: 1,
                    prev: Int32(i - 1), next: i + 1 == n ? -1 : Int32(i + 1)))
        }
        @inline(__always) func addBigram(_ left: Int32, _ right: Int32, _ ws: inout BPEWorkspace) {
            guard left >= 0 && right >= 0 else { return }
            let l = ws.symbols[Int(left)].symbol
            let r = ws.symbols[Int(right)].symbol
            let key = UInt64(UInt32(bitPattern: l)) << 32 | UInt64(UInt32(bitPattern: r))
            guard let merge = merges[key] else { return }
            ws.heap.push(
                BPEBigram(
                    left: left, right: right, rank: merge.rank, leftSymbol: l, rightSymbol: r,
                    result: merge.result))
        }
        for i in 1..<max(n, 1) { addBigram(Int32(i - 1), Int32(i), &ws) }
        while let bigram = ws.heap.pop() {
            let l = Int(bigram.left)
            let r = Int(bigram.right)
            let ls = ws.symbols[l]
            let rs = ws.symbols[r]
            guard ls.length > 0, rs.length > 0, ls.symbol == bigram.leftSymbol, rs.symbol == bigram.rightSymbol else {
                continue  // outdated
            }
            ws.symbols[l].symbol = bigram.result
            ws.symbols[l].length += rs.length
            ws.symbols[r].length = 0
            ws.symbols[l].next = rs.next
            if rs.next >= 0 { ws.symbols[Int(rs.next)].prev = bigram.left }
            addBigram(ws.symbols[l].prev, bigram.left, &ws)
            addBigram(bigram.left, ws.symbols[l].next, &ws)
        }
        for s in ws.symbols where s.length > 0 {
            let token = symbolTokens[Int(s.symbol)]
            if token >= 0 {
                out.append(token)
            } else {
                // llama.cpp looks each byte of the byte-level text up as a one-byte token:
                // only printable ASCII bytes can match.
                for k in 0..<Int(s.length) {
                    let t = asciiByteTokens[Int(word[base + Int(s.start) + k])]
                    if t >= 0 { out.append(t) }
                }
            }
        }
    }

    // MARK: SPM

    private struct SPMSymbol {
        var start: Int32
        var length: Int32
        var prev: Int32
        var next: Int32
    }

    private struct SPMBigram: HeapOrdered {
        var left: Int32
        var right: Int32
        var score: Float
        var size: Int32

        @inline(__always)
        static func before(_ a: SPMBigram, _ b: SPMBigram) -> Bool {
            a.score > b.score || (a.score == b.score && a.left < b.left)
        }
    }

    private struct SPMWorkspace {
        var symbols: [SPMSymbol] = []
        var heap = BinaryHeap<SPMBigram>()
    }

    private static let utf8Length: [Int] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4]

    private func spmTokenize(_ text: [UInt8], _ ws: inout SPMWorkspace, _ out: inout [Int32]) {
        guard !text.isEmpty else { return }
        ws.symbols.removeAll(keepingCapacity: true)
        ws.heap.removeAll()
        var offset = 0
        var index: Int32 = 0
        while offset < text.count {
            let len = min(Self.utf8Length[Int(text[offset] >> 4)], text.count - offset)
            let start = offset
            offset += len
            ws.symbols.append(
                SPMSymbol(
                    start: Int32(start), length: Int32(len), prev: index - 1,
                    next: offset == text.count ? -1 : index + 1))
            index += 1
        }
        func tryAddBigram(_ left: Int32, _ right: Int32, _ ws: inout SPMWorkspace) {
            guard left >= 0 && right >= 0 else { return }
            let l = ws.symbols[Int(left)]
            let r = ws.symbols[Int(right)]
            let size = Int(l.length + r.length)
            guard size <= maxTokenLength else { return }
            let start = Int(l.start)
            guard let id = tokenIDs[ByteKey(text[start..<start + size])] else { return }
            ws.heap.push(SPMBigram(left: left, right: right, score: scores[Int(id)], size: Int32(size)))
        }
        for i in 1..<max(ws.symbols.count, 1) { tryAddBigram(Int32(i - 1), Int32(i), &ws) }
        while let bigram = ws.heap.pop() {
            let l = Int(bigram.left)
            let r = Int(bigram.right)
            let ls = ws.symbols[l]
            let rs = ws.symbols[r]
            if ls.length == 0 || rs.length == 0 || ls.length + rs.length != bigram.size { continue }
            ws.symbols[l].length += rs.length
            ws.symbols[r].length = 0
            ws.symbols[l].next = rs.next
            if rs.next >= 0 { ws.symbols[Int(rs.next)].prev = bigram.left }
            tryAddBigram(ws.symbols[l].prev, bigram.left, &ws)
            tryAddBigram(bigram.left, ws.symbols[l].next, &ws)
        }
        var i: Int32 = 0
        while i != -1 {
            let s = ws.symbols[Int(i)]
            let slice = text[Int(s.start)..<Int(s.start + s.length)]
            if let id = tokenIDs[ByteKey(slice)] {
                out.append(id)
            } else {
                for b in slice {
                    let t = byteFallbackTokens[Int(b)]
                    if t >= 0 { out.append(t) }
                }
            }
            i = s.next
        }
    }
}
