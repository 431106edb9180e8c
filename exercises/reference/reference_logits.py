#!/usr/bin/env python3
"""Pure-numpy forward pass of the exported GGUF, independent of the training code.

Development-only (the engine itself is Swift). Writes
Tests/QuantCoreTests/Fixtures/reference-logits.json: the first 32 tokens of eval.txt as the
engine sees them (BOS = 0 followed by the first 31 text tokens), the full logits at positions
0, 1, 15 and 31 (6 significant digits), and the mean NLL of the 31 next-token predictions
inside those 32 tokens. Then checks that this numpy forward matches the JAX training model
(build/params.npz) to max |diff| < 1e-4.
"""
import json
import os
import sys

import gguf
import numpy as np
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
GGUF_PATH = os.path.join(HERE, "storyteller-2m-f32.gguf")
FIXTURE = os.path.join(ROOT, "Tests", "QuantCoreTests", "Fixtures", "reference-logits.json")


class GGUFModel:
    """llama forward in float32 numpy, reading everything it needs from the GGUF file."""

    def __init__(self, path):
        r = gguf.GGUFReader(path)
        f = lambda k: r.get_field(k).contents()
        assert f("general.architecture") == "llama"
        self.dim = f("llama.embedding_length")
        self.n_layers = f("llama.block_count")
        self.n_heads = f("llama.attention.head_count")
        self.n_kv = f("llama.attention.head_count_kv")
        self.eps = np.float32(f("llama.attention.layer_norm_rms_epsilon"))
        self.base = f("llama.rope.freq_base")
        self.n_rot = f("llama.rope.dimension_count")
        self.ctx = f("llama.context_length")
        self.hd = self.dim // self.n_heads
        self.w = {}
        for t in r.tensors:
            ne = [int(x) for x in t.shape]          # ggml order: ne[0] = innermost (input) dim
            self.w[t.name] = np.asarray(t.data, dtype=np.float32).reshape(list(reversed(ne)))

    def rmsnorm(self, x, w):
        return (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + self.eps)) * w

    def rope(self, x):
        # x: (T, H, hd). GGML_ROPE_TYPE_NORM: rotate adjacent pairs (2i, 2i+1).
        T = x.shape[0]
        i = np.arange(self.n_rot // 2, dtype=np.float64)
        ang = np.arange(T, dtype=np.float64)[:, None] * self.base ** (-2.0 * i / self.n_rot)
        c = np.cos(ang).astype(np.float32)[:, None, :]
        s = np.sin(ang).astype(np.float32)[:, None, :]
        x0, x1 = x[..., 0:self.n_rot:2], x[..., 1:self.n_rot:2]
        y = x.copy()
        y[..., 0:self.n_rot:2] = x0 * c - x1 * s
        y[..., 1:self.n_rot:2] = x0 * s + x1 * c
        return y

    def logits(self, tokens):
        """tokens: list of ids (len <= ctx) -> (T, vocab) float32 logits."""
        T = len(tokens)
        W = self.w
        x = W["token_embd.weight"][np.asarray(tokens)]
        mask = np.triu(np.ones((T, T), bool), k=1)
        group = self.n_heads // self.n_kv
        for l in range(self.n_layers):
            b = f"blk.{l}."
            n = self.rmsnorm(x, W[b + "attn_norm.weight"])
            q = self.rope((n @ W[b + "attn_q.weight"].T).reshape(T, self.n_heads, self.hd))
            k = self.rope((n @ W[b + "attn_k.weight"].T).reshape(T, self.n_kv, self.hd))
            v = (n @ W[b + "attn_v.weight"].T).reshape(T, self.n_kv, self.hd)
            out = np.empty((T, self.n_heads, self.hd), np.float32)
            for h in range(self.n_heads):
                kh, vh = k[:, h // group], v[:, h // group]
                s = (q[:, h] @ kh.T) / np.float32(np.sqrt(self.hd))
                s[mask] = -np.inf
                s = s - s.max(axis=-1, keepdims=True)
                p = np.exp(s)
                p /= p.sum(axis=-1, keepdims=True)
                out[:, h] = p @ vh
            hres = x + out.reshape(T, self.dim) @ W[b + "attn_output.weight"].T
            n = self.rmsnorm(hres, W[b + "ffn_norm.weight"])
            g = n @ W[b + "ffn_gate.weight"].T
            u = n @ W[b + "ffn_up.weight"].T
            x = hres + ((g / (1 + np.exp(-g))) * u) @ W[b + "ffn_down.weight"].T
        x = self.rmsnorm(x, W["output_norm.weight"])
        return (x @ W["output.weight"].T).astype(np.float32)


def log_softmax(z):
    z = z.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def sig6(x):
    return float(f"{float(x):.6g}")


def main():
    tok = Tokenizer.from_file(os.path.join(HERE, "tokenizer.json"))
    text = open(os.path.join(HERE, "eval.txt"), encoding="utf-8").read()
    ids = [0] + tok.encode(text, add_special_tokens=False).ids[:31]
    assert len(ids) == 32
    m = GGUFModel(GGUF_PATH)
    lg = m.logits(ids)
    lp = log_softmax(lg)
    nll = -np.array([lp[i, ids[i + 1]] for i in range(31)])
    positions = [0, 1, 15, 31]
    fixture = {
        "model": "exercises/reference/storyteller-2m-f32.gguf",
        "description": "First 32 tokens of exercises/reference/eval.txt as the engine evaluates them: "
                       "BOS (id 0) followed by the first 31 tokens of the text (no other special tokens). "
                       "logits[i] is the full 1024-entry logit vector at position i (0-based), rounded to "
                       "6 significant digits. mean_nll is the mean over the 31 next-token predictions "
                       "(positions 0..30 predicting tokens 1..31), natural log.",
        "tokens": ids,
        "text_prefix": tok.decode(ids[1:]),
        "positions": positions,
        "logits": {str(p): [sig6(v) for v in lg[p]] for p in positions},
        "argmax": {str(p): int(np.argmax(lg[p])) for p in positions},
        "mean_nll": round(float(nll.mean()), 6),
        "tolerance_hint": "float32 engines should match within ~1e-3 absolute",
    }
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w", encoding="utf-8") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {FIXTURE} ({os.path.getsize(FIXTURE)} bytes); mean NLL {nll.mean():.6f}")

    # ---- cross-check against the JAX training model ----
    sys.path.insert(0, HERE)
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_default_matmul_precision", "float32")
    import model as M
    params = {k: jnp.asarray(v) for k, v in np.load(os.path.join(HERE, "build", "params.npz")).items()}
    full = [0] + tok.encode(text, add_special_tokens=False).ids[:255]
    worst = 0.0
    for seq in (ids, full):
        a = np.asarray(M.forward(params, jnp.asarray([seq], jnp.int32)))[0]
        b = m.logits(seq)
        d = float(np.max(np.abs(a - b)))
        worst = max(worst, d)
        print(f"numpy(GGUF) vs JAX, {len(seq)} tokens: max |diff| = {d:.3e}")
    assert worst < 1e-4, worst
    print("match OK")


if __name__ == "__main__":
    main()
