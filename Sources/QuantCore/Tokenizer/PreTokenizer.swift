// Pre-tokenizer splits for byte-level BPE, written after llama.cpp's `unicode_regex_split`:
// each pre type is a list of regexes applied in turn; every regex splits each current piece into
// its matches and the gaps between them. The regexes are implemented by hand here (as llama.cpp's
// custom gpt2/llama3 splitters do), on codepoints classified like llama.cpp's unicode tables.

/// Codepoint classes used by the splitters (llama.cpp's `unicode_cpt_flags`, reduced).
enum CharClass {
    static let letter: UInt8 = 1  // \p{L}
    static let number: UInt8 = 2  // \p{N}
    static let whitespace: UInt8 = 4  // \s (Unicode White_Space)
    static let punctuation: UInt8 = 8  // \p{P}
    static let symbol: UInt8 = 16  // \p{S}
    static let mark: UInt8 = 32  // \p{M}
    static let defined: UInt8 = 64  // set for every codepoint inside the piece; 0 means "past the end"

    private static let asciiTable: [UInt8] = (0..<128).map { compute(UInt32($0)) }

    @inline(__always)
    static func of(_ cp: UInt32) -> UInt8 {
        cp < 128 ? asciiTable[Int(cp)] : compute(cp)
    }

    static func compute(_ cp: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(cp) else { return defined }
        let p = scalar.properties
        var f = defined
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            f |= letter
        case .decimalNumber, .letterNumber, .otherNumber:
            f |= number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            f |= punctuation
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            f |= symbol
        case .nonspacingMark, .spacingMark, .enclosingMark:
            f |= mark
        default:
            break
        }
        if p.isWhitespace { f |= whitespace }
        return f
    }
}

/// GPT-2's reversible byte ↔ printable-codepoint mapping (`bytes_to_unicode`).
enum ByteLevel {
    /// Codepoint that stands for each byte.
    static let byteToCodepoint: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = 256 + n
                n += 1
            }
        }
        return table
    }()

    /// UTF-8 of the codepoint that stands for each byte.
    static let byteToUTF8: [[UInt8]] = byteToCodepoint.map { Array(String(Unicode.Scalar($0)!).utf8) }

    /// Reverse mapping: codepoint → byte.
    static let codepointToByte: [UInt32: UInt8] = {
        var m: [UInt32: UInt8] = [:]
        for (b, cp) in byteToCodepoint.enumerated() { m[cp] = UInt8(b) }
        return m
    }()
}

/// One regex step of a pre-tokenizer.
enum SplitStep: Sendable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// llama3's regex with `\p{N}{1,maxDigits}` (3 for llama3, 1 for qwen2's `\p{N}`).
    case llama3(maxDigits: Int)
    /// `X+` where X is a character class (matches and gaps both become pieces).
    case runs(RunClass)
    /// `\p{N}`: every number character on its own.
    case singleNumbers
    /// `[0-9][0-9][0-9]`
    case asciiDigitTriples
}

enum RunClass: Sendable {
    /// `[\p{P}\$\+<=>\^~\|]` (plus `` ` `` when `withBacktick`)
    case punctuationAndSymbols(withBacktick: Bool)
    /// `\p{N}`
    case numbers

    @inline(__always)
    func contains(_ cp: UInt32, _ flags: UInt8) -> Bool {
        switch self {
        case .numbers:
            return flags & CharClass.number != 0
        case .punctuationAndSymbols(let backtick):
            if flags & CharClass.punctuation != 0 { return true }
            switch cp {
            case 0x24, 0x2B, 0x3C, 0x3D, 0x3E, 0x5E, 0x7E, 0x7C: return true  // $ + < = > ^ ~ |
            case 0x60: return backtick
            default: return false
            }
        }
    }
}

/// Splits text into words by a list of regex steps; returns piece lengths in codepoints.
struct PreTokenizer: Sendable {
    let steps: [SplitStep]

