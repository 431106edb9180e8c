#!/usr/bin/env python3
"""Export build/params.npz + tokenizer.json to storyteller-2m-f32.gguf (arch "llama", all F32).

Development-only (the engine itself is Swift). After writing, the file is read back with
gguf.GGUFReader and every tensor and metadata value is checked.
"""
import json
import os
import sys

import gguf
import numpy as np

import model as M

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "storyteller-2m-f32.gguf")
NAME = "QuantLab Storyteller 2M"
# llama.cpp's name for the GPT-2 pre-tokenizer regex is "gpt-2" (convert_hf_to_gguf.py writes
# it; llama.cpp refuses to load a file whose tokenizer.ggml.pre is "gpt2": "unknown pre-tokenizer
# type"). QuantLab's Swift tokenizer accepts both spellings.
PRE = "gpt-2"


def tensor_shapes(cfg=M.CONFIG):
    d, f, v = cfg["dim"], cfg["ffn"], cfg["vocab"]
    kv = cfg["n_kv_heads"] * cfg["head_dim"]
    shapes = {"token_embd.weight": (v, d)}
    for i in range(cfg["n_layers"]):
        b = f"blk.{i}."
        shapes.update({
            b + "attn_norm.weight": (d,), b + "attn_q.weight": (d, d), b + "attn_k.weight": (kv, d),
            b + "attn_v.weight": (kv, d), b + "attn_output.weight": (d, d), b + "ffn_norm.weight": (d,),
            b + "ffn_gate.weight": (f, d), b + "ffn_up.weight": (f, d), b + "ffn_down.weight": (d, f),
        })
    shapes["output_norm.weight"] = (d,)
    shapes["output.weight"] = (v, d)
    return shapes


def tokenizer_metadata():
    tj = json.load(open(os.path.join(HERE, "tokenizer.json"), encoding="utf-8"))
    vocab = tj["model"]["vocab"]
    specials = {t["id"]: t["content"] for t in tj["added_tokens"]}
    n = M.CONFIG["vocab"]
    tokens = [None] * n
    for s, i in vocab.items():
        tokens[i] = s
    for i, s in specials.items():
        tokens[i] = s
    assert all(t is not None for t in tokens), "vocab ids are not dense"
    types = [3 if i in specials else 1 for i in range(n)]
    merges = [m if isinstance(m, str) else f"{m[0]} {m[1]}" for m in tj["model"]["merges"]]
    return tokens, types, merges


def main():
    cfg = M.CONFIG
    params = dict(np.load(os.path.join(HERE, "build", "params.npz")))
    shapes = tensor_shapes()
    assert set(params) == set(shapes), set(params) ^ set(shapes)
    tokens, types, merges = tokenizer_metadata()
    assert tokens[0] == "<|bos|>" and tokens[1] == "<|eos|>"

    w = gguf.GGUFWriter(OUT, "llama")
    w.add_name(NAME)
    w.add_file_type(0)  # LLAMA_FTYPE_ALL_F32
    w.add_context_length(cfg["ctx"])
    w.add_embedding_length(cfg["dim"])
    w.add_block_count(cfg["n_layers"])
    w.add_feed_forward_length(cfg["ffn"])
    w.add_head_count(cfg["n_heads"])
    w.add_head_count_kv(cfg["n_kv_heads"])
    w.add_rope_freq_base(cfg["rope_base"])
    w.add_rope_dimension_count(cfg["head_dim"])
    w.add_layer_norm_rms_eps(cfg["eps"])
    w.add_vocab_size(cfg["vocab"])
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(PRE)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(0)
    w.add_eos_token_id(1)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    for name, shape in shapes.items():  # fixed, llama.cpp-like order
        a = np.ascontiguousarray(params[name], dtype=np.float32)
        assert a.shape == shape, (name, a.shape, shape)
        w.add_tensor(name, a)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # ---- read back and verify ----
    r = gguf.GGUFReader(OUT)

    def val(key):
        f = r.get_field(key)
        assert f is not None, key
        return f.contents()

    expect = {
        "general.architecture": "llama", "general.name": NAME, "general.file_type": 0,
        "llama.context_length": 256, "llama.embedding_length": 192, "llama.block_count": 4,
        "llama.feed_forward_length": 512, "llama.attention.head_count": 6,
        "llama.attention.head_count_kv": 2, "llama.rope.freq_base": 10000.0,
        "llama.rope.dimension_count": 32, "llama.vocab_size": 1024,
        "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": PRE,
        "tokenizer.ggml.bos_token_id": 0, "tokenizer.ggml.eos_token_id": 1,
        "tokenizer.ggml.add_bos_token": True, "tokenizer.ggml.add_eos_token": False,
    }
    for k, e in expect.items():
        got = val(k)
        assert got == e, (k, got, e)
    assert abs(val("llama.attention.layer_norm_rms_epsilon") - 1e-5) < 1e-12
    assert val("tokenizer.ggml.tokens") == tokens
    assert val("tokenizer.ggml.token_type") == types
    assert val("tokenizer.ggml.merges") == merges
    got_names = [t.name for t in r.tensors]
    assert got_names == list(shapes), got_names
    for t in r.tensors:
        assert t.tensor_type == gguf.GGMLQuantizationType.F32, t.name
        assert tuple(int(x) for x in t.shape) == tuple(reversed(shapes[t.name])), (t.name, t.shape)
        data = np.asarray(t.data).reshape(shapes[t.name])
        assert np.array_equal(data, params[t.name]), t.name
    size = os.path.getsize(OUT)
    print(f"wrote {OUT}: {size} bytes, {len(r.tensors)} tensors, "
          f"{sum(int(np.prod(s)) for s in shapes.values())} parameters; readback OK")
    keys = [f.name for f in r.fields.values()]
    print("metadata keys:", ", ".join(k for k in keys if not k.startswith("GGUF.")))


if __name__ == "__main__":
    sys.exit(main())
