#!/usr/bin/env python3
"""Write Tests/QuantCoreTests/Fixtures/reference-tokens.json: tokenizer test vectors from the
HF tokenizer (tokenizer.json), encoded WITHOUT any added special tokens.

Development-only (the engine itself is Swift).
"""
import json
import os

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, "Tests", "QuantCoreTests", "Fixtures", "reference-tokens.json")


def main():
    tok = Tokenizer.from_file(os.path.join(HERE, "tokenizer.json"))
    paras = open(os.path.join(HERE, "eval.txt"), encoding="utf-8").read().split("\n\n")
    texts = [
        paras[0],
        paras[1],
        paras[0] + "\n\n" + paras[1][:120],
        "Once upon a time",
        "Tom had a red",
        "The little cat",
        "don't, I'll, she's, we've, they're, I'd, I'm",
        "DON'T SHOUT! It's Tom's ball, isn't it?",
        "a  b\n\n  c\t d   ",
        "\n",
        "\n\n\n",
        "\t\ttabs\tand  spaces   ",
        "In 1999 there were 12345 cats",
        "3.14159 and 1,000,000 and 007 and 12:30",
        "Hello!!! ...?",
        "Wait... what?! (yes) [no] {maybe} <ok> \"quoted\" 'single'",
        "café naïve 日本語 emoji 🙂 Ünïcödé",
        "Ελληνικά и русский текст, עברית, العربية",
        "trailing space ",
        "",
        " ",
        "   ",
        "x",
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        "Lily said, \"Can I play with the ball?\" \"Yes!\" said Ben.",
        "ALL CAPS STORY ABOUT A DOG NAMED SPOT",
        "mIxEd CaSe wOrDs and under_scores, e-mail@example.com, http://x.y/z?a=1&b=2",
        "tabs\tin\tthe\tmiddle\nnew\r\nlines\rand\u00a0nbsp",
        "The 3 little pigs had 2 houses and 10 bricks.",
        "a1b2c3 99bottles $5.00 #tag @user 50% ~tilde `code` ^caret |pipe| \\back/slash",
        "🙂🙂 🐱🐶 👍🏽 e\u0301 (combining accent)",
    ]
    out = []
    for t in texts:
        enc = tok.encode(t, add_special_tokens=False)
        assert tok.decode(enc.ids) == t, (t, tok.decode(enc.ids))
        out.append({"text": t, "ids": enc.ids})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(out)} cases, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
