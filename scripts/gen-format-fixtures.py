#!/usr/bin/env python3
"""Generates the tensor-format fixtures in Tests/QuantCoreTests/Fixtures/formats/.

Development-only. The oracle is llama.cpp's gguf-py (PyPI package `gguf`, whose
gguf/quants.py is a numpy port of ggml's dequantize_row_* functions):

    pip install gguf numpy
    python3 scripts/gen-format-fixtures.py

For every tensor type it builds a few deterministic blocks (seeded random bytes with the
scale fields set to finite values, plus, where gguf-py can quantize, real floats run
through gguf.quants.quantize), dequantizes them with gguf.quants.dequantize and writes
<TYPE>.json: the raw bytes as hex and the expected floats as their uint32 bit patterns,
so the Swift tests compare bit for bit.

gguf-py has no Q8_1 or Q8_K class (and its GGML_QUANT_SIZES still says 40 bytes for
Q8_1, where ggml's block_q8_1 is 36). Those two are dequantized here by a direct numpy
port of ggml (Q8_1: qs[j]*d, as Q8_0; Q8_K: d*qs[j] with a float32 d) and the fixture's
"oracle" field says so.

Also writes half.json: F16 <-> F32 and BF16 <-> F32 conversion vectors.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from importlib.metadata import version

import numpy as np

import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "QuantCoreTests", "Fixtures", "formats")

GGUF_VERSION = version("gguf")

# ggml's sizes (ggml-common.h block structs): (block size, bytes per block).
GGML_SIZES = {
    "F32": (1, 4), "F16": (1, 2), "BF16": (1, 2),
    "Q4_0": (32, 18), "Q4_1": (32, 20), "Q5_0": (32, 22), "Q5_1": (32, 24),
    "Q8_0": (32, 34), "Q8_1": (32, 36),
    "Q2_K": (256, 84), "Q3_K": (256, 110), "Q4_K": (256, 144),
    "Q5_K": (256, 176), "Q6_K": (256, 210), "Q8_K": (256, 292),
    "IQ4_NL": (32, 18),
}

# Byte offsets of the fp16 scale fields in each block (ggml-common.h).
HALF_FIELDS = {
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2],
    "Q8_0": [0], "Q8_1": [0, 2],
    "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
    "IQ4_NL": [0],
}


def f16_bits(x: float) -> int:
    return int(np.array([x], dtype=np.float16).view(np.uint16)[0])


def random_blocks(rng: np.random.Generator, name: str, n: int, scales: list[float] | None = None) -> np.ndarray:
    """n blocks of random bytes whose fp16 (Q8_K: fp32) scale fields hold finite values."""
    _, size = GGML_SIZES[name]
    b = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
    for i in range(n):
        if name == "Q8_K":
            d = float(np.float32(scales[i] if scales else rng.uniform(-0.05, 0.05)))
            b[i, 0:4] = np.frombuffer(struct.pack("<f", d), dtype=np.uint8)
            continue
        for k, off in enumerate(HALF_FIELDS[name]):
            if scales is not None:
                v = scales[(i + k) % len(scales)]
            else:
                v = float(rng.uniform(-0.1, 0.1)) * (10.0 ** int(rng.integers(-3, 2)))
            h = f16_bits(v)
            b[i, off] = h & 0xFF
            b[i, off + 1] = h >> 8
    return b


def reference_dequantize(name: str, blocks: np.ndarray) -> tuple[np.ndarray, str]:
    """Dequantizes with gguf-py, or with a numpy port of ggml where gguf-py has none."""
    if name == "Q8_1":
        d = blocks[:, 0:2].copy().view(np.float16).astype(np.float32)
        qs = blocks[:, 4:36].copy().view(np.int8).astype(np.float32)
        return (qs * d).reshape(-1), "numpy port of ggml (gguf-py has no Q8_1): y[j] = qs[j]*d"
    if name == "Q8_K":
        d = blocks[:, 0:4].copy().view(np.float32)
        qs = blocks[:, 4:260].copy().view(np.int8).astype(np.float32)
        return (d * qs).reshape(-1), "numpy port of ggml (gguf-py has no Q8_K): y[j] = d*qs[j]"
    qtype = T[name]
    out = dequantize(blocks.reshape(-1), qtype)
    return np.asarray(out, dtype=np.float32).reshape(-1), f"gguf {GGUF_VERSION} gguf.quants.dequantize"


def case(name: str, label: str, blocks: np.ndarray) -> tuple[dict, str]:
    values, oracle = reference_dequantize(name, np.ascontiguousarray(blocks, dtype=np.uint8))
    bs, size = GGML_SIZES[name]
    assert values.size == blocks.shape[0] * bs
    assert blocks.size == blocks.shape[0] * size
    assert np.all(np.isfinite(values)) or name in ("F32", "F16", "BF16"), (name, label)
    return {
        "name": label,
        "elements": int(values.size),
        "hex": blocks.tobytes().hex(),
        "expected": [int(v) for v in values.view(np.uint32)],
    }, oracle


def float_cases(name: str, rng: np.random.Generator) -> list[tuple[dict, str]]:
    """F32 / F16 / BF16: the raw values are the blocks."""
    specials32 = np.array([0.0, -0.0, 1.0, -2.5, np.inf, -np.inf, 1e-45, -1e-40, 3.4028235e38, 65504.0, 6e-8],
                          dtype=np.float32)
    if name == "F32":
        vals = np.concatenate([specials32, rng.standard_normal(53).astype(np.float32)])
        return [case(name, "specials+normal", vals.view(np.uint8).reshape(-1, 4))]
    if name == "F16":
        bits = np.array([0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF, 0xFBFF,
                         0x7C00, 0xFC00, 0x3555, 0x8001], dtype=np.uint16)
        vals = np.concatenate([bits, rng.integers(0, 0x7C00, 51, dtype=np.uint16) | (rng.integers(0, 2, 51, dtype=np.uint16) << 15)])
        return [case(name, "specials+random", vals.view(np.uint8).reshape(-1, 2))]
    bits = np.array([0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x7F7F, 0xFF7F, 0x7F80, 0xFF80],
                    dtype=np.uint16)
    vals = np.concatenate([bits, rng.integers(0, 0x7F80, 53, dtype=np.uint16) | (rng.integers(0, 2, 53, dtype=np.uint16) << 15)])
    return [case(name, "specials+random", vals.view(np.uint8).reshape(-1, 2))]


def block_cases(name: str, rng: np.random.Generator) -> list[tuple[dict, str]]:
    bs, _ = GGML_SIZES[name]
    k_quant = bs == 256
    out = []
    out.append(case(name, "random", random_blocks(rng, name, 2 if k_quant else 6)))
    # edge scales: zero, negative zero, subnormal, largish, tiny normal
    edge = [0.0, -0.0, 6e-8, -3e-6, 40.0, -1.5, 6.1035e-05, 0.25]
    if name == "Q8_K":
        edge = [0.0, -0.0, 1e-40, -3e-6, 40.0, -1.5, 6.1035e-05, 0.25]
    out.append(case(name, "edge-scales", random_blocks(rng, name, 4 if k_quant else 8, scales=edge)))
    qtype = T[name]
    try:
        x = (rng.standard_normal(bs * (1 if k_quant else 4)) * 0.7).astype(np.float32)
        q = quantize(x.reshape(1, -1), qtype)
        out.append(case(name, "quantized-normal", np.asarray(q, dtype=np.uint8).reshape(-1, GGML_SIZES[name][1])))
    except NotImplementedError:
        pass
    return out


# ---------------------------------------------------------------- F16 / BF16 conversions

def f32_to_f16_ref(bits: int) -> int:
    """F32 -> F16 as ggml-base's ggml_compute_fp32_to_fp16 (ggml-impl.h; what ggml_fp32_to_fp16_row and
    so llama-quantize's F16 files use): round to nearest even (numpy), every NaN 0x7E00 with its sign."""
    sign = (bits >> 16) & 0x8000
    a = bits & 0x7FFFFFFF
    if a > 0x7F800000:
        return sign | 0x7E00
    with np.errstate(over="ignore"):
        h = int(np.array([np.uint32(bits)], dtype=np.uint32).view(np.float32).astype(np.float16).view(np.uint16)[0])
    return h