    func split(_ cpts: [UInt32], _ flags: [UInt8]) -> [Int] {
        var offsets = cpts.isEmpty ? [] : [cpts.count]
        for step in steps {
            switch step {
            case .gpt2: offsets = Self.splitGPT2(cpts, flags, offsets)
            case .llama3(let d): offsets = Self.splitLlama3(cpts, flags, offsets, maxDigits: d)
            case .runs(let cls): offsets = Self.splitRuns(cpts, flags, offsets, cls)
            case .singleNumbers: offsets = Self.splitSingleNumbers(flags, offsets)
            case .asciiDigitTriples: offsets = Self.splitDigitTriples(cpts, offsets)
            }
        }
        return offsets
    }

    private static let outOfRange: UInt32 = 0xFFFF_FFFF

    /// Port of llama.cpp's `unicode_regex_split_custom_gpt2`.
    static func splitGPT2(_ cpts: [UInt32], _ fl: [UInt8], _ offsets: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count)
        var start = 0
        let L = CharClass.letter
        let N = CharClass.number
        let W = CharClass.whitespace
        for offset in offsets {
            let ini = start
            let end = start + offset
            start = end
            @inline(__always) func cpt(_ p: Int) -> UInt32 { p >= ini && p < end ? cpts[p] : outOfRange }
            @inline(__always) func flg(_ p: Int) -> UInt8 { p >= ini && p < end ? fl[p] : 0 }
            var prevEnd = ini
            @inline(__always) func add(_ e: Int) -> Int {
                let len = e - prevEnd
                if len > 0 { out.append(len) }
                prevEnd = e
                return len
            }
            var pos = ini
            while pos < end {
                let cp = cpt(pos)
                let flags = flg(pos)
                // 's|'t|'re|'ve|'m|'ll|'d
                if cp == 0x27 && pos + 1 < end {
                    let n1 = cpt(pos + 1)
                    if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 {
                        pos += add(pos + 2)
                        continue
                    }
                    if pos + 2 < end {
                        let n2 = cpt(pos + 2)
                        if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                            pos += add(pos + 3)
                            continue
                        }
                    }
                }
                var flags2 = cp == 0x20 ? flg(pos + 1) : flags
                // <space>?\p{L}+
                if flags2 & L != 0 {
                    if cp == 0x20 { pos += 1 }
                    while flags2 & L != 0 {
                        pos += 1
                        flags2 = flg(pos)
                    }
                    _ = add(pos)
                    continue
                }
                // <space>?\p{N}+
                if flags2 & N != 0 {
                    if cp == 0x20 { pos += 1 }
                    while flags2 & N != 0 {
                        pos += 1
                        flags2 = flg(pos)
                    }
                    _ = add(pos)
                    continue
                }
                // <space>?[^\s\p{L}\p{N}]+
                if flags2 & (W | L | N) == 0 && flags2 != 0 {
                    if cp == 0x20 { pos += 1 }
                    while flags2 & (W | L | N) == 0 && flags2 != 0 {
                        pos += 1
                        flags2 = flg(pos)
                    }
                    _ = add(pos)
                    continue
                }
                var nws = 0
                while flg(pos + nws) & W != 0 { nws += 1 }
                // \s+(?!\S)
                if nws > 1 && cpt(pos + nws) != outOfRange {
                    pos += nws - 1
                    _ = add(pos)
                    continue
                }
                // \s+
                if nws > 0 {
                    pos += nws
                    _ = add(pos)
                    continue
                }
                pos += 1
                _ = add(pos)
            }
        }
        return out
    }

    /// Port of llama.cpp's `unicode_regex_split_custom_llama3`:
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// With `maxDigits: 1` it is qwen2's regex (`\p{N}` instead of `\p{N}{1,3}`).
    static func splitLlama3(_ cpts: [UInt32], _ fl: [UInt8], _ offsets: [Int], maxDigits: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count)
        var start = 0
        let L = CharClass.letter
        let N = CharClass.number
        let W = CharClass.whitespace
        @inline(__always) func lower(_ c: UInt32) -> UInt32 { (c >= 0x41 && c <= 0x5A) ? c + 32 : c }
        for offset in offsets {
            let ini = start
            let end = start + offset
            start = end
            @inline(__always) func cpt(_ p: Int) -> UInt32 { p >= ini && p < end ? cpts[p] : outOfRange }
            @inline(__always) func flg(_ p: Int) -> UInt8 { p >= ini && p < end ? fl[p] : 0 }
            var prevEnd = ini
            @inline(__always) func add(_ e: Int) -> Int {
                let len = e - prevEnd
                if len > 0 { out.append(len) }
                prevEnd = e
                return len
            }
            var pos = ini
            while pos < end {
                let cp = cpt(pos)
                let flags = flg(pos)
                // (?i:'s|'t|'re|'ve|'m|'ll|'d)
                if cp == 0x27 && pos + 1 < end {
                    let n1 = lower(cpt(pos + 1))
                    if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 {
                        pos += add(pos + 2)
                        continue
                    }
                    if pos + 2 < end {
                        let n2 = lower(cpt(pos + 2))
                        if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                            pos += add(pos + 3)
                            continue
                        }
                    }
                }
                // [^\r\n\p{L}\p{N}]?\p{L}+
                if !(cp == 0x0D || cp == 0x0A || flags & N != 0) {
                    if flags & L != 0 || flg(pos + 1) & L != 0 {
                        pos += 1
                        while flg(pos) & L != 0 { pos += 1 }
                        _ = add(pos)
                        continue
                    }
                }
                // \p{N}{1,3}
                if flags & N != 0 {
                    var ini2 = pos
                    while flg(pos) & N != 0 {
                        pos += 1
                        if pos - ini2 >= maxDigits {
                            _ = add(pos)
                            ini2 = pos
                        }
                    }
                    _ = add(pos)
                    continue
                }
                // <space>?[^\s\p{L}\p{N}]+[\r\n]*
                var flags2 = cp == 0x20 ? flg(pos + 1) : flags
                if flags2 & (W | L | N) == 0 && flags != 0 {
                    if cp == 0x20 { pos += 1 }
                    while flags2 & (W | L | N) == 0 && flags2 != 0 {
                        pos += 1
                        flags2 = flg(pos)
                    }
                    var c2 = cpt(pos)
                    while c2 == 0x0D || c2 == 0x0A {
                        pos += 1
                        c2 = cpt(pos)
                    }
                    _ = add(pos)
                    continue
                }
                var nws = 0
                var lastEndRN = 0
                while flg(pos + nws) & W != 0 {
                    let c2 = cpt(pos + nws)
                    if c2 == 0x0D || c2 == 0x0A { lastEndRN = pos + nws + 1 }
                    nws += 1
                }
                // \s*[\r\n]+
                if lastEndRN > 0 {
                    pos = lastEndRN
                    _ = add(pos)
                    continue
                }
                // \s+(?!\S)
                if nws > 1 && cpt(pos + nws) != outOfRange {
                    pos += nws - 1
                    _ = add(pos)
                    continue
                }
                // \s+
                if nws > 0 {
                    pos += nws
                    _ = add(pos)
                    continue
                }
                pos += 1
                _ = add(pos)
            }
        }
        return out
    }

    /// `X+`: maximal runs of the class and the gaps between them.
    static func splitRuns(_ cpts: [UInt32], _ fl: [UInt8], _ offsets: [Int], _ cls: RunClass) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count)
        var start = 0
        for offset in offsets {
            let end = start + offset
            var pos = start
            while pos < end {
                let inClass = cls.contains(cpts[pos], fl[pos])
                let runStart = pos
                pos += 1
                while pos < end && cls.contains(cpts[pos], fl[pos]) == inClass { pos += 1 }
                out.append(pos - runStart)
            }
            start = end
        }
        return out
    }

    /// `\p{N}`: each number character alone, gaps kept whole.
    static func splitSingleNumbers(_ fl: [UInt8], _ offsets: [Int]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(offsets.count)
        var start = 0
        for offset in offsets {
            let end = start + offset
            var gap = 0
            for pos in start..<end {
                if fl[pos] & CharClass.number != 0 {
                    if gap > 0 {
                        out.append(gap)
                        gap = 0
                    }
                    out.append(1)
                } else {
                    gap += 1
                }
            }
            if gap > 0 { out.append(gap) }
            start = end
        }
        return out
    }

    /// `[0-9][0-9][0-9]`: leftmost runs of three ASCII digits, gaps kept whole.
    static func splitDigitTriples(_ cpts: [UInt32], _ offsets: [Int]) -> [Int] {
        @inline(__always) func isDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }
        var out: [Int] = []
        out.reserveCapacity(offsets.count)
        var start = 0
        for offset in offsets {
            let end = start + offset
            var pos = start
            var gapStart = start
            while pos < end {
                if pos + 3 <= end && isDigit(cpts[pos]) && isDigit(cpts[pos + 1]) && isDigit(cpts[pos + 2]) {
                    if pos > gapStart { out.append(pos - gapStart) }
                    out.append(3)
                    pos += 3
                    gapStart = pos
                } else {
                    pos += 1
                }
            }
            if end > gapStart { out.append(end - gapStart) }
            start = end
        }
        return out
    }
}

