#!/usr/bin/env python3
"""Evaluate the exported GGUF with the pure-numpy forward from reference_logits.py.

Development-only (the engine itself is Swift). Prints (and writes build/eval_results.json):
  * perplexity on eval.txt computed the llama-perplexity way: tokens = [BOS] + tokenize(text),
    full chunks of 256 tokens, first token of each chunk replaced by BOS, and in each chunk
    only the second half is scored: the logits at positions 128..254 predict tokens 129..255
    (llama.cpp's perplexity: first = n_ctx/2, n_ctx - 1 - first scored tokens per chunk).
    The variant that also scores token 128 (from position 127) is printed as well.
  * a unigram baseline on exactly the same scored tokens (add-one smoothed unigram counts
    of the training token stream, as built by train.py);
  * greedy continuations of a few prompts (BOS + prompt, up to 48 new tokens or <|eos|>).
"""
import hashlib
import json
import os

import numpy as np
from tokenizers import Tokenizer

import train  # only for the training-stream definition used by the unigram baseline
from reference_logits import GGUF_PATH, GGUFModel, log_softmax

HERE = os.path.dirname(os.path.abspath(__file__))
PROMPTS = ["Once upon a time", "Tom had a red", "The little cat"]


def main():
    tok = Tokenizer.from_file(os.path.join(HERE, "tokenizer.json"))
    m = GGUFModel(GGUF_PATH)
    ctx = m.ctx
    text = open(os.path.join(HERE, "eval.txt"), encoding="utf-8").read()
    ids = [0] + tok.encode(text, add_special_tokens=False).ids
    n_chunks = len(ids) // ctx
    first = ctx // 2

    stream = train.build_stream(tok, train.read_stories(os.path.join(HERE, "build", "train.txt")))
    counts = np.bincount(stream, minlength=1024).astype(np.float64) + 1.0
    uni_lp = np.log(counts / counts.sum())

    nll, nll_alt, uni = [], [], []
    for c in range(n_chunks):
        chunk = ids[c * ctx:(c + 1) * ctx]
        chunk[0] = 0
        lp = log_softmax(m.logits(chunk))
        for pos in range(first - 1, ctx - 1):
            v = -lp[pos, chunk[pos + 1]]
            nll_alt.append(v)
            if pos >= first:
                nll.append(v)
                uni.append(-uni_lp[chunk[pos + 1]])
    res = {
        "eval_text_tokens": len(ids) - 1,
        "chunks": n_chunks,
        "scored_tokens": len(nll),
        "ppl": float(np.exp(np.mean(nll))),
        "mean_nll": float(np.mean(nll)),
        "ppl_including_token_128": float(np.exp(np.mean(nll_alt))),
        "unigram_ppl": float(np.exp(np.mean(uni))),
        "train_stream_tokens": int(len(stream)),
    }

    samples = {}
    for p in PROMPTS:
        seq = [0] + tok.encode(p, add_special_tokens=False).ids
        start = len(seq)
        for _ in range(48):
            nxt = int(np.argmax(m.logits(seq[-ctx:])[-1]))
            if nxt == 1:
                break
            seq.append(nxt)
        samples[p] = p + tok.decode(seq[start:])
    res["greedy"] = samples

    data = open(GGUF_PATH, "rb").read()
    res["gguf_bytes"] = len(data)
    res["gguf_sha256"] = hashlib.sha256(data).hexdigest()
    for f in ("calibration.txt", "eval.txt"):
        res[f + "_tokens"] = len(tok.encode(open(os.path.join(HERE, f), encoding="utf-8").read()).ids)
    with open(os.path.join(HERE, "build", "eval_results.json"), "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
