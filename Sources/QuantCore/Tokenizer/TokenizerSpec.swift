// The tokenizer description a GGUF file carries under `tokenizer.ggml.*`, and the typed errors
// raised when that metadata cannot describe a working tokenizer.

/// Tokenizer metadata as read from a GGUF file (`tokenizer.ggml.*`).
///
/// Optional fields that are `nil` take llama.cpp's default for the model type
/// (see `llama_vocab::impl::load`).
public struct TokenizerSpec: Sendable {
    /// `tokenizer.ggml.model`: `"gpt2"` (byte-level BPE) or `"llama"` (SentencePiece-style).
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer of a gpt2 model ("default", "gpt-2", "llama-bpe", "qwen2", …).
    public var pre: String?
    /// `tokenizer.ggml.tokens`
    public var tokens: [String]
    /// `tokenizer.ggml.scores`
    public var scores: [Float]?
    /// `tokenizer.ggml.token_type` (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte).
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.merges` ("left right"), required for gpt2.
    public var merges: [String]?
    public var bosID: Int32?
    public var eosID: Int32?
    public var unknownID: Int32?
    public var paddingID: Int32?
    /// `tokenizer.ggml.add_bos_token`
    public var addBOS: Bool?
    /// `tokenizer.ggml.add_eos_token`
    public var addEOS: Bool?
    /// `tokenizer.ggml.add_space_prefix`
    public var addSpacePrefix: Bool?

    public init(model: String, tokens: [String]) {
        self.model = model
        self.tokens = tokens
    }
}

/// Why tokenizer metadata was rejected. Every case names the GGUF key involved.
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    /// `tokenizer.ggml.model` is not one this engine implements.
    case unsupportedModel(String)
    /// `tokenizer.ggml.pre` names a pre-tokenizer this engine does not implement.
    case unsupportedPreTokenizer(String)
    /// `tokenizer.ggml.tokens` is empty.
    case emptyVocabulary
    /// A gpt2 tokenizer without `tokenizer.ggml.merges`.
    case missingMerges
    /// A merge rule that does not split into "left right".
    case malformedMerge(index: Int, value: String)
    /// An array (`tokenizer.ggml.scores`, `tokenizer.ggml.token_type`) whose length differs from the vocabulary's.
    case countMismatch(key: String, expected: Int, actual: Int)
    /// Two entries of `tokenizer.ggml.tokens` with the same text.
    case duplicateToken(text: String, firstID: Int, secondID: Int)
    /// A special token id outside the vocabulary.
    case tokenIDOutOfRange(key: String, id: Int32, vocabularySize: Int)
    /// `add_bos_token` / `add_eos_token` is true but the corresponding id is not set.
    case specialTokenMissing(addKey: String, idKey: String)

    public var description: String {
        switch self {
        case .unsupportedModel(let m):
            return "tokenizer.ggml.model: unsupported tokenizer model '\(m)' (expected 'gpt2' or 'llama')"
        case .unsupportedPreTokenizer(let p):
            return "tokenizer.ggml.pre: unsupported pre-tokenizer '\(p)'"
        case .emptyVocabulary:
            return "tokenizer.ggml.tokens: the vocabulary is empty"
        case .missingMerges:
            return "tokenizer.ggml.merges: required for a gpt2 tokenizer but missing"
        case .malformedMerge(let i, let v):
            return "tokenizer.ggml.merges[\(i)]: expected 'left right', got '\(v)'"
        case .countMismatch(let key, let expected, let actual):
            return "\(key): expected \(expected) entries (one per token), got \(actual)"
        case .duplicateToken(let text, let a, let b):
            return "tokenizer.ggml.tokens: duplicate token '\(text)' at ids \(a) and \(b)"
        case .tokenIDOutOfRange(let key, let id, let n):
            return "\(key): token id \(id) is outside the vocabulary (0..<\(n))"
        case .specialTokenMissing(let addKey, let idKey):
            return "\(addKey) is true, but \(idKey) is not set"
        }
    }
}