/// How a gpt2 tokenizer's `tokenizer.ggml.pre` value configures llama.cpp (`llama_vocab::impl::load`
/// and the `llm_tokenizer_bpe` constructor).
struct PreTokenizerConfig: Sendable {
    var steps: [SplitStep]
    var ignoreMerges = false
    var addBOS = false
    var cleanSpaces = true
    var bosDisabled = false

    static let gpt2Steps: [SplitStep] = [.gpt2]
    static let llama3Steps: [SplitStep] = [.llama3(maxDigits: 3)]
    static let qwen2Steps: [SplitStep] = [.llama3(maxDigits: 1)]
    static let starcoderSteps: [SplitStep] = [.singleNumbers, .gpt2]
    static let defaultSteps: [SplitStep] = [
        .runs(.punctuationAndSymbols(withBacktick: false)), .gpt2, .runs(.numbers), .asciiDigitTriples,
    ]
    static let falconSteps: [SplitStep] = [
        .runs(.punctuationAndSymbols(withBacktick: true)), .gpt2, .asciiDigitTriples,
    ]

    /// `nil` for a pre-tokenizer this engine does not implement.
    static func forPre(_ pre: String?) -> PreTokenizerConfig? {
        guard let pre, !pre.isEmpty else { return PreTokenizerConfig(steps: defaultSteps) }
        switch pre {
        case "default":
            return PreTokenizerConfig(steps: defaultSteps)
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
            return PreTokenizerConfig(steps: llama3Steps, ignoreMerges: true, addBOS: true)
        case "dbrx", "smaug-bpe":
            return PreTokenizerConfig(steps: llama3Steps)
        case "glm4", "chatglm-bpe":
            return PreTokenizerConfig(steps: llama3Steps, bosDisabled: true)
        case "falcon":
            return PreTokenizerConfig(steps: falconSteps)
        case "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2":
            return PreTokenizerConfig(steps: starcoderSteps)
        case "command-r", "smollm":
            return PreTokenizerConfig(steps: starcoderSteps, cleanSpaces: false)
        // "gpt2" is not a value llama.cpp knows (its converter writes "gpt-2"); accepted as the same.
        case "gpt2", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
            "mellum", "modern-bert", "mpt", "olmo", "jais", "exaone4":
            return PreTokenizerConfig(steps: gpt2Steps)
        case "trillion", "granite-docling":
            return PreTokenizerConfig(steps: gpt2Steps, cleanSpaces: false)
        case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2":
            return PreTokenizerConfig(steps: qwen2Steps, cleanSpaces: false)
        case "stablelm2", "megrez":
            return PreTokenizerConfig(steps: qwen2Steps)
        default:
            return nil
        }
    }
}
