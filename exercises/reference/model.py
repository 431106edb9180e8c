"""llama-architecture model in JAX, with exactly the forward semantics of llama.cpp's `llama` arch.

Development-only (the QuantLab engine itself is Swift).

Parameters are float32 arrays stored row-major [out, in]; y = W @ x.
RoPE is llama.cpp's GGML_ROPE_TYPE_NORM ("interleaved pairs" (2i, 2i+1)), so no q/k
permutation is needed when exporting to GGUF.
"""
import jax
import jax.numpy as jnp
import numpy as np

CONFIG = dict(
    vocab=1024,
    dim=192,
    n_layers=4,
    n_heads=6,
    n_kv_heads=2,
    head_dim=32,
    ffn=512,
    ctx=256,
    rope_base=10000.0,
    eps=1e-5,
)


def init_params(seed, cfg=CONFIG):
    rng = np.random.default_rng(seed)
    d, f, v = cfg["dim"], cfg["ffn"], cfg["vocab"]
    hd, nh, nkv, L = cfg["head_dim"], cfg["n_heads"], cfg["n_kv_heads"], cfg["n_layers"]
    std = 0.02
    proj_std = std / np.sqrt(2 * L)

    def w(shape, s=std):
        return (rng.standard_normal(shape) * s).astype(np.float32)

    p = {"token_embd.weight": w((v, d)), "output_norm.weight": np.ones((d,), np.float32),
         "output.weight": w((v, d))}
    for i in range(L):
        b = f"blk.{i}."
        p[b + "attn_norm.weight"] = np.ones((d,), np.float32)
        p[b + "attn_q.weight"] = w((nh * hd, d))
        p[b + "attn_k.weight"] = w((nkv * hd, d))
        p[b + "attn_v.weight"] = w((nkv * hd, d))
        p[b + "attn_output.weight"] = w((d, nh * hd), proj_std)
        p[b + "ffn_norm.weight"] = np.ones((d,), np.float32)
        p[b + "ffn_gate.weight"] = w((f, d))
        p[b + "ffn_up.weight"] = w((f, d))
        p[b + "ffn_down.weight"] = w((d, f), proj_std)
    return {k: jnp.asarray(a) for k, a in p.items()}


def rmsnorm(x, w, eps):
    return x * jax.lax.rsqrt(jnp.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_tables(T, hd, base):
    i = np.arange(hd // 2, dtype=np.float64)
    inv = base ** (-2.0 * i / hd)
    ang = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]  # (T, hd/2)
    return jnp.asarray(np.cos(ang), jnp.float32), jnp.asarray(np.sin(ang), jnp.float32)


def apply_rope(x, cos, sin):
    # x: (B, T, H, hd); pairs (2i, 2i+1)
    x0 = x[..., 0::2]
    x1 = x[..., 1::2]
    c = cos[None, :, None, :]
    s = sin[None, :, None, :]
    y0 = x0 * c - x1 * s
    y1 = x0 * s + x1 * c
    return jnp.stack([y0, y1], axis=-1).reshape(x.shape)


def forward(params, tokens, cfg=CONFIG):
    """tokens: int32 (B, T) -> logits float32 (B, T, vocab)."""
    B, T = tokens.shape
    d, hd, nh, nkv = cfg["dim"], cfg["head_dim"], cfg["n_heads"], cfg["n_kv_heads"]
    eps = cfg["eps"]
    cos, sin = rope_tables(T, hd, cfg["rope_base"])
    mask = jnp.tril(jnp.ones((T, T), bool))
    x = params["token_embd.weight"][tokens]
    for i in range(cfg["n_layers"]):
        b = f"blk.{i}."
        n = rmsnorm(x, params[b + "attn_norm.weight"], eps)
        q = (n @ params[b + "attn_q.weight"].T).reshape(B, T, nh, hd)
        k = (n @ params[b + "attn_k.weight"].T).reshape(B, T, nkv, hd)
        v = (n @ params[b + "attn_v.weight"].T).reshape(B, T, nkv, hd)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        rep = nh // nkv
        k = jnp.repeat(k, rep, axis=2)  # query head h uses kv head h // rep
        v = jnp.repeat(v, rep, axis=2)
        s = jnp.einsum("bqhd,bkhd->bhqk", q, k) / np.float32(np.sqrt(hd))
        s = jnp.where(mask[None, None], s, -jnp.inf)
        a = jax.nn.softmax(s, axis=-1)
        o = jnp.einsum("bhqk,bkhd->bqhd", a, v).reshape(B, T, nh * hd)
        h = x + o @ params[b + "attn_output.weight"].T
        n = rmsnorm(h, params[b + "ffn_norm.weight"], eps)
        g = n @ params[b + "ffn_gate.weight"].T
        u = n @ params[b + "ffn_up.weight"].T
        x = h + (jax.nn.silu(g) * u) @ params[b + "ffn_down.weight"].T
    x = rmsnorm(x, params["output_norm.weight"], eps)
    return x @ params["output.weight"].T


def n_params(params):
    return int(sum(np.prod(a.shape) for a in params.values()))
