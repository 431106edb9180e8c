#!/usr/bin/env python3
"""Generates the tokenizer test fixtures (dev-only; never needed at run time).

Writes Tests/QuantCoreTests/Fixtures/tokenizer/:
  bpe.json  a small byte-level BPE vocabulary trained with HF `tokenizers` (tokens, merges in GGUF
            "a b" form) and test vectors text -> ids from HF `tokenizers` for three pre-tokenizers:
              gpt2    ByteLevel(add_prefix_space=False) (its regex is llama.cpp's gpt2 split)
              llama3  Split(llama3 regex) + ByteLevel(use_regex=False), BPE(ignore_merges=True)
              qwen2   Split(qwen2 regex)  + ByteLevel(use_regex=False)
  bpe-llama3.json  the same, trained with llama3's split (merges across gpt2's word boundaries),
            with llama3 and qwen2 vectors
  spm.json  a small SentencePiece BPE model with byte fallback, converted the way llama.cpp's
            convert script does (tokens, scores, token types), and vectors from sentencepiece.

Usage: pip install tokenizers sentencepiece && python3 scripts/gen-tokenizer-fixtures.py
"""

import json
import os
import tempfile

import sentencepiece as spm
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "QuantCoreTests", "Fixtures", "tokenizer")

TRAINING_TEXT = """\
The quick brown fox jumps over the lazy dog. The dog didn't care; it's a lazy dog, after all.
Quantization maps floating-point weights to small integers: 4-bit, 5-bit, 6-bit and 8-bit formats.
A block of 32 weights shares one scale; Q4_0 stores 18 bytes per block, Q8_0 stores 34 bytes.
We'll measure perplexity and KL-divergence on the evaluation text, then compare the models.
They're testing whether the tokenizer matches llama.cpp exactly, token for token, id for id.
I've seen tokenizers fail on whitespace:    runs of spaces,\ttabs,\nnewlines and\r\nCRLF endings.
    def quantize(weights, bits=4):
        scale = max(abs(w) for w in weights) / (2 ** (bits - 1) - 1)
        return [round(w / scale) for w in weights], scale
Numbers like 1234567, 3.14159, 2024-11-29 and 1,000,000 should split the same way everywhere.
Un café, s'il vous plaît! Das Mädchen übt Klavier. Привет, как дела? Καλημέρα κόσμε.
日本語のテキストと中文的句子也会出现。 한국어 문장도 있습니다. Emoji: 😀 🎉 👍 and symbols ∑ ∞ ≠ √.
"Quotes", 'single quotes', (parentheses), [brackets], {braces}, <angle brackets> & ampersands.
The model's output isn't the same as the reference's output when the scales aren't stored exactly.
Re-running the benchmark: 12.5 tokens/s at Q4_K_M, 9.8 tokens/s at Q6_K, 7.1 tokens/s at F16.
"""

TEST_STRINGS = [
    "",
    " ",
    "Hello world",
    "Hello, world!",
    " leading space",
    "trailing space ",
    "trailing spaces   ",
    "  two leading spaces",
    "multiple   spaces   between",
    "tabs\tand\t\ttabs",
    "new\nline",
    "double\n\nnewline\n",
    "crlf\r\nline\r\n",
    "   \n\n  indented\n\tcode()",
    "I'm sure you're right, we've seen they'll say she'd it's can't",
    "DON'T SHOUT'S WE'LL I'M YOU'RE",
    "numbers 1234567 and 3.14159 and 2024-11-29",
    "a1b22c333d4444e55555",
    "punctuation!!! ??? ... ---",
    "!@#$%^&*()_+-=[]{}|;':\",./<>?`~",
    "$100 + 200 = 300 <tag> ~~ || ^^",
    "ünïcödé naïve café Mädchen",
    "Привет, мир!",
    "日本語のテキスト",
    "中文分词测试。",
    "emoji 😀🎉 test 👨\u200d👩\u200d👧 family",
    "combining e\u0301 a\u0308 o\u0302\u0323",
    "nbsp\u00a0and\u2003em space\u3000ideographic",
    "ℕ ∑ ∞ ≠ √ ½ Ⅻ ② ¾",
    "mixed: abc123def 4five6",
    "The quick brown fox jumps over the lazy dog.",
    "quantization isn't the same as the reference's output",
    "x",
    "😀",
]

