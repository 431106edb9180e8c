#!/usr/bin/env python3
"""Development only: writes Tests/QuantCoreTests/Fixtures/quantize/<type>.json, the bytes that
gguf-py (the PyPI package `gguf`, llama.cpp's numpy port of ggml's reference quantizers) produces
for fixed inputs, so QuantLab's quantizers can be checked byte for byte.

Run: python3 scripts/gen-quantize-fixtures.py   (needs `pip install gguf numpy`)
"""
import json
import os

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "QuantCoreTests", "Fixtures", "quantize")


def inputs():
    rng = np.random.default_rng(20261129)
    blocks = []
    for scale in (1e-3, 0.02, 1.0, 37.5):
        blocks.append(rng.standard_normal(32 * 4).astype(np.float32) * np.float32(scale))
    blocks.append(np.zeros(32, np.float32))                       # all zero: d = 0
    blocks.append(np.full(32, 0.5, np.float32))                   # constant block
    one = np.zeros(32, np.float32); one[7] = -3.0; blocks.append(one)  # a single value
    tie = rng.standard_normal(32).astype(np.float32); tie[3] = 4.0; tie[20] = -4.0; blocks.append(tie)  # first max wins
    steps = (np.arange(32, dtype=np.float32) - 16) / np.float32(2)  # exact half steps: rounding ties
    blocks.append(steps)
    heavy = rng.standard_t(2, 32 * 2).astype(np.float32)          # outliers
    blocks.append(heavy)
    return np.concatenate(blocks)


def main():
    os.makedirs(OUT, exist_ok=True)
    x = inputs()
    for name in ("Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1"):
        q = quants.quantize(x.reshape(-1, 32), T[name])
        fixture = {
            "type": name,
            "oracle": "gguf-py quants.quantize (numpy port of ggml quantize_row_*_ref)",
            "input_bits": [int(v) for v in x.view(np.uint32)],
            "bytes_hex": q.tobytes().hex(),
        }
        with open(os.path.join(OUT, name.lower() + ".json"), "w") as f:
            json.dump(fixture, f)
            f.write("\n")
        print(name, len(x), "values,", q.nbytes, "bytes")


if __name__ == "__main__":
    main()
