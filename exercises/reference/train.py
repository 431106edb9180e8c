#!/usr/bin/env python3
"""Train the QuantLab reference model (llama architecture, ~2.0 M parameters) with JAX on CPU.

Development-only (the engine itself is Swift).

Inputs:  build/train.txt (generate_data.py), tokenizer.json (train_tokenizer.py), eval.txt
Outputs: build/params.npz (final float32 weights, GGUF tensor names), train_log.txt

Training windows: 256 tokens = <|bos|> followed by 255 consecutive tokens of the training
stream (stories joined by a separator, see build_stream). Loss: next-token cross entropy at
every position of the window.
"""
import argparse
import math
import os
import random
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true")
import jax
import jax.numpy as jnp
import numpy as np
from tokenizers import Tokenizer

jax.config.update("jax_default_matmul_precision", "float32")

import model as M

HERE = os.path.dirname(os.path.abspath(__file__))
BOS, EOS = 0, 1
DATA_SEED = 1234   # separator choice and window order
INIT_SEED = 42     # parameter init


def load_tokenizer():
    return Tokenizer.from_file(os.path.join(HERE, "tokenizer.json"))


def read_stories(path):
    with open(path, encoding="utf-8") as f:
        return [b.strip("\n") for b in f.read().split("\n\n") if b.strip("\n")]


def build_stream(tok, stories, seed=DATA_SEED):
    """Join stories into one token stream.

    Between two stories the separator is <|eos|> (id 1) for half of the boundaries and the
    text "\\n\\n" (the blank line used in eval.txt / calibration.txt) for the other half,
    chosen by a seeded RNG, so the model learns both the end-of-story token used when
    generating and the blank-line layout of the committed text files.
    """
    rng = random.Random(seed)
    nl = tok.encode("\n\n").ids
    enc = tok.encode_batch(stories)
    out = []
    for i, e in enumerate(enc):
        if i:
            out.extend([EOS] if rng.random() < 0.5 else nl)
        out.extend(e.ids)
    return np.asarray(out, np.int32)


def eval_windows(tok, text, ctx):
    """llama-perplexity chunking: tokens = [BOS] + tokenize(text); full chunks of ctx tokens,
    first token of each chunk replaced by BOS."""
    ids = [BOS] + tok.encode(text).ids
    n = len(ids) // ctx
    w = np.asarray(ids[: n * ctx], np.int32).reshape(n, ctx)
    w[:, 0] = BOS
    return w


def make_windows(stream, ctx, offset):
    body = ctx - 1
    s = stream[offset:]
    n = len(s) // body
    w = s[: n * body].reshape(n, body)
    return np.concatenate([np.full((n, 1), BOS, np.int32), w], axis=1)


def loss_fn(params, batch):
    logits = M.forward(params, batch[:, :-1])
    logp = jax.nn.log_softmax(logits, axis=-1)
    tgt = batch[:, 1:]
    nll = -jnp.take_along_axis(logp, tgt[..., None], axis=-1)[..., 0]
    return jnp.mean(nll)


def full_window_nll(params, batch):
    """Per-position NLL for 256-token windows (predictions of tokens 1..255)."""
    logits = M.forward(params, batch)
    logp = jax.nn.log_softmax(logits[:, :-1], axis=-1)
    return -jnp.take_along_axis(logp, batch[:, 1:, None], axis=-1)[..., 0]


def lr_at(step, total, peak, warmup, final_frac=0.1):
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, total - warmup)
    return peak * (final_frac + (1 - final_frac) * 0.5 * (1 + math.cos(math.pi * t)))