# 10,000 characters without a space (one pre-tokenizer word).
LONG_UNITS = [("quantize", 1250)]

GPT2_REGEX = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2_REGEX = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"


def byte_level_pre_tokenizer(split_regex):
    if split_regex is None:
        return pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    return pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(split_regex), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])


def train_bpe(split_regex):
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = byte_level_pre_tokenizer(split_regex)
    trainer = trainers.BpeTrainer(
        vocab_size=500,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    tok.train_from_iterator([TRAINING_TEXT] * 4, trainer=trainer)
    model = json.loads(tok.to_str())["model"]
    vocab = model["vocab"]
    tokens = [None] * len(vocab)
    for text, i in vocab.items():
        tokens[i] = text
    merges = [m if isinstance(m, str) else f"{m[0]} {m[1]}" for m in model["merges"]]
    return tokens, merges


def hf_tokenizer(tokens, merges, split_regex, ignore_merges):
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs, ignore_merges=ignore_merges))
    tok.pre_tokenizer = byte_level_pre_tokenizer(split_regex)
    tok.decoder = decoders.ByteLevel()
    return tok


def vectors(encode, long=True):
    out = [{"text": s, "ids": encode(s)} for s in TEST_STRINGS]
    for unit, count in (LONG_UNITS if long else []):
        out.append({"repeat": unit, "count": count, "ids": encode(unit * count)})
    return out


PRE_TYPES = {"gpt2": (None, False), "llama3": (LLAMA3_REGEX, True), "qwen2": (QWEN2_REGEX, False)}


def bpe_fixture(trained_with, names):
    """A vocabulary trained with one pre-tokenizer's split, and vectors for the given pre types."""
    tokens, merges = train_bpe(PRE_TYPES[trained_with][0])
    fixture = {"trained_with": trained_with, "tokens": tokens, "merges": merges, "vectors": {}}
    for name in names:
        regex, ignore = PRE_TYPES[name]
        tok = hf_tokenizer(tokens, merges, regex, ignore)
        fixture["vectors"][name] = vectors(lambda s: tok.encode(s, add_special_tokens=False).ids, long=name != "qwen2")
    return fixture


def spm_fixture():
    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write(TRAINING_TEXT * 4)
        prefix = os.path.join(tmp, "spm")
        spm.SentencePieceTrainer.train(
            input=corpus,
            model_prefix=prefix,
            model_type="bpe",
            vocab_size=420,
            byte_fallback=True,
            character_coverage=0.995,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            add_dummy_prefix=True,
            minloglevel=2,
        )
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    tokens, scores, types = [], [], []
    for i in range(sp.get_piece_size()):
        tokens.append(sp.id_to_piece(i))
        scores.append(sp.get_score(i))
        t = 1  # normal
        if sp.is_unknown(i):
            t = 2
        elif sp.is_control(i):
            t = 3
        elif sp.is_unused(i):
            t = 5
        elif sp.is_byte(i):
            t = 6
        types.append(t)
    fixture = {
        "tokens": tokens,
        "scores": scores,
        "token_types": types,
        "bos_id": sp.bos_id(),
        "eos_id": sp.eos_id(),
        "unk_id": sp.unk_id(),
        "vectors": vectors(lambda s: sp.encode(s)),
    }
    return fixture


def main():
    os.makedirs(OUT, exist_ok=True)
    fixtures = [
        ("bpe.json", bpe_fixture("gpt2", ["gpt2", "llama3", "qwen2"])),
        ("bpe-llama3.json", bpe_fixture("llama3", ["llama3", "qwen2"])),
        ("spm.json", spm_fixture()),
    ]
    for name, fixture in fixtures:
        path = os.path.join(OUT, name)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(fixture, f, ensure_ascii=False, separators=(",", ":"))
            f.write("\n")
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