def f32_to_bf16_ggml(bits: int) -> int:
    """ggml_compute_fp32_to_bf16."""
    if (bits & 0x7FFFFFFF) > 0x7F800000:
        return ((bits >> 16) | 64) & 0xFFFF
    return ((bits + (0x7FFF + ((bits >> 16) & 1))) >> 16) & 0xFFFF


def half_vectors(rng: np.random.Generator) -> dict:
    f32 = [
        0x00000000, 0x80000000, 0x3F800000, 0xBF800000,  # +-0, +-1
        0x7F800000, 0xFF800000,  # +-inf
        0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000, 0x7FFFFFFF, 0xFF812345,  # NaNs (quiet, signaling, payloads)
        0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x47800000, 0x7F7FFFFF,  # around 65504 / overflow
        0x38800000, 0x387FFFFF, 0x387FE000, 0x387FF000,  # smallest normal and just below
        0x33800000, 0x33000000, 0x33000001, 0x32FFFFFF, 0x33C00000, 0x33A00000,  # smallest subnormal, half of it
        0x00000001, 0x80000001, 0x007FFFFF,  # f32 subnormals -> 0
        0x3F801000, 0x3F803000, 0x3F801001, 0x3F802FFF,  # ties to even and around them
        0x35000000, 0x35001000, 0x35002000, 0x35003000,  # subnormal ties
        0x3DCCCCCD, 0xC0490FDB, 0x42F6E979,
    ]
    f32 += [int(v) for v in rng.integers(0, 2**32, 200, dtype=np.uint64)]
    f32 += [int(v) for v in (np.frombuffer(rng.standard_normal(100).astype(np.float32).tobytes(), dtype=np.uint32))]
    f32_to_f16 = [[b, f32_to_f16_ref(b)] for b in f32]

    # BF16: the ggml function, checked against gguf-py's BF16 quantize (its port of it).
    arr = np.array(f32, dtype=np.uint32)
    gg = quantize(arr.view(np.float32).reshape(1, -1), T.BF16).reshape(-1).view(np.uint16)
    for b, g in zip(f32, gg):
        assert f32_to_bf16_ggml(b) == int(g), hex(b)
    bf_extra = [0x3F808000, 0x3F818000, 0x3F808001, 0x3F817FFF, 0x7F7F8000, 0x7F7F7FFF, 0x00008000, 0x00018000]
    f32_to_bf16 = [[b, f32_to_bf16_ggml(b)] for b in f32 + bf_extra]

    f16 = [0x0000, 0x8000, 0x0001, 0x8001, 0x0200, 0x03FF, 0x0400, 0x3C00, 0x3C01, 0x7BFF, 0xFBFF,
           0x7C00, 0xFC00, 0x7C01, 0x7E00, 0xFE00, 0x7FFF, 0x7D55]
    f16 += [int(v) for v in rng.integers(0, 2**16, 100, dtype=np.uint32)]
    f16a = np.array(f16, dtype=np.uint16)
    # numpy, with a NaN quieted as ggml_compute_fp16_to_fp32 (a float multiply) and F16C give it.
    f16_to_f32 = [[int(h), int(v) | (0x00400000 if (h & 0x7C00) == 0x7C00 and (h & 0x3FF) else 0)]
                  for h, v in zip(f16, f16a.view(np.float16).astype(np.float32).view(np.uint32))]
    bf16 = [0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0, 0x7F81, 0xFFFF]
    bf16 += [int(v) for v in rng.integers(0, 2**16, 50, dtype=np.uint32)]
    bfa = np.array(bf16, dtype=np.uint16)
    bf_out = dequantize(bfa.view(np.uint8), T.BF16).reshape(-1).view(np.uint32)
    bf16_to_f32 = [[int(h), int(v)] for h, v in zip(bf16, bf_out)]
    return {
        "gguf_version": GGUF_VERSION,
        "note": "f32_to_f16: ggml_compute_fp32_to_fp16 (round to nearest even, numpy; every NaN 0x7E00 with its sign); "
                "f32_to_bf16: ggml_compute_fp32_to_bf16 (checked against gguf-py BF16.quantize); "
                "f16_to_f32: numpy, NaNs quieted as ggml_compute_fp16_to_fp32; bf16_to_f32: gguf-py BF16 dequantize",
        "f32_to_f16": f32_to_f16,
        "f16_to_f32": f16_to_f32,
        "f32_to_bf16": f32_to_bf16,
        "bf16_to_f32": bf16_to_f32,
    }