def make_step(wd, b1=0.9, b2=0.95, eps=1e-8, clip=1.0):
    decay = lambda name: name.endswith("weight") and "norm" not in name

    @jax.jit
    def step(params, m, v, batch, lr, t):
        loss, g = jax.value_and_grad(loss_fn)(params, batch)
        gnorm = jnp.sqrt(sum(jnp.sum(x * x) for x in g.values()))
        scale = jnp.minimum(1.0, clip / (gnorm + 1e-6))
        new_p, new_m, new_v = {}, {}, {}
        for k in params:
            gk = g[k] * scale
            mk = b1 * m[k] + (1 - b1) * gk
            vk = b2 * v[k] + (1 - b2) * gk * gk
            mh = mk / (1 - b1 ** t)
            vh = vk / (1 - b2 ** t)
            upd = mh / (jnp.sqrt(vh) + eps)
            if decay(k):
                upd = upd + wd * params[k]
            new_p[k] = params[k] - lr * upd
            new_m[k], new_v[k] = mk, vk
        return new_p, new_m, new_v, loss, gnorm

    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=60)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--bench", type=int, default=0, help="only time N steps and exit")
    args = ap.parse_args()

    cfg = M.CONFIG
    ctx = cfg["ctx"]
    tok = load_tokenizer()
    t0 = time.time()
    stream = build_stream(tok, read_stories(os.path.join(HERE, "build", "train.txt")))
    ev = eval_windows(tok, open(os.path.join(HERE, "eval.txt"), encoding="utf-8").read(), ctx)
    ev = ev[:32]  # eval-loss monitor: first 32 llama-perplexity chunks, all positions
    print(f"stream tokens {len(stream)}, eval monitor windows {len(ev)}, tokenize {time.time()-t0:.1f}s",
          flush=True)

    params = M.init_params(INIT_SEED)
    print("parameters", M.n_params(params), flush=True)
    m = {k: jnp.zeros_like(a) for k, a in params.items()}
    v = {k: jnp.zeros_like(a) for k, a in params.items()}
    step_fn = make_step(args.wd)
    eval_fn = jax.jit(lambda p, b: jnp.mean(full_window_nll(p, b)))

    rng = np.random.default_rng(DATA_SEED)
    epoch, order, pos = 0, None, 0
    windows = None

    def next_batch():
        nonlocal epoch, order, pos, windows
        if windows is None or pos + args.batch > len(order):
            windows = make_windows(stream, ctx, offset=int(rng.integers(0, ctx - 1)) if epoch else 0)
            order = rng.permutation(len(windows))
            pos = 0
            epoch += 1
        b = windows[order[pos: pos + args.batch]]
        pos += args.batch
        return jnp.asarray(b)

    total = args.bench or args.steps
    log_path = os.path.join(HERE, "train_log.txt")
    log = None if args.bench else open(log_path, "w")
    if log:
        log.write(f"# QuantLab reference model training log\n# steps {total} batch {args.batch} "
                  f"ctx {ctx} peak_lr {args.lr} warmup {args.warmup} wd {args.wd} "
                  f"init_seed {INIT_SEED} data_seed {DATA_SEED}\n")
        log.write("# step  tokens_seen  train_loss(avg since last log)  eval_loss  lr  elapsed_s\n")
    start = time.time()
    acc, acc_n = 0.0, 0
    for s in range(total):
        lr = lr_at(s, total, args.lr, args.warmup)
        params, m, v, loss, gn = step_fn(params, m, v, next_batch(), jnp.float32(lr), jnp.float32(s + 1))
        if args.bench:
            loss = float(loss)
            if s == 1:
                t1 = time.time()
            if s >= 1:
                print(f"step {s} loss {loss:.3f} {time.time()-start:.1f}s", flush=True)
            continue
        acc += float(loss)
        acc_n += 1
        if (s + 1) % 10 == 0 or s == 0:
            print(f"step {s+1} loss {acc/acc_n:.4f} gnorm {float(gn):.2f} lr {lr:.2e} "
                  f"{time.time()-start:.0f}s", flush=True)
        if (s + 1) % args.eval_every == 0 or s == 0 or s + 1 == total:
            el = float(eval_fn(params, jnp.asarray(ev)))
            log.write(f"{s+1:6d} {(s+1)*args.batch*(ctx-1):10d} {acc/acc_n:.4f} {el:.4f} "
                      f"{lr:.3e} {time.time()-start:.0f}\n")
            log.flush()
            print(f"  eval loss {el:.4f}", flush=True)
            acc, acc_n = 0.0, 0
    if args.bench:
        n = total - 2
        print(f"steady state: {(time.time()-t1)/n:.3f} s/step over {n} steps", flush=True)
        return
    wall = time.time() - start
    log.write(f"# wall time {wall:.0f} s, tokens seen {total*args.batch*(ctx-1)} "
              f"(predicted positions {total*args.batch*(ctx-1)})\n")
    log.close()
    np.savez(os.path.join(HERE, "build", "params.npz"), **{k: np.asarray(a) for k, a in params.items()})
    print(f"done in {wall:.0f}s; saved build/params.npz", flush=True)


if __name__ == "__main__":
    main()
