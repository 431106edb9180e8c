#!/usr/bin/env python3
"""Train the byte-level BPE tokenizer (vocab 1024) for the QuantLab reference model.

Development-only (the engine itself is Swift). Reads build/train.txt (see generate_data.py)
and writes tokenizer.json next to this script. Each story is fed with its trailing blank
line ("\n\n"), the separator used in eval.txt / calibration.txt.

Pre-tokenisation is ByteLevel(add_prefix_space=False, use_regex=True), i.e. exactly the
GPT-2 regex split that llama.cpp uses for tokenizer.ggml.pre = "gpt2". Special tokens:
<|bos|> = 0, <|eos|> = 1. All 256 byte symbols are in the initial alphabet.
"""
import os

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB_SIZE = 1024
SPECIALS = ["<|bos|>", "<|eos|>"]


def build_tokenizer():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    return tok


def main():
    tok = build_tokenizer()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        min_frequency=2,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    path = os.path.join(HERE, "build", "train.txt")

    def stories():
        with open(path, encoding="utf-8") as f:
            for block in f.read().split("\n\n"):
                block = block.strip("\n")
                if block:
                    # Keep the blank-line separator so that "\n\n" (as in the committed
                    # eval/calibration files) gets its own merge.
                    yield block + "\n\n"

    tok.train_from_iterator(stories(), trainer=trainer)
    assert tok.token_to_id("<|bos|>") == 0 and tok.token_to_id("<|eos|>") == 1
    assert tok.get_vocab_size() == VOCAB_SIZE, tok.get_vocab_size()
    out = os.path.join(HERE, "tokenizer.json")
    tok.save(out)
    print("wrote", out, "vocab", tok.get_vocab_size())


if __name__ == "__main__":
    main()