def main() -> int:
    os.makedirs(OUT, exist_ok=True)
    total = 0
    for idx, name in enumerate(GGML_SIZES):
        rng = np.random.default_rng(1000 + idx)
        bs, size = GGML_SIZES[name]
        qtype = T[name]
        gbs, gsize = gguf.GGML_QUANT_SIZES[qtype]
        if name in ("F32", "F16", "BF16"):
            cases = float_cases(name, rng)
        else:
            cases = block_cases(name, rng)
        oracles = sorted({o for _, o in cases})
        doc = {
            "type": name,
            "ggml_type": int(qtype),
            "block_size": bs,
            "type_size": size,
            "gguf_py_block_size": gbs,
            "gguf_py_type_size": gsize,
            "gguf_version": GGUF_VERSION,
            "oracle": "; ".join(oracles),
            "cases": [c for c, _ in cases],
        }
        path = os.path.join(OUT, f"{name}.json")
        text = json.dumps(doc, separators=(",", ":")) + "\n"
        with open(path, "w") as f:
            f.write(text)
        total += len(text)
    text = json.dumps(half_vectors(np.random.default_rng(7)), separators=(",", ":")) + "\n"
    with open(os.path.join(OUT, "half.json"), "w") as f:
        f.write(text)
    total += len(text)
    print(f"wrote {OUT} ({total} bytes), gguf {GGUF_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
